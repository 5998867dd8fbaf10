"""The control API over HTTP, the demo world, and `serve_fake_discord` as the CLI runs it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from datetime import UTC, datetime, timedelta

import httpx
from hikari.impl.rest import RESTClientImpl

from invite_tracker.testing import serve_fake_discord
from invite_tracker.testing.fake_discord import FakeDiscord, Permission, seed_demo_world


async def test_building_a_world_and_making_people_join(
    fake: FakeDiscord, control: httpx.AsyncClient, http: httpx.AsyncClient
) -> None:
    index = (await control.get("")).json()
    assert index["api_url"] == fake.api_url
    assert "POST /_fake/guilds/{guild_id}/joins" in index["control_routes"]

    owner = (await control.post("/users", json={"username": "owner"})).json()
    guild = (await control.post("/guilds", json={"name": "G", "owner_id": owner["id"]})).json()
    guild_id = guild["guild"]["id"]
    channel = (await control.post(f"/guilds/{guild_id}/channels", json={"name": "lobby"})).json()
    role = (await control.post(f"/guilds/{guild_id}/roles", json={"name": "Mods"})).json()
    alice = (await control.post("/users", json={"username": "alice"})).json()
    member = await control.post(
        f"/guilds/{guild_id}/members", json={"user_id": alice["id"], "roles": [role["id"]]}
    )
    invite = (
        await control.post(
            f"/channels/{channel['id']}/invites",
            json={"inviter_id": alice["id"], "max_uses": 2, "max_age": 0},
        )
    ).json()
    joined = await control.post(
        f"/guilds/{guild_id}/joins", json={"username": "bob", "code": invite["code"]}
    )
    await control.put(f"/guilds/{guild_id}/vanity", json={"code": "gee", "uses": 1})
    via_vanity = await control.post(
        f"/guilds/{guild_id}/joins", json={"username": "carol", "via": "vanity"}
    )
    discovered = await control.post(
        f"/guilds/{guild_id}/joins", json={"username": "dan", "via": "discovery"}
    )
    left = await control.delete(f"/guilds/{guild_id}/members/{joined.json()['user']['id']}")

    assert member.json()["roles"] == [role["id"]]
    assert joined.json()["source"] == "invite"
    assert joined.json()["inviter_id"] == alice["id"]
    assert via_vanity.json()["source"] == "vanity"
    assert discovered.json()["source"] == "discovery"
    assert left.json()["left"] is True
    listed = (await control.get(f"/guilds/{guild_id}/invites")).json()
    assert [(item["code"], item["uses"]) for item in listed] == [(invite["code"], 1)]
    vanity = (await http.get(f"/guilds/{guild_id}/vanity-url")).json()
    assert vanity == {"code": "gee", "uses": 2}
    events = (await control.get("/events", params={"guild_id": guild_id})).json()
    assert [event["type"] for event in events] == [
        "INVITE_CREATE",
        "GUILD_MEMBER_ADD",
        "GUILD_MEMBER_ADD",
        "GUILD_MEMBER_ADD",
        "GUILD_MEMBER_REMOVE",
    ]
    later = (await control.get("/events", params={"since": 3, "type": "GUILD_MEMBER_ADD"})).json()
    assert [event["seq"] for event in later] == [4]
    whole = (await control.get(f"/guilds/{guild_id}")).json()
    assert len(whole["members"]) == 5  # owner, bot, alice, carol, dan


async def test_permissions_invites_messages_and_interactions(
    fake: FakeDiscord, control: httpx.AsyncClient, http: httpx.AsyncClient
) -> None:
    guild = await fake.create_guild("G")
    channel = await fake.create_channel(guild.id)
    await fake.create_invite(channel.id, code="keepme")
    dropped = await fake.create_invite(channel.id, code="dropme")

    names = await control.put(
        f"/guilds/{guild.id}/bot-permissions", json={"permissions": ["VIEW_CHANNEL"]}
    )
    refused = await http.post(f"/channels/{channel.id}/messages", json={"content": "hi"})
    await control.put(f"/guilds/{guild.id}/bot-permissions", json={"permissions": "ALL"})
    await http.post(
        f"/channels/{channel.id}/messages",
        json={"content": "hi", "allowed_mentions": {"parse": []}},
    )
    deleted = await control.delete(f"/invites/{dropped.code}")
    registered = (
        await control.post(
            "/interactions", json={"guild_id": str(guild.id), "token": "tok", "user_id": "5"}
        )
    ).json()
    await http.patch(
        f"/webhooks/{fake.application_id}/tok/messages/@original", json={"content": "edited"}
    )
    shown = (await control.get(f"/interactions/{registered['id']}")).json()
    messages = (await control.get("/messages", params={"channel_id": str(channel.id)})).json()

    assert names.json() == {"permissions": str(int(Permission.VIEW_CHANNEL))}
    assert refused.json()["code"] == 50013
    assert deleted.json()["code"] == "dropme"
    assert [invite.code for invite in await fake.invites(guild.id)] == ["keepme"]
    assert [m["allowed_mentions"] for m in messages] == [{"parse": []}]
    assert messages[0]["request"] == {"content": "hi", "allowed_mentions": {"parse": []}}
    assert shown["token"] == "tok"
    assert shown["response_type"] == 5
    assert [edit["payload"] for edit in shown["edits"]] == [{"content": "edited"}]
    assert shown["original"]["content"] == "edited"


async def test_faults_limits_stats_and_clock(
    fake: FakeDiscord, control: httpx.AsyncClient, http: httpx.AsyncClient
) -> None:
    guild = await fake.create_guild("G")
    added = await control.post(
        "/faults", json={"kind": "error", "status": 502, "route": "GET /guilds/*", "count": 1}
    )
    failed = await http.get(f"/guilds/{guild.id}")
    limits = await control.put(
        "/rate-limits",
        json={"profile": "strict", "routes": {"GET /users/{user_id}": {"limit": 1, "per": 60}}},
    )
    await http.get(f"/users/{fake.bot_user.id}")
    limited = await http.get(f"/users/{fake.bot_user.id}")
    stats = (await control.get("/stats")).json()
    zeroed = (await control.delete("/stats")).json()
    frozen_at = datetime(2030, 1, 1, tzinfo=UTC)
    set_clock = (await control.post("/clock", json={"set": frozen_at.isoformat()})).json()
    advanced = (await control.post("/clock", json={"advance": 90})).json()
    resumed = (await control.post("/clock", json={"resume": True})).json()
    sticky = await control.post("/faults", json={"kind": "latency", "delay": 0.01, "count": None})
    listed = (await control.get("/faults")).json()
    cleared = (await control.delete(f"/faults/{sticky.json()['id']}")).json()

    assert added.json()["status"] == 502
    assert failed.status_code == 502
    assert limits.json()["profile"] == "strict"
    assert limits.json()["routes"]["GET /users/{user_id}"] == {"limit": 1, "per": 60.0}
    assert limited.status_code == 429
    assert stats["total_rate_limited"] == 1
    assert stats["faults"] == {"error": 1}
    assert stats["statuses"]["GET /guilds/{guild_id} -> 502"] == 1
    assert zeroed["total_requests"] == 0
    assert set_clock == {"now": frozen_at.isoformat(), "frozen": True}
    assert advanced["now"] == (frozen_at + timedelta(seconds=90)).isoformat()
    assert resumed["frozen"] is False
    assert [fault["kind"] for fault in listed] == ["latency"]
    assert cleared == {"cleared": 1}


async def test_control_errors(control: httpx.AsyncClient) -> None:
    unknown_guild = await control.post("/guilds/1/channels", json={"name": "x"})
    bad_id = await control.post("/guilds/abc/channels", json={})
    bad_body = await control.post("/users", content=b"[1, 2]")
    duplicate = await control.post("/users", json={"user_id": "7"})
    again = await control.post("/users", json={"user_id": "7"})
    bad_fault = await control.post("/faults", json={"kind": "meteor"})

    assert (unknown_guild.status_code, unknown_guild.json()["code"]) == (404, 10004)
    assert bad_id.status_code == 400
    assert bad_body.status_code == 400
    assert duplicate.status_code == 200
    assert again.status_code == 409
    assert bad_fault.status_code == 400


async def test_reset_starts_over(fake: FakeDiscord, control: httpx.AsyncClient) -> None:
    await fake.create_guild("old")
    fake.add_latency(0.01)

    response = await control.post("/reset", json={"seed": 1})

    assert response.status_code == 200
    assert fake.world.guilds == {}
    assert fake.faults() == []
    assert (await control.get("/world")).json()["guilds"] == []


async def test_the_demo_world_works_with_hikari(fake: FakeDiscord, rest: RESTClientImpl) -> None:
    ids = await seed_demo_world(fake)
    guild_id = int(ids["guild_id"])

    invites = {invite.code: invite for invite in await rest.fetch_guild_invites(guild_id)}
    vanity = await rest.fetch_vanity_url(guild_id)
    members = [m for m in fake.world.members if m[0] == guild_id]

    assert set(invites) == {"DemoAlice", "DemoBob1", "DemoBot"}
    assert getattr(invites["DemoAlice"], "uses", None) == 1
    assert (vanity.code, vanity.uses) == ("husqy-demo", 3)
    assert len(members) == 5  # owner, bot, alice, bob, carol


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_serve_fake_discord_runs_until_cancelled() -> None:
    port = _free_port()
    server = asyncio.create_task(serve_fake_discord("127.0.0.1", port, "cli-token"))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(100):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get("/_fake")).status_code == 200:
                        break
                await asyncio.sleep(0.02)
            world = (await client.get("/_fake/world")).json()
            invites = await client.get(
                f"/api/v10/guilds/{world['guilds'][0]['guild']['id']}/invites",
                headers={"Authorization": "Bot cli-token"},
            )
    finally:
        server.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await server

    assert world["guilds"][0]["guild"]["name"] == "Husqy Demo"
    assert invites.status_code == 200
    assert server.cancelled()
