"""The fake Discord's world: guilds, channels, roles, users, members, invites, messages, events."""

from __future__ import annotations

import asyncio
import random
import string
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from invite_tracker.testing.fake_discord import errors
from invite_tracker.testing.fake_discord.clock import FakeClock
from invite_tracker.testing.fake_discord.errors import ControlError
from invite_tracker.testing.fake_discord.events import EventLog
from invite_tracker.testing.fake_discord.models import (
    Channel,
    ChannelType,
    Event,
    Guild,
    Interaction,
    Invite,
    Member,
    Message,
    Role,
    User,
)
from invite_tracker.testing.fake_discord.permissions import ALL_PERMISSIONS, EVERYONE_DEFAULT

DISCORD_EPOCH_MS = 1_420_070_400_000
_CODE_ALPHABET = string.ascii_letters + string.digits


@dataclass(slots=True)
class World:
    """Everything the fake Discord knows, in memory; mutate it only while holding `lock`.

    Mutating methods never await, so each runs atomically on the event loop; the lock makes
    multi-step operations (a handler that reads, sleeps for a fault, then writes) safe too.
    """

    clock: FakeClock = field(default_factory=FakeClock)
    seed: int | None = None
    bot_user: User = field(init=False)
    guilds: dict[int, Guild] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    roles: dict[int, Role] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    members: dict[tuple[int, int], Member] = field(default_factory=dict)
    invites: dict[str, Invite] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    interactions: dict[int, Interaction] = field(default_factory=dict)
    events: EventLog = field(default_factory=EventLog)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    member_search_lag: float = 1.0
    """Seconds after joining before a member shows in Discord's member search."""
    rng: random.Random = field(init=False)
    _last_id: int = 0
    _increment: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.bot_user = User(id=self.next_id(), username="invite-tracker-fake", bot=True)
        self.users[self.bot_user.id] = self.bot_user

    @property
    def application_id(self) -> int:
        """The bot's application id (equal to the bot user's id, as for every modern bot)."""
        return self.bot_user.id

    def now(self) -> datetime:
        """The fake clock's current time."""
        return self.clock.now()

    # ids ---------------------------------------------------------------------------------

    def next_id(self) -> int:
        """A fresh snowflake built from the fake clock, strictly increasing."""
        millis = int(self.now().timestamp() * 1000) - DISCORD_EPOCH_MS
        candidate = (max(millis, 0) << 22) | (1 << 17) | (self._increment & 0xFFF)
        self._increment += 1
        candidate = max(candidate, self._last_id + 1)
        self._last_id = candidate
        return candidate

    def claim_id(self, wanted: int | None) -> int:
        """`wanted` if given and free, else a fresh snowflake."""
        if wanted is None:
            return self.next_id()
        if wanted <= 0 or wanted >= 1 << 64:
            raise ControlError(400, f"not a snowflake: {wanted}")
        taken = (
            wanted in self.guilds
            or wanted in self.channels
            or wanted in self.roles
            or wanted in self.users
        )
        if taken:
            raise ControlError(409, f"id {wanted} is already in use")
        self._last_id = max(self._last_id, wanted)
        return wanted

    def new_code(self, length: int = 8) -> str:
        """A fresh invite code, unique among invites and vanity codes."""
        taken = {guild.vanity_code for guild in self.guilds.values()}
        while True:
            code = "".join(self.rng.choice(_CODE_ALPHABET) for _ in range(length))
            if code not in self.invites and code not in taken:
                return code

    # lookups (raise Discord's errors) -------------------------------------------------------

    def guild(self, guild_id: int) -> Guild:
        """The guild, or Discord's 10004."""
        guild = self.guilds.get(guild_id)
        if guild is None:
            raise errors.unknown_guild()
        return guild

    def channel(self, channel_id: int) -> Channel:
        """The channel, or Discord's 10003."""
        channel = self.channels.get(channel_id)
        if channel is None:
            raise errors.unknown_channel()
        return channel

    def user(self, user_id: int) -> User:
        """The user, or Discord's 10013."""
        user = self.users.get(user_id)
        if user is None:
            raise errors.unknown_user()
        return user

    def member(self, guild_id: int, user_id: int) -> Member:
        """The member, or Discord's 10007 (10004 first if the guild is unknown)."""
        self.guild(guild_id)
        member = self.members.get((guild_id, user_id))
        if member is None:
            raise errors.unknown_member()
        return member

    def guild_roles(self, guild_id: int) -> list[Role]:
        """The guild's roles by position, @everyone first."""
        roles = [role for role in self.roles.values() if role.guild_id == guild_id]
        return sorted(roles, key=lambda role: (role.position, role.id))

    def guild_members(self, guild_id: int) -> list[Member]:
        """The guild's members in join order."""
        found = [member for (gid, _), member in self.members.items() if gid == guild_id]
        return sorted(found, key=lambda member: member.joined_at)

    def member_count(self, guild_id: int) -> int:
        """How many members the guild has (the bot included)."""
        return sum(1 for gid, _ in self.members if gid == guild_id)

    # creation ---------------------------------------------------------------------------

    def create_user(
        self,
        username: str | None = None,
        *,
        user_id: int | None = None,
        global_name: str | None = None,
        bot: bool = False,
    ) -> User:
        """A new user (not in any guild yet)."""
        new_id = self.claim_id(user_id)
        user = User(
            id=new_id,
            username=username or f"user{new_id % 100000}",
            global_name=global_name,
            bot=bot,
        )
        self.users[new_id] = user
        return user

    def create_guild(
        self,
        name: str = "Fake Guild",
        *,
        guild_id: int | None = None,
        owner_id: int | None = None,
        features: list[str] | None = None,
        bot_permissions: int = ALL_PERMISSIONS,
    ) -> Guild:
        """A new guild with its @everyone role, the bot (and its managed role) and the owner."""
        new_id = self.claim_id(guild_id)
        if owner_id is None:
            owner_id = self.create_user(f"owner{new_id % 100000}").id
        owner = self.user(owner_id)
        guild = Guild(
            id=new_id,
            name=name,
            owner_id=owner.id,
            bot_permissions=bot_permissions,
            features=list(features or []),
        )
        self.guilds[new_id] = guild
        self.roles[new_id] = Role(
            id=new_id,
            guild_id=new_id,
            name="@everyone",
            permissions=int(EVERYONE_DEFAULT),
            position=0,
        )
        bot_role = self.create_role(new_id, self.bot_user.username, permissions=bot_permissions)
        bot_role.managed = True
        bot_role.bot_id = self.bot_user.id
        now = self.now()
        self.members[(new_id, owner.id)] = Member(guild_id=new_id, user_id=owner.id, joined_at=now)
        self.members[(new_id, self.bot_user.id)] = Member(
            guild_id=new_id, user_id=self.bot_user.id, joined_at=now, roles=[bot_role.id]
        )
        return guild

    def create_channel(
        self,
        guild_id: int,
        name: str = "general",
        *,
        channel_id: int | None = None,
        channel_type: ChannelType = ChannelType.GUILD_TEXT,
        parent_id: int | None = None,
        topic: str | None = None,
    ) -> Channel:
        """A new channel in the guild."""
        self.guild(guild_id)
        if parent_id is not None and self.channel(parent_id).guild_id != guild_id:
            raise ControlError(400, "the parent category belongs to another guild")
        position = sum(1 for channel in self.channels.values() if channel.guild_id == guild_id)
        channel = Channel(
            id=self.claim_id(channel_id),
            guild_id=guild_id,
            name=name,
            type=ChannelType(channel_type),
            position=position,
            parent_id=parent_id,
            topic=topic,
        )
        self.channels[channel.id] = channel
        return channel

    def create_role(
        self,
        guild_id: int,
        name: str,
        *,
        role_id: int | None = None,
        permissions: int = 0,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
    ) -> Role:
        """A new role in the guild, above the existing ones."""
        self.guild(guild_id)
        position = len(self.guild_roles(guild_id))
        role = Role(
            id=self.claim_id(role_id),
            guild_id=guild_id,
            name=name,
            permissions=permissions,
            position=position,
            color=color,
            hoist=hoist,
            mentionable=mentionable,
        )
        self.roles[role.id] = role
        return role

    def add_member(
        self,
        guild_id: int,
        user_id: int,
        *,
        roles: list[int] | None = None,
        nick: str | None = None,
        joined_at: datetime | None = None,
    ) -> Member:
        """Make the user an existing member, silently (no event): the world as it was before."""
        self.check_can_join(guild_id, user_id)
        member = Member(
            guild_id=guild_id,
            user_id=user_id,
            joined_at=joined_at or self.now(),
            roles=self._check_roles(guild_id, roles or []),
            nick=nick,
        )
        self.members[(guild_id, user_id)] = member
        return member

    def set_bot_permissions(self, guild_id: int, permissions: int) -> None:
        """The bot's effective permissions in the guild (shown on its managed role)."""
        guild = self.guild(guild_id)
        guild.bot_permissions = permissions
        for role in self.guild_roles(guild_id):
            if role.bot_id == self.bot_user.id:
                role.permissions = permissions

    def check_can_join(self, guild_id: int, user_id: int) -> None:
        """Refuse unknown guilds and users (Discord's errors) and existing members (409)."""
        self.guild(guild_id)
        self.user(user_id)
        if (guild_id, user_id) in self.members:
            raise ControlError(409, f"user {user_id} is already a member of guild {guild_id}")

    def _check_roles(self, guild_id: int, role_ids: list[int]) -> list[int]:
        for role_id in role_ids:
            role = self.roles.get(role_id)
            if role is None or role.guild_id != guild_id:
                raise ControlError(400, f"role {role_id} is not a role of guild {guild_id}")
        return [role_id for role_id in role_ids if role_id != guild_id]

    # events -----------------------------------------------------------------------------

    def record(
        self,
        event_type: str,
        guild_id: int,
        data: dict[str, Any],
        meta: dict[str, Any] | None = None,
        *,
        at: datetime | None = None,
    ) -> Event:
        """Append a gateway event to the log (at the fake's now unless `at` is given)."""
        return self.events.record(event_type, guild_id, data, meta, at or self.now())
