"""Guild API keys, kept as hashes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from invite_tracker.db.models import ApiKeyRow
from invite_tracker.db.repositories._dialect import affected
from invite_tracker.domain.api_keys import StoredApiKey


class ApiKeyRepository:
    """Reads and writes `api_keys`."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, *, key_id: str, guild_id: int, key_hash: str, label: str | None, now: datetime
    ) -> StoredApiKey:
        """Store a new key's hash."""
        row = ApiKeyRow(
            key_id=key_id, guild_id=guild_id, key_hash=key_hash, label=label, created_at=now
        )
        self._session.add(row)
        await self._session.flush()
        return _to_domain(row)

    async def find_by_hash(self, key_hash: str) -> StoredApiKey | None:
        """The key with this hash, revoked or not."""
        row = await self._session.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash))
        return None if row is None else _to_domain(row)

    async def get(self, key_id: str) -> StoredApiKey | None:
        """A key by its public id."""
        row = await self._session.get(ApiKeyRow, key_id, populate_existing=True)
        return None if row is None else _to_domain(row)

    async def list_for_guild(self, guild_id: int | None) -> list[StoredApiKey]:
        """Keys of a guild (or of every guild), oldest first."""
        statement = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.key_id)
        if guild_id is not None:
            statement = statement.where(ApiKeyRow.guild_id == guild_id)
        return [_to_domain(row) for row in await self._session.scalars(statement)]

    async def revoke(self, key_id: str, *, now: datetime) -> bool:
        """Revoke a key; False when it is unknown or already revoked."""
        result = await self._session.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.key_id == key_id, ApiKeyRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(affected(result))

    async def delete_guild(self, guild_id: int) -> int:
        """Delete every key bound to the guild (offboarding)."""
        result = await self._session.execute(
            delete(ApiKeyRow).where(ApiKeyRow.guild_id == guild_id)
        )
        return affected(result)


def _to_domain(row: ApiKeyRow) -> StoredApiKey:
    return StoredApiKey(
        key_id=row.key_id,
        guild_id=row.guild_id,
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
