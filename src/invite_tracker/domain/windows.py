"""The ledger's windows: the time between two reads, and those decided, kept a while.

A join event can arrive after its window was decided (later than the margin and the
patience): it is then placed in that window, whose decision is kept, and is decided alone.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from invite_tracker.domain.decisions import Decision, decide
from invite_tracker.domain.evidence import Snapshot, UseRange
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.matching import NO_INVITE
from invite_tracker.domain.vanished import Span, expired_by, usable

LATE_REASON = "its event came after its window was decided: it may also have used no invite"
"""Why a join whose event came after its window was decided is ambiguous."""


@dataclass(slots=True)
class ReadWindow:
    """The time between two reads: what each code may have been used for in it."""

    before: Snapshot
    after: Snapshot
    ranges: Mapping[str, UseRange]
    inviters: Mapping[str, int | None]
    staff_deleted: frozenset[str]


@dataclass(slots=True)
class Settled:
    """A decided window, with how many joins it was decided with."""

    window: ReadWindow
    joins: int
    settled_at: datetime


def settled_window(settled: Iterable[Settled], joined_at: datetime) -> Settled | None:
    """The decided window a join at `joined_at` certainly belongs to, if one is kept."""
    ordered = sorted(settled, key=lambda item: item.window.after.sent_at)
    ends = [item.window.after.counted_before for item in ordered]
    index = bisect.bisect_right(ends, joined_at)
    if index < len(ordered) and ordered[index].window.before.counted_before <= joined_at:
        return ordered[index]
    return None


def decide_late(
    key: Hashable, joined_at: datetime, settled: Settled, spans: Mapping[str, Span]
) -> Decision:
    """A join whose window was decided without it (the window now counts it too).

    It may be the member who used an invite the window left unexplained, or a join through
    no invite whose neighbours' events are later still. Nothing tells which, so it is
    decided only when the window saw no use at all: then it certainly used no invite.
    """
    window = settled.window
    found = frozenset({NO_INVITE}.union(code for code, r in window.ranges.items() if r.hi >= 1))
    found = usable(found, joined_at, expired_by(window), spans)
    settled.joins += 1
    decision = decide(key, found, window.inviters, True, window.before.vanity_code)
    if decision.join_type is JoinType.AMBIGUOUS:
        decision = replace(decision, reason=LATE_REASON)
    return decision
