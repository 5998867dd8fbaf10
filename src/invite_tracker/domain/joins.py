"""Join and leave records as the tracker keeps them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from invite_tracker.domain.invites import JoinType

REJOIN_GAP = timedelta(seconds=1)
"""A member-add this much later than the member's present join is a new membership, and one
this much earlier an earlier membership; closer than that, it is the present join repeated."""


@dataclass(frozen=True, slots=True)
class NewJoin:
    """A join to store, with its attribution (or `pending` until it is settled)."""

    guild_id: int
    member_id: int | None
    joined_at: datetime
    join_type: JoinType
    is_bot: bool = False
    invite_code: str | None = None
    inviter_id: int | None = None
    candidates: tuple[str, ...] = ()
    counted: bool = False
    fake: bool = False
    reason: str | None = None
    attributed_at: datetime | None = None
    message_due_at: datetime | None = None  # its join message is owed (`owed_messages`)


@dataclass(frozen=True, slots=True)
class NewLeave:
    """A leave to store; `counted` says whether it counts against the inviter."""

    guild_id: int
    member_id: int | None
    left_at: datetime
    join_id: int | None = None
    inviter_id: int | None = None
    invite_code: str | None = None
    counted: bool = False
    message_due_at: datetime | None = None  # its leave message is owed (`owed_messages`)


@dataclass(frozen=True, slots=True)
class MemberReferences:
    """Every reference this module holds to one member in one guild."""

    joins_as_member: int = 0
    leaves_as_member: int = 0
    joins_as_inviter: int = 0
    leaves_as_inviter: int = 0
    invites_created: int = 0

    @property
    def total(self) -> int:
        """All references together."""
        return (
            self.joins_as_member
            + self.leaves_as_member
            + self.joins_as_inviter
            + self.leaves_as_inviter
            + self.invites_created
        )


@dataclass(frozen=True, slots=True)
class JoinRecord:
    """A stored join with its attribution, as the join log shows it."""

    id: int
    guild_id: int
    member_id: int | None
    is_bot: bool
    joined_at: datetime
    recorded_at: datetime
    join_type: JoinType
    invite_code: str | None
    inviter_id: int | None
    candidates: tuple[str, ...]
    counted: bool
    fake: bool
    reason: str | None
    attributed_at: datetime | None
    left_at: datetime | None


@dataclass(frozen=True, slots=True)
class Attribution:
    """What the engine decided for a join, with the counting policy applied."""

    join_type: JoinType
    invite_code: str | None
    inviter_id: int | None
    candidates: tuple[str, ...]
    counted: bool
    fake: bool
    reason: str


class Membership(Enum):
    """Which membership of a member a member-add event tells of."""

    NEW = "new"  # the member has no present join: a join to store
    REPEATED = "repeated"  # the present join, told again: it counts once
    LATER = "later"  # a rejoin whose leave event has not come: the present membership ends
    EARLIER = "earlier"  # a membership before the present one, whose event came late


def membership_of(joined_at: datetime | None, present: datetime | None) -> Membership:
    """Place a member-add among the member's memberships, by its `joined_at` (None when the
    reporter did not send it) and the `joined_at` of the member's present join (None when
    they have none).

    Discord's `joined_at` is the same in every delivery of one member-add, so a time within
    `REJOIN_GAP` of the present join is that join repeated. Without a reported time nothing
    tells a repeat from a rejoin whose leave event was lost; a repeat (a reporter retrying, a
    gateway resume) is by far the likelier, and counting it twice would take a leave from the
    inviter and credit no one for it, so it counts once.
    """
    if present is None:
        return Membership.NEW
    if joined_at is None:
        return Membership.REPEATED
    if joined_at > present + REJOIN_GAP:
        return Membership.LATER
    if joined_at < present - REJOIN_GAP:
        return Membership.EARLIER
    return Membership.REPEATED


class LeaveOf(Enum):
    """Which membership of a member a leave event tells of."""

    PRESENT = "present"  # the member's present join ends
    CLOSED_BY_REJOIN = "closed by rejoin"  # the membership the rejoin's event already ended
    REPEATED = "repeated"  # the member's last leave, told again
    EARLY = "early"  # a membership whose join event has not come (or never will): kept
    KEPT_ALREADY = "kept already"  # such a leave, told again


@dataclass(frozen=True, slots=True)
class Ended:
    """The member's latest membership that has ended: when it began and ended."""

    joined_at: datetime
    left_at: datetime


def leave_of(
    left_at: datetime,
    *,
    reported: bool,
    present: datetime | None,
    ended: Ended | None,
    kept: datetime | None = None,
) -> LeaveOf:
    """Place a leave among the member's memberships, by its `left_at` (`reported`: the
    reporter's time, not the time it arrived), the `joined_at` of the member's present join
    (None without one), and their latest membership that has ended.

    Discord's leave event carries no time, so a leave told again is told apart by the time
    the reporter gave it, within `REJOIN_GAP`. A leave later than the member's last leave,
    with no present join, is the leave of a rejoin whose join event has not come yet (events
    can arrive out of order): it is kept, to end that join when it comes. Without a reported
    time nothing tells it from the last leave told again, which is by far the likelier.
    A leave before the present join is an earlier membership's: the one the rejoin ended (its
    end is the present join's start: the rejoin came first) if it falls in it, else one whose
    join is not known, kept in case its event comes late.
    A leave to keep is the one kept already (`kept`: the latest leave of the member stored
    without its join) told again when its time is within `REJOIN_GAP` of it, or when it has
    no time and no join of the member is known since.
    """
    if present is not None and left_at >= present:
        return LeaveOf.PRESENT
    if ended is not None and left_at >= ended.joined_at:
        if ended.left_at == present:
            return LeaveOf.CLOSED_BY_REJOIN
        if left_at <= ended.left_at + REJOIN_GAP or not reported:
            return LeaveOf.REPEATED
    if kept is not None:
        joins = [t for t in (present, None if ended is None else ended.joined_at) if t]
        latest = max(joins, default=None)  # the member's latest join known
        if abs(left_at - kept) <= REJOIN_GAP or (
            not reported and (latest is None or kept >= latest)
        ):
            return LeaveOf.KEPT_ALREADY
    return LeaveOf.EARLY
