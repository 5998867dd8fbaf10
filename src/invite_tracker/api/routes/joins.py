"""The join log: every join with its attribution (an extension)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel

from invite_tracker.api.deps import State, fields
from invite_tracker.api.envelope import ok
from invite_tracker.api.fields import InviteCode, Snowflake, Within
from invite_tracker.api.routing import EnvelopeRoute, documented
from invite_tracker.api.schemas import JoinLogRead, JoinRead
from invite_tracker.domain.errors import BadRequest, ModuleDisabled, SettingsMissing, Unprocessable
from invite_tracker.services import joins

router = APIRouter(route_class=EnvelopeRoute, tags=["Joins"])
MAX_PAGE = 200


class JoinLogIn(BaseModel):
    guild_id: Snowflake
    member_id: Snowflake | None = None
    inviter_id: Snowflake | None = None
    invite_code: InviteCode | None = None
    limit: Annotated[int, Within(1, MAX_PAGE)] = 50
    before: Annotated[int, Within(1)] | None = None


@router.get(
    "/joins", **documented(JoinLogRead, BadRequest, Unprocessable, SettingsMissing, ModuleDisabled)
)
async def join_log(query: Annotated[JoinLogIn, fields(JoinLogIn)], state: State) -> dict[str, Any]:
    """The guild's joins, newest first, each with its attribution (type, code, inviter,
    candidates when ambiguous, counted/fake flags, reason) and times. Filter by member,
    inviter or code; page with `limit` (1..200) and `before` (a join id)."""
    found = await joins.join_log(
        state.database,
        query.guild_id,
        member_id=query.member_id,
        inviter_id=query.inviter_id,
        invite_code=query.invite_code,
        before_id=query.before,
        limit=query.limit,
    )
    more = len(found) == query.limit
    return ok(
        JoinLogRead(
            guild_id=str(query.guild_id),
            joins=[JoinRead.of(join) for join in found],
            next_before=found[-1].id if more and found else None,
        )
    )
