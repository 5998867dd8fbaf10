"""Status: whether the module is on for a guild, and switching it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel

from invite_tracker.api.deps import Reading, State, Uow, fields
from invite_tracker.api.envelope import ok
from invite_tracker.api.fields import Snowflake
from invite_tracker.api.routing import EnvelopeRoute, documented
from invite_tracker.api.schemas import StatusRead
from invite_tracker.clock import utcnow
from invite_tracker.domain.errors import (
    BadRequest,
    ModuleDisabled,
    ModuleEnabled,
    SettingsMissing,
    StorageUnavailable,
)
from invite_tracker.domain.settings import GuildSettings
from invite_tracker.services import module

router = APIRouter(route_class=EnvelopeRoute, tags=["Status"])


class GuildIn(BaseModel):
    guild_id: Snowflake


Guild = Annotated[GuildIn, fields(GuildIn)]


def _status(settings: GuildSettings) -> dict[str, Any]:
    return ok(StatusRead(guild_id=str(settings.guild_id), enabled=settings.enabled))


@router.get("/status", **documented(StatusRead, BadRequest, SettingsMissing))
async def get_status(guild: Guild, uow: Reading) -> dict[str, Any]:
    """Whether the module is enabled for the guild (answers while disabled too)."""
    return _status(await module.require_settings(uow, guild.guild_id))


@router.post("/enable", **documented(StatusRead, BadRequest, ModuleEnabled, StorageUnavailable))
async def enable(guild: Guild, uow: Uow, state: State) -> dict[str, Any]:
    """Enable the module; a guild never seen before gets default settings. With Discord
    configured, the guild's invites are read at once as the baseline for attribution."""
    enabled = await module.enable(uow, guild.guild_id, now=utcnow())
    await uow.commit()  # stored before the engine reads anew
    state.engine.forget(guild.guild_id)  # what it held from before is stale too
    state.engine.notify(guild.guild_id)
    return _status(enabled)


@router.post(
    "/disable",
    **documented(StatusRead, BadRequest, SettingsMissing, ModuleDisabled, StorageUnavailable),
)
async def disable(guild: Guild, uow: Uow) -> dict[str, Any]:
    """Disable the module; all data is kept."""
    return _status(await module.disable(uow, guild.guild_id, now=utcnow()))
