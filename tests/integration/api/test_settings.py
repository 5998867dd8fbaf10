"""Settings: read, replace (with the contract's validation), and offboarding."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from invite_tracker.db.session import Database
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.joins import NewJoin, NewLeave
from tests.integration.api.conftest import GUILD, OTHER_GUILD, Api, data_of, error_of

EMBED = json.dumps(
    {"title": "Welcome <user_mention>", "description": "Invited by <inviter_mention>"}
)


def full_settings(**changes: Any) -> dict[str, Any]:
    """A complete, valid PUT body."""
    body: dict[str, Any] = {
        "guild_id": GUILD,
        "join_messages_enabled": True,
        "join_messages_channel": "333333333333333333",
        "join_message_content": "Welcome <user_mention>, invited by <inviter_mention>!",
        "join_message_is_embed": False,
        "leave_messages_enabled": True,
        "leave_messages_channel": 444444444444444444,
        "leave_message_content": EMBED,
        "leave_message_is_embed": 1,
        "prevent_own_invite_code": True,
        "server_shared_invite_link": "https://discord.gg/husqy",
    }
    body.update(changes)
    return body


async def test_put_replaces_and_get_reads_back(api: Api) -> None:
    await api.enable()
    stored = data_of(await api.put("/settings", full_settings()))
    assert stored["join_messages_channel"] == "333333333333333333"
    assert stored["leave_messages_channel"] == "444444444444444444"
    assert stored["leave_message_is_embed"] is True
    assert stored["server_shared_invite_link"] == "https://discord.gg/husqy"
    assert data_of(await api.get("/settings", guild_id=GUILD)) == stored


async def test_put_can_turn_messages_off_with_nulls(api: Api) -> None:
    await api.enable()
    body = full_settings(
        join_messages_enabled=False,
        join_messages_channel=None,
        join_message_content=None,
        leave_messages_enabled=False,
        leave_messages_channel=None,
        leave_message_content=None,
        leave_message_is_embed=0,
        server_shared_invite_link=None,
    )
    stored = data_of(await api.put("/settings", body))
    assert stored["join_messages_channel"] is None
    assert stored["server_shared_invite_link"] is None


@pytest.mark.parametrize(
    ("link", "stored"),
    [
        ("discord.gg/abc-123", "https://discord.gg/abc-123"),
        ("https://discord.com/invite/Husqy", "https://discord.gg/Husqy"),
        ("http://discordapp.com/invite/xyz?event=1", "https://discord.gg/xyz"),
        ("  rawcode  ", "https://discord.gg/rawcode"),
    ],
)
async def test_shared_invite_link_is_normalised(api: Api, link: str, stored: str) -> None:
    await api.enable()
    data = data_of(await api.put("/settings", full_settings(server_shared_invite_link=link)))
    assert data["server_shared_invite_link"] == stored


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"join_messages_channel": None}, "join_messages_channel is required"),
        ({"join_message_content": None}, "join_message_content is required"),
        ({"join_message_content": "   "}, "join_message_content is required"),
        ({"leave_messages_channel": None}, "leave_messages_channel is required"),
        ({"leave_message_content": "{not json"}, "not valid JSON"),
        ({"leave_message_content": "[1, 2]"}, "must be a JSON object"),
        ({"leave_message_content": json.dumps({"title": "x" * 257})}, "title is 257"),
        ({"leave_message_content": json.dumps({"colour": 1, "title": "x"})}, "unknown embed"),
        ({"leave_message_content": json.dumps({"content": "only text"})}, "nothing to show"),
        ({"leave_message_content": json.dumps({"title": "\ud800"})}, "title holds a lone"),
        ({"leave_message_content": '{"title": "x", "color": ' + "9" * 5000 + "}"}, "not usable"),
        (
            {
                "leave_message_content": '{"title": "x", "footer": '
                + '{"a": ' * 3000
                + "1"
                + "}" * 3001
            },
            "nested deeper",
        ),
        ({"join_message_content": "x" * 2001}, "2001 characters"),
        ({"server_shared_invite_link": "https://example.com/x"}, "server_shared_invite_link"),
        ({"server_shared_invite_link": "discord.gg/"}, "server_shared_invite_link"),
    ],
)
async def test_unusable_settings_are_422_and_change_nothing(
    api: Api, changes: dict[str, Any], reason: str
) -> None:
    await api.enable()
    before = data_of(await api.get("/settings", guild_id=GUILD))
    error = error_of(
        await api.put("/settings", full_settings(**changes)), 422, "UnprocessableEntityError"
    )
    assert error["code"] == 422
    assert error["message"].startswith("Unprocessable Entity! ")
    assert reason in error["message"]
    assert data_of(await api.get("/settings", guild_id=GUILD)) == before


async def test_put_while_disabled_or_unknown(api: Api) -> None:
    error_of(await api.put("/settings", full_settings()), 404, "SettingsError")
    await api.enable()
    data_of(await api.post("/disable", {"guild_id": GUILD}))
    error_of(await api.put("/settings", full_settings()), 409, "ModuleDisabledError")


async def test_get_settings_unknown_guild(api: Api) -> None:
    error_of(await api.get("/settings", guild_id=GUILD), 404, "SettingsError")


async def test_settings_delete_offboards_everything_of_the_guild_only(
    api: Api, database: Database
) -> None:
    await api.enable(GUILD)
    await api.enable(OTHER_GUILD)
    for guild in (GUILD, OTHER_GUILD):
        data_of(
            await api.post(
                "/events/invite/create",
                {"guild_id": guild, "invite_code": f"c{guild}", "channel_id": 1},
            )
        )
        data_of(await api.post("/auth/api-key/", {"guild_id": guild}))
        await seed_join_and_leave(database, guild)

    data = data_of(await api.delete("/settings/delete", {"guild_id": GUILD}))
    assert data["deleted"] == {"settings": 1, "invites": 1, "joins": 1, "leaves": 1, "api_keys": 1}

    error_of(await api.get("/status", guild_id=GUILD), 404, "SettingsError")
    refs = data_of(await api.get("/privacy/get-user-entries", guild_id=GUILD, privacy_member_id=7))
    assert refs["entries"]["total"] == 0
    other = data_of(
        await api.get("/privacy/get-user-entries", guild_id=OTHER_GUILD, privacy_member_id=7)
    )
    assert other["entries"]["joins_as_member"] == 1
    keys = data_of(await api.get("/auth/api-key/"))["keys"]
    assert [key["guild_id"] for key in keys] == [str(OTHER_GUILD)]
    # The guild is unknown again: enabling starts from defaults.
    await api.enable(GUILD)
    assert data_of(await api.get("/invite-links", guild_id=GUILD))["invites"] == []


async def test_settings_delete_works_while_disabled_and_needs_a_known_guild(api: Api) -> None:
    error_of(await api.delete("/settings/delete", {"guild_id": GUILD}), 404, "SettingsError")
    await api.enable()
    data_of(await api.post("/disable", {"guild_id": GUILD}))
    data_of(await api.delete("/settings/delete", {"guild_id": GUILD}))


async def seed_join_and_leave(
    database: Database, guild: int, member: int = 7, inviter: int = 9
) -> None:
    """Store one credited join of `member` by `inviter`, and its leave."""
    now = datetime.now(UTC)
    async with database.unit_of_work() as uow:
        join_id = await uow.joins.add(
            NewJoin(
                guild_id=guild,
                member_id=member,
                joined_at=now,
                join_type=JoinType.INVITE,
                invite_code=f"c{guild}",
                inviter_id=inviter,
                counted=True,
            ),
            now=now,
        )
        await uow.leaves.add(
            NewLeave(
                guild_id=guild,
                member_id=member,
                left_at=now,
                join_id=join_id,
                inviter_id=inviter,
                invite_code=f"c{guild}",
                counted=True,
            ),
            now=now,
        )
        await uow.commit()
