"""Bad input of every kind gets a clear error in the envelope, and stored data is untouched."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.integration.api.conftest import GUILD, Api, data_of, error_of
from tests.integration.api.test_settings import full_settings

BAD_IDS: list[Any] = [0, -1, 2**64, "12abc", "", " 12", "1e5", 1.5, True, [1], {"id": 1}, None]
GOOD_IDS: list[Any] = [1, "1", 2**64 - 1, str(2**64 - 1), 2**63, "001"]


@pytest.mark.parametrize("guild_id", BAD_IDS)
async def test_bad_guild_ids_in_a_body(api: Api, guild_id: Any) -> None:
    error = error_of(await api.post("/enable", {"guild_id": guild_id}), 400, "BadRequestError")
    assert "guild_id" in error["message"]


@pytest.mark.parametrize("guild_id", ["0", "-1", str(2**64), "12abc", "", "1.0"])
async def test_bad_guild_ids_in_a_query(api: Api, guild_id: str) -> None:
    error = error_of(await api.get("/status", guild_id=guild_id), 400, "BadRequestError")
    assert "guild_id" in error["message"]


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("GET", "/joins", {"member_id": ""}),
        ("POST", "/events/leave/check-invite", {"member_id": ""}),
        ("POST", "/events/join/check-invite", {"member_id": ""}),
        ("GET", "/stats/uses", {"inviter_id": ""}),
    ],
)
async def test_an_empty_query_value_of_an_optional_field_is_no_null(
    api: Api, method: str, path: str, query: dict[str, str]
) -> None:
    """Only a field the seed requires but lets be None reads an empty value as null; an
    optional filter or id left empty is a mistake, not "no filter"."""
    await api.enable()
    response = await api.call(method, path, params={"guild_id": GUILD, **query})
    error = error_of(response, 400, "BadRequestError")
    assert error["message"].startswith(next(iter(query)))


async def test_a_nul_in_the_query_string_is_refused(api: Api) -> None:
    error = error_of(await api.get("/status", guild_id="1", note="a\x00"), 400, "BadRequestError")
    assert "note holds a NUL character" in error["message"]


@pytest.mark.parametrize("guild_id", GOOD_IDS)
async def test_ids_up_to_two_to_the_64_are_kept_exactly(api: Api, guild_id: Any) -> None:
    data = data_of(await api.post("/enable", {"guild_id": guild_id}))
    assert data["guild_id"] == str(int(guild_id))
    again = data_of(await api.get("/status", guild_id=str(guild_id)))
    assert again["guild_id"] == str(int(guild_id))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{", "not valid JSON"),
        (b"{'guild_id': 1}", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object, not a list"),
        (b'"text"', "not a string"),
        (b"12", "not a number"),
        (b"null", "not null"),
        (b"\xff\xfe", "not UTF-8"),
        # json.loads takes these, but nothing after it can use them
        (b'{"guild_id": "1", "x": ' + b"[" * 30000 + b"]" * 30000 + b"}", "nested deeper"),
        (b'{"guild_id": "1", "x": ' + b"[" * 40 + b"]" * 40 + b"}", "nested deeper than 32"),
        (b'{"guild_id": "1", "x": ' + b"9" * 5000 + b"}", "not usable JSON"),
        (b'{"guild_id": "1", "note": "\\ud800 lone"}', "note holds a lone surrogate"),
        (b'{"guild_id": "1", "x": ["a\\u0000b"]}', "x.0 holds a NUL character"),
        (b'{"guild_id": "1", "\\udfff": 1}', "the request body holds a lone surrogate"),
    ],
)
async def test_malformed_bodies(api: Api, body: bytes, expected: str) -> None:
    response = await api.call(
        "POST", "/enable", content=body, headers={"Content-Type": "application/json"}
    )
    error = error_of(response, 400, "BadRequestError")
    assert expected in error["message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("join_messages_enabled", "yes"),
        ("join_messages_enabled", 1),
        ("join_messages_enabled", None),
        ("join_message_is_embed", 2),
        ("join_message_is_embed", "1"),
        ("join_message_content", 5),
        ("join_messages_channel", "abc"),
        ("prevent_own_invite_code", "false"),
        ("server_shared_invite_link", ["discord.gg/x"]),
        ("join_message_content", "\ud800 lone"),
        ("leave_message_content", "a\x00b"),
    ],
)
async def test_wrong_types_in_settings_name_the_field(api: Api, field: str, value: Any) -> None:
    await api.enable()
    before = data_of(await api.get("/settings", guild_id=GUILD))
    body = json.dumps(full_settings(**{field: value}))  # ASCII: a lone surrogate as \ud800
    response = await api.call(
        "PUT", "/settings", content=body, headers={"Content-Type": "application/json"}
    )
    error = error_of(response, 400, "BadRequestError")
    assert error["message"].startswith(field)
    assert data_of(await api.get("/settings", guild_id=GUILD)) == before


@pytest.mark.parametrize("missing", sorted(full_settings()))
async def test_every_settings_field_is_required(api: Api, missing: str) -> None:
    await api.enable()
    body = full_settings()
    del body[missing]
    error = error_of(await api.put("/settings", body), 400, "BadRequestError")
    assert error["message"].startswith(f"{missing}: field required")


async def test_unknown_fields_are_ignored(api: Api) -> None:
    data_of(await api.post("/enable", {"guild_id": GUILD, "colour": "blue", "nested": {"a": 1}}))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"max_uses": "5"}, "max_uses"),
        ({"max_uses": 5.0}, "max_uses"),
        ({"is_temporary": "false"}, "is_temporary"),
        ({"channel_id": None}, "channel_id"),
        ({"application_id": "x"}, "application_id"),
        ({"token": 12}, "token"),
    ],
)
async def test_wrong_types_for_invite_creation(
    api: Api, fields: dict[str, Any], expected: str
) -> None:
    await api.enable()
    body = {
        "guild_id": GUILD,
        "channel_id": 1,
        "max_uses": 1,
        "max_age": 60,
        "is_temporary": False,
        "application_id": None,
        "token": None,
    }
    body.update(fields)
    error = error_of(await api.post("/invite", body), 400, "BadRequestError")
    assert error["message"].startswith(expected)


@pytest.mark.parametrize("code", ["a", "x" * 33, "has space", "emoji😀", "slash/x", True])
async def test_bad_invite_codes(api: Api, code: Any) -> None:
    await api.enable()
    body = {"guild_id": GUILD, "invite_code": code, "channel_id": 1}
    error = error_of(await api.post("/events/invite/create", body), 400, "BadRequestError")
    assert "invite_code" in error["message"]


@pytest.mark.parametrize("value", ["yesterday", "2026-11-29T10:00:00", 12345])
async def test_timestamps_need_an_offset(api: Api, value: Any) -> None:
    await api.enable()
    body = {"guild_id": GUILD, "invite_code": "abc", "channel_id": 1, "created_at": value}
    error = error_of(await api.post("/events/invite/create", body), 400, "BadRequestError")
    assert error["message"].startswith("created_at")


@pytest.mark.parametrize(
    ("path", "field", "fields"),
    [
        ("/events/invite/create", "uses", {"uses": 10**20}),
        ("/events/invite/create", "max_uses", {"max_uses": 2**31}),
        ("/events/invite/create", "max_age", {"max_age": -(2**31) - 1}),
        (
            "/events/invite/create",
            "max_age",
            {"max_age": 10**12, "created_at": "2026-12-01T08:00:00+00:00"},
        ),
        (
            "/events/invite/create",
            "created_at",
            {"created_at": "9999-12-31T23:59:59+00:00", "max_age": 86400},
        ),
        ("/events/invite/create", "expires_at", {"expires_at": "0001-01-01T00:00:00+00:00"}),
        (
            "/events/join/check-invite",
            "joined_at",
            {"member_id": 5, "joined_at": "0001-01-01T00:00:00+00:00"},
        ),
        (
            "/events/leave/check-invite",
            "left_at",
            {"member_id": 5, "left_at": "2014-12-31T23:59:59+00:00"},
        ),
    ],
)
async def test_values_out_of_range_are_422_and_store_nothing(
    api: Api, path: str, field: str, fields: dict[str, Any]
) -> None:
    """Well-typed values no invite or membership can have: the field is named, nothing is
    stored, and no 500 comes of a number or date too large for storage or arithmetic."""
    await api.enable()
    body = {"guild_id": GUILD, "invite_code": "abc", "channel_id": 1, **fields}
    error = error_of(await api.post(path, body), 422, "UnprocessableEntityError")
    assert error["message"].startswith(f"Unprocessable Entity! {field}: must be")
    assert data_of(await api.get("/joins", guild_id=GUILD))["joins"] == []
    links = data_of(await api.get("/invite-links", guild_id=GUILD))
    assert links["invites"] == []


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/leaderboard", {"offset": str(2**62)}),
        ("/joins", {"before": str(2**63)}),
        ("/joins", {"limit": "-" + "9" * 30}),
    ],
)
async def test_paging_numbers_out_of_range_say_so(
    api: Api, path: str, query: dict[str, str]
) -> None:
    await api.enable()
    error = error_of(await api.get(path, guild_id=GUILD, **query), 422, "UnprocessableEntityError")
    (field,) = query
    assert f"{field}: must be between" in error["message"]


async def test_query_fields_fill_in_an_empty_delete_or_post_body(api: Api) -> None:
    data_of(await api.call("POST", "/enable", params={"guild_id": GUILD}))
    query = {
        "guild_id": GUILD,
        "channel_id": 1,
        "max_uses": "101",
        "max_age": "60",
        "is_temporary": "false",
    }
    error = error_of(await api.call("POST", "/invite", params=query), 400, "BadRequestError")
    assert error["message"].startswith("application_id: field required")  # required, as seeded
    query |= {"application_id": "", "token": ""}  # a query string's null: an empty value
    error = error_of(
        await api.call("POST", "/invite", params=query), 422, "UnprocessableEntityError"
    )
    assert "max_uses" in error["message"]
    data_of(await api.call("DELETE", "/settings/delete", params={"guild_id": GUILD}))


async def test_oversized_body_is_413_and_changes_nothing(api: Api) -> None:
    await api.enable()
    before = data_of(await api.get("/settings", guild_id=GUILD))
    huge = full_settings(join_message_content="x" * (70 * 1024))
    error = error_of(await api.put("/settings", huge), 413, "PayloadTooLargeError")
    assert error["code"] == 413
    assert data_of(await api.get("/settings", guild_id=GUILD)) == before


async def test_oversized_streamed_body_without_length_is_413(api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b" " * 1024

    response = await api.call(
        "POST", "/enable", content=chunks(), headers={"Content-Type": "application/json"}
    )
    error_of(response, 413, "PayloadTooLargeError")


async def test_auth_is_checked_before_the_body(api: Api) -> None:
    response = await api.as_key(None).call("POST", "/enable", content=b"{")
    error_of(response, 401, "UnauthorizedError")
