"""Retention: join and leave records older than the configured period are purged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from invite_tracker.domain.counting import retention_cutoff
from invite_tracker.services.ports import UnitOfWorkPort


@dataclass(frozen=True, slots=True)
class Purged:
    """How many records one purge removed."""

    joins: int = 0
    leaves: int = 0


async def purge_expired(uow: UnitOfWorkPort, *, retention_days: int, now: datetime) -> Purged:
    """Delete joins and leaves older than the retention period (nothing when it is 0)."""
    cutoff = retention_cutoff(now, retention_days)
    if cutoff is None:
        return Purged()
    leaves = await uow.leaves.purge_before(cutoff)
    joins = await uow.joins.purge_before(cutoff)
    return Purged(joins=joins, leaves=leaves)
