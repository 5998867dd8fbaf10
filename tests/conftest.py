"""Fixtures shared by the suite: the two real databases, the app, and an HTTP client.

Every database-backed test runs twice, on SQLite and on PostgreSQL. PostgreSQL comes from
INVITE_TRACKER_TEST_POSTGRES_URL (default: the local server, user postgres); each run makes
its own database and drops it at the end. When PostgreSQL cannot be reached, that half is
skipped with the reason shown in the summary and in the report header, never silently.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from invite_tracker.db.migrate import upgrade
from invite_tracker.db.models import (
    ApiKeyRow,
    GuildSettingsRow,
    GuildSnapshotRow,
    InviteRow,
    JoinRow,
    LeaveRow,
)
from invite_tracker.db.session import Database

POSTGRES_ADMIN_URL = os.environ.get(
    "INVITE_TRACKER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgresql")
_TABLES_IN_DELETE_ORDER = (
    LeaveRow,
    JoinRow,
    InviteRow,
    ApiKeyRow,
    GuildSnapshotRow,
    GuildSettingsRow,
)


def _postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    import asyncpg

    async def probe() -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=3)
        await connection.close()

    try:
        asyncio.run(probe())
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


_POSTGRES_PROBLEM: str | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _POSTGRES_PROBLEM
    _POSTGRES_PROBLEM = _postgres_problem()


def pytest_report_header(config: pytest.Config) -> list[str]:
    if _POSTGRES_PROBLEM is None:
        return ["databases: SQLite and PostgreSQL (" + POSTGRES_ADMIN_URL + ")"]
    return [
        "databases: SQLite only. WARNING: PostgreSQL is NOT reachable at "
        f"{POSTGRES_ADMIN_URL} ({_POSTGRES_PROBLEM}); the PostgreSQL half is SKIPPED"
    ]


async def _postgres_database() -> AsyncIterator[str]:
    import asyncpg

    name = f"invite_tracker_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind a test runs on."""
    name: str = request.param
    if name == "postgresql" and _POSTGRES_PROBLEM is not None:
        pytest.skip(f"PostgreSQL not reachable ({_POSTGRES_PROBLEM}): PostgreSQL half skipped")
    return name


@pytest.fixture(scope="session")
async def database_url(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated, empty database of the backend, for the whole session."""
    if backend == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "invite-tracker.db"
        url = f"sqlite+aiosqlite:///{path}"
        await _migrate(url)
        yield url
        return
    async for url in _postgres_database():
        await _migrate(url)
        yield url


async def _migrate(url: str) -> None:
    database = Database.from_url(url)
    try:
        await upgrade(database.engine)
    finally:
        await database.dispose()


@pytest.fixture(scope="session")
async def session_database(database_url: str) -> AsyncIterator[Database]:
    """One engine per backend for the session."""
    database = Database.from_url(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def database(session_database: Database) -> AsyncIterator[Database]:
    """The backend's database, emptied after the test."""
    yield session_database
    async with session_database.unit_of_work() as uow:
        for table in _TABLES_IN_DELETE_ORDER:
            await uow.session.execute(delete(table))
        await uow.commit()
