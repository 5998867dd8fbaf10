"""The schema on each database: migrations, exact ids, aware times, duplicate-proof joins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Connection, inspect
from sqlalchemy.exc import IntegrityError

from invite_tracker.db.migrate import alembic_config, upgrade
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
