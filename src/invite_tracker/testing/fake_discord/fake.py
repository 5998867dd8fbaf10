"""`FakeDiscord`: the fake server's lifecycle and its Python control API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from aiohttp import web

from invite_tracker.testing.fake_discord import invites, member_search, messaging
from invite_tracker.testing.fake_discord.clock import FakeClock
from invite_tracker.testing.fake_discord.context import FakeContext
from invite_tracker.testing.fake_discord.knobs import Knobs
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
from invite_tracker.testing.fake_discord.permissions import ALL_PERMISSIONS, parse_permissions
from invite_tracker.testing.fake_discord.ratelimit import RateLimiter, RateLimitProfile
from invite_tracker.testing.fake_discord.routing import API_PREFIX
from invite_tracker.testing.fake_discord.server import build_app
from invite_tracker.testing.fake_discord.state import World

CONTROL_PREFIX = "/_fake"
DEFAULT_TOKEN = "fake-token"  # noqa: S105 - the fake's well-known test token


class FakeDiscord(Knobs):
    """An in-process Discord REST API over real HTTP, with a Python and an HTTP control API.

    Start it with `async with FakeDiscord.running(token="fake-token") as fake:` and point
    hikari at `fake.api_url`. World changes go through the async methods below (they hold
    the world's lock); faults, rate limits, statistics and the clock are in `Knobs`.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        profile: RateLimitProfile | str = "default",
        seed: int | None = None,
    ) -> None:
        world = World(clock=FakeClock(), seed=seed)
        # `X-RateLimit-Reset` is an instant on Discord's clock, the one that stamps joins
        limiter = RateLimiter(profile, wall=lambda: world.now().timestamp())
        super().__init__(FakeContext(token=token, world=world, limiter=limiter))
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None

    # lifecycle ---------------------------------------------------------------------------

    @classmethod
    @asynccontextmanager
    async def running(
        cls,
        token: str = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        profile: RateLimitProfile | str = "default",
        seed: int | None = None,
    ) -> AsyncIterator[FakeDiscord]:
        """Serve on `host:port` (0: a free port) for the duration of the block."""
        fake = cls(token, profile=profile, seed=seed)
        await fake.start(host, port)
        try:
            yield fake
        finally:
            await fake.stop()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Start serving (`port` 0 picks a free one; see `base_url`)."""
        if self._runner is not None:
            raise RuntimeError("the fake Discord is already running")
        self.context.stopping.clear()
        runner = web.AppRunner(
            build_app(self), handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        self._runner = runner
        self._base_url = f"http://{bound_host}:{bound_port}"

    async def stop(self) -> None:
        """Stop serving; requests held by timeout faults are released first."""
        self.context.stopping.set()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` once started."""
        if self._base_url is None:
            raise RuntimeError("the fake Discord is not running")
        return self._base_url

    @property
    def api_url(self) -> str:
        """Discord's base URL on the fake: `http://127.0.0.1:PORT/api/v10`."""
        return self.base_url + API_PREFIX

    @property
    def control_url(self) -> str:
        """The control API's base URL: `http://127.0.0.1:PORT/_fake`."""
        return self.base_url + CONTROL_PREFIX

    @property
    def token(self) -> str:
        """The bot token the fake accepts (`Authorization: Bot <token>`)."""
        return self.context.token

    @property
    def world(self) -> World:
        """The current world (read freely; change it through the methods)."""
        return self.context.world

    @property
    def bot_user(self) -> User:
        """The bot's own user."""
        return self.world.bot_user

    @property
    def application_id(self) -> int:
        """The bot's application id (interaction webhooks live under it)."""
        return self.world.application_id

    async def reset(self, *, seed: int | None = None) -> None:
        """Start over: an empty world, no faults, the default rate limits, zeroed statistics."""
        async with self.world.lock:
            self.context.world = World(clock=FakeClock(), seed=seed)
        self.clear_faults()
        self.use_rate_limit_profile("default")
        self.reset_stats()

    # world: entities ---------------------------------------------------------------------

    async def create_user(
        self,
        username: str | None = None,
        *,
        user_id: int | None = None,
        global_name: str | None = None,
        bot: bool = False,
    ) -> User:
        """A new user, in no guild yet."""
        async with self.world.lock:
            return self.world.create_user(
                username, user_id=user_id, global_name=global_name, bot=bot
            )

    async def create_guild(
        self,
        name: str = "Fake Guild",
        *,
        guild_id: int | None = None,
        owner_id: int | None = None,
        features: Sequence[str] = (),
        bot_permissions: int | str | Sequence[str] = ALL_PERMISSIONS,
    ) -> Guild:
        """A new guild with @everyone, the bot (all permissions by default) and an owner."""
        async with self.world.lock:
            return self.world.create_guild(
                name,
                guild_id=guild_id,
                owner_id=owner_id,
                features=list(features),
                bot_permissions=parse_permissions(bot_permissions),
            )

    async def create_channel(
        self,
        guild_id: int,
        name: str = "general",
        *,
        channel_id: int | None = None,
        channel_type: ChannelType | int = ChannelType.GUILD_TEXT,
        parent_id: int | None = None,
        topic: str | None = None,
    ) -> Channel:
        """A new channel (text by default)."""
        async with self.world.lock:
            return self.world.create_channel(
                guild_id,
                name,
                channel_id=channel_id,
                channel_type=ChannelType(channel_type),
                parent_id=parent_id,
                topic=topic,
            )

    async def create_role(
        self,
        guild_id: int,
        name: str,
        *,
        role_id: int | None = None,
        permissions: int | str | Sequence[str] = 0,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
    ) -> Role:
        """A new role."""
        async with self.world.lock:
            return self.world.create_role(
                guild_id,
                name,
                role_id=role_id,
                permissions=parse_permissions(permissions),
                color=color,
                hoist=hoist,
                mentionable=mentionable,
            )

    async def add_member(
        self,
        guild_id: int,
        user_id: int,
        *,
        roles: Sequence[int] = (),
        nick: str | None = None,
        joined_at: datetime | None = None,
    ) -> Member:
        """Make the user an existing member silently (no event): state before a test starts."""
        async with self.world.lock:
            return self.world.add_member(
                guild_id, user_id, roles=list(roles), nick=nick, joined_at=joined_at
            )

    async def set_bot_permissions(
        self, guild_id: int, permissions: int | str | Sequence[str]
    ) -> int:
        """The bot's permissions in the guild: an int, a decimal string, or names (`"ALL"`)."""
        bits = parse_permissions(permissions)
        async with self.world.lock:
            self.world.set_bot_permissions(guild_id, bits)
        return bits

    async def set_vanity(self, guild_id: int, code: str | None, *, uses: int = 0) -> None:
        """Give the guild a vanity code with a use count, or take it away (None)."""
        async with self.world.lock:
            invites.set_vanity(self.world, guild_id, code, uses=uses)

    # world: joins, leaves, invites ---------------------------------------------------------

    async def join_via_invite(self, guild_id: int, user_id: int, code: str) -> Member:
        """The user joins through the invite: uses +1, deleted (INVITE_DELETE) at max_uses."""
        async with self.world.lock:
            return invites.join_via_invite(self.world, guild_id, user_id, code)

    async def join_via_vanity(self, guild_id: int, user_id: int) -> Member:
        """The user joins through the vanity URL: its uses +1."""
        async with self.world.lock:
            return invites.join_via_vanity(self.world, guild_id, user_id)

    async def join_without_invite(self, guild_id: int, user_id: int) -> Member:
        """The user joins with no invite (server discovery and the like)."""
        async with self.world.lock:
            return invites.join_without_invite(self.world, guild_id, user_id)

    async def leave(self, guild_id: int, user_id: int) -> Member:
        """The member leaves (GUILD_MEMBER_REMOVE)."""
        async with self.world.lock:
            return invites.leave(self.world, guild_id, user_id)

    async def create_invite(
        self,
        channel_id: int,
        *,
        inviter_id: int | None = None,
        max_age: int = 86_400,
        max_uses: int = 0,
        temporary: bool = False,
        code: str | None = None,
    ) -> Invite:
        """An invite made out of band by a member (the bot by default); fires INVITE_CREATE."""
        async with self.world.lock:
            invite, _ = invites.create_invite(
                self.world,
                channel_id,
                inviter_id=inviter_id,
                max_age=max_age,
                max_uses=max_uses,
                temporary=temporary,
                code=code,
            )
            return invite

    async def delete_invite(self, code: str) -> Invite:
        """Delete an invite out of band (INVITE_DELETE)."""
        async with self.world.lock:
            return invites.delete_invite(self.world, code)

    async def invites(self, guild_id: int) -> list[Invite]:
        """The guild's live invites (expired ones are swept first)."""
        async with self.world.lock:
            return invites.guild_invites(self.world, guild_id)

    # world: Discord's member search -----------------------------------------------------------

    async def delay_member_search_index(self, guild_id: int, seconds: float) -> Guild:
        """Discord's member search has not indexed the guild for `seconds` more, on the fake's
        clock: until then it answers 202 code 110000 (0 or less: indexed now, the default)."""
        async with self.world.lock:
            return member_search.delay_index(self.world, guild_id, seconds)

    async def set_member_search_lag(self, seconds: float) -> None:
        """Seconds after joining before a member shows in the member search (default 1.0)."""
        async with self.world.lock:
            member_search.set_lag(self.world, seconds)

    # world: what happened -------------------------------------------------------------------

    async def events(
        self, *, since: int = 0, guild_id: int | None = None, types: Sequence[str] = ()
    ) -> list[Event]:
        """Gateway events in order (after `since`), expired invites swept first."""
        async with self.world.lock:
            invites.sweep_expired(self.world)
            return self.world.events.query(since=since, guild_id=guild_id, types=set(types) or None)

    def messages(self, channel_id: int | None = None) -> list[Message]:
        """Messages the bot sent with `POST /channels/{id}/messages`, oldest first."""
        return [m for m in self.world.messages if channel_id is None or m.channel_id == channel_id]

    async def register_interaction(
        self,
        *,
        application_id: int | None = None,
        token: str | None = None,
        interaction_id: int | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        user_id: int | None = None,
        created_at: datetime | None = None,
        acknowledged: bool = True,
    ) -> Interaction:
        """A slash-command interaction whose token lives 15 minutes from `created_at`.

        Acknowledged (deferred) by default, so its original reply can be edited at once.
        """
        async with self.world.lock:
            return messaging.register_interaction(
                self.world,
                application_id=application_id,
                token=token,
                interaction_id=interaction_id,
                guild_id=guild_id,
                channel_id=channel_id,
                user_id=user_id,
                created_at=created_at,
                acknowledged=acknowledged,
            )

    def interaction(self, interaction_id: int) -> Interaction:
        """A registered interaction with its callback, original reply, edits and follow-ups."""
        return self.world.interactions[interaction_id]
