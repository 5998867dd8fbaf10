"""Retention: the service purges joins and leaves older than the configured period."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from invite_tracker.api.app import create_app
from invite_tracker.db.session import Database
from invite_tracker.services.privacy import member_references
from invite_tracker.services.retention import purge_expired
from tests.integration.api.conftest import GUILD, app_settings, running_app
from tests.integration.api.test_stats import join, leave, store


async def refs(database: Database, member: int) -> int:
    async with database.unit_of_work() as uow:
        return (await member_references(uow, GUILD, member)).total


async def test_the_running_service_purges_on_its_schedule(
    database: Database, database_url: str
) -> None:
    await store(
        database,
        join(1, "old", days_ago=10),
        leave(1, "old", days_ago=9),
        join(2, "new", days_ago=2),
    )
    settings = app_settings(database_url, retention_days=5, retention_interval_seconds=0.05)
    app = create_app(settings, database=database)
    async for _client in running_app(app):
        for _ in range(100):
            if await refs(database, 1) == 0:
                break
            await asyncio.sleep(0.05)
    assert await refs(database, 1) == 0
    assert await refs(database, 2) == 1


async def test_zero_days_keeps_everything(database: Database) -> None:
    await store(database, join(1, "ancient", days_ago=3650))
    async with database.unit_of_work() as uow:
        purged = await purge_expired(uow, retention_days=0, now=datetime.now(UTC))
        await uow.commit()
    assert (purged.joins, purged.leaves) == (0, 0)
    assert await refs(database, 1) == 1


async def test_purge_cuts_exactly_at_the_period(database: Database) -> None:
    now = datetime.now(UTC)
    await store(database, join(1, "a", days_ago=31), join(2, "b", days_ago=30))
    async with database.unit_of_work() as uow:
        purged = await purge_expired(uow, retention_days=31, now=now + timedelta(minutes=1))
        await uow.commit()
    assert purged.joins == 1
    assert await refs(database, 2) == 1
