"""Which membership a member-add tells of: new, the present one again, a later or an earlier
one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from invite_tracker.domain.joins import REJOIN_GAP, Membership, membership_of

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
