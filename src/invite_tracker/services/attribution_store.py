"""Storing the engine's decisions: one transaction per batch, with the baseline they used."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from invite_tracker.domain.counting import leave_counts, settle_join
from invite_tracker.domain.cross_check import as_counted, worth_asking
from invite_tracker.domain.decisions import Decision
from invite_tracker.domain.evidence import Ending, Snapshot
from invite_tracker.domain.invites import JoinType, ListedInvites, credited_inviter
from invite_tracker.domain.joins import JoinRecord
from invite_tracker.domain.owed_messages import MESSAGE_LEASE
from invite_tracker.services.invites import apply_endings, apply_invite_list
from invite_tracker.services.ports import Storage, UnitOfWorkPort

ASKING = "; asking Discord's member search"
"""Added to a held join's reason while the member search is asked about it."""


async def store_decisions(
    storage: Storage,
    guild_id: int,
    decisions: Sequence[Decision],
    *,
    baseline: Snapshot | None,
    invites: ListedInvites | None,
    now: datetime,
    hold_ambiguous: bool = False,
    endings: Sequence[Ending] = (),
    follows: datetime | None = None,
) -> StoredDecisions:
    """Apply the counting policy to each decided join and store it, the new baseline (when
    given), the invites last seen and how those that vanished ended, atomically. Joins decided
    meanwhile by someone else are left alone. `hold_ambiguous`: an ambiguous join of a known
    member is held instead, to ask Discord's member search about it (`JoinStore.hold`).
    `follows`: when the baseline the caller last stored or loaded was taken; should it be
    gone (dropped by an enable meanwhile), nothing is stored and the answer says `stale`."""
    async with storage.unit_of_work() as uow:
        # held against an offboarding or an enable until stored: each waits for the other
        settings = await uow.settings.get(guild_id, against_changes=True)
        if settings is None:  # offboarded meanwhile: nothing of the guild is written again
            return StoredDecisions()
        if (
            baseline is not None
            and follows is not None
            and await uow.snapshots.sent_at(guild_id) is None
        ):
            # the baseline this one follows was dropped meanwhile (the guild enabled again):
            # these decisions rest on counts from before, so none is stored
            return StoredDecisions(stale=True)
        prevent_own = settings.values.prevent_own_invite_code
        # Discord names the bot for the invites it made for members: they credit the member
        made_for = await uow.invites.made_for(
            guild_id,
            {d.code for d in decisions if d.join_type is JoinType.INVITE and d.code is not None},
        )
        stored = StoredDecisions()
        for decision in decisions:
            if not isinstance(decision.key, int):
                continue
            join = await uow.joins.get(decision.key)
            if join is None or join.join_type is not JoinType.PENDING:
                continue  # decided meanwhile by someone else
            if hold_ambiguous and worth_asking(decision, join.member_id):
                reason = f"{decision.reason}{ASKING}"
                if await uow.joins.hold(join.id, decision.candidates, reason):
                    stored.held += 1
                continue
            record = await _store_one(
                uow, decision, join, made_for, prevent_own=prevent_own, now=now
            )
            stored.decided.append(record)
        if baseline is not None:
            await uow.snapshots.save(guild_id, baseline)
        if invites is not None:
            await apply_invite_list(uow, guild_id, invites, now=now)
        await apply_endings(uow, guild_id, endings, now=now)
        await uow.commit()
    return stored


@dataclass(slots=True)
class StoredDecisions:
    """What `store_decisions` did: the joins it decided, and how many it held."""

    decided: list[JoinRecord] = field(default_factory=list)
    held: int = 0
    stale: bool = False  # nothing stored: the caller's baseline was dropped meanwhile


async def _store_one(
    uow: UnitOfWorkPort,
    decision: Decision,
    join: JoinRecord,
    made_for: Mapping[str, int],
    *,
    prevent_own: bool,
    now: datetime,
) -> JoinRecord:
    """Decide the pending join: the counting policy applied, its leave followed if it left.
    `made_for`: the invites the bot made for members, {code: member}."""
    credited = join.member_id is not None and await uow.joins.credited_before(
        join.guild_id, join.member_id, exclude_id=join.id
    )
    code = decision.code  # the vanity URL's own code for a vanity join
    inviter_id = decision.inviter_id
    if decision.join_type is JoinType.INVITE and code is not None:
        inviter_id = credited_inviter(inviter_id, made_for.get(code))
    attribution = settle_join(
        join_type=decision.join_type,
        invite_code=code,
        inviter_id=inviter_id,
        candidates=decision.candidates,
        reason=decision.reason,
        member_id=join.member_id,
        previously_credited=credited,
        prevent_own_invite_code=prevent_own,
    )
    # its join message is owed from now on, held by this worker until it is posted
    await uow.joins.decide(join.id, attribution, now=now, message_due=now + MESSAGE_LEASE)
    if join.left_at is not None:
        await uow.leaves.follow_join(
            join.id,
            counted=leave_counts(join_counted=attribution.counted, join_fake=attribution.fake),
            inviter_id=attribution.inviter_id,
            invite_code=attribution.invite_code,
        )
    decided = await uow.joins.get(join.id)
    assert decided is not None  # written in this same transaction
    return decided


async def decide_all_pending(
    storage: Storage, guild_id: int, reason: str, *, now: datetime
) -> list[JoinRecord]:
    """Decide every pending join of the guild, saying why (Discord cannot be read): unknown,
    or ambiguous between its candidates when it was held for the member search."""
    async with storage.reading() as uow:
        joins = await uow.joins.pending(guild_id)
        baseline = await uow.snapshots.load(guild_id)
    decisions = [as_counted(join.id, join.candidates, reason) for join in joins]
    if not decisions:
        return []
    stored = await store_decisions(
        storage,
        guild_id,
        decisions,
        baseline=baseline or Snapshot(now, now),
        invites=None,
        now=now,
    )
    return stored.decided
