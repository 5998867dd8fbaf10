"""Cross-checking an ambiguous join with Discord's member search (optional, off by default).

Discord's undocumented `POST /guilds/{guild_id}/members-search` says, per member, how they
came in: `join_source_type`, `source_invite_code` and `inviter_id`. It may change without
notice, answers only for Community guilds once Discord has indexed them, and lags behind the
joins it indexes, so the tracker never relies on it alone. When the invite counts leave a join
`ambiguous` between a few candidates, and the search names one of those candidates for that
very membership (its `joined_at` is the join's), the two sources agree and the join is
settled with it. When the search names something the counts rule out, says nothing, or
describes another membership (the member left and came back since), the join stays ambiguous:
a wrong inviter is worse than none.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import IntEnum

from invite_tracker.domain.decisions import Decision
from invite_tracker.domain.evidence import VANITY
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.matching import NO_INVITE

SAME_MEMBERSHIP = timedelta(seconds=1)
"""How far the search's `joined_at` may be from the join event's and still be that join."""

NOT_LISTED = "Discord's member search did not list the member"


class JoinSourceType(IntEnum):
    """Discord's `join_source_type` in member search results."""

    UNSPECIFIED = 0
    BOT = 1
    INTEGRATION = 2
    DISCOVERY = 3
    HUB = 4
    INVITE = 5
    VANITY_URL = 6
    MANUAL_MEMBER_VERIFICATION = 7


NO_INVITE_SOURCES = frozenset(
    {
        JoinSourceType.BOT,
        JoinSourceType.INTEGRATION,
        JoinSourceType.DISCOVERY,
        JoinSourceType.HUB,
        JoinSourceType.MANUAL_MEMBER_VERIFICATION,
    }
)
"""Sources through no invite: the counts see such a join as one that used no invite."""


@dataclass(frozen=True, slots=True)
class MemberSource:
    """How Discord's member search says a member came in (`join_source_type` is Discord's
    number, kept as sent: a value this service does not know says nothing)."""

    member_id: int
    joined_at: datetime | None
    join_source_type: int
    invite_code: str | None = None
    inviter_id: int | None = None


def describes(source: MemberSource, joined_at: datetime) -> bool:
    """The search's answer is about the membership that began at `joined_at` (not an older
    one the search has not reindexed yet, nor a later one)."""
    return source.joined_at is not None and abs(source.joined_at - joined_at) <= SAME_MEMBERSHIP


def named_source(source: MemberSource, vanity_code: str | None) -> str | None:
    """The candidate the search names, in the ledger's terms (a code, `VANITY` or
    `NO_INVITE`); None when it names none."""
    kind = source.join_source_type
    if kind == JoinSourceType.VANITY_URL:
        return VANITY
    if kind == JoinSourceType.INVITE and source.invite_code:
        if vanity_code is not None and source.invite_code == vanity_code:
            return VANITY
        return source.invite_code
    if kind in NO_INVITE_SOURCES:
        return NO_INVITE
    return None


def cross_check(
    decision: Decision,
    joined_at: datetime,
    source: MemberSource | None,
    *,
    vanity_code: str | None,
) -> Decision:
    """The join's decision once Discord's member search has been asked about its member
    (`source` None: the search did not list the member). Only an ambiguous join can change,
    and only to one of its candidates."""
    if decision.join_type is not JoinType.AMBIGUOUS:
        return decision
    if source is None:
        return _unchanged(decision, NOT_LISTED)
    if not describes(source, joined_at):
        return _unchanged(decision, "Discord's member search describes another membership")
    named = named_source(source, vanity_code)
    if named is None:
        return _unchanged(decision, "Discord's member search does not say how they came in")
    if named not in decision.candidates:
        return _unchanged(
            decision, f"Discord's member search names {named}, which the invite counts rule out"
        )
    agreed = f"of {len(decision.candidates)} candidates the counts allow, Discord's member search"
    join_type, says = _SETTLED_AS.get(named, (JoinType.INVITE, "names this invite"))
    return Decision(
        decision.key,
        join_type,
        # a vanity join: the code the search names, or else the one the latest read saw
        code={JoinType.INVITE: named, JoinType.VANITY: source.invite_code or vanity_code}.get(
            join_type
        ),
        inviter_id=source.inviter_id if join_type is JoinType.INVITE else None,
        candidates=decision.candidates,
        reason=f"{agreed} {says}",
    )


_SETTLED_AS = {
    NO_INVITE: (JoinType.UNKNOWN, "says no invite was used"),
    VANITY: (JoinType.VANITY, "names the vanity URL"),
}
"""What a candidate that is not an invite code settles the join as, and the reason's words."""


def worth_asking(decision: Decision, member_id: int | None) -> bool:
    """Whether the member search can settle this decision: an ambiguous join with
    candidates, of a known member (the search lists members, by id)."""
    return (
        decision.join_type is JoinType.AMBIGUOUS
        and bool(decision.candidates)
        and member_id is not None
    )


def as_counted(key: Hashable, candidates: tuple[str, ...], reason: str) -> Decision:
    """A join decided on the invite counts alone, with no more evidence to come (the search
    could not settle it, or Discord cannot be read): ambiguous between the candidates the
    counts left, or unknown when they left none."""
    if candidates:
        return Decision(key, JoinType.AMBIGUOUS, candidates=candidates, reason=reason)
    return Decision(key, JoinType.UNKNOWN, reason=reason)


def _unchanged(decision: Decision, why: str) -> Decision:
    return replace(decision, reason=f"{decision.reason}; {why}" if decision.reason else why)
