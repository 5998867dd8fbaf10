"""Join and leave records as the tracker keeps them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from invite_tracker.domain.invites import JoinType


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
