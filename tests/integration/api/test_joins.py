"""Join and leave checks and the join log, without Discord (the fake Discord tests attribute)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from invite_tracker.clock import utcnow
from tests.integration.api.conftest import GUILD, Api, data_of, error_of


async def join(api: Api, member: int | None, **extra: object) -> dict[str, object]:
    body: dict[str, object] = {"guild_id": GUILD, **extra}
    if member is not None:
        body["member_id"] = member
    result: dict[str, object] = data_of(await api.post("/events/join/check-invite", body))
    return result


async def test_without_discord_a_join_is_stored_and_honestly_unknown(api: Api) -> None:
    await api.enable()
    data = await join(api, 42, joined_at="2026-11-29T10:00:00+00:00")
    assert data["join_type"] == "unknown"
    assert data["member_id"] == "42"
    assert data["counted"] is False
    assert "Discord is not configured" in str(data["reason"])
    assert data["joined_at"] == "2026-11-29T10:00:00+00:00"
    assert data["repeated"] is False


async def test_a_bot_is_settled_at_once_and_credits_no_one(api: Api) -> None:
    await api.enable()
    data = await join(api, 7, is_bot=True)
    assert (data["join_type"], data["counted"]) == ("bot", False)


async def test_a_repeated_member_add_counts_once(api: Api) -> None:
    await api.enable()
    first = await join(api, 42)
    again = await join(api, 42)
    assert again["join_id"] == first["join_id"]
    assert again["repeated"] is True
    log = data_of(await api.get("/joins", guild_id=GUILD))["joins"]
    assert len(log) == 1


async def test_a_member_add_told_again_without_its_time_counts_once(api: Api) -> None:
    """A reporter that sends no `joined_at` and retries a member-add seconds later (after a
    timeout, say): nothing tells it from a rejoin whose leave was lost, and a repeat is far
    likelier. It is the present join again: no leave is made up, no second join stored."""
    await api.enable()
    earlier = (utcnow() - timedelta(seconds=30)).isoformat()
    first = await join(api, 42, joined_at=earlier)
    again = await join(api, 42)
    assert (again["join_id"], again["repeated"]) == (first["join_id"], True)
    log = data_of(await api.get("/joins", guild_id=GUILD, member_id=42))["joins"]
    assert [(j["join_id"], j["left_at"]) for j in log] == [(first["join_id"], None)]
    left = data_of(
        await api.post("/events/leave/check-invite", {"guild_id": GUILD, "member_id": 42})
    )
    assert (left["join_id"], left["repeated"]) == (first["join_id"], False)


async def test_concurrent_repeats_of_one_member_add_store_one_join(api: Api) -> None:
    await api.enable()
    results = await asyncio.gather(*(join(api, 42) for _ in range(20)))
    assert len({r["join_id"] for r in results}) == 1
    assert sum(1 for r in results if not r["repeated"]) == 1


async def test_leave_is_tied_to_the_members_join(api: Api) -> None:
    await api.enable()
    joined = await join(api, 42)
    left = data_of(
        await api.post("/events/leave/check-invite", {"guild_id": GUILD, "member_id": 42})
    )
    assert left["join_id"] == joined["join_id"]
    assert left["counted"] is False  # the join credited no one
    assert left["repeated"] is False
    again = data_of(
        await api.post("/events/leave/check-invite", {"guild_id": GUILD, "member_id": 42})
    )
    assert again["repeated"] is True
    log = data_of(await api.get("/joins", guild_id=GUILD, member_id=42))["joins"]
    assert log[0]["left_at"] is not None
    # the member can join again: a new join, not a repeat
    rejoined = await join(api, 42)
    assert rejoined["join_id"] != joined["join_id"]
    assert rejoined["repeated"] is False


async def test_a_leave_told_several_times_at_once_ends_the_join_once(api: Api) -> None:
    """Duplicate leave events at the same moment (a reporter retrying, two workers): one
    ends the membership, the others are repeats; none is refused as a database failure."""
    await api.enable()
    joined = await join(api, 42)
    body = {"guild_id": GUILD, "member_id": 42}
    answers = await asyncio.gather(
        *(api.post("/events/leave/check-invite", body) for _ in range(4))
    )
    left = [data_of(answer) for answer in answers]
    assert {item["join_id"] for item in left} == {joined["join_id"]}
    assert sorted(item["repeated"] for item in left) == [False, True, True, True]


async def test_leave_without_member_or_of_an_unknown_member(api: Api) -> None:
    await api.enable()
    anonymous = data_of(await api.post("/events/leave/check-invite", {"guild_id": GUILD}))
    assert anonymous["member_id"] is None
    assert "nothing to attribute" in anonymous["reason"]
    stranger = data_of(
        await api.post("/events/leave/check-invite", {"guild_id": GUILD, "member_id": 5})
    )
    assert stranger["join_id"] is None
    assert "no join" in stranger["reason"]


async def test_join_log_filters_and_pages(api: Api) -> None:
    await api.enable()
    for member in range(1, 6):
        await join(api, member)
    page = data_of(await api.get("/joins", guild_id=GUILD, limit=2))
    assert [j["member_id"] for j in page["joins"]] == ["5", "4"]
    rest = data_of(await api.get("/joins", guild_id=GUILD, limit=2, before=page["next_before"]))
    assert [j["member_id"] for j in rest["joins"]] == ["3", "2"]
    only = data_of(await api.get("/joins", guild_id=GUILD, member_id=3))
    assert [j["member_id"] for j in only["joins"]] == ["3"]
    assert only["next_before"] is None


@pytest.mark.parametrize("limit", [0, 201, -1])
async def test_join_log_limits(api: Api, limit: int) -> None:
    await api.enable()
    error_of(await api.get("/joins", guild_id=GUILD, limit=limit), 422, "UnprocessableEntityError")


@pytest.mark.parametrize("path", ["/events/join/check-invite", "/events/leave/check-invite"])
async def test_checks_need_a_known_enabled_guild_and_a_guild_id(api: Api, path: str) -> None:
    error_of(await api.post(path, {"guild_id": GUILD}), 404, "SettingsError")
    await api.enable()
    data_of(await api.post("/disable", {"guild_id": GUILD}))
    error_of(await api.post(path, {"guild_id": GUILD}), 409, "ModuleDisabledError")
    error = error_of(await api.post(path, {"member_id": 1}), 400, "BadRequestError")
    assert "guild_id" in error["message"]


@pytest.mark.parametrize(
    ("path", "field"),
    [("/events/join/check-invite", "joined_at"), ("/events/leave/check-invite", "left_at")],
)
async def test_event_times_in_the_future_are_refused(api: Api, path: str, field: str) -> None:
    await api.enable()
    body = {"guild_id": GUILD, "member_id": 3, field: "2999-01-01T00:00:00+00:00"}
    error = error_of(await api.post(path, body), 422, "UnprocessableEntityError")
    assert field in error["message"]
    assert data_of(await api.get("/joins", guild_id=GUILD))["joins"] == []


async def test_a_rejoin_reported_before_the_leave_starts_a_new_membership(api: Api) -> None:
    await api.enable()
    first = await join(api, 42, joined_at="2026-11-29T10:00:00+00:00")
    second = await join(api, 42, joined_at="2026-11-29T10:05:00+00:00")
    assert second["join_id"] != first["join_id"]
    assert second["repeated"] is False
    late_leave = {"guild_id": GUILD, "member_id": 42, "left_at": "2026-11-29T10:03:00+00:00"}
    left = data_of(await api.post("/events/leave/check-invite", late_leave))
    # it ended the first membership, already closed (and counted) when the rejoin came
    assert (left["join_id"], left["repeated"]) == (first["join_id"], True)
    log = data_of(await api.get("/joins", guild_id=GUILD, member_id=42))["joins"]
    assert [j["left_at"] for j in log] == [None, "2026-11-29T10:03:00+00:00"]  # its real time
    again = data_of(await api.post("/events/leave/check-invite", late_leave))
    assert (again["join_id"], again["repeated"]) == (first["join_id"], True)


async def leave(api: Api, member: int, left_at: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {"guild_id": GUILD, "member_id": member}
    if left_at is not None:
        body["left_at"] = left_at
    result: dict[str, object] = data_of(await api.post("/events/leave/check-invite", body))
    return result


async def memberships(api: Api, member: int) -> list[tuple[str, str | None]]:
    """The member's joins, the earliest first: (joined_at, left_at)."""
    log = data_of(await api.get("/joins", guild_id=GUILD, member_id=member))["joins"]
    return sorted((j["joined_at"], j["left_at"]) for j in log)


async def test_the_leave_of_a_rejoin_told_before_the_rejoin_ends_it_when_it_comes(
    api: Api,
) -> None:
    """A member who was here before rejoins and leaves again, and the second leave reaches
    the service before the rejoin's member-add (events out of order). It is not the first
    leave told again (its time is later): it is kept, and ends the rejoin when it comes, or
    the member would seem present and their inviter credited for good."""
    await api.enable()
    await join(api, 42, joined_at="2026-11-29T10:00:00+00:00")
    await leave(api, 42, "2026-11-29T10:01:00+00:00")
    early = await leave(api, 42, "2026-11-29T10:05:00+00:00")
    assert (early["join_id"], early["repeated"]) == (None, False)
    assert "rejoin" in str(early["reason"])
    rejoin = await join(api, 42, joined_at="2026-11-29T10:04:00+00:00")
    assert rejoin["repeated"] is False
    assert await memberships(api, 42) == [
        ("2026-11-29T10:00:00+00:00", "2026-11-29T10:01:00+00:00"),
        ("2026-11-29T10:04:00+00:00", "2026-11-29T10:05:00+00:00"),
    ]
    # the member is gone: their next member-add is a new membership
    later = await join(api, 42, joined_at="2026-11-29T10:06:00+00:00")
    assert (later["repeated"], later["left_at"]) == (False, None)


@pytest.mark.parametrize(
    ("left_at", "why"),
    [
        (None, "no time: a repeat is far likelier than a rejoin whose join was lost"),
        ("2026-11-29T10:01:00.500000+00:00", "within a second of the last leave"),
        ("2026-11-29T10:00:30+00:00", "within the ended membership"),
    ],
)
async def test_a_leave_told_again_after_the_member_left_is_a_repeat(
    api: Api, left_at: str | None, why: str
) -> None:
    await api.enable()
    first = await join(api, 42, joined_at="2026-11-29T10:00:00+00:00")
    await leave(api, 42, "2026-11-29T10:01:00+00:00")
    again = await leave(api, 42, left_at)
    assert (again["join_id"], again["repeated"], again["counted"]) == (
        first["join_id"],
        True,
        False,
    ), why
    joined = await join(api, 42, joined_at="2026-11-29T10:02:00+00:00")
    assert joined["left_at"] is None, why  # nothing kept to end the next membership


async def test_a_leave_dated_before_the_present_join_with_no_join_for_it_is_kept(
    api: Api,
) -> None:
    """A leave older than the member's present join, of a membership no join event has told
    of: it is not the present join's, nor a repeat. It is kept (no leave message: the member
    is here), and ends that earlier membership if its member-add comes late."""
    await api.enable()
    present = await join(api, 42, joined_at="2026-11-29T10:05:00+00:00")
    old = await leave(api, 42, "2026-11-29T10:02:00+00:00")
    assert (old["join_id"], old["repeated"], old["counted"]) == (None, False, False)
    assert "before the member's latest join" in str(old["reason"])
    assert await memberships(api, 42) == [("2026-11-29T10:05:00+00:00", None)]
    late = await join(api, 42, joined_at="2026-11-29T10:00:00+00:00")
    assert late["join_id"] != present["join_id"]
    assert await memberships(api, 42) == [
        ("2026-11-29T10:00:00+00:00", "2026-11-29T10:02:00+00:00"),
        ("2026-11-29T10:05:00+00:00", None),
    ]


@pytest.mark.parametrize("again", ["2026-11-29T10:05:00+00:00", None])
async def test_a_leave_told_twice_before_its_join_is_kept_once(api: Api, again: str | None) -> None:
    """A leave whose join has not come, told again (same time, or no time): it is the leave
    kept already, not a second one that no join will ever claim."""
    await api.enable()
    first = await leave(api, 42, "2026-11-29T10:05:00+00:00")
    repeat = await leave(api, 42, again)
    assert (first["repeated"], repeat["repeated"], repeat["join_id"]) == (False, True, None)
    joined = await join(api, 42, joined_at="2026-11-29T10:04:00+00:00")
    assert joined["left_at"] == "2026-11-29T10:05:00+00:00"
    summary = data_of(await api.get("/stats/summary", guild_id=GUILD))
    assert (summary["joins"], summary["leaves"]) == (1, 1)
