"""What the simulator drives: a tracker that receives gateway events and reports verdicts.

`ServiceTracker` is the invite tracker service itself, built with `create_app`, run in-process
(its lifespan, its attribution engine, its database) and called over HTTP through httpx's ASGI
transport with an internal key, exactly as the Husqy bot calls it. With several workers (on
PostgreSQL), each is an app of its own, with its own engine, Discord client and connection
pool, as `serve --workers N` runs them; the events go to each in turn, as a load balancer
spreads the bot's requests. The benchmark adds a baseline tracker of its own behind the same
protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import httpx

from invite_tracker.api.app import MODULE_PREFIX, create_app
from invite_tracker.db.migrate import upgrade
from invite_tracker.db.session import Database
from invite_tracker.settings import Settings
from invite_tracker.simulator.scoring import Verdict
from invite_tracker.testing.fake_discord import FakeDiscord

INTERNAL_KEY = "simulator-internal-key"
PAGE = 200


@dataclass(frozen=True, slots=True)
class GuildSetup:
    """The guild a tracker watches, as the scenario set it up on the fake."""

    guild_id: int
    channel_id: int
    vanity_code: str | None
    prevent_own_invite_code: bool


class Tracker(Protocol):
    """An invite tracker as the simulator sees it: gateway events in, verdicts out."""

    name: str

    async def join(self, member_id: int, joined_at: datetime, is_bot: bool) -> Verdict:
        """GUILD_MEMBER_ADD; the answer (final or `pending`)."""
        ...

    async def leave(self, member_id: int, left_at: datetime) -> None:
        """GUILD_MEMBER_REMOVE."""
        ...

    async def invite_created(self, data: Mapping[str, Any]) -> None:
        """INVITE_CREATE, with Discord's event payload."""
        ...

    async def invite_deleted(self, code: str) -> None:
        """INVITE_DELETE."""
        ...

    async def staff_delete(self, code: str) -> None:
        """Staff delete an invite through the tracker (the service's DELETE /invite)."""
        ...

    async def verdicts(self) -> list[Verdict]:
        """Every join the tracker has recorded, with its current attribution."""
        ...


TrackerFactory = Callable[[FakeDiscord, GuildSetup], AbstractAsyncContextManager[Tracker]]


class TrackerError(RuntimeError):
    """The tracker refused an event (the simulator counts these; they should never happen)."""


def parse_verdict(data: Mapping[str, Any]) -> Verdict:
    """A verdict from the service's JoinRead."""
    member = data.get("member_id")
    inviter = data.get("inviter_id")
    attributed = data.get("attributed_at")
    return Verdict(
        member_id=int(member) if member is not None else None,
        joined_at=datetime.fromisoformat(data["joined_at"]),
        join_type=data["join_type"],
        code=data.get("invite_code"),
        inviter_id=int(inviter) if inviter is not None else None,
        attributed_at=datetime.fromisoformat(attributed) if attributed else None,
    )


class ServiceTracker:
    """The service under test, called over HTTP in-process: one worker, or several taking
    the requests in turn."""

    name = "invite-tracker"

    def __init__(
        self, clients: Sequence[httpx.AsyncClient], prefix: str, setup: GuildSetup
    ) -> None:
        if not clients:
            raise ValueError("the service needs at least one worker")
        self._clients = list(clients)
        self._turn = itertools.cycle(self._clients)
        self._prefix = prefix
        self._guild = setup.guild_id
        if len(clients) > 1:
            self.name = f"invite-tracker ({len(clients)} workers)"

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = await next(self._turn).request(
            method,
            self._prefix + path,
            json=body if method != "GET" else None,
            params=None if method != "GET" else body,
            headers={"Authorization": f"Bearer {INTERNAL_KEY}"},
        )
        payload = response.json()
        if response.status_code != 200 or not payload.get("success"):
            raise TrackerError(f"{method} {path} -> {response.status_code}: {payload['error']}")
        return payload["data"]

    async def join(self, member_id: int, joined_at: datetime, is_bot: bool) -> Verdict:
        body = {
            "guild_id": str(self._guild),
            "member_id": str(member_id),
            "joined_at": joined_at.isoformat(),
            "is_bot": is_bot,
        }
        return parse_verdict(await self._call("POST", "/events/join/check-invite", body))

    async def leave(self, member_id: int, left_at: datetime) -> None:
        body = {"guild_id": str(self._guild), "member_id": str(member_id)}
        await self._call(
            "POST", "/events/leave/check-invite", body | {"left_at": left_at.isoformat()}
        )

    async def invite_created(self, data: Mapping[str, Any]) -> None:
        inviter = data.get("inviter") or {}
        body: dict[str, Any] = {
            "guild_id": str(self._guild),
            "invite_code": data["code"],
            "channel_id": data["channel_id"],
            "inviter_id": inviter.get("id"),
            "uses": data.get("uses", 0),
            "max_uses": data.get("max_uses"),
            "max_age": data.get("max_age"),
            "temporary": data.get("temporary"),
            "created_at": data.get("created_at"),
            "expires_at": data.get("expires_at"),
        }
        await self._call("POST", "/events/invite/create", body)

    async def invite_deleted(self, code: str) -> None:
        body = {"guild_id": str(self._guild), "invite_code": code}
        await self._call("POST", "/events/invite/delete", body)

    async def staff_delete(self, code: str) -> None:
        no_interaction = {"application_id": None, "token": None}  # the dashboard's delete
        body = {"guild_id": str(self._guild), "invite_code": code, **no_interaction}
        await self._call("DELETE", "/invite", body)

    async def verdicts(self) -> list[Verdict]:
        found: list[Verdict] = []
        query: dict[str, Any] = {"guild_id": str(self._guild), "limit": PAGE}
        while True:
            page = await self._call("GET", "/joins", query)
            found.extend(parse_verdict(join) for join in page["joins"])
            if page["next_before"] is None:
                return found
            query["before"] = page["next_before"]

    async def prepare(self, setup: GuildSetup, database: Database, wait: float = 15.0) -> None:
        """Enable the guild, set its settings (no messages: only attribution is measured),
        and let an engine take the first snapshot, as a running bot would before joins."""
        guild = str(setup.guild_id)
        await self._call("POST", "/enable", {"guild_id": guild})
        settings = {
            "guild_id": guild,
            "join_messages_enabled": False,
            "join_messages_channel": None,
            "join_message_content": None,
            "join_message_is_embed": False,
            "leave_messages_enabled": False,
            "leave_messages_channel": None,
            "leave_message_content": None,
            "leave_message_is_embed": False,
            "prevent_own_invite_code": setup.prevent_own_invite_code,
            "server_shared_invite_link": None,
        }
        await self._call("PUT", "/settings", settings)
        await self._call("GET", "/invite-links", {"guild_id": guild})  # wakes the engine
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            async with database.unit_of_work() as uow:
                if await uow.snapshots.load(setup.guild_id) is not None:
                    return
            await asyncio.sleep(0.05)
        raise TrackerError("the service took no first snapshot of the guild's invites")


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    """How to run the service: its database (a temporary SQLite file by default), an engine
    to share (tests), and settings to override."""

    database_url: str | None = None
    database: Database | None = None
    overrides: Mapping[str, Any] | None = None
    workers: int = 1  # more than one: PostgreSQL only, as for `serve --workers`


@asynccontextmanager
async def temporary_sqlite() -> AsyncIterator[str]:
    """The URL of a fresh SQLite file, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="invite-tracker-sim-") as folder:
        yield f"sqlite+aiosqlite:///{Path(folder) / 'simulator.db'}"


def service_tracker(options: ServiceOptions) -> TrackerFactory:
    """A tracker factory that runs the service, migrated, against the fake Discord."""
    if options.workers < 1:
        raise ValueError("workers must be at least 1")

    @asynccontextmanager
    async def open_tracker(fake: FakeDiscord, setup: GuildSetup) -> AsyncIterator[Tracker]:
        async with contextlib.AsyncExitStack() as stack:
            url = options.database_url
            if url is None:
                url = await stack.enter_async_context(temporary_sqlite())
            databases = []
            for worker in range(options.workers):
                database = options.database if worker == 0 else None
                if database is None:  # a pool of its own, as a worker process has
                    database = Database.from_url(url)
                    stack.push_async_callback(database.dispose)
                databases.append(database)
            if options.workers > 1 and not databases[0].shared:
                raise ValueError("several workers need PostgreSQL (SQLite serves one)")
            if options.database is None:
                await upgrade(databases[0].engine)
            values: dict[str, Any] = {
                "database_url": url,
                "discord_api_url": fake.api_url,
                "discord_token": fake.token,
                "internal_api_keys": INTERNAL_KEY,
            }
            values.update(options.overrides or {})
            settings = Settings(**values)
            clients = []
            for database in databases:
                app = create_app(settings, database=database)
                await stack.enter_async_context(app.router.lifespan_context(app))
                transport = httpx.ASGITransport(app=app)
                clients.append(
                    await stack.enter_async_context(
                        httpx.AsyncClient(
                            transport=transport, base_url="http://tracker", timeout=60.0
                        )
                    )
                )
            tracker = ServiceTracker(clients, settings.api_prefix + MODULE_PREFIX, setup)
            await tracker.prepare(setup, databases[0])
            yield tracker

    return open_tracker
