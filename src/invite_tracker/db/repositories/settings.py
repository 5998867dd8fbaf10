"""Guild settings rows."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from invite_tracker.db.models import GuildSettingsRow
from invite_tracker.db.repositories._dialect import affected, insert_for
from invite_tracker.domain.settings import GuildSettings, SettingsValues

_VALUE_FIELDS = tuple(field.name for field in dataclasses.fields(SettingsValues))


class SettingsRepository:
    """Reads and writes `guild_settings`; each write is one atomic statement."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(
        self, guild_id: int, *, shared_lock: bool = False, against_changes: bool = False
    ) -> GuildSettings | None:
        """The guild's settings, or None when the guild has none. `shared_lock` (PostgreSQL;
        SQLite has one writer at a time anyway): the row stays locked against an offboarding
        (FOR KEY SHARE: a change of the settings is not held up) until this transaction
        ends, so what it writes for the guild is either in place before the offboarding
        removes the guild's data, or refused after it. `against_changes`: against any change
        too (FOR SHARE: an enable, a disable, new settings wait, or are waited for)."""
        lock: dict[str, bool] | None = None
        if against_changes:
            lock = {"read": True}
        elif shared_lock:
            lock = {"read": True, "key_share": True}
        row = await self._session.get(
            GuildSettingsRow, guild_id, populate_existing=True, with_for_update=lock
        )
        return None if row is None else _to_domain(row)

    async def create_if_absent(
        self, guild_id: int, values: SettingsValues, *, enabled: bool, now: datetime
    ) -> bool:
        """Insert settings unless the guild has some; True when this call inserted them."""
        statement = (
            insert_for(self._session, GuildSettingsRow)
            .values(
                guild_id=guild_id,
                enabled=enabled,
                created_at=now,
                updated_at=now,
                **dataclasses.asdict(values),
            )
            .on_conflict_do_nothing(index_elements=["guild_id"])
        )
        result = await self._session.execute(statement)
        return bool(affected(result))

    async def switch_enabled(self, guild_id: int, *, enabled: bool, now: datetime) -> bool:
        """Flip the module on or off; True only if it was in the other state (atomic)."""
        statement = (
            update(GuildSettingsRow)
            .where(GuildSettingsRow.guild_id == guild_id, GuildSettingsRow.enabled.is_(not enabled))
            .values(enabled=enabled, updated_at=now)
        )
        result = await self._session.execute(statement)
        return bool(affected(result))

    async def replace_values_if_enabled(
        self, guild_id: int, values: SettingsValues, *, now: datetime
    ) -> bool:
        """Replace every editable field while the module is enabled; False otherwise."""
        statement = (
            update(GuildSettingsRow)
            .where(GuildSettingsRow.guild_id == guild_id, GuildSettingsRow.enabled.is_(True))
            .values(updated_at=now, **dataclasses.asdict(values))
        )
        result = await self._session.execute(statement)
        return bool(affected(result))

    async def delete(self, guild_id: int) -> bool:
        """Remove the guild's settings; True when there were some."""
        result = await self._session.execute(
            delete(GuildSettingsRow).where(GuildSettingsRow.guild_id == guild_id)
        )
        return bool(affected(result))

    async def exists(self, guild_id: int) -> bool:
        """Whether the guild has settings."""
        found = await self._session.scalar(
            select(GuildSettingsRow.guild_id).where(GuildSettingsRow.guild_id == guild_id)
        )
        return found is not None


def _to_domain(row: GuildSettingsRow) -> GuildSettings:
    values = SettingsValues(**{name: getattr(row, name) for name in _VALUE_FIELDS})
    return GuildSettings(guild_id=row.guild_id, enabled=row.enabled, values=values)
