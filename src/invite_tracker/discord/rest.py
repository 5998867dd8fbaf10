"""The Discord port on hikari's REST client.

hikari does the rate limiting (per-route buckets from Discord's headers, the global limit,
429 `retry_after`) and retries 5xx answers, timeouts and dropped connections with exponential
backoff. This adapter bounds it: each attempt has a timeout, a rate-limit wait longer than
`max_rate_limit` fails at once, and the whole call, retries included, has a total budget.
Reads asked to go out at once (the attributor's) are never held: they fail with
`ReadDeferred` and its wait instead, so the caller can wait and stamp the read when it leaves.

The invite list and vanity reads also say when Discord counted them, by Discord's own clock:
every answer's rate-limit headers hold it (`X-RateLimit-Reset`, the epoch instant the bucket
resets, less `X-RateLimit-Reset-After`, the seconds until then). hikari parses those headers
for its buckets; `_DiscordClock`, its bucket manager with an ear, hears them too, and frees
those buckets by Discord's clock: a trip before Discord's reset instant, so that a read let go
then is counted just after it (hikari alone frees them at the reset by this machine's clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import hikari
import structlog
from hikari.impl import buckets
from hikari.internal import routes

from invite_tracker.discord import convert, member_search
from invite_tracker.discord.errors import translate
from invite_tracker.discord.port import InteractionTarget, InviteList, InviteOptions, VanityUrl
from invite_tracker.domain.cross_check import MemberSource
from invite_tracker.domain.discord_objects import ChannelInfo, GuildInfo, MemberInfo
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


AT_ONCE_TOLERANCE = 0.02
"""Seconds a read asked to go out at once may still be held by the rate limiter."""
ARRIVAL_MARGIN = 0.02
"""Seconds after Discord's bucket reset that a read sent as the limiter frees it is aimed to
be counted, were its trip as fast as the fastest recent one (doubled each time one came early)."""
MAX_ARRIVAL_MARGIN = 0.5
TRIPS_KEPT = 50
"""Recent trips (send to Discord's count) the fastest is taken from."""
ROUTES_KEPT = 1000
"""Routes whose last answer is kept beyond the end of its window (to tell a read came early)."""


@dataclass(frozen=True, slots=True)
class Heard:
    """One answer on a listened route: when Discord counted it (epoch seconds, by its clock),
    and the read's lag (see `_DiscordClock._hear_trip`; None when its request could not be
    told apart from another's)."""

    counted: float
    lag: float | None = None


class _DiscordClock(buckets.RESTBucketManager):
    """hikari's bucket manager, also hearing Discord's clock in the answers' rate-limit
    headers, and freeing each bucket on it.

    It notes when Discord counted the answers it is listened to for (by compiled route, e.g.
    `GET /guilds/1/invites`). And hikari frees a spent bucket when Discord's reset instant
    comes by this machine's clock: a read sent then reaches Discord a trip later, so each
    window of the bucket starts a trip after the last one ended, and this machine's clock
    being off Discord's moves it further. So every answer's trip is measured, from when the
    request left (`acquire_bucket`) to when Discord counted it, by the two clocks (their
    difference is in it, whatever it is), and hikari is told the bucket resets `lead` earlier
    than Discord says: the fastest recent trip less `ARRIVAL_MARGIN`. A read leaving as
    hikari frees the bucket is then counted just after Discord's reset. One counted before
    it (Discord refused it) doubles the margin."""

    __slots__ = ("_early_margin", "_in_flight", "_last", "_listeners", "_now", "_trips")

    def __init__(self, max_rate_limit: float, now: Callable[[], float] = time.time) -> None:
        super().__init__(max_rate_limit)
        self._now = now  # hikari's clock: epoch seconds
        self._listeners: dict[str, list[list[Heard]]] = {}
        self._in_flight: dict[str, list[float]] = {}
        self._trips: deque[float] = deque(maxlen=TRIPS_KEPT)
        self._early_margin = ARRIVAL_MARGIN
        self._last: dict[str, tuple[int, float]] = {}  # route: (remaining, reset) last heard

    @property
    def lead(self) -> float:
        """How much earlier than Discord says hikari is told a bucket resets (by this
        machine's clock): 0 until a trip is measured."""
        return min(self._trips) - self._early_margin if self._trips else 0.0

    @contextlib.contextmanager
    def listen(self, route: str) -> Iterator[list[Heard]]:
        """Collect every answer heard on `route` meanwhile."""
        heard: list[Heard] = []
        self._listeners.setdefault(route, []).append(heard)
        try:
            yield heard
        finally:
            left = [other for other in self._listeners[route] if other is not heard]
            if left:
                self._listeners[route] = left
            else:
                del self._listeners[route]

    def acquire_bucket(
        self, compiled_route: routes.CompiledRoute, authentication: str | None
    ) -> contextlib.AbstractAsyncContextManager[None]:
        return self._sending(
            super().acquire_bucket(compiled_route, authentication), str(compiled_route)
        )

    @contextlib.asynccontextmanager
    async def _sending(
        self, bucket: contextlib.AbstractAsyncContextManager[None], route: str
    ) -> AsyncIterator[None]:
        """Hold the bucket for one request, noting when it left (hikari sends it as soon as
        the bucket is acquired) until its answer is in."""
        async with bucket:
            sent = self._now()
            flying = self._in_flight.setdefault(route, [])
            flying.append(sent)
            try:
                yield
            finally:
                flying.remove(sent)
                if not flying:
                    del self._in_flight[route]

    def update_rate_limits(
        self,
        compiled_route: routes.CompiledRoute,
        authentication: str | None,
        bucket_header: str,
        remaining_header: int,
        limit_header: int,
        reset_at: float,
        reset_after: float,
    ) -> None:
        route = str(compiled_route)
        counted = reset_at - reset_after
        lag = self._hear_trip(route, counted, remaining_header, reset_at)
        super().update_rate_limits(
            compiled_route=compiled_route,
            authentication=authentication,
            bucket_header=bucket_header,
            remaining_header=remaining_header,
            limit_header=limit_header,
            reset_at=reset_at - self.lead,
            reset_after=reset_after,
        )
        for heard in self._listeners.get(route, ()):
            heard.append(Heard(counted, lag))

    def _hear_trip(
        self, route: str, counted: float, remaining: int, reset_at: float
    ) -> float | None:
        """Measure this answer's trip (when its request was alone on the route), and see
        whether it was counted before the reset of the bucket the answer before had spent
        (then Discord refused it: it came early). Returns the read's lag: its trip less the
        lead, i.e. how long after Discord's reset hikari, told of this window, frees the
        bucket, in terms of when the window's reads left (the margin, and how much slower
        than the fastest this trip was)."""
        if reset_at <= 0:
            return None  # no rate-limit headers: hikari reads them as 0
        last = self._last.get(route)
        self._last[route] = (remaining, reset_at)
        if len(self._last) > ROUTES_KEPT:  # one guild's reads after another's: forget the
            self._last = {  # buckets whose window is over, as hikari forgets stale buckets
                key: seen for key, seen in self._last.items() if seen[1] > counted
            }
        if last is not None and last[0] == 0 and counted < last[1] - 0.001:
            self._early_margin = min(2 * self._early_margin, MAX_ARRIVAL_MARGIN)
            log.warning("discord_read_came_early", route=route, margin=self._early_margin)
        flying = self._in_flight.get(route, ())
        if len(flying) != 1:
            return None
        trip = counted - flying[0]
        self._trips.append(trip)
        return trip - self.lead


def counted_at(heard: Sequence[Heard]) -> datetime.datetime | None:
    """Discord's instant for one read: None unless exactly one answer was heard (a retry, or
    another read of the same route meanwhile, leaves it open which answer was this one's)."""
    if len(heard) != 1 or heard[0].counted <= 0:
        return None
    return datetime.datetime.fromtimestamp(heard[0].counted, datetime.UTC)


def _on_discords_clock(app: hikari.RESTApp, max_rate_limit: float) -> _DiscordClock | None:
    """Give the app (before it starts) a bucket manager that hears Discord's clock and frees
    buckets on it. It is hikari's own private slot: should a hikari release move it, reads are
    stamped by their flight alone and buckets freed by this machine's clock, as hikari does,
    and a warning says so."""
    if not isinstance(getattr(app, "_bucket_manager", None), buckets.RESTBucketManager):
        log.warning("discord_clock_unavailable", reason="hikari's bucket manager moved")
        return None
    clock = _DiscordClock(max_rate_limit)
    app._bucket_manager = clock  # hikari has no public way in: see the docstring
    return clock


class HikariDiscord:
    """`DiscordPort` over started hikari RESTApps and their bot-token clients.

    Two of them: one that waits out rate limits (up to `max_rate_limit_wait`), and one whose
    hikari raises instead of holding a request back, for the invite list and the vanity
    counter (the attributor's reads, which must leave when they are stamped). Each route is
    read through one client only, so one view of its bucket decides. Both free their buckets
    by Discord's clock (`_DiscordClock`)."""

    def __init__(
        self,
        apps: Sequence[hikari.RESTApp],
        client: hikari.api.RESTClient,
        at_once: hikari.api.RESTClient,
        limits: DiscordLimits,
        clock: _DiscordClock | None = None,
    ):
        self._apps = apps
        self._client = client
        self._at_once = at_once
        self._limits = limits
        self._clock = clock
        self._search_warned = False

    @classmethod
    async def connect(cls, base_url: str, token: str, limits: DiscordLimits) -> HikariDiscord:
        """Start the RESTApps pointed at `base_url` and acquire their bot-token clients."""
        settings = hikari.impl.HTTPSettings(
            timeouts=hikari.impl.HTTPTimeoutSettings(total=limits.attempt_timeout)
        )
        apps: list[hikari.RESTApp] = []
        clients: list[hikari.api.RESTClient] = []
        clock: _DiscordClock | None = None
        for max_wait in (limits.max_rate_limit_wait, AT_ONCE_TOLERANCE):
            app = hikari.RESTApp(
                url=base_url,
                http_settings=settings,
                max_rate_limit=max_wait,
                max_retries=limits.max_retries,
            )
            installed = _on_discords_clock(app, max_wait)  # both: every call waits by it
            if max_wait == AT_ONCE_TOLERANCE:
                clock = installed  # the reads' client: the one listened to
            await app.start()
            client = app.acquire(token, hikari.TokenType.BOT)
            client.start()
            apps.append(app)
            clients.append(client)
        return cls(apps, clients[0], clients[1], limits, clock)

    async def close(self) -> None:
        """Close the clients and their HTTP sessions."""
        for client in (self._client, self._at_once):
            await client.close()
        for app in self._apps:
            await app.close()

    async def _call(self, action: str, call: Awaitable[T], *, deferrable: bool = False) -> T:
        """`call` within the total budget; `deferrable`: a rate-limit wait hikari refused is
        `ReadDeferred`, for the caller to wait out, rather than a failure."""
        try:
            async with asyncio.timeout(self._limits.total_timeout):
                return await call
        except InviteTrackerError:
            raise
        except hikari.RateLimitTooLongError as exc:
            if deferrable:
                raise ReadDeferred(
                    f"{action}: the rate limit holds the request for {exc.retry_after:.2f} s",
                    exc.retry_after,
                ) from exc
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
