"""Which of a channel's invites a create whose answer was lost may have made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from invite_tracker.discord.lost_creates import CLOCK_TOLERANCE, GivenCodes, made_by_lost_create
from invite_tracker.discord.port import InviteOptions
from invite_tracker.domain.invites import InviteReport

SENT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
NOW = SENT + timedelta(seconds=2)
OPTIONS = InviteOptions(max_uses=5, max_age=3600, temporary=False)


def invite(code: str = "made01", **changes: object) -> InviteReport:
    values: dict[str, object] = {
        "code": code,
        "max_uses": 5,
        "max_age": 3600,
        "temporary": False,
        "created_at": SENT + timedelta(milliseconds=80),
    }
    values.update(changes)
    return InviteReport(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("listed", "by_bot", "expected"),
    [
        (invite(), True, True),  # the bot's, as asked, made since it was sent
        (invite(), False, False),  # a member's invite with the same options
        (invite(max_uses=0), True, False),  # other options: another request's
        (invite(max_age=86400), True, False),
        (invite(temporary=True), True, False),
        (invite(created_at=SENT - CLOCK_TOLERANCE), True, True),  # clocks apart, within bounds
        (invite(created_at=SENT - CLOCK_TOLERANCE - timedelta(seconds=1)), True, False),  # older
        (invite(created_at=NOW + CLOCK_TOLERANCE + timedelta(seconds=1)), True, False),
        (invite(created_at=None), True, False),  # no time: cannot be told
        (invite("given1"), True, False),  # already the answer to another request
    ],
)
def test_made_by_lost_create(listed: InviteReport, by_bot: bool, expected: bool) -> None:
    given = GivenCodes()
    given.give(invite("given1"))
    found = made_by_lost_create(
        listed, by_bot=by_bot, options=OPTIONS, sent_at=SENT, now=NOW, given=given
    )
    assert found is expected


def test_given_codes_keep_the_latest() -> None:
    given = GivenCodes(size=2)
    for code in ("aa", "bb", "cc"):
        given.give(invite(code))
    assert ("aa" in given, "bb" in given, "cc" in given) == (False, True, True)
