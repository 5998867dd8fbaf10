"""The channel outbox: a lone message goes out as it is; those that come while one is on its
way are combined, in order; a refused channel drops its backlog; a stop counts what is left."""

from __future__ import annotations

import asyncio

from invite_tracker.domain.messages import OutgoingMessage
from invite_tracker.services.message_outbox import ChannelOutbox
from invite_tracker.services.messages import MessageCounters, PausedChannels
from tests.unit.services.fakes import FakeDiscordPort

GUILD, CHANNEL, OTHER = 1, 55, 56


def hello(member: int) -> OutgoingMessage:
    return OutgoingMessage(f"Welcome <@{member}>", allowed_mentions={"users": [str(member)]})


def outbox(port: FakeDiscordPort, **options: int) -> tuple[ChannelOutbox, MessageCounters]:
    counters = MessageCounters()
    return ChannelOutbox(port, counters, PausedChannels(), **options), counters


async def first_then(box: ChannelOutbox, first: int, *rest: int) -> None:
    """The first member's welcome goes on its way; the others' come while it is."""
    box.put(GUILD, CHANNEL, hello(first))
    await asyncio.sleep(0)
    for member in rest:
        box.put(GUILD, CHANNEL, hello(member))


def held(port: FakeDiscordPort) -> asyncio.Event:
    """Posting waits until the returned event is set."""
    gate = asyncio.Event()
    port.send_gate = gate
    return gate


async def test_a_lone_message_goes_out_at_once_as_it_is() -> None:
    port = FakeDiscordPort()
    box, counters = outbox(port)
    box.put(GUILD, CHANNEL, hello(10))
    await box.close(1.0)
    assert port.sent == [(CHANNEL, hello(10))]
    assert (counters.sent, counters.posts, counters.failed) == (1, 1, 0)


async def test_messages_that_come_while_one_is_posted_are_combined_in_order() -> None:
    port = FakeDiscordPort()
    gate = held(port)
    box, counters = outbox(port)
    await first_then(box, 10, *range(11, 16))
    box.put(GUILD, OTHER, hello(99))  # another channel has a sender of its own
    assert (box.waiting(CHANNEL), box.waiting(OTHER)) == (6, 1)
    gate.set()
    await box.close(1.0)
    posted = [message for channel, message in port.sent if channel == CHANNEL]
    assert [message.content for message in posted] == [
        "Welcome <@10>",
        "\n".join(f"Welcome <@{member}>" for member in range(11, 16)),
    ]
    assert posted[1].allowed_mentions["users"] == [str(m) for m in range(11, 16)]
    assert [message for channel, message in port.sent if channel == OTHER] == [hello(99)]
    assert (counters.sent, counters.posts) == (7, 3)
    assert box.waiting(CHANNEL) == 0


async def test_a_backlog_is_posted_in_as_few_messages_as_the_limits_allow() -> None:
    port = FakeDiscordPort()
    gate = held(port)
    box, counters = outbox(port)
    for member in range(1000, 1250):  # 250 joins decided at once: 100 users a message at most
        box.put(GUILD, CHANNEL, hello(member))
    gate.set()
    await box.close(1.0)
    sizes = [len(message.allowed_mentions["users"]) for _, message in port.sent]
    assert sizes == [100, 100, 50]
    posted = "\n".join(message.content or "" for _, message in port.sent).split("\n")
    assert posted == [f"Welcome <@{member}>" for member in range(1000, 1250)]
    assert (counters.sent, counters.posts) == (250, 3)


async def test_a_channel_discord_refuses_drops_its_backlog_and_is_paused() -> None:
    port = FakeDiscordPort(fail_send=True, send_status=403)
    gate = held(port)
    box, counters = outbox(port)
    await first_then(box, 10, 11, 12)
    gate.set()
    await asyncio.sleep(0.01)
    box.put(GUILD, CHANNEL, hello(13))  # paused: not tried
    await box.close(1.0)
    assert port.send_attempts == 1  # the first alone; the two behind it were not tried
    assert (counters.failed, counters.skipped, counters.sent) == (1, 3, 0)


async def test_a_message_that_breaks_the_client_does_not_stop_the_next() -> None:
    port = FakeDiscordPort()
    sent = port.send_message

    async def broken(channel_id: int, message: OutgoingMessage) -> None:
        port.send_message = sent  # type: ignore[method-assign]  # the next one goes
        raise RuntimeError("a defect")

    port.send_message = broken  # type: ignore[method-assign]
    box, counters = outbox(port)
    await first_then(box, 10, 11)  # the first fails on its way
    await box.close(1.0)
    assert port.sent == [(CHANNEL, hello(11))]
    assert (counters.failed, counters.sent) == (1, 1)


async def test_a_full_channel_drops_what_comes_next() -> None:
    port = FakeDiscordPort()
    gate = held(port)
    box, counters = outbox(port, waiting_max=3)
    for member in range(10, 15):
        box.put(GUILD, CHANNEL, hello(member))
    assert box.waiting(CHANNEL) == 3
    gate.set()
    await box.close(1.0)
    assert counters.sent == 3
    assert counters.failed == 2


async def test_stopping_counts_what_was_not_posted() -> None:
    port = FakeDiscordPort()
    held(port)  # Discord never answers
    box, counters = outbox(port)
    for member in range(10, 14):
        box.put(GUILD, CHANNEL, hello(member))
    await box.close(0.05)
    assert port.sent == []
    assert (counters.sent, counters.failed) == (0, 4)
    assert box.waiting(CHANNEL) == 0
