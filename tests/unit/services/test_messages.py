"""Rendering and posting join and leave messages: placeholders on missing data, failures
counted not raised."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from invite_tracker.domain.messages import OutgoingMessage
from invite_tracker.domain.settings import DEFAULT_SETTINGS, GuildSettings
from invite_tracker.services.messages import (
    MessageCounters,
    MessageSubject,
    PausedChannels,
    deliver,
    render_event_message,
)
from tests.unit.services.fakes import FakeDiscordPort

NOW = datetime(2026, 11, 29, tzinfo=UTC)
SETTINGS = GuildSettings(
    guild_id=1,
    enabled=True,
    values=dataclasses.replace(
        DEFAULT_SETTINGS,
        join_messages_enabled=True,
        join_messages_channel=55,
        join_message_content=(
            "Welcome <user_display_name> (<user_mention>) by <inviter_mention> in <channel_name>"
        ),
        leave_messages_enabled=False,
    ),
)
JOIN = MessageSubject(kind="join", guild_id=1, member_id=10, inviter_id=20, invite_code="abc")


async def send(
    port: FakeDiscordPort | None,
    settings: GuildSettings,
    subject: MessageSubject,
    *,
    counters: MessageCounters,
    now: datetime,
    paused: PausedChannels | None = None,
) -> OutgoingMessage | None:
    """Render the message, then post it alone (as the outbox does with one that waits for
    no other); the message posted, or None."""
    rendered = await render_event_message(
        port, settings, subject, counters=counters, now=now, paused=paused
    )
    if rendered is None or port is None:
        return None
    channel, message = rendered
    posts = counters.posts
    await deliver(port, subject.guild_id, channel, message, counters=counters, paused=paused)
    return message if counters.posts > posts else None


async def test_sends_the_rendered_join_message() -> None:
    port, counters = FakeDiscordPort(), MessageCounters()
    sent = await send(port, SETTINGS, JOIN, counters=counters, now=NOW)
    assert sent is not None
    assert port.sent == [(55, sent)]
    assert sent.content == "Welcome user10 (<@10>) by <@20> in welcome"
    assert sent.allowed_mentions["users"] == ["10", "20"]
    assert (counters.sent, counters.failed, counters.skipped) == (1, 0, 0)


@pytest.mark.parametrize(
    ("template", "asked"),
    [
        # the SETTINGS template shows the member's name and the channel's
        (None, [("channel", 55), ("member", 10)]),
        ("Welcome <user_mention>, invited by <inviter_mention>", [("channel", 55)]),
        ("<inviter_display_name> <server_name>", [("channel", 55), ("guild", 1), ("member", 20)]),
    ],
)
async def test_only_the_data_the_template_shows_is_asked_for(
    template: str | None, asked: list[tuple[str, int]]
) -> None:
    """The channel always (it must be this server's); the rest only when shown."""
    settings = SETTINGS
    if template is not None:
        values = dataclasses.replace(SETTINGS.values, join_message_content=template)
        settings = dataclasses.replace(SETTINGS, values=values)
    port, counters = FakeDiscordPort(), MessageCounters()
    assert await send(port, settings, JOIN, counters=counters, now=NOW) is not None
    assert sorted(port.reads) == asked


async def test_missing_data_renders_placeholders() -> None:
    port, counters = FakeDiscordPort(fail_reads=True), MessageCounters()
    sent = await send(port, SETTINGS, JOIN, counters=counters, now=NOW)
    assert sent is not None
    assert sent.content == "Welcome Unknown (<@10>) by <@20> in welcome"


@pytest.mark.parametrize(
    ("template", "shown"),
    [
        (
            "<user_display_name> <user_avatar_url>",
            "User 10 https://cdn.discordapp.com/embed/avatars/4.png",
        ),
        ("<user_nickname> <user_joined_at> <user_roles>", "Unknown Unknown Unknown"),
        ("<inviter_display_name> <user_id>", "User 20 10"),
    ],
)
async def test_someone_no_longer_in_the_guild_is_named_from_their_user(
    template: str, shown: str
) -> None:
    """A leave message is rendered once the member left, and an inviter may have left too:
    Discord no longer knows them as members, but still knows the user. Their name is
    shown; what only a membership tells (nickname, roles, join time) is not known."""
    values = dataclasses.replace(
        SETTINGS.values,
        leave_messages_enabled=True,
        leave_messages_channel=55,
        leave_message_content=template,
    )
    settings = dataclasses.replace(SETTINGS, values=values)
    port, counters = FakeDiscordPort(), MessageCounters()
    port.departed.update({10, 20})
    leave = dataclasses.replace(JOIN, kind="leave")
    sent = await send(port, settings, leave, counters=counters, now=NOW)
    assert sent is not None
    assert sent.content == shown


async def test_a_failed_send_is_counted_not_raised() -> None:
    port, counters = FakeDiscordPort(fail_send=True), MessageCounters()
    assert await send(port, SETTINGS, JOIN, counters=counters, now=NOW) is None
    assert (counters.sent, counters.failed) == (0, 1)


async def test_disabled_kind_or_no_discord_is_skipped() -> None:
    counters = MessageCounters()
    leave = dataclasses.replace(JOIN, kind="leave")
    assert await send(FakeDiscordPort(), SETTINGS, leave, counters=counters, now=NOW) is None
    assert await send(None, SETTINGS, JOIN, counters=counters, now=NOW) is None
    assert counters.skipped == 2


async def test_a_channel_of_another_server_gets_neither_message() -> None:
    """Settings name the channel by id alone, and the bot is in other servers too."""
    both = GuildSettings(
        guild_id=1,
        enabled=True,
        values=dataclasses.replace(
            SETTINGS.values,
            leave_messages_enabled=True,
            leave_messages_channel=55,
            leave_message_content="Bye <user_mention>",
        ),
    )
    port, counters = FakeDiscordPort(), MessageCounters()
    port.elsewhere[55] = 2
    subjects = (JOIN, dataclasses.replace(JOIN, kind="leave"))
    for subject in subjects:
        assert await send(port, both, subject, counters=counters, now=NOW) is None
    assert port.sent == []
    assert (counters.sent, counters.failed) == (0, 2)
    port.elsewhere.clear()  # the same channel in this server: both are sent
    for subject in subjects:
        assert await send(port, both, subject, counters=counters, now=NOW)
    assert [message.content for _, message in port.sent] == [
        "Welcome user10 (<@10>) by <@20> in welcome",
        "Bye <@10>",
    ]


@pytest.mark.parametrize(
    ("status", "paused"),
    [
        (403, True),  # no access or permission: the next message would be refused too
        (404, True),  # an unknown channel
        (400, False),  # this message's content: the next one may go
    ],
)
async def test_a_channel_discord_refused_is_paused_for_a_while(status: int, paused: bool) -> None:
    now = [0.0]
    pauses = PausedChannels(60.0, clock=lambda: now[0])
    port, counters = FakeDiscordPort(fail_send=True, send_status=status), MessageCounters()
    for _ in range(3):
        await send(port, SETTINGS, JOIN, counters=counters, now=NOW, paused=pauses)
    assert port.send_attempts == (1 if paused else 3)
    assert (counters.failed, counters.skipped) == ((1, 2) if paused else (3, 0))
    now[0] = 60.0  # the pause is over: tried again
    await send(port, SETTINGS, JOIN, counters=counters, now=NOW, paused=pauses)
    assert port.send_attempts == (2 if paused else 4)
