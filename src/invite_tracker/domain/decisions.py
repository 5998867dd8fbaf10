"""A join's attribution, from the codes the evidence leaves it (`ledger.Ledger` decides which)."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from invite_tracker.domain.evidence import VANITY
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.matching import NO_INVITE


@dataclass(frozen=True, slots=True)
class Decision:
    """The attribution of one join."""

    key: Hashable
    join_type: JoinType
    code: str | None = None
    inviter_id: int | None = None
    candidates: tuple[str, ...] = ()
    reason: str = ""


def decide(
    key: Hashable,
    found: frozenset[str],
    inviters: Mapping[str, int | None],
    consistent: bool,
    vanity_code: str | None,
) -> Decision:
    """The decision for a join that may have used any of `found`; `vanity_code` is the
    vanity URL's code at the start of its window (its uses are counted exactly only while
    the code stays the same)."""
    candidates = tuple(sorted(found))
    if not consistent:
        return Decision(
            key,
            JoinType.AMBIGUOUS,
            candidates=candidates,
            reason="the invite counts do not add up with the joins seen",
        )
    if len(found) != 1:
        return Decision(
            key,
            JoinType.AMBIGUOUS if found else JoinType.UNKNOWN,
            candidates=candidates,
            reason=f"{len(found)} invites could explain this join" if found else "no evidence",
        )
    (code,) = candidates
    if code == NO_INVITE:
        return Decision(
            key, JoinType.UNKNOWN, reason="no invite was used: discovery or an invite not visible"
        )
    if code == VANITY:
        return Decision(
            key, JoinType.VANITY, code=vanity_code, reason="the vanity URL's uses went up"
        )
    return Decision(
        key,
        JoinType.INVITE,
        code=code,
        inviter_id=inviters.get(code),
        reason="the only invite whose uses explain this join",
    )
