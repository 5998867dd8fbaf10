"""Discord's clock, heard in its answers' rate-limit headers, for hikari's buckets.

The invite list and vanity reads also say when Discord counted them, by Discord's own clock:
every answer's rate-limit headers hold it (`X-RateLimit-Reset`, the epoch instant the bucket
resets, less `X-RateLimit-Reset-After`, the seconds until then). hikari parses those headers
for its buckets; `DiscordClock`, its bucket manager with an ear, hears them too, and frees
those buckets by Discord's clock: a trip before Discord's reset instant, so that a read let go
then is counted just after it (hikari alone frees them at the reset by this machine's clock).
"""

from __future__ import annotations

import contextlib
import datetime
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass

import hikari
import structlog
from hikari.impl import buckets
from hikari.internal import routes

log = structlog.get_logger(__name__)

ARRIVAL_MARGIN = 0.02
"""Seconds after Discord's bucket reset that a read sent as the limiter frees it is aimed to
be counted, were its trip as fast as the fastest recent one (doubled each time one came early)."""
MAX_ARRIVAL_MARGIN = 0.5
TRIPS_KEPT = 50
"""Recent trips (send to Discord's count) the fastest is taken from."""
CLOCK_STEP = 2.0
"""Seconds by which the reset hikari would be told (Discord's instant less the lead) may be
later than the reset the answer gives relatively (this machine's now plus
`X-RateLimit-Reset-After`) before the trips are taken to be from before a clock stepped (this
machine's, after a suspend or a correction, or Discord's): they are dropped, or hikari would
hold every spent bucket for as long as the step. It is never later otherwise: the difference
is the margin less the fastest trip out and this answer's way back. (Earlier is a slow answer,
or a step the other way, which the next trip measured corrects: the lead is their fastest.)"""
ROUTES_KEPT = 1000
"""Routes whose last answer is kept beyond the end of its window (to tell a read came early)."""


@dataclass(frozen=True, slots=True)
class Heard:
    """One answer on a listened route: when Discord counted it (epoch seconds, by its clock),
    and the read's lag (see `DiscordClock._hear_trip`; None when its request could not be
    told apart from another's)."""

    counted: float
    lag: float | None = None


class DiscordClock(buckets.RESTBucketManager):
    """hikari's bucket manager, also hearing Discord's clock in the answers' rate-limit
    headers, and freeing each bucket on it.

    It notes when Discord counted the answers it is listened to for (by compiled route, e.g.
    `GET /guilds/1/invites`). And hikari frees a spent bucket when Discord's reset instant
    comes by this machine's clock: a read sent then reaches Discord a trip later, so each
    window of the bucket starts a trip after the last one ended, and this machine's clock
    being off Discord's moves it further. So every answer's trip is measured, from when the
    request left (`acquire_bucket`) to when Discord counted it, by the two clocks (their
    difference is in it, whatever it is), and hikari is told the bucket resets `lead` earlier
    than Discord says: the fastest recent trip less `ARRIVAL_MARGIN`. A read leaving as
    hikari frees the bucket is then counted just after Discord's reset. One counted before
    it (Discord refused it) doubles the margin."""

    __slots__ = ("_early_margin", "_in_flight", "_last", "_listeners", "_now", "_trips")

    def __init__(self, max_rate_limit: float, now: Callable[[], float] = time.time) -> None:
        super().__init__(max_rate_limit)
        self._now = now  # hikari's clock: epoch seconds
        self._listeners: dict[str, list[list[Heard]]] = {}
        self._in_flight: dict[str, list[float]] = {}
        self._trips: deque[float] = deque(maxlen=TRIPS_KEPT)
        self._early_margin = ARRIVAL_MARGIN
        self._last: dict[str, tuple[int, float]] = {}  # route: (remaining, reset) last heard

    @property
    def lead(self) -> float:
        """How much earlier than Discord says hikari is told a bucket resets (by this
        machine's clock): 0 until a trip is measured."""
        return min(self._trips) - self._early_margin if self._trips else 0.0

    @contextlib.contextmanager
    def listen(self, route: str) -> Iterator[list[Heard]]:
        """Collect every answer heard on `route` meanwhile."""
        heard: list[Heard] = []
        self._listeners.setdefault(route, []).append(heard)
        try:
            yield heard
        finally:
            left = [other for other in self._listeners[route] if other is not heard]
            if left:
                self._listeners[route] = left
            else:
                del self._listeners[route]

    def acquire_bucket(
        self, compiled_route: routes.CompiledRoute, authentication: str | None
    ) -> contextlib.AbstractAsyncContextManager[None]:
        return self._sending(
            super().acquire_bucket(compiled_route, authentication), str(compiled_route)
        )

    @contextlib.asynccontextmanager
    async def _sending(
        self, bucket: contextlib.AbstractAsyncContextManager[None], route: str
    ) -> AsyncIterator[None]:
        """Hold the bucket for one request, noting when it left (hikari sends it as soon as
        the bucket is acquired) until its answer is in."""
        async with bucket:
            sent = self._now()
            flying = self._in_flight.setdefault(route, [])
            flying.append(sent)
            try:
                yield
            finally:
                flying.remove(sent)
                if not flying:
                    del self._in_flight[route]

    def update_rate_limits(
        self,
        compiled_route: routes.CompiledRoute,
        authentication: str | None,
        bucket_header: str,
        remaining_header: int,
        limit_header: int,
        reset_at: float,
        reset_after: float,
    ) -> None:
        route = str(compiled_route)
        counted = reset_at - reset_after
        trip = self._hear_trip(route, counted, remaining_header, reset_at)
        told = reset_at - self.lead
        expected = self._now() + reset_after  # by this machine's clock, whatever it says
        if reset_at > 0 and told - expected > CLOCK_STEP:
            log.warning("discord_clock_stepped", route=route, seconds=round(told - expected, 3))
            self._trips.clear()  # measured across the step: this answer's alone is current
            if trip is not None:
                self._trips.append(trip)
            told = reset_at - self.lead
            if told - expected > CLOCK_STEP:
                told = expected  # no trip of the new clocks yet: as hikari alone would
        lag = None if trip is None else trip - self.lead
        super().update_rate_limits(
            compiled_route=compiled_route,
            authentication=authentication,
            bucket_header=bucket_header,
            remaining_header=remaining_header,
            limit_header=limit_header,
            reset_at=told,
            reset_after=reset_after,
        )
        for heard in self._listeners.get(route, ()):
            heard.append(Heard(counted, lag))

    def _hear_trip(
        self, route: str, counted: float, remaining: int, reset_at: float
    ) -> float | None:
        """Measure this answer's trip (when its request was alone on the route; None when
        not), and see whether it was counted before the reset of the bucket the answer before
        had spent (then Discord refused it: it came early). The read's lag is its trip less
        the lead, i.e. how long after Discord's reset hikari, told of this window, frees the
        bucket, in terms of when the window's reads left (the margin, and how much slower
        than the fastest this trip was)."""
        if reset_at <= 0:
            return None  # no rate-limit headers: hikari reads them as 0
        last = self._last.get(route)
        self._last[route] = (remaining, reset_at)
        if len(self._last) > ROUTES_KEPT:  # one guild's reads after another's: forget the
            self._last = {  # buckets whose window is over, as hikari forgets stale buckets
                key: seen for key, seen in self._last.items() if seen[1] > counted
            }
        if last is not None and last[0] == 0 and counted < last[1] - 0.001:
            self._early_margin = min(2 * self._early_margin, MAX_ARRIVAL_MARGIN)
            log.warning("discord_read_came_early", route=route, margin=self._early_margin)
        flying = self._in_flight.get(route, ())
        if len(flying) != 1:
            return None
        trip = counted - flying[0]
        self._trips.append(trip)
        return trip


def counted_at(heard: Sequence[Heard]) -> datetime.datetime | None:
    """Discord's instant for one read: None unless exactly one answer was heard (a retry, or
    another read of the same route meanwhile, leaves it open which answer was this one's)."""
    if len(heard) != 1 or heard[0].counted <= 0:
        return None
    return datetime.datetime.fromtimestamp(heard[0].counted, datetime.UTC)


def on_discords_clock(app: hikari.RESTApp, max_rate_limit: float) -> DiscordClock | None:
    """Give the app (before it starts) a bucket manager that hears Discord's clock and frees
    buckets on it. It is hikari's own private slot: should a hikari release move it, reads are
    stamped by their flight alone and buckets freed by this machine's clock, as hikari does,
    and a warning says so."""
    if not isinstance(getattr(app, "_bucket_manager", None), buckets.RESTBucketManager):
        log.warning("discord_clock_unavailable", reason="hikari's bucket manager moved")
        return None
    clock = DiscordClock(max_rate_limit)
    app._bucket_manager = clock  # hikari has no public way in: see the docstring
    return clock
