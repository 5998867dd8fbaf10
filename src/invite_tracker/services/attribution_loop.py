"""A guild's attribution loop: take the guild's lock, read, decide, store, until idle.

`AttributionEngine` starts one `run` per guild with joins waiting; this is what it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog

from invite_tracker.discord.port import DiscordPort
from invite_tracker.domain.decisions import Decision
from invite_tracker.domain.errors import DiscordUnavailable, ReadDeferred, Unprocessable
from invite_tracker.domain.evidence import Ending
from invite_tracker.domain.joins import JoinRecord
from invite_tracker.domain.ledger import Ledger
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
    idle_wait,
    should_read,
    still_refused,
)
from invite_tracker.services.attribution_reads import InviteReader
from invite_tracker.services.attribution_store import decide_all_pending, store_decisions
from invite_tracker.services.ports import Storage

log = structlog.get_logger(__name__)
UNREADABLE = "the guild's invites cannot be read: "


class AttributionLoop:
    """Runs guilds' attribution for an engine, sharing its storage, Discord client and stats."""

    def __init__(
        self,
        storage: Storage,
        discord: DiscordPort | None,
        config: EngineConfig,
        *,
        reader: InviteReader | None,
        clock: Callable[[], datetime],
        stats: EngineStats,
        stopping: asyncio.Event,
        pause: Callable[[float], Awaitable[bool]],
        announce: Callable[[int, list[JoinRecord]], None],
    ) -> None:
        self._storage = storage
        self._discord = discord
        self._config = config
        self._reader = reader
        self._clock = clock
        self.stats = stats
        self._stopping = stopping
        self._pause = pause  # sleeps unless the engine is stopping; True when it is
        self._announce = announce  # joins now final: wake their waiters, send their messages

    def ensure_checker(self, attributor: GuildAttribution) -> None:
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
                announce=self._announce,
                stats=self.stats,
            ),
        )

    async def run(self, attributor: GuildAttribution) -> None:
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
            self.ensure_checker(attributor)  # held by a worker that stopped, perhaps
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
            wait = idle_wait(attributor, ledger, self._config, now=self._clock(), until=keep_until)
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
            follows=attributor.stored_baseline,
        )
        if stored.stale:  # start again from a new baseline; the joins are still pending
            attributor.ledger = attributor.stored_baseline = None
            attributor.reports = None
            return
        attributor.stored_baseline = ledger.baseline.sent_at
        attributor.reports = None
        self.stats.decisions += len(stored.decided)
        if stored.decided:
            self._announce(attributor.guild_id, stored.decided)
        if stored.held:
            self.ensure_checker(attributor)

    async def _decide_all(self, attributor: GuildAttribution, reason: str) -> None:
        """Decide every pending join of the guild without more evidence, saying why."""
        records = await decide_all_pending(
            self._storage, attributor.guild_id, reason, now=self._clock()
        )
        if records:
            self._announce(attributor.guild_id, records)
