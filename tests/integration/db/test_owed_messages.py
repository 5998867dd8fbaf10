"""Owed join and leave messages on each database: owed with their event, taken once when due,
held, renewed and marked done."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from invite_tracker.db.models import JoinRow, LeaveRow
from invite_tracker.db.session import Database
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.joins import Attribution, NewJoin, NewLeave

GUILD = 2**63 + 11
T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)
CREDITED = Attribution(JoinType.INVITE, "abc", 20, (), True, False, "one invite used")


async def owed_ids(database: Database, model: type[JoinRow | LeaveRow], guild_id: int) -> list[int]:
    """The ids of the guild's joins or leaves whose message is owed."""
    async with database.reading() as uow:
        rows = await uow.session.scalars(
            select(model.id)
            .where(model.guild_id == guild_id, model.message_due_at.is_not(None))
            .order_by(model.id)
        )
        return list(rows)


async def _owed_joins(database: Database, dues: list[datetime | None]) -> list[int]:
    """A decided join per due time (None: its message is not owed)."""
    async with database.unit_of_work() as uow:
        ids = []
        for n, due in enumerate(dues):
            join_id = await uow.joins.add(NewJoin(GUILD, 100 + n, T0, JoinType.PENDING), now=T0)
            await uow.joins.decide(join_id, CREDITED, now=T0, message_due=due)
            ids.append(join_id)
        await uow.commit()
    return ids


async def test_a_message_is_owed_from_its_decision_and_taken_once_due(database: Database) -> None:
    lease_end = T0 + timedelta(seconds=60)
    ids = await _owed_joins(database, [lease_end, lease_end, None])
    async with database.unit_of_work() as uow:
        early = await uow.messages.take_due("join", now=T0, until=T0, limit=10)
        taken = await uow.messages.take_due(
            "join", now=lease_end, until=lease_end + timedelta(seconds=60), limit=10
        )
        again = await uow.messages.take_due("join", now=lease_end, until=lease_end, limit=10)
        await uow.commit()
    assert early == []  # held by the worker that decided them
    assert [message.event_id for message in taken] == ids[:2]  # the third was never owed
    first = taken[0]
    assert (first.kind, first.guild_id, first.member_id) == ("join", GUILD, 100)
    assert (first.inviter_id, first.invite_code, first.final_at) == (20, "abc", T0)
    assert again == []  # taken until a minute later


async def test_taking_stops_at_the_limit_and_marks_move_or_clear(database: Database) -> None:
    ids = await _owed_joins(database, [T0] * 3)
    async with database.unit_of_work() as uow:
        taken = await uow.messages.take_due("join", now=T0, until=T0, limit=2)
        await uow.messages.set_due("join", [ids[0]], None)  # posted
        await uow.messages.set_due("join", [ids[1]], T0 + timedelta(hours=1))  # held longer
        await uow.commit()
    owed = await owed_ids(database, JoinRow, GUILD)
    async with database.reading() as uow:
        due = await uow.messages.take_due("join", now=T0, until=T0, limit=10)
    assert [message.event_id for message in taken] == ids[:2]
    assert owed == ids[1:]
    assert [message.event_id for message in due] == [ids[2]]
    async with database.unit_of_work() as uow:
        await uow.messages.set_due("join", ids, T0)  # given back: a posted one stays posted
        await uow.commit()
    assert await owed_ids(database, JoinRow, GUILD) == ids[1:]


async def test_a_leave_message_is_owed_with_its_leave(database: Database) -> None:
    async with database.unit_of_work() as uow:
        owed = await uow.leaves.add(
            NewLeave(GUILD, 100, T0, inviter_id=20, invite_code="abc", message_due_at=T0),
            now=T0,
        )
        await uow.leaves.add(NewLeave(GUILD, 101, T0), now=T0)  # a rejoin's: no message
        taken = await uow.messages.take_due("leave", now=T0, until=T0, limit=10)
        joins = await uow.messages.take_due("join", now=T0, until=T0, limit=10)
        await uow.commit()
    assert [(m.kind, m.event_id, m.member_id, m.inviter_id) for m in taken] == [
        (
            "leave",
            owed,
            100,
            20,
        )
    ]
    assert joins == []


async def test_two_workers_taking_at_once_never_take_the_same_message(
    database: Database,
) -> None:
    ids = await _owed_joins(database, [T0] * 40)

    async def take() -> list[int]:
        async with database.unit_of_work() as uow:
            taken = await uow.messages.take_due(
                "join", now=T0, until=T0 + timedelta(minutes=1), limit=25
            )
            await asyncio.sleep(0.05)  # hold the rows a moment: the other worker waits
            await uow.commit()
        return [message.event_id for message in taken]

    first, second = await asyncio.gather(take(), take())
    assert not set(first) & set(second)
    # (on PostgreSQL the second may find its rows taken by the first, and take none: the rest
    # are left for its next look)
    rest = await take()
    assert sorted(first + second + rest) == ids
