"""Snowflakes, invite codes and invite links."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from invite_tracker.domain.ids import (
    normalise_invite_link,
    parse_invite_code,
    parse_snowflake,
    snowflake_created_at,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        ("1", 1),
        ("0042", 42),
        ("0001000000000000000001", 10**18 + 1),  # zero-padded past 20 characters
        (2**64 - 1, 2**64 - 1),
        (str(2**64 - 1), 2**64 - 1),
    ],
)
def test_valid_snowflakes(value: object, expected: int) -> None:
    assert parse_snowflake(value) == expected


@pytest.mark.parametrize(
    "value",
    [0, -1, 2**64, "0", "-1", str(2**64), "12abc", "", " 1", "1.0", 1.0, True, None, [1], "9" * 65],
)
def test_invalid_snowflakes(value: object) -> None:
    with pytest.raises(ValueError, match="snowflake"):
        parse_snowflake(value)


def test_snowflake_time() -> None:
    assert snowflake_created_at(175928847299117063) == datetime(
        2016, 4, 30, 11, 18, 25, 796000, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("ab", "ab"), ("a-B-9", "a-B-9"), (12345, "12345"), ("x" * 32, "x" * 32)],
)
def test_valid_codes(value: object, expected: str) -> None:
    assert parse_invite_code(value) == expected


@pytest.mark.parametrize("value", ["a", "x" * 33, "a b", "a/b", "é1", "", True, None, 1.5])
def test_invalid_codes(value: object) -> None:
    with pytest.raises(ValueError, match=r"invite code|characters"):
        parse_invite_code(value)


@pytest.mark.parametrize(
    ("link", "code"),
    [
        ("abc", "abc"),
        ("discord.gg/abc", "abc"),
        ("https://discord.gg/abc/", "abc"),
        ("https://www.discord.gg/abc", "abc"),
        ("https://discord.com/invite/abc?event=5", "abc"),
        ("https://discordapp.com/invite/abc", "abc"),
        ("HTTPS://DISCORD.GG/AbC", "AbC"),
        ("  abc  ", "abc"),
    ],
)
def test_links_normalise_to_codes(link: str, code: str) -> None:
    assert normalise_invite_link(link) == code


@pytest.mark.parametrize(
    "link", ["https://example.com/abc", "discord.gg/", "discord.gg/a b", "", "x"]
)
def test_other_links_are_refused(link: str) -> None:
    with pytest.raises(ValueError, match="server_shared_invite_link"):
        normalise_invite_link(link)
