"""Discord's clock heard in the rate-limit headers hikari parses, and hikari's buckets freed
on it (no I/O)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import hikari
import pytest
from hikari.impl import buckets
from hikari.internal import routes

from invite_tracker.discord.discord_clock import (
    ARRIVAL_MARGIN,
    ROUTES_KEPT,
    DiscordClock,
    Heard,
    counted_at,
)

INSTANT = datetime(2026, 11, 30, 1, 2, 3, 456000, tzinfo=UTC)
INVITES = routes.GET_GUILD_INVITES.compile(guild=1)


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        ([Heard(INSTANT.timestamp())], INSTANT),  # its own answer alone
        ([], None),  # none: refused before it left, or no rate-limit headers
        ([Heard(INSTANT.timestamp()), Heard(INSTANT.timestamp() + 0.2)], None),  # which?
        ([Heard(0.0)], None),  # headers missing: hikari reads them as 0
    ],
)
def test_counted_at(heard: list[Heard], expected: datetime | None) -> None:
    assert counted_at(heard) == expected


def update(
    clock: buckets.RESTBucketManager,
    route: routes.CompiledRoute,
    reset: float,
    after: float,
    remaining: int = 4,
) -> None:
    clock.update_rate_limits(
        compiled_route=route,
        authentication="Bot x",
        bucket_header="b",
        remaining_header=remaining,
        limit_header=5,
        reset_at=reset,
        reset_after=after,
    )


class Now:
    """A settable clock for the bucket manager's send times."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def now() -> Now:
    return Now(1000.0)


@pytest.fixture
async def clock(now: Now) -> AsyncIterator[DiscordClock]:
    manager = DiscordClock(1.0, now=now)
    manager.start()
    try:
        yield manager
    finally:
        await manager.close()


async def read(
    clock: DiscordClock,
    now: Now,
    trip: float,
    *,
    remaining: int = 4,
    window: float = 1.0,
) -> list[Heard]:
    """One request on INVITES that leaves at `now` and is counted `trip` later (by Discord's
    clock); its answer says the bucket resets `window` after that."""
    with clock.listen(str(INVITES)) as heard:
        async with clock.acquire_bucket(INVITES, "Bot x"):
            counted = now.at + trip
            update(clock, INVITES, counted + window, window, remaining)
    return heard


async def test_listeners_hear_their_route_only_while_they_listen(clock: DiscordClock) -> None:
    other_guild = routes.GET_GUILD_INVITES.compile(guild=2)
    with clock.listen("GET /guilds/1/invites") as first:
        with clock.listen("GET /guilds/1/invites") as second:
            update(clock, INVITES, 1000.75, 0.75)
        update(clock, other_guild, 2000.0, 1.0)
        update(clock, INVITES, 1001.5, 0.5)
    update(clock, INVITES, 1003.0, 1.0)
    # no request of theirs left through the manager: no trip, so no lag
    assert first == [Heard(1000.0), Heard(1001.0)]
    assert second == [Heard(1000.0)]


@pytest.mark.parametrize(
    ("trips", "lead", "lags"),
    [
        # Discord's clock agrees with ours: the lead is the fastest trip less the margin,
        # and each read lags by the margin and how much slower than the fastest it was
        ([0.08], 0.08 - ARRIVAL_MARGIN, [ARRIVAL_MARGIN]),
        ([0.09, 0.08, 0.1], 0.08 - ARRIVAL_MARGIN, [ARRIVAL_MARGIN, ARRIVAL_MARGIN, 0.04]),
        # Discord's clock an hour ahead: it is in every trip, and in the lead
        ([3600.08, 3600.09], 3600.08 - ARRIVAL_MARGIN, [ARRIVAL_MARGIN, 0.03]),
        # ours ahead of Discord's: a negative trip, and hikari frees buckets later
        ([-0.5], -0.5 - ARRIVAL_MARGIN, [ARRIVAL_MARGIN]),
    ],
)
async def test_trips_set_the_lead_and_each_reads_lag(
    clock: DiscordClock, now: Now, trips: list[float], lead: float, lags: list[float]
) -> None:
    heard = []
    for trip in trips:
        now.at += 2.0
        heard.extend(await read(clock, now, trip))
    assert clock.lead == pytest.approx(lead)
    assert [item.lag for item in heard] == pytest.approx(lags)


@pytest.mark.parametrize("step", [-600.0, 600.0, 5.0])
async def test_trips_from_before_a_clock_step_are_dropped(
    clock: DiscordClock, now: Now, step: float
) -> None:
    """Discord's clock and ours disagree by `step` for a while (a suspend, a correction),
    then agree again. The fastest trip from before would tell hikari every bucket resets
    `step` later than it does, and hold the reads that long: it is dropped."""
    for _ in range(3):
        now.at += 2.0
        await read(clock, now, step + 0.08)
    assert clock.lead == pytest.approx(step + 0.08 - ARRIVAL_MARGIN)
    now.at += 2.0
    (heard,) = await read(clock, now, 0.1)
    assert clock.lead == pytest.approx(0.1 - ARRIVAL_MARGIN)
    assert heard.lag == pytest.approx(ARRIVAL_MARGIN)


async def test_a_slow_answer_is_no_clock_step(clock: DiscordClock, now: Now) -> None:
    """An answer heard 3 s after Discord counted it (a slow way back, a busy event loop)
    says the bucket resets sooner than the lead would: the trips measured are kept."""
    for _ in range(3):
        now.at += 2.0
        await read(clock, now, 0.08)
    now.at += 2.0
    with clock.listen(str(INVITES)):
        async with clock.acquire_bucket(INVITES, "Bot x"):
            counted = now.at + 0.09
            now.at = counted + 3.0  # the answer comes 3 s after Discord counted the read
            update(clock, INVITES, counted + 1.0, 1.0)
    assert clock.lead == pytest.approx(0.08 - ARRIVAL_MARGIN)


async def test_no_trip_no_lead(clock: DiscordClock) -> None:
    assert clock.lead == 0.0


async def test_a_request_not_alone_on_its_route_measures_no_trip(
    clock: DiscordClock, now: Now
) -> None:
    await read(clock, now, 0.08)  # hikari learns the bucket (an unknown one takes one)
    with clock.listen(str(INVITES)) as heard:
        async with clock.acquire_bucket(INVITES, "Bot x"):
            now.at += 0.01
            async with clock.acquire_bucket(INVITES, "Bot x"):
                update(clock, INVITES, now.at + 1.01, 1.0)  # whose answer? 10 ms or 0 ms
    assert heard == [Heard(now.at + 0.01)]
    assert clock.lead == pytest.approx(0.08 - ARRIVAL_MARGIN)


async def refused_until(manager: buckets.RESTBucketManager) -> float:
    """Spend the bucket (reads counted 80 ms after they left; real time, as hikari's buckets
    read `time.time()`), and see until when hikari refuses the next read, from Discord's
    reset."""
    manager.start()
    try:
        reset = time.time() + 0.08 + 5.0
        for remaining in range(4, -1, -1):  # five reads in one window: a fixed bucket
            async with manager.acquire_bucket(INVITES, "Bot x"):
                update(manager, INVITES, reset, reset - time.time() - 0.08, remaining)
        with pytest.raises(hikari.RateLimitTooLongError) as refused:
            async with manager.acquire_bucket(INVITES, "Bot x"):
                pass
        return refused.value.reset_at - reset
    finally:
        await manager.close()


async def test_hikari_frees_a_spent_bucket_the_lead_before_discords_reset() -> None:
    ours = DiscordClock(0.0)
    freed = await refused_until(ours)
    assert await refused_until(buckets.RESTBucketManager(0.0)) == pytest.approx(0.0)
    assert ours.lead == pytest.approx(0.08 - ARRIVAL_MARGIN, abs=0.01)
    assert freed == pytest.approx(-ours.lead, abs=0.002)


async def test_a_read_counted_before_the_reset_doubles_the_margin(
    clock: DiscordClock, now: Now
) -> None:
    (spent,) = await read(clock, now, 0.08, remaining=0)
    reset = spent.counted + 1.0
    now.at = reset - 0.1  # left too early: Discord counts it (and refuses it) 20 ms early
    with clock.listen(str(INVITES)) as heard:
        async with clock.acquire_bucket(INVITES, "Bot x"):
            update(clock, INVITES, reset, 0.02, remaining=0)
    assert heard[0].counted == pytest.approx(reset - 0.02)
    assert clock.lead == pytest.approx(0.08 - 2 * ARRIVAL_MARGIN)
    # a read counted after the reset is not early
    now.at = reset + 0.5
    await read(clock, now, 0.08)
    assert clock.lead == pytest.approx(0.08 - 2 * ARRIVAL_MARGIN)


async def test_routes_whose_window_is_over_are_forgotten_when_many(
    clock: DiscordClock, now: Now
) -> None:
    for guild in range(ROUTES_KEPT + 1):
        update(clock, routes.GET_GUILD_INVITES.compile(guild=guild), now.at + 1.0, 1.0, 0)
        now.at += 1 / 64  # exact in binary
    # the routes whose window ended before the last answer was counted are gone: those of
    # the answers heard in its last second are kept
    assert len(clock._last) == 64
