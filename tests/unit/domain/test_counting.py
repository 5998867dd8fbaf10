"""The counting policy: credited, fake, leaves, totals, retention."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from invite_tracker.domain.counting import (
    InviteFigures,
    JoinCounting,
    UseCounts,
    classify_join,
    leaderboard,
    leave_counts,
    page_of,
    retention_cutoff,
    summarise_guild,
    summarise_inviter,
    totals_at,
)
from invite_tracker.domain.invites import JoinType


@pytest.mark.parametrize(
    ("inviter", "member", "bot", "before", "prevent_own", "counted", "fake"),
    [
        (9, 1, False, False, False, True, False),  # a regular join
        (9, 1, True, False, False, False, False),  # bots apart
        (None, 1, False, False, False, False, False),  # nobody to credit
        (9, 1, False, True, False, True, True),  # a rejoin is fake
        (1, 1, False, False, True, True, True),  # own invite, prevented
        (1, 1, False, False, False, True, False),  # own invite, allowed
        (9, None, False, False, True, False, False),  # no member: it could never be undone
        (9, None, False, True, False, False, False),  # nor told a rejoin
    ],
)
def test_classify_join(
    inviter: int | None,
    member: int | None,
    bot: bool,
    before: bool,
    prevent_own: bool,
    counted: bool,
    fake: bool,
) -> None:
    result = classify_join(
        inviter_id=inviter,
        member_id=member,
        is_bot=bot,
        previously_credited=before,
        prevent_own_invite_code=prevent_own,
    )
    assert isinstance(result, JoinCounting)
    assert (result.counted, result.fake) == (counted, fake)
    assert result.reason


@pytest.mark.parametrize(
    ("counted", "fake", "expected"),
    [(True, False, True), (True, True, False), (False, False, False)],
)
def test_leave_counts(counted: bool, fake: bool, expected: bool) -> None:
    assert leave_counts(join_counted=counted, join_fake=fake) is expected


@pytest.mark.parametrize(
    ("regular", "leaves", "fakes", "total"), [(0, 0, 0, 0), (10, 2, 3, 5), (1, 1, 1, -1)]
)
def test_total_is_regular_minus_leaves_minus_fakes(
    regular: int, leaves: int, fakes: int, total: int
) -> None:
    assert UseCounts(regular, leaves, fakes).total == total


def test_summary_adds_up_and_orders_busiest_first() -> None:
    stats = summarise_inviter(
        5,
        [
            InviteFigures("b", UseCounts(1, 0, 0)),
            InviteFigures("a", UseCounts(3, 1, 1), uses=4),
            InviteFigures("c", UseCounts(1, 1, 0), deleted=True),
        ],
    )
    assert stats.counts == UseCounts(5, 2, 1)
    assert stats.counts.total == 2
    assert [item.code for item in stats.invites] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("days", "expected"), [(0, None), (-1, None), (31, timedelta(days=31)), (1, timedelta(days=1))]
)
def test_retention_cutoff(days: int, expected: timedelta | None) -> None:
    now = datetime(2026, 11, 29, tzinfo=UTC)
    cutoff = retention_cutoff(now, days)
    assert cutoff == (None if expected is None else now - expected)


@pytest.mark.parametrize(
    ("joins", "leaves", "expected"),
    [
        ({}, {}, []),
        # by total, highest first
        ({1: (2, 0), 2: (5, 1), 3: (3, 0)}, {}, [(1, 2, 4), (2, 3, 3), (3, 1, 2)]),
        # leaves and fakes come off the total: 7 - 3 - 1 = 3 is below 4
        ({1: (7, 1), 2: (4, 0)}, {1: 3}, [(1, 2, 4), (2, 1, 3)]),
        # equal totals share a rank; more regular joins first, then the lower id
        (
            {5: (3, 0), 4: (4, 1), 3: (3, 0), 9: (1, 0)},
            {},
            [(1, 4, 3), (1, 3, 3), (1, 5, 3), (4, 9, 1)],
        ),
        # an inviter with only leaves left in the window is listed, below zero
        ({1: (1, 0)}, {2: 2, 1: 1}, [(1, 1, 0), (2, 2, -2)]),
    ],
)
def test_leaderboard_ranks_by_total(
    joins: dict[int, tuple[int, int]],
    leaves: dict[int, int],
    expected: list[tuple[int, int, int]],
) -> None:
    ranked = leaderboard(joins, leaves)
    assert [(r.rank, r.inviter_id, r.counts.total) for r in ranked] == expected


@pytest.mark.parametrize(
    ("limit", "offset", "inviter_id", "page", "next_offset", "found"),
    [
        (2, 0, None, [4, 3], 2, None),
        (2, 2, 9, [5, 9], None, 9),  # the last page
        (10, 0, 3, [4, 3, 5, 9], None, 3),
        (1, 0, 9, [4], 1, 9),  # the inviter's entry, beyond the page
        (5, 7, 1, [], None, None),  # past the end; an inviter not ranked
    ],
)
def test_a_page_of_the_leaderboard(
    limit: int,
    offset: int,
    inviter_id: int | None,
    page: list[int],
    next_offset: int | None,
    found: int | None,
) -> None:
    ranked = leaderboard({5: (3, 0), 4: (4, 1), 3: (3, 0), 9: (1, 0)}, {})
    answer = page_of(ranked, limit=limit, offset=offset, inviter_id=inviter_id)
    assert [entry.inviter_id for entry in answer.entries] == page
    assert (answer.inviters, answer.next_offset) == (4, next_offset)
    assert (answer.inviter.inviter_id if answer.inviter else None) == found


def test_the_guild_summary_lists_every_type_and_adds_up() -> None:
    summary = summarise_guild(
        {JoinType.INVITE: (7, 7, 2), JoinType.AMBIGUOUS: (3, 0, 0), JoinType.VANITY: (1, 0, 0)},
        (4, 3),
    )
    assert summary.by_type == {
        JoinType.INVITE: 7,
        JoinType.VANITY: 1,
        JoinType.UNKNOWN: 0,
        JoinType.AMBIGUOUS: 3,
        JoinType.BOT: 0,
        JoinType.PENDING: 0,
    }
    assert (summary.joins, summary.credited, summary.fakes) == (11, 7, 2)
    assert (summary.leaves, summary.counted_leaves) == (4, 3)


def at(second: int) -> datetime:
    return datetime(2026, 12, 1, tzinfo=UTC) + timedelta(seconds=second)


@pytest.mark.parametrize(
    ("joins", "leaves", "moments", "expected"),
    [
        # three joins decided together: each message counts up to its own join
        ([(at(1), False), (at(2), False)], [], [at(0), at(1), at(2)], [5, 6, 7]),
        # a fake counts as a join and against it: no change
        ([(at(1), True)], [], [at(0), at(1)], [5, 5]),
        # a leave after the join, decided before it: the join's message does not see it
        ([], [at(3)], [at(0), at(3)], [5, 4]),
        # a join and a leave at the same instant both count at that instant
        ([(at(2), False)], [at(2)], [at(2)], [5]),
        # events after the latest moment are not asked for, but would not count either
        ([(at(9), False)], [at(9)], [at(0), at(5)], [5, 5]),
    ],
)
def test_totals_at_each_moment(
    joins: list[tuple[datetime, bool]],
    leaves: list[datetime],
    moments: list[datetime],
    expected: list[int],
) -> None:
    base = UseCounts(regular=7, leaves=1, fakes=1)  # a total of 5 up to the first moment
    totals = totals_at(base, joins, leaves, moments)
    assert [totals[moment] for moment in moments] == expected
