"""Rate limits as Discord does them: headers, per-route and per-major-parameter buckets, the
global limit, 429 bodies, and hikari obeying them."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

import httpx
import pytest
from hikari.impl.rest import RESTClientImpl

from invite_tracker.testing.fake_discord import FakeDiscord, Guild, User

GUILD_INVITES = "GET /guilds/{guild_id}/invites"
ClientFactory = Callable[..., AbstractAsyncContextManager[RESTClientImpl]]


async def test_every_answer_carries_rate_limit_headers(
    guild: Guild, http: httpx.AsyncClient
) -> None:
    before = time.time()
    first = await http.get(f"/guilds/{guild.id}/invites")
    second = await http.get(f"/guilds/{guild.id}/invites")

    headers = first.headers
    assert headers["X-RateLimit-Limit"] == "50"
    assert (headers["X-RateLimit-Remaining"], second.headers["X-RateLimit-Remaining"]) == (
        "49",
        "48",
    )
    reset_after = float(headers["X-RateLimit-Reset-After"])
    assert 0 < reset_after <= 1.0
    assert before < float(headers["X-RateLimit-Reset"]) <= time.time() + 1.0
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-RateLimit-Bucket"])


async def test_the_reset_instant_is_the_windows_and_on_the_worlds_clock(
    fake: FakeDiscord, guild: Guild, http: httpx.AsyncClient
) -> None:
    await fake.set_clock(datetime(2030, 1, 1, tzinfo=UTC))  # frozen, years from now
    answers = []
    for _ in range(3):
        answers.append((await http.get(f"/guilds/{guild.id}/invites")).headers)
        await asyncio.sleep(0.05)
    resets = {float(h["X-RateLimit-Reset"]) for h in answers}
    # one window, one reset instant, as Discord says it: on the clock that stamps joins
    assert resets == {datetime(2030, 1, 1, tzinfo=UTC).timestamp() + 1.0}
    counted = [float(h["X-RateLimit-Reset"]) - float(h["X-RateLimit-Reset-After"]) for h in answers]
    # when each was counted: in order, never back in time while the world's clock is frozen
    assert counted == sorted(counted)
    assert counted[-1] - counted[0] == pytest.approx(0.1, abs=0.05)


async def test_buckets_are_per_route_and_major_parameter(
    fake: FakeDiscord, guild: Guild, http: httpx.AsyncClient
) -> None:
    fake.use_rate_limit_profile("invites-5-per-1s")
    other = await fake.create_guild("Other")
    answers = [await http.get(f"/guilds/{guild.id}/invites") for _ in range(6)]
    elsewhere = await http.get(f"/guilds/{other.id}/invites")
    other_route = await http.get(f"/guilds/{guild.id}/roles")

    assert [a.headers["X-RateLimit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
    limited = answers[5]
    assert limited.status_code == 429
    body = limited.json()
    assert body["message"] == "You are being rate limited."
    assert body["global"] is False
    assert 0 < body["retry_after"] <= 1.0
    assert limited.headers["Retry-After"] == "1"
    assert limited.headers["X-RateLimit-Scope"] == "user"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert elsewhere.status_code == 200
    assert elsewhere.headers["X-RateLimit-Bucket"] == limited.headers["X-RateLimit-Bucket"]
    assert other_route.headers["X-RateLimit-Limit"] == "50"
    assert fake.stats.rate_limited[GUILD_INVITES] == 1
    assert fake.stats.requests[GUILD_INVITES] == 7


async def test_the_strict_profile_and_the_window_reopening(
    fake: FakeDiscord, guild: Guild, http: httpx.AsyncClient
) -> None:
    fake.use_rate_limit_profile("strict")
    statuses = [(await http.get(f"/guilds/{guild.id}/invites")).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert fake.rate_limits()["routes"] == {GUILD_INVITES: {"limit": 5, "per": 5.0}}

    fake.set_route_limit(GUILD_INVITES, 1, per=0.2)
    first = await http.get(f"/guilds/{guild.id}/invites")
    refused = await http.get(f"/guilds/{guild.id}/invites")
    await asyncio.sleep(refused.json()["retry_after"] + 0.01)
    reopened = await http.get(f"/guilds/{guild.id}/invites")

    assert (first.status_code, refused.status_code, reopened.status_code) == (200, 429, 200)


async def test_the_global_limit(fake: FakeDiscord, guild: Guild, http: httpx.AsyncClient) -> None:
    fake.set_global_limit(3, per=1.0)
    interaction = await fake.register_interaction(guild_id=guild.id)
    paths = [f"/guilds/{guild.id}", f"/guilds/{guild.id}/roles", f"/users/{fake.bot_user.id}"]
    allowed = [await http.get(path) for path in paths]
    refused = await http.get(f"/guilds/{guild.id}/invites")
    webhook = await http.get(
        f"/webhooks/{fake.application_id}/{interaction.token}/messages/@original"
    )

    assert [a.status_code for a in allowed] == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json()["global"] is True
    assert refused.headers["X-RateLimit-Global"] == "true"
    assert refused.headers["X-RateLimit-Scope"] == "global"
    assert webhook.status_code == 200, "interaction webhooks are outside the global limit"
    assert fake.stats.global_rate_limited == 1


async def test_hikari_paces_itself_by_the_headers(
    fake: FakeDiscord, rest: RESTClientImpl, alice: User
) -> None:
    route = "GET /users/{user_id}"
    fake.set_route_limit(route, 2, per=0.3)

    # hikari sends one request at a time to a bucket it does not know yet, then paces
    # itself by X-RateLimit-Remaining / -Reset-After: no 429 at all.
    users = await asyncio.gather(*(rest.fetch_user(alice.id) for _ in range(7)))

    assert {user.id for user in users} == {alice.id}
    assert fake.stats.requests[route] == 7
    assert fake.stats.rate_limited[route] == 0


async def test_hikari_retries_429s_until_it_gets_through(
    fake: FakeDiscord, make_client: ClientFactory, alice: User
) -> None:
    route = "GET /users/{user_id}"
    fake.set_route_limit(route, 2, per=0.3)

    # Two REST apps on one token (two processes of the same bot) do not share buckets, so
    # they trip over each other; hikari waits out every 429 and retries, without limit.
    async with make_client() as first, make_client() as second:
        calls = [client.fetch_user(alice.id) for client in (first, second) for _ in range(4)]
        users = await asyncio.gather(*calls)

    assert len(users) == 8
    assert fake.stats.rate_limited[route] >= 1
    assert fake.stats.requests[route] == 8 + fake.stats.rate_limited[route]


@pytest.mark.parametrize("profile", ["default", "invites-5-per-1s", "strict", "unlimited"])
async def test_profiles_are_selectable_by_name(profile: str, fake: FakeDiscord) -> None:
    assert fake.use_rate_limit_profile(profile).name == profile
    assert fake.rate_limits()["profile"] == profile


async def test_unknown_profiles_and_routes_are_refused(fake: FakeDiscord) -> None:
    with pytest.raises(ValueError, match="unknown rate-limit profile"):
        fake.use_rate_limit_profile("lenient")
    with pytest.raises(ValueError, match="unknown route"):
        fake.set_route_limit("GET /gateway", 1)
