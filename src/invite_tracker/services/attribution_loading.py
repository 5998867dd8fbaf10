"""What the engine reads from storage for a guild's ledger: its baseline, the joins waiting, and
the invites reported by events since its last snapshot (possibly to another worker)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from invite_tracker.domain.ledger import Ledger
from invite_tracker.services.attribution_pacing import (
    EngineConfig,
    GuildAttribution,
    delivery_margin,
)
from invite_tracker.services.invites import apply_invite_list
from invite_tracker.services.ports import Storage

if TYPE_CHECKING:  # it loads invite news from here
    from invite_tracker.services.attribution_reads import InviteReader


async def start_ledger(
    storage: Storage,
    attributor: GuildAttribution,
    reader: InviteReader,
    config: EngineConfig,
    *,
    clock: Callable[[], datetime],
) -> Ledger:
    """The stored baseline, or a first snapshot taken now (joins before it are unknown)."""
    async with storage.reading() as uow:
        loaded = await uow.snapshots.load(attributor.guild_id)  # with the vanity code it saw
    if loaded is not None:
        baseline = loaded
        attributor.vanity_code = baseline.vanity_code
        attributor.vanity_read = None  # its next read asks again: the code may be newer
    else:
        baseline = await reader.snapshot(attributor, None)
        async with storage.unit_of_work() as uow:
            await uow.snapshots.save(attributor.guild_id, baseline)
            # the invites as first read too, so an invite-delete event before the first
            # decision finds the invite it names (its creator, its limit), not an unknown code
            if attributor.reports is not None:
                await apply_invite_list(uow, attributor.guild_id, attributor.reports, now=clock())
            await uow.commit()
        attributor.reports = None
    attributor.stored_baseline = baseline.sent_at
    attributor.ledger = Ledger(baseline, margin=timedelta(seconds=config.delivery_margin))
    return attributor.ledger


async def drop_stale_ledger(storage: Storage, attributor: GuildAttribution) -> None:
    """Forget the in-memory ledger if another worker stored a baseline since this process
    last did (it owned the guild meanwhile); the stored baseline is then the one to resume
    from. The in-memory baseline may be later than the stored one: windows without joins move
    it on without storing it, and their reads still cut time for join events yet to come."""
    if attributor.ledger is None:
        return
    async with storage.reading() as uow:
        stored = await uow.snapshots.sent_at(attributor.guild_id)
    if stored is None or stored != attributor.stored_baseline:
        attributor.ledger = None


async def load_joins(
    storage: Storage,
    attributor: GuildAttribution,
    ledger: Ledger,
    config: EngineConfig,
    *,
    clock: Callable[[], datetime],
) -> datetime:
    """Bring in the pending joins the ledger does not hold yet (stored by this worker or
    another); returns the time up to which the ledger now knows every join stored (in this
    process: a join still being stored is not known, so it is the earliest of those; on
    PostgreSQL, those of other workers are waited for)."""
    async with storage.reading() as uow:
        # Joins other workers are storing now are waited for (PostgreSQL): once they are
        # committed, every join event stored before this moment is seen.
        await uow.joins.wait_for_storing(attributor.guild_id)
        known_at = min([clock(), *attributor.storing])
        # By id, not "after the last id seen": two joins stored at once can commit out of id
        # order (PostgreSQL), and the lower id would be skipped for good.
        ids = await uow.joins.pending_ids(attributor.guild_id)
        new = [join_id for join_id in ids if not ledger.waits_for(join_id)]
        joins = await uow.joins.pending(attributor.guild_id, only=new) if new else []
    for join in joins:
        ledger.add_join(join.id, join.joined_at)
        delay = (join.recorded_at - join.joined_at).total_seconds()
        attributor.delays.append((join.recorded_at, delay))
    if joins:
        attributor.credit += config.reads_per_join * len(joins)
        attributor.joins_loaded.extend([time.monotonic()] * len(joins))
        margin = delivery_margin(config.delivery_margin, attributor.delays, clock())
        ledger.margin = timedelta(seconds=margin)
    return known_at


async def load_invite_news(
    storage: Storage, guild_id: int, ledger: Ledger, *, until: datetime
) -> None:
    """Tell the ledger of the invites events reported changed since its latest snapshot was
    sent (possibly to another worker): created, or deleted by our staff. Runs while the next
    read, sent at `until`, is on its way (`Ledger.invite_news`)."""
    async with storage.reading() as uow:
        news = await uow.invites.changed_since(guild_id, ledger.latest.sent_at)
    ledger.invite_news(news, until=until)
