"""Messages the bot sends and interaction replies: mentions, edits, follow-ups, token expiry."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from invite_tracker.testing.fake_discord import errors
from invite_tracker.testing.fake_discord.errors import ControlError, FormErrors
from invite_tracker.testing.fake_discord.models import (
    ChannelType,
    Interaction,
    Message,
    ReplyEdit,
    User,
)
from invite_tracker.testing.fake_discord.state import World
from invite_tracker.testing.fake_discord.validation import validate_message

JSONObject = dict[str, Any]

EPHEMERAL = 1 << 6
LOADING = 1 << 7
INTERACTION_TOKEN_TTL = timedelta(minutes=15)
CALLBACK_WINDOW = timedelta(seconds=3)
CHANNEL_MESSAGE_WITH_SOURCE = 4
DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
CHAT_INPUT_COMMAND_MESSAGE = 20

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def _mentions(
    world: World, guild_id: int | None, content: str, allowed: JSONObject | None
) -> tuple[list[int], list[int], bool]:
    """Who the message notifies: users, roles and @everyone, filtered by `allowed_mentions`."""
    parse: list[str] = (
        ["users", "roles", "everyone"] if allowed is None else allowed.get("parse") or []
    )
    allowed_users = {int(uid) for uid in (allowed or {}).get("users") or []}
    allowed_roles = {int(rid) for rid in (allowed or {}).get("roles") or []}
    users = [
        uid
        for uid in dict.fromkeys(int(raw) for raw in _USER_MENTION.findall(content))
        if uid in world.users and ("users" in parse or uid in allowed_users)
    ]
    roles = [
        rid
        for rid in dict.fromkeys(int(raw) for raw in _ROLE_MENTION.findall(content))
        if (role := world.roles.get(rid)) is not None
        and role.guild_id == guild_id
        and ("roles" in parse or rid in allowed_roles)
    ]
    everyone = "everyone" in parse and ("@everyone" in content or "@here" in content)
    return users, roles, everyone


def _apply(world: World, message: Message, body: JSONObject) -> None:
    if "content" in body:
        message.content = body.get("content") or ""
    if "embeds" in body:
        message.embeds = [dict(embed) for embed in body.get("embeds") or []]
    if "allowed_mentions" in body:
        message.allowed_mentions = body.get("allowed_mentions")
    users, roles, everyone = _mentions(
        world, message.guild_id, message.content, message.allowed_mentions
    )
    message.mention_user_ids, message.mention_role_ids, message.mention_everyone = (
        users,
        roles,
        everyone,
    )


def _new_message(
    world: World,
    *,
    channel_id: int,
    guild_id: int | None,
    body: JSONObject,
    author_id: int,
    application_id: int | None = None,
    message_type: int = 0,
    flags: int = 0,
) -> Message:
    message = Message(
        id=world.next_id(),
        channel_id=channel_id,
        guild_id=guild_id,
        author_id=author_id,
        content="",
        embeds=[],
        allowed_mentions=None,
        timestamp=world.now(),
        flags=flags,
        tts=bool(body.get("tts")),
        webhook_id=application_id,
        application_id=application_id,
        type=message_type,
        request=dict(body),
    )
    _apply(world, message, body)
    return message


def mentioned_users(world: World, message: Message) -> list[User]:
    """The users the message notifies, as user records."""
    return [world.users[uid] for uid in message.mention_user_ids if uid in world.users]


def send_channel_message(world: World, channel_id: int, body: JSONObject) -> Message:
    """`POST /channels/{id}/messages` once permissions are checked: validate, store, return."""
    channel = world.channel(channel_id)
    if channel.type == ChannelType.GUILD_CATEGORY:
        raise errors.non_text_channel()
    validate_message(body)
    message = _new_message(
        world,
        channel_id=channel_id,
        guild_id=channel.guild_id,
        body=body,
        author_id=world.bot_user.id,
    )
    world.messages.append(message)
    channel.last_message_id = message.id
    return message


def register_interaction(
    world: World,
    *,
    application_id: int | None = None,
    token: str | None = None,
    interaction_id: int | None = None,
    guild_id: int | None = None,
    channel_id: int | None = None,
    user_id: int | None = None,
    created_at: datetime | None = None,
    acknowledged: bool = True,
) -> Interaction:
    """An interaction as if a user had just run a slash command.

    With `acknowledged` (the default) it has already been deferred (callback type 5), so the
    original reply exists and can be edited, as after hikari's `create_initial_response`.
    """
    if guild_id is not None:
        world.guild(guild_id)
    if channel_id is None and guild_id is not None:
        texts = [
            channel.id
            for channel in world.channels.values()
            if channel.guild_id == guild_id and channel.type == ChannelType.GUILD_TEXT
        ]
        channel_id = min(texts) if texts else None
    if token is None:
        token = "fake-interaction-" + "".join(
            world.rng.choice("0123456789abcdef") for _ in range(48)
        )
    if interaction_id is not None and interaction_id in world.interactions:
        raise ControlError(409, f"interaction {interaction_id} already exists")
    interaction = Interaction(
        id=interaction_id or world.next_id(),
        application_id=application_id or world.application_id,
        token=token,
        created_at=created_at or world.now(),
        guild_id=guild_id,
        channel_id=channel_id or world.next_id(),
        user_id=user_id,
    )
    world.interactions[interaction.id] = interaction
    if acknowledged:
        interaction.response_type = DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
        interaction.responded_at = interaction.created_at
        interaction.original = _reply(world, interaction, {}, loading=True)
    return interaction


def _reply(world: World, interaction: Interaction, body: JSONObject, *, loading: bool) -> Message:
    assert interaction.channel_id is not None
    flags = (int(body.get("flags") or 0) & EPHEMERAL) | (LOADING if loading else 0)
    message = _new_message(
        world,
        channel_id=interaction.channel_id,
        guild_id=interaction.guild_id,
        body=body,
        author_id=world.bot_user.id,
        application_id=interaction.application_id,
        message_type=CHAT_INPUT_COMMAND_MESSAGE,
        flags=flags,
    )
    message.interaction_id = interaction.id
    return message


def interaction_callback(
    world: World, interaction_id: int, token: str, body: JSONObject
) -> Interaction:
    """`POST /interactions/{id}/{token}/callback`: types 4 (reply) and 5 (defer) within 3 s."""
    interaction = world.interactions.get(interaction_id)
    if interaction is None or interaction.token != token:
        raise errors.unknown_interaction()
    if interaction.response_type is not None:
        raise errors.already_acknowledged()
    if world.now() - interaction.created_at > CALLBACK_WINDOW:
        raise errors.unknown_interaction()
    callback_type = body.get("type")
    if callback_type not in (CHANNEL_MESSAGE_WITH_SOURCE, DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE):
        form = FormErrors()
        form.add(("type",), "BASE_TYPE_CHOICES", "Value must be one of {4, 5}.")
        raise form.as_error()
    data = body.get("data") or {}
    if not isinstance(data, dict):
        form = FormErrors()
        form.add(("data",), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        raise form.as_error()
    deferred = callback_type == DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    validate_message(data, path=("data",), allow_empty=deferred)
    interaction.response_type = callback_type
    interaction.responded_at = world.now()
    interaction.original = _reply(world, interaction, data, loading=deferred)
    return interaction


def interaction_for_token(world: World, application_id: int, token: str) -> Interaction:
    """The interaction behind a webhook token: 10015 if unknown, 50027 once 15 minutes passed."""
    for interaction in world.interactions.values():
        if interaction.application_id == application_id and interaction.token == token:
            if world.now() - interaction.created_at >= INTERACTION_TOKEN_TTL:
                raise errors.invalid_webhook_token()
            return interaction
    raise errors.unknown_webhook()


def original_reply(world: World, application_id: int, token: str) -> Message:
    """The original reply (10008 before any callback or after its deletion)."""
    interaction = interaction_for_token(world, application_id, token)
    if interaction.original is None or interaction.original_deleted:
        raise errors.unknown_message()
    return interaction.original


def edit_original_reply(world: World, application_id: int, token: str, body: JSONObject) -> Message:
    """`PATCH .../messages/@original`: validate, record the edit, update the reply."""
    message = original_reply(world, application_id, token)
    validate_message(body, allow_empty=True)
    interaction = interaction_for_token(world, application_id, token)
    interaction.edits.append(ReplyEdit(at=world.now(), payload=dict(body)))
    _apply(world, message, body)
    message.flags &= ~LOADING
    message.edited_timestamp = world.now()
    return message


def delete_original_reply(world: World, application_id: int, token: str) -> None:
    """`DELETE .../messages/@original`."""
    original_reply(world, application_id, token)
    interaction_for_token(world, application_id, token).original_deleted = True


def send_followup(world: World, application_id: int, token: str, body: JSONObject) -> Message:
    """`POST /webhooks/{application_id}/{token}`: a follow-up to an acknowledged interaction."""
    interaction = interaction_for_token(world, application_id, token)
    if interaction.response_type is None:
        raise errors.unknown_webhook()
    validate_message(body)
    message = _reply(world, interaction, body, loading=False)
    message.type = 0
    interaction.followups.append(message)
    return message
