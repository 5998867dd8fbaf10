"""Request-body checks with Discord's limits and its 50035 "Invalid Form Body" error shapes.

Where Discord's OpenAPI preview and its documentation differ, the documentation wins:
invite `max_age` is 0..604800 s and message `content` at most 2000 characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from invite_tracker.testing.fake_discord import errors
from invite_tracker.testing.fake_discord.errors import FormErrors

JSONObject = dict[str, Any]
Path = tuple[str | int, ...]

MAX_INVITE_AGE = 604_800
DEFAULT_INVITE_AGE = 86_400
MAX_INVITE_USES = 100
MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
EMBED_TEXT_LIMITS = {"title": 256, "description": 4096}
MAX_FIELDS = 25
FIELD_LIMITS = {"name": 256, "value": 1024}
MAX_COLOR = 0xFFFFFF
MENTION_TYPES = ("roles", "users", "everyone")


@dataclass(frozen=True, slots=True)
class InviteRequest:
    """The fields of `POST /channels/{id}/invites`, defaults applied."""

    max_age: int
    max_uses: int
    temporary: bool
    unique: bool


def require_object(body: Any) -> JSONObject:
    """The JSON body as an object, or Discord's errors for a missing or non-object body."""
    if body is None:
        raise errors.invalid_json()
    if not isinstance(body, dict):
        form = FormErrors()
        form.add((), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        raise form.as_error()
    return body


def _int_field(
    form: FormErrors, body: JSONObject, name: str, default: int, low: int, high: int
) -> int:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        form.add((name,), "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
        return default
    if value < low:
        form.add((name,), "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {low}.")
    elif value > high:
        form.add((name,), "NUMBER_TYPE_MAX", f"int value should be less than or equal to {high}.")
    return value


def _bool_field(form: FormErrors, body: JSONObject, name: str) -> bool:
    value = body.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        form.add((name,), "BASE_TYPE_BOOLEAN", "Must be either true or false.")
        return False
    return value


def parse_invite_request(body: JSONObject) -> InviteRequest:
    """Check an invite-creation body against Discord's ranges (50035 on any violation)."""
    form = FormErrors()
    request = InviteRequest(
        max_age=_int_field(form, body, "max_age", DEFAULT_INVITE_AGE, 0, MAX_INVITE_AGE),
        max_uses=_int_field(form, body, "max_uses", 0, 0, MAX_INVITE_USES),
        temporary=_bool_field(form, body, "temporary"),
        unique=_bool_field(form, body, "unique"),
    )
    form.raise_if_any()
    return request


def _too_long(form: FormErrors, path: Path, limit: int) -> None:
    form.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def _check_text(form: FormErrors, path: Path, value: Any, limit: int) -> int:
    """Check a string field's type and length; returns its length for the 6000 total."""
    if value is None:
        return 0
    if not isinstance(value, str):
        form.add(path, "BASE_TYPE_STRING", "Must be a string.")
        return 0
    if len(value) > limit:
        _too_long(form, path, limit)
    return len(value)


def _check_embed(form: FormErrors, path: Path, embed: Any) -> int:
    if not isinstance(embed, dict):
        form.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return 0
    total = 0
    for name, limit in EMBED_TEXT_LIMITS.items():
        total += _check_text(form, (*path, name), embed.get(name), limit)
    color = embed.get("color")
    if color is not None and (isinstance(color, bool) or not isinstance(color, int)):
        form.add((*path, "color"), "NUMBER_TYPE_COERCE", f'Value "{color}" is not int.')
    elif isinstance(color, int) and not 0 <= color <= MAX_COLOR:
        form.add(
            (*path, "color"),
            "NUMBER_TYPE_MAX" if color > MAX_COLOR else "NUMBER_TYPE_MIN",
            f"int value should be between 0 and {MAX_COLOR}.",
        )
    for part, key, limit in (("footer", "text", 2048), ("author", "name", 256)):
        sub = embed.get(part)
        if sub is None:
            continue
        if not isinstance(sub, dict):
            form.add(
                (*path, part), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType"
            )
            continue
        total += _check_text(form, (*path, part, key), sub.get(key), limit)
    fields = embed.get("fields")
    if fields is None:
        return total
    if not isinstance(fields, list):
        form.add((*path, "fields"), "BASE_TYPE_LIST", "Must be an array.")
        return total
    if len(fields) > MAX_FIELDS:
        _too_long(form, (*path, "fields"), MAX_FIELDS)
    for index, item in enumerate(fields):
        item_path = (*path, "fields", index)
        if not isinstance(item, dict):
            form.add(item_path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
            continue
        for key, limit in FIELD_LIMITS.items():
            if item.get(key) is None:
                form.add((*item_path, key), "BASE_TYPE_REQUIRED", "This field is required")
            else:
                total += _check_text(form, (*item_path, key), item[key], limit)
    return total


def _check_allowed_mentions(form: FormErrors, path: Path, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        form.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    parse = value.get("parse") or []
    if not isinstance(parse, list):
        form.add((*path, "parse"), "BASE_TYPE_LIST", "Must be an array.")
        parse = []
    for index, item in enumerate(parse):
        if item not in MENTION_TYPES:
            form.add(
                (*path, "parse", index),
                "BASE_TYPE_CHOICES",
                f"Value must be one of {MENTION_TYPES}.",
            )
    for kind in ("users", "roles"):
        ids = value.get(kind) or []
        if not isinstance(ids, list):
            form.add((*path, kind), "BASE_TYPE_LIST", "Must be an array.")
            continue
        if len(ids) > 100:
            _too_long(form, (*path, kind), 100)
        if kind in parse and ids:
            form.add(
                path,
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{kind}"] and {kind}: [{", ".join(map(str, ids))}] '
                "are mutually exclusive.",
            )


def check_message(form: FormErrors, body: JSONObject, path: Path = ()) -> None:
    """Record every limit a message body breaks (content, embeds, allowed_mentions)."""
    _check_text(form, (*path, "content"), body.get("content"), MAX_CONTENT)
    embeds = body.get("embeds")
    if embeds is not None:
        if not isinstance(embeds, list):
            form.add((*path, "embeds"), "BASE_TYPE_LIST", "Must be an array.")
        else:
            if len(embeds) > MAX_EMBEDS:
                _too_long(form, (*path, "embeds"), MAX_EMBEDS)
            total = sum(
                _check_embed(form, (*path, "embeds", index), embed)
                for index, embed in enumerate(embeds)
            )
            if total > MAX_EMBED_TOTAL:
                form.add(
                    (*path, "embeds"),
                    "MAX_EMBED_SIZE_EXCEEDED",
                    f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}",
                )
    _check_allowed_mentions(form, (*path, "allowed_mentions"), body.get("allowed_mentions"))


def validate_message(body: JSONObject, *, path: Path = (), allow_empty: bool = False) -> None:
    """Raise 50035 for broken limits, then 50006 for a message with nothing in it."""
    form = FormErrors()
    check_message(form, body, path)
    form.raise_if_any()
    if not allow_empty and not is_nonempty(body):
        raise errors.empty_message()


def is_nonempty(body: JSONObject) -> bool:
    """Whether the body carries anything visible (content, embeds, stickers, components...)."""
    return any(body.get(key) for key in ("content", "embeds", "sticker_ids", "components", "poll"))


def parse_snowflake(name: str, raw: str) -> int:
    """A path parameter as a snowflake, or 50035 NUMBER_TYPE_COERCE like Discord."""
    if raw.isdigit() and 0 < int(raw) < 1 << 64:
        return int(raw)
    form = FormErrors()
    form.add((name,), "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.')
    raise form.as_error()
