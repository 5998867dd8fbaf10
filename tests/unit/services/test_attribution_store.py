"""Storing the engine's decisions (no I/O)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from invite_tracker.domain.decisions import Decision
from invite_tracker.domain.invites import JoinType
from invite_tracker.services.attribution_store import store_decisions
from tests.unit.services.fakes import MemoryUnitOfWork

NOW = datetime(2026, 12, 8, tzinfo=UTC)


class _Storage:
    def __init__(self) -> None:
        self.uow = MemoryUnitOfWork()

    @contextlib.asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[MemoryUnitOfWork]:
        yield self.uow


async def test_nothing_is_written_for_a_guild_offboarded_meanwhile() -> None:
    """An attribution turn (in any worker) that ends after the guild was offboarded must not
    put its joins, baseline or invites back: the guild has no settings, so it stops there
    (the joins' store is absent here: touching it would fail the test)."""
    storage = _Storage()
    decision = Decision(key=5, join_type=JoinType.INVITE, code="abc", inviter_id=9)
    stored = await store_decisions(
        storage,  # type: ignore[arg-type]
        1,
        [decision],
        baseline=None,
        invites=None,
        now=NOW,
    )
    assert (stored.decided, stored.held, storage.uow.commits) == ([], 0, 0)
