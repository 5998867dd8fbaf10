"""Members' privacy requests: what the module holds about a member, and forgetting it."""

from __future__ import annotations

from invite_tracker.domain.joins import MemberReferences
from invite_tracker.services.ports import UnitOfWorkPort


async def member_references(uow: UnitOfWorkPort, guild_id: int, member_id: int) -> MemberReferences:
    """Count every reference to the member in the guild: as joiner, inviter and invite creator."""
    return MemberReferences(
        joins_as_member=await uow.joins.count_as_member(guild_id, member_id),
        leaves_as_member=await uow.leaves.count_as_member(guild_id, member_id),
        joins_as_inviter=await uow.joins.count_as_inviter(guild_id, member_id),
        leaves_as_inviter=await uow.leaves.count_as_inviter(guild_id, member_id),
        invites_created=await uow.invites.count_created_by(guild_id, member_id),
    )


async def forget_member(uow: UnitOfWorkPort, guild_id: int, member_id: int) -> MemberReferences:
    """Delete the member's own joins and leaves, and erase them as inviter and invite creator.

    Other members' joins stay (they are those members' records) but no longer name this
    member, and neither does the attribution baseline (a copy of the invites last read, so not
    counted apart). Invites the member still has on Discord name them again when next read:
    that is Discord's data, read anew. Returns what was removed or erased.
    """
    await uow.snapshots.forget_inviter(guild_id, member_id)
    return MemberReferences(
        leaves_as_member=await uow.leaves.delete_as_member(guild_id, member_id),
        joins_as_member=await uow.joins.delete_as_member(guild_id, member_id),
        joins_as_inviter=await uow.joins.forget_inviter(guild_id, member_id),
        leaves_as_inviter=await uow.leaves.forget_inviter(guild_id, member_id),
        invites_created=await uow.invites.forget_creator(guild_id, member_id),
    )
