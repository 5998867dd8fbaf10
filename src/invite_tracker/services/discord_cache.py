"""A short-lived, single-flight cache in front of Discord's read endpoints.

A burst of joins in one guild would otherwise fetch the same guild, channel and inviter once
per join. Entries live `ttl` seconds; concurrent reads of one key share one request; failures
are not cached.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

from invite_tracker.discord.port import (
    DiscordPort,
    InteractionTarget,
    InviteList,
    InviteOptions,
    VanityUrl,
)
from invite_tracker.domain.cross_check import MemberSource
from invite_tracker.domain.discord_objects import ChannelInfo, GuildInfo, MemberInfo, UserInfo
from invite_tracker.domain.invites import InviteReport
from invite_tracker.domain.messages import OutgoingMessage

T = TypeVar("T")
MAX_ENTRIES = 10_000


class CachedDiscord:
    """`DiscordPort` that caches guild, member and channel reads; writes pass straight on."""

    def __init__(
        self, port: DiscordPort, *, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.port = port
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._in_flight: dict[Hashable, asyncio.Future[Any]] = {}

    async def _cached(self, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> T:
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            value: T = entry[1]
            return value
        pending = self._in_flight.get(key)
        if pending is not None:
            shared: T = await asyncio.shield(pending)
            return shared
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            result = await fetch()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it, nobody else must
            raise
        else:
            future.set_result(result)
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (self._clock() + self._ttl, result)
            return result
        finally:
            del self._in_flight[key]

    async def guild(self, guild_id: int) -> GuildInfo:
        return await self._cached(("guild", guild_id), lambda: self.port.guild(guild_id))

    async def member(self, guild_id: int, user_id: int) -> MemberInfo:
        return await self._cached(
            ("member", guild_id, user_id), lambda: self.port.member(guild_id, user_id)
        )

    async def user(self, user_id: int) -> UserInfo:
        return await self._cached(("user", user_id), lambda: self.port.user(user_id))

    async def channel(self, channel_id: int) -> ChannelInfo:
        return await self._cached(("channel", channel_id), lambda: self.port.channel(channel_id))

    async def guild_invites(self, guild_id: int, *, at_once: bool = False) -> InviteList:
        return await self.port.guild_invites(guild_id, at_once=at_once)

    async def vanity_url(self, guild_id: int, *, at_once: bool = False) -> VanityUrl:
        return await self.port.vanity_url(guild_id, at_once=at_once)

    async def create_invite(self, channel_id: int, options: InviteOptions) -> InviteReport:
        return await self.port.create_invite(channel_id, options)

    async def delete_invite(self, code: str) -> None:
        await self.port.delete_invite(code)

    async def invite_guild(self, code: str) -> int | None:
        return await self.port.invite_guild(code)

    async def edit_original_reply(self, target: InteractionTarget, content: str) -> int | None:
        return await self.port.edit_original_reply(target, content)

    async def send_message(self, channel_id: int, message: OutgoingMessage) -> None:
        await self.port.send_message(channel_id, message)

    async def member_sources(
        self, guild_id: int, member_ids: Sequence[int]
    ) -> tuple[MemberSource, ...]:
        return await self.port.member_sources(guild_id, member_ids)
