"""Join and leave messages and the preview, rendered from the fake Discord's data."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from invite_tracker.api.app import create_app
from invite_tracker.api.routes.settings import SettingsIn
from invite_tracker.clock import utcnow
from invite_tracker.db.session import Database
from invite_tracker.testing.fake_discord import Message
from tests.integration.api.conftest import Api, data_of, error_of, running_app
from tests.integration.service.conftest import World, discord_settings
from tests.integration.service.test_attribution import final, report

MESSAGES_ROUTE = "POST /channels/{channel_id}/messages"
HOSTILE = '"}]\\ <@&1> @everyone **bold** ${x} {{y}} <user_mention> `code`'


def settings_body(world: World, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "guild_id": world.guild.id,
        "join_messages_enabled": True,
        "join_messages_channel": world.channel.id,
        "join_message_content": json.dumps(
            {
                "content": "<user_mention>",
                "title": "Welcome <user_display_name>!",
                "description": "Invited by <inviter_display_name> (<inviter_mention>), "
                "now at <current_invite_count> invites, via <invite_code> in <channel_mention>",
                "footer": {"text": "<server_name>"},
            }
        ),
        "join_message_is_embed": True,
        "leave_messages_enabled": True,
        "leave_messages_channel": world.channel.id,
        "leave_message_content": "<user_display_name> left; <inviter_mention> invited them",
        "leave_message_is_embed": False,
        "prevent_own_invite_code": False,
        "server_shared_invite_link": None,
    }
    body.update(changes)
    return body


async def sent(world: World, count: int) -> list[Message]:
    for _ in range(100):
        messages = world.fake.messages(world.channel.id)
        if len(messages) >= count:
            return messages
        await asyncio.sleep(0.05)
    return world.fake.messages(world.channel.id)


async def test_join_and_leave_messages_are_sent_with_safe_names(tracker: Api, world: World) -> None:
    fake = world.fake
    await tracker.enable(world.guild.id)
    data_of(await tracker.put("/settings", settings_body(world)))
    inviter = await world.user("host", global_name=HOSTILE)
    await fake.add_member(world.guild.id, inviter.id)
    invite = await fake.create_invite(world.channel.id, inviter_id=inviter.id)
    data_of(await tracker.get("/invite-links", guild_id=world.guild.id))  # baseline includes it
    newcomer = await world.user("newbie", global_name="New <@&1> @here")
    member = await fake.join_via_invite(world.guild.id, newcomer.id, invite.code)
    joined = data_of(
        await tracker.post(
            "/events/join/check-invite",
            {
                "guild_id": world.guild.id,
                "member_id": newcomer.id,
                "joined_at": member.joined_at.isoformat(),
            },
        )
    )
    assert (joined["join_type"], joined["invite_code"]) == ("invite", invite.code)

    (message,) = await sent(world, 1)
    embed = message.embeds[0]
    assert message.content == f"<@{newcomer.id}>"
    assert embed["title"] == "Welcome New \\<@&1\\> @\u200bhere!"
    assert f"(<@{inviter.id}>)" in embed["description"]
    assert "now at 1 invites" in embed["description"]
    assert f"via {invite.code} in <#{world.channel.id}>" in embed["description"]
    assert "@everyone" not in json.dumps(message.embeds).replace("@\\u200beveryone", "")
    mentions = message.allowed_mentions or {}
    assert mentions["parse"] == []  # no @everyone, @here or role pings
    assert set(mentions["users"]) == {str(newcomer.id), str(inviter.id)}
    assert not mentions.get("roles")
    assert message.mention_everyone is False
    assert message.mention_role_ids == []

    await fake.leave(world.guild.id, newcomer.id)
    left = data_of(
        await tracker.post(
            "/events/leave/check-invite", {"guild_id": world.guild.id, "member_id": newcomer.id}
        )
    )
    assert left["counted"] is True
    messages = await sent(world, 2)
    assert messages[1].content.endswith(f"<@{inviter.id}> invited them")


async def test_a_leave_message_names_the_member_and_inviter_who_left(
    tracker: Api, world: World
) -> None:
    """Discord knows a member who left only as a user: the leave message still says who
    left, and who invited them though the inviter left too. (Join messages are off, so
    nothing about the member was read and kept before.)"""
    fake = world.fake
    await tracker.enable(world.guild.id)
    goodbye = "<user_display_name> left; invited by <inviter_display_name>"
    body = settings_body(world, join_messages_enabled=False, leave_message_content=goodbye)
    data_of(await tracker.put("/settings", body))
    inviter = await world.user("host", global_name="Host")
    await fake.add_member(world.guild.id, inviter.id)
    invite = await fake.create_invite(world.channel.id, inviter_id=inviter.id)
    data_of(await tracker.get("/invite-links", guild_id=world.guild.id))  # baseline includes it
    newcomer = await world.user("newbie", global_name="Newbie")
    member = await fake.join_via_invite(world.guild.id, newcomer.id, invite.code)
    joined = await final(tracker, world, (await report(tracker, world, member))["join_id"])
    assert joined["inviter_id"] == str(inviter.id)
    await fake.leave(world.guild.id, inviter.id)
    await fake.leave(world.guild.id, newcomer.id)
    left = {"guild_id": world.guild.id, "member_id": newcomer.id}
    data_of(await tracker.post("/events/leave/check-invite", left))
    (message,) = await sent(world, 1)
    assert message.content == "Newbie left; invited by Host"


async def test_a_leave_while_the_join_is_pending_names_the_inviter_once_credited(
    database: Database, database_url: str, world: World
) -> None:
    """A member who leaves a moment after joining (a raider, often) leaves before their join
    is credited: the leave message waits for it, to say who invited them. (A 2 s margin keeps
    the join pending while the leave comes.)"""
    settings = discord_settings(
        database_url, world.fake, attribution_margin_seconds=2.0, attribution_wait_seconds=5.0
    )
    async for client in running_app(create_app(settings, database=database)):
        await _leave_while_pending(Api(client), world)


async def _leave_while_pending(tracker: Api, world: World) -> None:
    fake = world.fake
    await tracker.enable(world.guild.id)
    data_of(await tracker.put("/settings", settings_body(world)))
    invite = await fake.create_invite(world.channel.id, inviter_id=world.bob.id)
    data_of(await tracker.get("/invite-links", guild_id=world.guild.id))  # baseline includes it
    newcomer = await world.user("brief")
    member = await fake.join_via_invite(world.guild.id, newcomer.id, invite.code)
    report = {"guild_id": world.guild.id, "member_id": newcomer.id}
    joining = asyncio.create_task(
        tracker.post(
            "/events/join/check-invite", {**report, "joined_at": member.joined_at.isoformat()}
        )
    )
    for _ in range(100):  # the join is stored, not yet credited
        log = data_of(await tracker.get("/joins", guild_id=world.guild.id))["joins"]
        if log:
            break
        await asyncio.sleep(0.01)
    await fake.leave(world.guild.id, newcomer.id)
    left = data_of(await tracker.post("/events/leave/check-invite", report))
    assert left["inviter_id"] is None  # not known yet when the leave came
    joined = data_of(await joining)

    # both are final at once: posted in either order, or combined into one message
    leave_text = f"left; <@{world.bob.id}> invited them"
    for _ in range(100):
        messages = world.fake.messages(world.channel.id)
        contents = "\n".join(message.content or "" for message in messages)
        if leave_text in contents and any(message.embeds for message in messages):
            break
        await asyncio.sleep(0.05)
    (embed,) = [embed for message in messages for embed in message.embeds]
    assert joined["inviter_id"] == str(world.bob.id)
    assert f"(<@{world.bob.id}>)" in embed["description"]
    assert leave_text in contents


async def test_a_failed_send_does_not_fail_the_join(tracker: Api, world: World) -> None:
    fake = world.fake
    await tracker.enable(world.guild.id)
    data_of(await tracker.put("/settings", settings_body(world)))
    fake.add_server_errors(500, route="POST /channels/*/messages", count=None)
    newcomer = await world.user("newbie")
    await fake.join_without_invite(world.guild.id, newcomer.id)
    joined = data_of(
        await tracker.post(
            "/events/join/check-invite", {"guild_id": world.guild.id, "member_id": newcomer.id}
        )
    )
    assert joined["join_type"] in {"unknown", "pending"}
    assert fake.messages(world.channel.id) == []


async def test_preview_renders_without_sending(tracker: Api, world: World) -> None:
    await tracker.enable(world.guild.id)
    data_of(await tracker.put("/settings", settings_body(world)))
    body = {
        "guild_id": world.guild.id,
        "kind": "join",
        "member_id": world.alice.id,
        "inviter_id": world.bob.id,
        "invite_code": "abc",
    }
    preview = data_of(await tracker.post("/messages/preview", body))
    assert preview["discord_data"] is True
    assert preview["embeds"][0]["title"] == "Welcome Alice!"
    assert "Invited by Bob" in preview["embeds"][0]["description"]
    assert preview["embeds"][0]["footer"]["text"] == "Husqy Test"
    assert world.fake.messages() == []
    plain = data_of(
        await tracker.post(
            "/messages/preview",
            {
                **body,
                "kind": "leave",
                "member_id": 999,
                "template": "<user_display_name> / <channel_name>",
            },
        )
    )
    assert plain["content"] == "Unknown / <channel_name>"  # unknown member; no channel family
    as_settings_say = {**body, "template": '{"title": "<invite_code>"}', "is_embed": 1}
    embed = data_of(await tracker.post("/messages/preview", as_settings_say))
    assert embed["embeds"][0]["title"] == "abc"  # `is_embed` takes 0 and 1, like settings


async def test_preview_needs_a_template(tracker: Api, world: World) -> None:
    await tracker.enable(world.guild.id)
    body = {"guild_id": world.guild.id, "kind": "join"}
    error = error_of(await tracker.post("/messages/preview", body), 422, "UnprocessableEntityError")
    assert "template" in error["message"]
    bad = {**body, "template": "{", "is_embed": True}
    error_of(await tracker.post("/messages/preview", bad), 422, "UnprocessableEntityError")


async def test_settings_take_only_a_channel_of_this_server_the_bot_can_see(
    tracker: Api, world: World
) -> None:
    """Settings name channels by id alone, and the bot is in other servers."""
    fake = world.fake
    other = await fake.create_guild("Elsewhere")
    lobby = await fake.create_channel(other.id, "lobby")
    await tracker.enable(world.guild.id)
    refused = {
        "join_messages_channel": (lobby.id, "is not in this server"),
        "leave_messages_channel": (123456789, "10003"),  # unknown to Discord
    }
    for field, (channel_id, why) in refused.items():
        body = settings_body(world, **{field: channel_id})
        error = error_of(await tracker.put("/settings", body), 422, "UnprocessableEntityError")
        assert error["message"].startswith(f"Unprocessable Entity! {field}: ")
        assert why in error["message"]
    # a disabled kind's channel is not used, so not asked about
    off = settings_body(world, leave_messages_enabled=False, leave_messages_channel=lobby.id)
    assert data_of(await tracker.put("/settings", off))["leave_messages_channel"] == str(lobby.id)
    # Discord unreachable: stored unchecked (each message is checked when sent)
    fake.add_server_errors(503, route="GET /channels/*", count=None)
    hall = await fake.create_channel(other.id, "hall")  # not read yet (reads are cached)
    elsewhere = settings_body(world, join_messages_channel=hall.id)
    stored = data_of(await tracker.put("/settings", elsewhere))
    assert stored["join_messages_channel"] == str(hall.id)


async def test_no_message_or_preview_for_a_channel_of_another_server(
    tracker: Api, world: World, database: Database
) -> None:
    """A guild's join and leave messages are never posted in another server's channel, even
    when its settings name one (stored while Discord could not be asked)."""
    fake = world.fake
    other = await fake.create_guild("Elsewhere")
    lobby = await fake.create_channel(other.id, "lobby")
    await tracker.enable(world.guild.id)
    elsewhere = {"join_messages_channel": lobby.id, "leave_messages_channel": lobby.id}
    await _store_settings(database, world, settings_body(world, **elsewhere))
    newcomer = await world.user("newbie")
    await fake.join_without_invite(world.guild.id, newcomer.id)
    report = {"guild_id": world.guild.id, "member_id": newcomer.id}
    joined = data_of(await tracker.post("/events/join/check-invite", report))
    await fake.leave(world.guild.id, newcomer.id)
    data_of(await tracker.post("/events/leave/check-invite", report))
    preview = {"guild_id": world.guild.id, "kind": "join", "member_id": newcomer.id}
    error = error_of(
        await tracker.post("/messages/preview", preview), 422, "UnprocessableEntityError"
    )

    assert f"channel {lobby.id} is not in this server" in error["message"]
    for _ in range(40):  # the join's message waits for its final attribution
        final = data_of(await tracker.get("/joins", guild_id=world.guild.id))["joins"][0]
        if final["join_type"] != "pending":
            break
        await asyncio.sleep(0.05)
    assert joined["member_id"] == final["member_id"] == str(newcomer.id)
    assert final["join_type"] == "unknown"
    # The same messages to this server's channel are sent: only the other server's were not.
    data_of(await tracker.put("/settings", settings_body(world)))
    again = {"guild_id": world.guild.id, "member_id": (await world.user("second")).id}
    await fake.join_without_invite(world.guild.id, again["member_id"])
    data_of(await tracker.post("/events/join/check-invite", again))
    (message,) = await sent(world, 1)
    assert message.content == f"<@{again['member_id']}>"
    assert fake.messages(lobby.id) == []


async def _store_settings(database: Database, world: World, body: dict[str, Any]) -> None:
    """Store settings as they are, past the API's checks (as if stored while Discord could
    not be asked)."""
    values = SettingsIn.model_validate(body).values()
    async with database.unit_of_work() as uow:
        assert await uow.settings.replace_values_if_enabled(world.guild.id, values, now=utcnow())
        await uow.commit()


async def test_a_burst_of_joins_welcomes_every_member_within_the_channels_rate_limit(
    tracker: Api, world: World
) -> None:
    """Forty joins in two seconds, a channel that takes two messages per two seconds: every
    member is welcomed once, in few messages, and Discord never answers 429."""
    fake = world.fake
    fake.set_route_limit(MESSAGES_ROUTE, 2, 2.0)
    await tracker.enable(world.guild.id)
    template = "Welcome <user_mention>, invited by <inviter_mention>"
    body = settings_body(world, join_message_content=template, join_message_is_embed=False)
    data_of(await tracker.put("/settings", body))
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    data_of(await tracker.get("/invite-links", guild_id=world.guild.id))  # the baseline
    newcomers = [await world.user(f"raider{n}") for n in range(40)]

    async def join(index: int, user_id: int) -> None:
        await asyncio.sleep(index * 0.05)
        member = await fake.join_via_invite(world.guild.id, user_id, invite.code)
        joined_at = member.joined_at.isoformat()
        event = {"guild_id": world.guild.id, "member_id": user_id, "joined_at": joined_at}
        data_of(await tracker.post("/events/join/check-invite", event))

    await asyncio.gather(*(join(n, user.id) for n, user in enumerate(newcomers)))
    welcomed: list[str] = []
    posted: list[Message] = []
    for _ in range(200):  # the last messages wait for the channel's bucket
        posted = world.fake.messages(world.channel.id)
        welcomed = [line for m in posted for line in (m.content or "").split("\n")]
        if len(welcomed) >= len(newcomers):
            break
        await asyncio.sleep(0.05)
    expected = {f"Welcome <@{user.id}>, invited by <@{world.alice.id}>" for user in newcomers}
    assert sorted(welcomed) == sorted(expected)  # each once
    assert len(posted) < 10
    assert fake.stats.rate_limited[MESSAGES_ROUTE] == 0
