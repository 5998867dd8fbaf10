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


def heard_by(found: list[tuple[int, datetime]]) -> Callable[[int, datetime], None]:
    return lambda guild_id, joined_at: found.append((guild_id, joined_at))


def decided_by(found: list[tuple[int, list[int]]]) -> Callable[[int, list[int]], None]:
    return lambda guild_id, join_ids: found.append((guild_id, join_ids))


async def test_join_events_and_decisions_reach_the_other_workers_and_not_their_own(
    postgres: Database, database_url: str
) -> None:
    other = Database.from_url(database_url)
    heard: dict[str, list[tuple[int, datetime]]] = {"here": [], "there": []}
    decided: dict[str, list[tuple[int, list[int]]]] = {"here": [], "there": []}
    here, there = JoinSignals(postgres.engine), JoinSignals(other.engine)
    many = list(range(10**17, 10**17 + 1000))  # more than one payload holds
    try:
        for name, signals in (("here", here), ("there", there)):
            await signals.start(heard_by(heard[name]), decided_by(decided[name]))
        here.publish(7, JOINED)
        here.publish_decided(7, [41, 42])
        here.publish_decided(8, many)
        await eventually(lambda: heard["there"] and len(decided["there"]) == 4)
        await asyncio.sleep(0.1)  # time for our own to come back, were they not ignored
    finally:
        await here.close()
        await there.close()
        await other.dispose()
    assert heard == {"here": [], "there": [(7, JOINED)]}
    assert decided["here"] == []
    assert decided["there"][0] == (7, [41, 42])
    assert [guild for guild, _ in decided["there"][1:]] == [8, 8, 8]
    assert [join for _, ids in decided["there"][1:] for join in ids] == many
    assert (here.published, there.received) == (5, 5)


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
