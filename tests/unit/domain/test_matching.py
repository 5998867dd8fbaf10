"""Which codes can explain a window's joins."""

from __future__ import annotations

import pytest

from invite_tracker.domain.evidence import UNLIMITED, UseRange
from invite_tracker.domain.matching import NO_INVITE, SegmentWindow, possible_codes, solve_segment


def r(lo: int, hi: int | None = None) -> UseRange:
    return UseRange(lo, lo if hi is None else hi)


@pytest.mark.parametrize(
    ("ranges", "joins", "relaxed", "expected"),
    [
        ({"a": r(1)}, 1, False, {"a"}),  # one use, one join
        ({"a": r(5)}, 5, False, {"a"}),  # a raid through one invite
        ({"a": r(1), "b": r(1)}, 2, False, {"a", "b"}),  # two joins, two invites: who knows
        ({"a": r(1)}, 2, False, {"a", NO_INVITE}),  # one of them used no invite
        ({}, 1, False, {NO_INVITE}),  # nothing changed: discovery
        ({"a": r(2)}, 1, False, None),  # a use's join has not arrived yet
        ({"a": r(2)}, 1, True, {"a"}),  # ... and never will: still a
        ({"a": r(1), "b": r(1)}, 1, True, {"a", "b"}),
        ({"s": r(0, 1), "b": r(1)}, 1, False, {"b"}),  # a maybe-used deleted invite
        ({"s": r(0, 1), "b": r(1)}, 2, False, {"s", "b", NO_INVITE}),
        ({"s": r(0, 1)}, 1, False, {"s", NO_INVITE}),
        ({"u": r(0, UNLIMITED)}, 3, False, {"u", NO_INVITE}),
        ({"a": r(1)}, 0, False, None),  # a use without its join yet
        ({"a": r(1)}, 0, True, set()),
        ({}, 0, False, set()),
    ],
)
def test_possible_codes(
    ranges: dict[str, UseRange], joins: int, relaxed: bool, expected: set[str] | None
) -> None:
    found = possible_codes(ranges, joins, relaxed=relaxed)
    assert (None if found is None else set(found)) == expected


def test_a_boundary_join_is_solved_on_both_sides() -> None:
    # window 1 saw a+1, window 2 saw b+1; one join certainly in window 1, one on the boundary:
    # the boundary join must be window 2's (window 1's single use is taken) -> b.
    answer = solve_segment(
        [SegmentWindow({"a": r(1)}, 1), SegmentWindow({"b": r(1)}, 0)], [1], relaxed=False
    )
    assert answer.consistent
    assert answer.windows[0] == {"a"}
    assert answer.boundaries[0] == {"b"}


def test_a_boundary_join_between_the_same_code_is_certain() -> None:
    answer = solve_segment(
        [SegmentWindow({"a": r(2)}, 1), SegmentWindow({"a": r(1)}, 1)], [1], relaxed=False
    )
    assert answer.boundaries[0] == {"a"}
    assert answer.windows == (frozenset({"a"}), frozenset({"a"}))


def test_a_boundary_join_that_fits_either_side_is_ambiguous() -> None:
    answer = solve_segment(
        [SegmentWindow({"a": r(1)}, 0), SegmentWindow({"b": r(1)}, 0)], [1], relaxed=True
    )
    assert answer.boundaries[0] == {"a", "b"}


def test_counts_that_cannot_fit_are_solved_as_one_window_with_relaxed_bounds() -> None:
    answer = solve_segment([SegmentWindow({"a": r(3)}, 1)], [], relaxed=False)
    assert answer.consistent
    assert answer.windows[0] == {"a"}


def test_too_many_joins_during_reads_are_solved_as_one_window() -> None:
    # 3 reads with 15 joins each in flight: 16**3 placements; one invite explains them all.
    windows = [SegmentWindow({"a": r(16)}, 0) for _ in range(4)]
    answer = solve_segment(windows, [16, 16, 16], relaxed=True)
    assert answer.boundaries == (frozenset({"a"}),) * 3
    two_codes = [*windows[:3], SegmentWindow({"b": r(16)}, 0)]
    mixed = solve_segment(two_codes, [16, 16, 16], relaxed=True)
    assert mixed.boundaries == (frozenset({"a", "b"}),) * 3  # merged: time is lost


def test_boundary_joins_are_placed_so_every_use_has_its_join() -> None:
    # 3 uses of a, then 2 more; 3 joins certainly in window 1, 2 during the read between.
    # Putting both boundary joins in window 1 would leave window 2's uses without joins and
    # make two joins "without invite"; the counts only fit with both in window 2.
    answer = solve_segment(
        [SegmentWindow({"a": r(3)}, 3), SegmentWindow({"a": r(2)}, 0)], [2], relaxed=True
    )
    assert answer.windows[0] == {"a"}
    assert answer.boundaries[0] == {"a"}


A, B = frozenset({"a"}), frozenset({"b"})
AB = A | B


@pytest.mark.parametrize(
    ("first", "second", "boundary", "expected"),
    [
        # the read between saw a+1, the next one b+1; two joins were made while it was in
        # flight: it counted the earlier one, so that one used a and the later one b
        (({"a": r(1)}, 0), ({"b": r(1)}, 0), [0.0, 0.03], (A, B)),
        (({"a": r(1)}, 0), ({"b": r(1)}, 0), [0.03, 0.0], (A, B)),  # given in any order
        # closer together than ORDER_TOLERANCE: either may have been counted first
        (({"a": r(1)}, 0), ({"b": r(1)}, 0), [0.0, 0.005], (AB, AB)),
        (({"a": r(1)}, 0), ({"b": r(1)}, 0), 2, (AB, AB)),  # times unknown
        # the read counted two of three: the last one is the next window's
        (({"a": r(2)}, 0), ({"b": r(1)}, 0), [0.0, 0.02, 0.04], (A, A, B)),
        (({"a": r(1)}, 0), ({"b": r(2)}, 0), [0.0, 0.02, 0.04], (A, B, B)),
        # one join certainly before, and one of the two in flight counted: which one is known
        # (the earlier), not which of a and b the first window's two joins used
        (({"a": r(1), "b": r(1)}, 1), ({"b": r(2)}, 1), [0.0, 0.03], (AB, B)),
    ],
)
def test_joins_in_flight_were_counted_in_time_order(
    first: tuple[dict[str, UseRange], int],
    second: tuple[dict[str, UseRange], int],
    boundary: list[float] | int,
    expected: tuple[frozenset[str], ...],
) -> None:
    windows = [SegmentWindow(*first), SegmentWindow(*second)]
    answer = solve_segment(windows, [boundary], relaxed=False)
    assert answer.consistent
    assert answer.ranked[0] == expected
    assert answer.boundaries[0] == frozenset().union(*expected)
