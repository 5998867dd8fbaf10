"""Every request the service sends Discord has Discord's shape (the OpenAPI subset)."""

from __future__ import annotations

import asyncio
import json

import pytest

from invite_tracker.testing.fake_discord import ROUTES
from tests.integration.api.conftest import Api, data_of
from tests.integration.discord.conftest import SPEC_PATH, Spec
from tests.integration.service.conftest import World
from tests.integration.service.test_messages_through_discord import sent, settings_body

WEBHOOK_ROUTES = {
    spec.key for spec in ROUTES if spec.path.startswith(("/webhooks", "/interactions"))
}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_service_speaks_discords_api(tracker: Api, world: World) -> None:
    spec = Spec(json.loads(SPEC_PATH.read_text()))
    fake = world.fake
    guild = world.guild.id
    await tracker.enable(guild)
    await fake.set_vanity(guild, "husqy", uses=3)
    data_of(await tracker.put("/settings", settings_body(world)))
    interaction = await fake.register_interaction(guild_id=guild)
    reply = {"application_id": interaction.application_id, "token": interaction.token}
    body = {
        "guild_id": guild,
        "channel_id": world.channel.id,
        "max_uses": 2,
        "max_age": 0,
        "is_temporary": True,
        **reply,
    }
    created = data_of(await tracker.post("/invite", body))
    data_of(await tracker.get("/invite-links", guild_id=guild))
    member = await world.user("newbie")
    joined = await fake.join_via_invite(guild, member.id, created["code"])
    payload = {"guild_id": guild, "member_id": member.id, "joined_at": joined.joined_at.isoformat()}
    data_of(await tracker.post("/events/join/check-invite", payload))
    await sent(world, 1)
    data_of(
        await tracker.delete(
            "/invite", {"guild_id": guild, "invite_code": created["code"], **reply}
        )
    )
    await asyncio.sleep(0.1)

    requests = fake.requests()
    routes = {request.route for request in requests}
    assert {
        "POST /channels/{channel_id}/invites",
        "DELETE /invites/{code}",
        "GET /guilds/{guild_id}/invites",
        "GET /guilds/{guild_id}/vanity-url",
        "POST /channels/{channel_id}/messages",
        "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original",
        "GET /guilds/{guild_id}",
        "GET /guilds/{guild_id}/members/{user_id}",
        "GET /channels/{channel_id}",
    } <= routes, routes
    for request in requests:
        method, path = request.route.split(" ", 1)
        assert path in spec.document["paths"], request.route
        spec.check_request(path, method, request.body)
        assert request.user_agent is not None
        assert request.user_agent.startswith("DiscordBot (")
        if request.route in WEBHOOK_ROUTES:
            assert request.authorization_scheme is None, request.route
        else:
            assert request.authorization_scheme == "Bot", request.route
        assert "service-test-token" not in json.dumps(request.body)
