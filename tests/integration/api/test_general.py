"""General: the home route, unknown routes and methods, the OpenAPI document."""

from __future__ import annotations

import gc
from typing import Any

import httpx
import pytest

from invite_tracker.api.app import create_app
from invite_tracker.db.session import Database
from tests.integration.api.conftest import (
    GUILD,
    PREFIX,
    Api,
    app_settings,
    data_of,
    error_of,
    running_app,
)

SEED_ENDPOINTS = [
    ("get", "/"),
    ("get", "/settings"),
    ("put", "/settings"),
    ("delete", "/settings/delete"),
    ("get", "/status"),
    ("post", "/enable"),
    ("post", "/disable"),
    ("get", "/invite-links"),
    ("post", "/invite"),
    ("delete", "/invite"),
    ("post", "/stats/uses"),
    ("post", "/events/invite/create"),
    ("post", "/events/invite/delete"),
    ("post", "/events/join/check-invite"),
    ("post", "/events/leave/check-invite"),
    ("get", "/privacy/get-user-entries"),
    ("delete", "/privacy/delete-user-entries"),
]


@pytest.mark.parametrize("path", [f"{PREFIX}/", PREFIX])
async def test_home_answers_without_a_key(client: httpx.AsyncClient, path: str) -> None:
    data = data_of(await client.get(path))
    assert "Invite Tracker API" in data["message"]


async def test_unknown_route_is_not_found_in_the_envelope(api: Api) -> None:
    error = error_of(await api.get("/nope"), 404, "NotFoundError")
    assert error["code"] == 404


async def test_a_trailing_slash_is_served_like_the_route_not_redirected(api: Api) -> None:
    """Husqy's paths mix both forms (`/auth/api-key/`, `/status`): either form answers in
    the envelope, never a 307 with an empty body."""
    await api.enable()
    status = data_of(await api.get("/status/", guild_id=GUILD))
    assert status == {"guild_id": str(GUILD), "enabled": True}
    joined = data_of(
        await api.post("/events/join/check-invite/", {"guild_id": GUILD, "member_id": 42})
    )
    assert joined["member_id"] == "42"
    assert data_of(await api.get("/joins/", guild_id=GUILD))["joins"][0]["member_id"] == "42"
    error_of(await api.get("/nope/"), 404, "NotFoundError")
    error_of(await api.call("PATCH", "/settings/"), 405, "MethodNotAllowedError")


async def test_other_method_on_a_known_route_is_405(api: Api) -> None:
    response = await api.call("PATCH", "/settings")
    error = error_of(response, 405, "MethodNotAllowedError")
    assert error["code"] == 405
    assert "GET" in response.headers["allow"]


async def test_every_response_carries_a_request_id(api: Api) -> None:
    params = {"guild_id": 1}
    response = await api.call("GET", "/status", params=params, headers={"X-Request-ID": "abc-1"})
    assert response.headers["x-request-id"] == "abc-1"
    response = await api.call("GET", "/status", params=params, headers={"X-Request-ID": "a b"})
    assert response.headers["x-request-id"] != "a b"


async def test_openapi_describes_every_seed_endpoint_with_errors(client: httpx.AsyncClient) -> None:
    spec = data = (await client.get("/openapi.json")).json()
    assert data["info"]["title"] == "Husqy invite tracker"
    for method, path in SEED_ENDPOINTS:
        operation = spec["paths"][PREFIX + path][method]
        assert operation["responses"]["200"]
        if path != "/":
            assert "401" in operation["responses"], (method, path)
            assert "400" in operation["responses"], (method, path)
            documented_input = operation.get("requestBody") or operation.get("parameters")
            assert documented_input, (method, path)
    settings_put = spec["paths"][PREFIX + "/settings"]["put"]
    body_schema = settings_put["requestBody"]["content"]["application/json"]["schema"]
    assert len(body_schema["required"]) == 11
    assert spec["paths"]["/auth/api-key/"].keys() >= {"get", "post", "delete"}
    error_ref = settings_put["responses"]["409"]["content"]["application/json"]["schema"]
    assert error_ref["$ref"].endswith("/ErrorEnvelope")


def _numbers(value: Any) -> list[int | float]:
    if isinstance(value, dict):
        return [n for item in value.values() for n in _numbers(item)]
    if isinstance(value, list):
        return [n for item in value for n in _numbers(item)]
    return [value] if isinstance(value, int | float) and not isinstance(value, bool) else []


async def test_openapi_says_how_to_authenticate_and_what_keys_may_meet(
    client: httpx.AsyncClient,
) -> None:
    """Every route but the home one takes a bearer key, and may refuse it (401) or refuse a
    guild key another guild's data (403); the seed's query fields of POST /stats/uses are
    there; bounds are exact integers."""
    spec = (await client.get("/openapi.json")).json()
    scheme = spec["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            public = path == PREFIX + "/"
            assert ("security" in operation) is not public, (method, path)
            assert ("401" in operation["responses"]) is not public, (method, path)
            assert ("403" in operation["responses"]) is not public, (method, path)
    uses = spec["paths"][PREFIX + "/stats/uses"]["post"]
    assert {p["name"] for p in uses["parameters"] if p["in"] == "query"} == {
        "guild_id",
        "inviter_id",
    }
    assert uses["requestBody"]["required"] is False  # the query may carry the fields instead
    assert all(isinstance(n, int) for n in _numbers(spec)), "a bound written as a float"


def _query_schema(operation: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [p["schema"] for p in operation["parameters"] if p["name"] == name]
    schema: dict[str, Any] = found
    return schema


async def test_openapi_gives_the_bounds_and_answers_the_service_keeps(
    client: httpx.AsyncClient,
) -> None:
    """Paging bounds as the service enforces them; the 413 of an oversized body wherever a
    body is read; every envelope key required, since every answer has all three."""
    spec = (await client.get("/openapi.json")).json()
    log = spec["paths"][PREFIX + "/joins"]["get"]
    assert _query_schema(log, "limit") | {"default": 0} == {
        "type": "integer",
        "minimum": 1,
        "maximum": 200,
        "default": 0,
    }
    board = spec["paths"][PREFIX + "/leaderboard"]["get"]
    assert (_query_schema(board, "limit")["minimum"], _query_schema(board, "limit")["maximum"]) == (
        1,
        100,
    )
    assert _query_schema(board, "offset")["minimum"] == 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert ("413" in operation["responses"]) is ("requestBody" in operation), (method, path)
    schemas = spec["components"]["schemas"]
    for name in ("ErrorEnvelope", "Envelope_JoinRead_"):
        assert sorted(schemas[name]["required"]) == ["data", "error", "success"], name


async def test_interactive_docs_are_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


async def test_what_exists_at_start_is_left_out_of_full_collections(
    database: Database, database_url: str
) -> None:
    app = create_app(app_settings(database_url), database=database)
    async for client in running_app(app):
        assert (await client.get(f"{PREFIX}/")).status_code == 200
        assert gc.get_freeze_count() > 0  # the start-up heap is out of the collector's passes
    assert gc.get_freeze_count() == 0  # and collectable again once the service has stopped
