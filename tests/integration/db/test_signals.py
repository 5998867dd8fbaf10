"""Join signals between workers over PostgreSQL's LISTEN/NOTIFY, on a real server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from invite_tracker.db import signals as signals_module
from invite_tracker.db.session import Database
from invite_tracker.db.signals import JoinSignals

JOINED = datetime(2026, 11, 30, 21, 0, tzinfo=UTC)


async def eventually(condition: Callable[[], object], limit: float = 5.0) -> None:
    """Wait until `condition()` holds, up to `limit` seconds."""
    for _ in range(int(limit / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)


@pytest.fixture
def postgres(database: Database) -> Database:
    if database.dialect != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; SQLite serves one worker")
    return database


async def test_a_join_event_reaches_the_other_workers_and_not_its_own(
    postgres: Database, database_url: str
) -> None:
    other = Database.from_url(database_url)
    heard_here: list[tuple[int, datetime]] = []
    heard_there: list[tuple[int, datetime]] = []
    here, there = JoinSignals(postgres.engine), JoinSignals(other.engine)
    try:
        await here.start(lambda *event: heard_here.append(event))
        await there.start(lambda *event: heard_there.append(event))
        here.publish(7, JOINED)
        await eventually(lambda: heard_there)
        await asyncio.sleep(0.1)  # time for our own to come back, were it not ignored
    finally:
        await here.close()
        await there.close()
        await other.dispose()
    assert heard_there == [(7, JOINED)]
    assert heard_here == []
    assert (here.published, there.received) == (1, 1)


async def test_a_lost_connection_is_made_again(
    postgres: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server ends the listening connection (a restart, an idle timeout): the worker
    goes on without signals meanwhile and connects again."""
    monkeypatch.setattr(signals_module, "RECONNECT_AFTER", (0.1, 0.5))
    other = Database.from_url(database_url)
    heard: list[tuple[int, datetime]] = []
    here, there = JoinSignals(postgres.engine), JoinSignals(other.engine)
    try:
        await here.start(lambda *event: None)
        await there.start(lambda *event: heard.append(event))
        async with postgres.engine.connect() as admin:
            await admin.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": there.server_pid}
            )
            await admin.commit()
        await eventually(lambda: not there.connected, 2.0)
        lost = not there.connected
        await eventually(lambda: there.connected)
        here.publish(8, JOINED)
        await eventually(lambda: heard)
    finally:
        await here.close()
        await there.close()
        await other.dispose()
    assert lost
    assert heard == [(8, JOINED)]
