"""Invite links: the known invites, and creating or deleting invites through Discord."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from invite_tracker.api.deps import State, Uow, fields
from invite_tracker.api.envelope import ok
from invite_tracker.api.fields import Flag, Integer, InviteCode, Snowflake, Text
from invite_tracker.api.routes.status import Guild
from invite_tracker.api.routing import EnvelopeRoute, documented
from invite_tracker.api.schemas import InviteLinksRead, InviteRead
from invite_tracker.clock import utcnow
from invite_tracker.discord.port import InteractionTarget, InviteOptions
from invite_tracker.domain.errors import (
    BadRequest,
    DiscordUnavailable,
    ModuleDisabled,
    SettingsMissing,
    Unprocessable,
)
from invite_tracker.services import invites

router = APIRouter(route_class=EnvelopeRoute, tags=["Invite links"])
DISCORD_ERRORS = (BadRequest, SettingsMissing, ModuleDisabled, Unprocessable, DiscordUnavailable)


class InteractionIn(BaseModel):
    """The slash-command interaction to answer, when the request comes from one. Both fields
    are required, as the seed says, and null when there is no interaction."""

    application_id: Snowflake | None
    token: Text | None

    def interaction(self) -> InteractionTarget | None:
        if self.application_id is None or not self.token:
            return None
        return InteractionTarget(application_id=self.application_id, token=self.token)


class CreateInviteIn(InteractionIn):
    guild_id: Snowflake
    channel_id: Snowflake
    max_uses: Integer
    max_age: Integer
    is_temporary: Flag
    inviter_id: Snowflake | None = Field(
        default=None,
        description="(extension) The member the invite is made for, credited for its joins "
        "instead of the bot; without it, the member who ran the slash command is.",
    )


class DeleteInviteIn(InteractionIn):
    guild_id: Snowflake
    invite_code: InviteCode


@router.get(
    "/invite-links", **documented(InviteLinksRead, BadRequest, SettingsMissing, ModuleDisabled)
)
async def invite_links(guild: Guild, uow: Uow, state: State) -> dict[str, Any]:
    """The guild's live invites, reconciled with Discord when it is configured: new invites
    are added, uses updated, vanished ones tombstoned. While joins are being attributed, the
    list the attribution read within the last rate-limit window is reconciled instead of a
    new read, and `note` says how old it is. Without Discord (or when it fails) the stored
    invites are answered, and `source` and `note` say so; so too, with several workers, when
    another worker is attributing the guild's joins: its reads keep the stored invites
    current, and a read from this worker could meet Discord's rate limit."""
    links = await invites.invite_links(
        uow, state.discord, guild.guild_id, now=utcnow(), turn=state.engine.outside_read
    )
    return ok(
        InviteLinksRead(
            guild_id=str(guild.guild_id),
            source=links.source,
            note=links.note,
            invites=[InviteRead.of(invite) for invite in links.invites],
        )
    )


@router.post("/invite", **documented(InviteRead, *DISCORD_ERRORS))
async def create_invite(
    body: Annotated[CreateInviteIn, fields(CreateInviteIn)], uow: Uow, state: State
) -> dict[str, Any]:
    """Create a real Discord invite (max_uses 0..100, max_age 0..604800 s) and store it; with
    `application_id` and `token`, the interaction's original reply is edited to show the link.
    If only that reply fails, the invite exists and is stored, and the error says so.
    Discord names the bot as the inviter of the invites it makes, so the member it is made
    for is credited for its joins instead, and answered as `credited_to`: `inviter_id` (an
    extension) when given, else the member who ran the slash command, as Discord's answer to
    the reply says."""
    invite = await invites.create_invite(
        uow,
        state.discord,
        body.guild_id,
        body.channel_id,
        InviteOptions(max_uses=body.max_uses, max_age=body.max_age, temporary=body.is_temporary),
        interaction=body.interaction(),
        clock=utcnow,
        credit_to=body.inviter_id,
    )
    return ok(InviteRead.of(invite))


@router.delete("/invite", **documented(InviteRead, *DISCORD_ERRORS))
async def delete_invite(
    body: Annotated[DeleteInviteIn, fields(DeleteInviteIn)], uow: Uow, state: State
) -> dict[str, Any]:
    """Delete a Discord invite and remember it as deleted by staff; replies to the
    interaction like POST /invite."""
    invite = await invites.delete_invite(
        uow,
        state.discord,
        body.guild_id,
        body.invite_code,
        interaction=body.interaction(),
        now=utcnow(),
    )
    return ok(InviteRead.of(invite))
