"""The cases `test_fake_discord_openapi.py` checks against Discord's spec: one call per route
and per error the fake answers, each with the path, method and status it must show."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from invite_tracker.testing.fake_discord import (
    ChannelType,
    FakeDiscord,
    Guild,
    Interaction,
    Invite,
)


@dataclass
class Scene:
    """A small world every case starts from."""

    guild: Guild
    plain_guild: Guild
    text: int
    voice: int
    category: int
    alice: int
    invite: Invite
    deferred: Interaction
    fresh: Interaction


async def build_scene(fake: FakeDiscord) -> Scene:
    """The small world every case starts from, in a fresh fake."""
    guild = await fake.create_guild("Spec Guild")
    plain = await fake.create_guild("No Vanity")
    category = await fake.create_channel(guild.id, "c", channel_type=ChannelType.GUILD_CATEGORY)
    text = await fake.create_channel(guild.id, "general", parent_id=category.id, topic="hi")
    voice = await fake.create_channel(guild.id, "voice", channel_type=ChannelType.GUILD_VOICE)
    await fake.create_role(guild.id, "Mods", permissions=["MANAGE_GUILD"], color=0xFF0000)
    alice = await fake.create_user("alice", global_name="Alice")
    await fake.add_member(guild.id, alice.id, nick="al")
    invite = await fake.create_invite(text.id, inviter_id=alice.id, max_uses=5, max_age=3600)
    await fake.set_vanity(guild.id, "spec-vanity", uses=4)
    # run by alice: the replies answered say so (`interaction_metadata`)
    deferred = await fake.register_interaction(guild_id=guild.id, user_id=alice.id)
    fresh = await fake.register_interaction(guild_id=guild.id, acknowledged=False)
    return Scene(guild, plain, text.id, voice.id, category.id, alice.id, invite, deferred, fresh)


Call = Callable[[FakeDiscord, httpx.AsyncClient, Scene], Awaitable[httpx.Response]]
ORIGINAL = "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
EMBED = {
    "title": "Joined",
    "description": "Welcome",
    "color": 0x00FF00,
    "fields": [{"name": "Inviter", "value": "alice", "inline": True}],
    "footer": {"text": "invite-tracker"},
    "author": {"name": "bot"},
    "timestamp": "2025-01-01T00:00:00+00:00",
}


def _hook(fake: FakeDiscord, interaction: Interaction, suffix: str = "") -> str:
    return f"/webhooks/{fake.application_id}/{interaction.token}{suffix}"


async def _no_permissions(fake: FakeDiscord, scene: Scene) -> None:
    await fake.set_bot_permissions(scene.guild.id, 0)


async def _case_delete_then_get(
    fake: FakeDiscord, http: httpx.AsyncClient, scene: Scene
) -> httpx.Response:
    await http.delete(_hook(fake, scene.deferred, "/messages/@original"))
    return await http.get(_hook(fake, scene.deferred, "/messages/@original"))


async def _case_expired_token(
    fake: FakeDiscord, http: httpx.AsyncClient, scene: Scene
) -> httpx.Response:
    await fake.advance_clock(15 * 60 + 1)
    return await http.patch(_hook(fake, scene.deferred, "/messages/@original"), json={})


async def _case_forbidden(
    fake: FakeDiscord, http: httpx.AsyncClient, scene: Scene
) -> httpx.Response:
    await _no_permissions(fake, scene)
    return await http.get(f"/guilds/{scene.guild.id}/invites")


async def _case_audit_log_only(
    fake: FakeDiscord, http: httpx.AsyncClient, scene: Scene
) -> httpx.Response:
    await fake.set_bot_permissions(scene.guild.id, ["VIEW_AUDIT_LOG"])
    return await http.get(f"/guilds/{scene.guild.id}/invites")


async def _case_missing_access(
    fake: FakeDiscord, http: httpx.AsyncClient, scene: Scene
) -> httpx.Response:
    await _no_permissions(fake, scene)
    return await http.post(f"/channels/{scene.text}/messages", json={"content": "x"})


async def _case_rate_limited(
    fake: FakeDiscord, http: httpx.AsyncClient, scene: Scene
) -> httpx.Response:
    fake.set_route_limit("GET /users/{user_id}", 1, per=60)
    await http.get(f"/users/{scene.alice}")
    return await http.get(f"/users/{scene.alice}")


async def _case_double_callback(
    fake: FakeDiscord, http: httpx.AsyncClient, scene: Scene
) -> httpx.Response:
    url = f"/interactions/{scene.fresh.id}/{scene.fresh.token}/callback"
    await http.post(url, json={"type": 5})
    return await http.post(url, json={"type": 5})


CASES: dict[str, tuple[str, str, int, Call]] = {
    "guild invites": (
        "/guilds/{guild_id}/invites",
        "GET",
        200,
        lambda f, h, s: h.get(f"/guilds/{s.guild.id}/invites"),
    ),
    "guild invites without metadata": (
        "/guilds/{guild_id}/invites",
        "GET",
        200,
        _case_audit_log_only,
    ),
    "channel invites": (
        "/channels/{channel_id}/invites",
        "GET",
        200,
        lambda f, h, s: h.get(f"/channels/{s.text}/invites"),
    ),
    "create invite, empty body": (
        "/channels/{channel_id}/invites",
        "POST",
        200,
        lambda f, h, s: h.post(f"/channels/{s.text}/invites", json={}),
    ),
    "create invite, every field": (
        "/channels/{channel_id}/invites",
        "POST",
        200,
        lambda f, h, s: h.post(
            f"/channels/{s.text}/invites",
            json={"max_age": 0, "max_uses": 100, "temporary": True, "unique": True},
        ),
    ),
    "get invite with counts, no token": (
        "/invites/{code}",
        "GET",
        200,
        lambda f, h, s: h.get(
            f"/invites/{s.invite.code}",
            params={"with_counts": "true"},
            headers={"Authorization": ""},
        ),
    ),
    "delete invite": (
        "/invites/{code}",
        "DELETE",
        200,
        lambda f, h, s: h.delete(f"/invites/{s.invite.code}"),
    ),
    "vanity": (
        "/guilds/{guild_id}/vanity-url",
        "GET",
        200,
        lambda f, h, s: h.get(f"/guilds/{s.guild.id}/vanity-url"),
    ),
    "no vanity": (
        "/guilds/{guild_id}/vanity-url",
        "GET",
        200,
        lambda f, h, s: h.get(f"/guilds/{s.plain_guild.id}/vanity-url"),
    ),
    "message": (
        "/channels/{channel_id}/messages",
        "POST",
        200,
        lambda f, h, s: h.post(
            f"/channels/{s.text}/messages",
            json={
                "content": f"<@{s.alice}> joined",
                "embeds": [EMBED],
                "allowed_mentions": {"parse": [], "users": [str(s.alice)]},
            },
        ),
    ),
    "callback with response": (
        "/interactions/{interaction_id}/{interaction_token}/callback",
        "POST",
        200,
        lambda f, h, s: h.post(
            f"/interactions/{s.fresh.id}/{s.fresh.token}/callback",
            params={"with_response": "true"},
            json={"type": 4, "data": {"content": "hi", "flags": 64}},
        ),
    ),
    "deferred callback with response": (
        "/interactions/{interaction_id}/{interaction_token}/callback",
        "POST",
        200,
        lambda f, h, s: h.post(
            f"/interactions/{s.fresh.id}/{s.fresh.token}/callback",
            params={"with_response": "true"},
            json={"type": 5},
        ),
    ),
    "callback": (
        "/interactions/{interaction_id}/{interaction_token}/callback",
        "POST",
        204,
        lambda f, h, s: h.post(
            f"/interactions/{s.fresh.id}/{s.fresh.token}/callback", json={"type": 5}
        ),
    ),
    "follow-up": (
        "/webhooks/{webhook_id}/{webhook_token}",
        "POST",
        200,
        lambda f, h, s: h.post(
            _hook(f, s.deferred), params={"wait": "true"}, json={"embeds": [EMBED]}
        ),
    ),
    "get original": (
        ORIGINAL,
        "GET",
        200,
        lambda f, h, s: h.get(_hook(f, s.deferred, "/messages/@original")),
    ),
    "edit original": (
        ORIGINAL,
        "PATCH",
        200,
        lambda f, h, s: h.patch(
            _hook(f, s.deferred, "/messages/@original"), json={"content": "done", "embeds": [EMBED]}
        ),
    ),
    "delete original": (
        ORIGINAL,
        "DELETE",
        204,
        lambda f, h, s: h.delete(_hook(f, s.deferred, "/messages/@original")),
    ),
    "guild with counts": (
        "/guilds/{guild_id}",
        "GET",
        200,
        lambda f, h, s: h.get(f"/guilds/{s.guild.id}", params={"with_counts": "true"}),
    ),
    "member": (
        "/guilds/{guild_id}/members/{user_id}",
        "GET",
        200,
        lambda f, h, s: h.get(f"/guilds/{s.guild.id}/members/{s.alice}"),
    ),
    "text channel": (
        "/channels/{channel_id}",
        "GET",
        200,
        lambda f, h, s: h.get(f"/channels/{s.text}"),
    ),
    "voice channel": (
        "/channels/{channel_id}",
        "GET",
        200,
        lambda f, h, s: h.get(f"/channels/{s.voice}"),
    ),
    "category": (
        "/channels/{channel_id}",
        "GET",
        200,
        lambda f, h, s: h.get(f"/channels/{s.category}"),
    ),
    "user": ("/users/{user_id}", "GET", 200, lambda f, h, s: h.get(f"/users/{s.alice}")),
    "bot user": ("/users/{user_id}", "GET", 200, lambda f, h, s: h.get(f"/users/{f.bot_user.id}")),
    "roles": (
        "/guilds/{guild_id}/roles",
        "GET",
        200,
        lambda f, h, s: h.get(f"/guilds/{s.guild.id}/roles"),
    ),
    # errors
    "401 bad token": (
        "/guilds/{guild_id}/invites",
        "GET",
        401,
        lambda f, h, s: h.get(f"/guilds/{s.guild.id}/invites", headers={"Authorization": "Bot no"}),
    ),
    "10004 unknown guild": ("/guilds/{guild_id}", "GET", 404, lambda f, h, s: h.get("/guilds/42")),
    "10003 unknown channel": (
        "/channels/{channel_id}",
        "GET",
        404,
        lambda f, h, s: h.get("/channels/42"),
    ),
    "10006 unknown invite": ("/invites/{code}", "GET", 404, lambda f, h, s: h.get("/invites/nope")),
    "10007 unknown member": (
        "/guilds/{guild_id}/members/{user_id}",
        "GET",
        404,
        lambda f, h, s: h.get(f"/guilds/{s.guild.id}/members/42"),
    ),
    "10013 unknown user": ("/users/{user_id}", "GET", 404, lambda f, h, s: h.get("/users/42")),
    "10015 unknown webhook": (
        ORIGINAL,
        "PATCH",
        404,
        lambda f, h, s: h.patch(f"/webhooks/{f.application_id}/nope/messages/@original", json={}),
    ),
    "10062 unknown interaction": (
        "/interactions/{interaction_id}/{interaction_token}/callback",
        "POST",
        404,
        lambda f, h, s: h.post("/interactions/42/nope/callback", json={"type": 5}),
    ),
    "10008 unknown message": (ORIGINAL, "GET", 404, _case_delete_then_get),
    "40060 already acknowledged": (
        "/interactions/{interaction_id}/{interaction_token}/callback",
        "POST",
        400,
        _case_double_callback,
    ),
    "50027 expired token": (ORIGINAL, "PATCH", 401, _case_expired_token),
    "50013 missing permissions": ("/guilds/{guild_id}/invites", "GET", 403, _case_forbidden),
    "50001 missing access": ("/channels/{channel_id}/messages", "POST", 403, _case_missing_access),
    "50035 max_age": (
        "/channels/{channel_id}/invites",
        "POST",
        400,
        lambda f, h, s: h.post(f"/channels/{s.text}/invites", json={"max_age": 604801}),
    ),
    "50035 embed": (
        "/channels/{channel_id}/messages",
        "POST",
        400,
        lambda f, h, s: h.post(
            f"/channels/{s.text}/messages",
            json={"embeds": [{"title": "x" * 257}], "content": "y" * 2001},
        ),
    ),
    "50109 no body": (
        "/channels/{channel_id}/invites",
        "POST",
        400,
        lambda f, h, s: h.post(f"/channels/{s.text}/invites"),
    ),
    "50006 empty message": (
        "/channels/{channel_id}/messages",
        "POST",
        400,
        lambda f, h, s: h.post(f"/channels/{s.text}/messages", json={"content": ""}),
    ),
    "429": ("/users/{user_id}", "GET", 429, _case_rate_limited),
}
