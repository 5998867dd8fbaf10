"""Keeping storage's list of owed join and leave messages in step with this worker.

An event's message is owed from the transaction that makes the event final, which holds it
for this worker for `MESSAGE_LEASE` (`domain.owed_messages`). Here, in the background:
- the lease of every message this worker is preparing or posting is renewed, so a message
  waiting for its channel's rate limit is not taken by another worker;
- posted or given-up messages are marked so, a fraction of a second later, in one write;
- a message Discord could not take is made due again a while later (`retry_after`);
- due messages are taken and handed to the announcer: those given back by a worker that
  stopped, those whose lease ran out (a worker crashed), those to try again, and at start
  those left by the previous run. A message whose event is older than the configured delay
  is dropped instead, and logged.
On stop, what this worker holds and did not post is given back, due at once, for the next
start (or another worker).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import structlog

from invite_tracker.domain.owed_messages import MESSAGE_LEASE, Delivery, OwedMessage, too_late
from invite_tracker.domain.templating import MessageKind
from invite_tracker.services.ports import Storage
from invite_tracker.services.tasks import stop_within

log = structlog.get_logger(__name__)

Key = tuple[MessageKind, int]
KINDS: tuple[MessageKind, ...] = ("join", "leave")
SWEEP_EVERY = 15.0
"""Seconds between two looks for due messages, and between two renewals of the leases held
here (well within `MESSAGE_LEASE`)."""
WRITE_DELAY = 0.2
"""Seconds the marks of posted messages are gathered before one write."""
TAKEN_AT_ONCE = 200
"""Due messages of each kind taken by one look."""
STOP_WAIT = 2.0
"""Seconds a stopping service lets a write or look under way finish."""


class OwedMessages:
    """This worker's part in the owed messages: which it holds, which are done."""

    def __init__(
        self,
        storage: Storage,
        *,
        clock: Callable[[], datetime],
        max_delay: timedelta,
        retry_after: timedelta,
        lease: timedelta = MESSAGE_LEASE,
        sweep_every: float = SWEEP_EVERY,
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._max_delay = max_delay
        self._retry_after = retry_after
        self._lease = lease
        self._sweep_every = sweep_every
        self._held: set[Key] = set()  # being prepared or posted here: renewed
        self._done: set[Key] = set()  # posted or given up: to mark so
        self._later: dict[Key, datetime] = {}  # Discord could not take it: due again then
        self._wrote = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def hold(self, keys: Iterable[Key]) -> None:
        """These messages are being prepared here (their events just became final here)."""
        self._held.update(keys)

    def finished(self, key: Key, delivery: Delivery) -> None:
        """What became of a message held here."""
        self._held.discard(key)
        if delivery.retried:  # no longer held here: taken again, here or elsewhere, once due
            self._later[key] = self._clock() + self._retry_after
        else:
            self._done.add(key)
        self._wrote.set()

    def start(self, announce: Callable[[list[OwedMessage]], None]) -> None:
        """Look for due messages now and every `sweep_every` seconds, handing them to
        `announce`; write what is done as it comes."""
        self._task = asyncio.create_task(self._run(announce), name="owed-messages")

    async def close(self) -> None:
        """Stop: mark what is done, and give back what was not posted, due at once."""
        self._stopping.set()  # not by cancelling alone: a wake at that instant could swallow it
        self._wrote.set()
        if self._task is not None:
            await stop_within({self._task}, STOP_WAIT)
            self._task = None
        unsent = set(self._held)  # only these: a message let go may be another worker's now
        try:
            await self._write(give_back=unsent)
        except Exception:
            log.exception("owed_messages_write_failed")
            return
        if unsent:
            log.info("messages_given_back", messages=len(unsent), reason="the service stopped")

    async def _run(self, announce: Callable[[list[OwedMessage]], None]) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        while not self._stopping.is_set():
            self._wrote.clear()  # before the work: a mark made meanwhile wakes the next turn
            try:
                if loop.time() >= next_sweep:
                    next_sweep = loop.time() + self._sweep_every
                    due = await self._sweep()
                    if due and not self._stopping.is_set():  # else held: given back
                        announce(due)
                elif self._done or self._later:
                    await self._write()
            except Exception:  # the database failing: try again at the next turn
                log.exception("owed_messages_failed")
            await _until(self._wrote, next_sweep - loop.time())
            await _until(self._stopping, WRITE_DELAY)  # gather the marks that follow

    async def _sweep(self) -> list[OwedMessage]:
        """Renew the leases held here, mark what is done, take the due messages (dropping
        those too old to post), and hold them."""
        await self._write(renew=True)
        now = self._clock()
        taken: list[OwedMessage] = []
        async with self._storage.unit_of_work() as uow:
            for kind in KINDS:
                taken += await uow.messages.take_due(
                    kind, now=now, until=now + self._lease, limit=TAKEN_AT_ONCE
                )
            await uow.commit()
        late = [message for message in taken if too_late(message.final_at, now, self._max_delay)]
        for message in late:
            self._done.add(message.key)
        if late:
            self._wrote.set()
            log.warning(
                "messages_too_late",
                messages=len(late),
                reason=f"their events are over {self._max_delay.total_seconds():.0f} s old",
            )
        due = [message for message in taken if message.key not in self._done]
        self.hold(message.key for message in due)
        return due

    async def _write(self, *, renew: bool = False, give_back: Iterable[Key] = ()) -> None:
        """Mark what is done and when messages to try again are due; with `renew`, push on
        the leases held here; give back `give_back`, due now."""
        done, self._done = self._done, set()
        later, self._later = self._later, {}
        now = self._clock()
        changes: list[tuple[set[Key], datetime | None]] = [(done, None)]
        changes += [({key}, due) for key, due in later.items()]
        if renew:
            changes.append((set(self._held), now + self._lease))
        changes.append((set(give_back), now))
        if not any(keys for keys, _ in changes):
            return
        try:
            async with self._storage.unit_of_work() as uow:
                for keys, due in changes:
                    for kind in KINDS:
                        ids = [event_id for key_kind, event_id in keys if key_kind == kind]
                        if ids:
                            await uow.messages.set_due(kind, ids, due)
                await uow.commit()
        except BaseException:
            self._done |= done  # written at the next turn
            self._later = later | self._later
            raise


async def _until(event: asyncio.Event, seconds: float) -> None:
    """Wait until `event` is set, for `seconds` at most."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(max(0.0, seconds)):
            await event.wait()
