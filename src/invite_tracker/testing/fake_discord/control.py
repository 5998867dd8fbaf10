"""The control API under /_fake: build the world, make members join, inject faults, read logs.

No token is needed. Bodies and answers are JSON; ids are accepted as numbers or strings and
returned as strings. Errors answer `{"error": "..."}` (or Discord's body for Discord errors).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from invite_tracker.testing.fake_discord import control_views as views
from invite_tracker.testing.fake_discord import member_search
from invite_tracker.testing.fake_discord.control_knobs import clock, faults, rate_limits, stats
from invite_tracker.testing.fake_discord.errors import ControlError, DiscordError
from invite_tracker.testing.fake_discord.responses import json_response, read_json
from invite_tracker.testing.fake_discord.routing import ROUTES_BY_KEY

if TYPE_CHECKING:
    from invite_tracker.testing.fake_discord.fake import FakeDiscord

FAKE: web.AppKey[FakeDiscord] = web.AppKey("fake_discord")
PREFIX = "/_fake"
JSONObject = dict[str, Any]
ControlHandler = Callable[["FakeDiscord", web.Request, JSONObject], Awaitable[object]]


def _id(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise ControlError(400, f"{name} must be a snowflake (a number or a decimal string)")
    return int(value)


def _opt_id(body: JSONObject, name: str) -> int | None:
    value = body.get(name)
    return None if value is None else _id(value, name)


def _path_id(request: web.Request, name: str) -> int:
    return _id(request.match_info[name], name)


def _control(handler: ControlHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            raw = await read_json(request)
            if raw is not None and not isinstance(raw, dict):
                raise ControlError(400, "the body must be a JSON object")
            result = await handler(request.app[FAKE], request, raw or {})
        except ControlError as error:
            return json_response({"error": error.message}, status=error.status)
        except DiscordError as error:
            return json_response(error.body(), status=error.status)
        except (ValueError, TypeError, KeyError) as error:
            return json_response({"error": str(error)}, status=400)
        if isinstance(result, web.StreamResponse):
            return result
        return json_response(result)

    return wrapper


async def index(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """What is running and where."""
    return {
        "api_url": fake.api_url,
        "control_url": fake.control_url,
        "bot": views.user(fake.bot_user),
        "application_id": str(fake.application_id),
        "now": fake.now().isoformat(),
        "discord_routes": sorted(ROUTES_BY_KEY),
        "control_routes": [f"{method} {PREFIX}{path}" for method, path, _ in _TABLE],
    }


async def world(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """Every guild (with its channels, roles, members, invites) and every user."""
    async with fake.world.lock:
        return views.world_view(fake.world)


async def reset(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """An empty world, no faults, default limits, zeroed statistics."""
    seed = body.get("seed")
    await fake.reset(seed=int(seed) if seed is not None else None)
    return {"reset": True, "bot": views.user(fake.bot_user)}


async def create_user(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """{username?, user_id?, global_name?, bot?}."""
    user = await fake.create_user(
        body.get("username"),
        user_id=_opt_id(body, "user_id"),
        global_name=body.get("global_name"),
        bot=bool(body.get("bot", False)),
    )
    return views.user(user)


async def create_guild(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """{name?, guild_id?, owner_id?, features?, bot_permissions?}."""
    guild = await fake.create_guild(
        body.get("name", "Fake Guild"),
        guild_id=_opt_id(body, "guild_id"),
        owner_id=_opt_id(body, "owner_id"),
        features=list(body.get("features") or []),
        bot_permissions=body.get("bot_permissions", "ALL"),
    )
    return views.guild(fake.world, guild.id)


async def get_guild(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """One guild in full."""
    async with fake.world.lock:
        return views.guild(fake.world, _path_id(request, "guild_id"))


async def create_channel(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """{name?, type?, channel_id?, parent_id?, topic?}."""
    channel = await fake.create_channel(
        _path_id(request, "guild_id"),
        body.get("name", "general"),
        channel_id=_opt_id(body, "channel_id"),
        channel_type=int(body.get("type", 0)),
        parent_id=_opt_id(body, "parent_id"),
        topic=body.get("topic"),
    )
    return views.channel(channel)


async def create_role(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """{name, permissions?, role_id?, color?, hoist?, mentionable?}."""
    role = await fake.create_role(
        _path_id(request, "guild_id"),
        body["name"],
        role_id=_opt_id(body, "role_id"),
        permissions=body.get("permissions", 0),
        color=int(body.get("color", 0)),
        hoist=bool(body.get("hoist", False)),
        mentionable=bool(body.get("mentionable", False)),
    )
    return views.role(role)


async def add_member(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """{user_id, roles?, nick?}: an existing member, no event."""
    member = await fake.add_member(
        _path_id(request, "guild_id"),
        _id(body.get("user_id"), "user_id"),
        roles=[_id(role, "roles") for role in body.get("roles") or []],
        nick=body.get("nick"),
    )
    return views.member(fake.world, member)


async def join(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """{user_id | username, via: invite|vanity|discovery, code (for invite)}; a bot joins
    only via discovery (an OAuth2 add), as on Discord."""
    guild_id = _path_id(request, "guild_id")
    user_id = _opt_id(body, "user_id")
    if user_id is None:
        user_id = (await fake.create_user(body.get("username"))).id
    via = body.get("via", "invite" if body.get("code") else "discovery")
    if via == "invite":
        if not body.get("code"):
            raise ControlError(400, "joining via an invite needs its code")
        member = await fake.join_via_invite(guild_id, user_id, str(body["code"]))
    elif via == "vanity":
        member = await fake.join_via_vanity(guild_id, user_id)
    elif via == "discovery":
        member = await fake.join_without_invite(guild_id, user_id)
    else:
        raise ControlError(400, "via must be invite, vanity or discovery")
    return views.member(fake.world, member)


async def leave(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """The member leaves."""
    member = await fake.leave(_path_id(request, "guild_id"), _path_id(request, "user_id"))
    return {"left": True, "user_id": str(member.user_id)}


async def bot_permissions(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """{permissions: int | "decimal" | ["MANAGE_GUILD", ...] | "ALL"}."""
    bits = await fake.set_bot_permissions(_path_id(request, "guild_id"), body["permissions"])
    return {"permissions": str(bits)}


async def vanity(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """{code: str | null, uses?}."""
    guild_id = _path_id(request, "guild_id")
    await fake.set_vanity(guild_id, body.get("code"), uses=int(body.get("uses", 0)))
    guild = fake.world.guild(guild_id)
    return {"code": guild.vanity_code, "uses": guild.vanity_uses}


async def search_lag(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """GET shows; PUT {index_lag: seconds}: how long after joining members become searchable."""
    if request.method == "PUT":
        await fake.set_member_search_lag(float(body["index_lag"]))
    return {"index_lag": fake.world.member_search_lag}


async def search_index(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """GET shows; PUT {not_indexed_for: seconds}: the guild's member search answers 202 until
    then (0: indexed now)."""
    guild_id = _path_id(request, "guild_id")
    if request.method == "PUT":
        await fake.delay_member_search_index(guild_id, float(body["not_indexed_for"]))
    async with fake.world.lock:
        guild = fake.world.guild(guild_id)
        wait = member_search.not_indexed_for(fake.world, guild)
        indexed_at = guild.search_indexed_at
        return {
            "indexed": wait == 0,
            "indexed_at": indexed_at.isoformat() if indexed_at is not None else None,
            "not_indexed_for": wait,
        }


async def list_invites(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """The guild's live invites with metadata (no permission check)."""
    found = await fake.invites(_path_id(request, "guild_id"))
    return [views.invite(fake.world, invite) for invite in found]


async def create_invite(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """{inviter_id?, max_age?, max_uses?, temporary?, code?}: fires INVITE_CREATE."""
    invite = await fake.create_invite(
        _path_id(request, "channel_id"),
        inviter_id=_opt_id(body, "inviter_id"),
        max_age=int(body.get("max_age", 86_400)),
        max_uses=int(body.get("max_uses", 0)),
        temporary=bool(body.get("temporary", False)),
        code=body.get("code"),
    )
    return views.invite(fake.world, invite)


async def delete_invite(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """Delete out of band: fires INVITE_DELETE."""
    invite = await fake.delete_invite(request.match_info["code"])
    return views.invite(fake.world, invite)


async def events(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """?since=N&guild_id=G&type=INVITE_CREATE (type may repeat)."""
    guild = request.query.get("guild_id")
    found = await fake.events(
        since=int(request.query.get("since", 0)),
        guild_id=_id(guild, "guild_id") if guild else None,
        types=request.query.getall("type", []),
    )
    return [event.as_json() for event in found]


async def messages(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """?channel_id=C: what the bot sent, with allowed_mentions and the raw request body."""
    channel = request.query.get("channel_id")
    found = fake.messages(_id(channel, "channel_id") if channel else None)
    return [views.message(fake.world, message) for message in found]


async def register_interaction(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """{application_id?, token?, interaction_id?, guild_id?, channel_id?, user_id?,
    created_at? (ISO 8601), acknowledged? (default true)}."""
    created = body.get("created_at")
    interaction = await fake.register_interaction(
        application_id=_opt_id(body, "application_id"),
        token=body.get("token"),
        interaction_id=_opt_id(body, "interaction_id"),
        guild_id=_opt_id(body, "guild_id"),
        channel_id=_opt_id(body, "channel_id"),
        user_id=_opt_id(body, "user_id"),
        created_at=datetime.fromisoformat(created) if created else None,
        acknowledged=bool(body.get("acknowledged", True)),
    )
    return views.interaction(fake.world, interaction)


async def get_interaction(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """Callback, original reply, every edit and follow-up of one interaction."""
    interaction = fake.world.interactions.get(_path_id(request, "interaction_id"))
    if interaction is None:
        raise ControlError(404, "unknown interaction")
    return views.interaction(fake.world, interaction)


_TABLE: list[tuple[str, str, ControlHandler]] = [
    ("GET", "", index),
    ("GET", "/", index),
    ("GET", "/world", world),
    ("POST", "/reset", reset),
    ("POST", "/users", create_user),
    ("POST", "/guilds", create_guild),
    ("GET", "/guilds/{guild_id}", get_guild),
    ("POST", "/guilds/{guild_id}/channels", create_channel),
    ("POST", "/guilds/{guild_id}/roles", create_role),
    ("POST", "/guilds/{guild_id}/members", add_member),
    ("DELETE", "/guilds/{guild_id}/members/{user_id}", leave),
    ("POST", "/guilds/{guild_id}/joins", join),
    ("PUT", "/guilds/{guild_id}/bot-permissions", bot_permissions),
    ("PUT", "/guilds/{guild_id}/vanity", vanity),
    ("GET", "/guilds/{guild_id}/invites", list_invites),
    ("GET", "/guilds/{guild_id}/member-search", search_index),
    ("PUT", "/guilds/{guild_id}/member-search", search_index),
    ("GET", "/member-search", search_lag),
    ("PUT", "/member-search", search_lag),
    ("POST", "/channels/{channel_id}/invites", create_invite),
    ("DELETE", "/invites/{code}", delete_invite),
    ("GET", "/events", events),
    ("GET", "/messages", messages),
    ("POST", "/interactions", register_interaction),
    ("GET", "/interactions/{interaction_id}", get_interaction),
    ("GET", "/faults", faults),
    ("POST", "/faults", faults),
    ("DELETE", "/faults", faults),
    ("DELETE", "/faults/{fault_id}", faults),
    ("GET", "/rate-limits", rate_limits),
    ("PUT", "/rate-limits", rate_limits),
    ("GET", "/stats", stats),
    ("DELETE", "/stats", stats),
    ("GET", "/clock", clock),
    ("POST", "/clock", clock),
]


def add_routes(app: web.Application, fake: FakeDiscord) -> None:
    """Mount the control API on the fake's application."""
    app[FAKE] = fake
    for method, path, handler in _TABLE:
        app.router.add_route(method, PREFIX + path, _control(handler))
