"""Throughput and latency of the API's busiest paths, on SQLite and PostgreSQL.

Runs the real app in-process (httpx over ASGI, so the network is not measured) against a
fresh database of each kind, whose guild first gets `--joins` decided joins (a tenth of them
left since) from `--inviters` inviters, and prints, per operation: requests, requests per
second, p50 and p95 latency. Figures only; nothing is asserted. Compare ratios within one run.

    .venv/bin/python -m benchmarks.api_throughput [--requests 500] [--concurrency 50]
        [--joins 50000] [--inviters 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import insert

from invite_tracker.api.app import create_app
from invite_tracker.clock import utcnow
from invite_tracker.db.migrate import upgrade
from invite_tracker.db.models import JoinRow, LeaveRow
from invite_tracker.db.session import Database
from invite_tracker.logging import configure_logging
from invite_tracker.settings import Settings

KEY = "benchmark-internal-key"
PREFIX = "/modules/invite-tracker"
GUILD = 424242424242424242
POSTGRES = os.environ.get(
    "INVITE_TRACKER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
ROW = "{:<10} {:<14} {:>4} {:>6} {:>9} {:>8} {:>8}"
Call = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


@asynccontextmanager
async def sqlite_url() -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"


@asynccontextmanager
async def postgres_url() -> AsyncIterator[str]:
    name = f"invite_tracker_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(POSTGRES)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base = POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(POSTGRES)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def invite_event(client: httpx.AsyncClient, n: int) -> httpx.Response:
    body = {"guild_id": GUILD, "invite_code": f"code{n}", "channel_id": 1, "inviter_id": n % 20 + 1}
    return await client.post(f"{PREFIX}/events/invite/create", json=body)


async def stats_read(client: httpx.AsyncClient, n: int) -> httpx.Response:
    params = {"guild_id": GUILD, "inviter_id": n % 20 + 1}
    return await client.get(f"{PREFIX}/stats/uses", params=params)


async def settings_put(client: httpx.AsyncClient, n: int) -> httpx.Response:
    body = {
        "guild_id": GUILD,
        "join_messages_enabled": True,
        "join_messages_channel": n + 1,
        "join_message_content": '{"title": "Welcome <user_mention>"}',
        "join_message_is_embed": True,
        "leave_messages_enabled": False,
        "leave_messages_channel": None,
        "leave_message_content": None,
        "leave_message_is_embed": False,
        "prevent_own_invite_code": True,
        "server_shared_invite_link": "discord.gg/bench",
    }
    return await client.put(f"{PREFIX}/settings", json=body)


async def status_read(client: httpx.AsyncClient, n: int) -> httpx.Response:
    return await client.get(f"{PREFIX}/status", params={"guild_id": GUILD})


async def leaderboard_read(client: httpx.AsyncClient, n: int) -> httpx.Response:
    params = {"guild_id": GUILD, "limit": 10, "offset": (n % 5) * 10}
    return await client.get(f"{PREFIX}/leaderboard", params=params)


async def summary_read(client: httpx.AsyncClient, n: int) -> httpx.Response:
    return await client.get(f"{PREFIX}/stats/summary", params={"guild_id": GUILD})


OPERATIONS: dict[str, Call] = {
    "invite event": invite_event,
    "stats read": stats_read,
    "leaderboard": leaderboard_read,
    "summary": summary_read,
    "settings put": settings_put,
    "status read": status_read,
}
BATCH = 5000


async def populate(database: Database, joins: int, inviters: int) -> None:
    """Decided joins spread over the inviters (a third of them through 20 busy inviters, as
    in real guilds), one in ten left since, one in twenty a fake rejoin."""
    now = utcnow()
    for start in range(0, joins, BATCH):
        rows, leaves = [], []
        for n in range(start, min(start + BATCH, joins)):
            inviter = (n * 7919) % inviters + 1 if n % 3 else n % 20 + 1
            rows.append(
                {
                    "guild_id": GUILD,
                    "member_id": 10**15 + n,
                    "is_bot": False,
                    "joined_at": now,
                    "recorded_at": now,
                    "join_type": "invite",
                    "invite_code": f"code{inviter}",
                    "inviter_id": inviter,
                    "counted": True,
                    "fake": n % 20 == 0,
                    "left_at": now if n % 10 == 0 else None,
                    "attributed_at": now,
                }
            )
            if n % 10 == 0:
                leaves.append(
                    {
                        "guild_id": GUILD,
                        "member_id": 10**15 + n,
                        "left_at": now,
                        "recorded_at": now,
                        "inviter_id": inviter,
                        "invite_code": f"code{inviter}",
                        "counted": n % 20 != 0,
                    }
                )
        async with database.unit_of_work() as uow:
            await uow.session.execute(insert(JoinRow), rows)
            await uow.session.execute(insert(LeaveRow), leaves)
            await uow.commit()
    if database.dialect == "postgresql":
        # as autovacuum soon would on a live database: statistics, and a visibility map that
        # lets the counts read the indexes alone
        async with database.engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.exec_driver_sql("VACUUM ANALYZE joins, leaves")


async def measure(
    client: httpx.AsyncClient, call: Call, requests: int, concurrency: int
) -> tuple[float, float, float]:
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with gate:
            started = time.perf_counter()
            response = await call(client, n)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(response.text)

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(requests)))
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=20)
    return requests / elapsed, statistics.median(latencies) * 1000, quantiles[18] * 1000


async def run_backend(
    name: str, url: str, requests: int, concurrency: int, joins: int, inviters: int
) -> list[str]:
    database = Database.from_url(url)
    await upgrade(database.engine)
    app = create_app(Settings(database_url=url, internal_api_keys=KEY), database=database)
    rows = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {KEY}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://b", headers=headers
        ) as client:
            await client.post(f"{PREFIX}/enable", json={"guild_id": GUILD})
            await populate(database, joins, inviters)
            for label, call in OPERATIONS.items():
                for parallel in (1, concurrency):
                    rate, p50, p95 = await measure(client, call, requests, parallel)
                    rows.append(
                        ROW.format(
                            name,
                            label,
                            parallel,
                            requests,
                            f"{rate:.0f}",
                            f"{p50:.2f}",
                            f"{p95:.2f}",
                        )
                    )
    await database.dispose()
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--joins", type=int, default=50_000)
    parser.add_argument("--inviters", type=int, default=2000)
    args = parser.parse_args()
    sizes = (args.requests, args.concurrency, args.joins, args.inviters)
    configure_logging("WARNING")  # one access-log line per request would be measured too
    print(ROW.format("database", "operation", "conc", "reqs", "req/s", "p50 ms", "p95 ms"))
    async with sqlite_url() as url:
        for row in await run_backend("sqlite", url, *sizes):
            print(row, flush=True)
    try:
        async with postgres_url() as url:
            for row in await run_backend("postgresql", url, *sizes):
                print(row, flush=True)
    except OSError as exc:
        print(f"postgresql skipped: not reachable ({exc})")


if __name__ == "__main__":
    asyncio.run(main())
