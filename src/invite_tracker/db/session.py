"""Engines and the unit of work: one session per request or job, committed once by its owner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from invite_tracker.db.repositories import (
    ApiKeyRepository,
    InviteRepository,
    JoinRepository,
    LeaveRepository,
    MessageRepository,
    SettingsRepository,
    SnapshotRepository,
)
from invite_tracker.db.types import signed

SQLITE_BUSY_TIMEOUT_MS = 30_000


def create_engine(url: str, *, echo: bool = False, reads_only: bool = False) -> AsyncEngine:
    """An async engine for a SQLite or PostgreSQL URL.

    SQLite gets WAL, foreign keys, a busy timeout and `BEGIN IMMEDIATE` transactions, so that
    concurrent writers queue instead of failing with "database is locked". An engine for
    `reads_only` begins deferred transactions instead: in WAL mode they neither wait for nor
    hold up the writer.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return _create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10)
    engine = _create_async_engine(
        url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")

    return engine


class UnitOfWork:
    """The repositories of one transaction. Whoever opened it commits it, once, at the end
    (`release` ends it early, before waiting on Discord)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.settings = SettingsRepository(session)
        self.invites = InviteRepository(session)
        self.joins = JoinRepository(session)
        self.leaves = LeaveRepository(session)
        self.api_keys = ApiKeyRepository(session)
        self.snapshots = SnapshotRepository(session)
        self.messages = MessageRepository(session)

    async def commit(self) -> None:
        """Make everything done in this unit of work durable."""
        await self.session.commit()

    async def rollback(self) -> None:
        """Forget everything done in this unit of work."""
        await self.session.rollback()

    async def release(self) -> None:
        """Commit what was done so far and hold no lock or connection until the next
        statement, which begins a new transaction: before waiting on Discord. On SQLite a
        unit of work holds the database's one write lock from its first statement, and every
        other write would wait on Discord."""
        await self.session.commit()


class Database:
    """An engine and the units of work it hands out."""

    def __init__(self, engine: AsyncEngine, reader: AsyncEngine | None = None) -> None:
        self.engine = engine
        self._reader = reader
        self._sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self._read_sessions = async_sessionmaker(
            reader or engine, expire_on_commit=False, autoflush=False
        )

    @classmethod
    def from_url(cls, url: str) -> Database:
        """A database for a URL, with the engine settings each backend needs (on SQLite a
        second engine for reads, so frequent lookups do not queue behind writes)."""
        reader = create_engine(url, reads_only=True) if url.startswith("sqlite") else None
        return cls(create_engine(url), reader)

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        """A fresh unit of work; rolled back unless its owner committed it."""
        async with self._sessions() as session:
            uow = UnitOfWork(session)
            try:
                yield uow
            finally:
                if session.in_transaction():
                    await session.rollback()

    @property
    def shared(self) -> bool:
        """Whether other workers may use the database too: PostgreSQL (SQLite serves one)."""
        return self.dialect == "postgresql"

    @asynccontextmanager
    async def guild_lock(self, guild_id: int) -> AsyncIterator[bool]:
        """Try to own a guild's attribution across workers: yields whether it is ours.

        On PostgreSQL a session advisory lock, held on its own connection for the whole block;
        on SQLite (one worker) always granted, the in-process lock being enough.
        """
        if self.dialect != "postgresql":
            yield True
            return
        key = signed(guild_id, 64)
        async with self.engine.connect() as connection:
            # A session lock outlives a transaction: if anything interrupts us (cancellation
            # included), the connection is discarded rather than pooled, which releases it.
            try:
                owned = bool(
                    await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
                )
                await connection.commit()
            except BaseException:
                await connection.invalidate()
                raise
            try:
                yield owned
            except BaseException:
                if owned:
                    await connection.invalidate()
                raise
            if owned:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                await connection.commit()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work for lookups only: never committed, always rolled back."""
        async with self._read_sessions() as session:
            try:
                yield UnitOfWork(session)
            finally:
                if session.in_transaction():
                    await session.rollback()

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        if self._reader is not None:
            await self._reader.dispose()
