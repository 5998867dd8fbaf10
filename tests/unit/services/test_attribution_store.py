"""Storing the engine's decisions (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

from invite_tracker.domain.decisions import Decision
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.settings import DEFAULT_SETTINGS
from invite_tracker.services.attribution_store import store_decisions
from tests.unit.services.fakes import MemoryStorage

NOW = datetime(2026, 12, 8, tzinfo=UTC)


async def test_nothing_is_written_for_a_guild_offboarded_meanwhile() -> None:
    """An attribution turn (in any worker) that ends after the guild was offboarded must not
    put its joins, baseline or invites back: the guild has no settings, so it stops there
    (the joins' store is absent here: touching it would fail the test)."""
    storage = MemoryStorage()
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


class _NoBaseline:
    async def sent_at(self, guild_id: int) -> None:
        return None  # dropped: the guild was enabled again


async def test_nothing_is_written_over_a_baseline_dropped_meanwhile() -> None:
    """The guild was enabled again during the turn: its stored baseline was dropped, and
    the decisions rest on counts from before. None is stored (the joins stay pending, for
    a ledger from a new baseline), and the answer says so."""
    storage = MemoryStorage()
    await storage.uow.settings.create_if_absent(1, DEFAULT_SETTINGS, enabled=True, now=NOW)
    storage.uow.snapshots = _NoBaseline()
    decision = Decision(key=5, join_type=JoinType.INVITE, code="abc", inviter_id=9)
    stored = await store_decisions(
        storage,  # type: ignore[arg-type]
        1,
        [decision],
        baseline=object(),  # type: ignore[arg-type]
        invites=None,
        now=NOW,
        follows=NOW,
    )
    assert (stored.stale, stored.decided, storage.uow.commits) == (True, [], 0)
