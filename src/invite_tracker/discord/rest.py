"""The Discord port on hikari's REST client.

hikari does the rate limiting (per-route buckets from Discord's headers, the global limit,
429 `retry_after`) and retries 5xx answers, timeouts and dropped connections with exponential
backoff; except for creating an invite, which may have been made though its answer was lost,
and is made again only once the channel's invites show it was not (`lost_creates`). This
adapter bounds it: each attempt has a timeout, a rate-limit wait longer than
`max_rate_limit` fails at once, and the whole call, retries included, has a total budget.
Reads asked to go out at once (the attributor's) are never held: they fail with
`ReadDeferred` and its wait instead, so the caller can wait and stamp the read when it leaves.

The invite list and vanity reads also say when Discord counted them, by Discord's own clock
(`discord_clock`), and their buckets are freed by it.
"""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TypeVar

import hikari
import structlog

from invite_tracker.discord import convert, member_search
from invite_tracker.discord.discord_clock import DiscordClock, counted_at, on_discords_clock
from invite_tracker.discord.errors import translate
from invite_tracker.discord.lost_creates import GivenCodes, made_by_lost_create
from invite_tracker.discord.port import InteractionTarget, InviteList, InviteOptions, VanityUrl
from invite_tracker.domain.cross_check import MemberSource
from invite_tracker.domain.discord_objects import ChannelInfo, GuildInfo, MemberInfo, UserInfo
from invite_tracker.domain.errors import (
    DiscordUnavailable,
    InviteTrackerError,
    ReadDeferred,
    Unprocessable,
)
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
    # after Discord refused the bot token (401), no call is made for this long: every one
    # would be refused too, and Discord bans an address after 10,000 refusals in 10 minutes
    token_refusal_pause: float = 60.0


AT_ONCE_TOLERANCE = 0.02
"""Seconds a read asked to go out at once may still be held by the rate limiter."""
RETRY_BACKOFF = 0.25
"""Seconds before a create made again, doubled each time (hikari's own backoff, for the
calls it retries, starts near 1 s)."""


class HikariDiscord:
    """`DiscordPort` over started hikari RESTApps and their bot-token clients.

    Three of them: one that waits out rate limits (up to `max_rate_limit_wait`); one whose
    hikari raises instead of holding a request back, for the invite list and the vanity
    counter (the attributor's reads, which must leave when they are stamped); and one that
    retries nothing, for creating invites and the look at a channel's invites that follows a
    lost answer (`_create_invite` decides whether to make one again). Each route goes through
    one client only, so one view of its bucket decides. All free their buckets by Discord's
    clock (`DiscordClock`)."""

    def __init__(
        self,
        apps: Sequence[hikari.RESTApp],
        clients: Sequence[hikari.api.RESTClient],
        limits: DiscordLimits,
        clock: DiscordClock | None = None,
    ):
        self._apps = apps
        self._clients = clients
        self._client, self._at_once, self._creates = clients
        self._limits = limits
        self._clock = clock
        self._given = GivenCodes()
        self._search_warned = False
        self._token_refused_until = 0.0  # monotonic: no bot call before it (token refused)

    @classmethod
    async def connect(cls, base_url: str, token: str, limits: DiscordLimits) -> HikariDiscord:
        """Start the RESTApps pointed at `base_url` and acquire their bot-token clients."""
        settings = hikari.impl.HTTPSettings(
            timeouts=hikari.impl.HTTPTimeoutSettings(total=limits.attempt_timeout)
        )
        apps: list[hikari.RESTApp] = []
        clients: list[hikari.api.RESTClient] = []
        clock: DiscordClock | None = None
        for max_wait, retries in (
            (limits.max_rate_limit_wait, limits.max_retries),
            (AT_ONCE_TOLERANCE, limits.max_retries),
            (limits.max_rate_limit_wait, 0),
        ):
            app = hikari.RESTApp(
                url=base_url, http_settings=settings, max_rate_limit=max_wait, max_retries=retries
            )
            installed = on_discords_clock(app, max_wait)  # all: every call waits by it
            if max_wait == AT_ONCE_TOLERANCE:
                clock = installed  # the reads' client: the one listened to
            await app.start()
            client = app.acquire(token, hikari.TokenType.BOT)
            client.start()
            apps.append(app)
            clients.append(client)
        return cls(apps, clients, limits, clock)

    async def close(self) -> None:
        """Close the clients and their HTTP sessions."""
        for client in self._clients:
            await client.close()
        for app in self._apps:
            await app.close()

    async def _call(
        self,
        action: str,
        call: Awaitable[T],
        *,
        deferrable: bool = False,
        bot_auth: bool = True,
        absence_answers: bool = False,
    ) -> T:
        """`call` within the total budget; `deferrable`: a rate-limit wait hikari refused is
        `ReadDeferred`, for the caller to wait out, rather than a failure. `bot_auth`: the
        call is authorised by the bot token (not an interaction's webhook token): while the
        token was refused lately it is not made at all. `absence_answers`: a 404 answers the
        question (the user is not a member), so it is raised without a warning."""
        wait = self._token_refused_until - time.monotonic()
        if bot_auth and wait > 0:
            if isinstance(call, Coroutine):
                call.close()  # never sent
            raise DiscordUnavailable(
                f"{action}: Discord refused the bot token; no call is made for {wait:.0f} s "
                "more (check INVITE_TRACKER_DISCORD_TOKEN)"
            )
        try:
            async with asyncio.timeout(self._limits.total_timeout):
                return await call
        except InviteTrackerError:
            raise
        except hikari.UnauthorizedError as exc:
            if bot_auth:
                self._token_refused_until = time.monotonic() + self._limits.token_refusal_pause
                log.error("discord_token_refused", pause_seconds=self._limits.token_refusal_pause)
            raise self._failed(action, exc) from exc
        except hikari.RateLimitTooLongError as exc:
            if deferrable:
                raise ReadDeferred(
                    f"{action}: the rate limit holds the request for {exc.retry_after:.2f} s",
                    exc.retry_after,
                ) from exc
            raise self._failed(action, exc) from exc
        except hikari.NotFoundError as exc:
            if absence_answers:
                raise translate(exc, action) from exc
            raise self._failed(action, exc) from exc
        except (hikari.HikariError, TimeoutError) as exc:
            raise self._failed(action, exc) from exc

    @staticmethod
    def _failed(action: str, exc: BaseException) -> InviteTrackerError:
        error = translate(exc, action)
        log.warning("discord_call_failed", action=action, error=error.message)
        return error

    async def _read(self, action: str, read: Callable[[], Awaitable[T]], *, at_once: bool) -> T:
        """A read through the client that never holds requests back. Every read of these
        routes goes through it, so one view of their buckets decides (two clients spending
        one bucket would each think the other's share is still there, and meet 429s). A read
        that may wait waits here instead, within the same bounds as any other call."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._limits.total_timeout
        while True:
            try:
                return await self._call(action, read(), deferrable=True)
            except ReadDeferred as deferred:
                if at_once:
                    raise
                wait = deferred.retry_after
                if wait > min(deadline - loop.time(), self._limits.max_rate_limit_wait):
                    refused = deferred.__cause__  # hikari's RateLimitTooLongError
                    assert refused is not None
                    raise self._failed(action, refused) from deferred
                await asyncio.sleep(wait)

    async def _timed_read(
        self, route: str, action: str, read: Callable[[], Awaitable[T]], *, at_once: bool
    ) -> tuple[T, datetime.datetime | None, float | None]:
        """`_read`, when Discord counted it by its clock (None when that cannot be told:
        `route` is the compiled route its answer comes back on), and its lag (`Heard`)."""
        if self._clock is None:
            return await self._read(action, read, at_once=at_once), None, None
        with self._clock.listen(route) as heard:
            value = await self._read(action, read, at_once=at_once)
        instant = counted_at(heard)
        return value, instant, heard[0].lag if instant is not None else None

    async def guild_invites(self, guild_id: int, *, at_once: bool = False) -> InviteList:
        invites, instant, lag = await self._timed_read(
            f"GET /guilds/{guild_id}/invites",
            "list the guild's invites",
            lambda: self._at_once.fetch_guild_invites(guild_id),
            at_once=at_once,
        )
        if invites and not isinstance(invites[0], hikari.InviteWithMetadata):
            raise Unprocessable(
                "Discord lists the guild's invites without their use counts: "
                "the bot needs the MANAGE_GUILD permission"
            )
        return InviteList(tuple(convert.invite(item) for item in invites), instant, lag)

    async def vanity_url(self, guild_id: int, *, at_once: bool = False) -> VanityUrl:
        vanity, instant, lag = await self._timed_read(
            f"GET /guilds/{guild_id}/vanity-url",
            "read the vanity URL",
            lambda: self._at_once.fetch_vanity_url(guild_id),
            at_once=at_once,
        )
        return VanityUrl(
            code=vanity.code or None, uses=vanity.uses, counted_at=instant, limiter_lag=lag
        )

    async def create_invite(self, channel_id: int, options: InviteOptions) -> InviteReport:
        return await self._call("create the invite", self._create_invite(channel_id, options))

    async def _create_invite(self, channel_id: int, options: InviteOptions) -> InviteReport:
        """Create through the client that retries nothing: an attempt whose answer was lost
        (a dropped connection, a timeout, a 5xx) is followed by a look at the channel's
        invites (`lost_creates`), and the invite is made again only when it is not there. When
        they cannot be read, the failure stands, saying the invite may exist."""
        for attempt in range(self._limits.max_retries + 1):
            sent_at = datetime.datetime.now(datetime.UTC)
            try:
                made = await self._creates.create_invite(
                    channel_id,
                    max_age=datetime.timedelta(seconds=options.max_age),
                    max_uses=options.max_uses,
                    temporary=options.temporary,
                    unique=options.unique,
                )
            except (hikari.ClientHTTPResponseError, hikari.RateLimitTooLongError):
                raise  # refused, or never sent: nothing was made
            except (hikari.HTTPError, TimeoutError) as lost:
                found = await self._made_meanwhile(channel_id, options, sent_at, lost)
                if found is not None:
                    log.info("invite_create_answer_lost_invite_found", code=found.code)
                    return self._given.give(found)
                if attempt == self._limits.max_retries:
                    raise  # none of the attempts made it (the channel says so)
                await asyncio.sleep(RETRY_BACKOFF * 2**attempt)
            else:
                return self._given.give(convert.invite(made))
        raise AssertionError("the last attempt returns or raises")

    async def _made_meanwhile(
        self,
        channel_id: int,
        options: InviteOptions,
        sent_at: datetime.datetime,
        lost: BaseException,
    ) -> InviteReport | None:
        """The invite a create sent at `sent_at` made though its answer was lost, if the
        channel lists one; raises when the channel's invites cannot be read."""
        try:
            listed = await self._creates.fetch_channel_invites(channel_id)  # tried once
        except (hikari.HikariError, TimeoutError) as exc:
            lost_reason = translate(lost, "create the invite").message
            list_reason = translate(exc, "read the channel's invites").message
            log.warning("invite_create_unverified", channel_id=channel_id, error=list_reason)
            raise DiscordUnavailable(
                f"{lost_reason}; whether the invite was made all the same could not be told "
                f"({list_reason}): see /invite-links before making another"
            ) from exc
        now = datetime.datetime.now(datetime.UTC)
        found = [
            report
            for item in listed
            if made_by_lost_create(
                report := convert.invite(item),
                by_bot=item.inviter is not None and item.inviter.is_bot,
                options=options,
                sent_at=sent_at,
                now=now,
                given=self._given,
            )
        ]
        return min(found, key=lambda report: report.created_at or now) if found else None

    async def delete_invite(self, code: str) -> None:
        await self._call("delete the invite", self._client.delete_invite(code))

    async def invite_guild(self, code: str) -> int | None:
        invite = await self._call("read the invite", self._client.fetch_invite(code))
        return int(invite.guild_id) if invite.guild_id else None

    async def edit_original_reply(self, target: InteractionTarget, content: str) -> int | None:
        message = await self._call(  # the interaction's token authorises it: a 401 is about it
            "edit the interaction reply",
            self._client.edit_interaction_response(
                target.application_id,
                target.token,
                content,
                mentions_everyone=False,
                user_mentions=False,
                role_mentions=False,
            ),
            bot_auth=False,
        )
        metadata = message.interaction_metadata
        return None if metadata is None else int(metadata.user.id)

    async def guild(self, guild_id: int) -> GuildInfo:
        return convert.guild(await self._call("read the guild", self._client.fetch_guild(guild_id)))

    async def member(self, guild_id: int, user_id: int) -> MemberInfo:
        fetched = await self._call(
            "read the member", self._client.fetch_member(guild_id, user_id), absence_answers=True
        )
        return convert.member(fetched)

    async def user(self, user_id: int) -> UserInfo:
        return convert.user(await self._call("read the user", self._client.fetch_user(user_id)))

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

    async def member_sources(
        self, guild_id: int, member_ids: Sequence[int]
    ) -> tuple[MemberSource, ...]:
        """Discord's undocumented member search, through the waiting client's private
        `_request` (hikari has no method for it), at most `SEARCH_BATCH` ids a request. Should
        a hikari release drop `_request`, the search is `DiscordUnavailable` (warned once)."""
        request = member_search.private_request(self._client)
        if request is None:
            if not self._search_warned:
                self._search_warned = True
                log.warning("discord_member_search_unavailable", reason="hikari's _request moved")
            raise DiscordUnavailable(
                "search the guild's members: this hikari release has no private `_request` "
                "to send Discord's undocumented member search with"
            )
        found: list[MemberSource] = []
        for batch in member_search.batches(member_ids):
            answer = await self._call(
                "search the guild's members", member_search.send(request, guild_id, batch)
            )
            found.extend(member_search.read_answer(answer, batch))
        return tuple(found)
