"""Which membership a member-add or a leave tells of: new, the present one again, a later or
an earlier one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from invite_tracker.domain.joins import (
    REJOIN_GAP,
    Ended,
    LeaveOf,
    Membership,
    leave_of,
    membership_of,
)

PRESENT = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
MS = timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("joined_at", "present", "expected"),
    [
        (PRESENT, None, Membership.NEW),  # no present join
        (None, None, Membership.NEW),  # no time, no present join
        (PRESENT, PRESENT, Membership.REPEATED),  # Discord's joined_at, delivered again
        (PRESENT + REJOIN_GAP, PRESENT, Membership.REPEATED),  # within the gap, after
        (PRESENT - REJOIN_GAP, PRESENT, Membership.REPEATED),  # within the gap, before
        (PRESENT + REJOIN_GAP + MS, PRESENT, Membership.LATER),  # a rejoin, its leave lost
        (PRESENT + timedelta(hours=3), PRESENT, Membership.LATER),
        (PRESENT - REJOIN_GAP - MS, PRESENT, Membership.EARLIER),  # a late earlier one
        (None, PRESENT, Membership.REPEATED),  # no time: a retry, not a rejoin
    ],
)
def test_membership_of(
    joined_at: datetime | None, present: datetime | None, expected: Membership
) -> None:
    assert membership_of(joined_at, present) is expected


JOINED = PRESENT - timedelta(hours=1)
LEFT = PRESENT - timedelta(minutes=30)
ENDED = Ended(JOINED, LEFT)
CLOSED = Ended(JOINED, PRESENT)  # the rejoin, told first, ended it as it began
MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("left_at", "reported", "present", "ended", "expected"),
    [
        (PRESENT + MINUTE, True, PRESENT, None, LeaveOf.PRESENT),
        (PRESENT, True, PRESENT, ENDED, LeaveOf.PRESENT),  # the instant it began
        (PRESENT + MINUTE, False, PRESENT, ENDED, LeaveOf.PRESENT),  # its arrival stands in
        (PRESENT, True, None, None, LeaveOf.EARLY),  # no join known: its join may come
        (LEFT, True, None, ENDED, LeaveOf.REPEATED),  # the last leave told again
        (LEFT + REJOIN_GAP, True, None, ENDED, LeaveOf.REPEATED),  # within the gap
        (LEFT - MINUTE, True, None, ENDED, LeaveOf.REPEATED),  # within the ended membership
        (LEFT + REJOIN_GAP + MS, True, None, ENDED, LeaveOf.EARLY),  # a rejoin's, told first
        (PRESENT, False, None, ENDED, LeaveOf.REPEATED),  # no time: a repeat is likelier
        (JOINED - MINUTE, True, None, ENDED, LeaveOf.EARLY),  # an older membership's
        (LEFT, True, PRESENT, CLOSED, LeaveOf.CLOSED_BY_REJOIN),  # the rejoin ended it
        (JOINED - MINUTE, True, PRESENT, CLOSED, LeaveOf.EARLY),  # before it: unknown
        (LEFT, True, PRESENT, ENDED, LeaveOf.REPEATED),  # its leave, told again
        (LEFT + MINUTE, True, PRESENT, ENDED, LeaveOf.EARLY),  # a membership between
        (PRESENT - MINUTE, True, PRESENT, None, LeaveOf.EARLY),  # before the only join
    ],
)
def test_leave_of(
    left_at: datetime,
    reported: bool,
    present: datetime | None,
    ended: Ended | None,
    expected: LeaveOf,
) -> None:
    assert leave_of(left_at, reported=reported, present=present, ended=ended) is expected


@pytest.mark.parametrize(
    ("left_at", "reported", "present", "ended", "kept", "expected"),
    [
        (PRESENT, True, None, None, PRESENT, LeaveOf.KEPT_ALREADY),  # told again
        (PRESENT + REJOIN_GAP, True, None, None, PRESENT, LeaveOf.KEPT_ALREADY),
        (PRESENT + REJOIN_GAP + MS, True, None, None, PRESENT, LeaveOf.EARLY),  # another
        (PRESENT + MINUTE, False, None, None, PRESENT, LeaveOf.KEPT_ALREADY),  # no time
        (PRESENT + MINUTE, False, None, ENDED, LEFT, LeaveOf.REPEATED),  # as without one
        (LEFT + MINUTE, True, None, ENDED, LEFT + MINUTE, LeaveOf.KEPT_ALREADY),  # a rejoin's
        (LEFT + MINUTE, True, None, ENDED, JOINED - MINUTE, LeaveOf.EARLY),  # an older one
        (LEFT, True, PRESENT, ENDED, LEFT + MINUTE, LeaveOf.REPEATED),  # ended's leave
        (PRESENT + MINUTE, True, PRESENT, None, PRESENT - MINUTE, LeaveOf.PRESENT),
    ],
)
def test_leave_of_with_a_leave_kept_for_its_join(
    left_at: datetime,
    reported: bool,
    present: datetime | None,
    ended: Ended | None,
    kept: datetime,
    expected: LeaveOf,
) -> None:
    found = leave_of(left_at, reported=reported, present=present, ended=ended, kept=kept)
    assert found is expected
