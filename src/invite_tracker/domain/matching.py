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

Joins made while a read was in flight are on one side of it or the other, and in time order:
Discord answered at one instant, so the joins it counted are the earliest of them. Joins
closer together than ORDER_TOLERANCE are not taken to be in order.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from invite_tracker.domain.evidence import UseRange

NO_INVITE = "(none)"
"""The pseudo-code for a join through no visible invite."""
MAX_COMBINATIONS = 4096
ORDER_TOLERANCE = 0.01
"""Seconds: joins closer together than this may have been counted in either order."""


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
    """Possible codes for the definite joins of each window, and for each join on each
    boundary between window k and k+1 (`ranked[k][i]`: the i-th of them in time order). An
    empty answer set means the counts cannot fit."""

    windows: tuple[frozenset[str], ...]
    ranked: tuple[tuple[frozenset[str], ...], ...]
    consistent: bool

    @property
    def boundaries(self) -> tuple[frozenset[str], ...]:
        """The codes any join on each boundary may have used."""
        return tuple(frozenset().union(*joins) for joins in self.ranked)


def solve_segment(
    windows: Sequence[SegmentWindow],
    boundaries: Sequence[int | Sequence[float]],
    *,
    relaxed: bool,
    open_end: int = 0,
) -> SegmentAnswer:
    """Possible codes across consecutive windows linked by joins of uncertain side.

    `boundaries[k]` are the joins made while the snapshot between window k and k+1 was being
    read: their times (seconds, any origin), or only how many there were when their order is
    not known. Each belongs to one side or the other, and every split is tried (up to a
    bound); with times, the joins the read counted are the earliest. `open_end` joins
    happened during the last read: some may belong to the last window, the others to a window
    not read yet, which constrains nothing (they are not answered for).
    """
    times = [_times(boundary) for boundary in boundaries]
    counts = [len(joins) for joins in times]
    if open_end:
        windows = [*windows, SegmentWindow({}, 0)]
        times.append([None] * open_end)
        counts.append(open_end)
    window_sets: list[set[str]] = [set() for _ in windows]
    ranked_sets: list[list[set[str]]] = [[set() for _ in joins] for joins in times]
    combinations = 1
    for count in counts:
        combinations *= count + 1
    if combinations > MAX_COMBINATIONS:
        return _merged(windows, counts, relaxed=relaxed, open_end=open_end)
    feasible: list[tuple[int, tuple[int, ...], list[frozenset[str]]]] = []
    for split in itertools.product(*(range(count + 1) for count in counts)):
        # split[k]: how many of boundary k's joins go to the earlier side
        sizes = [window.joins for window in windows]
        for k, earlier in enumerate(split):
            sizes[k] += earlier
            sizes[k + 1] += counts[k] - earlier
        if open_end:
            sizes[-1] = 0  # the window not read yet takes any number of joins, of any code
        answers = [
            possible_codes(window.ranges, size, relaxed=relaxed)
            for window, size in zip(windows, sizes, strict=True)
        ]
        if any(answer is None for answer in answers):
            continue
        without_invite = sum(
            max(0, size - sum(r.lo for r in window.ranges.values()))
            for window, size in zip(windows, sizes, strict=True)
        )
        feasible.append((without_invite, split, [answer or frozenset() for answer in answers]))
    if not feasible:
        return _merged(windows, counts, relaxed=relaxed, open_end=open_end)
    # Every observed use belongs to some join: of the ways to place the boundary joins, only
    # those needing the fewest joins without an invite are believed.
    fewest = min(item[0] for item in feasible)
    for without_invite, split, sets in feasible:
        if without_invite != fewest:
            continue
        for k, found in enumerate(sets):
            window_sets[k] |= found
        for k, earlier in enumerate(split):
            for rank, (before, after) in enumerate(_sides(times[k], earlier)):
                if before:
                    ranked_sets[k][rank] |= sets[k]
                if after:
                    ranked_sets[k][rank] |= sets[k + 1]
    if open_end:
        window_sets.pop()
        ranked_sets.pop()
    return SegmentAnswer(
        windows=tuple(frozenset(found) for found in window_sets),
        ranked=tuple(tuple(frozenset(found) for found in joins) for joins in ranked_sets),
        consistent=True,
    )


def _times(boundary: int | Sequence[float]) -> Sequence[float | None]:
    """A boundary's join times in order, or as many unknown times as it has joins."""
    if isinstance(boundary, int):
        return [None] * boundary
    return sorted(boundary)


def _sides(times: Sequence[float | None], earlier: int) -> list[tuple[bool, bool]]:
    """For each join of a boundary (in time order), when `earlier` of them were counted by
    the read: whether it may be one of those, and whether it may be one of the others.

    The counted ones are the earliest; a join closer than ORDER_TOLERANCE to the last counted
    or the first not counted may be on either side, and so may every join of unknown time."""
    count = len(times)
    sides = []
    for rank, at in enumerate(times):
        if at is None:
            sides.append((earlier > 0, earlier < count))
            continue
        last_counted = times[earlier - 1] if earlier > 0 else None
        first_left = times[earlier] if earlier < count else None
        counted = rank < earlier or (
            last_counted is not None and at - last_counted < ORDER_TOLERANCE
        )
        left = rank >= earlier or (first_left is not None and first_left - at < ORDER_TOLERANCE)
        sides.append((counted, left))
    return sides


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
        ranked=tuple((found,) * count for count in boundaries),
        consistent=True,
    )


def _everything_possible(
    windows: Sequence[SegmentWindow], boundaries: Sequence[int]
) -> SegmentAnswer:
    """When the counts cannot fit (or the search is too large), every code seen is possible."""
    every = frozenset({NO_INVITE}).union(*(window.ranges for window in windows))
    return SegmentAnswer(
        windows=tuple(every for _ in windows),
        ranked=tuple((every,) * count for count in boundaries),
        consistent=False,
    )
