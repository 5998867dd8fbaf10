"""Join and leave messages as Discord receives them: rendered, within limits, pinging safely."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from invite_tracker.domain.embeds import (
    AUTHOR_NAME_MAX,
    CONTENT_MAX,
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    FIELD_NAME_MAX,
    FIELD_VALUE_MAX,
    FOOTER_MAX,
    MESSAGE_EMBEDS_MAX,
    TITLE_MAX,
    check_embed_config,
    embed_text_length,
    parse_embed_config,
)
from invite_tracker.domain.templating import MessageContext, fill, plain_text, variables

ELLIPSIS = "…"
_TEXT_LIMITS = {"title": TITLE_MAX, "description": DESCRIPTION_MAX, "content": CONTENT_MAX}
_URL_KEYS = ("url", "icon_url")
_PLAIN_TEXTS = (("footer", "text"), ("author", "name"))
"""Embed texts Discord shows without markdown."""
MENTIONED_USERS_MAX = 100
"""Users one message's `allowed_mentions` may name."""


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message body for `POST /channels/{id}/messages`."""

    content: str | None
    embeds: tuple[dict[str, Any], ...] = ()
    allowed_mentions: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        """The JSON body Discord expects."""
        body: dict[str, Any] = {"allowed_mentions": self.allowed_mentions}
        if self.content:
            body["content"] = self.content
        if self.embeds:
            body["embeds"] = list(self.embeds)
        return body


def allowed_mentions(context: MessageContext) -> dict[str, Any]:
    """Pings go to the member and the inviter only: never @everyone, @here or roles."""
    users = [str(user) for user in dict.fromkeys((context.member_id, context.inviter_id)) if user]
    return {"parse": [], "users": users, "roles": [], "replied_user": False}


def combine(messages: Sequence[OutgoingMessage]) -> tuple[OutgoingMessage, int]:
    """As many of the first `messages` as fit in one Discord message, in order, and how many
    that is (at least one: each fits alone).

    Contents are joined line by line (2000 characters at most), embeds follow one another (10
    at most, their text 6000 at most together), and the users that may be pinged are those of
    every message taken (100 at most)."""
    if not messages:
        raise ValueError("nothing to combine")
    first = messages[0]
    content, embeds = first.content or "", first.embeds
    users = dict.fromkeys(first.allowed_mentions.get("users", ()))
    taken = 1
    for message in messages[1:]:
        joined = "\n".join(part for part in (content, message.content) if part)
        more_embeds = embeds + message.embeds
        more_users = users | dict.fromkeys(message.allowed_mentions.get("users", ()))
        if (
            len(joined) > CONTENT_MAX
            or len(more_embeds) > MESSAGE_EMBEDS_MAX
            or sum(map(embed_text_length, more_embeds)) > EMBED_TOTAL_MAX
            or len(more_users) > MENTIONED_USERS_MAX
        ):
            break
        content, embeds, users = joined, more_embeds, more_users
        taken += 1
    if taken == 1:
        return first, 1
    mentions = {**first.allowed_mentions, "users": list(users)}
    return OutgoingMessage(content or None, embeds, mentions), taken


def render_message(template: str, *, is_embed: bool, context: MessageContext) -> OutgoingMessage:
    """Fill a join or leave template for this context, clamped to Discord's limits.

    Embed configs are parsed first and each string filled on its own, so no value can break
    the JSON. Raises EmbedConfigError when the result cannot be sent (e.g. nothing to show).
    """
    values = variables(context)
    mentions = allowed_mentions(context)
    if not is_embed:
        return OutgoingMessage(
            content=_clamp(fill(template, values), CONTENT_MAX), allowed_mentions=mentions
        )
    config = _fill_embed(parse_embed_config(template), values, variables(context, plain_text))
    content = config.pop("content", None)
    embed = _fit_embed(config)
    check_embed_config({**embed, **({"content": content} if content else {})})
    return OutgoingMessage(content=content or None, embeds=(embed,), allowed_mentions=mentions)


def _fill_embed(
    config: dict[str, Any], values: dict[str, str], plain: dict[str, str]
) -> dict[str, Any]:
    """Fill each string of the embed config; the footer's text and the author's name, where
    Discord renders no markdown (an escaping backslash would show), with `plain` values."""
    filled: dict[str, Any] = _fill_strings(config, values)
    for part, key in _PLAIN_TEXTS:
        original = config.get(part)
        if isinstance(original, dict) and isinstance(original.get(key), str):
            filled[part] = {**filled[part], key: fill(original[key], plain)}
    return filled


def _fill_strings(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return fill(value, values)
    if isinstance(value, list):
        return [_fill_strings(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _fill_strings(item, values) for key, item in value.items()}
    return value


def _fit_embed(config: dict[str, Any]) -> dict[str, Any]:
    """Clamp texts to their limits and drop links or a timestamp the filling made invalid."""
    embed = dict(config)
    for key, limit in _TEXT_LIMITS.items():
        if isinstance(embed.get(key), str):
            embed[key] = _clamp(embed[key], limit)
    if not _is_url(embed.get("url")):
        embed.pop("url", None)
    if not _is_timestamp(embed.get("timestamp")):
        embed.pop("timestamp", None)
    for key in ("image", "thumbnail"):
        if isinstance(embed.get(key), dict) and not _is_url(embed[key].get("url")):
            embed.pop(key)
    if isinstance(embed.get("footer"), dict):
        embed["footer"] = _links_checked(embed["footer"], "text", FOOTER_MAX)
    if isinstance(embed.get("author"), dict):
        embed["author"] = _links_checked(embed["author"], "name", AUTHOR_NAME_MAX)
    if isinstance(embed.get("fields"), list):
        embed["fields"] = [
            {
                **item,
                "name": _clamp(str(item.get("name", "")), FIELD_NAME_MAX),
                "value": _clamp(str(item.get("value", "")), FIELD_VALUE_MAX),
            }
            for item in embed["fields"]
        ]
    _fit_total(embed)
    return embed


def _fit_total(embed: dict[str, Any]) -> None:
    """Shorten the longest texts until the embed's text is within Discord's 6000 in total
    (values can make a config that was within it much longer: a URL, a long name), as text
    over one part's limit is clamped: the message is sent shortened, not dropped."""
    slots: list[tuple[dict[str, Any], str]] = [(embed, "title"), (embed, "description")]
    slots += [
        (part, key) for name, key in _PLAIN_TEXTS if isinstance(part := embed.get(name), dict)
    ]
    slots += [(item, key) for item in embed.get("fields") or [] for key in ("name", "value")]
    excess = embed_text_length(embed) - EMBED_TOTAL_MAX
    while excess > 0:
        part, key = max(
            (slot for slot in slots if isinstance(slot[0].get(slot[1]), str)),
            key=lambda slot: len(slot[0][slot[1]]),
        )
        text = part[key]
        if len(text) <= len(ELLIPSIS):
            return  # cannot happen: 54 texts of one character are far within the total
        part[key] = _clamp(text, max(len(text) - excess, len(ELLIPSIS)))
        excess = embed_text_length(embed) - EMBED_TOTAL_MAX


def _links_checked(part: dict[str, Any], text_key: str, limit: int) -> dict[str, Any]:
    kept = {k: v for k, v in part.items() if k not in _URL_KEYS or _is_url(v)}
    if isinstance(kept.get(text_key), str):
        kept[text_key] = _clamp(kept[text_key], limit)
    return kept


def _clamp(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _is_timestamp(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False
