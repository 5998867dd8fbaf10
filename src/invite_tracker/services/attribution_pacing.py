"""How the engine is configured, the state of one guild's attribution, and the pure rules for
when to read its invites."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from invite_tracker.domain.evidence import VANITY, InviteCount, Snapshot
from invite_tracker.domain.invites import InviteReport, ListedInvites
from invite_tracker.domain.ledger import Ledger

BURST = 5
"""Reads allowed back to back: Discord's invite-list bucket is 5 per window."""
BUCKET_SLACK = 0.02
EDGE_GUARD = 0.03
"""Seconds before a window ends for Discord from which a read is held: flights vary that much."""
CROWDED = 3.0
"""Joins per pacing interval from which reads are grouped after join events (`crowded`)."""
CALM_AFTER = 5
"""Windows in a row that saw several joins through one and the same invite (a raid)."""
TRAPPED_AFTER = 2.5
"""A deferral longer than this many pacing intervals means the client misreads the bucket."""
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
    vanity_code: str | None = None
    last_fetch: float = -1e9
    calm: int = 0
    calm_code: str | None = None
    credit: float = 0  # reads earned by joins (`EngineConfig.reads_per_join` each)
    last_join: float = -1e9
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


def read_made(state: GuildAttribution, started: float, interval: float, *, paid: bool) -> None:
    """A read of the invite list went out at `started` (monotonic clock): it spent the
    bucket, and, when `paid`, one join's credit (the dashboard's reads are not the joins').

    Discord's window opens when a read reaches it and lasts BURST intervals; a read that
    goes out that long after the one that opened it reaches Discord in the next window."""
    closes = window_closes(state, interval)
    if closes is None or started >= closes:
        state.window_opened, state.window_reads = started, 0
    state.window_reads += 1
    state.last_fetch = max(state.last_fetch, started)
    state.recent_reads.append(started)
    if paid:
        state.credit -= 1
    if state.reads_since_long_wait is not None:
        state.reads_since_long_wait += 1


def next_read_at(state: GuildAttribution, interval: float, calm_interval: float) -> float:
    """When (monotonic clock) the next read may start.

    The bucket holds BURST reads per BURST intervals, counted when a read reaches Discord;
    the client's rate limiter frees it `limiter_lag` later than that, reckoned from when the
    reads left (a whole flight for hikari on its own). Reading BURST times at the interval and
    then waiting that lag would leave one window in BURST long; the reads are spread evenly
    over the same time instead (`read_spacing`), since a long window is more likely to mix
    two invites' joins than two short ones. Each read's turn is counted from the start of the
    bucket's window, so a read the service made late does not delay the rest of the window's.
    Longer during a one-invite raid. Never more than BURST reads within BURST intervals plus
    the lag, so the bucket is never exhausted: when it is, the client holds or refuses the
    read."""
    lag = limiter_lag(state)
    if state.calm >= CALM_AFTER:
        turn = state.last_fetch + calm_interval
    elif crowded(state, interval):
        turn = crowded_turn(state, interval, lag)
        return turn + hold_at_window_end(state, turn, interval)
    else:
        spacing = read_spacing(interval, lag)
        turn = state.last_fetch + spacing
        opened = state.window_opened
        if opened is not None and state.window_reads < BURST:
            on_time = opened + state.window_reads * spacing
            turn = min(turn, max(state.last_fetch + interval, on_time))
    starts = state.recent_reads
    if len(starts) == starts.maxlen:
        turn = max(turn, starts[0] + BURST * interval + lag + BUCKET_SLACK)
    return turn + hold_at_window_end(state, turn, interval)


def crowded(state: GuildAttribution, interval: float, now: float | None = None) -> bool:
    """Joins come faster than reads spread evenly could tell apart: CROWDED or more a pacing
    interval over the bucket's last window (`now` on the monotonic clock).

    Then a window of one interval holds several joins, most often through different invites,
    and tells none apart; reads grouped right after join events cut short windows of one join
    each, which do, at the price of one long window after them (until the bucket refills)
    that tells nothing, as its evenly spread windows would not have either."""
    span = BURST * interval
    since = (time.monotonic() if now is None else now) - span
    recent = sum(1 for at in state.joins_loaded if at >= since)
    return recent >= CROWDED * BURST


def crowded_turn(state: GuildAttribution, interval: float, lag: float) -> float:
    """When the next read may start while joins are `crowded`: a short gap after the last
    one (a fifth of the interval, or a flight if longer: a read does not go out before the
    previous one is back) while the bucket's window has reads left, else once it has ended.
    The bucket is Discord's fixed window, so the reads of one window may follow those of the
    last at once (evenly spread reads keep any BURST of them an interval apart, which would
    keep them spread)."""
    turn = state.last_fetch + max(interval / BURST, statistics.median(state.flights))
    closes = window_closes(state, interval)
    if closes is not None and state.window_reads >= BURST:
        turn = max(turn, closes + lag + BUCKET_SLACK)
    return turn


def hold_at_window_end(state: GuildAttribution, at: float, interval: float) -> float:
    """How long a read about to go out at `at` should wait so that it does not straddle the
    end of the bucket's window.

    Discord counts a read in the window it reaches Discord in, and its window ends BURST
    intervals after the window's first read was sent (`closes`, reckoned from the time it
    left, since flights are alike). The client's limiter (hikari) ends the window
    `limiter_lag` later. A read sent within that lag reaches Discord in the next window
    while hikari still counts it in the old; its answer then tells hikari of a window it did
    not expect, and hikari takes the bucket for a sliding one with a single slot per window,
    allowing one read per second until shown otherwise (see `deferral_wait`). Such a read
    waits until the window has ended for both. Late reads (a busy service) are what send one
    there."""
    closes = window_closes(state, interval)
    if closes is None:
        return 0.0
    reopens = closes + limiter_lag(state) + BUCKET_SLACK
    if closes - EDGE_GUARD <= at < reopens:
        return reopens - at
    return 0.0


def limiter_lag(state: GuildAttribution) -> float:
    """How long after Discord's window ends (reckoned from when its reads left) the client's
    limiter frees the bucket: what the client said of recent reads, or else a whole flight
    (a limiter that frees it when Discord's reset instant comes, such as hikari's own)."""
    return statistics.median(state.lags or state.flights)


def read_spacing(interval: float, lag: float) -> float:
    """The time between reads made back to back: BURST of them per BURST intervals plus the
    lag the client's limiter adds (and a little slack), evenly."""
    return interval + (lag + BUCKET_SLACK) / BURST


def read_answered(
    state: GuildAttribution, started: float, answered: float, interval: float
) -> None:
    """A read that went out at `started` was answered at `answered` (monotonic clock): note
    whether it may have reached Discord after the end of the window it was sent in."""
    closes = window_closes(state, interval)
    state.straddled = closes is not None and started < closes <= answered


def bucket_fresh_at(state: GuildAttribution, interval: float) -> float | None:
    """When (monotonic clock) the invite list's bucket holds none of this process's reads
    any more: their window has ended for Discord and for the client's limiter (None: no read
    made). Another worker taking the guild over knows nothing of them; from then on, its
    first reads cannot meet a spent bucket."""
    closes = window_closes(state, interval)
    return None if closes is None else closes + limiter_lag(state) + BUCKET_SLACK


def window_closes(state: GuildAttribution, interval: float) -> float | None:
    """From when (monotonic clock) a read reaches Discord after the end of the bucket's
    current window: BURST intervals after its first read went out (None: no read yet)."""
    return None if state.window_opened is None else state.window_opened + BURST * interval


def deferral_wait(state: GuildAttribution, retry_after: float, interval: float) -> float:
    """How long to wait when the client's rate limiter would have held a read back.

    hikari can take a fixed-window bucket for a sliding one whose single slot lasts the whole
    window (when a read reaches Discord just after the window turned). It then allows one
    read per window, each landing in a new window, which keeps it believing so. A wait far
    longer than the pacing interval may say it is in that state, or only that it counted
    reads of the window before (then the next reads go through). It is stuck when the read
    before was answered after its window ended (`read_answered`), or after two such waits
    with at most one read between: waiting one window more then lets it gain two reads, and
    two reads in one window show it the bucket is fixed again. Records the long wait in
    `state` (`read_made` counts the reads after it)."""
    if retry_after <= TRAPPED_AFTER * interval:
        return retry_after
    stuck = state.straddled or (
        state.reads_since_long_wait is not None and state.reads_since_long_wait <= 1
    )
    state.reads_since_long_wait = None if stuck else 0
    state.straddled = False
    if stuck:
        return retry_after + BURST * interval + BUCKET_SLACK
    return retry_after


def delivery_margin(
    configured: float, delays: Iterable[tuple[datetime, float]], now: datetime
) -> float:
    """How long after a read the join events of its window can still arrive: the configured
    margin, or longer while events of the last few minutes took longer than that to be
    stored (a loaded service, a slow bot, a clock ahead of Discord's), up to MAX_MARGIN.

    A window decided before one of its events arrives can only leave that join less certain
    (or, if a join that used no invite stood in for it, credit the wrong member), so the
    margin is stretched, never shortened."""
    recent = [delay for stored_at, delay in delays if stored_at >= now - DELAYS_FOR]
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
