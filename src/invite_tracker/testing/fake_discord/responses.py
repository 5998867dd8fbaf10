"""Small helpers shared by the Discord and control handlers: JSON in, JSON out, path ids."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from invite_tracker.testing.fake_discord import errors
from invite_tracker.testing.fake_discord.errors import DiscordError
from invite_tracker.testing.fake_discord.validation import parse_snowflake


def json_response(body: Any, status: int = 200) -> web.Response:
    """A JSON answer with Discord's content type."""
    return web.json_response(body, status=status)


def error_response(error: DiscordError) -> web.Response:
    """Discord's error body with the error's status."""
    return json_response(error.body(), status=error.status)


async def read_json(request: web.Request) -> Any:
    """The request's JSON body, None when it has none; Discord's 50109 when it is not JSON."""
    if not request.body_exists:
        return None
    raw = await request.read()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise errors.invalid_json() from None


def snowflake(request: web.Request, name: str) -> int:
    """A snowflake path parameter (50035 NUMBER_TYPE_COERCE when it is not one)."""
    return parse_snowflake(name, request.match_info[name])


def query_flag(request: web.Request, name: str) -> bool:
    """A boolean query parameter as Discord reads it (`true`/`1`)."""
    return request.query.get(name, "").lower() in ("true", "1")
