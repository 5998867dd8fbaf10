"""Join records: storage, per-invite counts, privacy and retention."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from invite_tracker.db.models import JoinRow
from invite_tracker.db.repositories._dialect import affected, count_where
from invite_tracker.domain.joins import NewJoin


class JoinRepository:
    """Reads and writes `joins`."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, join: NewJoin, *, now: datetime) -> int:
        """Store a join and return its id."""
        row = JoinRow(
            guild_id=join.guild_id,
            member_id=join.member_id,
            is_bot=join.is_bot,
            joined_at=join.joined_at,
            recorded_at=now,
            join_type=join.join_type.value,
            invite_code=join.invite_code,
            inviter_id=join.inviter_id,
            candidates=json.dumps(list(join.candidates)) if join.candidates else None,
            counted=join.counted,
            fake=join.fake,
            reason=join.reason,
            attributed_at=join.attributed_at,
        )
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def counts_by_code(
        self, guild_id: int, inviter_id: int, *, since: datetime | None
    ) -> dict[str | None, tuple[int, int]]:
        """Credited joins and fakes of an inviter per invite code: {code: (regular, fakes)}."""
        statement = (
            select(
                JoinRow.invite_code,
                func.count(),
                func.count().filter(JoinRow.fake.is_(True)),
            )
            .where(
                JoinRow.guild_id == guild_id,
                JoinRow.inviter_id == inviter_id,
                JoinRow.counted.is_(True),
            )
            .group_by(JoinRow.invite_code)
        )
        if since is not None:
            statement = statement.where(JoinRow.joined_at >= since)
        rows = await self._session.execute(statement)
        return {code: (int(regular), int(fakes)) for code, regular, fakes in rows}

    async def count_as_member(self, guild_id: int, member_id: int) -> int:
        """Joins in which the member is the one joining."""
        return await count_where(
            self._session, JoinRow, JoinRow.guild_id == guild_id, JoinRow.member_id == member_id
        )

    async def count_as_inviter(self, guild_id: int, member_id: int) -> int:
        """Joins credited to, or naming, the member as inviter."""
        return await count_where(
            self._session, JoinRow, JoinRow.guild_id == guild_id, JoinRow.inviter_id == member_id
        )

    async def delete_as_member(self, guild_id: int, member_id: int) -> int:
        """Delete the member's own joins (privacy)."""
        result = await self._session.execute(
            delete(JoinRow).where(JoinRow.guild_id == guild_id, JoinRow.member_id == member_id)
        )
        return affected(result)

    async def forget_inviter(self, guild_id: int, member_id: int) -> int:
        """Erase the member as inviter of other members' joins (privacy)."""
        result = await self._session.execute(
            update(JoinRow)
            .where(JoinRow.guild_id == guild_id, JoinRow.inviter_id == member_id)
            .values(inviter_id=None)
        )
        return affected(result)

    async def purge_before(self, cutoff: datetime) -> int:
        """Delete every join older than the retention cutoff, in all guilds."""
        result = await self._session.execute(delete(JoinRow).where(JoinRow.joined_at < cutoff))
        return affected(result)

    async def delete_guild(self, guild_id: int) -> int:
        """Delete every join of the guild (offboarding)."""
        result = await self._session.execute(delete(JoinRow).where(JoinRow.guild_id == guild_id))
        return affected(result)
