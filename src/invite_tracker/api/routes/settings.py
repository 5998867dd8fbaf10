"""Settings: read, replace, and offboard a guild."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel

from invite_tracker.api.deps import Reading, State, Uow, fields
from invite_tracker.api.envelope import ok
from invite_tracker.api.fields import EmbedFlag, Flag, Snowflake, Text
from invite_tracker.api.routes.status import Guild
from invite_tracker.api.routing import EnvelopeRoute, documented
from invite_tracker.api.schemas import OffboardRead, SettingsRead
from invite_tracker.clock import utcnow
from invite_tracker.domain.errors import (
    BadRequest,
    ModuleDisabled,
    SettingsMissing,
    StorageUnavailable,
    Unprocessable,
)
from invite_tracker.domain.settings import SettingsValues
from invite_tracker.services import module

router = APIRouter(route_class=EnvelopeRoute, tags=["General"])


class SettingsIn(BaseModel):
    """All eleven fields are required; those that 'can be None' may be null."""

    guild_id: Snowflake
    join_messages_enabled: Flag
    join_messages_channel: Snowflake | None
    join_message_content: Text | None
    join_message_is_embed: EmbedFlag
    leave_messages_enabled: Flag
    leave_messages_channel: Snowflake | None
    leave_message_content: Text | None
    leave_message_is_embed: EmbedFlag
    prevent_own_invite_code: Flag
    server_shared_invite_link: Text | None

    def values(self) -> SettingsValues:
        return SettingsValues(**self.model_dump(exclude={"guild_id"}))


@router.get("/settings", **documented(SettingsRead, BadRequest, SettingsMissing, ModuleDisabled))
async def get_settings(guild: Guild, uow: Reading) -> dict[str, Any]:
    """The guild's invite tracker settings."""
    return ok(SettingsRead.of(await module.require_enabled(uow, guild.guild_id)))


@router.put(
    "/settings",
    **documented(
        SettingsRead, BadRequest, Unprocessable, SettingsMissing, ModuleDisabled, StorageUnavailable
    ),
)
async def put_settings(
    body: Annotated[SettingsIn, fields(SettingsIn)], uow: Uow, state: State
) -> dict[str, Any]:
    """Replace all settings. An enabled message kind needs a channel and content (with
    Discord configured, a channel of this server the bot can see); embed configs are checked
    against Discord's limits; the shared link is stored as its code."""
    stored = await module.replace_settings(
        uow, body.guild_id, body.values(), now=utcnow(), discord=state.discord
    )
    return ok(SettingsRead.of(stored))


@router.delete(
    "/settings/delete", **documented(OffboardRead, BadRequest, SettingsMissing, StorageUnavailable)
)
async def delete_settings(guild: Guild, uow: Uow, state: State) -> dict[str, Any]:
    """Offboard the guild: its settings and every piece of invite tracker data held for it
    (known invites, joins, leaves, stats, its API keys). Works while the module is disabled."""
    removed = await module.delete_guild(uow, guild.guild_id)
    state.engine.forget(guild.guild_id)
    return ok(
        OffboardRead(
            guild_id=str(removed.guild_id),
            deleted={
                "settings": 1,
                "invites": removed.invites,
                "joins": removed.joins,
                "leaves": removed.leaves,
                "api_keys": removed.api_keys,
            },
        )
    )
