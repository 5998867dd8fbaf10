"""A fake Discord REST API (v10) for tests, benchmarks and trying the service by hand.

Real HTTP on loopback, Discord's paths, JSON shapes, error codes and rate-limit headers, an
in-memory world with a controllable clock, and faults on demand. See `FakeDiscord`.
"""

from __future__ import annotations

from invite_tracker.testing.fake_discord.clock import FakeClock
from invite_tracker.testing.fake_discord.demo import seed_demo_world, serve_fake_discord
from invite_tracker.testing.fake_discord.errors import ControlError, DiscordError
from invite_tracker.testing.fake_discord.fake import FakeDiscord
from invite_tracker.testing.fake_discord.faults import Fault, FaultKind
from invite_tracker.testing.fake_discord.models import (
    Channel,
    ChannelType,
    Event,
    Guild,
    Interaction,
    Invite,
    JoinSource,
    Member,
    Message,
    Role,
    User,
)
from invite_tracker.testing.fake_discord.permissions import ALL_PERMISSIONS, Permission
from invite_tracker.testing.fake_discord.ratelimit import PROFILES, RateLimitProfile, RouteLimit
from invite_tracker.testing.fake_discord.routing import ROUTES, UNDOCUMENTED_ROUTES, RouteSpec

__all__ = [
    "ALL_PERMISSIONS",
    "PROFILES",
    "ROUTES",
    "UNDOCUMENTED_ROUTES",
    "Channel",
    "ChannelType",
    "ControlError",
    "DiscordError",
    "Event",
    "FakeClock",
    "FakeDiscord",
    "Fault",
    "FaultKind",
    "Guild",
    "Interaction",
    "Invite",
    "JoinSource",
    "Member",
    "Message",
    "Permission",
    "RateLimitProfile",
    "Role",
    "RouteLimit",
    "RouteSpec",
    "User",
    "seed_demo_world",
    "serve_fake_discord",
]
