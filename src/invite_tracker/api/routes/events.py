"""Checks: events the Husqy bot (or our gateway worker) reports. Internal keys only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel

from invite_tracker.api.deps import State, Uow, fields
from invite_tracker.api.envelope import ok
from invite_tracker.api.fields import Flag, Integer, InviteCode, Snowflake, Timestamp
from invite_tracker.api.routing import EnvelopeRoute, documented
from invite_tracker.api.schemas import InviteRead, JoinRead, LeaveRead
from invite_tracker.clock import utcnow
from invite_tracker.domain.access import Scope
from invite_tracker.domain.errors import (
    BadRequest,
    Forbidden,
    ModuleDisabled,
    SettingsMissing,
    StorageUnavailable,
    Unprocessable,
)
from invite_tracker.domain.invites import InviteReport
from invite_tracker.services import invites, joins

router = APIRouter(route_class=EnvelopeRoute, tags=["Checks"])
EVENT_ERRORS = (BadRequest, Forbidden, SettingsMissing, ModuleDisabled)


class InviteCreatedIn(BaseModel):
    """INVITE_CREATE: the seed's three fields, plus what Discord's event carries."""

    guild_id: Snowflake
    invite_code: InviteCode
    channel_id: Snowflake
    inviter_id: Snowflake | None = None
    uses: Integer = 0
    max_uses: Integer | None = None
    max_age: Integer | None = None
    temporary: Flag | None = None
    created_at: Timestamp | None = None
    expires_at: Timestamp | None = None

    def report(self) -> InviteReport:
        return InviteReport(
            code=self.invite_code,
            channel_id=self.channel_id,
            inviter_id=self.inviter_id,
            uses=self.uses,
            max_uses=self.max_uses,
            max_age=self.max_age,
            temporary=self.temporary,
            created_at=self.created_at,
            expires_at=self.expires_at,
        )


class InviteDeletedIn(BaseModel):
    guild_id: Snowflake
    invite_code: InviteCode


class MemberEventIn(BaseModel):
    guild_id: Snowflake
    member_id: Snowflake | None = None


@router.post(
    "/events/invite/create",
    **documented(InviteRead, *EVENT_ERRORS, Unprocessable, StorageUnavailable),
)
async def invite_created(
    body: Annotated[InviteCreatedIn, fields(InviteCreatedIn, Scope.INTERNAL)],
    uow: Uow,
    state: State,
) -> dict[str, Any]:
    """Save an invite (from INVITE_CREATE). Repeating the event is harmless."""
    invite = await invites.invite_created(uow, body.guild_id, body.report(), now=utcnow())
    state.engine.notify(body.guild_id)
    return ok(InviteRead.of(invite))


@router.post("/events/invite/delete", **documented(InviteRead, *EVENT_ERRORS, StorageUnavailable))
async def invite_deleted(
    body: Annotated[InviteDeletedIn, fields(InviteDeletedIn, Scope.INTERNAL)], uow: Uow
) -> dict[str, Any]:
    """Tombstone an invite (from INVITE_DELETE): told apart as used up, expired or deleted.
    A code never seen is remembered as gone."""
    invite = await invites.invite_deleted(uow, body.guild_id, body.invite_code, now=utcnow())
    return ok(InviteRead.of(invite))


class JoinEventIn(MemberEventIn):
    joined_at: Timestamp | None = None
    is_bot: Flag = False


class LeaveEventIn(MemberEventIn):
    left_at: Timestamp | None = None


@router.post(
    "/events/join/check-invite",
    **documented(JoinRead, *EVENT_ERRORS, Unprocessable, StorageUnavailable),
)
async def join_check(
    body: Annotated[JoinEventIn, fields(JoinEventIn, Scope.INTERNAL)], state: State
) -> dict[str, Any]:
    """Register a join and attribute it. The join is stored first, then attributed from the
    guild's invite counts; if that takes longer than a short wait the answer is `pending` and
    the decision appears in the join log. A repeated member-add counts once (`repeated`)."""
    now = utcnow()
    outcome = await joins.record_join(
        state.database,
        state.engine,
        guild_id=body.guild_id,
        member_id=body.member_id,
        joined_at=body.joined_at,
        is_bot=body.is_bot,
        wait_seconds=state.settings.attribution_wait_seconds,
        now=now,
    )
    return ok(JoinRead.of(outcome.join, repeated=outcome.repeated))


@router.post(
    "/events/leave/check-invite",
    **documented(LeaveRead, *EVENT_ERRORS, Unprocessable, StorageUnavailable),
)
async def leave_check(
    body: Annotated[LeaveEventIn, fields(LeaveEventIn, Scope.INTERNAL)], state: State
) -> dict[str, Any]:
    """Register a leave: tied to the member's latest join, it counts against that join's
    inviter. Without `member_id` the leave is accepted and attributes nothing."""
    now = utcnow()
    outcome = await joins.record_leave(
        state.database,
        state.engine,
        guild_id=body.guild_id,
        member_id=body.member_id,
        left_at=body.left_at,
        now=now,
    )
    join = outcome.join
    return ok(
        LeaveRead(
            member_id=None if outcome.member_id is None else str(outcome.member_id),
            join_id=None if join is None else join.id,
            inviter_id=None if join is None or join.inviter_id is None else str(join.inviter_id),
            invite_code=None if join is None else join.invite_code,
            counted=outcome.counted,
            repeated=outcome.repeated,
            reason=outcome.reason,
        )
    )
