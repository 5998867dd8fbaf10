"""Reads of the invite list outside attribution (the dashboard's): whose turn it is."""

from __future__ import annotations

import asyncio
import time

import pytest

from invite_tracker.services.attribution_pacing import (
    BURST,
    EngineConfig,
    GuildAttribution,
    next_read_at,
)
from invite_tracker.services.attribution_turns import HELD_ELSEWHERE, NOT_TAKEN, read_turn

CONFIG = EngineConfig(fetch_interval=0.2)


class Attributor:
    """Stands for the guild's attributor task: on being notified, it tries to take the guild
    (`outcome`: "taken", "held elsewhere", or None for no try at all)."""

    def __init__(self, state: GuildAttribution, outcome: str | None) -> None:
        self.state, self.outcome, self.notified = state, outcome, 0

    def notify(self, guild_id: int) -> None:
        assert guild_id == self.state.guild_id
        self.notified += 1
        if self.outcome is not None:
            asyncio.get_running_loop().call_soon(self._try)

    def _try(self) -> None:
        self.state.owned = self.outcome == "taken"
        self.state.held_elsewhere = not self.state.owned
        self.state.lock_tries += 1
        self.state.tried.set()


@pytest.mark.parametrize(
    ("shared", "owned", "outcome", "stopping", "refused", "notified"),
    [
        (False, False, None, False, None, 1),  # one worker: always its turn
        (True, True, None, False, None, 1),  # several, and this one holds the guild
        (True, False, "taken", False, None, 2),  # nobody held it: taken for the read
        (True, False, "held elsewhere", False, HELD_ELSEWHERE, 2),  # another one holds it
        (True, False, None, False, NOT_TAKEN, 2),  # no try came in time
        (True, False, "taken", True, NOT_TAKEN, 1),  # the service is stopping
    ],
)
async def test_only_the_worker_holding_the_guild_reads_its_invites(
    shared: bool,
    owned: bool,
    outcome: str | None,
    stopping: bool,
    refused: str | None,
    notified: int,
) -> None:
    state = GuildAttribution(7, owned=owned)
    attributor = Attributor(state, outcome)
    stop = asyncio.Event()
    if stopping:
        stop.set()
    turn = read_turn(
        state, CONFIG, shared=shared, notify=attributor.notify, stopping=stop, wait=0.05
    )
    async with turn as answer:
        assert state.outside_reads == 1  # the attributor keeps the guild meanwhile
    assert answer == refused
    assert state.outside_reads == 0
    assert attributor.notified == notified  # at last, to decide what waits
    assert (state.window_reads, state.credit) == ((1, 0) if refused is None else (0, 0))


async def test_the_dashboards_reads_spend_the_attributors_bucket() -> None:
    state = GuildAttribution(7)
    attributor = Attributor(state, None)
    started = time.monotonic()
    for _ in range(BURST):  # the dashboard's GET /invite-links, five times at once
        turn = read_turn(
            state, CONFIG, shared=False, notify=attributor.notify, stopping=asyncio.Event()
        )
        async with turn as refused:
            assert refused is None
    # the bucket's five are spent: the attributor's next read waits for the window to pass
    assert next_read_at(state, 0.2, 1.0) >= started + BURST * 0.2
    assert state.credit == 0  # they are not the joins' reads
