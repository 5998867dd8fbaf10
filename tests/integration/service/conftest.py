"""The service against the fake Discord over real HTTP, on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from invite_tracker.api.app import create_app
from invite_tracker.db.session import Database
from invite_tracker.services.attribution import AttributionEngine
from invite_tracker.testing.fake_discord import Channel, FakeDiscord, Guild, User
from tests.integration.api.conftest import Api, app_settings, running_app

TOKEN = "service-test-token"


@dataclass
class World:
    """A guild on the fake Discord with a welcome channel, two inviters and their invites."""

    fake: FakeDiscord
    guild: Guild
    channel: Channel
    alice: User
    bob: User

    async def user(self, name: str, **extra: Any) -> User:
        return await self.fake.create_user(name, **extra)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A fresh fake Discord on a loopback port."""
    async with FakeDiscord.running(token=TOKEN) as running:
        yield running


@pytest.fixture
async def world(fake: FakeDiscord) -> World:
    guild = await fake.create_guild("Husqy Test")
    channel = await fake.create_channel(guild.id, "welcome")
    alice = await fake.create_user("alice", global_name="Alice")
    bob = await fake.create_user("bob", global_name="Bob")
    for user in (alice, bob):
        await fake.add_member(guild.id, user.id)
    return World(fake, guild, channel, alice, bob)


def discord_settings(database_url: str, fake: FakeDiscord, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "discord_api_url": fake.api_url,
        "discord_token": TOKEN,
        "discord_timeout_seconds": 2.0,
        "discord_max_wait_seconds": 3.0,
        "attribution_wait_seconds": 3.0,
        "attribution_margin_seconds": 0.5,
        "invite_fetch_interval_seconds": 0.05,
    }
    values.update(overrides)
    return app_settings(database_url, **values)


@pytest.fixture
async def tracker(database: Database, database_url: str, fake: FakeDiscord) -> AsyncIterator[Api]:
    """The API with Discord configured to the fake, called with the internal key."""
    app = create_app(discord_settings(database_url, fake), database=database)
    async for client in running_app(app):
        yield Api(client)


async def owned_for(engine: AttributionEngine, guild_id: int, limit: float) -> float:
    """How long, up to `limit` seconds, the engine goes on attributing the guild (on
    PostgreSQL it keeps a guild while its reads may still fill the invite list's bucket)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while loop.time() - started < limit:
        state = engine.guild_state(guild_id)
        if state is None or not state.owned:
            break
        await asyncio.sleep(0.05)
    return loop.time() - started
