"""The payloads of the join signals between workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from invite_tracker.db.signals import (
    PAYLOAD_LIMIT,
    decode,
    decode_decided,
    encode,
    encode_decided,
)

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


@pytest.mark.parametrize(
    ("join_ids", "payloads"),
    [
        ([5], 1),
        ([5, 6, 70], 1),
        ([2**63 - 1] * 394, 1),  # the largest ids: 394 of them fit in one payload
        ([2**63 - 1] * 395, 2),
        ([10**6 + n for n in range(5000)], 6),  # 987 ids of 7 digits per payload
    ],
)
def test_decided_joins_are_told_in_payloads_postgresql_accepts(
    join_ids: list[int], payloads: int
) -> None:
    encoded = encode_decided(7, join_ids)
    assert len(encoded) == payloads
    assert all(len(payload.encode()) <= PAYLOAD_LIMIT for payload in encoded)
    decoded = [decode_decided(payload) for payload in encoded]
    assert [guild for guild, _ in filter(None, decoded)] == [7] * payloads
    assert [join_id for _, ids in filter(None, decoded) for join_id in ids] == join_ids


def test_no_decided_joins_is_no_payload() -> None:
    assert encode_decided(7, []) == []


@pytest.mark.parametrize(
    "payload",
    ["", "7", "7 ", "7 1,,2", "7 a", "0 1", "7 0", "7 -1", "x 1", "7 1 2"],
)
def test_anything_else_decides_nothing(payload: str) -> None:
    assert decode_decided(payload) is None
