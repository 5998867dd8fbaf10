"""Join checks waiting for their join's decision, made here or by another worker."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from invite_tracker.domain.invites import JoinType
from invite_tracker.services.attribution_waiters import DecisionWaiters
from tests.unit.services.test_announcer import PENDING

DECIDED = dataclasses.replace(PENDING, join_type=JoinType.INVITE, invite_code="abc", inviter_id=5)
POLL = 60.0
"""Far longer than any test waits: only being told wakes a waiter."""


class _Joins:
    """The joins as storage holds them, and how often they were looked at."""

    def __init__(self) -> None:
        self.rows = {PENDING.id: PENDING}
        self.looks = 0

    async def get(self, join_id: int) -> Any:
        self.looks += 1
        return self.rows.get(join_id)


class _Storage:
    def __init__(self) -> None:
        self.joins = _Joins()

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[Any]:
        yield SimpleNamespace(joins=self.joins)


async def _waiting(storage: _Storage) -> tuple[DecisionWaiters, asyncio.Task[Any]]:
    waiters = DecisionWaiters(storage, POLL)  # type: ignore[arg-type]
    task = asyncio.create_task(waiters.wait(PENDING.id, 30.0, local=lambda: False))
    await asyncio.sleep(0.01)  # it has looked once, and waits
    return waiters, task


@pytest.mark.parametrize("early", [0, 1, 2])
async def test_a_decision_told_by_another_worker_is_looked_up_at_once(early: int) -> None:
    """Told `early` times while the join is still pending (a waiter told too early waits for
    the next telling), then once it is decided."""
    storage = _Storage()
    waiters, task = await _waiting(storage)
    assert waiters.look_again([99]) is False  # nobody here waits for that one
    for _ in range(early):
        assert waiters.look_again([PENDING.id]) is True  # still pending when looked at
        await asyncio.sleep(0.01)
        assert not task.done()
    storage.joins.rows[PENDING.id] = DECIDED  # the other worker committed it, then told
    assert waiters.look_again([PENDING.id]) is True
    assert await asyncio.wait_for(task, 5.0) == DECIDED
    assert storage.joins.looks == 2 + early


async def test_a_decision_made_here_is_handed_over_without_looking() -> None:
    storage = _Storage()
    waiters, task = await _waiting(storage)
    waiters.decided([DECIDED])
    assert await asyncio.wait_for(task, 5.0) == DECIDED
    assert storage.joins.looks == 1
