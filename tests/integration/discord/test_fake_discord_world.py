"""Discord's behaviour in the fake: invite uses, max_uses, expiry, vanity, joins and leaves,
permissions, unknown ids, bad tokens, body limits and interaction tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from invite_tracker.testing.fake_discord import (
    Channel,
    ControlError,
    DiscordError,
    FakeDiscord,
    Guild,
    JoinSource,
    User,
)


def _errors(response: httpx.Response) -> Any:
    body = response.json()
    assert body["code"] == 50035, body
    assert body["message"] == "Invalid Form Body"
    return body["errors"]


async def test_joins_through_an_invite_count_uses(
    fake: FakeDiscord, guild: Guild, channel: Channel, alice: User, http: httpx.AsyncClient
) -> None:
    invite = await fake.create_invite(channel.id, inviter_id=alice.id)
    newcomers = [await fake.create_user(f"n{i}") for i in range(3)]
    for user in newcomers:
        member = await fake.join_via_invite(guild.id, user.id, invite.code)
        assert member.source is JoinSource.INVITE
        assert member.inviter_id == alice.id

    listed = (await http.get(f"/guilds/{guild.id}/invites")).json()
    assert [item["uses"] for item in listed] == [3]
    adds = await fake.events(types=["GUILD_MEMBER_ADD"])
    assert [event.data["user"]["id"] for event in adds] == [str(u.id) for u in newcomers]
    assert all(event.data["guild_id"] == str(guild.id) for event in adds)
    assert adds[0].meta == {
        "source": "invite",
        "invite_code": invite.code,
        "inviter_id": str(alice.id),
    }


async def test_an_invite_reaching_max_uses_is_deleted(
    fake: FakeDiscord, guild: Guild, channel: Channel
) -> None:
    invite = await fake.create_invite(channel.id, max_uses=2)
    first, second, third = [await fake.create_user(f"u{i}") for i in range(3)]
    await fake.join_via_invite(guild.id, first.id, invite.code)
    assert (await fake.invites(guild.id))[0].uses == 1

    await fake.join_via_invite(guild.id, second.id, invite.code)

    assert await fake.invites(guild.id) == []
    log = await fake.events()
    assert [event.type for event in log] == [
        "INVITE_CREATE",
        "GUILD_MEMBER_ADD",
        "INVITE_DELETE",
        "GUILD_MEMBER_ADD",
    ]
    assert log[2].meta == {"reason": "max_uses", "uses": 2}
    assert log[2].at == log[3].at
    assert [event.seq for event in log] == [1, 2, 3, 4]
    with pytest.raises(DiscordError) as gone:
        await fake.join_via_invite(guild.id, third.id, invite.code)
    assert gone.value.code == 10006


async def test_an_invite_disappears_once_max_age_has_passed(
    fake: FakeDiscord, guild: Guild, channel: Channel, http: httpx.AsyncClient
) -> None:
    invite = await fake.create_invite(channel.id, max_age=60)
    assert invite.expires_at == invite.created_at + timedelta(seconds=60)

    fake.clock.advance(59)
    assert (await http.get(f"/invites/{invite.code}")).status_code == 200
    fake.clock.advance(1)  # no sweep yet: the next read finds it expired, lazily
    response = await http.get(f"/invites/{invite.code}")

    assert response.status_code == 404
    assert response.json() == {"message": "Unknown Invite", "code": 10006}
    (deleted,) = await fake.events(types=["INVITE_DELETE"])
    assert deleted.meta["reason"] == "expired"
    assert deleted.at == invite.expires_at


async def test_advancing_the_clock_sweeps_expired_invites_at_once(
    fake: FakeDiscord, guild: Guild, channel: Channel
) -> None:
    short = await fake.create_invite(channel.id, max_age=30)
    long = await fake.create_invite(channel.id, max_age=3600)
    forever = await fake.create_invite(channel.id, max_age=0)

    await fake.advance_clock(31)

    assert {invite.code for invite in fake.world.invites.values()} == {long.code, forever.code}
    assert [e.data["code"] for e in await fake.events(types=["INVITE_DELETE"])] == [short.code]


async def test_vanity_joins_count_on_the_vanity(
    fake: FakeDiscord, guild: Guild, http: httpx.AsyncClient
) -> None:
    assert (await http.get(f"/guilds/{guild.id}/vanity-url")).json() == {"code": None, "uses": 0}
    with pytest.raises(ControlError):
        await fake.join_via_vanity(guild.id, (await fake.create_user()).id)
    await fake.set_vanity(guild.id, "our-place", uses=10)
    for index in range(2):
        user = await fake.create_user(f"v{index}")
        member = await fake.join_via_vanity(guild.id, user.id)
        assert member.source is JoinSource.VANITY

    assert (await http.get(f"/guilds/{guild.id}/vanity-url")).json() == {
        "code": "our-place",
        "uses": 12,
    }
    guild_body = (await http.get(f"/guilds/{guild.id}")).json()
    assert guild_body["vanity_url_code"] == "our-place"
    assert "VANITY_URL" in guild_body["features"]
    (first, _) = await fake.events(types=["GUILD_MEMBER_ADD"])
    assert first.meta == {"source": "vanity", "invite_code": "our-place"}


async def test_discovery_joins_touch_no_invite(
    fake: FakeDiscord, guild: Guild, channel: Channel
) -> None:
    invite = await fake.create_invite(channel.id)
    user = await fake.create_user("drifter")

    member = await fake.join_without_invite(guild.id, user.id)

    assert member.source is JoinSource.DISCOVERY
    assert (await fake.invites(guild.id))[0].uses == invite.uses == 0
    (event,) = await fake.events(types=["GUILD_MEMBER_ADD"])
    assert event.meta == {"source": "discovery"}


async def test_bots_are_added_without_any_invite(
    fake: FakeDiscord, guild: Guild, channel: Channel
) -> None:
    invite = await fake.create_invite(channel.id)
    await fake.set_vanity(guild.id, "our-place")
    robot = await fake.create_user("robot", bot=True)
    for through_an_invite in (
        fake.join_via_invite(guild.id, robot.id, invite.code),
        fake.join_via_vanity(guild.id, robot.id),
    ):
        with pytest.raises(ControlError) as refused:
            await through_an_invite
        assert refused.value.status == 400
        assert "bot" in refused.value.message

    member = await fake.join_without_invite(guild.id, robot.id)  # an OAuth2 add

    assert member.source is JoinSource.DISCOVERY
    assert (await fake.invites(guild.id))[0].uses == 0
    assert fake.world.guild(guild.id).vanity_uses == 0
    (event,) = await fake.events(types=["GUILD_MEMBER_ADD"])
    assert event.data["user"]["bot"] is True


async def test_leaving_and_coming_back(
    fake: FakeDiscord, guild: Guild, channel: Channel, alice: User, http: httpx.AsyncClient
) -> None:
    invite = await fake.create_invite(channel.id)
    with pytest.raises(ControlError) as already:
        await fake.join_via_invite(guild.id, alice.id, invite.code)
    assert already.value.status == 409

    await fake.leave(guild.id, alice.id)
    gone = await http.get(f"/guilds/{guild.id}/members/{alice.id}")
    await fake.join_via_invite(guild.id, alice.id, invite.code)

    assert gone.json()["code"] == 10007
    removed = await fake.events(types=["GUILD_MEMBER_REMOVE"])
    assert removed[0].data["user"]["id"] == str(alice.id)
    assert (await http.get(f"/guilds/{guild.id}/members/{alice.id}")).status_code == 200


async def test_non_unique_invite_requests_reuse_a_similar_invite(
    fake: FakeDiscord, channel: Channel, http: httpx.AsyncClient
) -> None:
    url = f"/channels/{channel.id}/invites"
    first = (await http.post(url, json={"max_uses": 1})).json()
    again = (await http.post(url, json={"max_uses": 1, "unique": False})).json()
    unique = (await http.post(url, json={"max_uses": 1, "unique": True})).json()

    assert again["code"] == first["code"]
    assert unique["code"] != first["code"]
    assert len(await fake.events(types=["INVITE_CREATE"])) == 2


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"max_age": 604_801}, "max_age", "NUMBER_TYPE_MAX"),
        ({"max_age": -1}, "max_age", "NUMBER_TYPE_MIN"),
        ({"max_uses": 101}, "max_uses", "NUMBER_TYPE_MAX"),
        ({"max_uses": "ten"}, "max_uses", "NUMBER_TYPE_COERCE"),
        ({"temporary": "yes"}, "temporary", "BASE_TYPE_BOOLEAN"),
        ({"unique": 1}, "unique", "BASE_TYPE_BOOLEAN"),
    ],
)
async def test_invite_fields_out_of_range(
    body: dict[str, Any], field: str, code: str, channel: Channel, http: httpx.AsyncClient
) -> None:
    response = await http.post(f"/channels/{channel.id}/invites", json=body)

    assert response.status_code == 400
    assert _errors(response)[field]["_errors"][0]["code"] == code


async def test_invite_limits_at_the_edges(channel: Channel, http: httpx.AsyncClient) -> None:
    url = f"/channels/{channel.id}/invites"
    edge = await http.post(url, json={"max_age": 604_800, "max_uses": 100})
    missing = await http.post(url)
    not_object = await http.post(url, json=[1])

    assert edge.status_code == 200
    assert (edge.json()["max_age"], edge.json()["max_uses"]) == (604_800, 100)
    assert missing.json() == {"message": "The request body contains invalid JSON.", "code": 50109}
    assert _errors(not_object)["_errors"][0]["code"] == "DICT_TYPE_CONVERT"


async def test_a_guild_holds_at_most_1000_invites(
    fake: FakeDiscord, channel: Channel, http: httpx.AsyncClient
) -> None:
    for _ in range(1000):
        await fake.create_invite(channel.id)

    response = await http.post(f"/channels/{channel.id}/invites", json={"unique": True})

    assert response.status_code == 400
    assert response.json()["code"] == 30016
