"""How the engine is configured, the state of one guild's attribution, and the pure rules for
when to read its invites (how the reads fit the invite list's bucket: `attribution_bucket`)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from invite_tracker.domain.evidence import VANITY, InviteCount, Snapshot
from invite_tracker.domain.invites import InviteReport, ListedInvites
from invite_tracker.domain.ledger import Ledger
from invite_tracker.services.attribution_bucket import BURST, bucket_fresh_at, crowded

MARGIN_SAFETY = 0.25
"""Seconds added to the slowest recent join event when it exceeds the configured margin."""
MAX_MARGIN = 5.0
"""The longest margin the slowest events can stretch the configured one to."""
DELAYS_KEPT = 200
JOINS_KEPT = 200
DELAYS_FOR = timedelta(minutes=5)
"""How long a slow event keeps the margin stretched."""


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """How the engine paces itself and how long it waits."""

    answer_wait: float = 2.0  # an HTTP answer waits this long before saying `pending`
    delivery_margin: float = 0.75  # how late a join event may arrive after the join
    fetch_interval: float = 0.2  # shortest time between two invite fetches of a guild
    calm_interval: float = 1.0  # between fetches while only one invite is being used
    # reads each join pays for while joins keep coming (`active_seconds`): more reads cut
    # shorter windows, which tell more joins apart, at more requests to Discord
    reads_per_join: float = 1.0
    retry_backoff: float = 1.0  # first wait after Discord failed, doubling up to 30 s
    active_seconds: float = 1.0  # keep reading this long after the last join event
    owner_poll: float = 0.1  # how often a worker that is not the owner looks again
    clock_tolerance: float = 0.01  # how far Discord's instant of a read is trusted, each side
    # a guild without a vanity URL is asked again whether it has one with the next invite
    # read this long after the last time (it may get one, or a new code, at any time)
    vanity_recheck: float = 60.0
    # Discord's member search as a cross-check of ambiguous joins (`attribution_checks`)
    member_search: bool = False
    member_search_delay: float = 1.5  # after the join: Discord indexes members with a lag
    member_search_retry: float = 2.0  # between two questions about a member not listed yet
    member_search_patience: float = 30.0  # after the join: then it stays ambiguous
    # after a refusal (403): Discord bans an address after 10,000 invalid requests in 10 min
    member_search_refusal_pause: float = 600.0
    # after Discord refused the invite list (a permission missing, the bot removed): joins
    # meanwhile are decided at once, without asking again, for the same reason
    read_refusal_pause: float = 60.0
    # a guild with nothing to do for this long has its in-memory state dropped (its ledger
    # holds a few snapshots of every invite: a bot in thousands of guilds would keep them all);
    # its next join resumes from the stored baseline, as after a restart
    idle_release: float = 600.0


@dataclass(slots=True)
class EngineStats:
    """Counters the simulator and benchmarks read."""

    fetches: int = 0
    fetch_failures: int = 0
    deferred_reads: int = 0  # reads the rate limiter would have held, made later instead
    decisions: int = 0
    heard_elsewhere: int = 0  # join events other workers told of, of guilds attributed here
    decided_elsewhere: int = 0  # other workers' decisions that join checks here waited for
    member_searches: int = 0  # questions to Discord's member search
    cross_checked: int = 0  # ambiguous joins the member search settled


@dataclass(slots=True)
class GuildAttribution:
    """What the engine keeps for one guild between reads."""

    guild_id: int
    ledger: Ledger | None = None
    # when the baseline this process last stored or loaded was sent: the ledger moves its
    # baseline on past windows without joins and stores it only with decisions
    stored_baseline: datetime | None = None
    vanity_code: str | None = None  # as the latest read of the vanity URL saw it
    vanity_read: float | None = None  # when (monotonic clock) that read was sent
    last_fetch: float = -1e9
    calm: int = 0
    calm_code: str | None = None
    credit: float = 0  # reads earned by joins (`EngineConfig.reads_per_join` each)
    # when (monotonic clock) the latest joins were loaded, one entry a join
    joins_loaded: deque[float] = field(default_factory=lambda: deque(maxlen=JOINS_KEPT))
    recent_reads: deque[float] = field(default_factory=lambda: deque(maxlen=BURST))
    # when the first read of the bucket's current window went out (as Discord counts windows)
    window_opened: float | None = None
    window_reads: int = 0  # reads that went out in that window
    # reads made since the rate limiter last asked for a wait far longer than the pacing
    # (None: none since the last escape from hikari's one-read-per-window state)
    reads_since_long_wait: int | None = None
    # the last read was answered after its window ended: it may have reached Discord in the
    # next window, which sets hikari's one-read-per-window state (`hold_at_window_end`)
    straddled: bool = False
    flights: deque[float] = field(default_factory=lambda: deque([0.1], maxlen=20))
    # how long after Discord's window ends the client's limiter frees the bucket, as the
    # client said of recent reads (`InviteList.limiter_lag`); empty when it does not say
    lags: deque[float] = field(default_factory=lambda: deque(maxlen=20))
    delays: deque[tuple[datetime, float]] = field(  # (stored at, seconds after the join)
        default_factory=lambda: deque(maxlen=DELAYS_KEPT)
    )
    reports: ListedInvites | None = None  # the latest read's list, until stored
    # the latest read's list, and when it was answered (monotonic clock), stored or not
    latest_list: tuple[float, ListedInvites] | None = None
    # the latest join instant of the join events this process has heard of (`join_heard`)
    heard: datetime | None = None
    # the clock times of joins this process is storing now (not committed yet)
    storing: list[datetime] = field(default_factory=list)
    owned: bool = False  # this process is attributing the guild right now
    lock_tries: int = 0  # how many times this process tried to take the guild
    held_elsewhere: bool = False  # at the latest try, another worker held the guild
    tried: asyncio.Event = field(default_factory=asyncio.Event)  # set after each try
    # reads of the invite list outside attribution (the dashboard's) waiting for this worker
    # to hold the guild, or being made while it does: it keeps the guild meanwhile
    outside_reads: int = 0
    # when the engine was last asked to do something for the guild (monotonic clock)
    active_at: float = field(default_factory=time.monotonic)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    # asking Discord's member search about the guild's held joins (`attribution_checks`)
    checker: asyncio.Task[None] | None = None
    # until when the member search is not asked about the guild, and why (it refused)
    search_refused: tuple[datetime, str] | None = None
    # until when the guild's invites are not read, and why (Discord refused the list)
    reads_refused: tuple[datetime, str] | None = None
    checks_wake: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def last_join(self) -> float:
        """When (monotonic clock) the latest join was loaded."""
        return self.joins_loaded[-1] if self.joins_loaded else -1e9

    def idle_for(self, now: float) -> float | None:
        """Seconds since the guild last had anything going on in this process (`now` on the
        monotonic clock); None while something is: a task running, a join being stored or
        still undecided."""
        running = any(task is not None and not task.done() for task in (self.task, self.checker))
        undecided = self.ledger is not None and self.ledger.pending > 0
        if running or undecided or self.storing or self.owned:
            return None
        return now - max(self.active_at, self.last_fetch, self.last_join)


def idle_guilds(states: Iterable[GuildAttribution], now: float, after: float) -> list[int]:
    """The guilds that have had nothing going on for `after` seconds (`now` on the monotonic
    clock; see `GuildAttribution.idle_for`)."""
    return [
        state.guild_id
        for state in states
        if (quiet := state.idle_for(now)) is not None and quiet >= after
    ]


def still_refused(refused: tuple[datetime, str] | None, now: datetime) -> str:
    """Why Discord is not asked now (it refused lately: `(until, why)`), or ""."""
    if refused is None or now >= refused[0]:
        return ""
    until, why = refused
    return f"{why} (not asked again before {until:%H:%M:%S} UTC)"


def delivery_margin(
    configured: float, delays: Iterable[tuple[datetime, float]], now: datetime
) -> float:
    """How long after a read the join events of its window can still arrive: the configured
    margin, or longer while events of the last few minutes took longer than that to be
    stored (a loaded service, a slow bot, a clock ahead of Discord's), up to MAX_MARGIN.

    A window decided before one of its events arrives can only leave that join less certain
    (or, if a join that used no invite stood in for it, credit the wrong member), so the
    margin is stretched, never shortened.

    An event later than MAX_MARGIN is one no margin could wait for: alone, it is one event
    told again long after (a reporter retrying, a gateway resume), and it does not hold every
    join of the next minutes back; only when most recent events are that late (a clock far
    ahead of Discord's) is the margin stretched to its most."""
    recent = [delay for stored_at, delay in delays if stored_at >= now - DELAYS_FOR]
    beyond = sum(1 for delay in recent if delay > MAX_MARGIN)
    if 2 * beyond <= len(recent):
        recent = [delay for delay in recent if delay <= MAX_MARGIN]
    slowest = max(recent, default=0.0)
    return min(max(configured, slowest + MARGIN_SAFETY), max(configured, MAX_MARGIN))


def track_calm(attributor: GuildAttribution, before: Snapshot, after: Snapshot) -> None:
    """Count windows in a row where several joins used one and the same code."""
    gained = {
        code: invite.uses - (before.invites[code].uses if code in before.invites else 0)
        for code, invite in after.invites.items()
    }
    if before.vanity_uses is not None and after.vanity_uses is not None:
        gained[VANITY] = after.vanity_uses - before.vanity_uses
    used = {code: count for code, count in gained.items() if count > 0}
    gone = set(before.invites) - set(after.invites)
    if len(used) == 1 and not gone:
        ((code, count),) = used.items()
        if count >= 2 and code == attributor.calm_code:
            attributor.calm += 1
            return
        attributor.calm_code = code if count >= 2 else None
        attributor.calm = 1 if count >= 2 else 0
        return
    if used or gone:
        attributor.calm, attributor.calm_code = 0, None


def invite_counts(reports: Sequence[InviteReport]) -> dict[str, InviteCount]:
    return {
        report.code: InviteCount(
            code=report.code,
            uses=report.uses,
            max_uses=report.max_uses or 0,
            expires_at=report.expires_at,
            inviter_id=report.inviter_id,
        )
        for report in reports
    }


def joins_coming(state: GuildAttribution, config: EngineConfig) -> bool:
    """Joins are coming in: a join may have happened whose event is still on its way."""
    return time.monotonic() - state.last_join < config.active_seconds


def attributing(state: GuildAttribution, config: EngineConfig) -> bool:
    """A join of the guild waits for its decision here, or joins are coming in."""
    waiting = state.ledger is not None and state.ledger.pending > 0
    return waiting or joins_coming(state, config)


def join_heard(state: GuildAttribution, joined_at: datetime) -> None:
    """A join event tells of a join at `joined_at`: the latest such instant is kept."""
    if state.heard is None or joined_at > state.heard:
        state.heard = joined_at


def heard_unread(state: GuildAttribution, ledger: Ledger) -> bool:
    """A join event heard of (`AttributionEngine.join_heard`), stored or not yet, tells of a
    join after the latest read was counted."""
    return state.heard is not None and ledger.unread(state.heard)


def should_read(state: GuildAttribution, ledger: Ledger, config: EngineConfig) -> bool:
    """Read when a join waits for a read, or, while joins keep coming, as often as the
    pacing allows and the joins have paid for: short windows are what tell two invites'
    joins apart, and there are never more reads than the joins paid for (one each by
    default, `EngineConfig.reads_per_join`)."""
    if ledger.needs_snapshot() or heard_unread(state, ledger):
        return True
    if crowded(state, config.fetch_interval):
        return False  # the bucket is kept for the reads join events call for
    return state.credit > 0 and joins_coming(state, config)


def handover_at(state: GuildAttribution, config: EngineConfig, *, shared: bool) -> float | None:
    """Until when (monotonic clock) this worker keeps the guild once it has nothing left to
    do: while the invite list's bucket may still be spent by its reads, which the client of a
    worker taking over would not know of, and meet with 429s. None: it may let go now (or no
    other worker can take the guild over: not `shared`, as on SQLite)."""
    if not shared:
        return None
    fresh = bucket_fresh_at(state, config.fetch_interval)
    return fresh if fresh is not None and fresh > time.monotonic() else None


def idle_wait(
    state: GuildAttribution,
    ledger: Ledger,
    config: EngineConfig,
    *,
    now: datetime,
    until: float | None,
) -> float:
    """How long an attributor with nothing to read or decide now waits for late join events
    or new joins (other workers' too: they are loaded on waking), unless woken: until the
    oldest window can be decided (while no join is being stored: its store wakes it), until
    the guild may be handed over (`until`, monotonic; see `handover_at`), or a while."""
    wait = config.delivery_margin / 4
    decides_at = ledger.decides_at
    if decides_at is not None and not state.storing:
        wait = min(wait, max(0.0, (decides_at - now).total_seconds()) + 0.001)
    if until is not None:
        wait = min(wait, max(0.0, until - time.monotonic()) + 0.001)
    return wait
