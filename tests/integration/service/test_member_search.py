"""The member search cross-check through HTTP against the fake Discord, on both databases:
joins the invite counts leave ambiguous are held, asked about, and settled only when Discord's
member search names one of their candidates."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from invite_tracker.api.app import create_app
from invite_tracker.db.session import Database
from invite_tracker.testing.fake_discord import FakeDiscord, Invite
from tests.integration.api.conftest import Api, app_settings, data_of, running_app
from tests.integration.discord.conftest import SPEC_PATH, Spec
from tests.integration.discord.member_search_shapes import MEMBER_SEARCH_ROUTE, SEARCH_REQUEST
from tests.integration.service.conftest import World, discord_settings
from tests.integration.service.test_attribution import final, joined, ready, report

SEARCH = MEMBER_SEARCH_ROUTE
ON = {"member_search": True, "member_search_delay_seconds": 1.1}


@pytest.fixture
async def community(fake: FakeDiscord, world: World) -> World:
    """The world's guild as a Community guild: the member search answers for it."""
    fake.world.guilds[world.guild.id].features.append("COMMUNITY")
    return world


async def two_at_once(
    api: Api, world: World, *, again: bool = False
) -> tuple[list[dict[str, Any]], Invite, Invite]:
    """Two members join through two invites between two reads: the counts cannot tell.
    `again`: the module is enabled already (by an earlier call)."""
    fake = world.fake
    a = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    b = await fake.create_invite(world.channel.id, inviter_id=world.bob.id)
    if not again:  # else the two codes are new since the baseline: as ambiguous
        await ready(api, world)
    users = [await world.user(name + ("-again" if again else "")) for name in ("x", "y")]
    first = await fake.join_via_invite(world.guild.id, users[0].id, a.code)
    second = await fake.join_via_invite(world.guild.id, users[1].id, b.code)
    answers = await asyncio.gather(report(api, world, first), report(api, world, second))
    return list(answers), a, b


def holding(database_url: str, fake: FakeDiscord, *, delay: float = 4.0) -> Any:
    """Settings that hold ambiguous joins a while before asking (and answer `pending`)."""
    return discord_settings(
        database_url,
        fake,
        member_search=True,
        member_search_delay_seconds=delay,
        attribution_wait_seconds=0.5,
    )


async def held_join(api: Api, world: World, join_id: int) -> dict[str, Any]:
    """The join once the counts have left it candidates and it is held (still pending)."""
    for _ in range(100):
        found = await joined(api, world, join_id)
        if found["candidates"]:
            assert found["join_type"] == "pending"
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"join {join_id} never held")


@pytest.fixture
async def searching(database: Database, database_url: str, fake: FakeDiscord) -> AsyncIterator[Api]:
    """The API with the member search cross-check on."""
    app = create_app(discord_settings(database_url, fake, **ON), database=database)
    async for client in running_app(app):
        yield Api(client)


async def test_the_search_settles_what_the_counts_leave_ambiguous(
    searching: Api, community: World
) -> None:
    answers, a, b = await two_at_once(searching, community)
    decided = [await final(searching, community, answer["join_id"]) for answer in answers]
    assert [(d["join_type"], d["invite_code"], d["inviter_id"]) for d in decided] == [
        ("invite", a.code, str(community.alice.id)),
        ("invite", b.code, str(community.bob.id)),
    ]
    for join in decided:
        assert sorted(join["candidates"]) == sorted([a.code, b.code])  # the counts' view
        assert "Discord's member search names this invite" in join["reason"]
        assert join["counted"] is True
    stats = data_of(
        await searching.get(
            "/stats/uses", guild_id=community.guild.id, inviter_id=community.alice.id
        )
    )
    assert (stats["total"], stats["regular"]) == (1, 1)
    asked = [request for request in community.fake.requests() if request.route == SEARCH]
    assert 1 <= len(asked) <= 2  # both members in one or two questions
    spec = Spec(json.loads(SPEC_PATH.read_text()))
    for request in asked:  # the route is undocumented: checked against our own shapes
        spec.validate(SEARCH_REQUEST, request.body, request.route)


async def test_a_held_join_is_pending_with_its_candidates_until_asked(
    database: Database, database_url: str, fake: FakeDiscord, community: World
) -> None:
    settings = holding(database_url, fake)
    async for client in running_app(create_app(settings, database=database)):
        api = Api(client)
        answers, a, b = await two_at_once(api, community)
        assert {answer["join_type"] for answer in answers} == {"pending"}
        held = await held_join(api, community, answers[0]["join_id"])
        assert sorted(held["candidates"]) == sorted([a.code, b.code])
        assert "asking Discord's member search" in held["reason"]
        decided = await final(api, community, answers[0]["join_id"])
        assert (decided["join_type"], decided["invite_code"]) == ("invite", a.code)
        assert "asking" not in decided["reason"]


async def test_without_a_community_guild_the_join_stays_ambiguous(
    searching: Api, world: World
) -> None:
    answers, a, b = await two_at_once(searching, world)
    for answer in answers:
        decided = await final(searching, world, answer["join_id"])
        assert (decided["join_type"], decided["inviter_id"]) == ("ambiguous", None)
        assert sorted(decided["candidates"]) == sorted([a.code, b.code])
        assert "Discord's member search refused" in decided["reason"]


async def test_a_guild_the_search_refused_is_not_asked_again_for_a_while(
    searching: Api, world: World
) -> None:
    """Each refusal is an invalid request to Discord: later joins of the guild are decided as
    the counts said without asking, and say why."""
    first, _, _ = await two_at_once(searching, world)
    for answer in first:
        await final(searching, world, answer["join_id"])
    assert world.fake.stats.requests.get(SEARCH, 0) == 1
    later, a, b = await two_at_once(searching, world, again=True)
    for answer in later:
        decided = await final(searching, world, answer["join_id"])
        assert (decided["join_type"], decided["inviter_id"]) == ("ambiguous", None)
        assert sorted(decided["candidates"]) == sorted([a.code, b.code])
        assert "Discord's member search refused" in decided["reason"]
        assert "not asked again before" in decided["reason"]
    assert world.fake.stats.requests.get(SEARCH, 0) == 1


async def test_after_the_pause_a_refused_guild_is_asked_again(
    database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    """The guild may have become a Community guild (or the bot got its permission) since."""
    settings = discord_settings(database_url, fake, **ON, member_search_refusal_pause_seconds=0.5)
    async for client in running_app(create_app(settings, database=database)):
        api = Api(client)
        first, _, _ = await two_at_once(api, world)
        for answer in first:
            assert (await final(api, world, answer["join_id"]))["join_type"] == "ambiguous"
        fake.world.guilds[world.guild.id].features.append("COMMUNITY")
        await asyncio.sleep(0.5)
        later, a, b = await two_at_once(api, world, again=True)
        decided = [await final(api, world, answer["join_id"]) for answer in later]
        assert [(d["join_type"], d["invite_code"]) for d in decided] == [
            ("invite", a.code),
            ("invite", b.code),
        ]
    assert fake.stats.requests.get(SEARCH, 0) >= 2


async def test_an_index_not_ready_in_time_leaves_the_join_ambiguous(
    database: Database, database_url: str, fake: FakeDiscord, community: World
) -> None:
    await fake.delay_member_search_index(community.guild.id, 60)
    settings = discord_settings(database_url, fake, **ON, member_search_patience_seconds=2.0)
    async for client in running_app(create_app(settings, database=database)):
        api = Api(client)
        answers, _, _ = await two_at_once(api, community)
        for answer in answers:
            decided = await final(api, community, answer["join_id"])
            assert (decided["join_type"], decided["inviter_id"]) == ("ambiguous", None)
            assert "has not indexed the guild yet" in decided["reason"]
    assert fake.stats.requests.get(SEARCH, 0) == 1  # 202 said: not before 60 s


async def test_a_member_who_left_is_not_asked_about(
    database: Database, database_url: str, fake: FakeDiscord, community: World
) -> None:
    settings = holding(database_url, fake)
    async for client in running_app(create_app(settings, database=database)):
        api = Api(client)
        answers, _, _ = await two_at_once(api, community)
        await held_join(api, community, answers[0]["join_id"])
        leaver = int(answers[0]["member_id"])
        await fake.leave(community.guild.id, leaver)
        body = {"guild_id": community.guild.id, "member_id": leaver}
        data_of(await api.post("/events/leave/check-invite", body))
        decided = await final(api, community, answers[0]["join_id"])
        assert decided["join_type"] == "ambiguous"
        assert "left before Discord's member search was asked" in decided["reason"]
        other = await final(api, community, answers[1]["join_id"])
        assert other["join_type"] == "invite"


@pytest.mark.parametrize("after_restart", ["search on", "search off", "no discord"])
async def test_held_joins_survive_a_restart(
    database: Database, database_url: str, fake: FakeDiscord, community: World, after_restart: str
) -> None:
    """Held joins are stored: the next start asks about them, or, with the search switched
    off meanwhile (or Discord no longer configured), decides them as the counts did."""
    settings = holding(database_url, fake, delay=30.0)
    async for client in running_app(create_app(settings, database=database)):
        api = Api(client)
        answers, a, b = await two_at_once(api, community)
        await held_join(api, community, answers[0]["join_id"])
    if after_restart == "no discord":
        later = app_settings(database_url)
    else:
        search = after_restart == "search on"
        later = discord_settings(
            database_url, fake, member_search=search, member_search_delay_seconds=0.0
        )
    async for client in running_app(create_app(later, database=database)):
        api = Api(client)
        decided = [await final(api, community, answer["join_id"]) for answer in answers]
    if after_restart == "search on":
        assert [(d["join_type"], d["invite_code"]) for d in decided] == [
            ("invite", a.code),
            ("invite", b.code),
        ]
        return
    for join in decided:
        assert (join["join_type"], join["inviter_id"]) == ("ambiguous", None)
        assert sorted(join["candidates"]) == sorted([a.code, b.code])
        assert "asking" not in join["reason"]


async def test_off_by_default_the_search_is_never_asked(tracker: Api, community: World) -> None:
    answers, _, _ = await two_at_once(tracker, community)
    for answer in answers:
        assert (await final(tracker, community, answer["join_id"]))["join_type"] == "ambiguous"
    assert community.fake.stats.requests.get(SEARCH, 0) == 0


async def test_a_search_that_fails_is_asked_again(searching: Api, community: World) -> None:
    fake = community.fake
    fake.add_server_errors(503, route="POST /guilds/*/members-search", count=None)
    answers, a, b = await two_at_once(searching, community)
    for _ in range(200):
        if fake.stats.requests.get(SEARCH, 0) >= 1:
            break
        await asyncio.sleep(0.05)
    fake.clear_faults()
    decided = [await final(searching, community, answer["join_id"]) for answer in answers]
    assert [(d["join_type"], d["invite_code"]) for d in decided] == [
        ("invite", a.code),
        ("invite", b.code),
    ]


async def test_an_invite_named_without_its_inviter_is_credited_to_the_one_known(
    database: Database, database_url: str, fake: FakeDiscord, community: World
) -> None:
    """Discord's search may leave `inviter_id` null: the inviter the invite list gave stands."""
    async for client in running_app(create_app(holding(database_url, fake), database=database)):
        api = Api(client)
        answers, a, _ = await two_at_once(api, community)
        member = fake.world.members[(community.guild.id, int(answers[0]["member_id"]))]
        member.inviter_id = None  # the search will say the code, not who made it
        decided = await final(api, community, answers[0]["join_id"])
        assert (decided["join_type"], decided["invite_code"]) == ("invite", a.code)
        assert decided["inviter_id"] == str(community.alice.id)
        assert decided["counted"] is True
