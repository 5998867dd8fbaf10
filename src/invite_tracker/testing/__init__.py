"""Test support shipped with the service: a fake Discord that speaks Discord's REST API over HTTP.

The fake lets the real hikari REST client (and the simulator) run against a Discord that lives
in memory, with controllable time, permissions, rate limits and faults.
"""

from __future__ import annotations

from invite_tracker.testing.fake_discord import FakeDiscord, serve_fake_discord

__all__ = ["FakeDiscord", "serve_fake_discord"]
