"""Leave records: storage, per-invite counts, privacy and retention."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from invite_tracker.db.models import JoinRow, LeaveRow
from invite_tracker.db.repositories._dialect import affected, count_where
from invite_tracker.domain.joins import NewLeave


class LeaveRepository:
    """Reads and writes `leaves`."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, leave: NewLeave, *, now: datetime) -> int:
        """Store a leave and return its id."""
        row = LeaveRow(
            guild_id=leave.guild_id,
            member_id=leave.member_id,
            join_id=leave.join_id,
            inviter_id=leave.inviter_id,
            invite_code=leave.invite_code,
            counted=leave.counted,
            left_at=leave.left_at,
            recorded_at=now,
            message_due_at=leave.message_due_at,
        )
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def claim_early(
        self,
        guild_id: int,
        member_id: int,
        joined_at: datetime,
        join_id: int,
        *,
        until: datetime | None = None,
    ) -> datetime | None:
        """Tie to this join the member's earliest leave stored without a join that is not
        before it (its event came first) nor after `until`; when that leave was, or None
        when there is none."""
        conditions = [
            LeaveRow.guild_id == guild_id,
            LeaveRow.member_id == member_id,
            LeaveRow.join_id.is_(None),
            LeaveRow.left_at >= joined_at,
        ]
        if until is not None:
            conditions.append(LeaveRow.left_at <= until)
        found = await self._session.execute(
            select(LeaveRow.id, LeaveRow.left_at)
            .where(*conditions)
            .order_by(LeaveRow.left_at, LeaveRow.id)
            .limit(1)
        )
        row = found.first()
        if row is None:
            return None
        await self._session.execute(
            update(LeaveRow).where(LeaveRow.id == row.id).values(join_id=join_id)
        )
        left_at: datetime = row.left_at
        return left_at

    async def latest_unclaimed(self, guild_id: int, member_id: int) -> datetime | None:
        """When the member's latest leave stored without its join was (None: there is none)."""
        found: datetime | None = await self._session.scalar(
            select(func.max(LeaveRow.left_at)).where(
                LeaveRow.guild_id == guild_id,
                LeaveRow.member_id == member_id,
                LeaveRow.join_id.is_(None),
            )
        )
        return found

    async def retime(self, join_id: int, left_at: datetime) -> None:
        """The leave that ended this join happened at `left_at` (its event came after the
        member's rejoin, which had ended the join at the rejoin's time)."""
        await self._session.execute(
            update(LeaveRow).where(LeaveRow.join_id == join_id).values(left_at=left_at)
        )

    async def follow_join(
        self, join_id: int, *, counted: bool, inviter_id: int | None, invite_code: str | None
    ) -> None:
        """Bring a leave recorded while its join was pending in line with the join's decision."""
        await self._session.execute(
            update(LeaveRow)
            .where(LeaveRow.join_id == join_id)
            .values(counted=counted, inviter_id=inviter_id, invite_code=invite_code)
        )

    async def counts_by_code(
        self,
        guild_id: int,
        inviter_id: int,
        *,
        since: datetime | None,
        until: datetime | None = None,
    ) -> dict[str | None, int]:
        """Counted leaves against an inviter per invite code; with `until`, those made by then."""
        statement = (
            select(LeaveRow.invite_code, func.count())
            .where(
                LeaveRow.guild_id == guild_id,
                LeaveRow.inviter_id == inviter_id,
                *_counting(since),
            )
            .group_by(LeaveRow.invite_code)
        )
        if until is not None:
            statement = statement.where(LeaveRow.left_at <= until)
        rows = await self._session.execute(statement)
        return {code: int(count) for code, count in rows}

    async def counted_between(
        self,
        guild_id: int,
        inviter_id: int,
        *,
        after: datetime,
        until: datetime,
        since: datetime | None,
    ) -> list[datetime]:
        """When each leave counted against the inviter after `after`, up to `until`, was made
        (only those `since` the retention cutoff)."""
        statement = select(LeaveRow.left_at).where(
            LeaveRow.guild_id == guild_id,
            LeaveRow.inviter_id == inviter_id,
            LeaveRow.left_at > after,
            LeaveRow.left_at <= until,
            *_counting(since),
        )
        return list((await self._session.execute(statement)).scalars())

    async def counts_by_inviter(self, guild_id: int, *, since: datetime | None) -> dict[int, int]:
        """Counted leaves against every inviter of the guild."""
        statement = (
            select(LeaveRow.inviter_id, func.count())
            .where(LeaveRow.guild_id == guild_id, *_counting(since))
            .group_by(LeaveRow.inviter_id)
        )
        rows = await self._session.execute(statement)
        return {inviter: int(count) for inviter, count in rows if inviter is not None}

    async def counts(self, guild_id: int, *, since: datetime | None) -> tuple[int, int]:
        """The guild's leaves, and how many of them count against an inviter (one erased by
        a privacy request no longer does)."""
        statement = select(func.count(), func.count().filter(and_(*_counting(since)))).where(
            LeaveRow.guild_id == guild_id
        )
        if since is not None:
            statement = statement.where(LeaveRow.left_at >= since)
        found = (await self._session.execute(statement)).one()
        return int(found[0]), int(found[1])

    async def count_as_member(self, guild_id: int, member_id: int) -> int:
        """Leaves of the member themself."""
        return await count_where(
            self._session, LeaveRow, LeaveRow.guild_id == guild_id, LeaveRow.member_id == member_id
        )

    async def count_as_inviter(self, guild_id: int, member_id: int) -> int:
        """Leaves that name the member as the inviter of the one leaving."""
        return await count_where(
            self._session, LeaveRow, LeaveRow.guild_id == guild_id, LeaveRow.inviter_id == member_id
        )

    async def delete_as_member(self, guild_id: int, member_id: int) -> int:
        """Delete the member's own leaves (privacy)."""
        result = await self._session.execute(
            delete(LeaveRow).where(LeaveRow.guild_id == guild_id, LeaveRow.member_id == member_id)
        )
        return affected(result)

    async def forget_inviter(self, guild_id: int, member_id: int) -> int:
        """Erase the member as inviter on other members' leaves (privacy)."""
        result = await self._session.execute(
            update(LeaveRow)
            .where(LeaveRow.guild_id == guild_id, LeaveRow.inviter_id == member_id)
            .values(inviter_id=None)
        )
        return affected(result)

    async def purge_before(self, cutoff: datetime) -> int:
        """Delete every leave older than the retention cutoff, in all guilds."""
        result = await self._session.execute(delete(LeaveRow).where(LeaveRow.left_at < cutoff))
        return affected(result)

    async def delete_guild(self, guild_id: int) -> int:
        """Delete every leave of the guild (offboarding)."""
        result = await self._session.execute(delete(LeaveRow).where(LeaveRow.guild_id == guild_id))
        return affected(result)


def _counting(since: datetime | None) -> list[ColumnElement[bool]]:
    """What makes a leave count against its inviter in the retention period (the counting
    policy, `domain.counting`): counted, its inviter known (not erased), made since the
    cutoff, and its join made since the cutoff too."""
    conditions: list[ColumnElement[bool]] = [
        LeaveRow.counted.is_(True),
        LeaveRow.inviter_id.is_not(None),
    ]
    if since is not None:
        joined_in_period = exists().where(
            JoinRow.id == LeaveRow.join_id, JoinRow.joined_at >= since
        )
        conditions += [LeaveRow.left_at >= since, joined_in_period]
    return conditions
