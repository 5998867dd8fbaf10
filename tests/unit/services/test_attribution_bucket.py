"""How the engine's reads fit the invite list's bucket: spread evenly, grouped after join
events when joins are crowded, slower in a raid, never straddling a window's end."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from invite_tracker.services.attribution_bucket import (
    BUCKET_SLACK,
    BURST,
    CALM_AFTER,
    bucket_fresh_at,
    crowded,
    deferral_wait,
    hold_at_window_end,
    limiter_lag,
    next_read_at,
    read_answered,
    read_made,
    read_spacing,
)
from invite_tracker.services.attribution_pacing import GuildAttribution

T0 = datetime(2026, 11, 29, tzinfo=UTC)


def state(reads: list[float], flight: float = 0.08, interval: float = 0.2) -> GuildAttribution:
    attribution = GuildAttribution(guild_id=1)
    for start in reads:
        read_made(attribution, start, interval, paid=True)
    attribution.flights.clear()
    attribution.flights.append(flight)
    return attribution


@pytest.mark.parametrize(
    ("reads", "expected"),
    [
        ([], -1e9 + 0.22),  # never read: at once
        # back to back, reads are spread evenly over 5 intervals plus the flight hikari adds
        ([10.0], 10.22),
        ([10.0, 10.22, 10.44, 10.66], 10.88),
        ([10.0, 10.22, 10.44, 10.66, 10.88], 10.0 + 1.0 + 0.08 + 0.02),  # the bucket refills
        ([10.0, 10.2, 10.4, 10.6, 10.8], 10.0 + 1.0 + 0.08 + 0.02),  # spent sooner: it waits
        ([10.0, 10.5, 11.0, 11.5, 12.0], 12.22),  # spread out: the bucket is no constraint
    ],
)
def test_next_read(reads: list[float], expected: float) -> None:
    assert next_read_at(state(reads), 0.2, 1.0) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("interval", "flight", "expected"),
    [
        (0.2, 0.08, 0.22),  # 5 per second: 5 reads per 1.1 s
        (0.2, 0.0, 0.204),
        (1.0, 0.08, 1.02),  # 5 per 5 s
    ],
)
def test_reads_back_to_back_are_spread_evenly(
    interval: float, flight: float, expected: float
) -> None:
    assert read_spacing(interval, flight) == pytest.approx(expected)
    # BURST of them fill exactly the time the client's limiter gives BURST reads
    assert BURST * read_spacing(interval, flight) == pytest.approx(
        BURST * interval + flight + BUCKET_SLACK
    )


@pytest.mark.parametrize(
    ("interval", "steps", "expected"),
    [
        # a number: the rate limiter asks for that wait; "read": a read went out
        (0.2, [0.05, 0.5], [0.05, 0.5]),  # the next slot is near: wait for it
        # far longer than the pacing: hikari may only have counted the window before
        (0.2, [0.9, "read", "read", "read"], [0.9]),
        # again after one read: it is stuck at one read per window; one window more
        (0.2, [0.9, "read", 0.8], [0.9, 0.8 + 1.0 + 0.02]),
        (0.2, [0.9, 0.7], [0.9, 0.7 + 1.0 + 0.02]),
        (0.2, [0.9, "read", "read", 0.8], [0.9, 0.8]),  # two reads went out between
        # after an escape, the next long wait is a first one again
        (0.2, [0.9, 0.7, "read", 0.8], [0.9, 1.72, 0.8]),
        (1.0, [4.0, "read", 4.0], [4.0, 4.0 + 5.0 + 0.02]),  # the same under 5 per 5 s
        (1.0, [2.0, 2.0], [2.0, 2.0]),
    ],
)
def test_a_deferred_read_waits(
    interval: float, steps: list[float | str], expected: list[float]
) -> None:
    attribution = GuildAttribution(guild_id=1)
    waits = []
    for step in steps:
        if isinstance(step, str):
            read_made(attribution, 0.0, interval, paid=True)
            continue
        waits.append(deferral_wait(attribution, step, interval))
    assert waits == pytest.approx(expected)


@pytest.mark.parametrize(
    ("reads", "expected"),
    [
        ([10.0], 10.0),
        ([10.0, 10.2, 10.4, 10.6, 10.8], 10.0),  # one window
        ([10.0, 10.2, 10.4, 10.6, 10.8, 11.1], 11.1),  # the sixth opens the next
        ([10.0, 10.99], 10.0),  # reaches Discord just before the window ends
        ([10.0, 11.0], 11.0),  # reaches Discord after it
        ([10.0, 11.5, 12.0, 12.5], 12.5),
    ],
)
def test_reads_know_the_window_discord_counts_them_in(reads: list[float], expected: float) -> None:
    assert state(reads).window_opened == pytest.approx(expected)


@pytest.mark.parametrize(
    ("at", "hold"),
    [
        (10.5, 0.0),
        (10.96, 0.0),  # reaches Discord within the window, counted there by both
        (10.98, 11.1 - 10.98),  # might reach Discord in the next window: waits it out
        (11.05, 0.05),
        (11.1, 0.0),  # the window has ended for the client's limiter too
        (11.3, 0.0),
    ],
)
def test_a_read_does_not_straddle_the_end_of_the_window(at: float, hold: float) -> None:
    assert hold_at_window_end(state([10.0]), at, 0.2) == pytest.approx(hold)


@pytest.mark.parametrize(
    ("reads", "expected"),
    [
        ([10.0, 10.3], 10.5),  # late: the next catches up, never closer than the interval
        ([10.0, 10.3, 10.5], 10.7),
        ([10.0, 10.25, 10.48], 10.68),  # back on time
        ([10.0, 10.3, 10.55, 10.78], 11.1),  # the fifth would straddle the window's end
    ],
)
def test_late_reads_catch_up_within_the_window(reads: list[float], expected: float) -> None:
    assert next_read_at(state(reads), 0.2, 1.0) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("flights", "lags", "expected"),
    [
        ([0.08], [], 0.08),  # the client does not say: its limiter frees a flight late
        ([0.08, 0.3, 0.09], [], 0.09),  # the typical flight
        ([0.08], [0.02], 0.02),  # it frees the bucket on Discord's clock: its margin
        ([0.08], [0.02, 0.05, 0.021], 0.021),  # a slow trip now and then
    ],
)
def test_the_limiters_lag_is_what_the_client_says(
    flights: list[float], lags: list[float], expected: float
) -> None:
    attribution = GuildAttribution(guild_id=1)
    attribution.flights.clear()
    attribution.flights.extend(flights)
    attribution.lags.extend(lags)
    assert limiter_lag(attribution) == pytest.approx(expected)


def test_a_client_freeing_the_bucket_on_discords_clock_allows_reads_nearer_the_interval() -> None:
    reads = [10.0, 10.208, 10.416, 10.624, 10.832]
    told = state(reads)
    told.lags.append(0.02)
    assert read_spacing(0.2, limiter_lag(told)) == pytest.approx(0.208)
    assert next_read_at(told, 0.2, 1.0) == pytest.approx(10.0 + 1.0 + 0.02 + BUCKET_SLACK)
    assert next_read_at(state(reads), 0.2, 1.0) == pytest.approx(10.0 + 1.0 + 0.08 + 0.02)
    assert hold_at_window_end(told, 11.03, 0.2) == pytest.approx(11.04 - 11.03)


@pytest.mark.parametrize(
    ("reads", "interval", "expected"),
    [
        ([], 0.2, None),  # no read: nothing of ours in the bucket
        ([10.0], 0.2, 10.0 + 1.0 + 0.08 + BUCKET_SLACK),  # its window, as the client ends it
        ([10.0, 10.5, 10.9], 0.2, 11.1),  # later reads of the window change nothing
        ([10.0, 11.5], 0.2, 11.5 + 1.1),  # a read after the window opens the next one
        ([10.0, 11.0], 1.0, 10.0 + 5.0 + 0.1),  # 5 per 5 s: the window lasts 5 s
    ],
)
def test_the_bucket_is_fresh_once_the_window_of_our_reads_has_ended(
    reads: list[float], interval: float, expected: float | None
) -> None:
    assert bucket_fresh_at(state(reads, interval=interval), interval) == pytest.approx(expected)


def test_no_read_yet_holds_nothing() -> None:
    assert hold_at_window_end(GuildAttribution(guild_id=1), 10.99, 0.2) == 0.0  # no read yet


@pytest.mark.parametrize(
    ("started", "answered", "straddled"),
    [
        (10.88, 10.97, False),  # the fifth read of the window, answered within it
        (10.88, 11.1, True),  # answered after the window ended: it may have reached the next
        (11.1, 11.2, False),  # it opened the next window itself
    ],
)
def test_a_read_answered_after_its_window_ended_may_have_straddled_it(
    started: float, answered: float, straddled: bool
) -> None:
    attribution = state([10.0, 10.22, 10.44, 10.66, started])
    read_answered(attribution, started, answered, 0.2)
    assert attribution.straddled is straddled


@pytest.mark.parametrize(
    ("straddled", "retry_after", "expected"),
    [
        (True, 0.97, 0.97 + 1.0 + 0.02),  # stuck at once: one window more lets it gain two
        (False, 0.97, 0.97),  # perhaps only the window before: wait and see
        (True, 0.05, 0.05),  # a short wait says nothing about that state
    ],
)
def test_a_long_wait_after_a_straddling_read_escapes_at_once(
    straddled: bool, retry_after: float, expected: float
) -> None:
    attribution = state([10.0])
    attribution.straddled = straddled
    assert deferral_wait(attribution, retry_after, 0.2) == pytest.approx(expected)
    if retry_after > 0.5:
        assert attribution.straddled is False  # one escape per straddling read


def test_a_raid_slows_reads_down() -> None:
    calm = state([10.0])
    calm.calm = CALM_AFTER
    # one read a window, each opening its own: after the window has ended for both
    assert next_read_at(calm, 0.2, 1.0) == pytest.approx(11.0 + 0.08 + 0.02)


def test_a_raid_under_the_strict_bucket_still_respects_it() -> None:
    calm = state([10.0, 11.0, 12.0, 13.0, 14.0], interval=1.0)
    calm.calm = CALM_AFTER
    assert next_read_at(calm, 1.0, 1.0) == pytest.approx(10.0 + 5.0 + 0.08 + 0.02)


@pytest.mark.parametrize(
    ("loaded", "interval", "expected"),
    [
        ([], 1.0, False),
        ([18.0 + n * 0.1 for n in range(15)], 1.0, True),  # 15 joins in the last 5 s
        ([18.0 + n * 0.1 for n in range(14)], 1.0, False),
        ([14.0] + [18.0 + n * 0.1 for n in range(14)], 1.0, False),  # one too old (15.0 on)
        ([15.0] + [18.0 + n * 0.1 for n in range(14)], 1.0, True),
        ([19.0 + n * 0.01 for n in range(14)], 0.2, False),  # 5 per second: 15 within 1 s
        ([19.1 + n * 0.06 for n in range(15)], 0.2, True),
    ],
)
def test_crowded_joins_are_three_or_more_an_interval(
    loaded: list[float], interval: float, expected: bool
) -> None:
    attribution = GuildAttribution(guild_id=1)
    attribution.joins_loaded.extend(loaded)
    assert crowded(attribution, interval, now=20.0) is expected


def crowd(attribution: GuildAttribution) -> GuildAttribution:
    """Joins coming three a second now: crowded under the 5-per-5-s bucket."""
    attribution.joins_loaded.extend([time.monotonic()] * 15)
    return attribution


@pytest.mark.parametrize(
    ("reads", "expected"),
    [
        # reads follow one another a fifth of the interval apart while the window has room
        ([10.0], 10.2),
        ([10.0, 10.2, 10.4, 10.6], 10.8),
        # its five spent, the next waits for the window's end, as Discord and hikari see it
        ([10.0, 10.2, 10.4, 10.6, 10.8], 15.0 + 0.08 + 0.02),
        # spread before the joins crowded: the next window's reads follow one another at
        # once, though five of them are then within 5 s (evenly spread reads never are)
        ([6.0, 7.02, 8.04, 9.06, 10.08, 11.1], 11.3),
        ([6.0, 7.02, 8.04, 9.06], 9.26),
        # not past the window's end while a read may straddle it
        ([10.0, 14.78], 15.1),
    ],
)
def test_crowded_reads_follow_join_events_closely(reads: list[float], expected: float) -> None:
    attribution = crowd(state(reads, interval=1.0))
    assert next_read_at(attribution, 1.0, 1.0) == pytest.approx(expected)
