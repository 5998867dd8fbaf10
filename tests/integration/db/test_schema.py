"""The schema on each database: migrations, exact ids, aware times, duplicate-proof joins."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection, insert, inspect, text
from sqlalchemy.exc import IntegrityError

from invite_tracker.db.migrate import alembic_config, upgrade
from invite_tracker.db.models import Base
from invite_tracker.db.session import Database
from invite_tracker.domain.invites import InviteReport, JoinType
from invite_tracker.domain.joins import NewJoin

HUGE = 2**64 - 1
GUILD = 2**63 + 5


async def test_migrations_go_down_and_up_again(database_url: str) -> None:
    database = Database.from_url(database_url)

    def downgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")

    def tables(connection: Connection) -> set[str]:
        return set(inspect(connection).get_table_names())

    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(downgrade)
            assert await connection.run_sync(tables) <= {"alembic_version"}
        await upgrade(database.engine)
        async with database.engine.connect() as connection:
            found = await connection.run_sync(tables)
        assert found >= {"guild_settings", "invites", "joins", "leaves", "api_keys"}
    finally:
        await database.dispose()


async def test_snowflakes_up_to_two_to_the_64_round_trip(database: Database) -> None:
    now = datetime.now(UTC)
    async with database.unit_of_work() as uow:
        await uow.invites.record(
            GUILD, InviteReport(code="big", channel_id=HUGE, inviter_id=HUGE), now=now
        )
        await uow.commit()
    async with database.unit_of_work() as uow:
        invite = await uow.invites.get(GUILD, "big")
        mine = await uow.invites.list_for_inviter(GUILD, HUGE)
    assert invite is not None
    assert (invite.guild_id, invite.channel_id, invite.inviter_id) == (GUILD, HUGE, HUGE)
    assert [i.code for i in mine] == ["big"]
    assert invite.first_seen_at.tzinfo is not None
    assert abs((invite.first_seen_at - now).total_seconds()) < 1


async def test_a_present_member_cannot_have_two_joins(database: Database) -> None:
    now = datetime.now(UTC)
    join = NewJoin(guild_id=1, member_id=2, joined_at=now, join_type=JoinType.UNKNOWN)
    async with database.unit_of_work() as uow:
        await uow.joins.add(join, now=now)
        with pytest.raises(IntegrityError):
            await uow.joins.add(join, now=now)
        await uow.rollback()


def _join(member: int, now: datetime) -> NewJoin:
    return NewJoin(guild_id=GUILD, member_id=member, joined_at=now, join_type=JoinType.PENDING)


async def _add_joins(database: Database, members: range, now: datetime) -> list[int]:
    async with database.unit_of_work() as uow:
        ids = [await uow.joins.add(_join(member, now), now=now) for member in members]
        await uow.commit()
    return ids


async def _forget_then_join(database: Database, forgotten: int, member: int) -> int:
    """Delete a member's joins (a privacy request), then store another member's join."""
    now = datetime.now(UTC)
    async with database.unit_of_work() as uow:
        assert await uow.joins.delete_as_member(GUILD, forgotten) == 1
        await uow.commit()
    (join_id,) = await _add_joins(database, range(member, member + 1), now)
    return join_id


async def test_the_id_of_a_deleted_newest_join_is_never_given_again(database: Database) -> None:
    """The engine tells pending joins apart by id: a reused id would hand a deleted member's
    decision to the next join."""
    first, newest = await _add_joins(database, range(1, 3), datetime.now(UTC))
    after = await _forget_then_join(database, forgotten=2, member=3)
    assert after > newest > first


async def test_upgrading_an_older_sqlite_database_keeps_every_join_and_leave_link(
    tmp_path: Path,
) -> None:
    """Migration 0004 rebuilds SQLite's joins table; dropping the old one must not cut the
    leaves' links to their joins (ON DELETE SET NULL)."""
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'older.db'}")
    now = datetime.now(UTC)
    try:
        await upgrade(database.engine, "0003")
        # written with the columns of 0003: the repositories write those of the newest schema
        join_table, leave_table = Base.metadata.tables["joins"], Base.metadata.tables["leaves"]
        async with database.unit_of_work() as uow:
            ids = []
            for member in range(1, 4):
                row = {"member_id": member, "joined_at": now, "join_type": "pending"}
                added = await uow.session.execute(
                    insert(join_table)
                    .values(guild_id=GUILD, recorded_at=now, **row)
                    .returning(join_table.c.id)
                )
                ids.append(added.scalar_one())
            leave = {"member_id": 1, "join_id": ids[0], "left_at": now, "recorded_at": now}
            await uow.session.execute(insert(leave_table).values(guild_id=GUILD, **leave))
            await uow.commit()

        await upgrade(database.engine)

        async with database.reading() as uow:
            joins = [await uow.joins.get(join_id) for join_id in ids]
            links = (await uow.session.execute(text("SELECT join_id FROM leaves"))).all()
        assert [join.member_id for join in joins if join is not None] == [1, 2, 3]
        assert links == [(ids[0],)]
        assert await _forget_then_join(database, forgotten=3, member=4) > ids[-1]
    finally:
        await database.dispose()
