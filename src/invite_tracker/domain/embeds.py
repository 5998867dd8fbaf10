"""Husqy embed JSON configs: parsing and Discord's embed limits.

An embed config is a JSON object with Discord's embed fields and an optional `content` string
beside them. The same checks run on the stored template (when settings are saved) and on the
rendered message (before it is sent), so Discord never refuses a message for its size.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from invite_tracker.domain.json_text import JsonTextError, load_json

TITLE_MAX: Final = 256
DESCRIPTION_MAX: Final = 4096
FIELDS_MAX: Final = 25
FIELD_NAME_MAX: Final = 256
FIELD_VALUE_MAX: Final = 1024
FOOTER_MAX: Final = 2048
AUTHOR_NAME_MAX: Final = 256
EMBED_TOTAL_MAX: Final = 6000
"""Across all the embeds of one message."""
MESSAGE_EMBEDS_MAX: Final = 10
CONTENT_MAX: Final = 2000
COLOR_MAX: Final = 0xFFFFFF

_TEXT_KEYS: Final = {"title": TITLE_MAX, "description": DESCRIPTION_MAX}
_URL_KEYS: Final = ("url", "timestamp")
_MEDIA_KEYS: Final = ("image", "thumbnail")
_PART_TEXTS: Final = (("footer", "text"), ("author", "name"))
ALLOWED_KEYS: Final = frozenset(
    {"content", "title", "description", "url", "color", "timestamp"}
    | {"footer", "image", "thumbnail", "author", "fields"}
)
_VISIBLE_KEYS: Final = ("title", "description", "fields", "footer", "image", "thumbnail", "author")


class EmbedConfigError(ValueError):
    """The text is not a usable embed config; the message says why."""


def parse_embed_config(text: str) -> dict[str, Any]:
    """Parse and check an embed config, returning the JSON object.

    Raises EmbedConfigError when it is not valid JSON, not an object, not an embed, or over one
    of Discord's limits.
    """
    try:
        config = load_json(text, what="the embed config")
    except JsonTextError as exc:
        raise EmbedConfigError(str(exc)) from None
    if not isinstance(config, dict):
        raise EmbedConfigError("the embed config must be a JSON object")
    check_embed_config(config)
    return config


def check_embed_config(config: Mapping[str, Any]) -> None:
    """Check an already parsed embed config against Discord's shapes and limits."""
    unknown = sorted(set(config) - ALLOWED_KEYS)
    if unknown:
        raise EmbedConfigError(
            f"unknown embed field {unknown[0]!r}; allowed: {', '.join(sorted(ALLOWED_KEYS))}"
        )
    if not any(config.get(key) for key in _VISIBLE_KEYS):
        raise EmbedConfigError(
            "the embed config has nothing to show: give a title, description, fields, "
            "footer, image, thumbnail or author"
        )
    _optional_text(config, "content", CONTENT_MAX)
    for key, limit in _TEXT_KEYS.items():
        _optional_text(config, key, limit)
    for key in _URL_KEYS:
        _optional_text(config, key, None)
    color = config.get("color")
    if color is not None and (
        isinstance(color, bool) or not isinstance(color, int) or not 0 <= color <= COLOR_MAX
    ):
        raise EmbedConfigError("embed color must be an integer from 0 to 16777215")
    for key in _MEDIA_KEYS:
        media = _optional_object(config, key)
        if media is not None:
            _required_text(media, "url", None, where=key)
    footer = _optional_object(config, "footer")
    if footer is not None:
        _required_text(footer, "text", FOOTER_MAX, where="footer")
        _optional_text(footer, "icon_url", None, where="footer")
    author = _optional_object(config, "author")
    if author is not None:
        _required_text(author, "name", AUTHOR_NAME_MAX, where="author")
        _optional_text(author, "url", None, where="author")
        _optional_text(author, "icon_url", None, where="author")
    _check_fields(config.get("fields"))
    total = embed_text_length(config)
    if total > EMBED_TOTAL_MAX:
        raise EmbedConfigError(
            f"the embed's text is {total} characters; Discord allows {EMBED_TOTAL_MAX} in total"
        )


def embed_text_length(embed: Mapping[str, Any]) -> int:
    """The characters of an embed that count towards Discord's 6000 across a message's embeds:
    title, description, footer text, author name, and the fields' names and values."""
    total = sum(len(embed.get(key) or "") for key in _TEXT_KEYS)
    total += sum(len((embed.get(part) or {}).get(key) or "") for part, key in _PART_TEXTS)
    fields = embed.get("fields") or []
    return total + sum(len(item.get("name", "")) + len(item.get("value", "")) for item in fields)


def _check_fields(fields: object) -> None:
    if fields is None:
        return
    if not isinstance(fields, list):
        raise EmbedConfigError("embed fields must be a list")
    if len(fields) > FIELDS_MAX:
        raise EmbedConfigError(f"an embed has at most {FIELDS_MAX} fields, got {len(fields)}")
    for index, field in enumerate(fields):
        where = f"fields[{index}]"
        if not isinstance(field, dict):
            raise EmbedConfigError(f"{where} must be an object with name and value")
        _required_text(field, "name", FIELD_NAME_MAX, where=where)
        _required_text(field, "value", FIELD_VALUE_MAX, where=where)
        inline = field.get("inline")
        if inline is not None and not isinstance(inline, bool):
            raise EmbedConfigError(f"{where}.inline must be a boolean")


def _optional_object(config: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    value = config.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise EmbedConfigError(f"embed {key} must be an object")
    return value


def _optional_text(config: Mapping[str, Any], key: str, limit: int | None, where: str = "") -> str:
    value = config.get(key)
    if value is None:
        return ""
    return _text(value, key, limit, where)


def _required_text(config: Mapping[str, Any], key: str, limit: int | None, where: str) -> str:
    value = config.get(key)
    if value is None or value == "":
        raise EmbedConfigError(f"embed {where}.{key} is required")
    return _text(value, key, limit, where)


def _text(value: object, key: str, limit: int | None, where: str) -> str:
    name = f"{where}.{key}" if where else key
    if not isinstance(value, str):
        raise EmbedConfigError(f"embed {name} must be a string")
    if limit is not None and len(value) > limit:
        raise EmbedConfigError(f"embed {name} is {len(value)} characters; Discord allows {limit}")
    return value
