"""Embed configs against Discord's limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from invite_tracker.domain.embeds import EmbedConfigError, parse_embed_config


def field(name: str = "n", value: str = "v") -> dict[str, Any]:
    return {"name": name, "value": value}


VALID: list[dict[str, Any]] = [
    {"title": "t"},
    {"description": "d" * 4096},
    {"title": "t" * 256, "content": "c" * 2000},
    {"fields": [field() for _ in range(25)]},
    {"footer": {"text": "f" * 2048, "icon_url": "https://x/y.png"}},
    {"author": {"name": "a" * 256, "url": "https://x"}},
    {"image": {"url": "https://x/i.png"}, "color": 0xFFFFFF},
    {"thumbnail": {"url": "https://x/t.png"}, "timestamp": "<current_datetime_iso>"},
    {"fields": [field("n" * 256, "v" * 1024), {"name": "x", "value": "y", "inline": True}]},
    {"title": "a" * 256, "description": "b" * 4096, "footer": {"text": "c" * 1648}},
]

INVALID: list[tuple[Any, str]] = [
    ("{", "not valid JSON"),
    ("[]", "must be a JSON object"),
    ("{}", "nothing to show"),
    ({"content": "only"}, "nothing to show"),
    ({"title": "t" * 257}, "title is 257"),
    ({"description": "d" * 4097}, "description is 4097"),
    ({"title": "t", "content": "c" * 2001}, "content is 2001"),
    ({"fields": [field() for _ in range(26)]}, "at most 25 fields"),
    ({"fields": [field("n" * 257)]}, "fields[0].name is 257"),
    ({"fields": [field(value="v" * 1025)]}, "fields[0].value is 1025"),
    ({"fields": [{"name": "n"}]}, "fields[0].value is required"),
    ({"fields": [{"name": "n", "value": "v", "inline": "yes"}]}, "inline must be a boolean"),
    ({"fields": "x"}, "must be a list"),
    ({"footer": {"text": "f" * 2049}}, "footer.text is 2049"),
    ({"footer": "x"}, "footer must be an object"),
    ({"author": {"url": "https://x"}}, "author.name is required"),
    ({"title": "t", "image": {}}, "image.url is required"),
    ({"title": 5}, "title must be a string"),
    ({"title": "t", "color": -1}, "color"),
    ({"title": "t", "color": True}, "color"),
    ({"title": "t", "colour": 1}, "unknown embed field 'colour'"),
    (
        {"title": "a" * 256, "description": "b" * 4096, "footer": {"text": "c" * 1649}},
        "6001 characters",
    ),
]


@pytest.mark.parametrize("config", VALID)
def test_valid_configs(config: dict[str, Any]) -> None:
    assert parse_embed_config(json.dumps(config)) == config


@pytest.mark.parametrize(("config", "reason"), INVALID)
def test_invalid_configs(config: Any, reason: str) -> None:
    text = config if isinstance(config, str) else json.dumps(config)
    with pytest.raises(EmbedConfigError) as caught:
        parse_embed_config(text)
    assert reason in str(caught.value)
