"""Discord's refusals in the fake: permissions, unknown ids, tokens, limits, interactions."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from invite_tracker.testing.fake_discord import Channel, FakeDiscord, Guild, Permission, User

P = Permission


@pytest.mark.parametrize(
    ("method", "route", "granted", "status", "code"),
    [
        ("GET", "/guilds/{g}/invites", P.MANAGE_CHANNELS, 403, 50013),
        ("GET", "/guilds/{g}/invites", P.MANAGE_GUILD, 200, None),
        ("GET", "/guilds/{g}/invites", P.VIEW_AUDIT_LOG, 200, None),
        ("GET", "/guilds/{g}/vanity-url", P.VIEW_CHANNEL, 403, 50013),
        ("GET", "/guilds/{g}/vanity-url", P.MANAGE_GUILD, 200, None),
        ("GET", "/channels/{c}/invites", P.MANAGE_GUILD, 403, 50013),
        ("GET", "/channels/{c}/invites", P.MANAGE_CHANNELS, 200, None),
        ("POST", "/channels/{c}/invites", P.MANAGE_GUILD, 403, 50013),
        ("POST", "/channels/{c}/invites", P.CREATE_INSTANT_INVITE, 200, None),
        ("DELETE", "/invites/{i}", P.CREATE_INSTANT_INVITE, 403, 50013),
        ("DELETE", "/invites/{i}", P.MANAGE_CHANNELS, 200, None),
        ("DELETE", "/invites/{i}", P.MANAGE_GUILD, 200, None),
        ("POST", "/channels/{c}/messages", P.SEND_MESSAGES, 403, 50001),
        ("POST", "/channels/{c}/messages", P.VIEW_CHANNEL, 403, 50013),
        ("POST", "/channels/{c}/messages", P.VIEW_CHANNEL | P.SEND_MESSAGES, 200, None),
        ("POST", "/channels/{c}/messages", P.ADMINISTRATOR, 200, None),
        ("GET", "/channels/{c}", 0, 403, 50001),
    ],
)
async def test_bot_permissions_are_checked(
    method: str,
    route: str,
    granted: int,
    status: int,
    code: int | None,
    fake: FakeDiscord,
    guild: Guild,
    channel: Channel,
    http: httpx.AsyncClient,
) -> None:
    invite = await fake.create_invite(channel.id)
    await fake.set_bot_permissions(guild.id, int(granted))
    url = route.format(g=guild.id, c=channel.id, i=invite.code)
    body = {"content": "hi"} if url.endswith("messages") else {}

    response = await http.request(method, url, json=body if method == "POST" else None)

    assert response.status_code == status, response.text
    if code is not None:
        expected = "Missing Permissions" if code == 50013 else "Missing Access"
        assert response.json() == {"message": expected, "code": code}


async def test_guild_invites_without_manage_guild_lack_their_metadata(
    fake: FakeDiscord, guild: Guild, channel: Channel, http: httpx.AsyncClient
) -> None:
    await fake.create_invite(channel.id, max_uses=5)
    await fake.set_bot_permissions(guild.id, ["VIEW_AUDIT_LOG"])

    (invite,) = (await http.get(f"/guilds/{guild.id}/invites")).json()

    assert invite["channel"]["id"] == str(channel.id)
    assert not {"uses", "max_uses", "max_age", "temporary", "created_at"} & set(invite)


async def test_the_fake_keeps_when_the_invite_counts_were_read(
    fake: FakeDiscord, guild: Guild, channel: Channel, http: httpx.AsyncClient
) -> None:
    await fake.create_invite(channel.id)
    before = fake.now()
    assert (await http.get(f"/guilds/{guild.id}/invites")).status_code == 200
    await fake.set_bot_permissions(guild.id, ["VIEW_AUDIT_LOG"])
    assert (await http.get(f"/guilds/{guild.id}/invites")).status_code == 200  # no counts

    (read,) = fake.world.guild(guild.id).invite_list_reads
    assert before <= read <= fake.now()


@pytest.mark.parametrize(
    ("method", "url", "code", "message"),
    [
        ("GET", "/guilds/1/invites", 10004, "Unknown Guild"),
        ("GET", "/guilds/1/vanity-url", 10004, "Unknown Guild"),
        ("GET", "/guilds/1", 10004, "Unknown Guild"),
        ("GET", "/guilds/1/roles", 10004, "Unknown Guild"),
        ("GET", "/channels/1", 10003, "Unknown Channel"),
        ("POST", "/channels/1/invites", 10003, "Unknown Channel"),
        ("POST", "/channels/1/messages", 10003, "Unknown Channel"),
        ("GET", "/invites/nothing", 10006, "Unknown Invite"),
        ("DELETE", "/invites/nothing", 10006, "Unknown Invite"),
        ("GET", "/guilds/{g}/members/1", 10007, "Unknown Member"),
        ("GET", "/users/1", 10013, "Unknown User"),
        ("PATCH", "/webhooks/{a}/nothing/messages/@original", 10015, "Unknown Webhook"),
        ("POST", "/webhooks/{a}/nothing", 10015, "Unknown Webhook"),
        ("POST", "/interactions/1/nothing/callback", 10062, "Unknown interaction"),
    ],
)
async def test_unknown_ids_answer_discords_codes(
    method: str,
    url: str,
    code: int,
    message: str,
    fake: FakeDiscord,
    guild: Guild,
    http: httpx.AsyncClient,
) -> None:
    target = url.format(g=guild.id, a=fake.application_id)
    json_body = {"type": 5, "content": "x"} if method in ("POST", "PATCH") else None

    response = await http.request(method, target, json=json_body)

    assert response.status_code == 404
    assert response.json() == {"message": message, "code": code}


async def test_ids_that_are_not_snowflakes(http: httpx.AsyncClient) -> None:
    response = await http.get("/guilds/abc")

    assert response.status_code == 400
    assert response.json()["errors"]["guild_id"]["_errors"][0]["code"] == "NUMBER_TYPE_COERCE"


async def test_routes_the_fake_does_not_know(http: httpx.AsyncClient) -> None:
    unknown = await http.get("/gateway/bot")
    wrong_method = await http.put("/users/1")

    assert (unknown.status_code, unknown.json()) == (404, {"message": "404: Not Found", "code": 0})
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == 0


@pytest.mark.parametrize("header", [None, "Bot wrong", "Bearer fake-token", "fake-token"])
async def test_bot_routes_need_the_bot_token(
    header: str | None, fake: FakeDiscord, guild: Guild
) -> None:
    headers = {"Authorization": header} if header else {}
    async with httpx.AsyncClient(base_url=fake.api_url) as client:
        response = await client.get(f"/guilds/{guild.id}/invites", headers=headers)

    assert response.status_code == 401
    assert response.json() == {"message": "401: Unauthorized", "code": 0}
    assert "X-RateLimit-Bucket" in response.headers


async def test_interaction_routes_need_no_token(fake: FakeDiscord, guild: Guild) -> None:
    interaction = await fake.register_interaction(guild_id=guild.id)
    async with httpx.AsyncClient(base_url=fake.api_url) as client:
        url = f"/webhooks/{fake.application_id}/{interaction.token}/messages/@original"
        response = await client.patch(url, json={"content": "no token needed"})

    assert response.status_code == 200
    assert response.json()["content"] == "no token needed"


def _embed(**fields: Any) -> dict[str, Any]:
    return {"title": "t", **fields}


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({"content": "x" * 2001}, ("content",), "BASE_TYPE_MAX_LENGTH"),
        ({"embeds": [_embed()] * 11}, ("embeds",), "BASE_TYPE_MAX_LENGTH"),
        ({"embeds": [_embed(title="x" * 257)]}, ("embeds", "0", "title"), "BASE_TYPE_MAX_LENGTH"),
        (
            {"embeds": [_embed(description="x" * 4097)]},
            ("embeds", "0", "description"),
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"embeds": [_embed(fields=[{"name": "n", "value": "v"}] * 26)]},
            ("embeds", "0", "fields"),
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"embeds": [_embed(fields=[{"name": "n" * 257, "value": "v"}])]},
            ("embeds", "0", "fields", "0", "name"),
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"embeds": [_embed(fields=[{"name": "n", "value": "v" * 1025}])]},
            ("embeds", "0", "fields", "0", "value"),
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"embeds": [_embed(fields=[{"name": "n"}])]},
            ("embeds", "0", "fields", "0", "value"),
            "BASE_TYPE_REQUIRED",
        ),
        (
            {"embeds": [_embed(footer={"text": "x" * 2049})]},
            ("embeds", "0", "footer", "text"),
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"embeds": [_embed(author={"name": "x" * 257})]},
            ("embeds", "0", "author", "name"),
            "BASE_TYPE_MAX_LENGTH",
        ),
        (
            {"embeds": [_embed(description="x" * 4000), _embed(description="x" * 2000)]},
            ("embeds",),
            "MAX_EMBED_SIZE_EXCEEDED",
        ),
        (
            {"content": "hi", "allowed_mentions": {"parse": ["users"], "users": ["1"]}},
            ("allowed_mentions",),
            "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
        ),
        (
            {"content": "hi", "allowed_mentions": {"parse": ["people"]}},
            ("allowed_mentions", "parse", "0"),
            "BASE_TYPE_CHOICES",
        ),
    ],
)
async def test_message_limits(
    body: dict[str, Any],
    path: tuple[str, ...],
    code: str,
    fake: FakeDiscord,
    channel: Channel,
    http: httpx.AsyncClient,
) -> None:
    response = await http.post(f"/channels/{channel.id}/messages", json=body)

    assert response.status_code == 400, response.text
    node = response.json()["errors"]
    for part in path:
        node = node[part]
    assert [error["code"] for error in node["_errors"]] == [code]
    assert fake.messages() == []


async def test_messages_at_the_limits_are_stored_with_their_allowed_mentions(
    fake: FakeDiscord, guild: Guild, channel: Channel, alice: User, http: httpx.AsyncClient
) -> None:
    role = await fake.create_role(guild.id, "Pinged")
    embeds = [
        _embed(title="x" * 256, fields=[{"name": "n", "value": "v"}] * 25),
        *([{"description": "d" * 100}] * 9),
    ]
    content = f"<@{alice.id}> <@&{role.id}> @everyone".ljust(2000, ".")
    allowed = {"parse": ["roles"], "users": [], "replied_user": False}

    response = await http.post(
        f"/channels/{channel.id}/messages",
        json={"content": content, "embeds": embeds, "allowed_mentions": allowed},
    )
    quiet = await http.post(f"/channels/{channel.id}/messages", json={"content": f"<@{alice.id}>"})

    assert response.status_code == 200, response.text
    loud, silent = fake.messages(channel.id)
    assert loud.allowed_mentions == allowed
    assert (loud.mention_user_ids, loud.mention_role_ids, loud.mention_everyone) == (
        [],
        [role.id],
        False,
    )
    assert silent.allowed_mentions is None
    assert silent.mention_user_ids == [alice.id]
    assert quiet.json()["mentions"][0]["id"] == str(alice.id)
    assert len(response.json()["embeds"]) == 10
    empty = await http.post(f"/channels/{channel.id}/messages", json={"content": ""})
    assert empty.json() == {"message": "Cannot send an empty message", "code": 50006}


async def test_messages_and_invites_to_a_category_are_refused(
    fake: FakeDiscord, guild: Guild, http: httpx.AsyncClient
) -> None:
    category = await fake.create_channel(guild.id, "cat", channel_type=4)

    response = await http.post(f"/channels/{category.id}/messages", json={"content": "x"})
    invite = await http.post(f"/channels/{category.id}/invites", json={})

    assert response.json()["code"] == 50008
    assert invite.json() == {"message": "Cannot execute action on this channel type", "code": 50024}


async def test_interaction_callbacks_and_tokens_expire(
    fake: FakeDiscord, guild: Guild, http: httpx.AsyncClient
) -> None:
    late = await fake.register_interaction(guild_id=guild.id, acknowledged=False)
    timely = await fake.register_interaction(guild_id=guild.id, acknowledged=False)
    original = f"/webhooks/{fake.application_id}/{timely.token}/messages/@original"
    before_callback = await http.get(original)
    ok = await http.post(f"/interactions/{timely.id}/{timely.token}/callback", json={"type": 5})
    again = await http.post(f"/interactions/{timely.id}/{timely.token}/callback", json={"type": 5})
    await fake.advance_clock(3.5)
    too_late = await http.post(f"/interactions/{late.id}/{late.token}/callback", json={"type": 5})
    still_editable = await http.patch(original, json={"content": "at 3.5 s"})
    await fake.advance_clock(15 * 60 - 3.5)
    expired = await http.patch(original, json={"content": "at 15 min"})

    assert before_callback.json()["code"] == 10008
    assert ok.status_code == 204
    assert again.json() == {"message": "Interaction has already been acknowledged.", "code": 40060}
    assert too_late.json() == {"message": "Unknown interaction", "code": 10062}
    assert still_editable.status_code == 200
    assert expired.status_code == 401
    assert expired.json() == {"message": "Invalid Webhook Token", "code": 50027}
    assert [edit.payload for edit in fake.interaction(timely.id).edits] == [{"content": "at 3.5 s"}]


async def test_interactions_registered_in_the_past(
    fake: FakeDiscord, guild: Guild, http: httpx.AsyncClient
) -> None:
    old = await fake.register_interaction(
        guild_id=guild.id, created_at=fake.now().replace(year=fake.now().year - 1)
    )

    response = await http.patch(
        f"/webhooks/{fake.application_id}/{old.token}/messages/@original", json={"content": "x"}
    )

    assert response.json()["code"] == 50027
