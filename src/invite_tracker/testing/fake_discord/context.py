"""What the aiohttp handlers share: the world, the limiter, the faults, the statistics."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

from invite_tracker.testing.fake_discord.faults import FaultInjector
from invite_tracker.testing.fake_discord.ratelimit import RateLimiter
from invite_tracker.testing.fake_discord.state import World
from invite_tracker.testing.fake_discord.stats import RequestStats


@dataclass(slots=True)
class FakeContext:
    """The fake's moving parts, reachable from every request through `CONTEXT`."""

    token: str
    world: World
    limiter: RateLimiter = field(default_factory=RateLimiter)
    faults: FaultInjector = field(default_factory=FaultInjector)
    stats: RequestStats = field(default_factory=RequestStats)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def authorization(self) -> str:
        """The exact `Authorization` header bot routes require."""
        return f"Bot {self.token}"


CONTEXT = web.AppKey("fake_discord_context", FakeContext)
