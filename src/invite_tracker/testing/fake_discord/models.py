"""The fake world's entities: plain mutable records, turned into Discord JSON by `shapes`."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any

JSONObject = dict[str, Any]
INVITE_LIST_READS_KEPT = 10_000


class ChannelType(IntEnum):
    """Discord channel types the fake can create."""

    GUILD_TEXT = 0
    GUILD_VOICE = 2
    GUILD_CATEGORY = 4
    GUILD_ANNOUNCEMENT = 5


class JoinSource(StrEnum):
    """How a member came in: the ground truth the invite tracker tries to infer."""

    INVITE = "invite"
    VANITY = "vanity"
    DISCOVERY = "discovery"
    ADDED = "added"
    """Created by the control API as an existing member (no GUILD_MEMBER_ADD event)."""


@dataclass(slots=True)
class User:
    """A Discord user."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    avatar: str | None = None


@dataclass(slots=True)
class Role:
    """A guild role; `bot_id` marks the bot's managed role."""

    id: int
    guild_id: int
    name: str
    permissions: int
    position: int
    color: int = 0
    hoist: bool = False
    managed: bool = False
    mentionable: bool = False
    bot_id: int | None = None


@dataclass(slots=True)
class Channel:
    """A guild channel."""

    id: int
    guild_id: int
    name: str
    type: ChannelType = ChannelType.GUILD_TEXT
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    last_message_id: int | None = None


@dataclass(slots=True)
class Guild:
    """A guild with the bot in it; `bot_permissions` are the bot's effective permissions."""

    id: int
    name: str
    owner_id: int
    bot_permissions: int
    features: list[str] = field(default_factory=list)
    vanity_code: str | None = None
    vanity_uses: int = 0
    description: str | None = None
    search_indexed_at: datetime | None = None
    """From when Discord's member search has indexed the guild (None: from the start)."""
    invite_list_reads: deque[datetime] = field(
        default_factory=lambda: deque(maxlen=INVITE_LIST_READS_KEPT)
    )  # when the invite list was read with its counts (for the simulator's measures)


@dataclass(slots=True)
class Member:
    """A user's membership of a guild, with how they joined."""

    guild_id: int
    user_id: int
    joined_at: datetime
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    pending: bool = False
    temporary: bool = False
    source: JoinSource = JoinSource.ADDED
    invite_code: str | None = None
    inviter_id: int | None = None
    vanity_code: str | None = None
    """The vanity code a VANITY join came through (the guild's at that moment)."""


@dataclass(slots=True)
class Invite:
    """A guild invite with Discord's metadata."""

    code: str
    guild_id: int
    channel_id: int
    inviter_id: int | None
    max_age: int
    max_uses: int
    temporary: bool
    created_at: datetime
    uses: int = 0

    @property
    def expires_at(self) -> datetime | None:
        """When the invite stops working (None: never)."""
        if self.max_age == 0:
            return None
        return self.created_at + timedelta(seconds=self.max_age)

    def expired(self, now: datetime) -> bool:
        """Whether `max_age` has passed at `now`."""
        expires_at = self.expires_at
        return expires_at is not None and now >= expires_at


@dataclass(slots=True)
class Message:
    """A message the bot sent (to a channel, or as an interaction reply or follow-up)."""

    id: int
    channel_id: int
    guild_id: int | None
    author_id: int
    content: str
    embeds: list[JSONObject]
    allowed_mentions: JSONObject | None
    timestamp: datetime
    flags: int = 0
    tts: bool = False
    edited_timestamp: datetime | None = None
    mention_user_ids: list[int] = field(default_factory=list)
    mention_role_ids: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    webhook_id: int | None = None
    application_id: int | None = None
    type: int = 0
    request: JSONObject = field(default_factory=dict)
    """The JSON body exactly as the client sent it."""
    interaction_id: int | None = None
    """The interaction this message answers (its original reply or a follow-up)."""


@dataclass(slots=True)
class ReplyEdit:
    """One PATCH of an interaction's original reply, as received."""

    at: datetime
    payload: JSONObject


@dataclass(slots=True)
class Interaction:
    """A registered slash-command interaction: callback, original reply, edits, follow-ups."""

    id: int
    application_id: int
    token: str
    created_at: datetime
    guild_id: int | None = None
    channel_id: int | None = None
    user_id: int | None = None
    response_type: int | None = None
    responded_at: datetime | None = None
    original: Message | None = None
    original_deleted: bool = False
    edits: list[ReplyEdit] = field(default_factory=list)
    followups: list[Message] = field(default_factory=list)


@dataclass(slots=True, frozen=True)
class Event:
    """A gateway event the fake would have dispatched, in order, with fake-only `meta`."""

    seq: int
    type: str
    at: datetime
    guild_id: int
    data: JSONObject
    meta: JSONObject

    def as_json(self) -> JSONObject:
        """The event as the control API returns it."""
        return {
            "seq": self.seq,
            "type": self.type,
            "at": self.at.isoformat(),
            "guild_id": str(self.guild_id),
            "data": self.data,
            "meta": self.meta,
        }
