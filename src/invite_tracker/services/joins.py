"""Join and leave checks: store the event durably, then attribute it (or tie it to its join)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from invite_tracker.domain.counting import leave_counts
from invite_tracker.domain.errors import Unprocessable
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.joins import (
    Ended,
    JoinRecord,
    LeaveOf,
    Membership,
    NewJoin,
    NewLeave,
    leave_of,
    membership_of,
)
from invite_tracker.domain.owed_messages import MESSAGE_LEASE
from invite_tracker.services.attribution import AttributionEngine
from invite_tracker.services.module import require_enabled
from invite_tracker.services.ports import Storage, UnitOfWorkPort


@dataclass(frozen=True, slots=True)
class JoinOutcome:
    """A join as stored (final, or still pending), and whether this event repeated one."""

    join: JoinRecord
    repeated: bool


@dataclass(frozen=True, slots=True)
class LeaveOutcome:
    """What a leave was tied to, and whether it counts against the inviter."""

    member_id: int | None
    join: JoinRecord | None
    counted: bool
    repeated: bool
    reason: str
    leave_id: int | None = None  # the leave stored, whose leave message is owed


async def record_join(
    storage: Storage,
    engine: AttributionEngine,
    *,
    guild_id: int,
    member_id: int | None,
    joined_at: datetime | None,
    is_bot: bool,
    wait_seconds: float,
    now: datetime,
) -> JoinOutcome:
    """Store the join, then wait up to `wait_seconds` for its attribution.

    `joined_at` is the reporter's (Discord's) time of the join; without it, the join is
    taken to have happened as it arrived. A member-add repeated for a member still present
    returns the stored join: it counts once. So does one delivered again after the member
    left (a gateway resume replays events): it carries the time of a join already stored.
    One earlier than the member's present join is an earlier membership whose event came
    late, and is stored as such. Bots join through OAuth, not invites: they are settled at
    once and credit no one.
    """
    reported = joined_at is not None
    joined_at = now if joined_at is None else joined_at
    _not_in_future("joined_at", joined_at, now)
    if is_bot:
        join = NewJoin(
            guild_id=guild_id,
            member_id=member_id,
            joined_at=joined_at,
            join_type=JoinType.BOT,
            is_bot=True,
            reason="bots are added through OAuth, not invites; they credit no one",
            attributed_at=now,
            message_due_at=now + MESSAGE_LEASE,
        )
    else:
        join = NewJoin(
            guild_id=guild_id, member_id=member_id, joined_at=joined_at, join_type=JoinType.PENDING
        )
    with engine.storing(guild_id, now):
        async with storage.unit_of_work() as uow:
            if not is_bot:  # the guild's attributor, in any worker, waits for it to commit
                await uow.joins.storing_for(guild_id)
            await require_enabled(uow, guild_id, shared_lock=True)
            if not is_bot:
                # the read it calls for need not wait for the rest (a repeated member-add, of
                # a join read already, calls for none)
                engine.join_heard(guild_id, joined_at)
            if member_id is not None:  # the member's events, one at a time (PostgreSQL)
                await uow.joins.lock_member(guild_id, member_id)
            record, created = await _store(uow, join, now, reported=reported)
            await uow.commit()
    if created and record.join_type is JoinType.BOT:
        engine.announce(guild_id, [record])
    if record.join_type is JoinType.PENDING:
        engine.notify(guild_id)
        decided = await engine.wait_for(record.id, wait_seconds, guild_id=guild_id)
        record = decided or record
    return JoinOutcome(join=record, repeated=not created)


async def record_leave(
    storage: Storage,
    engine: AttributionEngine,
    *,
    guild_id: int,
    member_id: int | None,
    left_at: datetime | None,
    now: datetime,
) -> LeaveOutcome:
    """Tie the leave to the member's present join; the inviter's stats follow.

    `left_at` is the reporter's time of the leave (Discord's event carries none: the time it
    was received, the same in every retry); without it, the leave is taken to have happened
    as it arrived (see `leave_of`)."""
    reported = left_at is not None
    left_at = now if left_at is None else left_at
    _not_in_future("left_at", left_at, now)
    async with storage.unit_of_work() as uow:
        await require_enabled(uow, guild_id, shared_lock=True)
        if member_id is None:
            return LeaveOutcome(None, None, False, False, "no member_id: nothing to attribute")
        await uow.joins.lock_member(guild_id, member_id)  # its join may be being stored
        outcome = await _leave(uow, guild_id, member_id, left_at, now, reported=reported)
        await uow.commit()
    if outcome.leave_id is not None and outcome.member_id is not None:
        join, decided = outcome.join, None
        if join is not None and join.join_type is JoinType.PENDING:
            # the leave message names the inviter once the join is credited (in any worker)
            decided = functools.partial(
                engine.wait_for, join.id, LEAVE_MESSAGE_WAIT_SECONDS, guild_id=guild_id
            )
        engine.announcer.member_left(
            guild_id, outcome.member_id, join, decided, leave_id=outcome.leave_id, left_at=left_at
        )
    return outcome


CLOCK_SKEW = timedelta(minutes=1)
LEAVE_MESSAGE_WAIT_SECONDS = 15.0
"""How long the leave message of a member whose join is still pending waits for the join's
attribution, to name the inviter; after that it is sent without."""
REPLAYED = timedelta(milliseconds=1)
"""A member-add this close to the time of a stored join of the member's is that join again
(Discord's `joined_at` is the same in every delivery; a new membership needs a leave first)."""


async def _store(
    uow: UnitOfWorkPort, join: NewJoin, now: datetime, *, reported: bool
) -> tuple[JoinRecord, bool]:
    """Store the join unless it is one already stored; (the join, whether it is new).

    `reported`: the join's time is the reporter's `joined_at`, not the time it arrived. A
    member-add delivered again after the member left carries the time of a join already
    stored, and is that join. Otherwise the member's present join decides (`membership_of`):
    a rejoin ends the present membership there (its invite use must not be left for someone
    else's join); an earlier membership is stored as ended."""
    member_id = join.member_id
    if member_id is None:
        return await uow.joins.add_if_absent(join, now=now)
    if reported:
        replayed = await uow.joins.joined_at(join.guild_id, member_id, join.joined_at, REPLAYED)
        if replayed is not None and replayed.left_at is not None:
            return replayed, False
    present = await uow.joins.present(join.guild_id, member_id)
    place = membership_of(
        join.joined_at if reported else None, None if present is None else present.joined_at
    )
    if present is not None and place is Membership.REPEATED:
        return present, False
    if present is not None and place is Membership.EARLIER:
        return await _add_earlier_membership(uow, join, present, now), True
    if present is not None and place is Membership.LATER:
        await _end_membership(uow, present, left_at=join.joined_at, now=now)
    record, created = await uow.joins.add_if_absent(join, now=now)
    if created:
        record = await _follow_early_leave(uow, record)
    return record, created


async def _follow_early_leave(uow: UnitOfWorkPort, join: JoinRecord) -> JoinRecord:
    """Gateway events can come out of order: the member's leave may have come before this
    join. It was stored without a join; now it ends this one (and counts against its
    inviter once the join is decided, `attribution_store`), or the member would seem present
    and their inviter credited for good."""
    assert join.member_id is not None
    left_at = await uow.leaves.claim_early(join.guild_id, join.member_id, join.joined_at, join.id)
    if left_at is None:
        return join
    await uow.joins.mark_left(join.id, left_at)
    return replace(join, left_at=left_at)


async def _add_earlier_membership(
    uow: UnitOfWorkPort, join: NewJoin, present: JoinRecord, now: datetime
) -> JoinRecord:
    """A member-add earlier than the member's present join is a membership before it, whose
    event came late (a reporter retrying a failed request): not a repeat, since a repeat
    carries the same time. It ended before the present one began: with the leave stored
    without a join if that leave came first, else when the present one began."""
    assert join.member_id is not None
    join_id = await uow.joins.add(join, now=now, left_at=present.joined_at)
    left_at = await uow.leaves.claim_early(
        join.guild_id, join.member_id, join.joined_at, join_id, until=present.joined_at
    )
    record = await uow.joins.get(join_id)
    assert record is not None
    if left_at is None:
        await _end_membership(uow, record, left_at=present.joined_at, now=now)
        return record
    await uow.joins.mark_left(join_id, left_at)
    return replace(record, left_at=left_at)


async def _end_membership(
    uow: UnitOfWorkPort,
    join: JoinRecord,
    *,
    left_at: datetime,
    now: datetime,
    message_due: datetime | None = None,
) -> tuple[bool, int]:
    """Close the join and store its leave: (whether the leave counts against the inviter,
    the leave's id). `message_due`: its leave message is owed, taken until then."""
    pending = join.join_type is JoinType.PENDING
    counted = not pending and leave_counts(join_counted=join.counted, join_fake=join.fake)
    await uow.joins.mark_left(join.id, left_at)
    leave_id = await uow.leaves.add(
        NewLeave(
            guild_id=join.guild_id,
            member_id=join.member_id,
            left_at=left_at,
            join_id=join.id,
            inviter_id=join.inviter_id,
            invite_code=join.invite_code,
            counted=counted,
            message_due_at=message_due,
        ),
        now=now,
    )
    return counted, leave_id


def _not_in_future(name: str, when: datetime, now: datetime) -> None:
    """An event time more than a minute ahead of ours cannot be placed among the reads."""
    if when > now + CLOCK_SKEW:
        raise Unprocessable(f"{name} is in the future")


async def _leave(
    uow: UnitOfWorkPort,
    guild_id: int,
    member_id: int,
    left_at: datetime,
    now: datetime,
    *,
    reported: bool,
) -> LeaveOutcome:
    message_due = now + MESSAGE_LEASE
    # locked: a leave event told twice at once ends the membership once, the other repeats
    join = await uow.joins.present(guild_id, member_id, locked=True)
    present = None if join is None else join.joined_at
    place = leave_of(left_at, reported=reported, present=present, ended=None)
    before = None
    around = None
    if place is not LeaveOf.PRESENT:  # the member's history, read only when it is needed
        before = around = await uow.joins.latest_ended(guild_id, member_id)
        if before is not None and left_at < before.joined_at:
            # older than the last membership: the one it falls in, if it is a leave told again
            around = await uow.joins.latest_ended(guild_id, member_id, by=left_at)
        ended = None
        if around is not None and around.left_at is not None:
            ended = Ended(around.joined_at, around.left_at)
        kept = await uow.leaves.latest_unclaimed(guild_id, member_id)
        place = leave_of(left_at, reported=reported, present=present, ended=ended, kept=kept)
    if place is LeaveOf.REPEATED:
        return LeaveOutcome(member_id, around, False, True, "this member already left")
    if place is LeaveOf.KEPT_ALREADY:
        return LeaveOutcome(
            member_id, None, False, True, "this leave is kept already, until its join comes"
        )
    if place is LeaveOf.CLOSED_BY_REJOIN:
        assert around is not None
        await uow.joins.mark_left(around.id, left_at)
        await uow.leaves.retime(around.id, left_at)
        return LeaveOutcome(
            member_id,
            await uow.joins.get(around.id),
            False,
            True,  # its end was counted when the rejoin came: it counts once
            "this leave ended an earlier membership, which the member's rejoin (told first) "
            "had ended and counted already: it now ends when this leave says",
        )
    if place is LeaveOf.EARLY:
        return await _early_leave(uow, guild_id, member_id, left_at, now, latest=join or before)
    assert join is not None
    pending = join.join_type is JoinType.PENDING
    counted, leave_id = await _end_membership(
        uow, join, left_at=left_at, now=now, message_due=message_due
    )
    if pending:
        reason = "tied to a join still being attributed; counts once it is decided"
    elif counted:
        reason = "counts against the inviter of the member's join"
    else:
        reason = "the member's join credited no one (or was fake): nothing to subtract"
    left = await uow.joins.get(join.id)
    return LeaveOutcome(member_id, left, counted, False, reason, leave_id)


async def _early_leave(
    uow: UnitOfWorkPort,
    guild_id: int,
    member_id: int,
    left_at: datetime,
    now: datetime,
    *,
    latest: JoinRecord | None,
) -> LeaveOutcome:
    """Keep a leave whose join is not known: its join event may come later (events can
    arrive out of order) and is then ended by it (`_follow_early_leave`). Its leave message
    is owed from now on (held by this worker until posted) when it is the member's latest
    news; a leave dated before a join known of the member is old news, and gets none."""
    latest_news = latest is None or latest.joined_at <= left_at
    leave = NewLeave(
        guild_id=guild_id,
        member_id=member_id,
        left_at=left_at,
        message_due_at=now + MESSAGE_LEASE if latest_news else None,
    )
    leave_id = await uow.leaves.add(leave, now=now)
    if latest is None:
        reason = "no join of this member is known"
    elif latest_news:
        reason = (
            "after the member's last leave: the leave of a rejoin whose join event has not "
            "come; it ends that join when it comes"
        )
    else:
        reason = (
            "before the member's latest join, and no join of theirs it ends is known: kept, "
            "it ends that earlier join if its event comes"
        )
    return LeaveOutcome(member_id, None, False, False, reason, leave_id if latest_news else None)


async def join_log(
    storage: Storage,
    guild_id: int,
    *,
    member_id: int | None,
    inviter_id: int | None,
    invite_code: str | None,
    before_id: int | None,
    limit: int,
) -> list[JoinRecord]:
    """The guild's joins with their attribution, newest first."""
    async with storage.reading() as uow:
        await require_enabled(uow, guild_id)
        return await uow.joins.log(
            guild_id,
            member_id=member_id,
            inviter_id=inviter_id,
            invite_code=invite_code,
            before_id=before_id,
            limit=limit,
        )
