"""Identifiers the service accepts: Discord snowflakes and invite codes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

SNOWFLAKE_MAX = 2**64 - 1
DISCORD_EPOCH_MS = 1_420_070_400_000
INVITE_CODE_PATTERN = re.compile(r"[A-Za-z0-9-]{2,32}")
_DECIMAL = re.compile(r"[0-9]{1,64}")
"""Digits, leading zeros allowed (a decimal string all the same), bounded before reading."""
_LINK = re.compile(
    r"(?:https?://)?(?:www\.)?"
    r"(?:discord\.gg/|discord(?:app)?\.com/invite/)"
    r"(?P<code>[^/?#\s]+)/?(?:[?#].*)?",
    re.IGNORECASE,
)


def parse_snowflake(value: object) -> int:
    """Read a Discord id given as a JSON integer or a decimal string; 0 < id < 2**64.

    Raises ValueError with a message that says what was wrong.
    """
    if isinstance(value, bool):
        raise ValueError("must be a snowflake (an integer or a decimal string), not a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            raise ValueError("must be a snowflake: a decimal string of digits only")
        number = int(value)
    else:
        raise ValueError("must be a snowflake (an integer or a decimal string)")
    if not 0 < number <= SNOWFLAKE_MAX:
        raise ValueError("must be a snowflake between 1 and 2^64 - 1")
    return number


def snowflake_created_at(snowflake: int) -> datetime:
    """The creation time Discord encodes in a snowflake's top 42 bits."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def parse_invite_code(value: object) -> str:
    """Read an invite code: 2 to 32 characters of letters, digits and '-'.

    A number is accepted and read as its decimal string, since Husqy documents the code as an
    integer on the event endpoints.
    """
    if isinstance(value, bool):
        raise ValueError("must be an invite code string, not a boolean")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("must be an invite code string")
    if not INVITE_CODE_PATTERN.fullmatch(value):
        raise ValueError("must be 2 to 32 characters of letters, digits and '-'")
    return value


def normalise_invite_link(value: str) -> str:
    """Turn `discord.gg/<code>`, `discord.com/invite/<code>` or a bare code into the code.

    Raises ValueError when the text is neither a Discord invite link nor a valid code.
    """
    text = value.strip()
    match = _LINK.fullmatch(text)
    code = match.group("code") if match else text
    if not INVITE_CODE_PATTERN.fullmatch(code):
        raise ValueError(
            "server_shared_invite_link must be a Discord invite link "
            "(discord.gg/<code> or discord.com/invite/<code>) or an invite code"
        )
    return code


def invite_url(code: str) -> str:
    """The public link for an invite code."""
    return f"https://discord.gg/{code}"
