"""The fake's member search (`POST /guilds/{guild_id}/members-search`) over real HTTP: how
members came in, its index (lag, not-indexed guilds), refusals, limits and rate limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from invite_tracker.domain.cross_check import JoinSourceType as DomainJoinSourceType
from invite_tracker.testing.fake_discord import FakeDiscord, Guild, Invite, User
from invite_tracker.testing.fake_discord.member_search import JoinSourceType
from invite_tracker.testing.fake_discord.shapes import iso
from tests.integration.discord.conftest import Spec
from tests.integration.discord.member_search_shapes import (
    ERROR,
    MEMBER_SEARCH_ROUTE,
    NOT_INDEXED,
    SEARCH_RESULT,
)
from tests.integration.discord.test_fake_discord_openapi import RATE_LIMIT_HEADERS


@dataclass
class Scene:
    guild: Guild
    alice: User
    invite: Invite


@pytest.fixture
async def scene(fake: FakeDiscord) -> Scene:
    """A Community guild with a vanity code, Alice (there before) and her invite, on a frozen
    clock so that the index lag is exact."""
    await fake.set_clock(fake.now())
    guild = await fake.create_guild("Community", features=["COMMUNITY"])
    channel = await fake.create_channel(guild.id, "general")
    alice = await fake.create_user("alice")
    await fake.add_member(guild.id, alice.id)
    invite = await fake.create_invite(channel.id, inviter_id=alice.id)
    await fake.set_vanity(guild.id, "community")
    return Scene(guild, alice, invite)


def _query(*user_ids: int, limit: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"and_query": {"user_id": {"or_query": [str(i) for i in user_ids]}}}
    if limit is not None:
        body["limit"] = limit
    return body


async def _search(http: httpx.AsyncClient, guild_id: int, body: object) -> httpx.Response:
    return await http.post(f"/guilds/{guild_id}/members-search", json=body)


async def _found(http: httpx.AsyncClient, guild_id: int, *user_ids: int) -> dict[int, Any]:
    response = await _search(http, guild_id, _query(*user_ids))
    assert response.status_code == 200, response.text
    return {int(entry["member"]["user"]["id"]): entry for entry in response.json()["members"]}


def test_the_fake_numbers_join_sources_as_the_domain_does() -> None:
    assert {kind.name: int(kind) for kind in JoinSourceType} == {
        kind.name: int(kind) for kind in DomainJoinSourceType
    }


async def test_search_says_how_each_member_came_in(
    fake: FakeDiscord, http: httpx.AsyncClient, scene: Scene, spec: Spec
) -> None:
    guild_id = scene.guild.id
    bob, carol, dave = [await fake.create_user(name) for name in ("bob", "carol", "dave")]
    robot = await fake.create_user("robot", bot=True)
    joined = await fake.join_via_invite(guild_id, bob.id, scene.invite.code)
    await fake.join_via_vanity(guild_id, carol.id)
    await fake.join_without_invite(guild_id, dave.id)
    await fake.join_without_invite(guild_id, robot.id)
    stranger = await fake.create_user("stranger")  # asked about, never a member
    await fake.advance_clock(1.0)
    ids = [member.user_id for member in fake.world.guild_members(guild_id)]
    response = await _search(http, guild_id, _query(*ids, stranger.id))
    assert response.status_code == 200, response.text
    spec.validate(SEARCH_RESULT, response.json(), "member search")
    body = response.json()
    assert body["guild_id"] == str(guild_id)
    found = {int(entry["member"]["user"]["id"]): entry for entry in body["members"]}
    sources = {
        fake.world.user(user_id).username: (
            entry["join_source_type"],
            entry["source_invite_code"],
            entry["inviter_id"],
        )
        for user_id, entry in found.items()
    }
    assert sources == {
        "alice": (0, None, None),
        "bob": (5, scene.invite.code, str(scene.alice.id)),
        "carol": (6, "community", None),
        "dave": (3, None, None),
        "robot": (1, None, None),
        fake.world.user(scene.guild.owner_id).username: (0, None, None),
        fake.bot_user.username: (1, None, None),
    }
    assert found[joined.user_id]["member"]["joined_at"] == iso(joined.joined_at)
    assert body["page_result_count"] == body["total_result_count"] == len(found)


async def test_a_member_shows_index_lag_after_joining(
    fake: FakeDiscord, http: httpx.AsyncClient, control: httpx.AsyncClient, scene: Scene
) -> None:
    set_lag = await control.put("/member-search", json={"index_lag": 5.0})
    assert set_lag.json() == {"index_lag": 5.0}
    newbie = await fake.create_user("newbie")
    await fake.join_via_invite(scene.guild.id, newbie.id, scene.invite.code)
    assert await _found(http, scene.guild.id, newbie.id) == {}
    await fake.advance_clock(4.9)
    assert await _found(http, scene.guild.id, newbie.id) == {}
    await fake.advance_clock(0.1)
    assert set(await _found(http, scene.guild.id, newbie.id)) == {newbie.id}


async def test_the_default_lag_is_one_second(
    fake: FakeDiscord, http: httpx.AsyncClient, scene: Scene
) -> None:
    assert fake.world.member_search_lag == 1.0
    assert await _found(http, scene.guild.id, scene.alice.id) == {}  # joined at this instant
    await fake.advance_clock(1.0)
    assert set(await _found(http, scene.guild.id, scene.alice.id)) == {scene.alice.id}


async def test_a_member_who_left_is_absent(
    fake: FakeDiscord, http: httpx.AsyncClient, scene: Scene
) -> None:
    await fake.advance_clock(1.0)
    assert set(await _found(http, scene.guild.id, scene.alice.id)) == {scene.alice.id}
    await fake.leave(scene.guild.id, scene.alice.id)
    assert await _found(http, scene.guild.id, scene.alice.id) == {}


async def test_a_guild_not_indexed_yet_answers_202_until_it_is(
    fake: FakeDiscord,
    http: httpx.AsyncClient,
    control: httpx.AsyncClient,
    scene: Scene,
    spec: Spec,
) -> None:
    await fake.advance_clock(1.0)
    path = f"/guilds/{scene.guild.id}/member-search"
    state = (await control.put(path, json={"not_indexed_for": 2.5})).json()
    assert state["indexed"] is False
    assert state["not_indexed_for"] == pytest.approx(2.5)
    response = await _search(http, scene.guild.id, _query(scene.alice.id))
    assert response.status_code == 202
    spec.validate(NOT_INDEXED, response.json(), "not indexed")
    assert response.json() == {
        "message": "Index not yet available. Try again later",
        "code": 110000,
        "documents_indexed": 0,
        "retry_after": 3,
    }
    for header in RATE_LIMIT_HEADERS:
        assert header in response.headers
    await fake.advance_clock(2.0)
    assert (await _search(http, scene.guild.id, _query())).json()["retry_after"] == 1
    await fake.advance_clock(0.5)
    assert set(await _found(http, scene.guild.id, scene.alice.id)) == {scene.alice.id}
    assert (await control.get(path)).json() == {
        "indexed": True,
        "indexed_at": state["indexed_at"],
        "not_indexed_for": 0.0,
    }


async def test_a_guild_indexed_again_at_once(
    fake: FakeDiscord, http: httpx.AsyncClient, scene: Scene
) -> None:
    await fake.delay_member_search_index(scene.guild.id, 60)
    assert (await _search(http, scene.guild.id, _query())).status_code == 202
    await fake.delay_member_search_index(scene.guild.id, 0)
    assert (await _search(http, scene.guild.id, _query())).status_code == 200


async def test_refused_without_manage_guild(
    fake: FakeDiscord, http: httpx.AsyncClient, scene: Scene, spec: Spec
) -> None:
    await fake.set_bot_permissions(scene.guild.id, ["VIEW_AUDIT_LOG", "VIEW_CHANNEL"])
    response = await _search(http, scene.guild.id, _query(scene.alice.id))
    assert response.status_code == 403
    assert response.json()["code"] == 50013
    spec.validate(ERROR, response.json(), "403")
    assert fake.stats.invalid_requests == 1


async def test_refused_outside_community_guilds(
    fake: FakeDiscord, http: httpx.AsyncClient, guild: Guild
) -> None:
    response = await _search(http, guild.id, _query())
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Access", "code": 50001}


async def test_unknown_guild(http: httpx.AsyncClient) -> None:
    response = await _search(http, 42, _query())
    assert response.status_code == 404
    assert response.json()["code"] == 10004


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"limit": 0}, ["limit"]),
        ({"limit": 1001}, ["limit"]),
        ({"limit": "10"}, ["limit"]),
        ({"limit": True}, ["limit"]),
        ({"and_query": []}, ["and_query"]),
        ({"and_query": {"user_id": ["1"]}}, ["and_query", "user_id"]),
        ({"and_query": {"user_id": {"or_query": "1"}}}, ["and_query", "user_id", "or_query"]),
        (
            {"and_query": {"user_id": {"or_query": ["1", "x"]}}},
            ["and_query", "user_id", "or_query", "1"],
        ),
        ({"and_query": {"usernames": {"or_query": ["al"]}}}, ["and_query", "usernames"]),
        ({"sort": 1}, ["sort"]),
        ([], []),
    ],
)
async def test_a_bad_body_is_50035(
    http: httpx.AsyncClient, scene: Scene, spec: Spec, body: object, path: list[str]
) -> None:
    response = await _search(http, scene.guild.id, body)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["code"] == 50035
    spec.validate(ERROR, answer, "50035")
    node = answer["errors"]
    for part in path:
        node = node[part]
    assert node["_errors"], answer


async def test_no_body_is_50109(http: httpx.AsyncClient, scene: Scene) -> None:
    response = await http.post(f"/guilds/{scene.guild.id}/members-search")
    assert response.status_code == 400
    assert response.json()["code"] == 50109


async def test_the_limit_is_honoured_newest_first(
    fake: FakeDiscord, http: httpx.AsyncClient, scene: Scene
) -> None:
    joined = []
    for name in ("one", "two", "three"):
        user = await fake.create_user(name)
        joined.append(await fake.join_without_invite(scene.guild.id, user.id))
        await fake.advance_clock(1.0)
    ids = [member.user_id for member in joined]
    response = await _search(http, scene.guild.id, _query(*ids, limit=2))
    body = response.json()
    assert [int(entry["member"]["user"]["id"]) for entry in body["members"]] == ids[:0:-1]
    assert (body["page_result_count"], body["total_result_count"]) == (2, 3)
    everyone = (await _search(http, scene.guild.id, {})).json()
    assert everyone["total_result_count"] == len(fake.world.guild_members(scene.guild.id))


async def test_rate_limited_per_guild_and_counted(
    fake: FakeDiscord, http: httpx.AsyncClient, scene: Scene
) -> None:
    first = await _search(http, scene.guild.id, _query())
    for header in RATE_LIMIT_HEADERS:
        assert header in first.headers
    assert first.headers["X-RateLimit-Limit"] == "50"  # the profile's default
    fake.set_route_limit(MEMBER_SEARCH_ROUTE, 1, per=60)
    assert (await _search(http, scene.guild.id, _query())).status_code == 200
    limited = await _search(http, scene.guild.id, _query())
    assert limited.status_code == 429
    assert limited.json()["retry_after"] > 0
    other = await fake.create_guild("Other", features=["COMMUNITY"])
    assert (await _search(http, other.id, _query())).status_code == 200  # its own bucket
    assert fake.stats.requests[MEMBER_SEARCH_ROUTE] == 4
    assert fake.stats.statuses[f"{MEMBER_SEARCH_ROUTE} -> 200"] == 3
    assert fake.stats.rate_limited[MEMBER_SEARCH_ROUTE] == 1
    assert fake.requests(MEMBER_SEARCH_ROUTE)[0].body == _query()


async def test_the_control_api_refuses_bad_knobs(control: httpx.AsyncClient, scene: Scene) -> None:
    assert (await control.put("/member-search", json={"index_lag": -1})).status_code == 400
    assert (await control.put("/member-search", json={})).status_code == 400
    path = f"/guilds/{scene.guild.id}/member-search"
    assert (await control.put(path, json={"not_indexed_for": "soon"})).status_code == 400
    assert (
        await control.put("/guilds/42/member-search", json={"not_indexed_for": 1})
    ).status_code == 404
