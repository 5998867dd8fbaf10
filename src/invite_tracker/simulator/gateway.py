"""A simulated gateway: the fake Discord's events, delivered to a tracker late and reordered.

The fake logs every event it would dispatch (member add and remove, invite create and
delete). The gateway reads that log and delivers each event after a delay: the one the
scenario planned for the action that caused it, or, for events Discord raises on its own (an
invite used up or expired), a delay drawn from the scenario's jitter, seeded by the event, so
a seed always delivers the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from invite_tracker.simulator.scoring import Verdict
from invite_tracker.simulator.tracker import Tracker
from invite_tracker.testing.fake_discord import Event, FakeDiscord

POLL_INTERVAL = 0.02
"""How often the event log is read for events no action caused (expired invites)."""

EventKey = tuple[str, str]


@dataclass(slots=True)
class Deliveries:
    """What was delivered: first delivery of each join, answers, and failures."""

    first_delivery: dict[tuple[int, datetime], datetime] = field(default_factory=dict)
    answers: dict[tuple[int, datetime], tuple[Verdict, datetime]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def unplanned_delay(seed: int, key: EventKey, jitter: tuple[float, float]) -> float:
    """The delay of an event no action planned (an invite used up or expired), drawn from the
    scenario's jitter and seeded by the event: a code is deleted once."""
    event_type, name = key
    return round(random.Random(f"{seed}:{event_type}:{name}").uniform(*jitter), 3)


class Gateway:
    """Reads the fake's event log and delivers each event to the tracker after its delay."""

    def __init__(
        self,
        fake: FakeDiscord,
        guild_id: int,
        tracker: Tracker,
        *,
        since: int,
        seed: int,
        jitter: tuple[float, float],
    ) -> None:
        self._fake = fake
        self._guild_id = guild_id
        self._tracker = tracker
        self._since = since
        self._seed = seed
        self._jitter = jitter
        self._planned: defaultdict[EventKey, deque[tuple[float, ...]]] = defaultdict(deque)
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self._poller: asyncio.Task[None] | None = None
        self.deliveries = Deliveries()

    def plan(self, key: EventKey, *delays: float) -> None:
        """The next event with this key is delivered after each of `delays` (twice or more
        for a repeated event). Plan before the action, so the poller cannot beat it."""
        self._planned[key].append(delays)

    def unplan(self, key: EventKey) -> None:
        """Forget the latest plan for `key` (its action failed)."""
        with contextlib.suppress(IndexError):
            self._planned[key].pop()

    def spawn(self, work: Awaitable[None], label: str) -> None:
        """Run work in the background, counted with the deliveries (e.g. a staff deletion)."""
        self._track(asyncio.create_task(self._guarded(work, label)))

    async def pull(self) -> None:
        """Schedule every event logged since the last pull."""
        async with self._lock:
            events = await self._fake.events(since=self._since)
            if events:
                self._since = events[-1].seq
            for event in events:
                if event.guild_id == self._guild_id:
                    self._schedule(event)

    def start(self) -> None:
        """Read the log every few milliseconds (events no action causes: expiry)."""
        self._poller = asyncio.create_task(self._poll(), name="simulated-gateway")

    async def drain(self, limit: float) -> int:
        """Stop polling after a last pull, and wait up to `limit` seconds for the deliveries
        under way; those still waiting then (a tracker queued behind a rate limit) are
        abandoned. Returns how many were."""
        await self.pull()
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        deadline = asyncio.get_running_loop().time() + limit
        while self._tasks:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            await asyncio.wait(list(self._tasks), timeout=left)
        abandoned = len(self._tasks)
        await self.close()
        return abandoned

    async def close(self) -> None:
        """Cancel whatever is still scheduled (after a failure; a no-op after `drain`)."""
        tasks = [*self._tasks, *([self._poller] if self._poller is not None else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_INTERVAL)
            await self.pull()

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _delays(self, key: EventKey) -> tuple[float, ...]:
        planned = self._planned.get(key)
        if planned:
            return planned.popleft()
        return (unplanned_delay(self._seed, key, self._jitter),)

    def _schedule(self, event: Event) -> None:
        data = event.data
        work: Callable[[], Awaitable[None]]
        if event.type in ("GUILD_MEMBER_ADD", "GUILD_MEMBER_REMOVE"):
            member_id = int(data["user"]["id"])
            key: EventKey = (event.type, str(member_id))
            if event.type == "GUILD_MEMBER_ADD":
                joined_at = datetime.fromisoformat(data["joined_at"])
                is_bot = bool(data["user"].get("bot", False))
                work = functools.partial(self._join, member_id, joined_at, is_bot)
            else:
                work = functools.partial(self._tracker.leave, member_id, event.at)
        elif event.type == "INVITE_CREATE":
            key = (event.type, data["code"])
            work = functools.partial(self._tracker.invite_created, data)
        elif event.type == "INVITE_DELETE":
            key = (event.type, data["code"])
            work = functools.partial(self._tracker.invite_deleted, data["code"])
        else:
            return
        for seconds in self._delays(key):
            self._track(asyncio.create_task(self._later(seconds, work, event.type)))

    async def _later(self, seconds: float, work: Callable[[], Awaitable[None]], label: str) -> None:
        await asyncio.sleep(seconds)
        await self._guarded(work(), label)

    async def _guarded(self, work: Awaitable[None], label: str) -> None:
        try:
            await work
        except Exception as exc:
            self.deliveries.errors.append(f"{label}: {type(exc).__name__}: {exc}")

    async def _join(self, member_id: int, joined_at: datetime, is_bot: bool) -> None:
        key = (member_id, joined_at)
        record = self.deliveries
        record.first_delivery.setdefault(key, datetime.now(UTC))
        verdict = await self._tracker.join(member_id, joined_at, is_bot)
        if verdict.final and key not in record.answers:
            record.answers[key] = (verdict, datetime.now(UTC))
