"""The API under test, on each database, called through its HTTP interface."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from invite_tracker.api.app import create_app
from invite_tracker.db.session import Database
from invite_tracker.settings import Settings

INTERNAL_KEY = "internal-test-key-0123456789"
PREFIX = "/modules/invite-tracker"
GUILD = 111_111_111_111_111_111
OTHER_GUILD = 222_222_222_222_222_222


class Api:
    """A client that knows the module prefix and sends the internal key unless told not to."""

    def __init__(self, client: httpx.AsyncClient, key: str | None = INTERNAL_KEY) -> None:
        self.client = client
        self.key = key

    def as_key(self, key: str | None) -> Api:
        """The same client, authenticating with another key (None: no header)."""
        return Api(self.client, key)

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.key is not None:
            headers.setdefault("Authorization", f"Bearer {self.key}")
        url = path if path.startswith("/auth") or path.startswith("/docs") else PREFIX + path
        return await self.client.request(method, url, headers=headers, **kwargs)

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.call("GET", path, params=params)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.call("POST", path, json=body, **kwargs)

    async def put(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.call("PUT", path, json=body, **kwargs)

    async def delete(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.call("DELETE", path, json=body, **kwargs)

    async def enable(self, guild_id: int = GUILD) -> None:
        response = await self.post("/enable", {"guild_id": guild_id})
        assert response.status_code == 200, response.text


def data_of(response: httpx.Response, status: int = 200) -> Any:
    """The envelope's data, after checking it is a success with `status`."""
    body = response.json()
    assert response.status_code == status, body
    assert body["success"] is True, body
    assert body["error"] == {}
    return body["data"]


def error_of(response: httpx.Response, status: int, name: str) -> dict[str, Any]:
    """The envelope's error, after checking its HTTP status and name."""
    body = response.json()
    assert response.status_code == status, body
    assert body["success"] is False, body
    assert body["data"] == {}
    assert body["error"]["name"] == name, body
    assert isinstance(body["error"]["code"], int)
    assert body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


def app_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for an app under test."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "internal_api_keys": INTERNAL_KEY,
        "retention_days": 31,
    }
    values.update(overrides)
    return Settings(**values)


async def running_app(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and give an HTTP client speaking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tracker") as client:
            yield client


@pytest.fixture
async def client(database: Database, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for an app on the test's database."""
    app = create_app(app_settings(database_url), database=database)
    async for http in running_app(app):
        yield http


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    """The API, called with the internal key."""
    return Api(client)
