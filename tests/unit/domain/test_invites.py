"""How an invite ends, its expiry, and the options Discord accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from invite_tracker.domain.invites import (
    InviteEnd,
    InviteReport,
    KnownInvite,
    ListedInvites,
    check_invite_options,
    credited_inviter,
    end_of,
    expiry_of,
    plainly_ended,
    report_problems,
    retold_end,
    unlisted_end,
)

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def invite(**changes: object) -> KnownInvite:
    values: dict[str, object] = {
        "guild_id": 1,
        "code": "abc",
        "channel_id": 2,
        "inviter_id": 3,
        "uses": 0,
        "max_uses": None,
        "max_age": None,
        "temporary": False,
        "created_at": NOW - timedelta(hours=1),
        "expires_at": None,
        "first_seen_at": NOW,
        "updated_at": NOW,
        "deleted_at": None,
        "deleted_reason": None,
    }
    values.update(changes)
    return KnownInvite(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, InviteEnd.DELETED),
        ({"max_uses": 3, "uses": 3}, InviteEnd.USED_UP),
        ({"max_uses": 3, "uses": 2}, InviteEnd.DELETED),
        ({"max_uses": 0, "uses": 50}, InviteEnd.DELETED),  # 0 = unlimited
        ({"max_age": 1800}, InviteEnd.EXPIRED),
        ({"max_age": 7200}, InviteEnd.DELETED),
        ({"expires_at": NOW - timedelta(seconds=1)}, InviteEnd.EXPIRED),
        ({"expires_at": NOW}, InviteEnd.EXPIRED),
        ({"max_uses": 1, "uses": 1, "max_age": 60}, InviteEnd.USED_UP),
    ],
)
def test_end_of(changes: dict[str, object], expected: InviteEnd) -> None:
    assert end_of(invite(**changes), NOW) is expected


@pytest.mark.parametrize(
    ("changes", "over"),
    [
        ({}, False),
        ({"max_uses": 3, "uses": 2}, False),
        ({"max_uses": 3, "uses": 3}, True),
        ({"max_uses": 3, "uses": 4}, True),  # a counter past its limit is over all the same
        ({"max_uses": 0, "uses": 50}, False),
        ({"max_age": 0, "created_at": NOW - timedelta(days=400)}, False),  # never expires
        ({"expires_at": NOW + timedelta(seconds=1)}, False),
        ({"expires_at": NOW}, True),
        ({"max_age": 1800}, True),  # created an hour before NOW
    ],
)
def test_plainly_ended_is_what_storage_alone_tells(changes: dict[str, object], over: bool) -> None:
    """What the stored fallback of /invite-links leaves out, and a delete that finds the
    invite gone takes as its end."""
    assert plainly_ended(invite(**changes), NOW) is over


@pytest.mark.parametrize(
    ("created", "max_age", "expected"),
    [(NOW, 0, None), (NOW, None, None), (None, 60, None), (NOW, 60, NOW + timedelta(seconds=60))],
)
def test_expiry_of(
    created: datetime | None, max_age: int | None, expected: datetime | None
) -> None:
    assert expiry_of(created, max_age) == expected


@pytest.mark.parametrize(
    ("max_uses", "max_age", "problems"),
    [
        (0, 0, 0),
        (100, 604800, 0),
        (101, 0, 1),
        (-1, 0, 1),
        (0, 604801, 1),
        (0, -1, 1),
        (500, -5, 2),
    ],
)
def test_invite_options(max_uses: int, max_age: int, problems: int) -> None:
    assert len(check_invite_options(max_uses, max_age)) == problems


@pytest.mark.parametrize(
    ("changes", "problems"),
    [({}, 0), ({"uses": -1}, 1), ({"max_uses": -1, "max_age": -5}, 1), ({"max_age": 0}, 0)],
)
def test_report_problems(changes: dict[str, int], problems: int) -> None:
    report = InviteReport(
        code="abc",
        uses=changes.get("uses", 0),
        max_uses=changes.get("max_uses"),
        max_age=changes.get("max_age"),
    )
    assert len(report_problems(report)) == problems


@pytest.mark.parametrize(
    ("stored", "found", "retold"),
    [
        # a live invite takes whatever its window found
        (None, InviteEnd.USED_UP, True),
        (None, InviteEnd.DELETED, True),
        # an invite-delete event alone cannot tell used up from deleted: the window can
        (InviteEnd.DELETED, InviteEnd.USED_UP, True),
        (InviteEnd.DELETED, InviteEnd.EXPIRED, True),
        (InviteEnd.DELETED, InviteEnd.DELETED, False),
        # missing from a list says least of all
        (InviteEnd.VANISHED, InviteEnd.DELETED, True),
        (InviteEnd.VANISHED, InviteEnd.USED_UP, True),
        # certain reasons stay
        (InviteEnd.DELETED_BY_STAFF, InviteEnd.USED_UP, False),
        (InviteEnd.USED_UP, InviteEnd.DELETED, False),
        (InviteEnd.EXPIRED, InviteEnd.USED_UP, False),
        (InviteEnd.USED_UP, InviteEnd.VANISHED, False),
    ],
)
def test_retold_end(stored: InviteEnd | None, found: InviteEnd, retold: bool) -> None:
    assert retold_end(stored, found) is retold


@pytest.mark.parametrize(
    ("changes", "listed", "asked", "expected"),
    [
        # named by the list: not gone
        ({}, ("abc",), NOW, None),
        # missing, known before the list was asked for: gone, saying what is known
        ({"first_seen_at": NOW - timedelta(seconds=1)}, (), NOW, InviteEnd.VANISHED),
        (
            {"first_seen_at": NOW - timedelta(seconds=1), "max_uses": 2, "uses": 2},
            (),
            NOW,
            InviteEnd.USED_UP,
        ),
        (
            {"first_seen_at": NOW - timedelta(seconds=1), "expires_at": NOW},
            (),
            NOW,
            InviteEnd.EXPIRED,
        ),
        # first known when the list was asked for, or after: the list may not know it yet
        ({}, (), NOW, None),
        ({}, (), NOW - timedelta(seconds=1), None),
    ],
)
def test_unlisted_end(
    changes: dict[str, object],
    listed: tuple[str, ...],
    asked: datetime,
    expected: InviteEnd | None,
) -> None:
    found = ListedInvites([InviteReport(code=code) for code in listed], asked_at=asked)
    assert unlisted_end(invite(**changes), found, NOW) is expected


@pytest.mark.parametrize(
    ("named", "made_for", "expected"),
    [
        (7, None, 7),  # an invite a member made: Discord names them
        (1, 7, 7),  # the bot made it for member 7: Discord names the bot
        (None, 7, 7),  # erased as the inviter Discord named, still made for 7
        (None, None, None),  # nobody known
    ],
)
def test_an_invite_credits_the_member_it_was_made_for(
    named: int | None, made_for: int | None, expected: int | None
) -> None:
    assert credited_inviter(named, made_for) == expected
