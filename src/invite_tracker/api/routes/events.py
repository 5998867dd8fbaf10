"""Checks: events the Husqy bot (or our gateway worker) reports. Internal keys only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel

from invite_tracker.api.deps import Uow, fields
from invite_tracker.api.envelope import ok
from invite_tracker.api.fields import Flag, Integer, InviteCode, Snowflake, Timestamp
from invite_tracker.api.routing import EnvelopeRoute, documented
from invite_tracker.api.schemas import InviteRead
from invite_tracker.clock import utcnow
from invite_tracker.domain.access import Scope
from invite_tracker.domain.errors import (
    BadRequest,
    DiscordUnavailable,
    Forbidden,
    ModuleDisabled,
    SettingsMissing,
    StorageUnavailable,
    Unprocessable,
)
from invite_tracker.domain.invites import InviteReport
from invite_tracker.services import invites, module

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


def _check_counts(body: InviteCreatedIn) -> None:
    negative = [
        name
        for name in ("uses", "max_uses", "max_age")
        if (value := getattr(body, name)) is not None and value < 0
    ]
    if negative:
        raise Unprocessable(f"{', '.join(negative)} cannot be negative")


@router.post(
    "/events/invite/create",
    **documented(InviteRead, *EVENT_ERRORS, Unprocessable, StorageUnavailable),
)
async def invite_created(
    body: Annotated[InviteCreatedIn, fields(InviteCreatedIn, Scope.INTERNAL)], uow: Uow
) -> dict[str, Any]:
    """Save an invite (from INVITE_CREATE). Repeating the event is harmless."""
    _check_counts(body)
    invite = await invites.invite_created(uow, body.guild_id, body.report(), now=utcnow())
    return ok(InviteRead.of(invite))


@router.post("/events/invite/delete", **documented(InviteRead, *EVENT_ERRORS, StorageUnavailable))
async def invite_deleted(
    body: Annotated[InviteDeletedIn, fields(InviteDeletedIn, Scope.INTERNAL)], uow: Uow
) -> dict[str, Any]:
    """Tombstone an invite (from INVITE_DELETE): told apart as used up, expired or deleted.
    A code never seen is remembered as gone."""
    invite = await invites.invite_deleted(uow, body.guild_id, body.invite_code, now=utcnow())
    return ok(InviteRead.of(invite))


NOT_YET = (
    "join and leave attribution is not part of this version of the service yet; "
    "nothing was recorded"
)


@router.post(
    "/events/join/check-invite",
    **documented(dict, *EVENT_ERRORS, Unprocessable, DiscordUnavailable, StorageUnavailable),
)
async def join_check(
    body: Annotated[MemberEventIn, fields(MemberEventIn, Scope.INTERNAL)], uow: Uow
) -> dict[str, Any]:
    """Register a join and attribute it to an invite."""
    await module.require_enabled(uow, body.guild_id)
    raise DiscordUnavailable(NOT_YET)


@router.post(
    "/events/leave/check-invite",
    **documented(dict, *EVENT_ERRORS, DiscordUnavailable, StorageUnavailable),
)
async def leave_check(
    body: Annotated[MemberEventIn, fields(MemberEventIn, Scope.INTERNAL)], uow: Uow
) -> dict[str, Any]:
    """Register a leave against the member's latest join."""
    await module.require_enabled(uow, body.guild_id)
    raise DiscordUnavailable(NOT_YET)
