"""Discord's clock heard in the rate-limit headers hikari parses (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hikari.internal import routes

from invite_tracker.discord.rest import _DiscordClock, counted_at

INSTANT = datetime(2026, 11, 30, 1, 2, 3, 456000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("heard", "expected"),
    [
        ([INSTANT.timestamp()], INSTANT),  # its own answer alone
        ([], None),  # none: refused before it left, or no rate-limit headers
        ([INSTANT.timestamp(), INSTANT.timestamp() + 0.2], None),  # which was its own?
        ([0.0], None),  # headers missing: hikari reads them as 0
    ],
)
def test_counted_at(heard: list[float], expected: datetime | None) -> None:
    assert counted_at(heard) == expected


def update(clock: _DiscordClock, route: routes.CompiledRoute, reset: float, after: float) -> None:
    clock.update_rate_limits(
        compiled_route=route,
        authentication="Bot x",
        bucket_header="b",
        remaining_header=4,
        limit_header=5,
        reset_at=reset,
        reset_after=after,
    )


async def test_listeners_hear_their_route_only_while_they_listen() -> None:
    clock = _DiscordClock(1.0)
    clock.start()
    try:
        invites = routes.GET_GUILD_INVITES.compile(guild=1)
        other_guild = routes.GET_GUILD_INVITES.compile(guild=2)
        with clock.listen("GET /guilds/1/invites") as first:
            with clock.listen("GET /guilds/1/invites") as second:
                update(clock, invites, 1000.75, 0.75)
            update(clock, other_guild, 2000.0, 1.0)
            update(clock, invites, 1001.5, 0.5)
        update(clock, invites, 1003.0, 1.0)
        assert first == [1000.0, 1001.0]
        assert second == [1000.0]
    finally:
        await clock.close()
