"""Creating, deleting and listing invites through the fake Discord, over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

import httpx

from invite_tracker.api.app import create_app
from invite_tracker.clock import utcnow
from invite_tracker.db.session import Database
from invite_tracker.testing.fake_discord import FakeDiscord
from tests.integration.api.conftest import Api, data_of, error_of, running_app
from tests.integration.service.conftest import World, discord_settings
from tests.integration.service.test_attribution import final, ready, report

GUILD_INVITES = "GET /guilds/{guild_id}/invites"


def new_invite(world: World, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "guild_id": world.guild.id,
        "channel_id": world.channel.id,
        "max_uses": 5,
        "max_age": 3600,
        "is_temporary": False,
        "application_id": None,
        "token": None,
    }
    body.update(changes)
    return body


async def test_create_invite_makes_a_real_invite_and_stores_it(tracker: Api, world: World) -> None:
    await tracker.enable(world.guild.id)
    created = data_of(await tracker.post("/invite", new_invite(world, max_uses=3, max_age=600)))
    live = {invite.code: invite for invite in await world.fake.invites(world.guild.id)}
    assert created["code"] in live
    invite = live[created["code"]]
    assert (invite.max_uses, invite.max_age, invite.channel_id) == (3, 600, world.channel.id)
    assert created["inviter_id"] == str(world.fake.bot_user.id)
    assert (created["max_uses"], created["max_age"], created["active"]) == (3, 600, True)
    listed = data_of(await tracker.get("/invite-links", guild_id=world.guild.id))
    assert created["code"] in [i["code"] for i in listed["invites"]]


async def test_create_invite_edits_the_interaction_reply(tracker: Api, world: World) -> None:
    await tracker.enable(world.guild.id)
    interaction = await world.fake.register_interaction(guild_id=world.guild.id)
    body = new_invite(
        world, application_id=str(interaction.application_id), token=interaction.token
    )
    created = data_of(await tracker.post("/invite", body))
    edits = world.fake.interaction(interaction.id).edits
    assert len(edits) == 1
    assert f"https://discord.gg/{created['code']}" in edits[0].payload["content"]


async def test_a_slash_command_invite_credits_whoever_ran_it(tracker: Api, world: World) -> None:
    """Discord names the bot as the inviter; its answer to the reply names who ran the
    command, and that member is credited, unless the invite is made for someone else."""
    await tracker.enable(world.guild.id)
    ran = await world.fake.register_interaction(guild_id=world.guild.id, user_id=world.alice.id)
    body = new_invite(world, application_id=str(ran.application_id), token=ran.token)
    created = data_of(await tracker.post("/invite", body))
    assert (created["inviter_id"], created["credited_to"]) == (
        str(world.fake.bot_user.id),
        str(world.alice.id),
    )
    listed = data_of(await tracker.get("/invite-links", guild_id=world.guild.id))["invites"]
    assert [i["credited_to"] for i in listed if i["code"] == created["code"]] == [
        str(world.alice.id)
    ]
    again = await world.fake.register_interaction(guild_id=world.guild.id, user_id=world.alice.id)
    body = new_invite(
        world, application_id=str(again.application_id), token=again.token, inviter_id=world.bob.id
    )
    for_bob = data_of(await tracker.post("/invite", body))
    assert for_bob["credited_to"] == str(world.bob.id)


async def test_an_expired_interaction_token_keeps_the_invite_and_says_so(
    tracker: Api, world: World
) -> None:
    await tracker.enable(world.guild.id)
    old = world.fake.now() - timedelta(minutes=20)
    interaction = await world.fake.register_interaction(guild_id=world.guild.id, created_at=old)
    body = new_invite(world, application_id=interaction.application_id, token=interaction.token)
    error = error_of(await tracker.post("/invite", body), 502, "DiscordApiInteractionError")
    assert "was handled and stored" in error["message"]
    live = await world.fake.invites(world.guild.id)
    assert len(live) == 1
    listed = data_of(await tracker.get("/invite-links", guild_id=world.guild.id))["invites"]
    assert [i["code"] for i in listed] == [live[0].code]


async def test_delete_invite_deletes_it_and_remembers_staff(tracker: Api, world: World) -> None:
    await tracker.enable(world.guild.id)
    created = data_of(await tracker.post("/invite", new_invite(world)))
    interaction = await world.fake.register_interaction(guild_id=world.guild.id)
    body = {
        "guild_id": world.guild.id,
        "invite_code": created["code"],
        "application_id": interaction.application_id,
        "token": interaction.token,
    }
    gone = data_of(await tracker.delete("/invite", body))
    assert (gone["active"], gone["deleted_reason"]) == (False, "deleted_by_staff")
    assert await world.fake.invites(world.guild.id) == []
    assert (
        "Deleted the invite" in world.fake.interaction(interaction.id).edits[0].payload["content"]
    )


async def test_another_servers_channels_and_invites_are_out_of_reach(
    tracker: Api, world: World
) -> None:
    """The bot is in other servers too, and Discord creates and deletes invites by channel
    and code alone: a call for one guild must not create or delete another's."""
    await tracker.enable(world.guild.id)
    other = await world.fake.create_guild("Elsewhere")
    their_channel = await world.fake.create_channel(other.id, "lobby")
    theirs = await world.fake.create_invite(their_channel.id)

    error = error_of(
        await tracker.post("/invite", new_invite(world, channel_id=their_channel.id)),
        422,
        "UnprocessableEntityError",
    )
    assert f"channel {their_channel.id} is not in this server" in error["message"]
    body = {"guild_id": world.guild.id, "invite_code": theirs.code}
    error = error_of(
        await tracker.delete("/invite", {**body, "application_id": None, "token": None}),
        422,
        "UnprocessableEntityError",
    )
    assert f"{theirs.code} is not one of this server's invites" in error["message"]

    assert [invite.code for invite in await world.fake.invites(other.id)] == [theirs.code]
    listed = data_of(await tracker.get("/invite-links", guild_id=world.guild.id))["invites"]
    assert listed == []  # and nothing was stored for this guild


async def test_no_write_waits_while_a_request_waits_on_discord(tracker: Api, world: World) -> None:
    """On SQLite a transaction holds the database's one write lock from its first statement:
    a request waiting on a slow Discord must not hold up the join and invite events meanwhile
    (nor, on PostgreSQL, keep a pooled connection idle in a transaction)."""
    await tracker.enable(world.guild.id)
    data_of(await tracker.get("/invite-links", guild_id=world.guild.id))
    # the dashboard's read (every read is slow: the engine's too)
    dashboard = tracker.get("/invite-links", guild_id=world.guild.id)
    read = ("GET /guilds/{guild_id}/invites", "GET /guilds/*/invites")
    listed = await _stored_meanwhile(tracker, world, read, dashboard, "during-read")
    assert "during-read" in [invite["code"] for invite in listed["invites"]]
    # the slash command's reply, once the invite is created and stored
    interaction = await world.fake.register_interaction(guild_id=world.guild.id)
    reply = {"application_id": interaction.application_id, "token": interaction.token}
    creating = tracker.post("/invite", new_invite(world, **reply))
    edit = (
        "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original",
        "PATCH /webhooks/*/*/messages/@original",
    )
    created = await _stored_meanwhile(tracker, world, edit, creating, "during-reply")
    assert created["active"] is True


async def _stored_meanwhile(
    tracker: Api,
    world: World,
    route: tuple[str, str],
    request: Coroutine[Any, Any, httpx.Response],
    code: str,
) -> Any:
    """Run `request` with Discord answering `route` (its key, and the pattern that matches
    it) a second late; once it has asked, store the invite event of `code`, which must be
    stored while the request still waits. The request's answer's data."""
    fake, (key, pattern) = world.fake, route
    asked = fake.stats.requests[key]
    slow = fake.add_latency(1.0, route=pattern)
    waiting = asyncio.create_task(request)
    for _ in range(400):  # until it reaches Discord
        if fake.stats.requests[key] > asked:
            break
        await asyncio.sleep(0.005)
    created = {"guild_id": world.guild.id, "invite_code": code, "channel_id": 5}
    data_of(await tracker.post("/events/invite/create", created))
    assert not waiting.done()  # the event was stored while Discord had not answered
    answer = data_of(await waiting)
    fake.clear_faults(slow.id)
    return answer


async def test_invite_links_reconcile_with_discord(tracker: Api, world: World) -> None:
    await tracker.enable(world.guild.id)
    fake = world.fake
    kept = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    staff_gone = await fake.create_invite(world.channel.id, inviter_id=world.bob.id)
    single = await fake.create_invite(world.channel.id, inviter_id=world.bob.id, max_uses=1)
    first = data_of(await tracker.get("/invite-links", guild_id=world.guild.id))
    assert first["source"] == "discord"
    assert {i["code"] for i in first["invites"]} == {kept.code, staff_gone.code, single.code}
    by_code = {i["code"]: i for i in first["invites"]}
    assert by_code[kept.code]["inviter_id"] == str(world.alice.id)

    newcomer = await world.user("carol")
    await fake.join_via_invite(world.guild.id, newcomer.id, kept.code)
    await fake.delete_invite(staff_gone.code)
    other = await world.user("dave")
    await fake.join_via_invite(world.guild.id, other.id, single.code)  # used up: deleted
    second = data_of(await tracker.get("/invite-links", guild_id=world.guild.id))
    assert [i["code"] for i in second["invites"]] == [kept.code]
    assert second["invites"][0]["uses"] == 1


async def test_while_joins_are_attributed_the_dashboard_gets_the_latest_list_read(
    database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    """A read of the invite list spends the bucket the attributor's reads need. While a join
    waits for its decision, the list the attributor read moments ago is answered instead of
    a read, and says so; once no join waits or is coming, the dashboard reads Discord."""
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    settings = discord_settings(
        database_url, fake, attribution_wait_seconds=0.05, invite_reading_seconds=0.3
    )
    app = create_app(settings, database=database)
    async for client in running_app(app):
        api, engine = Api(client), app.state.service.engine
        await ready(api, world)
        fetches = engine.stats.fetches
        member = await fake.join_via_invite(world.guild.id, (await world.user("u")).id, invite.code)
        answer = await report(api, world, member)
        for _ in range(500):  # until the read the join called for is made, and the join loaded
            state = engine.guild_state(world.guild.id)
            ledger = state.ledger if state is not None else None
            if engine.stats.fetches > fetches and ledger is not None and ledger.pending:
                break
            await asyncio.sleep(0.01)
        reads, fetches = fake.stats.requests[GUILD_INVITES], engine.stats.fetches
        busy = data_of(await api.get("/invite-links", guild_id=world.guild.id))
        by_dashboard = fake.stats.requests[GUILD_INVITES] - reads - (engine.stats.fetches - fetches)
        await final(api, world, answer["join_id"])
        await asyncio.sleep(0.4)  # no join is coming any more
        reads = fake.stats.requests[GUILD_INVITES]
        idle = data_of(await api.get("/invite-links", guild_id=world.guild.id))
        read_when_idle = fake.stats.requests[GUILD_INVITES] - reads
    assert answer["join_type"] == "pending"
    assert (busy["source"], by_dashboard) == ("discord", 0)
    assert "as read for attribution" in busy["note"]
    assert [(i["code"], i["uses"]) for i in busy["invites"]] == [(invite.code, 1)]
    assert (idle["source"], idle["note"], read_when_idle) == ("discord", None, 1)


async def test_invite_links_fall_back_to_storage_when_discord_fails(
    tracker: Api, world: World
) -> None:
    await ready(tracker, world)
    world.fake.add_server_errors(500, route="GET /guilds/*/invites", count=None)
    long_ago = (utcnow() - timedelta(hours=2)).isoformat()
    stored: dict[str, dict[str, Any]] = {
        "live": {"max_age": 0},
        "expired": {"max_age": 3600, "created_at": long_ago},
        "spent": {"max_uses": 2, "uses": 2},
    }
    for code, details in stored.items():
        event = {"guild_id": world.guild.id, "invite_code": code, "channel_id": world.channel.id}
        data_of(await tracker.post("/events/invite/create", {**event, **details}))
    data = data_of(await tracker.get("/invite-links", guild_id=world.guild.id))
    assert data["source"] == "stored"
    assert "5xx" in data["note"]
    assert "2 stored invite(s) left out, expired or used up" in data["note"]
    assert [invite["code"] for invite in data["invites"]] == ["live"]


async def test_an_invite_made_for_a_member_credits_that_member(tracker: Api, world: World) -> None:
    """Discord names the bot as the inviter of every invite the service makes. One made for
    a member (who ran the slash command) credits that member: in the join, their stats, their
    privacy entries; erasing them leaves it to the inviter Discord names."""
    fake, guild = world.fake, world.guild.id
    await ready(tracker, world)
    body = {
        "guild_id": guild,
        "channel_id": world.channel.id,
        "max_uses": 0,
        "max_age": 0,
        "is_temporary": False,
        "application_id": None,
        "token": None,
        "inviter_id": str(world.alice.id),
    }
    created = data_of(await tracker.post("/invite", body))
    assert (created["inviter_id"], created["credited_to"]) == (
        str(fake.bot_user.id),
        str(world.alice.id),
    )
    member = await fake.join_via_invite(guild, (await world.user("guest")).id, created["code"])
    decided = await final(tracker, world, (await report(tracker, world, member))["join_id"])

    assert (decided["invite_code"], decided["inviter_id"]) == (created["code"], str(world.alice.id))
    stats = data_of(await tracker.get("/stats/uses", guild_id=guild, inviter_id=world.alice.id))
    assert stats["regular"] == 1
    # listed as the member's invite, with Discord's counter, not only through its join
    assert [f["uses"] is not None for f in stats["invites"] if f["code"] == created["code"]] == [
        True
    ]
    listed = data_of(await tracker.get("/invite-links", guild_id=guild))["invites"]
    assert [i["credited_to"] for i in listed if i["code"] == created["code"]] == [
        str(world.alice.id)
    ]
    entries = data_of(
        await tracker.get(
            "/privacy/get-user-entries", guild_id=guild, privacy_member_id=world.alice.id
        )
    )["entries"]
    assert (entries["invites_created"], entries["joins_as_inviter"]) == (1, 1)

    erase = {"guild_id": guild, "privacy_member_id": str(world.alice.id)}
    data_of(await tracker.delete("/privacy/delete-user-entries", erase))
    later = await fake.join_via_invite(guild, (await world.user("later")).id, created["code"])
    after = await final(tracker, world, (await report(tracker, world, later))["join_id"])
    assert after["inviter_id"] == str(fake.bot_user.id)
