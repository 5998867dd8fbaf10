"""Reads of a guild's invite list made outside attribution (the dashboard's): a list the
attributor read moments ago serves instead, and with several workers, only the worker holding
the guild may read."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from invite_tracker.domain.invites import ListedInvites
from invite_tracker.services.attribution_bucket import BURST, read_made
from invite_tracker.services.attribution_pacing import EngineConfig, GuildAttribution, attributing
from invite_tracker.services.invites import Turn

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
) -> AsyncIterator[Turn]:
    """Around a read of the guild's invite list made outside attribution: yields what it
    may do (`Turn`).

    The read spends the bucket the attributor paces its reads by. So while joins are being
    attributed, a list the attributor read within the bucket's window (`recent_list`) is
    answered instead, and a read made is counted in the pacing. One worker (not `shared`)
    may always read. With several, a worker's Discord client knows only its own reads: only
    the worker holding the guild may read, or one of them would meet a 429. This one takes
    the guild for the read when no worker holds it (waiting up to `wait` seconds for its
    attributor to try), and keeps it while the read's window lasts, attributing the joins
    the others store meanwhile. `notify` starts the guild's attributor."""
    attributor.outside_reads += 1
    try:
        recent = recent_list(attributor, config, time.monotonic())
        refused = None
        if recent is None:
            refused = await hold_guild(attributor, notify, stopping, wait) if shared else None
            if refused is None:
                read_made(attributor, time.monotonic(), config.fetch_interval, paid=False)
        listed = recent[1] if recent is not None else None
        yield Turn(refused=refused, recent=listed, note=recent_note(recent))
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


def recent_list(
    attributor: GuildAttribution, config: EngineConfig, now: float
) -> tuple[float, ListedInvites] | None:
    """While joins are being attributed, the list the attributor read within the invite list
    bucket's window before `now` (monotonic clock), and how many seconds ago. Reading again
    would spend the bucket the joins' reads need, for little news. None when it read none so
    lately, or when no join waits or is coming: a read then costs attribution nothing."""
    if attributor.latest_list is None or not attributing(attributor, config):
        return None
    answered, listed = attributor.latest_list
    age = now - answered
    return (age, listed) if 0 <= age <= BURST * config.fetch_interval else None


def recent_note(recent: tuple[float, ListedInvites] | None) -> str | None:
    """What the answer says of a list the attributor read moments ago."""
    if recent is None:
        return None
    return f"as read for attribution {recent[0]:.1f} s ago (a new read would spend the rate limit)"
