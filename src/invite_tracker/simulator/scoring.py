"""Comparing a tracker's verdicts with the truth, and the bound any fetch-and-diff tracker has.

Pure: no I/O, so every rule here is unit-tested with tables.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Source(StrEnum):
    """How a member truly came in."""

    INVITE = "invite"
    VANITY = "vanity"
    NONE = "none"  # discovery, an OAuth2 add: no invite at all
    BOT = "bot"


class Outcome(StrEnum):
    """How a tracker's final verdict compares with the truth."""

    CORRECT = "correct"
    WRONG = "wrong"  # credited the wrong code or inviter, or credited when nobody invited
    AMBIGUOUS = "ambiguous"
    UNKNOWN = "unknown"
    PENDING = "pending"  # not final when the run ended (or never stored)


@dataclass(frozen=True, slots=True)
class TruthJoin:
    """One join as it really happened on the fake Discord."""

    member_id: int
    joined_at: datetime
    offset: float  # seconds since the scenario started
    source: Source
    code: str | None = None
    inviter_id: int | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    """One join as a tracker reports it."""

    member_id: int | None
    joined_at: datetime
    join_type: str  # invite, vanity, unknown, ambiguous, bot, pending
    code: str | None = None
    inviter_id: int | None = None
    attributed_at: datetime | None = None

    @property
    def final(self) -> bool:
        """True once the tracker will not change its mind."""
        return self.join_type != "pending"


CREDITING = frozenset({"invite", "vanity"})


def classify(truth: TruthJoin, verdict: Verdict | None) -> Outcome:
    """Compare one verdict with the truth.

    Correct: the type (and for invites the code and inviter) matches. Wrong: someone (or the
    vanity URL) is credited who did not bring the member. Ambiguous or unknown when the truth
    was an invite are not wrong: the tracker said it did not know.
    """
    if verdict is None or not verdict.final:
        return Outcome.PENDING
    kind = verdict.join_type
    expected = {
        Source.INVITE: "invite",
        Source.VANITY: "vanity",
        Source.NONE: "unknown",
        Source.BOT: "bot",
    }[truth.source]
    if kind == expected:
        same = truth.source is not Source.INVITE or (
            verdict.code == truth.code and verdict.inviter_id == truth.inviter_id
        )
        return Outcome.CORRECT if same else Outcome.WRONG
    if kind in CREDITING or kind == "bot":
        return Outcome.WRONG
    return Outcome.AMBIGUOUS if kind == "ambiguous" else Outcome.UNKNOWN


def match(
    truths: Sequence[TruthJoin], verdicts: Iterable[Verdict]
) -> list[tuple[TruthJoin, Verdict | None]]:
    """Pair each true join with the tracker's record of it: per member, in time order.

    A repeated member-add is one join on both sides, so the pairing is one to one; a member
    who joined twice (a rejoin) has two records.
    """
    by_member: defaultdict[int | None, list[Verdict]] = defaultdict(list)
    for verdict in verdicts:
        by_member[verdict.member_id].append(verdict)
    for found in by_member.values():
        found.sort(key=lambda verdict: verdict.joined_at)
    seen: defaultdict[int, int] = defaultdict(int)
    pairs: list[tuple[TruthJoin, Verdict | None]] = []
    for truth in sorted(truths, key=lambda truth: truth.joined_at):
        records = by_member.get(truth.member_id, [])
        index = seen[truth.member_id]
        seen[truth.member_id] += 1
        pairs.append((truth, records[index] if index < len(records) else None))
    return pairs


def source_key(truth: TruthJoin) -> str:
    """What a fetch-and-diff tracker can see of a join's source: the code, vanity, or none."""
    if truth.source is Source.INVITE:
        return f"code:{truth.code}"
    return truth.source.value


def bound(truths: Sequence[TruthJoin], window: float) -> int:
    """How many joins any fetch-and-diff tracker could attribute, from the truth alone.

    Time is cut into consecutive windows of `window` seconds (the shortest time the invite
    list's rate limit allows between two fetches) from the scenario's start; a join is
    attributable when every join of its window came through one source (one code, or the
    vanity URL, or no invite). Bots are told apart by the event itself: always attributable,
    and they do not blur their window.
    """
    if window <= 0:
        raise ValueError("the window must be positive")
    return _single_source(truths, lambda truth: math.floor(truth.offset / window))


def read_bound(truths: Sequence[TruthJoin], reads: Iterable[datetime]) -> int:
    """How many joins a fetch-and-diff tracker could attribute with the reads a tracker made.

    The same rule as `bound`, with the windows between the instants Discord answered the
    tracker's reads of the invite list: what the tracker's reading allowed, however well it
    then reasoned. `bound` less this is what reading more often would have won; this less
    the joins credited is what the reasoning left."""
    instants = sorted(reads)
    return _single_source(truths, lambda truth: bisect.bisect_right(instants, truth.joined_at))


def _single_source(truths: Sequence[TruthJoin], window_of: Callable[[TruthJoin], int]) -> int:
    """Joins whose window saw one source only (bots always count, and blur nothing)."""
    sources: defaultdict[int, set[str]] = defaultdict(set)
    slots: list[tuple[int, TruthJoin]] = []
    for truth in truths:
        slot = window_of(truth)
        slots.append((slot, truth))
        if truth.source is not Source.BOT:
            sources[slot].add(source_key(truth))
    return sum(1 for slot, truth in slots if truth.source is Source.BOT or len(sources[slot]) == 1)


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile (`share` in 0..1) of the values, None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class Mistake:
    """A join the tracker got wrong or left pending, for the report's reproductions."""

    truth: TruthJoin
    verdict: Verdict | None
    outcome: Outcome


@dataclass(slots=True)
class Tally:
    """Counts of outcomes over one run."""

    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    mistakes: list[Mistake] = field(default_factory=list)

    @property
    def joins(self) -> int:
        """Every true join (a repeated event counts once)."""
        return sum(self.counts.values())

    def __getitem__(self, outcome: Outcome) -> int:
        return self.counts[outcome]


def tally(pairs: Iterable[tuple[TruthJoin, Verdict | None]]) -> Tally:
    """Count outcomes, keeping the wrong and pending joins."""
    result = Tally()
    for truth, verdict in pairs:
        outcome = classify(truth, verdict)
        result.counts[outcome] += 1
        if outcome in (Outcome.WRONG, Outcome.PENDING):
            result.mistakes.append(Mistake(truth, verdict, outcome))
    return result
