"""Storing the engine's decisions: one transaction per batch, with the baseline they used."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from invite_tracker.domain.counting import leave_counts, settle_join
from invite_tracker.domain.evidence import Snapshot
from invite_tracker.domain.invites import InviteReport, JoinType
from invite_tracker.domain.joins import JoinRecord
from invite_tracker.domain.ledger import Decision
from invite_tracker.services.invites import apply_invite_list
from invite_tracker.services.ports import Storage, UnitOfWorkPort


async def store_decisions(
    storage: Storage,
    guild_id: int,
    decisions: Sequence[Decision],
    *,
    baseline: Snapshot,
    vanity_code: str | None,
    invites: Sequence[InviteReport] | None,
    now: datetime,
) -> list[JoinRecord]:
    """Apply the counting policy to each decided join and store it, the new baseline and the
    invites last seen, atomically. Joins decided meanwhile by someone else are left alone."""
    async with storage.unit_of_work() as uow:
        settings = await uow.settings.get(guild_id)
        prevent_own = settings is not None and settings.values.prevent_own_invite_code
        stored = []
        for decision in decisions:
            if not isinstance(decision.key, int):
                continue
            record = await _store_one(uow, decision, decision.key, vanity_code, prevent_own, now)
            if record is not None:
                stored.append(record)
        await uow.snapshots.save(guild_id, baseline, vanity_code)
        if invites is not None:
            await apply_invite_list(uow, guild_id, invites, now=now)
        await uow.commit()
    return stored


async def _store_one(
    uow: UnitOfWorkPort,
    decision: Decision,
    join_id: int,
    vanity_code: str | None,
    prevent_own: bool,
    now: datetime,
) -> JoinRecord | None:
    join = await uow.joins.get(join_id)
    if join is None or join.join_type is not JoinType.PENDING:
        return None
    credited = join.member_id is not None and await uow.joins.credited_before(
        join.guild_id, join.member_id, exclude_id=join.id
    )
    code = vanity_code if decision.join_type is JoinType.VANITY else decision.code
    attribution = settle_join(
        join_type=decision.join_type,
        invite_code=code,
        inviter_id=decision.inviter_id,
        candidates=decision.candidates,
        reason=decision.reason,
        member_id=join.member_id,
        previously_credited=credited,
        prevent_own_invite_code=prevent_own,
    )
    await uow.joins.decide(join.id, attribution, now=now)
    if join.left_at is not None:
        await uow.leaves.follow_join(
            join.id,
            counted=leave_counts(join_counted=attribution.counted, join_fake=attribution.fake),
            inviter_id=attribution.inviter_id,
            invite_code=attribution.invite_code,
        )
    return await uow.joins.get(join.id)


async def decide_all_unknown(
    storage: Storage, guild_id: int, reason: str, *, now: datetime
) -> list[JoinRecord]:
    """Decide every pending join of the guild as unknown, saying why (Discord cannot be read)."""
    async with storage.reading() as uow:
        joins = await uow.joins.pending(guild_id)
        loaded = await uow.snapshots.load(guild_id)
    decisions = [Decision(join.id, JoinType.UNKNOWN, reason=reason) for join in joins]
    if not decisions:
        return []
    return await store_decisions(
        storage,
        guild_id,
        decisions,
        baseline=loaded[0] if loaded else Snapshot(now, now),
        vanity_code=loaded[1] if loaded else None,
        invites=None,
        now=now,
    )
