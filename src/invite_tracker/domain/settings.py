"""A guild's invite tracker settings and the rules that make them usable."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from invite_tracker.domain.embeds import CONTENT_MAX, EmbedConfigError, parse_embed_config
from invite_tracker.domain.errors import Unprocessable
from invite_tracker.domain.ids import normalise_invite_link

MessageKind = Literal["join", "leave"]


@dataclass(frozen=True, slots=True)
class SettingsValues:
    """The editable settings, named as Husqy's API names them (all required on PUT)."""

    join_messages_enabled: bool
    join_messages_channel: int | None
    join_message_content: str | None
    join_message_is_embed: bool
    leave_messages_enabled: bool
    leave_messages_channel: int | None
    leave_message_content: str | None
    leave_message_is_embed: bool
    prevent_own_invite_code: bool
    server_shared_invite_link: str | None


DEFAULT_SETTINGS = SettingsValues(
    join_messages_enabled=False,
    join_messages_channel=None,
    join_message_content=None,
    join_message_is_embed=False,
    leave_messages_enabled=False,
    leave_messages_channel=None,
    leave_message_content=None,
    leave_message_is_embed=False,
    prevent_own_invite_code=False,
    server_shared_invite_link=None,
)


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """What is stored for a guild: whether the module is on, and its settings."""

    guild_id: int
    enabled: bool
    values: SettingsValues


def check_settings(values: SettingsValues) -> SettingsValues:
    """Check settings for use and return them normalised (the shared link reduced to its code).

    Raises Unprocessable with the reason when a message kind is enabled without a channel or
    content, an embed config is invalid or over Discord's limits, plain content is too long, or
    the shared link is not a Discord invite.
    """
    for kind in ("join", "leave"):
        _check_message(values, kind)
    link = values.server_shared_invite_link
    if link is not None:
        try:
            link = normalise_invite_link(link)
        except ValueError as exc:
            raise Unprocessable(str(exc)) from None
    return dataclasses.replace(values, server_shared_invite_link=link)


def _check_message(values: SettingsValues, kind: MessageKind) -> None:
    enabled = getattr(values, f"{kind}_messages_enabled")
    channel = getattr(values, f"{kind}_messages_channel")
    content = getattr(values, f"{kind}_message_content")
    is_embed = getattr(values, f"{kind}_message_is_embed")
    if enabled and channel is None:
        raise Unprocessable(f"{kind}_messages_channel is required when {kind} messages are enabled")
    if enabled and not (content and content.strip()):
        raise Unprocessable(f"{kind}_message_content is required when {kind} messages are enabled")
    if content is None:
        return
    if is_embed:
        try:
            parse_embed_config(content)
        except EmbedConfigError as exc:
            raise Unprocessable(f"{kind}_message_content: {exc}") from None
    elif len(content) > CONTENT_MAX:
        raise Unprocessable(
            f"{kind}_message_content is {len(content)} characters; Discord allows {CONTENT_MAX}"
        )
