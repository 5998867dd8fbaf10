"""Messages: preview a join or leave message without sending it (an extension)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel

from invite_tracker.api.deps import State, Uow, fields
from invite_tracker.api.envelope import ok
from invite_tracker.api.fields import EmbedFlag, InviteCode, Snowflake, Text
from invite_tracker.api.routing import EnvelopeRoute, documented
from invite_tracker.api.schemas import PreviewRead
from invite_tracker.clock import utcnow
from invite_tracker.domain.errors import BadRequest, ModuleDisabled, SettingsMissing, Unprocessable
from invite_tracker.services.messages import MessageSubject, PreviewRequest, preview_message

router = APIRouter(route_class=EnvelopeRoute, tags=["Messages"])


class PreviewIn(BaseModel):
    guild_id: Snowflake
    kind: Literal["join", "leave"]
    member_id: Snowflake | None = None
    inviter_id: Snowflake | None = None
    invite_code: InviteCode | None = None
    template: Text | None = None
    is_embed: EmbedFlag | None = None
    channel_id: Snowflake | None = None


@router.post(
    "/messages/preview",
    **documented(PreviewRead, BadRequest, SettingsMissing, ModuleDisabled, Unprocessable),
)
async def preview(
    body: Annotated[PreviewIn, fields(PreviewIn)], uow: Uow, state: State
) -> dict[str, Any]:
    """Render the guild's join or leave message (or `template`, with `is_embed`) for a member
    and inviter, as it would be sent, without sending it. Data comes from Discord when it is
    configured; variables it cannot fill show their placeholders (e.g. "Unknown")."""
    request = PreviewRequest(
        subject=MessageSubject(
            kind=body.kind,
            guild_id=body.guild_id,
            member_id=body.member_id,
            inviter_id=body.inviter_id,
            invite_code=body.invite_code,
        ),
        template=body.template,
        is_embed=body.is_embed,
        channel_id=body.channel_id,
    )
    message = await preview_message(
        uow,
        state.discord,
        request,
        retention_days=state.settings.retention_days,
        now=utcnow(),
    )
    return ok(
        PreviewRead(
            kind=body.kind,
            content=message.content,
            embeds=list(message.embeds),
            allowed_mentions=message.allowed_mentions,
            discord_data=state.discord is not None,
        )
    )
