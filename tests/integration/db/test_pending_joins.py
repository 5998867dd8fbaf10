"""The joins waiting for attribution, as the engine reads them, on each database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from invite_tracker.db.repositories import joins as joins_repository
from invite_tracker.db.session import Database
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.joins import Attribution, NewJoin

GUILD = 2**63 + 7
OTHER = 2**63 + 8
T0 = datetime(2026, 11, 29, 12, tzinfo=UTC)


async def test_pending_ids_and_the_joins_of_some_of_them(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(joins_repository, "IDS_PER_QUERY", 2)  # several IN lists
    async with database.unit_of_work() as uow:
        ids = [
            await uow.joins.add(
                NewJoin(guild, 100 + n, T0 + timedelta(seconds=n), JoinType.PENDING), now=T0
            )
            for n, guild in enumerate([GUILD] * 6 + [OTHER])
        ]
        decided = Attribution(JoinType.UNKNOWN, None, None, (), False, False, "decided")
        await uow.joins.decide(ids[1], decided, now=T0)
        await uow.commit()
    waiting = [ids[0], *ids[2:6]]
    async with database.reading() as uow:
        assert await uow.joins.pending_ids(GUILD) == waiting
        every = await uow.joins.pending(GUILD)
        some = await uow.joins.pending(GUILD, only=[ids[5], ids[1], ids[2], ids[6], ids[4]])
        none = await uow.joins.pending(GUILD, only=[])
    assert [join.id for join in every] == waiting
    # decided, or of another guild: left out; the rest in id order
    assert [join.id for join in some] == [ids[2], ids[4], ids[5]]
    assert [join.member_id for join in some] == [102, 104, 105]
    assert none == []


async def test_reading_the_pending_joins_waits_for_those_being_stored(
    backend: str, database: Database
) -> None:
    """On PostgreSQL, `wait_for_storing` returns once every transaction storing a join of
    the guild has ended (whatever its worker); on SQLite, with one worker, it waits for
    nothing."""
    async with database.unit_of_work() as storing:
        await storing.joins.storing_for(GUILD)
        await storing.joins.add(NewJoin(GUILD, 100, T0, JoinType.PENDING), now=T0)

        async def read_pending() -> list[int]:
            async with database.reading() as uow:
                await uow.joins.wait_for_storing(GUILD)
                return await uow.joins.pending_ids(GUILD)

        reader = asyncio.create_task(read_pending())
        await asyncio.sleep(0.3)
        if backend == "sqlite":
            assert reader.done()
            assert await reader == []  # not committed: not seen
        else:
            assert not reader.done()  # waits for the storing transaction
            async with database.reading() as other:
                await other.joins.wait_for_storing(OTHER)  # another guild's: no wait
        await storing.commit()
    if backend != "sqlite":
        assert len(await asyncio.wait_for(reader, 5.0)) == 1  # committed, then seen
