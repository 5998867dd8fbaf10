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
