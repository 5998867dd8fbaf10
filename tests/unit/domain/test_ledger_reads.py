"""Joins made while a read was counted: which side of it they fall on, and what its
counting instants let the ledger assume about them."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from invite_tracker.domain.decisions import Decision
from invite_tracker.domain.evidence import VANITY, InviteCount, Snapshot, counted_in_order
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.ledger import LOOKAHEAD, Ledger
from tests.unit.domain.test_ledger import VANITY_CODE, at, by_key, snap


def counted(
    sent: float, first: float, last: float, vanity: int, *, in_order: bool, **uses: int
) -> Snapshot:
    """A read Discord counted from `first` to `last` (its two requests, apart or not)."""
    invites = {code: InviteCount(code, n, inviter_id=ord(code[0])) for code, n in uses.items()}
    return Snapshot(
        at(sent),
        at(last + 0.05),
        invites,
        vanity,
        (at(first), at(last)),
        VANITY_CODE,
        in_order=in_order,
    )


@pytest.mark.parametrize(
    ("instants", "expected"),
    [
        ([], True),
        ([None], True),  # one read is counted at one instant, even when it does not say
        ([at(1)], True),
        ([at(1), at(1.005)], True),  # within ONE_INSTANT
        ([at(1), at(1.4)], False),  # the vanity counter answered later
        ([at(1), None], False),  # one did not say when
    ],
)
def test_counted_in_order(instants: list[datetime | None], expected: bool) -> None:
    assert counted_in_order(instants) is expected


def three_joins(read: Snapshot) -> list[Decision]:
    """T (through `t`) at 0.5 s, then B (through `a`) at 1.1 s and A (the vanity URL) at
    1.2 s, both made while `read` was counted; a read at 2 s shows every use."""
    ledger = Ledger(snap(0, vanity=0, t=0, a=0))
    ledger.add_join("T", at(0.5))
    ledger.add_join("B", at(1.1))
    ledger.add_join("A", at(1.2))
    ledger.observe(read)
    ledger.observe(snap(2, vanity=1, t=1, a=1))
    return ledger.settle(at(30))


def test_joins_between_two_counts_of_one_read_are_not_taken_in_time_order() -> None:
    """The invite list was counted at 1.0 s and the vanity counter at 1.4 s. B joined
    through `a` at 1.1 s (after the list's count), A through the vanity URL at 1.2 s (before
    the counter's): the read counted A, not B, though B came first. A must not be credited
    `a`."""
    decided = {d.key: d for d in three_joins(counted(0.95, 1.0, 1.4, 1, in_order=False, t=1, a=0))}
    assert decided["A"].join_type is JoinType.AMBIGUOUS
    assert VANITY in decided["A"].candidates
    assert {decided[key].join_type for key in "TAB"} == {JoinType.AMBIGUOUS}


def test_joins_within_one_count_are_taken_in_time_order() -> None:
    """The same joins, the read counted at one instant (1.15 s, say): the earliest joins are
    the ones it counted, so B (1.1 s) is counted with T, and A (1.2 s) falls in the next
    window, alone with its code."""
    decided = three_joins(counted(0.95, 1.0, 1.4, 0, in_order=True, t=1, a=1))
    assert by_key(decided)["A"] == (JoinType.VANITY, VANITY_CODE)


def test_a_join_made_while_the_first_read_was_counted_is_credited_what_the_next_shows() -> None:
    """No window before the baseline says whether it counted a join made while it was read.
    When the next window shows one use and no other join, that join made it: its event came
    in time, and so would another member's (the margin is for them). Were another's event
    later than the margin, the join could take that member's invite: the same limit as for a
    join through no invite, which the margin's stretching to the events seen is for."""
    ledger = Ledger(counted(0.95, 1.0, 1.1, 0, in_order=True, a=0, b=0))
    ledger.add_join("A", at(1.05))
    ledger.observe(snap(2, vanity=0, a=0, b=1))
    assert by_key(ledger.settle(at(30))) == {"A": (JoinType.INVITE, "b")}


def test_a_join_during_a_snapshot_read_is_placed_by_the_counts() -> None:
    ledger = Ledger(snap(0, a=0, b=0))
    ledger.add_join("m1", at(0.5))
    ledger.add_join("edge", at(1.04))  # while the snapshot at 1.0 was in flight
    ledger.observe(snap(1, a=1, b=0))  # it was not counted there...
    # which only the next read can tell: m1 waits for it
    assert ledger.settle(at(2.1)) == []
    assert ledger.decides_at is None
    ledger.observe(snap(2, a=1, b=1))  # ...but here
    assert by_key(ledger.settle(at(3.1))) == {
        "m1": (JoinType.INVITE, "a"),
        "edge": (JoinType.INVITE, "b"),
    }


def counted_at(seconds: float, when: float, **uses: int) -> Snapshot:
    """A read sent at `seconds` that Discord says it counted at `when` (within 5 ms)."""
    instant = at(when)
    span = (instant - timedelta(milliseconds=5), instant + timedelta(milliseconds=5))
    return dataclasses.replace(snap(seconds, **uses), counted=span)


@pytest.mark.parametrize(
    ("read", "decided_first", "then"),
    [
        # Discord counted the read at 1.03, before the join at 1.04: the join is the next
        # window's, so the first window is decided without waiting for another read
        (counted_at(1, 1.03, a=1, b=0), {"m1": (JoinType.INVITE, "a")}, {"edge": "b"}),
        # it counted it at 1.05, after the join: both are the first window's, which saw two
        # codes used
        (
            counted_at(1, 1.05, a=1, b=1),
            {"m1": (JoinType.AMBIGUOUS, None), "edge": (JoinType.AMBIGUOUS, None)},
            {},
        ),
        # it counted it within 5 ms of the join: either side, so the next read decides
        (counted_at(1, 1.042, a=1, b=0), {}, {"m1": "a", "edge": "b"}),
        # it did not say when: the join is somewhere in the read's flight, as above
        (snap(1, a=1, b=0), {}, {"m1": "a", "edge": "b"}),
    ],
)
def test_discords_clock_places_a_join_made_while_the_read_flew(
    read: Snapshot,
    decided_first: dict[str, tuple[JoinType, str | None]],
    then: dict[str, str],
) -> None:
    ledger = Ledger(snap(0, a=0, b=0))
    ledger.add_join("m1", at(0.5))
    ledger.add_join("edge", at(1.04))  # while the read sent at 1.0 flew (until 1.08)
    ledger.observe(read)
    assert by_key(ledger.settle(at(2.1))) == decided_first
    ledger.observe(snap(2, a=1, b=1))
    assert by_key(ledger.settle(at(3.1))) == {
        key: (JoinType.INVITE, code) for key, code in then.items()
    }


def test_join_events_are_awaited_a_margin_after_discord_counted_the_read() -> None:
    ledger = Ledger(snap(0, a=0), margin=timedelta(seconds=0.75))
    ledger.add_join("m1", at(0.5))
    ledger.observe(counted_at(1, 1.04, a=1))
    assert ledger.decides_at == at(1.035 + 0.75)


@pytest.mark.parametrize(
    ("second_at", "found"),
    [
        # as in a burst run: Discord answered the read at 1.0 between the two joins in flight,
        # so it counted the earlier one
        (1.06, {"first": (JoinType.INVITE, "a"), "second": (JoinType.INVITE, "b")}),
        # under 10 ms apart: they may have been counted in either order
        (1.025, {"first": (JoinType.AMBIGUOUS, None), "second": (JoinType.AMBIGUOUS, None)}),
    ],
)
def test_of_two_joins_during_a_read_it_counted_the_earlier(
    second_at: float, found: dict[str, tuple[JoinType, str | None]]
) -> None:
    ledger = Ledger(snap(0, a=0, b=0))
    ledger.add_join("first", at(1.02))
    ledger.add_join("second", at(second_at))
    ledger.observe(snap(1, a=1, b=0))
    ledger.observe(snap(1.3, a=1, b=1))
    decisions = ledger.settle(at(2.4))
    assert by_key(decisions) == found
    ambiguous = [d for d in decisions if d.join_type is JoinType.AMBIGUOUS]
    assert all(d.candidates == ("a", "b") for d in ambiguous)


def test_joins_during_every_read_do_not_hold_a_raid_up() -> None:
    ledger = Ledger(snap(0, a=0))
    uses = 0
    for second in range(1, 10):
        for n in range(4):  # three joins between reads, one while the read is in flight
            ledger.add_join((second, n), at(second - 0.9 + n * 0.3))
        uses += 4
        ledger.observe(snap(second, a=uses - 1))  # the in-flight join is not counted yet
        # a window waits for LOOKAHEAD more reads (each has a join in flight) and the margin
        decided = ledger.settle(at(second + 0.1))
        assert {d.join_type for d in decided} <= {JoinType.INVITE}
        expected = 3 if second > LOOKAHEAD + 1 else 0
        assert len(decided) >= expected  # read by read, not when the raid ends
    assert ledger.pending <= 4 * (LOOKAHEAD + 1) + 1


def test_a_join_in_flight_credited_to_an_invite_of_the_next_window_gets_its_inviter() -> None:
    # "n" was created after the read at 0.95 answered and used by the join at 1.0, made while
    # that read was in flight: only the next read knows the code, and so its inviter
    ledger = Ledger(snap(0, a=0))
    ledger.add_join("m", at(1.0))
    ledger.observe(snap(0.95, a=0))
    ledger.observe(snap(2, a=0, n=1))
    decisions = ledger.settle(at(3.5))
    assert [(d.key, d.join_type, d.code, d.inviter_id) for d in decisions] == [
        ("m", JoinType.INVITE, "n", ord("n"))
    ]
