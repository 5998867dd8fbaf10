"""Fifty concurrent requests on one guild leave consistent data."""

from __future__ import annotations

import asyncio

from tests.integration.api.conftest import GUILD, Api, data_of
from tests.integration.api.test_settings import full_settings

CONCURRENT = 50


async def test_concurrent_enables_enable_once(api: Api) -> None:
    responses = await asyncio.gather(
        *(api.post("/enable", {"guild_id": GUILD}) for _ in range(CONCURRENT))
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [409] * (CONCURRENT - 1)
    assert all(r.json()["error"].get("name") in (None, "ModuleEnabledError") for r in responses)


async def test_concurrent_invite_events_and_settings(api: Api) -> None:
    await api.enable()
    codes = [f"code{n:02d}" for n in range(CONCURRENT)]
    creates = [
        api.post(
            "/events/invite/create",
            {"guild_id": GUILD, "invite_code": code, "channel_id": 1, "uses": n},
        )
        for n, code in enumerate(codes)
    ]
    duplicates = [
        api.post("/events/invite/create", {"guild_id": GUILD, "invite_code": code, "channel_id": 1})
        for code in codes[:10]
    ]
    channels = [str(10_000 + n) for n in range(CONCURRENT)]
    puts = [
        api.put("/settings", full_settings(join_messages_channel=channel)) for channel in channels
    ]
    deletes = [
        api.post("/events/invite/delete", {"guild_id": GUILD, "invite_code": code})
        for code in codes[:5]
    ]
    responses = await asyncio.gather(*creates, *duplicates, *puts)
    assert [r.status_code for r in responses] == [200] * len(responses), [
        r.text for r in responses if r.status_code != 200
    ][:3]
    assert all(r.status_code == 200 for r in await asyncio.gather(*deletes))

    invites = data_of(await api.get("/invite-links", guild_id=GUILD))["invites"]
    assert sorted(i["code"] for i in invites) == codes[5:]
    assert {i["code"]: i["uses"] for i in invites} == {
        code: n for n, code in enumerate(codes) if n >= 5
    }
    settings = data_of(await api.get("/settings", guild_id=GUILD))
    # The row is one whole PUT, never a mix of two.
    winner = full_settings(join_messages_channel=settings["join_messages_channel"])
    assert settings["join_messages_channel"] in channels
    assert settings["join_message_content"] == winner["join_message_content"]
    assert settings["leave_messages_channel"] == str(winner["leave_messages_channel"])


async def test_concurrent_enable_and_disable_end_in_a_valid_state(api: Api) -> None:
    await api.enable()
    calls = [
        api.post("/disable" if n % 2 else "/enable", {"guild_id": GUILD}) for n in range(CONCURRENT)
    ]
    responses = await asyncio.gather(*calls)
    assert {r.status_code for r in responses} <= {200, 409}
    switched_on = sum(1 for r in responses if r.status_code == 200 and r.json()["data"]["enabled"])
    switched_off = sum(
        1 for r in responses if r.status_code == 200 and not r.json()["data"]["enabled"]
    )
    # Starting enabled, every successful switch flips the state: they must alternate.
    assert switched_off - switched_on in (0, 1)
    final = data_of(await api.get("/status", guild_id=GUILD))["enabled"]
    assert final is (switched_off == switched_on)
