"""Leaves on each database: a leave whose event came before its join's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from invite_tracker.db.session import Database
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.joins import NewJoin, NewLeave

GUILD = 2**63 + 11
MEMBER = 2**63 + 12
T0 = datetime(2026, 11, 30, 12, tzinfo=UTC)
S = timedelta(seconds=1)


async def test_a_join_claims_the_earliest_unclaimed_leave_not_before_it(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        earlier = await uow.joins.add(NewJoin(GUILD, MEMBER, T0 - 60 * S, JoinType.UNKNOWN), now=T0)
        await uow.joins.mark_left(earlier, T0 - 50 * S)
        # an earlier membership's leave, tied to its join; leaves stored with no join yet:
        # one before the new join (a membership never reported), two after it, one elsewhere
        await uow.leaves.add(NewLeave(GUILD, MEMBER, T0 - 50 * S, join_id=earlier), now=T0)
        await uow.leaves.add(NewLeave(GUILD, MEMBER, T0 - 5 * S), now=T0)
        await uow.leaves.add(NewLeave(GUILD, MEMBER, T0 + 9 * S), now=T0)
        await uow.leaves.add(NewLeave(GUILD, MEMBER, T0 + 2 * S), now=T0)
        await uow.leaves.add(NewLeave(GUILD + 1, MEMBER, T0 + 1 * S), now=T0)
        join = await uow.joins.add(NewJoin(GUILD, MEMBER, T0, JoinType.PENDING), now=T0)
        claimed = await uow.leaves.claim_early(GUILD, MEMBER, T0, join)
        assert claimed is not None
        await uow.joins.mark_left(join, claimed)
        other = await uow.joins.add(NewJoin(GUILD, MEMBER + 1, T0, JoinType.PENDING), now=T0)
        nothing = await uow.leaves.claim_early(GUILD, MEMBER + 1, T0, other)
        await uow.commit()
    assert (claimed, nothing) == (T0 + 2 * S, None)
    async with database.unit_of_work() as uow:
        # claimed once: the next join of the member takes the next leave
        later = await uow.joins.add(NewJoin(GUILD, MEMBER, T0 + 3 * S, JoinType.UNKNOWN), now=T0)
        assert await uow.leaves.claim_early(GUILD, MEMBER, T0 + 3 * S, later) == T0 + 9 * S
        assert await uow.leaves.claim_early(GUILD, MEMBER, T0 + 3 * S, later + 1) is None
        await uow.rollback()


async def test_an_ended_membership_is_stored_beside_the_present_one(database: Database) -> None:
    """A join stored as ended does not take the member's place: the present join stays the
    member's, and the earlier one claims only a leave before the present join began."""
    async with database.unit_of_work() as uow:
        present = await uow.joins.add(NewJoin(GUILD, MEMBER, T0, JoinType.PENDING), now=T0)
        await uow.leaves.add(NewLeave(GUILD, MEMBER, T0 + 5 * S), now=T0)  # not the earlier's
        earlier = await uow.joins.add(
            NewJoin(GUILD, MEMBER, T0 - 9 * S, JoinType.PENDING), now=T0, left_at=T0
        )
        none_before = await uow.leaves.claim_early(GUILD, MEMBER, T0 - 9 * S, earlier, until=T0)
        await uow.leaves.add(NewLeave(GUILD, MEMBER, T0 - 4 * S), now=T0)
        claimed = await uow.leaves.claim_early(GUILD, MEMBER, T0 - 9 * S, earlier, until=T0)
        found = await uow.joins.present(GUILD, MEMBER)
        stored = await uow.joins.get(earlier)
        await uow.rollback()
    assert (none_before, claimed) == (None, T0 - 4 * S)
    assert found is not None
    assert found.id == present
    assert stored is not None
    assert stored.left_at == T0
