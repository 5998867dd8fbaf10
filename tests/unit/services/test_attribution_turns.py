"""Reads of the invite list outside attribution (the dashboard's): whose turn it is."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from invite_tracker.domain.evidence import Snapshot
from invite_tracker.domain.invites import InviteReport, ListedInvites
from invite_tracker.domain.ledger import Ledger
from invite_tracker.services.attribution_bucket import BURST, next_read_at
from invite_tracker.services.attribution_pacing import EngineConfig, GuildAttribution
from invite_tracker.services.attribution_turns import HELD_ELSEWHERE, NOT_TAKEN, read_turn
from invite_tracker.services.invites import Turn

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
    async with turn as given:
        assert state.outside_reads == 1  # the attributor keeps the guild meanwhile
    assert (given.refused, given.recent) == (refused, None)
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
        async with turn as given:
            assert given == Turn()
    # the bucket's five are spent: the attributor's next read waits for the window to pass
    assert next_read_at(state, 0.2, 1.0) >= started + BURST * 0.2
    assert state.credit == 0  # they are not the joins' reads


T0 = datetime(2026, 12, 1, tzinfo=UTC)
LISTED = ListedInvites([InviteReport(code="abc", uses=3)], asked_at=T0)


@pytest.mark.parametrize(
    ("shared", "age", "busy", "answered"),
    [
        # read by the attributor within the bucket's window, while joins come: answered
        (False, 0.3, "coming", True),
        (True, 0.3, "coming", True),  # with several workers: no need to hold the guild
        (False, 0.99, "pending", True),  # a join waits for its decision
        (False, 1.2, "coming", False),  # older than the window (5 reads of 0.2 s): read
        (True, 1.2, "pending", False),
        (False, 0.3, None, False),  # no join waits or is coming: a read costs nothing
    ],
)
async def test_a_list_the_attributor_read_moments_ago_serves_instead_of_a_read(
    shared: bool, age: float, busy: str | None, answered: bool
) -> None:
    state = GuildAttribution(7, owned=True)
    state.latest_list = (time.monotonic() - age, LISTED)
    state.ledger = Ledger(Snapshot(T0, T0))
    if busy == "coming":
        state.joins_loaded.append(time.monotonic() - 0.5)  # within active_seconds (1 s)
    elif busy == "pending":
        state.ledger.add_join(1, T0)
    attributor = Attributor(state, None)
    turn = read_turn(
        state, CONFIG, shared=shared, notify=attributor.notify, stopping=asyncio.Event()
    )
    async with turn as given:
        pass
    assert given.refused is None
    assert (given.recent is LISTED) is answered
    assert given.note is None or "as read for attribution" in given.note
    assert (given.note is not None) is answered
    assert state.window_reads == (0 if answered else 1)  # no read, nothing spent
