"""Fixtures for the fake Discord's tests: a running fake, a small world, hikari and httpx."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import hikari
import httpx
import jsonschema
import pytest
from hikari.impl import config as hikari_config
from hikari.impl.rest import RESTClientImpl
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from invite_tracker.discord.rest import DiscordLimits, HikariDiscord
from invite_tracker.testing.fake_discord import Channel, FakeDiscord, Guild, User

TOKEN = "fake-token"

SPEC_PATH = Path(__file__).resolve().parents[2] / "data" / "discord-openapi-subset.json"
BASE_URI = "urn:discord-openapi-subset"


def _rebase(node: Any) -> Any:
    """Point a schema's local `#/...` references at the registered document."""
    if isinstance(node, dict):
        return {
            key: (
                BASE_URI + value
                if key == "$ref" and isinstance(value, str) and value.startswith("#")
                else _rebase(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rebase(item) for item in node]
    return node


def _with_string_inner_codes(document: dict[str, Any]) -> dict[str, Any]:
    patched = copy.deepcopy(document)
    items = patched["components"]["schemas"]["InnerErrors"]["properties"]["_errors"]["items"]
    items.clear()
    items.update(
        {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        }
    )
    return patched


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value)
    return "T" in value and (value.endswith("+00:00") or value.endswith("Z"))


FORMATS = jsonschema.FormatChecker()
FORMATS.checks("date-time", raises=ValueError)(_date_time)


class Spec:
    """Response schemas and headers of Discord's OpenAPI subset, ready to validate with.

    OpenAPI 3.1 schemas are JSON Schema 2020-12. The whole vendored document is registered
    as one resource, and each response schema's `#/components/...` references are resolved
    against it. One deliberate deviation: the spec types `code` inside a 50035 `errors` tree
    as an integer, but Discord sends strings there (`"BASE_TYPE_MAX_LENGTH"`, ...; see
    "Error Messages" in Discord's documentation, which wins where the two differ), so bodies
    with `errors` are checked against a copy whose `InnerErrors` items take string codes.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._registries = {
            strict: Registry().with_resource(
                BASE_URI,
                Resource.from_contents(
                    document if strict else _with_string_inner_codes(document),
                    default_specification=DRAFT202012,
                ),
            )
            for strict in (True, False)
        }

    def _response(self, path: str, method: str, status: int) -> dict[str, Any]:
        responses = self.document["paths"][path][method.lower()]["responses"]
        found = responses.get(str(status)) or responses.get(f"{status // 100}XX")
        assert found is not None, f"the spec defines no {status} for {method} {path}"
        ref = found.get("$ref")
        if ref:
            node: Any = self.document
            for part in ref.removeprefix("#/").split("/"):
                node = node[part]
            found = node
        assert isinstance(found, dict)
        return found

    def check(self, path: str, method: str, response: httpx.Response) -> None:
        """Validate status, body and the headers the spec declares for this answer."""
        definition = self._response(path, method, response.status_code)
        content = definition.get("content")
        if content is None:
            assert response.content == b"", "the spec says this answer has no body"
        else:
            assert response.headers["content-type"].startswith("application/json")
            body = response.json()
            strict = not (isinstance(body, dict) and "errors" in body)
            schema = _rebase(content["application/json"]["schema"])
            validator = jsonschema.Draft202012Validator(
                schema, registry=self._registries[strict], format_checker=FORMATS
            )
            error = jsonschema.exceptions.best_match(validator.iter_errors(body))
            assert error is None, f"{method} {path} -> {response.status_code}: {error}\n{body}"
        for name, header in definition.get("headers", {}).items():
            header = self._resolve_header(header)
            if name not in response.headers:
                # OpenAPI headers are optional unless `required` (the callback sends none).
                assert not header.get("required", False), f"missing header {name}"
                continue
            kind = str(header["schema"]["type"])
            {"integer": int, "number": float, "string": str}[kind](response.headers[name])

    def check_request(self, path: str, method: str, body: Any) -> None:
        """Validate a request body a client sent against the operation's `requestBody`."""
        operation = self.document["paths"][path][method.lower()]
        definition = operation.get("requestBody")
        if definition is None:
            assert body is None, f"{method} {path} takes no body, got {body!r}"
            return
        if body is None:
            assert not definition.get("required", False), f"{method} {path} needs a body"
            return
        schema = _rebase(definition["content"]["application/json"]["schema"])
        validator = jsonschema.Draft202012Validator(
            schema, registry=self._registries[True], format_checker=FORMATS
        )
        error = jsonschema.exceptions.best_match(validator.iter_errors(body))
        assert error is None, f"request {method} {path}: {error}\n{body}"

    def validate(self, schema: dict[str, Any], body: Any, what: str) -> None:
        """Validate a body against a schema of our own whose `#/components/...` references
        point into the spec (for the routes the spec does not describe)."""
        strict = not (isinstance(body, dict) and "errors" in body)
        validator = jsonschema.Draft202012Validator(
            _rebase(schema), registry=self._registries[strict], format_checker=FORMATS
        )
        error = jsonschema.exceptions.best_match(validator.iter_errors(body))
        assert error is None, f"{what}: {error}\n{body}"

    def _resolve_header(self, header: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in header:
            found = self.document["components"]["headers"][header["$ref"].rsplit("/", 1)[1]]
            assert isinstance(found, dict)
            return found
        return header


@pytest.fixture(scope="session")
def spec() -> Spec:
    """The vendored OpenAPI subset, parsed once."""
    return Spec(json.loads(SPEC_PATH.read_text()))


ClientFactory = Callable[..., AbstractAsyncContextManager[RESTClientImpl]]


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A fresh fake Discord on a random loopback port."""
    async with FakeDiscord.running(token=TOKEN) as running:
        yield running


@pytest.fixture
async def guild(fake: FakeDiscord) -> Guild:
    """A guild with the bot in it (all permissions)."""
    return await fake.create_guild("Test Guild")


@pytest.fixture
async def channel(fake: FakeDiscord, guild: Guild) -> Channel:
    """A text channel of `guild`."""
    return await fake.create_channel(guild.id, "general")


@pytest.fixture
async def alice(fake: FakeDiscord, guild: Guild) -> User:
    """A member of `guild` who makes invites."""
    user = await fake.create_user("alice", global_name="Alice")
    await fake.add_member(guild.id, user.id)
    return user


@pytest.fixture
async def http(fake: FakeDiscord) -> AsyncIterator[httpx.AsyncClient]:
    """A raw HTTP client on the fake's API, with the bot token."""
    headers = {"Authorization": f"Bot {TOKEN}", "User-Agent": "DiscordBot (tests, 1.0)"}
    async with httpx.AsyncClient(base_url=fake.api_url, headers=headers) as client:
        yield client


@pytest.fixture
async def control(fake: FakeDiscord) -> AsyncIterator[httpx.AsyncClient]:
    """A raw HTTP client on the fake's control API."""
    async with httpx.AsyncClient(base_url=fake.control_url) as client:
        yield client


@pytest.fixture
def make_client(fake: FakeDiscord) -> ClientFactory:
    """Open hikari's REST client on the fake: `async with make_client(max_retries=0) as rest:`."""

    @asynccontextmanager
    async def open_client(
        *, max_retries: int = 3, request_timeout: float = 30.0, token: str = TOKEN
    ) -> AsyncIterator[RESTClientImpl]:
        settings = hikari_config.HTTPSettings(
            timeouts=hikari_config.HTTPTimeoutSettings(total=request_timeout)
        )
        app = hikari.RESTApp(url=fake.api_url, max_retries=max_retries, http_settings=settings)
        await app.start()
        try:
            async with app.acquire(token, hikari.TokenType.BOT) as client:
                yield client
        finally:
            await app.close()

    return open_client


@pytest.fixture
async def rest(make_client: ClientFactory) -> AsyncIterator[RESTClientImpl]:
    """hikari's REST client with default settings, authenticated as the bot."""
    async with make_client() as client:
        yield client


@pytest.fixture
async def adapter(fake: FakeDiscord) -> AsyncIterator[HikariDiscord]:
    """The service's Discord adapter on hikari, pointed at the fake."""
    discord = await HikariDiscord.connect(fake.api_url, TOKEN, DiscordLimits(total_timeout=5.0))
    try:
        yield discord
    finally:
        await discord.close()
