"""Authentication and access: internal keys, guild keys, and the key-management routes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from invite_tracker.db.models import ApiKeyRow
from invite_tracker.db.session import Database
from invite_tracker.domain.api_keys import hash_api_key
from tests.integration.api.conftest import GUILD, OTHER_GUILD, Api, data_of, error_of

GUILD_ROUTES: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/status", {"guild_id": GUILD}),
    ("GET", "/settings", {"guild_id": GUILD}),
    ("GET", "/invite-links", {"guild_id": GUILD}),
    ("POST", "/stats/uses", {"guild_id": GUILD, "inviter_id": 5}),
    ("GET", "/leaderboard", {"guild_id": GUILD}),
    ("GET", "/stats/summary", {"guild_id": GUILD}),
    ("GET", "/joins", {"guild_id": GUILD}),
    ("POST", "/disable", {"guild_id": GUILD}),
]
INTERNAL_ROUTES: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/events/invite/create", {"guild_id": GUILD, "invite_code": "ab", "channel_id": 1}),
    ("POST", "/events/invite/delete", {"guild_id": GUILD, "invite_code": "ab"}),
    ("POST", "/events/join/check-invite", {"guild_id": GUILD, "member_id": 3}),
    ("POST", "/events/leave/check-invite", {"guild_id": GUILD, "member_id": 3}),
    ("GET", "/privacy/get-user-entries", {"guild_id": GUILD, "privacy_member_id": 3}),
    ("DELETE", "/privacy/delete-user-entries", {"guild_id": GUILD, "privacy_member_id": 3}),
    ("GET", "/auth/api-key/", {"guild_id": GUILD}),
    ("POST", "/auth/api-key/", {"guild_id": GUILD}),
    ("DELETE", "/auth/api-key/", {"guild_id": GUILD, "key_id": "000000000000"}),
]


async def send(api: Api, method: str, path: str, fields: dict[str, Any]) -> Any:
    if method == "GET":
        return await api.call(method, path, params=fields)
    return await api.call(method, path, json=fields)


async def new_guild_key(api: Api, guild: int = GUILD) -> str:
    key: str = data_of(await api.post("/auth/api-key/", {"guild_id": guild, "label": "dashboard"}))[
        "api_key"
    ]
    return key


@pytest.mark.parametrize(("method", "path", "fields"), GUILD_ROUTES + INTERNAL_ROUTES)
async def test_no_key_and_unknown_keys_are_401(
    api: Api, method: str, path: str, fields: dict[str, Any]
) -> None:
    for key in (None, "wrong", "itk_000000000000_" + "a" * 43):
        error = error_of(
            await send(api.as_key(key), method, path, fields), 401, "UnauthorizedError"
        )
        assert error["code"] == 401


async def test_other_schemes_are_not_accepted(api: Api) -> None:
    response = await api.as_key(None).call(
        "GET", "/status", params={"guild_id": GUILD}, headers={"Authorization": "Basic abc"}
    )
    error_of(response, 401, "UnauthorizedError")


@pytest.mark.parametrize(("method", "path", "fields"), GUILD_ROUTES)
async def test_guild_key_works_for_its_guild_only(
    api: Api, method: str, path: str, fields: dict[str, Any]
) -> None:
    await api.enable(GUILD)
    await api.enable(OTHER_GUILD)
    guild_api = api.as_key(await new_guild_key(api))
    ok = await send(guild_api, method, path, fields)
    assert ok.status_code == 200, ok.text
    other = {**fields, "guild_id": OTHER_GUILD}
    error_of(await send(guild_api, method, path, other), 403, "ForbiddenError")


@pytest.mark.parametrize(("method", "path", "fields"), INTERNAL_ROUTES)
async def test_guild_key_may_not_use_internal_routes(
    api: Api, method: str, path: str, fields: dict[str, Any]
) -> None:
    await api.enable()
    guild_api = api.as_key(await new_guild_key(api))
    error = error_of(await send(guild_api, method, path, fields), 403, "ForbiddenError")
    assert "internal" in error["message"]
    # refused for the key, whatever the fields: not told which of them are missing first
    error = error_of(await send(guild_api, method, path, {}), 403, "ForbiddenError")
    assert "internal" in error["message"]


async def test_key_lifecycle_and_storage(api: Api, database: Database) -> None:
    await api.enable()
    created = data_of(await api.post("/auth/api-key/", {"guild_id": str(GUILD), "label": "bot"}))
    secret = created["api_key"]
    assert secret.startswith("itk_" + created["key_id"] + "_")
    assert created["active"] is True

    listed = data_of(await api.get("/auth/api-key/", guild_id=GUILD))["keys"]
    assert [k["key_id"] for k in listed] == [created["key_id"]]
    assert "api_key" not in listed[0]
    assert secret not in str(listed)

    async with database.unit_of_work() as uow:
        stored = [
            (row.key_id, row.key_hash, row.label)
            for row in await uow.session.scalars(select(ApiKeyRow))
        ]
    assert stored == [(created["key_id"], hash_api_key(secret), "bot")]

    guild_api = api.as_key(secret)
    data_of(await guild_api.get("/status", guild_id=GUILD))
    revoked = data_of(await api.delete("/auth/api-key/", {"guild_id": GUILD, "api_key": secret}))
    assert revoked["active"] is False
    error_of(await guild_api.get("/status", guild_id=GUILD), 401, "UnauthorizedError")
    # Revoking again is harmless; the listing keeps the revoked key, marked as such.
    data_of(await api.delete("/auth/api-key/", {"guild_id": GUILD, "key_id": created["key_id"]}))
    assert data_of(await api.get("/auth/api-key/"))["keys"][0]["active"] is False


async def test_revoke_unknown_or_other_guilds_key(api: Api) -> None:
    await api.enable()
    key = data_of(await api.post("/auth/api-key/", {"guild_id": GUILD}))
    error_of(
        await api.delete("/auth/api-key/", {"guild_id": OTHER_GUILD, "key_id": key["key_id"]}),
        404,
        "NotFoundError",
    )
    error_of(
        await api.delete("/auth/api-key/", {"guild_id": GUILD, "key_id": "ffffffffffff"}),
        404,
        "NotFoundError",
    )
    error_of(await api.delete("/auth/api-key/", {"guild_id": GUILD}), 400, "BadRequestError")


async def test_no_key_for_a_guild_the_module_has_no_settings_for(api: Api) -> None:
    """As the contract has it for every endpoint but enable and privacy: SettingsError. Such
    a key could open nothing, and offboarding the guild would not take it away."""
    error_of(await api.post("/auth/api-key/", {"guild_id": GUILD}), 404, "SettingsError")
    error_of(await api.get("/auth/api-key/", guild_id=GUILD), 404, "SettingsError")
    assert data_of(await api.get("/auth/api-key/"))["keys"] == []
    await api.enable()
    data_of(await api.post("/auth/api-key/", {"guild_id": GUILD}))
    data_of(await api.delete("/settings/delete", {"guild_id": GUILD}))  # offboarded: keys too
    error_of(await api.post("/auth/api-key/", {"guild_id": GUILD}), 404, "SettingsError")
    assert data_of(await api.get("/auth/api-key/"))["keys"] == []


async def test_key_routes_answer_without_trailing_slash(api: Api) -> None:
    await api.enable()
    data_of(await api.call("POST", "/auth/api-key", json={"guild_id": GUILD}))
    assert len(data_of(await api.call("GET", "/auth/api-key"))["keys"]) == 1


async def test_secrets_never_appear_in_responses_or_logs(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    await api.enable()
    secret = await new_guild_key(api)
    await api.as_key(secret).get("/status", guild_id=GUILD)
    await api.as_key("internal-wrong-key").get("/status", guild_id=GUILD)
    captured = capsys.readouterr()
    for text in (captured.out, captured.err):
        assert secret not in text
        assert "internal-test-key" not in text
        assert "internal-wrong-key" not in text
