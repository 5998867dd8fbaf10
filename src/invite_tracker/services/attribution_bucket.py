"""How the engine's reads of a guild's invite list fit its rate-limit bucket: Discord's fixed
window of BURST reads, as Discord and the client's limiter (hikari) each count it, and when the
next read may go so that none is refused or held back."""

from __future__ import annotations

import statistics
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from invite_tracker.services.attribution_pacing import GuildAttribution

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
    read. While joins are `crowded`, the reads are grouped instead (`crowded_turn`)."""
    lag = limiter_lag(state)
    if state.calm < CALM_AFTER and crowded(state, interval):
        turn = crowded_turn(state, interval, lag)
    else:
        turn = spread_turn(state, interval, calm_interval, lag)
    return turn + hold_at_window_end(state, turn, interval)


def spread_turn(
    state: GuildAttribution, interval: float, calm_interval: float, lag: float
) -> float:
    """When the next read may start with the reads spread evenly (or calmly, in a raid): see
    `next_read_at`."""
    if state.calm >= CALM_AFTER:
        turn = state.last_fetch + calm_interval
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
    return turn


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
