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
from datetime import datetime, timedelta

import structlog

from invite_tracker.discord.port import DiscordPort
from invite_tracker.domain.decisions import Decision
from invite_tracker.domain.errors import DiscordUnavailable, ReadDeferred, Unprocessable
from invite_tracker.domain.evidence import Ending
from invite_tracker.domain.joins import JoinRecord
from invite_tracker.domain.ledger import Ledger
from invite_tracker.services.announcer import Announcer
from invite_tracker.services.attribution_bucket import deferral_wait
from invite_tracker.services.attribution_checks import HeldJoins, ensure_checking
from invite_tracker.services.attribution_loading import (
    drop_stale_ledger,
    load_joins,
    start_ledger,
)
from invite_tracker.services.attribution_pacing import (
    EngineConfig,
    EngineStats,
    GuildAttribution,
    attributing,
    handover_at,
    heard_unread,
    idle_guilds,
    join_heard,
    should_read,
    still_refused,
)
from invite_tracker.services.attribution_reads import InviteReader
from invite_tracker.services.attribution_store import decide_all_pending, store_decisions
from invite_tracker.services.attribution_turns import read_turn
from invite_tracker.services.attribution_waiters import DecisionWaiters
from invite_tracker.services.invites import Turn
from invite_tracker.services.ports import JoinSignalsPort, Storage

log = structlog.get_logger(__name__)
UNREADABLE = "the guild's invites cannot be read: "


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
        self._discord = discord
        self._config = config
        self._clock = clock
        self.announcer = announcer
        self._guilds: dict[int, GuildAttribution] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._waiters = DecisionWaiters(storage, config.owner_poll * 3)
        self._stopping = asyncio.Event()
        self.stats = EngineStats()
        self._reader = (
            InviteReader(storage, discord, config, clock=clock, pause=self._pause, stats=self.stats)
            if discord is not None
            else None
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
                self._run(attributor), name=f"attribution-{guild_id}"
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
            self._ensure_checker(self._guilds.setdefault(guild_id, GuildAttribution(guild_id)))

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
        if tasks:
            await asyncio.wait(tasks, timeout=grace)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

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

    def _ensure_checker(self, attributor: GuildAttribution) -> None:
        """Make sure the guild's held joins are being asked about (see `HeldJoins`)."""
        ensure_checking(
            attributor,
            self._stopping,
            lambda: HeldJoins(
                self._storage,
                self._discord,
                self._config,
                attributor,
                clock=self._clock,
                announce=self.announce,
                stats=self.stats,
            ),
        )

    async def _run(self, attributor: GuildAttribution) -> None:
        try:
            while not self._stopping.is_set():
                attributor.wake.clear()
                async with self._storage.guild_lock(attributor.guild_id) as owned:
                    attributor.owned, attributor.held_elsewhere = owned, not owned
                    attributor.lock_tries += 1
                    attributor.tried.set()
                    if owned:
                        try:
                            await self._own(attributor)
                        finally:
                            attributor.owned = False
                if owned:
                    # No await between this check and the task ending: a join notified
                    # later finds the task done and starts a new one.
                    if not attributor.wake.is_set():
                        return
                    continue  # a join came in while we were finishing: look again
                # Another worker owns the guild; it will decide our joins. Look again soon,
                # in case it stops before it does (or a read outside attribution, come
                # meanwhile, waits for another try).
                pending = await self._has_pending(attributor.guild_id)
                if not pending and not attributor.outside_reads:
                    return
                if await self._pause(self._config.owner_poll):
                    return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("attribution_failed", guild_id=str(attributor.guild_id))

    async def _has_pending(self, guild_id: int) -> bool:
        async with self._storage.reading() as uow:
            return bool(await uow.joins.pending(guild_id))

    async def _own(self, attributor: GuildAttribution) -> None:
        reader = self._reader
        if reader is None:
            await self._decide_all(attributor, "Discord is not configured")
            return
        refused = still_refused(attributor.reads_refused, self._clock())
        if refused:  # Discord bans an address after 10,000 refusals in ten minutes
            await self._decide_all(attributor, UNREADABLE + refused)
            return
        if self._config.member_search:
            self._ensure_checker(attributor)  # held by a worker that stopped, perhaps
        await drop_stale_ledger(self._storage, attributor)
        backoff = self._config.retry_backoff
        while not self._stopping.is_set():
            attributor.wake.clear()
            try:
                ledger = attributor.ledger or await start_ledger(
                    self._storage, attributor, reader, self._config, clock=self._clock
                )
                heard = heard_unread(attributor, ledger)
                if not heard:  # no join heard of calls for a read: see what storage holds
                    known_at = await self._load_joins(attributor, ledger)
                if heard or should_read(attributor, ledger, self._config):
                    await reader.pace(attributor)
                    ledger.observe(await reader.snapshot(attributor, ledger))
                    # Join events stored while the read waited its turn and flew may belong
                    # to the windows it lets the ledger decide: a window decided without a
                    # join whose event came in time could credit its invite to another join.
                    known_at = await self._load_joins(attributor, ledger)
            except ReadDeferred as exc:
                # The bucket is spent as the client sees it: wait here, then read at once.
                self.stats.deferred_reads += 1
                wait = deferral_wait(attributor, exc.retry_after, self._config.fetch_interval)
                if await self._pause(wait):
                    return
                continue
            except DiscordUnavailable as exc:
                self.stats.fetch_failures += 1
                if not await self._has_pending(attributor.guild_id):
                    return  # nothing waits on this fetch; the next join tries again
                log.warning("attribution_fetch_failed", reason=exc.message, retry_in=backoff)
                if await self._pause(backoff):
                    return
                backoff = min(backoff * 2, 30.0)
                continue
            except Unprocessable as exc:  # asking again at once would be refused again
                pause = timedelta(seconds=self._config.read_refusal_pause)
                attributor.reads_refused = (self._clock() + pause, exc.reason)
                await self._decide_all(attributor, UNREADABLE + exc.reason)
                return
            backoff = self._config.retry_backoff
            decisions = ledger.settle(known_at)
            ends = ledger.take_endings()
            if decisions or ends:
                await self._store(attributor, ledger, decisions, ends)
            keep_until = handover_at(attributor, self._config, shared=self._storage.shared)
            idle = not attributing(attributor, self._config) and not attributor.outside_reads
            if idle and keep_until is None:
                return
            if decisions or should_read(attributor, ledger, self._config):
                continue
            # Waiting for late join events or new joins (other workers' too: they are
            # loaded on waking): until woken, until the oldest window can be decided, until
            # the guild may be handed over, or a while.
            wait = self._config.delivery_margin / 4
            decides_at = ledger.decides_at
            if decides_at is not None and not attributor.storing:  # else woken by the store
                wait = min(wait, max(0.0, (decides_at - self._clock()).total_seconds()) + 0.001)
            if keep_until is not None:
                wait = min(wait, max(0.0, keep_until - time.monotonic()) + 0.001)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(attributor.wake.wait(), wait)

    async def _load_joins(self, attributor: GuildAttribution, ledger: Ledger) -> datetime:
        return await load_joins(self._storage, attributor, ledger, self._config, clock=self._clock)

    async def _store(
        self,
        attributor: GuildAttribution,
        ledger: Ledger,
        decisions: list[Decision],
        ends: list[Ending],
    ) -> None:
        stored = await store_decisions(
            self._storage,
            attributor.guild_id,
            decisions,
            baseline=ledger.baseline,
            endings=ends,
            invites=attributor.reports,
            now=self._clock(),
            hold_ambiguous=self._config.member_search and self._discord is not None,
        )
        attributor.stored_baseline = ledger.baseline.sent_at
        attributor.reports = None
        self.stats.decisions += len(stored.decided)
        if stored.decided:
            self.announce(attributor.guild_id, stored.decided)
        if stored.held:
            self._ensure_checker(attributor)

    async def _decide_all(self, attributor: GuildAttribution, reason: str) -> None:
        """Decide every pending join of the guild without more evidence, saying why."""
        records = await decide_all_pending(
            self._storage, attributor.guild_id, reason, now=self._clock()
        )
        if records:
            self.announce(attributor.guild_id, records)
