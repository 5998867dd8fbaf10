"""The attribution engine: one attributor per guild turns snapshots and joins into decisions.

A join is stored durably first (as `pending`), then handed to its guild's attributor, which
owns the guild's ledger: it fetches the invites (one request serves every join waiting, and
never more than one is in flight), lets the ledger decide what the evidence allows, and stores
the decisions together with the new baseline in one transaction. On PostgreSQL an advisory
lock makes one worker the guild's attributor; the others store their joins and read the
decisions back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from datetime import datetime

import structlog

from invite_tracker.discord.port import DiscordPort
from invite_tracker.domain.joins import JoinRecord
from invite_tracker.services.announcer import Announcer
from invite_tracker.services.attribution_loop import AttributionLoop
from invite_tracker.services.attribution_pacing import (
    EngineConfig,
    EngineStats,
    GuildAttribution,
    idle_guilds,
    join_heard,
)
from invite_tracker.services.attribution_reads import InviteReader
from invite_tracker.services.attribution_turns import read_turn
from invite_tracker.services.attribution_waiters import DecisionWaiters
from invite_tracker.services.invites import Turn
from invite_tracker.services.ports import JoinSignalsPort, Storage
from invite_tracker.services.tasks import stop_within

log = structlog.get_logger(__name__)


class AttributionEngine:
    """Runs the guilds' attributors in this process."""

    def __init__(
        self,
        storage: Storage,
        discord: DiscordPort | None,
        config: EngineConfig,
        *,
        announcer: Announcer,
        clock: Callable[[], datetime],
        signals: JoinSignalsPort | None = None,
    ) -> None:
        self._storage = storage
        self._signals = signals  # other workers, told of the join events this one hears
        self._config = config
        self.announcer = announcer
        self._guilds: dict[int, GuildAttribution] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._waiters = DecisionWaiters(storage, config.owner_poll * 3)
        self._stopping = asyncio.Event()
        self.stats = EngineStats()
        reader = (
            InviteReader(storage, discord, config, clock=clock, pause=self._pause, stats=self.stats)
            if discord is not None
            else None
        )
        self._loop = AttributionLoop(
            storage,
            discord,
            config,
            reader=reader,
            clock=clock,
            stats=self.stats,
            stopping=self._stopping,
            pause=self._pause,
            announce=self.announce,
        )

    def announce(self, guild_id: int, joins: list[JoinRecord]) -> None:
        """Joins now final: wake whoever waits for them (in other workers too) and send
        their messages."""
        self._waiters.decided(joins)
        if self._signals is not None and joins:
            self._signals.publish_decided(guild_id, [join.id for join in joins])
        self.announcer.joins_decided(guild_id, joins)

    def decided_elsewhere(self, guild_id: int, join_ids: list[int]) -> None:
        """Another worker decided these joins of the guild: the join checks here waiting for
        them look at storage now, instead of when they next would."""
        if self._waiters.look_again(join_ids):
            self.stats.decided_elsewhere += 1

    def notify(self, guild_id: int) -> None:
        """A join of the guild is stored and waits: make sure its attributor runs."""
        if self._stopping.is_set():
            return  # the join stays stored; the next start resumes it
        attributor = self._guilds.setdefault(guild_id, GuildAttribution(guild_id))
        attributor.active_at = time.monotonic()
        attributor.wake.set()
        if attributor.task is None or attributor.task.done():
            attributor.task = asyncio.create_task(
                self._loop.run(attributor), name=f"attribution-{guild_id}"
            )
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.create_task(self._sweep(), name="attribution-sweeper")

    async def wait_for(
        self, join_id: int, wait_seconds: float, *, guild_id: int | None = None
    ) -> JoinRecord | None:
        """The join once decided, or None if it is still pending after `wait_seconds`.

        Decisions made in this process arrive at once; while another worker owns the guild,
        the database is looked at now and then for them instead.
        """
        return await self._waiters.wait(
            join_id, wait_seconds, local=lambda: guild_id is not None and self._owns(guild_id)
        )

    def join_heard(self, guild_id: int, joined_at: datetime) -> None:
        """A join event of the guild, whose module is on, is being stored (its transaction
        is not committed yet): if the join happened after the guild's latest read, the read it
        calls for leaves now, while the join is stored. The join is decided only once
        committed and loaded (see `storing`). Every millisecond between a join and the read
        after it is one in which another member's join can blur it."""
        if self._stopping.is_set():
            return
        attributor = self._guilds.setdefault(guild_id, GuildAttribution(guild_id))
        join_heard(attributor, joined_at)
        if self._signals is not None and not attributor.owned:
            self._signals.publish(guild_id, joined_at)  # another worker may attribute it
        self.notify(guild_id)

    def heard_elsewhere(self, guild_id: int, joined_at: datetime) -> None:
        """Another worker heard of a join event of the guild, and is storing it: if this
        worker attributes the guild, the read it calls for leaves now, as for one of its own
        (the join is decided once committed: the attributor waits for joins being stored)."""
        attributor = self._guilds.get(guild_id)
        if self._stopping.is_set() or attributor is None or not attributor.owned:
            return
        self.stats.heard_elsewhere += 1
        join_heard(attributor, joined_at)
        attributor.active_at = time.monotonic()
        attributor.wake.set()

    @contextlib.contextmanager
    def storing(self, guild_id: int, at: datetime) -> Iterator[None]:
        """A join of the guild, timed `at`, is being stored in this process: until it is
        committed, the guild's windows are decided as of `at` at the latest, so a join event
        that came in time is never left out because its transaction was still open."""
        attributor = self._guilds.setdefault(guild_id, GuildAttribution(guild_id))
        attributor.storing.append(at)
        try:
            yield
        finally:
            attributor.storing.remove(at)

    def outside_read(self, guild_id: int) -> AbstractAsyncContextManager[Turn]:
        """Around a read of the guild's invite list made outside attribution (the dashboard's
        GET /invite-links): yields what it may do (`attribution_turns.read_turn`)."""
        return read_turn(
            self._guilds.setdefault(guild_id, GuildAttribution(guild_id)),
            self._config,
            shared=self._storage.shared,
            notify=self.notify,
            stopping=self._stopping,
        )

    def release_idle(self, now: float | None = None) -> int:
        """Drop the in-memory state of every guild idle for `idle_release` seconds (monotonic
        `now`); how many. Its ledger holds a few snapshots of every invite of the guild: a bot
        in thousands of guilds would otherwise keep them all. The guild's next join resumes
        from the stored baseline, as after a restart (windows without joins moved the baseline
        on in memory only: no join is lost, at worst one is ambiguous)."""
        now = time.monotonic() if now is None else now
        idle = idle_guilds(self._guilds.values(), now, self._config.idle_release)
        for guild_id in idle:
            del self._guilds[guild_id]
        return len(idle)

    async def _sweep(self) -> None:
        """Release idle guilds now and then, while there are guilds to release."""
        interval = max(0.05, min(60.0, self._config.idle_release / 4))
        while self._guilds and not await self._pause(interval):
            self.release_idle()

    def guild_state(self, guild_id: int) -> GuildAttribution | None:
        """What the engine keeps for a guild in this process (None: nothing yet)."""
        return self._guilds.get(guild_id)

    def _owns(self, guild_id: int) -> bool:
        attributor = self._guilds.get(guild_id)
        return attributor is not None and attributor.owned

    async def resume(self) -> None:
        """After a restart: attribute the joins stored but not decided before it."""
        try:
            async with self._storage.reading() as uow:
                guilds = await uow.joins.guilds_with_pending()
        except Exception:
            log.exception("attribution_resume_failed")  # the service still starts; joins wait
            return
        for guild_id in guilds:
            self.notify(guild_id)
            # joins held for the member search before the restart
            self._loop.ensure_checker(self._guilds.setdefault(guild_id, GuildAttribution(guild_id)))

    async def close(self, grace: float = 2.0) -> None:
        """Stop every attributor (pending joins stay stored for the next start).

        They are asked to stop between two steps first, so no transaction is cut in the
        middle; whatever has not stopped after `grace` seconds is cancelled.
        """
        self._stopping.set()
        tasks = [
            task
            for task in (
                self._sweeper,
                *(t for a in self._guilds.values() for t in (a.task, a.checker)),
            )
            if task is not None and not task.done()
        ]
        for attributor in self._guilds.values():
            attributor.wake.set()
            attributor.checks_wake.set()
        await stop_within(tasks, grace)

    async def _pause(self, seconds: float) -> bool:
        """Sleep, unless the engine is stopping; True when it is."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()

    def forget(self, guild_id: int) -> None:
        """Drop a guild's in-memory state (after offboarding)."""
        attributor = self._guilds.pop(guild_id, None)
        if attributor is None:
            return
        for task in (attributor.task, attributor.checker):
            if task is not None:
                task.cancel()
