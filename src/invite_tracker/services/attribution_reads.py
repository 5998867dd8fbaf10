"""Reading a guild's invites for its attributor: when the next read may go, and the read
itself (the invite list and the vanity counter in one cycle, stamped when they leave and
placed by Discord's clock), with the invites events reported looked up while it flies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from invite_tracker.discord.port import DiscordPort, InviteList, VanityUrl
from invite_tracker.domain.errors import DiscordUnavailable, ReadDeferred, Unprocessable
from invite_tracker.domain.evidence import Snapshot, counted_in_order, counted_span
from invite_tracker.domain.invites import ListedInvites
from invite_tracker.domain.ledger import Ledger
from invite_tracker.services.attribution_bucket import (
    hold_at_window_end,
    next_read_at,
    read_answered,
    read_made,
)
from invite_tracker.services.attribution_loading import load_invite_news
from invite_tracker.services.attribution_pacing import (
    EngineConfig,
    EngineStats,
    GuildAttribution,
    invite_counts,
    track_calm,
)
from invite_tracker.services.ports import Storage


class InviteReader:
    """The engine's reads of one Discord for every guild (`pause` sleeps unless the engine is
    stopping)."""

    def __init__(
        self,
        storage: Storage,
        discord: DiscordPort,
        config: EngineConfig,
        *,
        clock: Callable[[], datetime],
        pause: Callable[[float], Awaitable[bool]],
        stats: EngineStats,
    ) -> None:
        self._storage = storage
        self._discord = discord
        self._config = config
        self._clock = clock
        self._pause = pause
        self.stats = stats

    async def pace(self, attributor: GuildAttribution) -> None:
        """Wait until the guild's next read may start (see `next_read_at`)."""
        wait = next_read_at(attributor, self._config.fetch_interval, self._config.calm_interval)
        wait -= time.monotonic()
        if wait > 0:
            await self._pause(wait)

    async def snapshot(self, attributor: GuildAttribution, ledger: Ledger | None) -> Snapshot:
        """Read the guild's invites (and vanity counter, in the same cycle); while they fly,
        tell the ledger (if any) of the invites events reported since its latest read.

        Both reads go out at once or not at all (`ReadDeferred`): a read the rate limiter held
        back would be stamped before it really left, and seem to cover joins it did not."""
        # the pacing allowed this read, but storage work since may have made it late
        hold = hold_at_window_end(attributor, time.monotonic(), self._config.fetch_interval)
        if hold > 0:
            await self._pause(hold)
        started = time.monotonic()
        sent_at = self._clock()
        guild_id = attributor.guild_id
        invites = asyncio.ensure_future(self._discord.guild_invites(guild_id, at_once=True))
        vanity = (
            asyncio.ensure_future(self._discord.vanity_url(guild_id, at_once=True))
            if self._vanity_due(attributor, started)
            else None
        )
        # the invites events reported since the last read, looked up while this one flies
        news = (
            asyncio.ensure_future(load_invite_news(self._storage, guild_id, ledger, until=sent_at))
            if ledger is not None
            else None
        )
        tasks = [task for task in (invites, vanity, news) if task is not None]
        try:
            await asyncio.wait(tasks)
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            raise
        failed = [task.exception() for task in tasks]  # looked at, so none goes unnoticed
        if not isinstance(failed[0], ReadDeferred):
            # it reached Discord, answered or not: it spent the bucket and one join's credit
            read_made(attributor, started, self._config.fetch_interval, paid=True)
            read_answered(attributor, started, time.monotonic(), self._config.fetch_interval)
            self.stats.fetches += 1
        listed = invites.result()  # raises what the read raised
        counter = self._vanity_counter(attributor, vanity, started)
        if news is not None:
            news.result()  # raises what storage raised: the window cannot be read without it
        reads: list[InviteList | VanityUrl] = [listed] if counter is None else [listed, counter]
        attributor.reports = ListedInvites(list(listed.reports), asked_at=sent_at)
        attributor.latest_list = (time.monotonic(), attributor.reports)
        # when Discord counted the reads, by its clock (the one that stamps joins)
        span = counted_span(
            [read.counted_at for read in reads], timedelta(seconds=self._config.clock_tolerance)
        )
        snapshot = Snapshot(
            sent_at,
            self._clock(),
            invite_counts(listed.reports),
            counter.uses if counter is not None else None,
            span,
            counter.code if counter is not None else None,
            in_order=counted_in_order([read.counted_at for read in reads]),
        )
        attributor.flights.append((snapshot.received_at - sent_at).total_seconds())
        # the later of the buckets to free decides when the reads can go again
        lags = [read.limiter_lag for read in reads if read.limiter_lag is not None]
        if len(lags) == len(reads):
            attributor.lags.append(max(lags))
        if ledger is not None:
            track_calm(attributor, ledger.latest, snapshot)
        return snapshot

    def _vanity_due(self, attributor: GuildAttribution, now: float) -> bool:
        """Whether this read counts the vanity URL too: always while the guild has one, and
        now and then while it has none, since it may get one at any time."""
        if attributor.vanity_code is not None or attributor.vanity_read is None:
            return True
        return now - attributor.vanity_read >= self._config.vanity_recheck

    def _vanity_counter(
        self, attributor: GuildAttribution, vanity: asyncio.Future[VanityUrl] | None, sent: float
    ) -> VanityUrl | None:
        """The vanity URL as this read saw it (None: not read, refused, or a re-check that
        failed); the guild's code follows it. A refusal (no permission, say) leaves the vanity
        URL unread until the next re-check, and the joins meanwhile may have used it uncounted
        (`vanity_uses_between`). While the guild has a code, any other failure fails the read:
        its uses are counted with the invites or not at all."""
        if vanity is None:
            return None
        attributor.vanity_read = sent
        try:
            counter = vanity.result()  # raises what the read raised
        except Unprocessable:
            attributor.vanity_code = None
            return None
        except DiscordUnavailable:
            if attributor.vanity_code is not None:
                raise
            return None  # a re-check: the invites stand without it, asked again later
        attributor.vanity_code = counter.code
        return counter
