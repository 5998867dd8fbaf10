"""Decided windows: join events that arrive after their window was decided."""

from __future__ import annotations

from datetime import timedelta

from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.ledger import Ledger
from tests.unit.domain.test_ledger import at, by_key, snap


def test_a_late_join_in_a_window_without_uses_used_no_invite() -> None:
    ledger = Ledger(snap(0, a=0))
    ledger.add_join("m1", at(0.5))
    ledger.observe(snap(1, a=0))
    assert by_key(ledger.settle(at(2.1))) == {"m1": (JoinType.UNKNOWN, None)}
    ledger.add_join("m2", at(0.6))
    assert by_key(ledger.settle(at(3))) == {"m2": (JoinType.UNKNOWN, None)}


def test_a_late_discovery_join_does_not_take_a_use_left_unexplained() -> None:
    # Two joins in one window, both events later than the margin: the discovery join's
    # event comes first and must not take the invite of the member whose event is later still.
    ledger = Ledger(snap(0, a=0), margin=timedelta(seconds=0.75))
    ledger.observe(snap(1, a=1))
    assert ledger.settle(at(2)) == []  # a use, no join yet: nothing to decide
    ledger.add_join("discovery", at(0.3))
    ledger.add_join("member", at(0.6))
    decisions = ledger.settle(at(2.5))
    assert [d.join_type for d in decisions] == [JoinType.AMBIGUOUS] * 2


def test_a_very_late_join_in_a_fully_explained_window_used_no_invite() -> None:
    ledger = Ledger(snap(0, a=0))
    ledger.add_join("m1", at(0.5))
    ledger.observe(snap(1, a=1))
    ledger.settle(at(2.1))
    ledger.add_join("m2", at(0.7))
    decisions = ledger.settle(at(5))
    assert decisions[0].join_type is JoinType.AMBIGUOUS
    assert decisions[0].candidates == ("(none)", "a")
