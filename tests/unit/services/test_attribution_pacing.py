"""The engine's rules besides the bucket's: the margin for late events, raid detection, when a
read is called for, refusals remembered, idle guilds released."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from invite_tracker.domain.evidence import InviteCount, Snapshot
from invite_tracker.domain.ledger import Ledger
from invite_tracker.services.announcer import Announcer
from invite_tracker.services.attribution import AttributionEngine
from invite_tracker.services.attribution_pacing import (
    MAX_MARGIN,
    EngineConfig,
    GuildAttribution,
    delivery_margin,
    should_read,
    still_refused,
    track_calm,
)

T0 = datetime(2026, 11, 29, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delays", "expected"),
    [
        ([], 0.75),  # nothing seen yet: the configured margin
        ([(0, 0.1), (0, 0.5)], 0.75),  # events faster than it: unchanged, never shortened
        ([(0, 0.1), (0, 0.7)], 0.95),  # one close to it: stretched, with some safety
        ([(0, 2.0)], 2.25),
        ([(0, 60.0)], MAX_MARGIN),  # a clock far ahead of Discord's: bounded
        ([(0, 60.0), (0, 61.0), (0, 0.3)], MAX_MARGIN),  # most events that late: the clock
        ([(0, 600.0), (0, 0.3), (0, 0.2)], 0.75),  # one event told again long after: ignored
        ([(0, 600.0), (0, 2.0)], 2.25),  # ignored; the others still stretch it
        ([(-400, 3.0), (0, 0.2)], 0.75),  # a slow event long ago no longer counts
        ([(0, -2.0)], 0.75),  # a clock behind Discord's
    ],
)
def test_the_margin_follows_slow_events(delays: list[tuple[float, float]], expected: float) -> None:
    stored = [(T0 + timedelta(seconds=at), delay) for at, delay in delays]
    assert delivery_margin(0.75, stored, T0) == pytest.approx(expected)


def test_crowded_reads_are_made_for_join_events_only() -> None:
    """While joins keep coming, the reads they paid for go on between their events, unless
    they are crowded: the bucket is then kept for the reads right after join events."""
    config = EngineConfig(fetch_interval=1.0)
    ledger = Ledger(Snapshot(T0, T0, {}))
    attribution = GuildAttribution(guild_id=1)
    attribution.credit = 3
    attribution.joins_loaded.append(time.monotonic())  # a join: more may be coming
    assert should_read(attribution, ledger, config)
    attribution.joins_loaded.extend([time.monotonic()] * 14)  # three a second: crowded
    assert not should_read(attribution, ledger, config)
    ledger.add_join(1, T0 + timedelta(seconds=1))  # a join after the latest read: read
    assert should_read(attribution, ledger, config)


def snap(**uses: int) -> Snapshot:
    return Snapshot(
        T0, T0 + timedelta(milliseconds=80), {c: InviteCount(c, n) for c, n in uses.items()}
    )


@pytest.mark.parametrize(
    ("windows", "calm"),
    [
        ([{"a": 3, "b": 0}, {"a": 6, "b": 0}, {"a": 9, "b": 0}], 3),  # again and again
        ([{"a": 3, "b": 0}, {"a": 4, "b": 0}], 0),  # a single join says nothing of a raid
        ([{"a": 3, "b": 0}, {"a": 6, "b": 1}], 0),  # another invite was used: fast again
        ([{"a": 3, "b": 0}, {"a": 3, "b": 0}], 1),  # a quiet window changes nothing
        ([{"a": 3, "b": 0}, {"a": 6}], 0),  # an invite vanished: fast again
    ],
)
def test_calm_counts_one_invite_raids(windows: list[dict[str, int]], calm: int) -> None:
    attribution = GuildAttribution(guild_id=1)
    before = snap(a=0, b=0)
    for uses in windows:
        after = snap(**uses)
        track_calm(attribution, before, after)
        before = after
    assert attribution.calm == calm


_T = datetime(2026, 11, 30, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("refused", "now", "said"),
    [
        (None, _T, ""),  # never refused
        ((_T, "no access"), _T, ""),  # the pause is over
        ((_T, "no access"), _T + timedelta(seconds=1), ""),
        (
            (_T + timedelta(minutes=1), "no access"),
            _T,
            "no access (not asked again before 12:01:00 UTC)",
        ),
    ],
)
def test_still_refused_says_why_until_the_pause_ends(
    refused: tuple[datetime, str] | None, now: datetime, said: str
) -> None:
    assert still_refused(refused, now) == said


@pytest.mark.parametrize(
    ("busy", "quiet_for", "released"),
    [
        (None, 700.0, True),  # idle past `idle_release` (600 s)
        (None, 500.0, False),  # idle, not long enough
        ("storing", 700.0, False),  # a join being stored
        ("undecided", 700.0, False),  # a join in the ledger, not decided yet
        ("owned", 700.0, False),  # being attributed right now
    ],
)
def test_only_guilds_idle_long_enough_are_released(
    busy: str | None, quiet_for: float, released: bool
) -> None:
    storage: Any = object()  # releasing touches neither storage nor Discord
    announcer = Announcer(storage, None, retention_days=31, clock=lambda: T0)
    engine = AttributionEngine(storage, None, EngineConfig(), announcer=announcer, clock=lambda: T0)
    with engine.storing(7, T0):  # the engine now keeps state for guild 7
        pass
    state = engine.guild_state(7)
    assert state is not None
    if busy == "storing":
        state.storing.append(T0)
    elif busy == "undecided":
        state.ledger = Ledger(Snapshot(T0, T0))
        state.ledger.add_join(1, T0)
    elif busy == "owned":
        state.owned = True
    now = max(state.active_at, state.last_fetch) + quiet_for
    assert engine.release_idle(now) == int(released)
    assert (engine.guild_state(7) is None) is released
