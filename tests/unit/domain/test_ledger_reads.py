"""What a read's counting instants let the ledger assume about the joins made meanwhile."""

from __future__ import annotations

from datetime import datetime

import pytest

from invite_tracker.domain.decisions import Decision
from invite_tracker.domain.evidence import VANITY, InviteCount, Snapshot, counted_in_order
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.ledger import Ledger
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
