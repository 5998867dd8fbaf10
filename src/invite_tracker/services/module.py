"""The module's lifecycle and settings: enable, disable, status, settings, offboarding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from invite_tracker.discord.port import DiscordPort
from invite_tracker.domain.discord_objects import require_in_guild
from invite_tracker.domain.errors import (
    DiscordUnavailable,
    ModuleDisabled,
    ModuleEnabled,
    SettingsMissing,
    Unprocessable,
)
from invite_tracker.domain.settings import (
    DEFAULT_SETTINGS,
    GuildSettings,
    SettingsValues,
    check_settings,
)
from invite_tracker.services.ports import UnitOfWorkPort

NO_SETTINGS = "the invite tracker module has no settings for this guild; enable it first"
DISABLED = "the invite tracker module is disabled for this guild"


async def require_settings(
    uow: UnitOfWorkPort, guild_id: int, *, shared_lock: bool = False
) -> GuildSettings:
    """The guild's settings; SettingsMissing when it has none (`shared_lock`: see
    `SettingsRepository.get`; what an event stores must not outlive an offboarding)."""
    settings = await uow.settings.get(guild_id, shared_lock=shared_lock)
    if settings is None:
        raise SettingsMissing(NO_SETTINGS)
    return settings


async def require_enabled(
    uow: UnitOfWorkPort, guild_id: int, *, shared_lock: bool = False
) -> GuildSettings:
    """The guild's settings; SettingsMissing or ModuleDisabled unless the module is on."""
    settings = await require_settings(uow, guild_id, shared_lock=shared_lock)
    if not settings.enabled:
        raise ModuleDisabled(DISABLED)
    return settings


async def enable(uow: UnitOfWorkPort, guild_id: int, *, now: datetime) -> GuildSettings:
    """Enable the module, creating default settings for a guild never seen before. Enabled
    again, the guild's attribution baseline is dropped: joins while it was off were refused,
    so the stored invite counts miss their uses, and the next join would be set against
    them. The engine reads a new baseline at once, as on the first enable."""
    created = await uow.settings.create_if_absent(guild_id, DEFAULT_SETTINGS, enabled=True, now=now)
    if not created:
        if not await uow.settings.switch_enabled(guild_id, enabled=True, now=now):
            raise ModuleEnabled("the invite tracker module is already enabled for this guild")
        await uow.snapshots.delete_guild(guild_id)
    return await require_settings(uow, guild_id)


async def disable(uow: UnitOfWorkPort, guild_id: int, *, now: datetime) -> GuildSettings:
    """Disable the module; all data is kept."""
    if not await uow.settings.switch_enabled(guild_id, enabled=False, now=now):
        await require_settings(uow, guild_id)
        raise ModuleDisabled("the invite tracker module is already disabled for this guild")
    return await require_settings(uow, guild_id)


async def replace_settings(
    uow: UnitOfWorkPort,
    guild_id: int,
    values: SettingsValues,
    *,
    now: datetime,
    discord: DiscordPort | None = None,
) -> GuildSettings:
    """Check and store all settings at once (atomic against a concurrent disable).

    With Discord configured, each enabled message kind's channel is checked to be one of the
    guild's that the bot can see (the bot is in other servers too; a channel is named by id
    alone). When Discord cannot be asked, the settings are stored unchecked: the messages
    are checked again when sent."""
    checked = check_settings(values)
    if discord is not None:
        await require_enabled(uow, guild_id)
        await uow.release()  # no lock held while Discord answers
        await _check_message_channels(discord, guild_id, checked)
    if not await uow.settings.replace_values_if_enabled(guild_id, checked, now=now):
        await require_enabled(uow, guild_id)
    return await require_settings(uow, guild_id)


async def _check_message_channels(
    discord: DiscordPort, guild_id: int, values: SettingsValues
) -> None:
    for kind, enabled, channel_id in (
        ("join", values.join_messages_enabled, values.join_messages_channel),
        ("leave", values.leave_messages_enabled, values.leave_messages_channel),
    ):
        if not enabled or channel_id is None:
            continue
        try:
            require_in_guild(await discord.channel(channel_id), guild_id)
        except Unprocessable as exc:  # unknown, out of the bot's sight, or another server's
            raise Unprocessable(f"{kind}_messages_channel: {exc.reason}") from None
        except DiscordUnavailable:
            return  # cannot be asked now: checked when a message is sent


@dataclass(frozen=True, slots=True)
class Offboarded:
    """What offboarding a guild removed."""

    guild_id: int
    invites: int
    joins: int
    leaves: int
    api_keys: int


async def delete_guild(uow: UnitOfWorkPort, guild_id: int) -> Offboarded:
    """Remove the guild's settings and every piece of invite tracker data held for it."""
    if not await uow.settings.delete(guild_id):
        raise SettingsMissing(NO_SETTINGS)
    leaves = await uow.leaves.delete_guild(guild_id)
    joins = await uow.joins.delete_guild(guild_id)
    invites = await uow.invites.delete_guild(guild_id)
    api_keys = await uow.api_keys.delete_guild(guild_id)
    await uow.snapshots.delete_guild(guild_id)
    return Offboarded(
        guild_id=guild_id, invites=invites, joins=joins, leaves=leaves, api_keys=api_keys
    )
