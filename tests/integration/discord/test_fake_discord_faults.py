"""Faults on demand, and how hikari's REST client lives through each of them.

hikari (2.7) retries 500/502/503/504 answers and connection errors/timeouts up to
`max_retries` times (3 by default) with exponential back-off (1 s, 2 s, 4 s... plus up to
1 s of jitter), for every HTTP method; it retries 429s after `retry_after`, without a limit.
aiohttp underneath it also retries once, silently, an idempotent request (GET, PUT, DELETE)
whose connection was dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import hikari
import httpx
import pytest
from hikari.impl.rest import RESTClientImpl

from invite_tracker.testing.fake_discord import Channel, FakeDiscord, Fault, FaultKind, Guild

ClientFactory = Callable[..., AbstractAsyncContextManager[RESTClientImpl]]
CREATE_INVITE = "POST /channels/{channel_id}/invites"


async def test_latency_fixed_and_ranged(
    fake: FakeDiscord, guild: Guild, http: httpx.AsyncClient
) -> None:
    fake.add_latency(0.25, route="GET /guilds/*", count=1)
    fake.add_latency(0.1, max_seconds=0.2, route="GET /users/{user_id}", count=None)

    started = time.perf_counter()
    await http.get(f"/guilds/{guild.id}")
    slow = time.perf_counter() - started
    started = time.perf_counter()
    await http.get(f"/users/{fake.bot_user.id}")
    ranged = time.perf_counter() - started

    assert slow >= 0.25
    assert ranged >= 0.1
    assert [fault.route for fault in fake.faults()] == ["GET /users/{user_id}"]
    assert fake.stats.faults["latency"] == 2
    assert fake.clear_faults() == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_have_discord_like_bodies(
    status: int, fake: FakeDiscord, guild: Guild, http: httpx.AsyncClient
) -> None:
    fake.add_server_errors(status, route="GET /guilds/{guild_id}/invites")

    failed = await http.get(f"/guilds/{guild.id}/invites")
    recovered = await http.get(f"/guilds/{guild.id}/invites")

    assert failed.status_code == status
    assert failed.json()["code"] == 0
    assert failed.json()["message"].startswith(f"{status}: ")
    assert recovered.status_code == 200


async def test_hikari_retries_5xx_then_gives_up(
    fake: FakeDiscord, guild: Guild, make_client: ClientFactory
) -> None:
    fake.add_server_errors(503, route="GET /guilds/{guild_id}/invites", count=1)
    async with make_client(max_retries=1) as client:
        assert await client.fetch_guild_invites(guild.id) == []
    assert fake.stats.requests["GET /guilds/{guild_id}/invites"] == 2

    fake.add_server_errors(500, route="GET /guilds/{guild_id}/invites", count=None)
    async with make_client(max_retries=0) as client:
        with pytest.raises(hikari.InternalServerError) as caught:
            await client.fetch_guild_invites(guild.id)
    assert caught.value.status == 500


async def test_timeouts_hold_the_request_past_the_client(
    fake: FakeDiscord, guild: Guild, channel: Channel, make_client: ClientFactory
) -> None:
    fake.add_timeouts(route=CREATE_INVITE, count=None, hold=60)

    async with make_client(max_retries=0, request_timeout=0.3) as client:
        started = time.perf_counter()
        with pytest.raises(hikari.HTTPError):
            await client.create_invite(channel.id)
        waited = time.perf_counter() - started
    async with httpx.AsyncClient(base_url=fake.api_url) as raw:
        with pytest.raises(httpx.ReadTimeout):
            await raw.post(f"/channels/{channel.id}/invites", json={}, timeout=0.2)

    assert 0.3 <= waited < 5
    assert fake.world.invites == {}
    assert fake.stats.faults["timeout"] == 2


async def test_dropped_connections(
    fake: FakeDiscord, guild: Guild, channel: Channel, make_client: ClientFactory
) -> None:
    fake.drop_connections(route=CREATE_INVITE, count=1)
    async with make_client(max_retries=0) as client:
        with pytest.raises(hikari.HTTPError):
            await client.create_invite(channel.id)
    assert fake.world.invites == {}

    async with httpx.AsyncClient(base_url=fake.api_url) as raw:
        fake.drop_connections(route="GET /guilds/*", count=1)
        with pytest.raises(httpx.RemoteProtocolError):
            await raw.get(f"/guilds/{guild.id}", headers={"Authorization": "Bot fake-token"})


async def test_aiohttp_silently_retries_a_dropped_get_once(
    fake: FakeDiscord, guild: Guild, make_client: ClientFactory
) -> None:
    fake.drop_connections(route="GET /guilds/{guild_id}", count=1)

    async with make_client(max_retries=0) as client:
        fetched = await client.fetch_guild(guild.id)

    assert fetched.id == guild.id
    assert fake.stats.requests["GET /guilds/{guild_id}"] == 2
    assert fake.stats.faults["drop"] == 1


async def test_a_drop_after_processing_makes_hikaris_retry_create_twice(
    fake: FakeDiscord, channel: Channel, make_client: ClientFactory
) -> None:
    fake.drop_connections(route=CREATE_INVITE, count=1, after_processing=True)

    async with make_client(max_retries=1) as client:
        invite = await client.create_invite(channel.id, unique=True)

    assert len(fake.world.invites) == 2, "the first attempt took effect; nobody heard of it"
    assert invite.code in fake.world.invites
    assert len(await fake.events(types=["INVITE_CREATE"])) == 2


async def test_rate_limit_storms(
    fake: FakeDiscord, guild: Guild, http: httpx.AsyncClient, rest: RESTClientImpl
) -> None:
    fake.add_rate_limit_storm(route="GET /guilds/*/invites", count=1, retry_after=0.05)
    raw = await http.get(f"/guilds/{guild.id}/invites")
    assert raw.status_code == 429
    assert raw.json() == {
        "message": "You are being rate limited.",
        "retry_after": 0.05,
        "global": False,
        "code": 0,
    }
    assert raw.headers["X-RateLimit-Scope"] == "shared"
    assert raw.headers["Retry-After"] == "1"

    fake.add_rate_limit_storm(route="GET /guilds/*/invites", count=3, retry_after=0.05)
    fake.add_rate_limit_storm(
        route="GET /guilds/{guild_id}", count=1, scope="global", retry_after=0.05
    )
    assert await rest.fetch_guild_invites(guild.id) == []
    assert (await rest.fetch_guild(guild.id)).id == guild.id

    route = "GET /guilds/{guild_id}/invites"
    assert fake.stats.rate_limited[route] == 4
    assert fake.stats.global_rate_limited == 1
    assert fake.stats.faults["rate_limit"] == 5


async def test_faults_apply_to_their_routes_only_and_until_cleared(
    fake: FakeDiscord, guild: Guild, http: httpx.AsyncClient
) -> None:
    sticky = fake.add_fault(Fault(FaultKind.ERROR, route=f"GET /guilds/{guild.id}", count=None))

    statuses = [(await http.get(f"/guilds/{guild.id}")).status_code for _ in range(3)]
    untouched = await http.get(f"/guilds/{guild.id}/roles")
    fake.clear_faults(sticky.id)
    healed = await http.get(f"/guilds/{guild.id}")

    assert statuses == [500, 500, 500]
    assert untouched.status_code == 200
    assert healed.status_code == 200
    assert sticky.hits == 3


def test_bad_faults_are_refused() -> None:
    with pytest.raises(ValueError, match="500, 502, 503 or 504"):
        Fault(FaultKind.ERROR, status=418)
    with pytest.raises(ValueError, match="scope"):
        Fault(FaultKind.RATE_LIMIT, scope="everyone")
    with pytest.raises(ValueError, match="count"):
        Fault(FaultKind.DROP, count=0)
    with pytest.raises(ValueError, match="unknown fault fields"):
        Fault.from_json({"kind": "latency", "seconds": 1})
