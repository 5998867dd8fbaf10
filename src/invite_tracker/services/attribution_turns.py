"""Reads of a guild's invite list made outside attribution (the dashboard's): with several
workers, only the worker holding the guild may make them."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from invite_tracker.services.attribution_pacing import EngineConfig, GuildAttribution, read_made

HELD_ELSEWHERE = (
    "another worker of the service is attributing this guild's joins and reads its invites: "
    "these are the invites as it last stored them (a read from here could meet Discord's rate "
    "limit)"
)
NOT_TAKEN = "the guild's invite reads could not be taken in time: these are the stored invites"
HOLD_WAIT = 2.0
"""Seconds a read outside attribution waits for this worker to take the guild."""


@contextlib.asynccontextmanager
async def read_turn(
    attributor: GuildAttribution,
    config: EngineConfig,
    *,
    shared: bool,
    notify: Callable[[int], None],
    stopping: asyncio.Event,
    wait: float = HOLD_WAIT,
) -> AsyncIterator[str | None]:
    """Around a read of the guild's invite list made outside attribution: yields None when
    this worker may make it, else why not.

    The read spends the bucket the attributor paces its reads by, so the pacing counts it.
    One worker (not `shared`) may always read. With several, a worker's Discord client knows
    only its own reads: only the worker holding the guild may read, or one of them would meet
    a 429. This one takes the guild for the read when no worker holds it (waiting up to
    `wait` seconds for its attributor to try), and keeps it while the read's window lasts,
    attributing the joins the others store meanwhile. `notify` starts the guild's
    attributor."""
    attributor.outside_reads += 1
    try:
        refused = await hold_guild(attributor, notify, stopping, wait) if shared else None
        if refused is None:
            read_made(attributor, time.monotonic(), config.fetch_interval, paid=False)
        yield refused
    finally:
        attributor.outside_reads -= 1
        notify(attributor.guild_id)  # decides what waits, and keeps the guild for the window


async def hold_guild(
    attributor: GuildAttribution,
    notify: Callable[[int], None],
    stopping: asyncio.Event,
    wait: float = HOLD_WAIT,
) -> str | None:
    """Make sure this worker holds the guild, taking it when no worker does: None once it
    does, else why not. `notify` starts the guild's attributor, which tries to take it (and
    keeps it while `outside_reads` counts a read)."""
    deadline = time.monotonic() + wait
    while not attributor.owned:
        if stopping.is_set() or time.monotonic() >= deadline:
            return NOT_TAKEN
        tries = attributor.lock_tries
        attributor.tried.clear()
        notify(attributor.guild_id)  # its attributor tries to take the guild
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(attributor.tried.wait(), deadline - time.monotonic())
        if attributor.lock_tries > tries:
            # taken (and perhaps let go since, when Discord failed), or held elsewhere
            return HELD_ELSEWHERE if attributor.held_elsewhere else None
    return None
