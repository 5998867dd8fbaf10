"""Which codes can explain the joins of a window, given each code's possible uses.

Joins inside one window are indistinguishable: nothing in the counts says which member used
which invite. So a window answers, for its joins as a whole, the set of codes any of them may
have used. A join is attributed only when that set has one member; otherwise it is ambiguous
and credits no one (a wrong inviter is worse than none).

The rules, for a window with n joins and per-code ranges lo..hi:
- every observed use belongs to some join; a join used no visible invite (discovery, an invite
  the bot cannot see) only when the joins outnumber the observed uses: at most n - sum(lo)
  joins have no invite;
- `relaxed` (the deadline for late join events has passed): join events may be missing, so a
  code may account for fewer joins than its uses (lo becomes 0); the cap above stays.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from invite_tracker.domain.evidence import UseRange

NO_INVITE = "(none)"
"""The pseudo-code for a join through no visible invite."""
MAX_COMBINATIONS = 4096


def possible_codes(
    ranges: Mapping[str, UseRange], joins: int, *, relaxed: bool = False
) -> frozenset[str] | None:
    """Codes some join of the window may have used; None when no assignment fits the counts."""
    floor = {code: 0 if relaxed else r.lo for code, r in ranges.items()}
    low = sum(floor.values())
    high = sum(r.hi for r in ranges.values())
    cap = max(0, joins - sum(r.lo for r in ranges.values()))
    if not low <= joins <= high + cap:
        return None
    found = {
        code
        for code, r in ranges.items()
        if r.hi >= 1 and low - floor[code] + max(floor[code], 1) <= joins
    }
    if cap >= 1 and low + 1 <= joins:
        found.add(NO_INVITE)
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class SegmentWindow:
    """One window of a segment: its ranges and the joins certainly inside it."""

    ranges: Mapping[str, UseRange]
    joins: int


@dataclass(frozen=True, slots=True)
class SegmentAnswer:
    """Possible codes for the definite joins of each window, and for the joins on each
    boundary between window k and k+1. An empty answer set means the counts cannot fit."""

    windows: tuple[frozenset[str], ...]
    boundaries: tuple[frozenset[str], ...]
    consistent: bool


def solve_segment(
    windows: Sequence[SegmentWindow],
    boundaries: Sequence[int],
    *,
    relaxed: bool,
    open_end: int = 0,
) -> SegmentAnswer:
    """Possible codes across consecutive windows linked by joins of uncertain side.

    `boundaries[k]` joins happened while the snapshot between window k and k+1 was being
    read, so each belongs to one side or the other. Every split is tried (up to a bound).
    `open_end` joins happened during the last read: some may belong to the last window, the
    others to a window not read yet, which constrains nothing (they are not answered for).
    """
    if open_end:
        windows = [*windows, SegmentWindow({}, 0)]
        boundaries = [*boundaries, open_end]
    window_sets: list[set[str]] = [set() for _ in windows]
    boundary_sets: list[set[str]] = [set() for _ in boundaries]
    splits = [range(count + 1) for count in boundaries]  # how many go to the earlier side
    combinations = 1
    for count in boundaries:
        combinations *= count + 1
    if combinations > MAX_COMBINATIONS:
        return _merged(windows, boundaries, relaxed=relaxed, open_end=open_end)
    feasible: list[tuple[int, tuple[int, ...], list[frozenset[str]]]] = []
    for split in itertools.product(*splits):
        counts = [window.joins for window in windows]
        for k, earlier in enumerate(split):
            counts[k] += earlier
            counts[k + 1] += boundaries[k] - earlier
        if open_end:
            counts[-1] = 0  # the window not read yet takes any number of joins, of any code
        answers = [
            possible_codes(window.ranges, count, relaxed=relaxed)
            for window, count in zip(windows, counts, strict=True)
        ]
        if any(answer is None for answer in answers):
            continue
        without_invite = sum(
            max(0, count - sum(r.lo for r in window.ranges.values()))
            for window, count in zip(windows, counts, strict=True)
        )
        feasible.append((without_invite, split, [answer or frozenset() for answer in answers]))
    consistent = bool(feasible)
    # Every observed use belongs to some join: of the ways to place the boundary joins, only
    # those needing the fewest joins without an invite are believed.
    fewest = min((item[0] for item in feasible), default=0)
    for without_invite, split, sets in feasible:
        if without_invite != fewest:
            continue
        for k, found in enumerate(sets):
            window_sets[k] |= found
        for k, earlier in enumerate(split):
            if earlier:
                boundary_sets[k] |= sets[k]
            if earlier < boundaries[k]:
                boundary_sets[k] |= sets[k + 1]
    if not consistent:
        return _merged(windows, boundaries, relaxed=relaxed, open_end=open_end)
    if open_end:
        window_sets.pop()
        boundary_sets.pop()
    return SegmentAnswer(
        windows=tuple(frozenset(found) for found in window_sets),
        boundaries=tuple(frozenset(found) for found in boundary_sets),
        consistent=True,
    )


def _merged(
    windows: Sequence[SegmentWindow],
    boundaries: Sequence[int],
    *,
    relaxed: bool,
    open_end: int = 0,
) -> SegmentAnswer:
    """Solve the segment as one long window: less precise than placing each join, but still
    true, and cheap however many joins happened during reads. Used when there are too many
    ways to place them, or when no placement fits (then with lower bounds relaxed)."""
    merged: dict[str, UseRange] = {}
    for window in windows:
        for code, r in window.ranges.items():
            known = merged.get(code, UseRange(0, 0))
            merged[code] = UseRange(known.lo + r.lo, known.hi + r.hi)
    if open_end:  # drop the window not read yet, and the joins made during the last read
        windows, boundaries = windows[:-1], boundaries[:-1]
    joins = sum(window.joins for window in windows) + sum(boundaries)
    found = possible_codes(merged, joins, relaxed=relaxed)
    if found is None:
        found = possible_codes(merged, joins, relaxed=True)
    if found is None:
        return _everything_possible(windows, boundaries)
    return SegmentAnswer(
        windows=tuple(found for _ in windows),
        boundaries=tuple(found for _ in boundaries),
        consistent=True,
    )


def _everything_possible(
    windows: Sequence[SegmentWindow], boundaries: Sequence[int]
) -> SegmentAnswer:
    """When the counts cannot fit (or the search is too large), every code seen is possible."""
    every = frozenset({NO_INVITE}).union(*(window.ranges for window in windows))
    return SegmentAnswer(
        windows=tuple(every for _ in windows),
        boundaries=tuple(every for _ in boundaries),
        consistent=False,
    )
