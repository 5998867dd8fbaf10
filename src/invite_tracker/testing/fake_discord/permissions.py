"""Discord permission bits the fake checks, with the names Discord documents."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntFlag


class Permission(IntFlag):
    """Discord's permission flags (only the ones the fake checks or reports by name)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29


ALL_PERMISSIONS = (1 << 51) - 1
"""Every permission bit Discord has defined so far: the bot's default in every fake guild."""

EVERYONE_DEFAULT = (
    Permission.CREATE_INSTANT_INVITE
    | Permission.ADD_REACTIONS
    | Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
    | Permission.READ_MESSAGE_HISTORY
)
"""What the @everyone role shows (display only: the bot's permissions are set per guild)."""


def has_all(granted: int, *needed: Permission) -> bool:
    """Whether `granted` includes every one of `needed` (ADMINISTRATOR grants everything)."""
    if granted & Permission.ADMINISTRATOR:
        return True
    return all(granted & bit == bit for bit in needed)


def has_any(granted: int, *wanted: Permission) -> bool:
    """Whether `granted` includes at least one of `wanted` (ADMINISTRATOR grants everything)."""
    if granted & Permission.ADMINISTRATOR:
        return True
    return any(granted & bit for bit in wanted)


def parse_permissions(value: int | str | Sequence[str]) -> int:
    """An integer, a decimal string, or a list of permission names, as a bit field."""
    if isinstance(value, bool):
        raise ValueError("permissions must be an integer, a decimal string or a list of names")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value.strip().upper() == "ALL":
            return ALL_PERMISSIONS
        return int(value)
    bits = 0
    for name in value:
        if name.upper() == "ALL":
            bits |= ALL_PERMISSIONS
            continue
        try:
            bits |= Permission[name.upper()]
        except KeyError:
            raise ValueError(f"unknown permission name: {name}") from None
    return bits
