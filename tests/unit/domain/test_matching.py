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


def test_inconsistent_counts_make_everything_possible() -> None:
    answer = solve_segment([SegmentWindow({"a": r(3)}, 1)], [], relaxed=False)
    assert not answer.consistent
    assert answer.windows[0] == {"a", NO_INVITE}
