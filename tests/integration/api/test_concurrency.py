"""Fifty concurrent requests on one guild leave consistent data."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from invite_tracker.clock import utcnow
from invite_tracker.db.session import Database
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


def _event(member: int, field: str, at: str) -> dict[str, object]:
    return {"guild_id": GUILD, "member_id": member, field: at}


async def _memberships(api: Api) -> dict[str, list[str | None]]:
    """Each member's joins' `left_at`."""
    log = data_of(await api.get("/joins", guild_id=GUILD, limit=200))["joins"]
    found: dict[str, list[str | None]] = {}
    for join in log:
        found.setdefault(join["member_id"], []).append(join["left_at"])
    return found


async def test_a_join_and_its_leave_told_at_once_end_the_membership(api: Api) -> None:
    """A reporter flushing its buffer after an outage sends a member's join and leave
    together. Whichever is handled first, the leave ends that join: none is left present
    (its inviter credited for good) with its leave stored beside it."""
    await api.enable()
    members = range(1, 21)
    joined, left = "2026-11-29T10:00:00+00:00", "2026-11-29T10:00:30+00:00"
    await asyncio.gather(
        *(
            api.post(path, _event(member, field, at))
            for member in members
            for path, field, at in (
                ("/events/join/check-invite", "joined_at", joined),
                ("/events/leave/check-invite", "left_at", left),
            )
        )
    )
    assert await _memberships(api) == {str(member): [left] for member in members}
    summary = data_of(await api.get("/stats/summary", guild_id=GUILD))
    assert (summary["joins"], summary["leaves"]) == (20, 20)


async def test_a_member_add_replayed_as_the_member_leaves_is_the_same_join(api: Api) -> None:
    """A gateway resume replays a member-add (same `joined_at`) just as the member's leave
    is handled: it is that join again, not a second membership that never ends."""
    await api.enable()
    members = range(1, 61)
    joined, left = "2026-11-29T10:00:00+00:00", "2026-11-29T10:00:30+00:00"
    for member in members:
        data_of(await api.post("/events/join/check-invite", _event(member, "joined_at", joined)))
    answers = await asyncio.gather(
        *(
            api.post(path, _event(member, field, at))
            for member in members
            for path, field, at in (
                ("/events/join/check-invite", "joined_at", joined),
                ("/events/leave/check-invite", "left_at", left),
            )
        )
    )
    replays = [data_of(a) for a in answers if "join/check-invite" in str(a.request.url)]
    assert all(replay["repeated"] for replay in replays)
    assert await _memberships(api) == {str(member): [left] for member in members}


async def test_an_offboarding_amid_events_leaves_nothing_of_the_guild(
    api: Api, database: Database
) -> None:
    """Events and an offboarding at once: each event is stored before the offboarding (and
    removed by it) or refused after it; none is written in between to outlive it (on
    PostgreSQL an event's rows could commit after the offboarding had deleted what it saw)."""
    now = utcnow().isoformat()
    for attempt in range(3):
        await api.enable()
        leaves = [
            api.post(
                "/events/leave/check-invite",
                {"guild_id": GUILD, "member_id": 100 + n, "left_at": now},
            )
            for n in range(10)
        ]
        creates = [
            api.post(
                "/events/invite/create",
                {"guild_id": GUILD, "invite_code": f"c{attempt}x{n}", "channel_id": 1},
            )
            for n in range(10)
        ]
        offboard = api.delete("/settings/delete", {"guild_id": GUILD})
        answers = await asyncio.gather(
            *leaves[:5], *creates[:5], offboard, *leaves[5:], *creates[5:]
        )
        assert answers[10].status_code == 200
        assert {answer.status_code for answer in answers} <= {200, 404}
        async with database.unit_of_work() as uow:
            for table in ("leaves", "joins", "invites"):
                left = await uow.session.scalar(
                    text(f"SELECT count(*) FROM {table} WHERE guild_id = :guild"),
                    {"guild": GUILD},
                )
                assert left == 0, f"{left} {table} outlived the offboarding"
