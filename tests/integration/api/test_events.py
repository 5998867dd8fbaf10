"""Join and leave checks, until the Discord adapter exists: honest errors, nothing recorded."""

from __future__ import annotations

import pytest

from tests.integration.api.conftest import GUILD, Api, data_of, error_of


@pytest.mark.parametrize("kind", ["join", "leave"])
async def test_checks_answer_an_honest_error_and_record_nothing(api: Api, kind: str) -> None:
    await api.enable()
    response = await api.post(f"/events/{kind}/check-invite", {"guild_id": GUILD, "member_id": 42})
    error = error_of(response, 502, "DiscordApiInteractionError")
    assert "nothing was recorded" in error["message"]
    refs = data_of(await api.get("/privacy/get-user-entries", guild_id=GUILD, privacy_member_id=42))
    assert refs["entries"]["total"] == 0


@pytest.mark.parametrize("kind", ["join", "leave"])
async def test_checks_need_a_known_guild(api: Api, kind: str) -> None:
    error_of(
        await api.post(f"/events/{kind}/check-invite", {"guild_id": GUILD}), 404, "SettingsError"
    )


@pytest.mark.parametrize("kind", ["join", "leave"])
async def test_checks_need_guild_id(api: Api, kind: str) -> None:
    error = error_of(
        await api.post(f"/events/{kind}/check-invite", {"member_id": 1}), 400, "BadRequestError"
    )
    assert "guild_id" in error["message"]
