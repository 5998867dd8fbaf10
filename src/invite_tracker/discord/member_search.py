"""Discord's undocumented member search (`POST /guilds/{guild_id}/members-search`): the request
body, and reading its answer into `MemberSource`s.

hikari has no method for the route, so it is sent through the REST client's private
`_request` (hikari's own rate limiting, retries and error answers still apply). The route may
change without notice: anything unexpected in an answer is `DiscordUnavailable`, never a crash.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from hikari.internal import routes

from invite_tracker.domain.cross_check import MemberSource
from invite_tracker.domain.errors import DiscordUnavailable, SearchNotReady

SEARCH_ROUTE = routes.Route(routes.POST, "/guilds/{guild}/members-search")
SEARCH_BATCH = 1000
"""Most member ids asked in one request: Discord's `limit` is 1..1000."""
NOT_INDEXED_CODE = 110000
DEFAULT_NOT_READY_WAIT = 15.0
"""Seconds to wait before asking again when a not-indexed answer gives no `retry_after`."""

RawRequest = Callable[..., Awaitable[Any]]


def private_request(client: object) -> RawRequest | None:
    """hikari's private `RESTClientImpl._request`, or None when this hikari has none."""
    request = getattr(client, "_request", None)
    return request if callable(request) else None


def batches(member_ids: Sequence[int]) -> list[list[int]]:
    """The distinct ids in request-sized batches, in the order given."""
    distinct = list(dict.fromkeys(member_ids))
    return [distinct[at : at + SEARCH_BATCH] for at in range(0, len(distinct), SEARCH_BATCH)]


def search_body(member_ids: Sequence[int]) -> dict[str, Any]:
    """Search these members only, all of them in one page."""
    return {
        "limit": len(member_ids),
        "and_query": {"user_id": {"or_query": [str(member_id) for member_id in member_ids]}},
    }


async def send(request: RawRequest, guild_id: int, member_ids: Sequence[int]) -> object:
    """One search request; an answer hikari cannot decode is `DiscordUnavailable`."""
    try:
        return await request(SEARCH_ROUTE.compile(guild=guild_id), json=search_body(member_ids))
    except ValueError as exc:  # hikari decodes a 2xx's JSON itself
        raise _malformed("its body is not valid JSON") from exc


def read_answer(body: object, member_ids: Sequence[int]) -> list[MemberSource]:
    """The sources of the asked members the answer lists; `SearchNotReady` for the 202."""
    if not isinstance(body, dict):
        raise _malformed("it is not a JSON object")
    if body.get("code") == NOT_INDEXED_CODE:
        wait = _positive(body.get("retry_after")) or DEFAULT_NOT_READY_WAIT
        raise SearchNotReady(
            f"Discord's member search has not indexed the guild yet; ask again in {wait:g} s",
            wait,
        )
    members = body.get("members")
    if not isinstance(members, list):
        raise _malformed("it has no `members` list")
    asked = set(member_ids)
    sources = [_source(index, entry) for index, entry in enumerate(members)]
    return [source for source in sources if source.member_id in asked]


def _source(index: int, entry: object) -> MemberSource:
    where = f"members[{index}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("member"), dict):
        raise _malformed(f"{where} is not a result with a `member` object")
    member = entry["member"]
    user = member.get("user")
    if not isinstance(user, dict):
        raise _malformed(f"{where}.member has no `user` object")
    kind = entry.get("join_source_type", 0)
    if kind is None:
        kind = 0  # no source said: UNSPECIFIED, which settles nothing
    if isinstance(kind, bool) or not isinstance(kind, int):
        raise _malformed(f"{where}.join_source_type is not an integer")
    code = entry.get("source_invite_code")
    if code is not None and not isinstance(code, str):
        raise _malformed(f"{where}.source_invite_code is not a string")
    inviter = entry.get("inviter_id")
    return MemberSource(
        member_id=_snowflake(user.get("id"), f"{where}.member.user.id"),
        joined_at=_timestamp(member.get("joined_at"), f"{where}.member.joined_at"),
        join_source_type=kind,
        invite_code=code or None,
        inviter_id=None if inviter is None else _snowflake(inviter, f"{where}.inviter_id"),
    )


def _snowflake(value: object, where: str) -> int:
    text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if not text.isdigit() or not 0 < int(text) < 1 << 64:
        raise _malformed(f"{where} is not a snowflake")
    return int(text)


def _timestamp(value: object, where: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _malformed(f"{where} is not an ISO 8601 timestamp")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _malformed(f"{where} is not an ISO 8601 timestamp") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _positive(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    wait = float(value)
    return wait if math.isfinite(wait) and wait > 0 else None


def _malformed(why: str) -> DiscordUnavailable:
    return DiscordUnavailable(f"search the guild's members: Discord's answer is malformed ({why})")
