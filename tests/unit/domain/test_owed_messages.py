"""Owed messages: which failures are tried again, and when a message is too late to post."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from invite_tracker.domain.errors import (
    DiscordUnavailable,
    InviteTrackerError,
    StorageUnavailable,
    Unprocessable,
)
from invite_tracker.domain.owed_messages import Delivery, OwedMessage, after_failure, too_late

T0 = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("error", "delivery"),
    [
        # Discord could not be used just then: the message stays owed
        (DiscordUnavailable("send a message: Discord answered 503 after retries"), Delivery.RETRY),
        (DiscordUnavailable("rate limit asks to wait 40.0 s, longer than we wait"), Delivery.RETRY),
        # Discord refused it: asking again would be refused again
        (Unprocessable("Discord refused: Missing Access", status=403), Delivery.GIVEN_UP),
        (Unprocessable("Discord refused: Unknown Channel", status=404), Delivery.GIVEN_UP),
        (Unprocessable("Discord refused: Invalid Form Body", status=400), Delivery.GIVEN_UP),
        (Unprocessable("not a channel of this server"), Delivery.GIVEN_UP),
        (StorageUnavailable("database down"), Delivery.GIVEN_UP),
    ],
)
def test_only_a_discord_that_could_not_be_used_is_tried_again(
    error: InviteTrackerError, delivery: Delivery
) -> None:
    assert after_failure(error) is delivery
    assert delivery.retried is (delivery is Delivery.RETRY)


@pytest.mark.parametrize(
    ("age", "max_delay", "late"),
    [
        (timedelta(0), timedelta(minutes=10), False),
        (timedelta(minutes=10), timedelta(minutes=10), False),  # at the limit: still posted
        (timedelta(minutes=10, seconds=1), timedelta(minutes=10), True),
        (timedelta(hours=5), timedelta(minutes=10), True),
        (timedelta(seconds=1), timedelta(0), True),  # 0: only what is posted at once
        (timedelta(seconds=-2), timedelta(0), False),  # a clock a little behind the event's
    ],
)
def test_a_message_is_too_late_once_its_event_is_older_than_the_delay(
    age: timedelta, max_delay: timedelta, late: bool
) -> None:
    assert too_late(T0 - age, T0, max_delay) is late


def test_an_owed_message_is_known_by_its_kind_and_event() -> None:
    join = OwedMessage("join", 7, 1, 10, 20, "abc", T0, T0)
    leave = OwedMessage("leave", 7, 1, 10, 20, "abc", T0, T0)
    assert (join.key, leave.key) == (("join", 7), ("leave", 7))
