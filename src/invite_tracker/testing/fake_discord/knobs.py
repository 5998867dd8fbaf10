"""The fake's dials outside the world: faults, rate limits, statistics and the clock."""

from __future__ import annotations

from datetime import datetime

from invite_tracker.testing.fake_discord import invites
from invite_tracker.testing.fake_discord.clock import FakeClock
from invite_tracker.testing.fake_discord.context import FakeContext
from invite_tracker.testing.fake_discord.faults import Fault, FaultKind
from invite_tracker.testing.fake_discord.ratelimit import RateLimitProfile, RouteLimit
from invite_tracker.testing.fake_discord.routing import ROUTES_BY_KEY
from invite_tracker.testing.fake_discord.stats import RecordedRequest, RequestStats


class Knobs:
    """Run-time controls shared by `FakeDiscord` and the control API."""

    def __init__(self, context: FakeContext) -> None:
        self.context = context

    # faults ------------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> Fault:
        """Activate any fault (see `Fault` for the fields)."""
        return self.context.faults.add(fault)

    def add_latency(
        self,
        seconds: float,
        *,
        max_seconds: float | None = None,
        route: str = "*",
        count: int | None = None,
    ) -> Fault:
        """Delay matching answers by `seconds` (or uniformly up to `max_seconds`)."""
        return self.add_fault(
            Fault(FaultKind.LATENCY, route, count, delay=seconds, max_delay=max_seconds)
        )

    def add_server_errors(
        self, status: int = 500, *, route: str = "*", count: int | None = 1
    ) -> Fault:
        """Answer matching requests with a 5xx (500, 502, 503 or 504) before doing anything."""
        return self.add_fault(Fault(FaultKind.ERROR, route, count, status=status))

    def add_timeouts(
        self, *, route: str = "*", count: int | None = 1, hold: float = 300.0
    ) -> Fault:
        """Hold matching requests for `hold` seconds, far past any client timeout."""
        return self.add_fault(Fault(FaultKind.TIMEOUT, route, count, hold=hold))

    def drop_connections(
        self, *, route: str = "*", count: int | None = 1, after_processing: bool = False
    ) -> Fault:
        """Close matching connections with no answer (after doing the work, if asked)."""
        return self.add_fault(
            Fault(FaultKind.DROP, route, count, after_processing=after_processing)
        )

    def add_rate_limit_storm(
        self,
        *,
        route: str = "*",
        count: int | None = 1,
        retry_after: float = 1.0,
        scope: str = "shared",
    ) -> Fault:
        """Answer matching requests 429 regardless of the buckets (scope shared/user/global)."""
        return self.add_fault(
            Fault(FaultKind.RATE_LIMIT, route, count, retry_after=retry_after, scope=scope)
        )

    def faults(self) -> list[Fault]:
        """The faults still active."""
        return self.context.faults.active()

    def clear_faults(self, fault_id: int | None = None) -> int:
        """Remove one fault, or all; returns how many were removed."""
        return self.context.faults.clear(fault_id)

    # rate limits -------------------------------------------------------------------------

    def use_rate_limit_profile(self, profile: RateLimitProfile | str) -> RateLimitProfile:
        """Switch to a named profile (`default`, `invites-5-per-1s`, `strict`, `unlimited`)."""
        return self.context.limiter.use_profile(profile)

    def set_route_limit(self, route: str, limit: int | None, per: float = 1.0) -> None:
        """Limit one route (key like `"GET /guilds/{guild_id}/invites"`) per major parameter."""
        if route not in ROUTES_BY_KEY:
            raise ValueError(f"unknown route {route!r}; known: {sorted(ROUTES_BY_KEY)}")
        self.context.limiter.set_route_limit(
            route, RouteLimit(limit, per) if limit is not None else None
        )

    def set_global_limit(self, limit: int | None, per: float = 1.0) -> None:
        """Change (or with None disable) the global per-bot limit."""
        self.context.limiter.set_global_limit(RouteLimit(limit, per) if limit is not None else None)

    def reset_rate_limit_windows(self) -> None:
        """Refill every bucket now."""
        self.context.limiter.reset_windows()

    def rate_limits(self) -> dict[str, object]:
        """The active rate-limit configuration."""
        return self.context.limiter.describe()

    # statistics --------------------------------------------------------------------------

    @property
    def stats(self) -> RequestStats:
        """Requests per route, answers per status, 429s served, faults injected."""
        return self.context.stats

    def requests(self, route: str | None = None) -> list[RecordedRequest]:
        """Requests received (the last 10,000), oldest first; only `route`'s when given."""
        return [r for r in self.context.stats.log if route is None or r.route == route]

    def reset_stats(self) -> None:
        """Zero the statistics."""
        self.context.stats.reset()

    # clock -------------------------------------------------------------------------------

    @property
    def clock(self) -> FakeClock:
        """The world's clock (invite expiry, interaction tokens, timestamps)."""
        return self.context.world.clock

    def now(self) -> datetime:
        """The fake's current time."""
        return self.clock.now()

    async def advance_clock(self, seconds: float) -> datetime:
        """Move time forward; invites whose max_age passed are deleted (INVITE_DELETE) now."""
        async with self.context.world.lock:
            moment = self.clock.advance(seconds)
            invites.sweep_expired(self.context.world)
        return moment

    async def set_clock(self, when: datetime, *, freeze: bool = True) -> datetime:
        """Jump to `when`, frozen there unless `freeze` is false; expired invites are swept."""
        async with self.context.world.lock:
            moment = self.clock.set(when, freeze=freeze)
            invites.sweep_expired(self.context.world)
        return moment

    async def resume_clock(self) -> datetime:
        """Let a frozen clock tick again from where it stands."""
        async with self.context.world.lock:
            return self.clock.resume()
