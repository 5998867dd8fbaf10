"""Discord's undocumented member search, `POST /guilds/{guild_id}/members-search`.

It is not in Discord's OpenAPI spec (nor in its documentation): the shapes are those public
client libraries model. Per member it tells how they came in (`join_source_type`,
`source_invite_code`, `inviter_id`). The fake models its index honestly: a guild is searchable
only from `Guild.search_indexed_at` on (before that, 202 with code 110000), and a member shows
only `World.member_search_lag` seconds after joining, both on the fake's clock; members who
left are gone from it.

Only the `user_id` filter (`and_query.user_id.or_query`) and `limit` are modelled; any other
key is refused with 50035 rather than ignored, so a client relying on an unmodelled filter
fails loudly instead of reading unfiltered results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

from aiohttp import web

from invite_tracker.testing.fake_discord import errors, shapes
from invite_tracker.testing.fake_discord.context import CONTEXT
from invite_tracker.testing.fake_discord.errors import DiscordError, FormErrors
from invite_tracker.testing.fake_discord.handlers import Handler
from invite_tracker.testing.fake_discord.models import Guild, JoinSource, Member
from invite_tracker.testing.fake_discord.permissions import Permission, has_all
from invite_tracker.testing.fake_discord.responses import json_response, read_json, snowflake
from invite_tracker.testing.fake_discord.state import World
from invite_tracker.testing.fake_discord.validation import require_object

JSONObject = dict[str, Any]

MEMBER_SEARCH = "POST /guilds/{guild_id}/members-search"
DEFAULT_LIMIT = 25
MAX_LIMIT = 1000
NOT_INDEXED_CODE = 110000
COMMUNITY = "COMMUNITY"
MAX_INDEX_DELAY = 366 * 86_400


class JoinSourceType(IntEnum):
    """Discord's `join_source_type` in member search results."""

    UNSPECIFIED = 0
    BOT = 1
    INTEGRATION = 2
    DISCOVERY = 3
    HUB = 4
    INVITE = 5
    VANITY_URL = 6
    MANUAL_MEMBER_VERIFICATION = 7


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A checked search body: `user_ids` None means no user filter."""

    limit: int
    user_ids: frozenset[int] | None


def not_indexed_for(world: World, guild: Guild) -> float:
    """Seconds until the search has indexed the guild (0: it has)."""
    if guild.search_indexed_at is None:
        return 0.0
    return max((guild.search_indexed_at - world.now()).total_seconds(), 0.0)


def delay_index(world: World, guild_id: int, seconds: float) -> Guild:
    """Say the guild is not indexed for `seconds` more (0 or less: it is indexed now)."""
    if not math.isfinite(seconds) or seconds > MAX_INDEX_DELAY:
        raise ValueError(f"the index delay is a number of seconds up to {MAX_INDEX_DELAY}")
    guild = world.guild(guild_id)
    guild.search_indexed_at = world.now() + timedelta(seconds=seconds) if seconds > 0 else None
    return guild


def set_lag(world: World, seconds: float) -> None:
    """How long after joining a member shows in the search."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("the member search lag is a finite number of seconds, 0 or more")
    world.member_search_lag = seconds


def join_source(world: World, member: Member) -> tuple[JoinSourceType, str | None, int | None]:
    """What the search says of a member: (join_source_type, source_invite_code, inviter_id).

    A bot user that came in without an invite was added through OAuth2: BOT. Members the
    control API made pre-existing (`ADDED`) have no known source: UNSPECIFIED.
    """
    if member.source is JoinSource.INVITE:
        return JoinSourceType.INVITE, member.invite_code, member.inviter_id
    if member.source is JoinSource.VANITY:
        return JoinSourceType.VANITY_URL, member.vanity_code, None
    user = world.users.get(member.user_id)
    if user is not None and user.bot:
        return JoinSourceType.BOT, None, None
    if member.source is JoinSource.DISCOVERY:
        return JoinSourceType.DISCOVERY, None, None
    return JoinSourceType.UNSPECIFIED, None, None


def searchable(world: World, guild_id: int, now: datetime) -> list[Member]:
    """The guild's members the index holds at `now`, newest first (Discord's default sort)."""
    lag = timedelta(seconds=world.member_search_lag)
    found = [m for m in world.guild_members(guild_id) if m.joined_at + lag <= now]
    return sorted(found, key=lambda member: (member.joined_at, member.user_id), reverse=True)


def parse_search_request(body: JSONObject) -> SearchRequest:
    """Check a search body (50035 for anything wrong or not modelled)."""
    form = FormErrors()
    for key in body.keys() - {"limit", "and_query"}:
        form.add((key,), "UNSUPPORTED_FIELD", "The fake Discord does not model this field.")
    limit = DEFAULT_LIMIT
    raw_limit = body.get("limit")
    if raw_limit is not None:
        if isinstance(raw_limit, bool) or not isinstance(raw_limit, int):
            form.add(("limit",), "NUMBER_TYPE_COERCE", f'Value "{raw_limit}" is not int.')
        elif not 1 <= raw_limit <= MAX_LIMIT:
            form.add(
                ("limit",),
                "NUMBER_TYPE_MAX" if raw_limit > MAX_LIMIT else "NUMBER_TYPE_MIN",
                f"int value should be between 1 and {MAX_LIMIT}.",
            )
        else:
            limit = raw_limit
    user_ids = _user_ids(form, body.get("and_query"))
    form.raise_if_any()
    return SearchRequest(limit, user_ids)


def _user_ids(form: FormErrors, query: Any) -> frozenset[int] | None:
    if query is None:
        return None
    if not isinstance(query, dict):
        form.add(("and_query",), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return None
    for key in query.keys() - {"user_id"}:
        form.add(("and_query", key), "UNSUPPORTED_FIELD", "The fake Discord does not model this.")
    user_id = query.get("user_id")
    if user_id is None:
        return None
    path: tuple[str | int, ...] = ("and_query", "user_id")
    if not isinstance(user_id, dict) or set(user_id) != {"or_query"}:
        form.add(path, "DICT_TYPE_CONVERT", 'Expected {"or_query": [snowflake, ...]}.')
        return None
    ids = user_id["or_query"]
    if not isinstance(ids, list):
        form.add((*path, "or_query"), "BASE_TYPE_LIST", "Must be an array.")
        return None
    found: set[int] = set()
    for index, raw in enumerate(ids):
        text = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
        if not (text.isdigit() and 0 < int(text) < 1 << 64):
            form.add(
                (*path, "or_query", index), "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.'
            )
            continue
        found.add(int(text))
    return frozenset(found)


def result_json(world: World, member: Member) -> JSONObject:
    """One entry of `members`: the guild member object and how they came in."""
    kind, code, inviter_id = join_source(world, member)
    return {
        "member": shapes.member_json(member, world.user(member.user_id)),
        "source_invite_code": code,
        "join_source_type": int(kind),
        "inviter_id": str(inviter_id) if inviter_id is not None else None,
    }


def not_indexed(retry_after: float) -> web.Response:
    """The 202 Discord answers until the guild is indexed (retry_after in whole seconds)."""
    body = {
        "message": "Index not yet available. Try again later",
        "code": NOT_INDEXED_CODE,
        "documents_indexed": 0,
        "retry_after": max(math.ceil(retry_after), 1),
    }
    return json_response(body, status=202)


def _check_access(guild: Guild) -> None:
    if not has_all(guild.bot_permissions, Permission.MANAGE_GUILD):
        raise errors.missing_permissions()
    if COMMUNITY not in guild.features:
        raise DiscordError(403, 50001, "Missing Access")


async def search_members(request: web.Request) -> web.StreamResponse:
    """`POST /guilds/{guild_id}/members-search` (MANAGE_GUILD, Community guilds).

    Without MANAGE_GUILD, 50013. A guild without the COMMUNITY feature gets 50001 Missing
    Access: Discord is reported to serve the search to Community guilds only, and how it
    refuses others is not known; the fake's choice is that the bot cannot reach the search
    there at all. Then the body is checked (50035), then the index: 202 code 110000 while the
    guild is not indexed yet.
    """
    world = request.app[CONTEXT].world
    guild_id = snowflake(request, "guild_id")
    raw = await read_json(request)
    async with world.lock:
        guild = world.guild(guild_id)
        body = require_object(raw)
        _check_access(guild)
        wanted = parse_search_request(body)
        wait = not_indexed_for(world, guild)
        if wait > 0:
            return not_indexed(wait)
        found = searchable(world, guild_id, world.now())
        if wanted.user_ids is not None:
            found = [member for member in found if member.user_id in wanted.user_ids]
        page = found[: wanted.limit]
        return json_response(
            {
                "guild_id": str(guild_id),
                "members": [result_json(world, member) for member in page],
                "page_result_count": len(page),
                "total_result_count": len(found),
            }
        )


HANDLERS: dict[str, Handler] = {MEMBER_SEARCH: search_members}
"""The member search handler by route key."""
