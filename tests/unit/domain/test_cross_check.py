"""Cross-checking an ambiguous join with Discord's member search: when the two sources agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from invite_tracker.domain.cross_check import (
    JoinSourceType,
    MemberSource,
    as_counted,
    cross_check,
    describes,
    named_source,
    worth_asking,
)
from invite_tracker.domain.decisions import Decision
from invite_tracker.domain.evidence import VANITY
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.matching import NO_INVITE

T = datetime(2026, 1, 1, tzinfo=UTC)
MEMBER = 42
AMBIGUOUS = Decision(
    7, JoinType.AMBIGUOUS, candidates=("abc", "def", NO_INVITE, VANITY), reason="4 invites"
)


def source(kind: int, code: str | None = None, *, at: datetime | None = T) -> MemberSource:
    return MemberSource(MEMBER, at, kind, code, 99 if code else None)


@pytest.mark.parametrize(
    ("found", "join_type", "code", "inviter", "says"),
    [
        # the search names a candidate for this membership: settled with it
        (source(JoinSourceType.INVITE, "abc"), JoinType.INVITE, "abc", 99, "names this invite"),
        (source(JoinSourceType.VANITY_URL, "cool"), JoinType.VANITY, "cool", None, "vanity URL"),
        (source(JoinSourceType.INVITE, "cool"), JoinType.VANITY, "cool", None, "vanity URL"),
        # the vanity URL the member used, as the search names it, though the guild has
        # another code now; the latest read's code when the search names none
        (source(JoinSourceType.VANITY_URL, "old"), JoinType.VANITY, "old", None, "vanity URL"),
        (source(JoinSourceType.VANITY_URL), JoinType.VANITY, "cool", None, "vanity URL"),
        (source(JoinSourceType.DISCOVERY), JoinType.UNKNOWN, None, None, "no invite was used"),
        (source(JoinSourceType.HUB), JoinType.UNKNOWN, None, None, "no invite was used"),
        (source(JoinSourceType.INTEGRATION), JoinType.UNKNOWN, None, None, "no invite"),
        # ... within a second of the join event's instant (clocks and rounding)
        (
            source(JoinSourceType.INVITE, "def", at=T + timedelta(milliseconds=900)),
            JoinType.INVITE,
            "def",
            99,
            "names this invite",
        ),
        # a code the counts rule out: the sources disagree, it stays ambiguous
        (source(JoinSourceType.INVITE, "zzz"), JoinType.AMBIGUOUS, None, None, "rule out"),
        # the search says nothing usable
        (source(JoinSourceType.UNSPECIFIED), JoinType.AMBIGUOUS, None, None, "does not say"),
        (source(JoinSourceType.INVITE), JoinType.AMBIGUOUS, None, None, "does not say"),
        (source(12), JoinType.AMBIGUOUS, None, None, "does not say"),  # a type not known yet
        (None, JoinType.AMBIGUOUS, None, None, "did not list"),
        # it describes another membership (left and came back; or not reindexed yet)
        (
            source(JoinSourceType.INVITE, "abc", at=T - timedelta(minutes=5)),
            JoinType.AMBIGUOUS,
            None,
            None,
            "another membership",
        ),
        (source(JoinSourceType.INVITE, "abc", at=None), JoinType.AMBIGUOUS, None, None, "another"),
    ],
)
def test_an_ambiguous_join_is_settled_only_when_both_sources_agree(
    found: MemberSource | None,
    join_type: JoinType,
    code: str | None,
    inviter: int | None,
    says: str,
) -> None:
    decided = cross_check(AMBIGUOUS, T, found, vanity_code="cool")
    assert decided.key == AMBIGUOUS.key
    assert decided.join_type is join_type
    assert decided.code == code
    assert decided.inviter_id == inviter
    assert decided.candidates == AMBIGUOUS.candidates  # the counts' view stays in the log
    assert says in decided.reason
    if join_type is JoinType.AMBIGUOUS:
        assert decided.reason.startswith("4 invites; ")


@pytest.mark.parametrize(
    "decision",
    [
        Decision(1, JoinType.INVITE, code="abc", inviter_id=5, reason="the only invite"),
        Decision(1, JoinType.VANITY, reason="the vanity URL's uses went up"),
        Decision(1, JoinType.UNKNOWN, reason="no evidence"),
    ],
)
def test_a_join_the_counts_settled_is_never_changed(decision: Decision) -> None:
    found = source(JoinSourceType.INVITE, "def")
    assert cross_check(decision, T, found, vanity_code=None) == decision


def test_a_candidate_set_without_the_vanity_url_does_not_take_a_vanity_answer() -> None:
    decision = Decision(3, JoinType.AMBIGUOUS, candidates=("abc", "def"), reason="2 invites")
    decided = cross_check(decision, T, source(JoinSourceType.VANITY_URL), vanity_code=None)
    assert decided.join_type is JoinType.AMBIGUOUS
    assert "(vanity)" in decided.reason


@pytest.mark.parametrize(
    ("found", "vanity", "named"),
    [
        (source(JoinSourceType.INVITE, "abc"), None, "abc"),
        (source(JoinSourceType.INVITE, "cool"), "cool", VANITY),
        (source(JoinSourceType.VANITY_URL), None, VANITY),
        (source(JoinSourceType.BOT), None, NO_INVITE),
        (source(JoinSourceType.MANUAL_MEMBER_VERIFICATION), None, NO_INVITE),
        (source(JoinSourceType.UNSPECIFIED), None, None),
        (source(JoinSourceType.INVITE), None, None),
    ],
)
def test_named_source(found: MemberSource, vanity: str | None, named: str | None) -> None:
    assert named_source(found, vanity) == named


@pytest.mark.parametrize(
    ("at", "same"),
    [
        (T, True),
        (T + timedelta(seconds=1), True),
        (T - timedelta(seconds=1), True),
        (T + timedelta(seconds=1, milliseconds=1), False),
        (None, False),
    ],
)
def test_describes_the_membership_that_began_then(at: datetime | None, same: bool) -> None:
    assert describes(source(JoinSourceType.INVITE, "abc", at=at), T) is same


@pytest.mark.parametrize(
    ("decision", "member_id", "asked"),
    [
        (AMBIGUOUS, MEMBER, True),
        (AMBIGUOUS, None, False),  # the search lists members by id
        (Decision(7, JoinType.AMBIGUOUS, candidates=(), reason="no candidates"), MEMBER, False),
        (Decision(7, JoinType.INVITE, code="abc", inviter_id=99), MEMBER, False),
        (Decision(7, JoinType.UNKNOWN), MEMBER, False),
    ],
)
def test_worth_asking_only_about_an_ambiguous_join_of_a_known_member(
    decision: Decision, member_id: int | None, asked: bool
) -> None:
    assert worth_asking(decision, member_id) is asked


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        # the counts left candidates: ambiguous between them, crediting no one
        (
            ("abc", VANITY),
            Decision(7, JoinType.AMBIGUOUS, candidates=("abc", VANITY), reason="why"),
        ),
        # they left none: unknown
        ((), Decision(7, JoinType.UNKNOWN, reason="why")),
    ],
)
def test_as_counted_decides_on_the_counts_alone(
    candidates: tuple[str, ...], expected: Decision
) -> None:
    assert as_counted(7, candidates, "why") == expected
