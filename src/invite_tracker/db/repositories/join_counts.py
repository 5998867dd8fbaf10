"""What the stats are made of: the guild's joins counted per invite, inviter and type.

Every count is of the joins `since` the retention cutoff (all of them for None), grouped by
one column, with the credited joins (`counted`) and the fakes among them counted apart.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from invite_tracker.db.models import JoinRow
from invite_tracker.domain.invites import JoinType


class JoinCounts:
    """The counting queries over `joins` (the base of `JoinRepository`)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def counts_by_code(
        self,
        guild_id: int,
        inviter_id: int,
        *,
        since: datetime | None,
        until: datetime | None = None,
    ) -> dict[str | None, tuple[int, int]]:
        """Credited joins and fakes of an inviter per invite code: {code: (regular, fakes)};
        with `until`, only the joins made by then."""
        rows = await self._grouped(
            JoinRow.invite_code,
            (func.count(), _fakes()),
            since,
            JoinRow.inviter_id == inviter_id,
            JoinRow.counted.is_(True),
            *(() if until is None else (JoinRow.joined_at <= until,)),
            guild_id=guild_id,
        )
        return {code: (int(regular), int(fakes)) for code, regular, fakes in rows}

    async def credited_between(
        self,
        guild_id: int,
        inviter_id: int,
        *,
        after: datetime,
        until: datetime,
        since: datetime | None,
    ) -> list[tuple[datetime, bool]]:
        """When each join credited to the inviter after `after`, up to `until`, was made, and
        whether it is fake (only those `since` the retention cutoff)."""
        statement = select(JoinRow.joined_at, JoinRow.fake).where(
            JoinRow.guild_id == guild_id,
            JoinRow.inviter_id == inviter_id,
            JoinRow.counted.is_(True),
            JoinRow.joined_at > after,
            JoinRow.joined_at <= until,
        )
        if since is not None:
            statement = statement.where(JoinRow.joined_at >= since)
        return [(joined, bool(fake)) for joined, fake in await self._session.execute(statement)]

    async def counts_by_inviter(
        self, guild_id: int, *, since: datetime | None
    ) -> dict[int, tuple[int, int]]:
        """Credited joins and fakes of every inviter of the guild: {inviter: (regular, fakes)}."""
        rows = await self._grouped(
            JoinRow.inviter_id,
            (func.count(), _fakes()),
            since,
            JoinRow.inviter_id.is_not(None),
            JoinRow.counted.is_(True),
            guild_id=guild_id,
        )
        return {
            inviter: (int(regular), int(fakes))
            for inviter, regular, fakes in rows
            if inviter is not None
        }

    async def counts_by_type(
        self, guild_id: int, *, since: datetime | None
    ) -> dict[JoinType, tuple[int, int, int]]:
        """The guild's joins per type: {type: (joins, credited, fakes)}. A join whose inviter
        was erased (a privacy request) credits no one any more."""
        credited = and_(JoinRow.counted.is_(True), JoinRow.inviter_id.is_not(None))
        rows = await self._grouped(
            JoinRow.join_type,
            (
                func.count(),
                func.count().filter(credited),
                func.count().filter(credited, JoinRow.fake.is_(True)),
            ),
            since,
            guild_id=guild_id,
        )
        return {
            JoinType(kind): (int(joins), int(credited), int(fakes))
            for kind, joins, credited, fakes in rows
        }

    async def _grouped(
        self,
        column: Any,
        counts: tuple[Any, ...],
        since: datetime | None,
        *conditions: ColumnElement[bool],
        guild_id: int,
    ) -> list[Any]:
        """`column` and `counts` of the guild's joins meeting `conditions`, per `column`."""
        statement = (
            select(column, *counts)
            .where(JoinRow.guild_id == guild_id, *conditions)
            .group_by(column)
        )
        if since is not None:
            statement = statement.where(JoinRow.joined_at >= since)
        return list(await self._session.execute(statement))


def _fakes() -> Any:
    return func.count().filter(JoinRow.fake.is_(True))
