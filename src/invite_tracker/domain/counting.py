"""The counting policy: which joins count for an inviter, which are fake, and the totals.

- A join is *credited* (counted) to its inviter when the attribution names one, the member is
  not a bot, and the event named the member: without `member_id`, a repeat of the event, the
  member's leave or a rejoin could never be told, so the join credits no one (it is still
  attributed, and its invite use is not given to anyone else). Bots are kept apart and credit
  no one.
- A credited join is *fake* when the member had already been credited to someone in this guild
  (a rejoin), or joined through their own invite while `prevent_own_invite_code` is on.
- A *leave* counts against the inviter of the member's latest credited, non-fake join (a fake
  join is already subtracted once).
- regular = credited joins; total = regular - leaves - fakes.
- A join whose inviter was erased (a privacy request) credits no one any more, and its leave
  counts against no one.
- Over a retention period, a join counts when it was made in it, and a leave when it and the
  join it ended were both made in it: a leave outliving its join would take the total below
  what the join log shows. (The stores count in SQL by these rules: `JoinCounts`,
  `LeaveRepository`.)
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.joins import Attribution

NO_MEMBER = (
    "no member_id: its repeats, its leave and a rejoin could never be told, so it counts for no one"
)


@dataclass(frozen=True, slots=True)
class JoinCounting:
    """How one join counts: credited to the inviter or not, fake or not, and why."""

    counted: bool
    fake: bool
    reason: str


def classify_join(
    *,
    inviter_id: int | None,
    member_id: int | None,
    is_bot: bool,
    previously_credited: bool,
    prevent_own_invite_code: bool,
) -> JoinCounting:
    """Apply the counting policy to one attributed join."""
    if is_bot:
        return JoinCounting(counted=False, fake=False, reason="bots do not count")
    if inviter_id is None:
        return JoinCounting(counted=False, fake=False, reason="no inviter is known")
    if member_id is None:
        return JoinCounting(counted=False, fake=False, reason=NO_MEMBER)
    if member_id is not None and member_id == inviter_id and prevent_own_invite_code:
        return JoinCounting(counted=True, fake=True, reason="joined through their own invite")
    if previously_credited:
        return JoinCounting(counted=True, fake=True, reason="rejoin of a member already counted")
    return JoinCounting(counted=True, fake=False, reason="regular join")


def leave_counts(*, join_counted: bool, join_fake: bool) -> bool:
    """A leave counts against the inviter only when the join it ends was credited and not fake."""
    return join_counted and not join_fake


@dataclass(frozen=True, slots=True)
class UseCounts:
    """The figures of one inviter, or of one of their invites."""

    regular: int = 0
    leaves: int = 0
    fakes: int = 0

    @property
    def total(self) -> int:
        """regular - leaves - fakes, as Husqy counts invites."""
        return self.regular - self.leaves - self.fakes

    def __add__(self, other: UseCounts) -> UseCounts:
        return UseCounts(
            regular=self.regular + other.regular,
            leaves=self.leaves + other.leaves,
            fakes=self.fakes + other.fakes,
        )


def totals_at(
    base: UseCounts,
    joins: Iterable[tuple[datetime, bool]],
    leaves: Iterable[datetime],
    moments: Iterable[datetime],
) -> dict[datetime, int]:
    """An inviter's total right after each of `moments`: `base` (their counts up to the
    earliest moment) and their credited `joins` (time, fake) and counted `leaves` after it,
    up to and including each moment. What each join or leave message shows."""
    made = list(joins)
    credited = sorted(joined for joined, _ in made)
    fakes = sorted(joined for joined, fake in made if fake)
    left = sorted(leaves)
    return {
        moment: UseCounts(
            regular=base.regular + bisect.bisect_right(credited, moment),
            leaves=base.leaves + bisect.bisect_right(left, moment),
            fakes=base.fakes + bisect.bisect_right(fakes, moment),
        ).total
        for moment in moments
    }


@dataclass(frozen=True, slots=True)
class InviteFigures:
    """One invite code's figures for an inviter; `uses` is Discord's own counter when known."""

    code: str
    counts: UseCounts
    uses: int | None = None
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class InviterStats:
    """An inviter's totals and the per-invite figures they add up from."""

    inviter_id: int
    counts: UseCounts
    invites: tuple[InviteFigures, ...]


def summarise_inviter(inviter_id: int, invites: Iterable[InviteFigures]) -> InviterStats:
    """Add up per-invite figures into an inviter's totals, busiest invite first."""
    ordered = tuple(sorted(invites, key=lambda item: (-item.counts.regular, item.code)))
    total = UseCounts()
    for item in ordered:
        total += item.counts
    return InviterStats(inviter_id=inviter_id, counts=total, invites=ordered)


@dataclass(frozen=True, slots=True)
class Ranked:
    """One inviter's place on the guild's leaderboard."""

    rank: int
    inviter_id: int
    counts: UseCounts


def leaderboard(joins: Mapping[int, tuple[int, int]], leaves: Mapping[int, int]) -> list[Ranked]:
    """Every inviter with a credited join or a counted leave, by total (regular - leaves -
    fakes), highest first. Equal totals share a rank (1, 2, 2, 4); among them, more regular
    joins first, then the lower id, so that pages never shuffle.

    `joins`: {inviter: (regular, fakes)}; `leaves`: {inviter: leaves}."""
    counts = {
        inviter: UseCounts(
            regular=joins.get(inviter, (0, 0))[0],
            leaves=leaves.get(inviter, 0),
            fakes=joins.get(inviter, (0, 0))[1],
        )
        for inviter in {*joins, *leaves}
    }
    ordered = sorted(counts.items(), key=lambda item: (-item[1].total, -item[1].regular, item[0]))
    ranked: list[Ranked] = []
    for place, (inviter, figures) in enumerate(ordered, start=1):
        tied = ranked and ranked[-1].counts.total == figures.total
        ranked.append(Ranked(ranked[-1].rank if tied else place, inviter, figures))
    return ranked


@dataclass(frozen=True, slots=True)
class LeaderboardPage:
    """One page of the guild's leaderboard."""

    entries: list[Ranked]
    inviters: int  # how many are ranked in all
    next_offset: int | None  # where the next page starts; None at the end
    inviter: Ranked | None  # the entry asked for by id, wherever it is ranked


def page_of(
    ranked: Sequence[Ranked], *, limit: int, offset: int, inviter_id: int | None = None
) -> LeaderboardPage:
    """`limit` entries of the ranking from `offset`, and the entry of `inviter_id`."""
    end = min(offset + limit, len(ranked))
    return LeaderboardPage(
        entries=list(ranked[offset:end]),
        inviters=len(ranked),
        next_offset=end if end < len(ranked) else None,
        inviter=next((item for item in ranked if item.inviter_id == inviter_id), None),
    )


@dataclass(frozen=True, slots=True)
class GuildSummary:
    """How the guild's members came in over a period: joins by how the evidence settled them
    (`unknown` and `ambiguous` are what it could not tell; `pending` is not decided yet), how
    many of them credit an inviter and how many of those are fake, and the leaves."""

    by_type: Mapping[JoinType, int]
    credited: int
    fakes: int
    leaves: int
    counted_leaves: int

    @property
    def joins(self) -> int:
        """Every join of the period."""
        return sum(self.by_type.values())


def summarise_guild(
    joins: Mapping[JoinType, tuple[int, int, int]], leaves: tuple[int, int]
) -> GuildSummary:
    """The summary from per-type figures, {type: (joins, credited, fakes)}, and (leaves,
    counted leaves); every type is listed, with 0 when none came that way."""
    return GuildSummary(
        by_type={kind: joins.get(kind, (0, 0, 0))[0] for kind in JoinType},
        credited=sum(figures[1] for figures in joins.values()),
        fakes=sum(figures[2] for figures in joins.values()),
        leaves=leaves[0],
        counted_leaves=leaves[1],
    )


def retention_cutoff(now: datetime, retention_days: int) -> datetime | None:
    """The oldest join or leave time still kept, or None when everything is kept (0 days)."""
    if retention_days <= 0:
        return None
    return now - timedelta(days=retention_days)


def settle_join(
    *,
    join_type: JoinType,
    invite_code: str | None,
    inviter_id: int | None,
    candidates: tuple[str, ...],
    reason: str,
    member_id: int | None,
    previously_credited: bool,
    prevent_own_invite_code: bool,
) -> Attribution:
    """The stored outcome of an attributed join: the engine's verdict plus the counting policy."""
    counting = classify_join(
        inviter_id=inviter_id,
        member_id=member_id,
        is_bot=join_type is JoinType.BOT,
        previously_credited=previously_credited,
        prevent_own_invite_code=prevent_own_invite_code,
    )
    # how it counts, whenever someone was named (else the attribution's reason says it all)
    detail = reason if inviter_id is None else f"{reason}; {counting.reason}"
    return Attribution(
        join_type=join_type,
        invite_code=invite_code,
        inviter_id=inviter_id,
        candidates=candidates,
        counted=counting.counted,
        fake=counting.fake,
        reason=detail,
    )
