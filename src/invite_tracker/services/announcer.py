"""Sending join and leave messages once an event is final, off the attribution path.

Each message is owed in storage from the moment its event is final (`owed_messages`): it is
marked once posted or given up, so one the service could not post before it stopped or
crashed, or that Discord could not take just then, is posted later.
"""

from __future__ import annotations

import asyncio
import functools
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import datetime
from itertools import groupby
from typing import Any

import structlog

from invite_tracker.discord.port import DiscordPort
from invite_tracker.domain.joins import JoinRecord
from invite_tracker.domain.owed_messages import Delivery, OwedMessage
from invite_tracker.domain.templating import MessageKind
from invite_tracker.services.message_outbox import ChannelOutbox
from invite_tracker.services.messages import (
    MessageCounters,
    MessageSubject,
    PausedChannels,
    render_event_message,
)
from invite_tracker.services.owed_messages import OwedMessages
from invite_tracker.services.ports import Storage
from invite_tracker.services.stats import inviter_totals
from invite_tracker.services.tasks import stop_within

log = structlog.get_logger(__name__)
CLOSE_WAIT = 5.0
"""Seconds a stopping service gives its messages to be prepared and posted."""


class Announcer:
    """Sends each final join's join message and each leave's leave message, in the background,
    through the channel's outbox (`ChannelOutbox`: in order, combined in a burst).

    A message never holds up or fails the event: errors are logged and counted. `owed`, when
    given, keeps storage's list of owed messages in step (`start` hands it the due ones).
    """

    def __init__(
        self,
        storage: Storage,
        discord: DiscordPort | None,
        *,
        retention_days: int,
        clock: Callable[[], datetime],
        owed: OwedMessages | None = None,
    ) -> None:
        self._storage = storage
        self._owed = owed
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

    def start(self) -> None:
        """Post the messages owed from before (and, from now on, those another worker
        could not post)."""
        if self._owed is not None:
            self._owed.start(self.owed_due)

    def joins_decided(self, guild_id: int, joins: Sequence[JoinRecord]) -> None:
        """These joins are final (their messages are owed, held here): send their join
        messages."""
        now = self._clock()
        owed = [
            OwedMessage(
                "join",
                join.id,
                guild_id,
                join.member_id,
                join.inviter_id,
                join.invite_code,
                join.attributed_at or now,
                join.joined_at,
            )
            for join in joins
        ]
        self._hold(owed)
        self._spawn(self._announce("join", guild_id, owed))

    def owed_due(self, messages: Sequence[OwedMessage]) -> None:
        """Owed messages taken from storage (held here now): send them, in the order their
        events came. Once stopping, they are left held, to be given back."""
        if self._closing.is_set():
            return
        ordered = sorted(messages, key=lambda message: (message.final_at, message.event_id))
        for (kind, guild_id), group in groupby(
            ordered, key=lambda message: (message.kind, message.guild_id)
        ):
            self._spawn(self._announce(kind, guild_id, list(group)))

    def member_left(
        self,
        guild_id: int,
        member_id: int,
        join: JoinRecord | None,
        decided: Callable[[], Awaitable[JoinRecord | None]] | None = None,
        *,
        leave_id: int,
        left_at: datetime,
    ) -> None:
        """The member left (their join, when known, names the inviter): send the leave message
        of leave `leave_id` (owed, held here).

        `decided`, for a join still pending: waits for its attribution (None when it is not
        final in time), so that the message names the inviter the join is credited to. The
        service stopping ends the wait: the message is sent with what is known."""
        owed = OwedMessage(
            "leave", leave_id, guild_id, member_id, None, None, self._clock(), left_at
        )
        self._hold([owed])
        self._spawn(self._leave(owed, join, decided))

    async def _leave(
        self,
        owed: OwedMessage,
        join: JoinRecord | None,
        decided: Callable[[], Awaitable[JoinRecord | None]] | None,
    ) -> None:
        if decided is not None:
            try:
                join = await self._unless_closing(decided()) or join
            except Exception:
                log.exception("leave_attribution_wait_failed", guild_id=str(owed.guild_id))
        if join is not None:
            owed = replace(owed, inviter_id=join.inviter_id, invite_code=join.invite_code)
        await self._announce("leave", owed.guild_id, [owed])

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
        await stop_within(self._tasks, CLOSE_WAIT)
        if self.outbox is not None:
            await self.outbox.close(max(0.0, deadline - loop.time()))
        if self._owed is not None:
            await self._owed.close()

    def _hold(self, messages: Sequence[OwedMessage]) -> None:
        if self._owed is not None:
            self._owed.hold(message.key for message in messages)

    def _finished(self, message: OwedMessage, delivery: Delivery) -> None:
        if self._owed is not None:
            self._owed.finished(message.key, delivery)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _announce(
        self, kind: MessageKind, guild_id: int, people: Sequence[OwedMessage]
    ) -> None:
        """Prepare the messages of these events of the guild and hand them to the outbox;
        each is marked posted or given up once the outbox says so. They go out in the order
        the members joined or left, however their events were decided."""
        people = sorted(people, key=lambda person: (person.happened_at, person.event_id))
        handed = 0
        try:
            now = self._clock()
            async with self._storage.reading() as uow:  # reads only: no write lock
                settings = await uow.settings.get(guild_id)
                if settings is None or not settings.enabled:
                    for person in people:
                        self._finished(person, Delivery.GIVEN_UP)
                    return
                # each message shows the inviter's count right after its own event, however
                # many events were decided since (a burst, a join decided after a leave)
                moments: defaultdict[int, set[datetime]] = defaultdict(set)
                for person in people:
                    if person.inviter_id is not None:
                        moments[person.inviter_id].add(person.happened_at)
                counts: dict[tuple[int, datetime], int] = {}
                for inviter, times in moments.items():
                    totals = await inviter_totals(
                        uow,
                        guild_id,
                        inviter,
                        times,
                        retention_days=self._retention_days,
                        now=now,
                    )
                    counts.update(((inviter, moment), total) for moment, total in totals.items())
            subjects = [
                MessageSubject(
                    kind=kind,
                    guild_id=guild_id,
                    member_id=person.member_id,
                    inviter_id=person.inviter_id,
                    invite_code=person.invite_code,
                    invite_count=None
                    if person.inviter_id is None
                    else counts[(person.inviter_id, person.happened_at)],
                )
                for person in people
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
            # in the order the events came, whichever rendered first
            for person, message in zip(people, rendered, strict=True):
                handed += 1
                if message is None or self.outbox is None:
                    self._finished(person, Delivery.GIVEN_UP)  # off, or cannot be prepared
                    continue
                self.outbox.put(guild_id, *message, functools.partial(self._finished, person))
        except Exception:
            self.counters.failed += len(people) - handed
            for person in people[handed:]:
                self._finished(person, Delivery.GIVEN_UP)
            log.exception("announce_failed", kind=kind, guild_id=str(guild_id))
