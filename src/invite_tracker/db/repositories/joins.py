"""Join records: storage, the join log, privacy and retention (the counts: `join_counts`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text, update

from invite_tracker.db.models import JoinRow
from invite_tracker.db.repositories._dialect import affected, count_where, insert_for
from invite_tracker.db.repositories.join_counts import JoinCounts
from invite_tracker.db.types import signed
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.joins import Attribution, JoinRecord, NewJoin

IDS_PER_QUERY = 500
"""Ids bound in one IN list (well under every driver's limit on parameters)."""


class JoinRepository(JoinCounts):
    """Reads and writes `joins`."""

    async def add(self, join: NewJoin, *, now: datetime, left_at: datetime | None = None) -> int:
        """Store a join and return its id; with `left_at`, a membership that has ended."""
        row = JoinRow(**_values(join, now), left_at=left_at)
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def add_if_absent(self, join: NewJoin, *, now: datetime) -> tuple[JoinRecord, bool]:
        """Store a join unless the member is already present; (the join, whether it is new).

        A repeated member-add for a member still present returns the stored join: it counts
        once. The partial unique index makes this hold under concurrent requests too.
        """
        values = _values(join, now)
        statement = insert_for(self._session, JoinRow).values(**values)
        if join.member_id is not None:
            statement = statement.on_conflict_do_nothing(
                index_elements=["guild_id", "member_id"], index_where=_PRESENT
            )
        result = await self._session.execute(statement.returning(JoinRow.id))
        new_id = result.scalar_one_or_none()
        if new_id is not None:
            return await self._get(new_id), True
        assert join.member_id is not None  # only a present member's join can conflict
        present = await self.present(join.guild_id, join.member_id)
        assert present is not None
        return present, False

    async def _get(self, join_id: int) -> JoinRecord:
        row = await self._session.get(JoinRow, join_id, populate_existing=True)
        assert row is not None
        return _to_domain(row)

    async def get(self, join_id: int) -> JoinRecord | None:
        """One join by id."""
        row = await self._session.get(JoinRow, join_id, populate_existing=True)
        return None if row is None else _to_domain(row)

    async def present(
        self, guild_id: int, member_id: int, *, locked: bool = False
    ) -> JoinRecord | None:
        """The member's join while they are still in the guild. `locked`: the row is locked
        until the transaction ends (PostgreSQL), so two transactions ending one membership
        take turns, and the second no longer finds it present."""
        query = (
            select(JoinRow)
            .where(
                JoinRow.guild_id == guild_id,
                JoinRow.member_id == member_id,
                JoinRow.left_at.is_(None),
            )
            .order_by(JoinRow.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        row = await self._session.scalar(query.with_for_update() if locked else query)
        return None if row is None else _to_domain(row)

    async def joined_at(
        self, guild_id: int, member_id: int, joined_at: datetime, tolerance: timedelta
    ) -> JoinRecord | None:
        """The member's stored join at this time (within `tolerance` either side), if any."""
        row = await self._session.scalar(
            select(JoinRow)
            .where(
                JoinRow.guild_id == guild_id,
                JoinRow.member_id == member_id,
                JoinRow.joined_at.between(joined_at - tolerance, joined_at + tolerance),
            )
            .order_by(JoinRow.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        return None if row is None else _to_domain(row)

    async def latest_ended(
        self, guild_id: int, member_id: int, *, by: datetime | None = None
    ) -> JoinRecord | None:
        """The member's most recent membership that has ended (the one before their present
        join, if they have one); with `by`, the most recent that began by then."""
        query = select(JoinRow).where(
            JoinRow.guild_id == guild_id,
            JoinRow.member_id == member_id,
            JoinRow.left_at.is_not(None),
        )
        if by is not None:
            query = query.where(JoinRow.joined_at <= by)
        row = await self._session.scalar(
            query.order_by(JoinRow.joined_at.desc(), JoinRow.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        return None if row is None else _to_domain(row)

    async def pending(
        self, guild_id: int, *, only: Collection[int] | None = None
    ) -> list[JoinRecord]:
        """Joins of the guild still waiting for attribution (of the ids `only`, if given),
        oldest first."""
        query = select(JoinRow).where(
            JoinRow.guild_id == guild_id, JoinRow.join_type == JoinType.PENDING.value
        )
        if only is None:
            chunks = [query]
        else:
            ids = sorted(only)
            chunks = [
                query.where(JoinRow.id.in_(ids[start : start + IDS_PER_QUERY]))
                for start in range(0, len(ids), IDS_PER_QUERY)
            ]
        found: list[JoinRecord] = []
        for chunk in chunks:
            rows = await self._session.scalars(
                chunk.order_by(JoinRow.id).execution_options(populate_existing=True)
            )
            found.extend(_to_domain(row) for row in rows)
        return found

    async def storing_for(self, guild_id: int) -> None:
        """This transaction stores a join of the guild: on PostgreSQL, a shared transaction
        advisory lock, which `wait_for_storing` waits out (another worker's included). On
        SQLite (one worker) nothing: the engine's in-process `storing` covers it."""
        await self._storing_lock("pg_advisory_xact_lock_shared", guild_id)

    async def wait_for_storing(self, guild_id: int) -> None:
        """Wait until every transaction storing a join of the guild (`storing_for`) has
        ended; those starting later wait until this transaction ends. PostgreSQL only."""
        await self._storing_lock("pg_advisory_xact_lock", guild_id)

    async def lock_member(self, guild_id: int, member_id: int) -> None:
        """This transaction handles an event of the member (a join or a leave): on
        PostgreSQL, the member's transaction advisory lock, so the events of one member are
        handled one at a time across workers, each seeing what the one before stored (a leave
        and its join told at once, a member-add replayed as the member leaves). On SQLite
        nothing: its transactions already take turns."""
        await self._xact_lock("pg_advisory_xact_lock", _member_key(guild_id, member_id))

    async def _storing_lock(self, function: str, guild_id: int) -> None:
        """Take the guild's storing lock (shared or exclusive) until this transaction ends."""
        await self._xact_lock(function, _lock_key(guild_id))

    async def _xact_lock(self, function: str, key: dict[str, int]) -> None:
        """On PostgreSQL, take the two-int advisory lock `key` until the transaction ends."""
        if self._session.get_bind().dialect.name == "postgresql":
            await self._session.execute(text(f"SELECT {function}(:high, :low)"), key)

    async def pending_ids(self, guild_id: int) -> list[int]:
        """The ids of the guild's joins waiting for the invite counts (not those held for
        Discord's member search, see `hold`), oldest first."""
        ids = await self._session.scalars(
            select(JoinRow.id)
            .where(
                JoinRow.guild_id == guild_id,
                JoinRow.join_type == JoinType.PENDING.value,
                JoinRow.candidates.is_(None),
            )
            .order_by(JoinRow.id)
        )
        return list(ids)

    async def hold(self, join_id: int, candidates: Sequence[str], reason: str) -> bool:
        """Keep a pending join pending, with the candidates the invite counts left it and
        why, while Discord's member search is asked about it: a pending join with
        candidates is held. False when it was already decided."""
        result = await self._session.execute(
            update(JoinRow)
            .where(JoinRow.id == join_id, JoinRow.join_type == JoinType.PENDING.value)
            .values(candidates=json.dumps(list(candidates)), reason=reason)
        )
        return bool(affected(result))

    async def held(self, guild_id: int) -> list[JoinRecord]:
        """The guild's held joins (`hold`), oldest first."""
        rows = await self._session.scalars(
            select(JoinRow)
            .where(
                JoinRow.guild_id == guild_id,
                JoinRow.join_type == JoinType.PENDING.value,
                JoinRow.candidates.is_not(None),
            )
            .order_by(JoinRow.id)
            .execution_options(populate_existing=True)
        )
        return [_to_domain(row) for row in rows]

    async def guilds_with_pending(self) -> list[int]:
        """Guilds that have joins waiting for attribution."""
        rows = await self._session.scalars(
            select(JoinRow.guild_id).where(JoinRow.join_type == JoinType.PENDING.value).distinct()
        )
        return list(rows)

    async def decide(
        self,
        join_id: int,
        attribution: Attribution,
        *,
        now: datetime,
        message_due: datetime | None = None,
    ) -> bool:
        """Store a pending join's attribution; False when it was already decided.
        `message_due`: its join message is owed, taken until then (`domain.owed_messages`)."""
        result = await self._session.execute(
            update(JoinRow)
            .where(JoinRow.id == join_id, JoinRow.join_type == JoinType.PENDING.value)
            .values(
                join_type=attribution.join_type.value,
                invite_code=attribution.invite_code,
                inviter_id=attribution.inviter_id,
                candidates=json.dumps(list(attribution.candidates))
                if attribution.candidates
                else None,
                counted=attribution.counted,
                fake=attribution.fake,
                reason=attribution.reason,
                attributed_at=now,
                message_due_at=message_due,
            )
        )
        return bool(affected(result))

    async def credited_before(self, guild_id: int, member_id: int, *, exclude_id: int) -> bool:
        """Whether another join of the member in the guild was credited to an inviter."""
        count = await count_where(
            self._session,
            JoinRow,
            JoinRow.guild_id == guild_id,
            JoinRow.member_id == member_id,
            JoinRow.counted.is_(True),
            JoinRow.id != exclude_id,
        )
        return count > 0

    async def mark_left(self, join_id: int, left_at: datetime) -> None:
        """The member of this join left."""
        await self._session.execute(
            update(JoinRow).where(JoinRow.id == join_id).values(left_at=left_at)
        )

    async def log(
        self,
        guild_id: int,
        *,
        member_id: int | None = None,
        inviter_id: int | None = None,
        invite_code: str | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[JoinRecord]:
        """The guild's joins, newest first, filtered; `before_id` pages back."""
        statement = select(JoinRow).where(JoinRow.guild_id == guild_id)
        if member_id is not None:
            statement = statement.where(JoinRow.member_id == member_id)
        if inviter_id is not None:
            statement = statement.where(JoinRow.inviter_id == inviter_id)
        if invite_code is not None:
            statement = statement.where(JoinRow.invite_code == invite_code)
        if before_id is not None:
            statement = statement.where(JoinRow.id < before_id)
        rows = await self._session.scalars(statement.order_by(JoinRow.id.desc()).limit(limit))
        return [_to_domain(row) for row in rows]

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


_PRESENT = text("left_at IS NULL AND member_id IS NOT NULL")


def _lock_key(guild_id: int) -> dict[str, int]:
    """The guild's id as the two signed 32-bit halves of an advisory lock key: a key space of
    its own, apart from the single 64-bit keys that say which worker owns a guild."""
    return {
        "high": signed(guild_id >> 32 & 0xFFFFFFFF, 32),
        "low": signed(guild_id & 0xFFFFFFFF, 32),
    }


def _member_key(guild_id: int, member_id: int) -> dict[str, int]:
    """A member's lock key: two signed 32-bit halves of a hash of the guild and the member,
    in the same key space as the guilds' storing locks (a collision only makes two events
    wait for each other, one less likely than one in 2^60 for any guild's)."""
    digest = hashlib.blake2b(f"member:{guild_id}:{member_id}".encode(), digest_size=8).digest()
    return {
        "high": int.from_bytes(digest[:4], "big", signed=True),
        "low": int.from_bytes(digest[4:], "big", signed=True),
    }


def _values(join: NewJoin, now: datetime) -> dict[str, Any]:
    return {
        "guild_id": join.guild_id,
        "member_id": join.member_id,
        "is_bot": join.is_bot,
        "joined_at": join.joined_at,
        "recorded_at": now,
        "join_type": join.join_type.value,
        "invite_code": join.invite_code,
        "inviter_id": join.inviter_id,
        "candidates": json.dumps(list(join.candidates)) if join.candidates else None,
        "counted": join.counted,
        "fake": join.fake,
        "reason": join.reason,
        "attributed_at": join.attributed_at,
        "message_due_at": join.message_due_at,
    }


def _to_domain(row: JoinRow) -> JoinRecord:
    return JoinRecord(
        id=row.id,
        guild_id=row.guild_id,
        member_id=row.member_id,
        is_bot=row.is_bot,
        joined_at=row.joined_at,
        recorded_at=row.recorded_at,
        join_type=JoinType(row.join_type),
        invite_code=row.invite_code,
        inviter_id=row.inviter_id,
        candidates=tuple(json.loads(row.candidates)) if row.candidates else (),
        counted=row.counted,
        fake=row.fake,
        reason=row.reason,
        attributed_at=row.attributed_at,
        left_at=row.left_at,
    )
