"""Invite links and the invite events: known invites, tombstones, and the Discord routes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.api.conftest import GUILD, Api, data_of, error_of


def created(code: str = "abcDEF12", **extra: Any) -> dict[str, Any]:
    return {"guild_id": GUILD, "invite_code": code, "channel_id": 555, **extra}


async def links(api: Api) -> list[dict[str, Any]]:
    invites: list[dict[str, Any]] = data_of(await api.get("/invite-links", guild_id=GUILD))[
        "invites"
    ]
    return invites


async def test_invite_create_event_stores_every_discord_field(api: Api) -> None:
    await api.enable()
    made = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    body = created(
        inviter_id="777777777777777777",
        uses=2,
        max_uses=10,
        max_age=3600,
        temporary=True,
        created_at=made.isoformat(),
    )
    invite = data_of(await api.post("/events/invite/create", body))
    assert invite["code"] == "abcDEF12"
    assert invite["url"] == "https://discord.gg/abcDEF12"
    assert invite["channel_id"] == "555"
    assert invite["inviter_id"] == "777777777777777777"
    assert (invite["uses"], invite["max_uses"], invite["max_age"]) == (2, 10, 3600)
    assert invite["temporary"] is True
    assert invite["expires_at"] == (made + timedelta(hours=1)).isoformat()
    assert invite["active"] is True
    listed = await links(api)
    assert [i["code"] for i in listed] == ["abcDEF12"]
    assert data_of(await api.get("/invite-links", guild_id=GUILD))["source"] == "stored"


async def test_seed_fields_only_and_numeric_code(api: Api) -> None:
    await api.enable()
    invite = data_of(await api.post("/events/invite/create", created(code=12345)))  # type: ignore[arg-type]
    assert invite["code"] == "12345"
    assert invite["inviter_id"] is None
    assert invite["uses"] == 0


async def test_repeated_create_is_harmless_and_uses_never_go_down(api: Api) -> None:
    await api.enable()
    data_of(await api.post("/events/invite/create", created(uses=5, inviter_id=9)))
    again = data_of(await api.post("/events/invite/create", created(uses=0)))
    assert again["uses"] == 5
    assert again["inviter_id"] == "9"  # a report without the field keeps what we knew
    assert len(await links(api)) == 1


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"max_uses": 3, "uses": 3}, "used_up"),
        ({"max_age": 60, "created_at": "2020-01-01T00:00:00+00:00"}, "expired"),
        ({"max_uses": 3, "uses": 1}, "deleted"),
    ],
)
async def test_delete_event_tombstones_with_the_reason(
    api: Api, extra: dict[str, Any], reason: str
) -> None:
    await api.enable()
    data_of(await api.post("/events/invite/create", created(**extra)))
    gone = data_of(
        await api.post("/events/invite/delete", {"guild_id": GUILD, "invite_code": "abcDEF12"})
    )
    assert gone["active"] is False
    assert gone["deleted_reason"] == reason
    assert gone["deleted_at"] is not None
    assert await links(api) == []


async def test_delete_event_for_an_unknown_code_is_remembered(api: Api) -> None:
    await api.enable()
    gone = data_of(
        await api.post("/events/invite/delete", {"guild_id": GUILD, "invite_code": "never-seen"})
    )
    assert gone["active"] is False
    assert gone["deleted_reason"] == "deleted"


async def test_repeated_delete_and_late_create_keep_the_tombstone(api: Api) -> None:
    await api.enable()
    data_of(await api.post("/events/invite/create", created()))
    first = data_of(
        await api.post("/events/invite/delete", {"guild_id": GUILD, "invite_code": "abcDEF12"})
    )
    second = data_of(
        await api.post("/events/invite/delete", {"guild_id": GUILD, "invite_code": "abcDEF12"})
    )
    assert first["deleted_at"] == second["deleted_at"]
    late = data_of(await api.post("/events/invite/create", created()))
    assert late["active"] is False


@pytest.mark.parametrize("field", ["uses", "max_uses", "max_age"])
async def test_negative_counts_are_422(api: Api, field: str) -> None:
    await api.enable()
    body = created()
    body[field] = -1
    error = error_of(
        await api.post("/events/invite/create", body),
        422,
        "UnprocessableEntityError",
    )
    assert field in error["message"]


async def test_invite_events_on_unknown_guild(api: Api) -> None:
    error_of(await api.post("/events/invite/create", created()), 404, "SettingsError")
    error_of(
        await api.post("/events/invite/delete", {"guild_id": GUILD, "invite_code": "ab"}),
        404,
        "SettingsError",
    )
    error_of(await api.get("/invite-links", guild_id=GUILD), 404, "SettingsError")


def new_invite(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "guild_id": GUILD,
        "channel_id": 555,
        "max_uses": 5,
        "max_age": 3600,
        "is_temporary": False,
        "application_id": None,
        "token": None,
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"max_uses": 101}, "max_uses"),
        ({"max_uses": -1}, "max_uses"),
        ({"max_age": 604_801}, "max_age"),
        ({"max_age": -5}, "max_age"),
    ],
)
async def test_create_invite_checks_ranges_first(
    api: Api, changes: dict[str, Any], reason: str
) -> None:
    await api.enable()
    error = error_of(
        await api.post("/invite", new_invite(**changes)), 422, "UnprocessableEntityError"
    )
    assert reason in error["message"]


async def test_invite_routes_say_discord_is_not_configured(api: Api) -> None:
    await api.enable()
    for response in (
        await api.post("/invite", new_invite()),
        await api.delete(
            "/invite",
            {"guild_id": GUILD, "invite_code": "abc", "application_id": None, "token": None},
        ),
    ):
        error = error_of(response, 502, "DiscordApiInteractionError")
        assert error["code"] == 804
        assert "INVITE_TRACKER_DISCORD_TOKEN" in error["message"]
    assert await links(api) == []


async def test_invite_routes_on_unknown_guild(api: Api) -> None:
    error_of(await api.post("/invite", new_invite()), 404, "SettingsError")


async def test_expires_at_given_by_discord_wins(api: Api) -> None:
    await api.enable()
    expires = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    invite = data_of(
        await api.post(
            "/events/invite/create",
            created(
                max_age=60, created_at="2026-01-01T00:00:00+00:00", expires_at=expires.isoformat()
            ),
        )
    )
    assert invite["expires_at"] == expires.isoformat()
