"""Join and leave messages waiting for their channel, posted in order without losing any.

Discord lets a bot post a handful of messages per channel every few seconds. A burst of joins
(a raid's thousand) decided at once would otherwise ask for a message each at the same time:
the client would hold most of them past any sensible wait, and they would be dropped. Instead
each channel has one sender that posts one message at a time; whatever comes while a message
is on its way, or waits for the channel's rate limit, is combined into as few messages as
Discord's limits allow (`combine`). A lone message goes out at once, as it is. Each message's
`done` hears what became of it (`Delivery`); one still waiting when the service stops hears
nothing, and stays owed (`owed_messages`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice

import structlog

from invite_tracker.discord.port import DiscordPort
from invite_tracker.domain.messages import MENTIONED_USERS_MAX, OutgoingMessage, combine
from invite_tracker.domain.owed_messages import Delivery
from invite_tracker.services.messages import MessageCounters, PausedChannels, deliver
from invite_tracker.services.tasks import stop_within

log = structlog.get_logger(__name__)

WAITING_MAX = 10_000
"""Messages one channel may have waiting; more are dropped (counted and logged): at Discord's
pace, a backlog that long takes many minutes to post."""


Done = Callable[[Delivery], None]
"""Told what became of a message: posted, given up, or to be tried again later."""


def _ignore(_: Delivery) -> None:
    pass


@dataclass(frozen=True, slots=True)
class _Waiting:
    guild_id: int
    message: OutgoingMessage
    done: Done


class ChannelOutbox:
    """Per channel, the messages waiting to be posted and the one task posting them."""

    def __init__(
        self,
        discord: DiscordPort,
        counters: MessageCounters,
        paused: PausedChannels,
        *,
        waiting_max: int = WAITING_MAX,
    ) -> None:
        self._discord = discord
        self._counters = counters
        self._paused = paused
        self._waiting_max = waiting_max
        self._queues: dict[int, deque[_Waiting]] = {}
        self._senders: dict[int, asyncio.Task[None]] = {}

    def waiting(self, channel_id: int) -> int:
        """Messages waiting to be posted to the channel."""
        return len(self._queues.get(channel_id, ()))

    def put(
        self, guild_id: int, channel_id: int, message: OutgoingMessage, done: Done = _ignore
    ) -> None:
        """Post the message to the channel after those already waiting for it; `done` is
        told what became of it."""
        queue = self._queues.setdefault(channel_id, deque())
        if len(queue) >= self._waiting_max:
            self._counters.failed += 1
            log.warning(
                "message_dropped",
                guild_id=str(guild_id),
                channel_id=str(channel_id),
                reason=f"{len(queue)} messages are already waiting for this channel",
            )
            done(Delivery.GIVEN_UP)
            return
        queue.append(_Waiting(guild_id, message, done))
        if channel_id not in self._senders:
            self._senders[channel_id] = asyncio.create_task(self._send(channel_id, queue))

    async def _send(self, channel_id: int, queue: deque[_Waiting]) -> None:
        try:
            while queue:
                if self._paused.paused(channel_id):  # Discord refused a message there lately
                    self._counters.skipped += len(queue)
                    for item in queue:
                        item.done(Delivery.GIVEN_UP)
                    queue.clear()
                    break
                # each message may ping its member: no more than this many fit in one
                message, taken = combine(
                    [item.message for item in islice(queue, MENTIONED_USERS_MAX)]
                )
                try:
                    delivery = await deliver(
                        self._discord,
                        queue[0].guild_id,
                        channel_id,
                        message,
                        count=taken,
                        counters=self._counters,
                        paused=self._paused,
                    )
                except Exception:  # a defect, not Discord's answer: the next ones still go
                    self._counters.failed += taken
                    log.exception("message_send_failed", channel_id=str(channel_id))
                    delivery = Delivery.GIVEN_UP
                for _ in range(taken):  # only now: if the service stops meanwhile, they count
                    queue.popleft().done(delivery)  # as not sent
        finally:
            del self._senders[channel_id]
            if not queue:
                del self._queues[channel_id]

    async def close(self, grace: float) -> None:
        """Let the waiting messages be posted for up to `grace` seconds, then stop; what is
        still waiting is counted as failed and logged (it stays owed: `owed_messages`)."""
        # a sender cut short leaves what it had not posted in its queue
        await stop_within(list(self._senders.values()), grace)
        unsent = sum(len(queue) for queue in self._queues.values())
        if unsent:
            self._counters.failed += unsent
            log.warning(
                "messages_not_sent",
                messages=unsent,
                reason="the service stopped; they stay owed, for the next start",
            )
        self._queues.clear()
