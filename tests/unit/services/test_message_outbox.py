"""The channel outbox: a lone message goes out as it is; those that come while one is on its
way are combined, in order; a refused channel drops its backlog; a stop counts what is left;
each message is told what became of it."""

from __future__ import annotations

import asyncio
import functools

from invite_tracker.domain.errors import DiscordUnavailable
from invite_tracker.domain.messages import OutgoingMessage
from invite_tracker.domain.owed_messages import Delivery
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


def failing_once(error: Exception) -> FakeDiscordPort:
    """A port whose first post raises `error`; the next ones go."""
    port = FakeDiscordPort()
    sent = port.send_message

    async def failing(channel_id: int, message: OutgoingMessage) -> None:
        port.send_message = sent  # type: ignore[method-assign]
        raise error

    port.send_message = failing  # type: ignore[method-assign]
    return port


async def test_a_message_that_breaks_the_client_does_not_stop_the_next() -> None:
    port = failing_once(RuntimeError("a defect"))
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


class Fates:
    """What each member's message became, as the outbox tells it."""

    def __init__(self) -> None:
        self.of: dict[int, Delivery] = {}

    def put(self, box: ChannelOutbox, member: int) -> None:
        box.put(GUILD, CHANNEL, hello(member), functools.partial(self.of.__setitem__, member))


async def test_each_message_hears_it_was_posted_even_when_combined() -> None:
    port = FakeDiscordPort()
    gate = held(port)
    box, _ = outbox(port)
    fates = Fates()
    for member in (10, 11, 12):
        fates.put(box, member)
        await asyncio.sleep(0)
    assert fates.of == {}  # nothing is told before Discord answers
    gate.set()
    await box.close(1.0)
    assert fates.of == dict.fromkeys((10, 11, 12), Delivery.POSTED)


async def test_a_message_discord_could_not_take_is_to_be_tried_again() -> None:
    port = failing_once(DiscordUnavailable("send the message: Discord answered 503 after retries"))
    box, counters = outbox(port)
    fates = Fates()
    fates.put(box, 10)
    await asyncio.sleep(0)
    fates.put(box, 11)
    await box.close(1.0)
    assert fates.of == {10: Delivery.RETRY, 11: Delivery.POSTED}
    assert (counters.failed, counters.sent) == (1, 1)


async def test_refused_dropped_or_broken_messages_are_given_up() -> None:
    refused = FakeDiscordPort(fail_send=True, send_status=403)
    box, _ = outbox(refused)
    fates = Fates()
    fates.put(box, 10)  # refused
    await asyncio.sleep(0)
    fates.put(box, 11)  # behind it: the channel is paused, not tried
    await box.close(1.0)
    full = FakeDiscordPort()
    gate = held(full)
    crowded, _ = outbox(full, waiting_max=1)
    fates.put(crowded, 12)
    fates.put(crowded, 13)  # no room
    gate.set()
    await crowded.close(1.0)
    assert fates.of == {
        10: Delivery.GIVEN_UP,
        11: Delivery.GIVEN_UP,
        12: Delivery.POSTED,
        13: Delivery.GIVEN_UP,
    }


async def test_a_message_still_waiting_at_the_stop_hears_nothing() -> None:
    port = FakeDiscordPort()
    held(port)  # Discord never answers
    box, _ = outbox(port)
    fates = Fates()
    for member in (10, 11):
        fates.put(box, member)
    await box.close(0.05)
    assert fates.of == {}  # still owed: the next start posts them
