"""Joins told between workers: PostgreSQL's LISTEN/NOTIFY, on a connection of its own.

With several workers, the one holding a guild's advisory lock attributes it, and a join event
that reaches another worker would otherwise be seen only when the attributor next looks at
storage. Every millisecond between a join and the read after it is one in which another join
can blur it, so the worker storing the join says so at once (`CHANNEL`), and the attributing
worker reads as it would for a join event of its own. Once it has decided joins, it says so
too (`DECIDED_CHANNEL`): the worker whose join check waits for one of them answers at once,
instead of when it next looks at storage.

The signals only hasten things: when the connection is lost, a worker goes on without them
(the attributor still looks at storage after each read and every quarter of the margin, and
a waiting join check every few tenths of a second) and connects again in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = structlog.get_logger(__name__)

CHANNEL = "invite_tracker_join_heard"
DECIDED_CHANNEL = "invite_tracker_joins_decided"
PAYLOAD_LIMIT = 7900
"""Bytes of a payload at most: PostgreSQL refuses 8000 and more."""
RECONNECT_AFTER = (1.0, 30.0)
"""The first wait before connecting again, and the longest (doubling in between)."""

Heard = Callable[[int, datetime], None]
Decided = Callable[[int, list[int]], None]


def encode(guild_id: int, joined_at: datetime) -> str:
    """The NOTIFY payload of a join event: the guild and when the member joined."""
    return f"{guild_id} {joined_at.isoformat()}"


def decode(payload: str) -> tuple[int, datetime] | None:
    """The guild and join time a payload names; None for anything else."""
    guild, _, instant = payload.partition(" ")
    try:
        joined_at = datetime.fromisoformat(instant)
        guild_id = int(guild)
    except ValueError:
        return None
    if joined_at.tzinfo is None or guild_id <= 0:
        return None
    return guild_id, joined_at


def encode_decided(guild_id: int, join_ids: Sequence[int]) -> list[str]:
    """The NOTIFY payloads telling that these joins of the guild are decided: the guild,
    then the ids, split over as many payloads as their length needs."""
    head = f"{guild_id} "
    payloads: list[str] = []
    current = head
    for join_id in join_ids:
        piece = str(join_id) if current == head else f",{join_id}"
        if current != head and len(current) + len(piece) > PAYLOAD_LIMIT:
            payloads.append(current)
            current, piece = head, str(join_id)
        current += piece
    if current != head:
        payloads.append(current)
    return payloads


def decode_decided(payload: str) -> tuple[int, list[int]] | None:
    """The guild and the decided joins a payload names; None for anything else."""
    guild, _, listed = payload.partition(" ")
    try:
        guild_id = int(guild)
        join_ids = [int(text) for text in listed.split(",")]
    except ValueError:
        return None
    if guild_id <= 0 or any(join_id <= 0 for join_id in join_ids):
        return None
    return guild_id, join_ids


class JoinSignals:
    """Publishes this worker's join events and decisions, and hears the other workers' (not
    its own)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._heard: Heard | None = None
        self._decided: Decided | None = None
        self._connection: AsyncConnection | None = None
        self._driver: Any = None  # the asyncpg connection under it
        self._pid: int | None = None
        self._sending = asyncio.Lock()  # one statement at a time on the connection
        self._tasks: set[asyncio.Task[None]] = set()
        self._reconnecting: asyncio.Task[None] | None = None
        self._closed = False
        self.published = 0
        self.received = 0

    @property
    def server_pid(self) -> int | None:
        """The PostgreSQL backend of the listening connection (None before connecting)."""
        return self._pid

    @property
    def connected(self) -> bool:
        """Whether the signals flow now."""
        return self._driver is not None and not self._driver.is_closed()

    async def start(self, heard: Heard, decided: Decided | None = None) -> None:
        """Listen, calling `heard(guild_id, joined_at)` for each other worker's join event,
        and `decided(guild_id, join_ids)` for its decisions. A failure to connect is logged,
        and connecting is tried again in the background."""
        self._heard, self._decided = heard, decided
        if not await self._connect():
            self._reconnect()

    def publish(self, guild_id: int, joined_at: datetime) -> None:
        """Tell the other workers of a join event (in the background; never raises)."""
        self._send(CHANNEL, encode(guild_id, joined_at))

    def publish_decided(self, guild_id: int, join_ids: Sequence[int]) -> None:
        """Tell the other workers these joins are decided (in the background; never
        raises)."""
        for payload in encode_decided(guild_id, join_ids):
            self._send(DECIDED_CHANNEL, payload)

    def _send(self, channel: str, payload: str) -> None:
        if self._closed or not self.connected:
            return
        task = asyncio.create_task(self._notify(channel, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop listening and publishing; close the connection."""
        self._closed = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnecting
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=1.0)
        await self._disconnect(lost=False)

    async def _connect(self) -> bool:
        try:
            connection = await self._engine.connect()
        except Exception as exc:
            log.warning("join_signals_unavailable", reason=type(exc).__name__)
            return False
        try:
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection  # asyncpg's connection
            await driver.add_listener(CHANNEL, self._received)
            await driver.add_listener(DECIDED_CHANNEL, self._received)
            driver.add_termination_listener(self._lost)
            self._pid = driver.get_server_pid()
        except BaseException as exc:  # cancelled (the service stopping) included
            with contextlib.suppress(Exception):
                await connection.invalidate()
            if not isinstance(exc, Exception):
                raise
            log.warning("join_signals_unavailable", reason=type(exc).__name__)
            return False
        self._connection, self._driver = connection, driver
        return True

    async def _disconnect(self, *, lost: bool) -> None:
        """Let the connection go: back to the pool, or discarded when it was `lost`."""
        connection, driver = self._connection, self._driver
        self._connection = self._driver = None
        if connection is None:
            return
        with contextlib.suppress(Exception):
            if lost:
                await connection.invalidate()
                return
            await driver.remove_listener(CHANNEL, self._received)
            await driver.remove_listener(DECIDED_CHANNEL, self._received)
        with contextlib.suppress(Exception):
            await connection.close()

    async def _notify(self, channel: str, payload: str) -> None:
        try:
            async with self._sending:
                if self._driver is None:
                    return
                await self._driver.execute("SELECT pg_notify($1, $2)", channel, payload)
            self.published += 1
        except Exception as exc:
            log.warning("join_signal_not_sent", reason=type(exc).__name__)
            self._lost(None)

    def _received(self, _connection: Any, pid: int, channel: str, payload: str) -> None:
        if pid == self._pid:
            return  # our own
        if channel == CHANNEL:
            event = decode(payload)
            if event is not None and self._heard is not None:
                self.received += 1
                self._heard(*event)
        elif (told := decode_decided(payload)) is not None and self._decided is not None:
            self.received += 1
            self._decided(*told)

    def _lost(self, _connection: Any) -> None:
        if self._closed or (self._reconnecting is not None and not self._reconnecting.done()):
            return
        log.warning("join_signals_lost")
        self._reconnect()

    def _reconnect(self) -> None:
        self._reconnecting = asyncio.create_task(self._reconnect_loop(), name="join-signals")

    async def _reconnect_loop(self) -> None:
        await self._disconnect(lost=True)
        wait, longest = RECONNECT_AFTER
        while not self._closed:
            await asyncio.sleep(wait)
            if await self._connect():
                log.info("join_signals_connected")
                return
            wait = min(wait * 2, longest)
