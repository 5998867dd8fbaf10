"""Status: the module's lifecycle for a guild."""

from __future__ import annotations

from tests.integration.api.conftest import GUILD, Api, data_of, error_of


async def test_a_guild_never_seen_has_no_settings(api: Api) -> None:
    error = error_of(await api.get("/status", guild_id=GUILD), 404, "SettingsError")
    assert error["code"] == 801


async def test_enable_creates_defaults_and_enables(api: Api) -> None:
    data = data_of(await api.post("/enable", {"guild_id": GUILD}))
    assert data == {"guild_id": str(GUILD), "enabled": True}
    settings = data_of(await api.get("/settings", guild_id=GUILD))
    assert settings["join_messages_enabled"] is False
    assert settings["leave_messages_enabled"] is False
    assert settings["server_shared_invite_link"] is None
    assert settings["prevent_own_invite_code"] is False


async def test_enable_twice_is_module_enabled_error(api: Api) -> None:
    await api.enable()
    error = error_of(await api.post("/enable", {"guild_id": GUILD}), 409, "ModuleEnabledError")
    assert error["code"] == 801


async def test_disable_keeps_data_and_status_still_answers(api: Api) -> None:
    await api.enable()
    created = await api.post(
        "/events/invite/create", {"guild_id": GUILD, "invite_code": "keepme", "channel_id": 5}
    )
    data_of(created)
    assert data_of(await api.post("/disable", {"guild_id": GUILD}))["enabled"] is False
    assert data_of(await api.get("/status", guild_id=GUILD))["enabled"] is False
    error_of(await api.get("/invite-links", guild_id=GUILD), 409, "ModuleDisabledError")
    await api.enable()
    codes = [i["code"] for i in data_of(await api.get("/invite-links", guild_id=GUILD))["invites"]]
    assert codes == ["keepme"]


async def test_disable_twice_is_module_disabled_error(api: Api) -> None:
    await api.enable()
    data_of(await api.post("/disable", {"guild_id": GUILD}))
    error = error_of(await api.post("/disable", {"guild_id": GUILD}), 409, "ModuleDisabledError")
    assert error["code"] == 800


async def test_disable_unknown_guild_is_settings_error(api: Api) -> None:
    error_of(await api.post("/disable", {"guild_id": GUILD}), 404, "SettingsError")


async def test_every_module_endpoint_answers_disabled_while_disabled(api: Api) -> None:
    await api.enable()
    data_of(await api.post("/disable", {"guild_id": GUILD}))
    calls = [
        api.get("/settings", guild_id=GUILD),
        api.get("/invite-links", guild_id=GUILD),
        api.post("/stats/uses", {"guild_id": GUILD, "inviter_id": 3}),
        api.post(
            "/events/invite/create", {"guild_id": GUILD, "invite_code": "ab", "channel_id": 1}
        ),
        api.post("/events/invite/delete", {"guild_id": GUILD, "invite_code": "ab"}),
        api.post("/events/join/check-invite", {"guild_id": GUILD, "member_id": 4}),
        api.post("/events/leave/check-invite", {"guild_id": GUILD, "member_id": 4}),
        api.post(
            "/invite",
            {
                "guild_id": GUILD,
                "channel_id": 1,
                "max_uses": 1,
                "max_age": 60,
                "is_temporary": False,
                "application_id": None,
                "token": None,
            },
        ),
        api.delete(
            "/invite",
            {"guild_id": GUILD, "invite_code": "ab", "application_id": None, "token": None},
        ),
    ]
    for call in calls:
        error_of(await call, 409, "ModuleDisabledError")
