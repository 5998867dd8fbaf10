"""The idealised reading policies `benchmarks/event_reads.py` replays (no I/O)."""

from __future__ import annotations

import pytest
from benchmarks.event_reads import Policy, counted_reads, on_every_event, truths

from invite_tracker.simulator.model import DeleteInvite, InviteSpec, Join, Scenario
from invite_tracker.simulator.scoring import Source


def timeline(*joins: Join) -> Scenario:
    return Scenario("t", 1, True, 10, 1, (), tuple(joins), (0.05, 0.5))


# two joins through two codes, 0.3 s apart; the first one's event 0.2 s late
APART = timeline(Join(1.0, 1, "a", 0.2), Join(1.3, 2, "b", 0.1))


@pytest.mark.parametrize(
    ("scenario", "policy", "expected"),
    [
        # a read when each event arrives, counted 80 ms later
        (APART, Policy("on events"), [1.28, 1.48]),
        (APART, Policy("no flight", flight=0.0), [1.2, 1.4]),
        # a follow-up 0.2 s after each event's read, within one read per join
        (APART, Policy("+1", follow_ups=1), [1.28, 1.48]),
        (APART, Policy("+1, 2 per join", follow_ups=1, budget=2.0), [1.28, 1.48, 1.68]),
        # events delivered at once, or moved from the scenario's 50-500 ms into 50-150 ms in
        # proportion (0.2 s is a third of the way: 83 ms; 0.1 s a ninth: 61 ms)
        (APART, Policy("at once", delivery=(0.0, 0.0)), [1.08, 1.38]),
        (APART, Policy("sooner", delivery=(0.05, 0.15)), [1.13 + 0.1 / 3, 1.43 + 0.1 / 9]),
        # the second join is covered by a read already counted after it: no read of its own
        (
            timeline(Join(1.0, 1, "a", 0.4), Join(1.1, 2, "b", 0.35)),
            Policy("on events"),
            [1.48],
        ),
        # reads stay at least `gap` apart: the second waits its turn
        (
            timeline(Join(1.0, 1, "a", 0.1), Join(1.19, 2, "b", 0.02)),
            Policy("on events"),
            [1.18, 1.38],
        ),
        # bots are told apart by their event: no read
        (timeline(Join(1.0, 1, None, 0.1, bot=True)), Policy("on events"), []),
    ],
)
def test_counted_reads(scenario: Scenario, policy: Policy, expected: list[float]) -> None:
    assert counted_reads(scenario, policy) == pytest.approx(expected)


def test_the_bucket_holds_a_sixth_read_to_a_second_after_the_first() -> None:
    joins = [Join(1.0 + n * 0.1, n, f"c{n}", 0.01) for n in range(6)]
    reads = counted_reads(timeline(*joins), Policy("tight", gap=0.0))
    assert reads == pytest.approx([1.09, 1.19, 1.29, 1.39, 1.49, 2.09])


def test_the_ceiling_reads_the_instant_each_join_event_arrives() -> None:
    # the first delivery of each join's event, in order of arrival; bots need no read; a
    # read already counted after a join does not stand in for its own, nor does the bucket
    # hold any back
    scenario = timeline(
        Join(1.0, 1, "a", 0.4, repeat_after=0.5),
        Join(1.1, 2, "b", 0.05),
        Join(1.2, 3, None, 0.1, bot=True),
        *(Join(2.0 + n * 0.01, 4 + n, "c", 0.01) for n in range(6)),
    )
    expected = [1.15, 1.4, *(2.01 + n * 0.01 for n in range(6))]
    assert on_every_event(scenario) == pytest.approx(expected)


def test_truths_keep_each_joins_source() -> None:
    found = truths(
        timeline(
            Join(1.0, 1, "a", 0.1),
            Join(2.0, 2, "vanity", 0.1),
            Join(3.0, 3, None, 0.1),
            Join(4.0, 4, None, 0.1, bot=True),
        )
    )
    assert [(t.offset, t.source, t.code) for t in found] == [
        (1.0, Source.INVITE, "a"),
        (2.0, Source.VANITY, None),
        (3.0, Source.NONE, None),
        (4.0, Source.BOT, None),
    ]


LIMITED = (InviteSpec("a", 0, max_uses=1), InviteSpec("b", 0, max_uses=2))


def with_invites(*actions: Join | DeleteInvite) -> Scenario:
    """A timeline over limited invites whose unplanned events (a use-up) arrive 0.1 s late."""
    return Scenario("t", 1, True, 10, 1, LIMITED, tuple(actions), (0.1, 0.1))


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        # the use-up's delete event comes 0.3 s before the join's: the read is made on it, and
        # covers the join when its event comes
        (with_invites(Join(1.0, 1, "a", 0.4)), [1.18]),
        # a join event first: its read covers the use-up, whose delete calls for none
        (with_invites(Join(1.0, 1, "a", 0.05)), [1.13]),
        # an invite not used up yet (1 use of 2) is not deleted
        (with_invites(Join(1.0, 1, "b", 0.4)), [1.48]),
        # deleted out of band before it was used up: read on it (it may have been used)
        (with_invites(DeleteInvite(1.0, "b", by_staff=False, delay=0.2)), [1.28]),
        # deleted through the tracker's own API: known, no read
        (with_invites(DeleteInvite(1.0, "b", by_staff=True, delay=0.2)), []),
    ],
)
def test_reading_on_limited_invites_deletes(scenario: Scenario, expected: list[float]) -> None:
    assert counted_reads(scenario, Policy("deletes", on_deletes=True)) == pytest.approx(expected)
