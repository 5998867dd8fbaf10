"""Handlers of the interaction routes: the callback and the interaction-token webhook routes."""

from __future__ import annotations

from aiohttp import web

from invite_tracker.testing.fake_discord import messaging, shapes
from invite_tracker.testing.fake_discord.context import CONTEXT
from invite_tracker.testing.fake_discord.handlers import Handler
from invite_tracker.testing.fake_discord.models import Interaction, Message
from invite_tracker.testing.fake_discord.responses import (
    json_response,
    query_flag,
    read_json,
    snowflake,
)
from invite_tracker.testing.fake_discord.state import World
from invite_tracker.testing.fake_discord.validation import require_object


def _message_body(world: World, message: Message) -> object:
    interaction = world.interactions.get(message.interaction_id or 0)
    metadata = None
    if interaction is not None and interaction.user_id is not None:
        metadata = shapes.interaction_metadata_json(interaction, world.user(interaction.user_id))
    return shapes.message_json(
        message, world.user(message.author_id), messaging.mentioned_users(world, message), metadata
    )


def _callback_body(world: World, interaction: Interaction) -> object:
    original = interaction.original
    assert original is not None
    deferred = interaction.response_type == messaging.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    body: dict[str, object] = {
        "interaction": {
            "id": str(interaction.id),
            "type": 2,
            "response_message_id": str(original.id),
            "response_message_loading": deferred,
            "response_message_ephemeral": bool(original.flags & messaging.EPHEMERAL),
        }
    }
    if not deferred:
        body["resource"] = {
            "type": interaction.response_type,
            "message": _message_body(world, original),
        }
    return body


async def interaction_callback(request: web.Request) -> web.StreamResponse:
    """`POST /interactions/{interaction_id}/{interaction_token}/callback`.

    204 by default; 200 with the callback response when `with_response=true` (hikari asks).
    """
    world = request.app[CONTEXT].world
    interaction_id = snowflake(request, "interaction_id")
    raw = await read_json(request)
    async with world.lock:
        body = require_object(raw)
        interaction = messaging.interaction_callback(
            world, interaction_id, request.match_info["interaction_token"], body
        )
        if query_flag(request, "with_response"):
            return json_response(_callback_body(world, interaction))
        return web.Response(status=204)


async def execute_webhook(request: web.Request) -> web.StreamResponse:
    """`POST /webhooks/{webhook_id}/{webhook_token}`: a follow-up; always answers the message
    (Discord documents `wait` as always true for interaction follow-ups)."""
    world = request.app[CONTEXT].world
    application_id = snowflake(request, "webhook_id")
    raw = await read_json(request)
    async with world.lock:
        body = require_object(raw)
        message = messaging.send_followup(
            world, application_id, request.match_info["webhook_token"], body
        )
        return json_response(_message_body(world, message))


async def get_original(request: web.Request) -> web.StreamResponse:
    """`GET /webhooks/{webhook_id}/{webhook_token}/messages/@original`."""
    world = request.app[CONTEXT].world
    application_id = snowflake(request, "webhook_id")
    async with world.lock:
        message = messaging.original_reply(
            world, application_id, request.match_info["webhook_token"]
        )
        return json_response(_message_body(world, message))


async def edit_original(request: web.Request) -> web.StreamResponse:
    """`PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original`."""
    world = request.app[CONTEXT].world
    application_id = snowflake(request, "webhook_id")
    raw = await read_json(request)
    async with world.lock:
        body = require_object(raw)
        message = messaging.edit_original_reply(
            world, application_id, request.match_info["webhook_token"], body
        )
        return json_response(_message_body(world, message))


async def delete_original(request: web.Request) -> web.StreamResponse:
    """`DELETE /webhooks/{webhook_id}/{webhook_token}/messages/@original`: 204."""
    world = request.app[CONTEXT].world
    application_id = snowflake(request, "webhook_id")
    async with world.lock:
        messaging.delete_original_reply(world, application_id, request.match_info["webhook_token"])
        return web.Response(status=204)


_ORIGINAL = "/webhooks/{webhook_id}/{webhook_token}/messages/@original"

HANDLERS: dict[str, Handler] = {
    "POST /interactions/{interaction_id}/{interaction_token}/callback": interaction_callback,
    "POST /webhooks/{webhook_id}/{webhook_token}": execute_webhook,
    f"GET {_ORIGINAL}": get_original,
    f"PATCH {_ORIGINAL}": edit_original,
    f"DELETE {_ORIGINAL}": delete_original,
}
"""Interaction route handlers by route key."""
