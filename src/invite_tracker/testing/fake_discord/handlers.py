"""Handlers of the bot-token Discord routes: invites, vanity, messages, guild entities."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from invite_tracker.testing.fake_discord import errors, invites, messaging, shapes
from invite_tracker.testing.fake_discord.context import CONTEXT
from invite_tracker.testing.fake_discord.models import Invite
from invite_tracker.testing.fake_discord.permissions import Permission, has_all, has_any
from invite_tracker.testing.fake_discord.responses import (
    json_response,
    query_flag,
    read_json,
    snowflake,
)
from invite_tracker.testing.fake_discord.state import World
from invite_tracker.testing.fake_discord.validation import parse_invite_request, require_object

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _world(request: web.Request) -> World:
    return request.app[CONTEXT].world


def _require(world: World, guild_id: int, *needed: Permission) -> None:
    if not has_all(world.guild(guild_id).bot_permissions, *needed):
        raise errors.missing_permissions()


def _invite_body(world: World, invite: Invite, *, metadata: bool, counts: bool = False) -> object:
    inviter = world.users.get(invite.inviter_id) if invite.inviter_id is not None else None
    member_count = world.member_count(invite.guild_id)
    return shapes.invite_json(
        invite,
        world.guild(invite.guild_id),
        world.channel(invite.channel_id),
        inviter,
        metadata=metadata,
        counts=(member_count, member_count) if counts else None,
    )


async def list_guild_invites(request: web.Request) -> web.StreamResponse:
    """`GET /guilds/{guild_id}/invites`: every live invite, with metadata under MANAGE_GUILD.

    Since 2024-09-17 Discord also serves this to VIEW_AUDIT_LOG alone, but then without the
    metadata (no `uses`, `max_uses`, `created_at`...); with neither permission, 50013.
    """
    world = _world(request)
    guild_id = snowflake(request, "guild_id")
    async with world.lock:
        granted = world.guild(guild_id).bot_permissions
        metadata = has_all(granted, Permission.MANAGE_GUILD)
        if not metadata and not has_all(granted, Permission.VIEW_AUDIT_LOG):
            raise errors.missing_permissions()
        found = invites.guild_invites(world, guild_id)
        if metadata:
            world.guild(guild_id).invite_list_reads.append(world.now())
        return json_response([_invite_body(world, i, metadata=metadata) for i in found])


async def list_channel_invites(request: web.Request) -> web.StreamResponse:
    """`GET /channels/{channel_id}/invites` (MANAGE_CHANNELS)."""
    world = _world(request)
    channel_id = snowflake(request, "channel_id")
    async with world.lock:
        channel = world.channel(channel_id)
        _require(world, channel.guild_id, Permission.MANAGE_CHANNELS)
        found = invites.channel_invites(world, channel_id)
        return json_response([_invite_body(world, invite, metadata=True) for invite in found])


async def create_channel_invite(request: web.Request) -> web.StreamResponse:
    """`POST /channels/{channel_id}/invites` (CREATE_INSTANT_INVITE): a body is required."""
    world = _world(request)
    channel_id = snowflake(request, "channel_id")
    raw = await read_json(request)
    async with world.lock:
        channel = world.channel(channel_id)
        body = require_object(raw)
        _require(world, channel.guild_id, Permission.CREATE_INSTANT_INVITE)
        wanted = parse_invite_request(body)
        invite, _ = invites.create_invite(
            world,
            channel_id,
            max_age=wanted.max_age,
            max_uses=wanted.max_uses,
            temporary=wanted.temporary,
            unique=wanted.unique,
        )
        return json_response(_invite_body(world, invite, metadata=True))


async def get_invite(request: web.Request) -> web.StreamResponse:
    """`GET /invites/{code}`: the public view (no uses), counts with `with_counts=true`."""
    world = _world(request)
    async with world.lock:
        invite = invites.find_invite(world, request.match_info["code"])
        counts = query_flag(request, "with_counts")
        return json_response(_invite_body(world, invite, metadata=False, counts=counts))


async def delete_invite(request: web.Request) -> web.StreamResponse:
    """`DELETE /invites/{code}` (MANAGE_CHANNELS or MANAGE_GUILD): returns the deleted invite."""
    world = _world(request)
    async with world.lock:
        invite = invites.find_invite(world, request.match_info["code"])
        permissions = world.guild(invite.guild_id).bot_permissions
        if not has_any(permissions, Permission.MANAGE_CHANNELS, Permission.MANAGE_GUILD):
            raise errors.missing_permissions()
        body = _invite_body(world, invite, metadata=True)
        invites.delete_invite(world, invite.code)
        return json_response(body)


async def get_vanity_url(request: web.Request) -> web.StreamResponse:
    """`GET /guilds/{guild_id}/vanity-url` (MANAGE_GUILD)."""
    world = _world(request)
    guild_id = snowflake(request, "guild_id")
    async with world.lock:
        _require(world, guild_id, Permission.MANAGE_GUILD)
        return json_response(shapes.vanity_json(world.guild(guild_id)))


async def create_message(request: web.Request) -> web.StreamResponse:
    """`POST /channels/{channel_id}/messages` (VIEW_CHANNEL, then SEND_MESSAGES).

    Without VIEW_CHANNEL Discord answers 50001 Missing Access; able to see the channel but
    not to write in it, 50013 Missing Permissions.
    """
    world = _world(request)
    channel_id = snowflake(request, "channel_id")
    raw = await read_json(request)
    async with world.lock:
        channel = world.channel(channel_id)
        body = require_object(raw)
        granted = world.guild(channel.guild_id).bot_permissions
        if not has_all(granted, Permission.VIEW_CHANNEL):
            raise errors.missing_access()
        if not has_all(granted, Permission.SEND_MESSAGES):
            raise errors.missing_permissions()
        message = messaging.send_channel_message(world, channel_id, body)
        author = world.user(message.author_id)
        return json_response(
            shapes.message_json(message, author, messaging.mentioned_users(world, message))
        )


async def get_guild(request: web.Request) -> web.StreamResponse:
    """`GET /guilds/{guild_id}` (`with_counts=true` adds the approximate counts)."""
    world = _world(request)
    guild_id = snowflake(request, "guild_id")
    async with world.lock:
        guild = world.guild(guild_id)
        count = world.member_count(guild_id)
        counts = (count, count) if query_flag(request, "with_counts") else None
        return json_response(shapes.guild_json(guild, world.guild_roles(guild_id), counts))


async def get_member(request: web.Request) -> web.StreamResponse:
    """`GET /guilds/{guild_id}/members/{user_id}`."""
    world = _world(request)
    guild_id = snowflake(request, "guild_id")
    user_id = snowflake(request, "user_id")
    async with world.lock:
        member = world.member(guild_id, user_id)
        return json_response(shapes.member_json(member, world.user(user_id)))


async def get_channel(request: web.Request) -> web.StreamResponse:
    """`GET /channels/{channel_id}` (50001 Missing Access without VIEW_CHANNEL)."""
    world = _world(request)
    channel_id = snowflake(request, "channel_id")
    async with world.lock:
        channel = world.channel(channel_id)
        if not has_all(world.guild(channel.guild_id).bot_permissions, Permission.VIEW_CHANNEL):
            raise errors.missing_access()
        return json_response(shapes.channel_json(channel))


async def get_user(request: web.Request) -> web.StreamResponse:
    """`GET /users/{user_id}`."""
    world = _world(request)
    user_id = snowflake(request, "user_id")
    async with world.lock:
        return json_response(shapes.user_json(world.user(user_id)))


async def list_roles(request: web.Request) -> web.StreamResponse:
    """`GET /guilds/{guild_id}/roles`."""
    world = _world(request)
    guild_id = snowflake(request, "guild_id")
    async with world.lock:
        world.guild(guild_id)
        return json_response([shapes.role_json(role) for role in world.guild_roles(guild_id)])


HANDLERS: dict[str, Handler] = {
    "GET /guilds/{guild_id}/invites": list_guild_invites,
    "GET /channels/{channel_id}/invites": list_channel_invites,
    "POST /channels/{channel_id}/invites": create_channel_invite,
    "GET /invites/{code}": get_invite,
    "DELETE /invites/{code}": delete_invite,
    "GET /guilds/{guild_id}/vanity-url": get_vanity_url,
    "POST /channels/{channel_id}/messages": create_message,
    "GET /guilds/{guild_id}": get_guild,
    "GET /guilds/{guild_id}/members/{user_id}": get_member,
    "GET /channels/{channel_id}": get_channel,
    "GET /users/{user_id}": get_user,
    "GET /guilds/{guild_id}/roles": list_roles,
}
"""Bot-token route handlers by route key."""
