"""How invite requests through the fake Discord meet Discord's refusals, failures and limits."""

from __future__ import annotations

import time

from invite_tracker.api.app import create_app
from invite_tracker.db.session import Database
from invite_tracker.testing.fake_discord import FakeDiscord, Permission
from tests.integration.api.conftest import Api, data_of, error_of, running_app
from tests.integration.service.conftest import World, discord_settings
from tests.integration.service.test_invites_through_discord import new_invite


async def test_discord_refusals_are_422_with_discords_code(tracker: Api, world: World) -> None:
    await tracker.enable(world.guild.id)
    unknown_channel = new_invite(world, channel_id=123456789)
    error = error_of(
        await tracker.post("/invite", unknown_channel), 422, "UnprocessableEntityError"
    )
    assert "10003" in error["message"]
    unknown_invite = {
        "guild_id": world.guild.id,
        "invite_code": "nope123",
        "application_id": None,
        "token": None,
    }
    error = error_of(
        await tracker.delete("/invite", unknown_invite), 422, "UnprocessableEntityError"
    )
    assert "10006" in error["message"]
    await world.fake.set_bot_permissions(world.guild.id, int(Permission.VIEW_CHANNEL))
    error = error_of(
        await tracker.post("/invite", new_invite(world)), 422, "UnprocessableEntityError"
    )
    assert "50013" in error["message"]


async def test_a_slash_command_is_told_why_its_request_failed(tracker: Api, world: World) -> None:
    """Without an answer the user's command would say "thinking" until its token runs out."""
    await tracker.enable(world.guild.id)
    fake = world.fake
    refused = await fake.register_interaction(guild_id=world.guild.id)
    hook = {"application_id": refused.application_id, "token": refused.token}
    unknown = {"guild_id": world.guild.id, "invite_code": "nope123", **hook}
    error_of(await tracker.delete("/invite", unknown), 422, "UnprocessableEntityError")
    (told,) = fake.interaction(refused.id).edits
    assert told.payload["content"].startswith("Could not delete the invite: ")
    assert "10006" in told.payload["content"]

    too_many = await fake.register_interaction(guild_id=world.guild.id)
    body = new_invite(
        world, max_uses=101, application_id=too_many.application_id, token=too_many.token
    )
    error_of(await tracker.post("/invite", body), 422, "UnprocessableEntityError")
    (told,) = fake.interaction(too_many.id).edits
    assert told.payload["content"].startswith("Could not create the invite: max_uses")

    down = await fake.register_interaction(guild_id=world.guild.id)
    fake.add_server_errors(502, route="POST /channels/*/invites", count=None)
    body = new_invite(world, application_id=down.application_id, token=down.token)
    error_of(await tracker.post("/invite", body), 502, "DiscordApiInteractionError")
    (told,) = fake.interaction(down.id).edits
    assert told.payload["content"].startswith("Could not create the invite: Discord answered 502")


async def test_transient_5xx_and_dropped_connections_are_retried(
    tracker: Api, world: World
) -> None:
    await tracker.enable(world.guild.id)
    world.fake.add_server_errors(503, route="POST /channels/*/invites", count=1)
    data_of(await tracker.post("/invite", new_invite(world)))
    world.fake.drop_connections(route="POST /channels/*/invites", count=1)
    data_of(await tracker.post("/invite", new_invite(world)))
    assert world.fake.stats.faults["error"] == 1


async def test_a_create_whose_answer_was_lost_leaves_one_invite(tracker: Api, world: World) -> None:
    """Discord made the invite but the connection dropped before its answer: made again
    blindly, a second invite would be left on Discord, credited to the bot and known to
    nobody. The channel's invites tell it was made; that one is the answer, and stored."""
    await tracker.enable(world.guild.id)
    before = {invite.code for invite in await world.fake.invites(world.guild.id)}
    world.fake.drop_connections(route="POST /channels/*/invites", after_processing=True)
    created = data_of(await tracker.post("/invite", new_invite(world, max_uses=2)))
    after = {invite.code for invite in await world.fake.invites(world.guild.id)}
    assert after - before == {created["code"]}
    assert (created["max_uses"], created["max_age"]) == (2, 3600)
    assert world.fake.stats.requests["POST /channels/{channel_id}/invites"] == 1
    listed = data_of(await tracker.get("/invite-links", guild_id=world.guild.id))
    assert created["code"] in [i["code"] for i in listed["invites"]]


async def test_a_lost_answer_that_cannot_be_checked_is_not_made_again(
    tracker: Api, world: World
) -> None:
    """When the channel's invites cannot be read either, nothing tells whether the invite
    was made: the answer says so, and no second invite is risked."""
    await tracker.enable(world.guild.id)
    before = len(await world.fake.invites(world.guild.id))
    world.fake.drop_connections(route="POST /channels/*/invites", after_processing=True)
    world.fake.add_server_errors(503, route="GET /channels/*/invites", count=None)
    error = error_of(
        await tracker.post("/invite", new_invite(world)), 502, "DiscordApiInteractionError"
    )
    assert "see /invite-links before making another" in error["message"]
    assert len(await world.fake.invites(world.guild.id)) == before + 1
    assert world.fake.stats.requests["POST /channels/{channel_id}/invites"] == 1


async def test_a_delete_whose_answer_was_lost_is_done_and_remembered(
    tracker: Api, world: World
) -> None:
    """Discord deleted the invite but the connection dropped before its answer: the retry
    meets 10006 Unknown Invite. The delete is done, and staff are remembered as its cause."""
    await tracker.enable(world.guild.id)
    created = data_of(await tracker.post("/invite", new_invite(world)))
    world.fake.drop_connections(route="DELETE /invites/*", after_processing=True)
    body = {
        "guild_id": world.guild.id,
        "invite_code": created["code"],
        "application_id": None,
        "token": None,
    }
    gone = data_of(await tracker.delete("/invite", body))
    assert (gone["active"], gone["deleted_reason"]) == (False, "deleted_by_staff")
    assert await world.fake.invites(world.guild.id) == []
    assert world.fake.stats.statuses["DELETE /invites/{code} -> 404"] == 1, (
        world.fake.stats.statuses
    )
    again = error_of(await tracker.delete("/invite", body), 422, "UnprocessableEntityError")
    assert "10006" in again["message"]  # an invite that is not there is still refused


async def test_persistent_5xx_becomes_discord_error(tracker: Api, world: World) -> None:
    await tracker.enable(world.guild.id)
    world.fake.add_server_errors(502, route="POST /channels/*/invites", count=None)
    error = error_of(
        await tracker.post("/invite", new_invite(world)), 502, "DiscordApiInteractionError"
    )
    assert error["code"] == 804
    assert "Discord answered 502" in error["message"]
    assert world.fake.stats.statuses["POST /channels/{channel_id}/invites -> 502"] >= 2


async def test_a_hanging_discord_is_given_up_on_in_bounded_time(
    database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    settings = discord_settings(
        database_url, fake, discord_timeout_seconds=0.3, discord_max_wait_seconds=1.0
    )
    app = create_app(settings, database=database)
    async for client in running_app(app):
        api = Api(client)
        await api.enable(world.guild.id)
        fake.add_timeouts(route="POST /channels/*/invites", count=None, hold=30)
        started = time.monotonic()
        error_of(await api.post("/invite", new_invite(world)), 502, "DiscordApiInteractionError")
        assert time.monotonic() - started < 5


async def test_a_429_storm_is_waited_out(tracker: Api, world: World) -> None:
    await tracker.enable(world.guild.id)
    world.fake.add_rate_limit_storm(route="POST /channels/*/invites", count=2, retry_after=0.2)
    started = time.monotonic()
    data_of(await tracker.post("/invite", new_invite(world)))
    assert time.monotonic() - started >= 0.2  # retry_after was honoured
    assert world.fake.stats.rate_limited["POST /channels/{channel_id}/invites"] == 2


async def test_the_service_stays_within_a_bucket(tracker: Api, world: World) -> None:
    await tracker.enable(world.guild.id)
    world.fake.set_route_limit("POST /channels/{channel_id}/invites", 2, per=0.5)
    for _ in range(5):
        data_of(await tracker.post("/invite", new_invite(world)))
    assert world.fake.stats.rate_limited["POST /channels/{channel_id}/invites"] == 0
