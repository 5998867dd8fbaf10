"""Join and leave messages: gather what the template mentions, render it, send it.

A message never fails the join or leave it reports: what cannot be fetched renders its
placeholder, and a failed send is logged and counted (and, when Discord could not be used just
then, tried again later: `domain.owed_messages`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

import structlog

from invite_tracker.discord.port import DiscordPort
from invite_tracker.domain.discord_objects import MemberInfo, require_in_guild
from invite_tracker.domain.embeds import EmbedConfigError
from invite_tracker.domain.errors import InviteTrackerError, Unprocessable
from invite_tracker.domain.messages import OutgoingMessage, render_message
from invite_tracker.domain.owed_messages import Delivery, after_failure
from invite_tracker.domain.settings import GuildSettings
from invite_tracker.domain.templating import MessageContext, MessageKind, needs_data
from invite_tracker.services.module import require_enabled
from invite_tracker.services.ports import UnitOfWorkPort
from invite_tracker.services.stats import inviter_stats

T = TypeVar("T")
log = structlog.get_logger(__name__)
NOT_FOUND = 404
"""Discord's status for a user who is not a member of the guild (Unknown Member)."""


@dataclass(slots=True)
class MessageCounters:
    """How messages fared since the service started."""

    sent: int = 0  # join and leave messages posted
    posts: int = 0  # Discord messages that carried them (several to one in a burst)
    failed: int = 0
    skipped: int = 0


REFUSED_STATUSES = frozenset({403, 404})
"""Discord's answers to a message that the next message to that channel would get too: no
access or permission (403, which also counts towards the ban Discord gives an address after
10,000 invalid requests in ten minutes), or an unknown channel."""


CHANNEL_REFUSAL_PAUSE = 60.0
"""Seconds a channel Discord refused a message to is not sent to again."""


class PausedChannels:
    """Channels Discord refused a message to lately: not tried again for `seconds`, so a
    guild whose message channel is out of the bot's reach (a raid's thousand joins, say)
    does not send Discord a refused request per join."""

    def __init__(
        self, seconds: float = CHANNEL_REFUSAL_PAUSE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._seconds = seconds
        self._clock = clock
        self._until: dict[int, float] = {}

    def paused(self, channel_id: int) -> bool:
        """Whether messages to the channel are held back now."""
        until = self._until.get(channel_id)
        if until is not None and until <= self._clock():
            del self._until[channel_id]
            return False
        return until is not None

    def refused(self, channel_id: int) -> None:
        """Discord refused a message to the channel: pause it."""
        self._until[channel_id] = self._clock() + self._seconds


@dataclass(frozen=True, slots=True)
class MessageSubject:
    """Who and what a join or leave message is about."""

    kind: MessageKind
    guild_id: int
    member_id: int | None
    inviter_id: int | None = None
    invite_code: str | None = None
    invite_count: int | None = None


async def _optional(fetch: Awaitable[T], what: str) -> T | None:
    try:
        return await fetch
    except InviteTrackerError as exc:
        log.info("message_data_unavailable", what=what, reason=exc.message)
        return None


async def _person(
    discord: DiscordPort, guild_id: int, user_id: int, what: str, *, departed: bool = False
) -> MemberInfo | None:
    """The member, or once they are no longer in the guild (the member of a leave message:
    `departed`, an inviter who left), the user alone: their name and avatar are still
    Discord's to tell. None (and logged) when neither can be read. A departed member's
    membership is not asked for: one read for their welcome moments ago would still be
    cached, and show a nickname and roles they no longer have."""
    try:
        if not departed:
            return await discord.member(guild_id, user_id)
    except InviteTrackerError as exc:
        if not isinstance(exc, Unprocessable) or exc.status != NOT_FOUND:
            log.info("message_data_unavailable", what=what, reason=exc.message)
            return None
    user = await _optional(discord.user(user_id), what)
    return None if user is None else MemberInfo.departed(user)


async def build_context(
    discord: DiscordPort | None,
    subject: MessageSubject,
    channel_id: int | None,
    now: datetime,
    *,
    template: str,
) -> MessageContext:
    """The message context for `template`, with Discord's data where it can be fetched
    (concurrently). The member, the inviter and the server are asked about only when the
    template shows more of them than their ids: in a raid, a welcome that only mentions the
    newcomer costs no request about them.

    Unprocessable when the channel is in another server the bot is in: settings name a
    channel by id alone, and the guild's messages must not be posted (or its preview show
    channel data) elsewhere. A channel that cannot be read is not checked; sending to it
    fails anyway, for the same missing access."""
    context = MessageContext(
        kind=subject.kind,
        guild_id=subject.guild_id,
        now=now,
        member_id=subject.member_id,
        inviter_id=subject.inviter_id,
        invite_code=subject.invite_code,
        invite_count=subject.invite_count,
        channel_id=channel_id,
    )
    if discord is None:
        return context
    guild_id = subject.guild_id
    guild, member, inviter, channel = await asyncio.gather(
        _optional(discord.guild(guild_id), "guild") if needs_data(template, "server") else _none(),
        _person(discord, guild_id, subject.member_id, "member", departed=subject.kind == "leave")
        if subject.member_id and needs_data(template, "user")
        else _none(),
        _person(discord, guild_id, subject.inviter_id, "inviter")
        if subject.inviter_id and needs_data(template, "inviter")
        else _none(),
        _optional(discord.channel(channel_id), "channel") if channel_id else _none(),
    )
    if channel is not None:
        require_in_guild(channel, guild_id)
    if subject.kind != "join":
        channel = None  # the channel variables are the join message's only
    return replace(context, guild=guild, member=member, inviter=inviter, channel=channel)


async def _none() -> None:
    return None


def template_of(
    settings: GuildSettings, kind: MessageKind
) -> tuple[bool, int | None, str | None, bool]:
    """(enabled, channel, content, is_embed) of one message kind in the settings."""
    values = settings.values
    if kind == "join":
        return (
            values.join_messages_enabled,
            values.join_messages_channel,
            values.join_message_content,
            values.join_message_is_embed,
        )
    return (
        values.leave_messages_enabled,
        values.leave_messages_channel,
        values.leave_message_content,
        values.leave_message_is_embed,
    )


async def render_event_message(
    discord: DiscordPort | None,
    settings: GuildSettings,
    subject: MessageSubject,
    *,
    counters: MessageCounters,
    now: datetime,
    paused: PausedChannels | None = None,
) -> tuple[int, OutgoingMessage] | None:
    """The guild's join or leave message for this subject, and its channel; never raises.

    None when messages of that kind are off, their channel is `paused` (Discord refused a
    message to it lately), or the message cannot be rendered (counted and logged)."""
    enabled, channel_id, content, is_embed = template_of(settings, subject.kind)
    if not enabled or channel_id is None or not content or discord is None:
        counters.skipped += 1
        return None
    if paused is not None and paused.paused(channel_id):
        counters.skipped += 1
        return None
    try:
        context = await build_context(discord, subject, channel_id, now, template=content)
        return channel_id, render_message(content, is_embed=is_embed, context=context)
    except (InviteTrackerError, EmbedConfigError) as exc:
        _failed(counters, 1, subject.guild_id, channel_id, exc, paused=None)
        return None


async def deliver(
    discord: DiscordPort,
    guild_id: int,
    channel_id: int,
    message: OutgoingMessage,
    *,
    count: int = 1,
    counters: MessageCounters,
    paused: PausedChannels | None = None,
) -> Delivery:
    """Post a message carrying `count` join or leave messages; never raises. A channel
    Discord refuses it to is `paused`; one it could not take just then is for a later try."""
    try:
        await discord.send_message(channel_id, message)
    except InviteTrackerError as exc:
        delivery = after_failure(exc)
        _failed(counters, count, guild_id, channel_id, exc, paused=paused, retry=delivery.retried)
        return delivery
    counters.sent += count
    counters.posts += 1
    return Delivery.POSTED


def _failed(
    counters: MessageCounters,
    count: int,
    guild_id: int,
    channel_id: int,
    exc: InviteTrackerError | EmbedConfigError,
    *,
    paused: PausedChannels | None,
    retry: bool = False,
) -> None:
    counters.failed += count
    reason = exc.message if isinstance(exc, InviteTrackerError) else str(exc)
    if paused is not None and isinstance(exc, Unprocessable) and exc.status in REFUSED_STATUSES:
        paused.refused(channel_id)
        reason += " (the channel is not tried again for a while)"
    if retry:
        reason += " (owed still: tried again later)"
    log.warning(
        "message_send_failed",
        guild_id=str(guild_id),
        channel_id=str(channel_id),
        messages=count,
        reason=reason,
    )


@dataclass(frozen=True, slots=True)
class PreviewRequest:
    """What to preview: a stored template unless one is given, for a member and inviter."""

    subject: MessageSubject
    template: str | None = None
    is_embed: bool | None = None
    channel_id: int | None = None


async def preview_message(
    uow: UnitOfWorkPort,
    discord: DiscordPort | None,
    request: PreviewRequest,
    *,
    retention_days: int,
    now: datetime,
) -> OutgoingMessage:
    """Render a join or leave message without sending it; unfillable variables show their
    placeholders. Unprocessable when there is no template or it cannot be rendered."""
    subject = request.subject
    settings = await require_enabled(uow, subject.guild_id)
    _, stored_channel, stored_content, stored_embed = template_of(settings, subject.kind)
    content: str | None = stored_content
    is_embed = stored_embed
    if request.template is not None:
        content, is_embed = request.template, bool(request.is_embed)
    if not content:
        raise Unprocessable(
            f"there is no {subject.kind} message to preview: give `template` "
            f"or set {subject.kind}_message_content"
        )
    if subject.inviter_id is not None and subject.invite_count is None:
        figures = await inviter_stats(
            uow, subject.guild_id, subject.inviter_id, retention_days=retention_days, now=now
        )
        subject = replace(subject, invite_count=figures.counts.total)
    await uow.release()  # no lock held while Discord answers
    channel_id = request.channel_id or stored_channel
    context = await build_context(discord, subject, channel_id, now, template=content)
    try:
        return render_message(content, is_embed=is_embed, context=context)
    except EmbedConfigError as exc:
        raise Unprocessable(str(exc)) from None
