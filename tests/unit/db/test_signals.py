"""The payload of a join signal between workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from invite_tracker.db.signals import decode, encode

JOINED = datetime(2026, 11, 30, 21, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("guild_id", "joined_at"),
    [
        (1, JOINED),
        (2**64 - 1, JOINED),  # the largest snowflake
        (42, JOINED.astimezone(timezone(timedelta(hours=-5)))),  # another offset, same instant
    ],
)
def test_a_payload_names_the_guild_and_the_instant(guild_id: int, joined_at: datetime) -> None:
    assert decode(encode(guild_id, joined_at)) == (guild_id, joined_at)


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "123",
        "abc 2026-11-30T21:00:00+00:00",
        "123 yesterday",
        "123 2026-11-30T21:00:00",  # no offset: not an instant
        "0 2026-11-30T21:00:00+00:00",
        "-5 2026-11-30T21:00:00+00:00",
    ],
)
def test_anything_else_is_ignored(payload: str) -> None:
    assert decode(payload) is None
