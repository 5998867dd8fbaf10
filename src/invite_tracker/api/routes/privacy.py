"""Privacy: what the module holds about a member, and deleting it. Internal keys only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel

from invite_tracker.api.deps import Reading, Uow, fields
from invite_tracker.api.envelope import ok
from invite_tracker.api.fields import Snowflake
from invite_tracker.api.routing import EnvelopeRoute, documented
from invite_tracker.api.schemas import PrivacyRead, ReferencesRead
from invite_tracker.domain.access import Scope
from invite_tracker.domain.errors import BadRequest, Forbidden
from invite_tracker.domain.joins import MemberReferences
from invite_tracker.services import privacy

router = APIRouter(route_class=EnvelopeRoute, tags=["Privacy"])


class PrivacyIn(BaseModel):
    guild_id: Snowflake
    privacy_member_id: Snowflake


Member = Annotated[PrivacyIn, fields(PrivacyIn, Scope.INTERNAL)]


def _answer(body: PrivacyIn, refs: MemberReferences) -> dict[str, Any]:
    return ok(
        PrivacyRead(
            guild_id=str(body.guild_id),
            privacy_member_id=str(body.privacy_member_id),
            entries=ReferencesRead.of(refs),
        )
    )


@router.get("/privacy/get-user-entries", **documented(PrivacyRead, BadRequest, Forbidden))
async def get_user_entries(body: Member, uow: Reading) -> dict[str, Any]:
    """How many references to the member the module holds in the guild: their joins and
    leaves, joins and leaves naming them as inviter, and invites they created."""
    return _answer(
        body, await privacy.member_references(uow, body.guild_id, body.privacy_member_id)
    )


@router.delete("/privacy/delete-user-entries", **documented(PrivacyRead, BadRequest, Forbidden))
async def delete_user_entries(body: Member, uow: Uow) -> dict[str, Any]:
    """Delete the member's joins and leaves and erase them as inviter and invite creator;
    answers how many references were removed."""
    return _answer(body, await privacy.forget_member(uow, body.guild_id, body.privacy_member_id))
