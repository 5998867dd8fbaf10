"""The Discord port on hikari's REST client.

hikari does the rate limiting (per-route buckets from Discord's headers, the global limit,
429 `retry_after`) and retries 5xx answers, timeouts and dropped connections with exponential
backoff. This adapter bounds it: each attempt has a timeout, a rate-limit wait longer than
`max_rate_limit` fails at once, and the whole call, retries included, has a total budget.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import hikari
import structlog

from invite_tracker.discord import convert
from invite_tracker.discord.errors import translate
from invite_tracker.discord.port import InteractionTarget, InviteOptions, VanityUrl
from invite_tracker.domain.discord_objects import ChannelInfo, GuildInfo, MemberInfo
from invite_tracker.domain.errors import InviteTrackerError, Unprocessable
from invite_tracker.domain.invites import InviteReport
from invite_tracker.domain.messages import OutgoingMessage

T = TypeVar("T")
log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class DiscordLimits:
    """How long the service waits on Discord."""

    attempt_timeout: float = 5.0
    total_timeout: float = 15.0
    max_rate_limit_wait: float = 10.0
    max_retries: int = 3


class HikariDiscord:
    """`DiscordPort` over a started hikari RESTApp and a bot-token client."""

    def __init__(self, app: hikari.RESTApp, client: hikari.api.RESTClient, limits: DiscordLimits):
        self._app = app
        self._client = client
        self._limits = limits

    @classmethod
    async def connect(cls, base_url: str, token: str, limits: DiscordLimits) -> HikariDiscord:
        """Start a RESTApp pointed at `base_url` and acquire a client for the bot token."""
        settings = hikari.impl.HTTPSettings(
            timeouts=hikari.impl.HTTPTimeoutSettings(total=limits.attempt_timeout)
        )
        app = hikari.RESTApp(
            url=base_url,
            http_settings=settings,
            max_rate_limit=limits.max_rate_limit_wait,
            max_retries=limits.max_retries,
        )
        await app.start()
        client = app.acquire(token, hikari.TokenType.BOT)
        client.start()
        return cls(app, client, limits)

    async def close(self) -> None:
        """Close the client and its HTTP session."""
        await self._client.close()
        await self._app.close()

    async def _call(self, action: str, call: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout(self._limits.total_timeout):
                return await call
        except InviteTrackerError:
            raise
        except (hikari.HikariError, TimeoutError) as exc:
            error = translate(exc, action)
            log.warning("discord_call_failed", action=action, error=error.message)
            raise error from exc

    async def guild_invites(self, guild_id: int) -> Sequence[InviteReport]:
        invites = await self._call(
            "list the guild's invites", self._client.fetch_guild_invites(guild_id)
        )
        if invites and not isinstance(invites[0], hikari.InviteWithMetadata):
            raise Unprocessable(
                "Discord lists the guild's invites without their use counts: "
                "the bot needs the MANAGE_GUILD permission"
            )
        return [convert.invite(item) for item in invites]

    async def vanity_url(self, guild_id: int) -> VanityUrl:
        vanity = await self._call("read the vanity URL", self._client.fetch_vanity_url(guild_id))
        return VanityUrl(code=vanity.code or None, uses=vanity.uses)

    async def create_invite(self, channel_id: int, options: InviteOptions) -> InviteReport:
        created = await self._call(
            "create the invite",
            self._client.create_invite(
                channel_id,
                max_age=datetime.timedelta(seconds=options.max_age),
                max_uses=options.max_uses,
                temporary=options.temporary,
                unique=options.unique,
            ),
        )
        return convert.invite(created)

    async def delete_invite(self, code: str) -> None:
        await self._call("delete the invite", self._client.delete_invite(code))

    async def edit_original_reply(self, target: InteractionTarget, content: str) -> None:
        await self._call(
            "edit the interaction reply",
            self._client.edit_interaction_response(
                target.application_id,
                target.token,
                content,
                mentions_everyone=False,
                user_mentions=False,
                role_mentions=False,
            ),
        )

    async def guild(self, guild_id: int) -> GuildInfo:
        return convert.guild(await self._call("read the guild", self._client.fetch_guild(guild_id)))

    async def member(self, guild_id: int, user_id: int) -> MemberInfo:
        fetched = await self._call("read the member", self._client.fetch_member(guild_id, user_id))
        return convert.member(fetched)

    async def channel(self, channel_id: int) -> ChannelInfo:
        fetched = await self._call("read the channel", self._client.fetch_channel(channel_id))
        return convert.channel(fetched)

    async def send_message(self, channel_id: int, message: OutgoingMessage) -> None:
        factory = self._client.entity_factory
        embeds = [factory.deserialize_embed(embed) for embed in message.embeds]
        mentions = message.allowed_mentions
        await self._call(
            "send the message",
            self._client.create_message(
                channel_id,
                message.content or hikari.UNDEFINED,
                embeds=embeds or hikari.UNDEFINED,
                mentions_everyone=False,
                mentions_reply=False,
                role_mentions=False,
                user_mentions=[int(user) for user in mentions.get("users", [])] or False,
            ),
        )
