"""Attribution through HTTP against the fake Discord: the evidence rules end to end."""

from __future__ import annotations

import asyncio
from typing import Any

from invite_tracker.api.app import create_app
from invite_tracker.db.session import Database
from invite_tracker.testing.fake_discord import FakeDiscord, Invite, Member
from tests.integration.api.conftest import Api, data_of, running_app
from tests.integration.service.conftest import World, discord_settings


async def report(api: Api, world: World, member: Member, **extra: Any) -> dict[str, Any]:
    body = {
        "guild_id": world.guild.id,
        "member_id": member.user_id,
        "joined_at": member.joined_at.isoformat(),
        **extra,
    }
    result: dict[str, Any] = data_of(await api.post("/events/join/check-invite", body))
    return result


async def joined(api: Api, world: World, join_id: int) -> dict[str, Any]:
    joins = data_of(await api.get("/joins", guild_id=world.guild.id, limit=200))["joins"]
    found: dict[str, Any] = next(j for j in joins if j["join_id"] == join_id)
    return found


async def final(api: Api, world: World, join_id: int) -> dict[str, Any]:
    for _ in range(200):
        found = await joined(api, world, join_id)
        if found["join_type"] != "pending":
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"join {join_id} still pending")


async def decided_join(api: Api, world: World, member: Member) -> dict[str, Any]:
    """Report the member's join and wait for its final attribution."""
    return await final(api, world, (await report(api, world, member))["join_id"])


def assert_credit_no_one(decided: list[dict[str, Any]], *candidates: str) -> None:
    """Every join is `ambiguous` between exactly these candidates, and credits no one."""
    for join in decided:
        assert (join["join_type"], join["inviter_id"]) == ("ambiguous", None), join
        assert sorted(join["candidates"]) == sorted(candidates), join


def invite_reads(fake: FakeDiscord) -> int:
    """How many times the fake has been asked for a guild's invite list."""
    return fake.stats.requests.get("GET /guilds/{guild_id}/invites", 0)


async def invite_created(api: Api, world: World, invite: Invite, inviter_id: int) -> None:
    """Report INVITE_CREATE for an invite just created on the fake, unused."""
    created = {
        "guild_id": world.guild.id,
        "invite_code": invite.code,
        "channel_id": world.channel.id,
        "inviter_id": inviter_id,
        "max_uses": invite.max_uses,
        "max_age": invite.max_age,
        "uses": 0,
    }
    data_of(await api.post("/events/invite/create", created))


async def invite_deleted(api: Api, world: World, code: str) -> dict[str, Any]:
    """Report INVITE_DELETE; the answer is the invite as stored after it."""
    body = {"guild_id": world.guild.id, "invite_code": code}
    found: dict[str, Any] = data_of(await api.post("/events/invite/delete", body))
    return found


async def invite_figures(api: Api, world: World, inviter_id: int, code: str) -> dict[str, Any]:
    stats = data_of(await api.get("/stats/uses", guild_id=world.guild.id, inviter_id=inviter_id))
    found: dict[str, Any] = next(item for item in stats["invites"] if item["code"] == code)
    return found


async def stored_gone(api: Api, world: World, inviter_id: int, code: str) -> dict[str, Any]:
    """The invite as stored, already gone and credited to its creator (the inviter's stats
    say so), with the reason: repeating its delete event then changes nothing."""
    assert (await invite_figures(api, world, inviter_id, code))["deleted"] is True
    return await invite_deleted(api, world, code)


async def ready(api: Api, world: World) -> None:
    """Enable the module and let it take its first snapshot (the attribution baseline)."""
    await api.enable(world.guild.id)
    data_of(await api.get("/invite-links", guild_id=world.guild.id))
    await asyncio.sleep(0.2)


async def test_each_join_is_credited_to_the_invite_it_used(tracker: Api, world: World) -> None:
    fake = world.fake
    alices = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    bobs = await fake.create_invite(world.channel.id, inviter_id=world.bob.id)
    await ready(tracker, world)
    results: list[dict[str, Any]] = []
    for code in (alices.code, bobs.code, alices.code):
        user = await world.user(f"u-{code}-{len(results)}")
        member = await fake.join_via_invite(world.guild.id, user.id, code)
        results.append(await report(tracker, world, member))
        await asyncio.sleep(0.1)
    assert [(r["join_type"], r["invite_code"]) for r in results] == [
        ("invite", alices.code),
        ("invite", bobs.code),
        ("invite", alices.code),
    ]
    assert [r["inviter_id"] for r in results] == [
        str(world.alice.id),
        str(world.bob.id),
        str(world.alice.id),
    ]
    stats = data_of(
        await tracker.get("/stats/uses", guild_id=world.guild.id, inviter_id=world.alice.id)
    )
    assert (stats["total"], stats["regular"]) == (2, 2)


async def test_a_burst_through_one_invite_is_all_credited(tracker: Api, world: World) -> None:
    fake = world.fake
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    await ready(tracker, world)
    members = []
    for n in range(12):
        user = await world.user(f"raider{n}")
        members.append(await fake.join_via_invite(world.guild.id, user.id, invite.code))
    results = await asyncio.gather(*(report(tracker, world, m) for m in reversed(members)))
    decided = [await final(tracker, world, r["join_id"]) for r in results]
    assert {(d["join_type"], d["invite_code"]) for d in decided} == {("invite", invite.code)}
    assert fake.stats.requests["GET /guilds/{guild_id}/invites"] <= 1 + len(members)


async def test_two_invites_used_at_once_credit_no_one(tracker: Api, world: World) -> None:
    fake = world.fake
    a = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    b = await fake.create_invite(world.channel.id, inviter_id=world.bob.id)
    await ready(tracker, world)
    first = await fake.join_via_invite(world.guild.id, (await world.user("x")).id, a.code)
    second = await fake.join_via_invite(world.guild.id, (await world.user("y")).id, b.code)
    results = await asyncio.gather(report(tracker, world, first), report(tracker, world, second))
    decided = [await final(tracker, world, r["join_id"]) for r in results]
    assert_credit_no_one(decided, a.code, b.code)
    assert all(join["counted"] is False for join in decided)


async def test_vanity_discovery_and_bot_joins(tracker: Api, world: World) -> None:
    fake = world.fake
    await fake.set_vanity(world.guild.id, "husqy", uses=10)
    await ready(tracker, world)
    vanity = await fake.join_via_vanity(world.guild.id, (await world.user("v")).id)
    assert (await report(tracker, world, vanity))["join_type"] == "vanity"
    await asyncio.sleep(0.1)
    found = await fake.join_without_invite(world.guild.id, (await world.user("d")).id)
    discovery = await report(tracker, world, found)
    assert discovery["join_type"] == "unknown"
    assert "no invite" in discovery["reason"]
    bot = await world.user("robot", bot=True)
    added = await fake.join_without_invite(world.guild.id, bot.id)
    assert (await report(tracker, world, added, is_bot=True))["join_type"] == "bot"
    log = data_of(await tracker.get("/joins", guild_id=world.guild.id))["joins"]
    assert log[-1]["invite_code"] == "husqy"


async def test_a_single_use_invite_created_and_used_between_fetches(
    tracker: Api, world: World
) -> None:
    fake = world.fake
    await ready(tracker, world)
    once = await fake.create_invite(world.channel.id, inviter_id=world.bob.id, max_uses=1)
    await invite_created(tracker, world, once, world.bob.id)
    member = await fake.join_via_invite(world.guild.id, (await world.user("lucky")).id, once.code)
    assert await fake.invites(world.guild.id) == []  # Discord deleted it on its only use
    result = await report(tracker, world, member)
    assert (result["join_type"], result["invite_code"], result["inviter_id"]) == (
        "invite",
        once.code,
        str(world.bob.id),
    )
    # stored as used up: the window that credited the join says so, not the delete event
    invite = await stored_gone(tracker, world, world.bob.id, once.code)
    assert (invite["deleted_reason"], invite["uses"], invite["max_uses"]) == ("used_up", 1, 1)


async def test_a_single_use_invite_whose_delete_event_comes_before_the_join_event(
    tracker: Api, world: World
) -> None:
    fake = world.fake
    once = await fake.create_invite(world.channel.id, inviter_id=world.bob.id, max_uses=1)
    await ready(tracker, world)
    member = await fake.join_via_invite(world.guild.id, (await world.user("quick")).id, once.code)
    told = await invite_deleted(tracker, world, once.code)  # Discord's INVITE_DELETE, first
    assert told["deleted_reason"] == "deleted"
    result = await decided_join(tracker, world, member)
    assert (result["join_type"], result["invite_code"], result["inviter_id"]) == (
        "invite",
        once.code,
        str(world.bob.id),
    )


async def test_a_limited_invite_revoked_through_discord_is_not_taken_for_a_later_join(
    tracker: Api, world: World
) -> None:
    # Staff revoke a limited invite in Discord's own settings, then someone joins through
    # no invite (server discovery). Both vanish between two reads; the delete event, stored
    # before the join was made, says the invite was not used up by it
    fake = world.fake
    limited = await fake.create_invite(world.channel.id, inviter_id=world.bob.id, max_uses=1)
    await ready(tracker, world)
    await fake.delete_invite(limited.code)
    await invite_deleted(tracker, world, limited.code)
    await asyncio.sleep(1.2)  # later than this service's clock may lag Discord's
    found = await fake.join_without_invite(world.guild.id, (await world.user("seeker")).id)
    result = await decided_join(tracker, world, found)
    assert (result["join_type"], result["inviter_id"]) == ("unknown", None), result
    figures = await invite_figures(tracker, world, world.bob.id, limited.code)
    assert figures["deleted"] is True
    stats = data_of(
        await tracker.get("/stats/uses", guild_id=world.guild.id, inviter_id=world.bob.id)
    )
    assert stats["total"] == 0


async def test_a_join_after_an_invite_expired_is_not_taken_for_a_use_of_it(
    tracker: Api, world: World
) -> None:
    fake = world.fake
    brief = await fake.create_invite(world.channel.id, inviter_id=world.bob.id, max_age=1)
    await ready(tracker, world)
    await asyncio.sleep(2.2)  # expired, and later than the clock slack after
    found = await fake.join_without_invite(world.guild.id, (await world.user("late")).id)
    result = await decided_join(tracker, world, found)
    # not `ambiguous` between the expired invite and none
    assert (result["join_type"], result["candidates"]) == ("unknown", []), result
    assert (await stored_gone(tracker, world, world.bob.id, brief.code))["deleted_reason"] == (
        "expired"
    )


async def test_a_failing_vanity_recheck_does_not_hold_invite_reads_up(
    tracker: Api, world: World
) -> None:
    # the guild has no vanity URL, and Discord fails every question about it: the invite
    # reads go on without it (its uses could only be counted once a read saw a code)
    fake = world.fake
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    fake.add_server_errors(503, route="GET /guilds/*/vanity-url", count=100)
    await ready(tracker, world)
    member = await fake.join_via_invite(world.guild.id, (await world.user("on")).id, invite.code)
    result = await decided_join(tracker, world, member)
    assert (result["join_type"], result["invite_code"]) == ("invite", invite.code)
    assert fake.stats.faults["error"] >= 1


async def test_a_vanity_url_the_guild_gets_later_is_counted_from_when_a_read_sees_it(
    database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    settings = discord_settings(database_url, fake, vanity_recheck_seconds=0.3)
    app = create_app(settings, database=database)
    decided: list[dict[str, Any]] = []

    async def vanity_join(name: str) -> None:
        member = await fake.join_via_vanity(world.guild.id, (await world.user(name)).id)
        decided.append(await decided_join(api, world, member))
        await asyncio.sleep(0.1)

    async for client in running_app(app):
        api = Api(client)
        await ready(api, world)  # its first read found no vanity URL
        await fake.set_vanity(world.guild.id, "husqy")
        await asyncio.sleep(0.4)  # the next read asks again
        await vanity_join("first")  # its read sees the code: any use it has may be new
        await vanity_join("second")  # counted between two reads of the same code
        await fake.set_vanity(world.guild.id, "husqy2")  # a new code, its own counter
        await vanity_join("third")
        await vanity_join("fourth")
    assert [(d["join_type"], d["invite_code"]) for d in decided] == [
        ("ambiguous", None),
        ("vanity", "husqy"),
        ("ambiguous", None),
        ("vanity", "husqy2"),
    ]
    assert decided[0]["candidates"] == decided[2]["candidates"] == ["(none)", "(vanity)"]


async def test_a_join_event_arriving_late_is_placed_in_its_own_window(
    tracker: Api, world: World
) -> None:
    fake = world.fake
    a = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    b = await fake.create_invite(world.channel.id, inviter_id=world.bob.id)
    await ready(tracker, world)
    early = await fake.join_via_invite(world.guild.id, (await world.user("early")).id, a.code)
    await asyncio.sleep(0.3)
    later = await fake.join_via_invite(world.guild.id, (await world.user("later")).id, b.code)
    second = await report(tracker, world, later)  # its event comes first; a's use is seen too
    first = await report(tracker, world, early)
    decided = [await final(tracker, world, r["join_id"]) for r in (first, second)]
    assert [(d["join_type"], d["invite_code"]) for d in decided] in (
        [("invite", a.code), ("invite", b.code)],
        [("ambiguous", None), ("ambiguous", None)],  # the same window: honest, never wrong
    )


async def test_joins_stored_while_discord_is_down_are_attributed_after_a_restart(
    database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    settings = discord_settings(database_url, fake, attribution_wait_seconds=0.3)
    async for client in running_app(create_app(settings, database=database)):
        api = Api(client)
        await ready(api, world)
        fake.add_server_errors(503, route="GET /guilds/*/invites", count=None)
        member = await fake.join_via_invite(
            world.guild.id, (await world.user("patient")).id, invite.code
        )
        pending = await report(api, world, member)
        assert pending["join_type"] == "pending"
    fake.clear_faults()
    async for client in running_app(create_app(settings, database=database)):
        decided = await final(Api(client), world, pending["join_id"])
        assert (decided["join_type"], decided["invite_code"]) == ("invite", invite.code)
