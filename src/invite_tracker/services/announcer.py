"""Sending join and leave messages once an event is final, off the attribution path."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any

import structlog

from invite_tracker.discord.port import DiscordPort
from invite_tracker.domain.joins import JoinRecord
from invite_tracker.domain.templating import MessageKind
from invite_tracker.services.message_outbox import ChannelOutbox
from invite_tracker.services.messages import (
    MessageCounters,
    MessageSubject,
    PausedChannels,
    render_event_message,
)
from invite_tracker.services.ports import Storage
from invite_tracker.services.stats import inviter_stats

log = structlog.get_logger(__name__)
_Person = tuple[int | None, int | None, str | None]  # member, inviter, invite code
CLOSE_WAIT = 5.0
"""Seconds a stopping service gives its messages to be prepared and posted."""


class Announcer:
    """Sends each final join's join message and each leave's leave message, in the background,
    through the channel's outbox (`ChannelOutbox`: in order, combined in a burst).

    A message never holds up or fails the event: errors are logged and counted.
    """

    def __init__(
        self,
        storage: Storage,
        discord: DiscordPort | None,
        *,
        retention_days: int,
        clock: Callable[[], datetime],
    ) -> None:
        self._storage = storage
        self._discord = discord
        self._retention_days = retention_days
        self._clock = clock
        self.counters = MessageCounters()
        self.paused = PausedChannels()  # channels Discord refused a message to lately
        self.outbox = (
            None if discord is None else ChannelOutbox(discord, self.counters, self.paused)
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = asyncio.Event()

    def joins_decided(self, guild_id: int, joins: Sequence[JoinRecord]) -> None:
        """These joins are final: send their join messages."""
        people = [(join.member_id, join.inviter_id, join.invite_code) for join in joins]
        self._spawn(self._announce("join", guild_id, people))

    def member_left(
        self,
        guild_id: int,
        member_id: int,
        join: JoinRecord | None,
        decided: Callable[[], Awaitable[JoinRecord | None]] | None = None,
    ) -> None:
        """The member left (their join, when known, names the inviter): send the leave message.

        `decided`, for a join still pending: waits for its attribution (None when it is not
        final in time), so that the message names the inviter the join is credited to. The
        service stopping ends the wait: the message is sent with what is known."""
        self._spawn(self._leave(guild_id, member_id, join, decided))

    async def _leave(
        self,
        guild_id: int,
        member_id: int,
        join: JoinRecord | None,
        decided: Callable[[], Awaitable[JoinRecord | None]] | None,
    ) -> None:
        if decided is not None:
            try:
                join = await self._unless_closing(decided()) or join
            except Exception:
                log.exception("leave_attribution_wait_failed", guild_id=str(guild_id))
        inviter, code = (join.inviter_id, join.invite_code) if join else (None, None)
        await self._announce("leave", guild_id, [(member_id, inviter, code)])

    async def _unless_closing(self, waiting: Awaitable[JoinRecord | None]) -> JoinRecord | None:
        """What `waiting` answers, or None once the service is stopping."""
        answer = asyncio.ensure_future(waiting)
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            await asyncio.wait({answer, closing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closing.cancel()
        if not answer.done():
            answer.cancel()
            return None
        return answer.result()

    async def close(self) -> None:
        """Let messages being prepared and posted finish (for up to CLOSE_WAIT seconds in
        all), then stop; leave messages waiting for their join's attribution are sent at once.
        """
        self._closing.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CLOSE_WAIT
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=CLOSE_WAIT)
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.outbox is not None:
            await self.outbox.close(max(0.0, deadline - loop.time()))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _announce(self, kind: MessageKind, guild_id: int, people: Sequence[_Person]) -> None:
        try:
            now = self._clock()
            async with self._storage.reading() as uow:  # reads only: no write lock
                settings = await uow.settings.get(guild_id)
                if settings is None or not settings.enabled:
                    return
                counts: dict[int, int] = {}
                for _, inviter, _ in people:
                    if inviter is not None and inviter not in counts:
                        stats = await inviter_stats(
                            uow, guild_id, inviter, retention_days=self._retention_days, now=now
                        )
                        counts[inviter] = stats.counts.total
            subjects = [
                MessageSubject(
                    kind=kind,
                    guild_id=guild_id,
                    member_id=member,
                    inviter_id=inviter,
                    invite_code=code,
                    invite_count=None if inviter is None else counts[inviter],
                )
                for member, inviter, code in people
            ]
            rendered = await asyncio.gather(
                *(
                    render_event_message(
                        self._discord,
                        settings,
                        subject,
                        counters=self.counters,
                        now=now,
                        paused=self.paused,
                    )
                    for subject in subjects
                )
            )
            for message in rendered:  # in the order the events came, whichever rendered first
                if message is not None and self.outbox is not None:
                    self.outbox.put(guild_id, *message)
        except Exception:
            self.counters.failed += len(people)
            log.exception("announce_failed", kind=kind, guild_id=str(guild_id))
