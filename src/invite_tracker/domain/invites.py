"""Known invites: what the tracker remembers of each invite link, and how an invite ends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class InviteEnd(StrEnum):
    """Why a known invite is gone. History survives: a gone invite is tombstoned, not deleted."""

    DELETED_BY_STAFF = "deleted_by_staff"  # through our DELETE /invite
    DELETED = "deleted"  # an invite-delete event, no sign it was used up or expired
    USED_UP = "used_up"  # reached max_uses (Discord deletes it then)
    EXPIRED = "expired"  # max_age passed
    VANISHED = "vanished"  # missing from Discord's list with no better explanation


class JoinType(StrEnum):
    """How a join came about, as far as the evidence tells."""

    INVITE = "invite"
    VANITY = "vanity"
    UNKNOWN = "unknown"
    AMBIGUOUS = "ambiguous"
    BOT = "bot"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class InviteReport:
    """An invite as reported by an INVITE_CREATE event or read from Discord."""

    code: str
    channel_id: int | None = None
    inviter_id: int | None = None
    uses: int = 0
    max_uses: int | None = None
    max_age: int | None = None
    temporary: bool | None = None
    created_at: datetime | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class KnownInvite:
    """An invite the tracker knows of, live or tombstoned."""

    guild_id: int
    code: str
    channel_id: int | None
    inviter_id: int | None
    uses: int
    max_uses: int | None
    max_age: int | None
    temporary: bool | None
    created_at: datetime | None
    expires_at: datetime | None
    first_seen_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    deleted_reason: InviteEnd | None
    credited_to: int | None = None
    """The member the bot made the invite for (POST /invite), whom it credits instead of the
    inviter Discord names (the bot)."""

    @property
    def active(self) -> bool:
        """True until the invite is tombstoned."""
        return self.deleted_at is None


def credited_inviter(named: int | None, made_for: int | None) -> int | None:
    """Whom a join through an invite credits: the member the bot made it for, when it made
    it for someone (Discord then names the bot); else the inviter Discord names."""
    return named if made_for is None else made_for


def expiry_of(created_at: datetime | None, max_age: int | None) -> datetime | None:
    """When an invite expires: `max_age` seconds after creation; never when max_age is 0."""
    if created_at is None or not max_age:
        return None
    return created_at + timedelta(seconds=max_age)


def end_of(invite: KnownInvite, now: datetime) -> InviteEnd:
    """Why an invite that Discord reported deleted is gone, from what we know of it."""
    if invite.max_uses and invite.uses >= invite.max_uses:
        return InviteEnd.USED_UP
    expires_at = invite.expires_at or expiry_of(invite.created_at, invite.max_age)
    if expires_at is not None and expires_at <= now:
        return InviteEnd.EXPIRED
    return InviteEnd.DELETED


def plainly_ended(invite: KnownInvite, now: datetime) -> bool:
    """Whether a stored live invite is over by `now` on what is stored alone: used up (its
    uses reached `max_uses`) or past its expiry. Only Discord tells of any other end."""
    return end_of(invite, now) is not InviteEnd.DELETED


@dataclass(frozen=True, slots=True)
class ListedInvites:
    """The guild's invites as one read of Discord's list gave them, and when it was asked for."""

    reports: Sequence[InviteReport]
    asked_at: datetime


def unlisted_end(invite: KnownInvite, listed: ListedInvites, now: datetime) -> InviteEnd | None:
    """Why a live invite the list does not name is gone (`vanished` when nothing says more);
    None when the list names it, or when it was first known only after the list was asked
    for (created through POST /invite or reported by INVITE_CREATE meanwhile), which may be
    the only reason the list misses it."""
    if invite.first_seen_at >= listed.asked_at:
        return None
    if any(report.code == invite.code for report in listed.reports):
        return None
    reason = end_of(invite, now)
    return InviteEnd.VANISHED if reason is InviteEnd.DELETED else reason


_SAYS = {InviteEnd.VANISHED: 0, InviteEnd.DELETED: 1}
"""How much a stored reason says of how an invite ended; every other reason is certain (2)."""


def retold_end(stored: InviteEnd | None, found: InviteEnd) -> bool:
    """True when a decided attribution window's `found` reason should replace the `stored`
    one: a live invite (None) takes it, and so does a gone one whose reason says less (an
    invite-delete event or a missing list entry cannot tell a used-up invite from a deleted
    one; the window's joins can). A certain reason is never replaced."""
    if stored is None:
        return True
    return _SAYS.get(stored, 2) < _SAYS.get(found, 2)


MAX_USES_RANGE = range(0, 101)
MAX_AGE_RANGE = range(0, 604_801)


def check_invite_options(max_uses: int, max_age: int) -> list[str]:
    """Problems with new-invite options, in Discord's documented ranges (empty when fine)."""
    problems = []
    if max_uses not in MAX_USES_RANGE:
        problems.append("max_uses must be between 0 (unlimited) and 100")
    if max_age not in MAX_AGE_RANGE:
        problems.append("max_age must be between 0 (never expires) and 604800 seconds (7 days)")
    return problems


def report_problems(report: InviteReport) -> list[str]:
    """What makes a reported invite unusable: counters are never negative in Discord."""
    counters = {"uses": report.uses, "max_uses": report.max_uses, "max_age": report.max_age}
    negative = [name for name, value in counters.items() if value is not None and value < 0]
    return [f"{', '.join(negative)} cannot be negative"] if negative else []
