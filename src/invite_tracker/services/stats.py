"""Per-inviter statistics, within the retention window."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from invite_tracker.domain.counting import (
    GuildSummary,
    InviteFigures,
    InviterStats,
    LeaderboardPage,
    UseCounts,
    leaderboard,
    page_of,
    retention_cutoff,
    summarise_guild,
    summarise_inviter,
    totals_at,
)
from invite_tracker.services.module import require_enabled
from invite_tracker.services.ports import UnitOfWorkPort

NO_CODE = "unknown"


async def inviter_stats(
    uow: UnitOfWorkPort,
    guild_id: int,
    inviter_id: int,
    *,
    retention_days: int,
    now: datetime,
) -> InviterStats:
    """The inviter's regular joins, leaves, fakes and total, overall and per invite.

    Every invite the inviter created appears, even without joins, with Discord's `uses`.
    """
    await require_enabled(uow, guild_id)
    since = retention_cutoff(now, retention_days)
    joins = await uow.joins.counts_by_code(guild_id, inviter_id, since=since)
    leaves = await uow.leaves.counts_by_code(guild_id, inviter_id, since=since)
    invites = {
        invite.code: invite for invite in await uow.invites.list_for_inviter(guild_id, inviter_id)
    }
    figures = []
    for code in {*joins, *leaves, *invites}:
        regular, fakes = joins.get(code, (0, 0))
        known = invites.get(code) if code is not None else None
        figures.append(
            InviteFigures(
                code=code or NO_CODE,
                counts=UseCounts(regular=regular, leaves=leaves.get(code, 0), fakes=fakes),
                uses=None if known is None else known.uses,
                deleted=known is not None and not known.active,
            )
        )
    return summarise_inviter(inviter_id, figures)


async def inviter_totals(
    uow: UnitOfWorkPort,
    guild_id: int,
    inviter_id: int,
    moments: Collection[datetime],
    *,
    retention_days: int,
    now: datetime,
) -> dict[datetime, int]:
    """The inviter's total (regular - leaves - fakes) as it stood at each of `moments` (not
    empty): the joins and leaves made by then, within the retention window. What join and
    leave messages show. Four queries however many moments: the counts up to the earliest,
    and the few joins and leaves between the earliest and the latest."""
    since = retention_cutoff(now, retention_days)
    first, last = min(moments), max(moments)
    joins = await uow.joins.counts_by_code(guild_id, inviter_id, since=since, until=first)
    leaves = await uow.leaves.counts_by_code(guild_id, inviter_id, since=since, until=first)
    base = UseCounts(
        regular=sum(regular for regular, _ in joins.values()),
        leaves=sum(leaves.values()),
        fakes=sum(fakes for _, fakes in joins.values()),
    )
    later_joins: list[tuple[datetime, bool]] = []
    later_leaves: list[datetime] = []
    if last > first:
        later_joins = await uow.joins.credited_between(
            guild_id, inviter_id, after=first, until=last, since=since
        )
        later_leaves = await uow.leaves.counted_between(
            guild_id, inviter_id, after=first, until=last, since=since
        )
    return totals_at(base, later_joins, later_leaves, moments)


async def leaderboard_page(
    uow: UnitOfWorkPort,
    guild_id: int,
    *,
    limit: int,
    offset: int,
    inviter_id: int | None,
    retention_days: int,
    now: datetime,
) -> LeaderboardPage:
    """The guild's inviters by total, highest first, over what the retention period keeps
    (the figures `inviter_stats` gives each of them): `limit` of them from `offset`."""
    await require_enabled(uow, guild_id)
    since = retention_cutoff(now, retention_days)
    joins = await uow.joins.counts_by_inviter(guild_id, since=since)
    leaves = await uow.leaves.counts_by_inviter(guild_id, since=since)
    return page_of(leaderboard(joins, leaves), limit=limit, offset=offset, inviter_id=inviter_id)


async def guild_summary(
    uow: UnitOfWorkPort, guild_id: int, *, retention_days: int, now: datetime
) -> GuildSummary:
    """How the guild's members came in over what the retention period keeps."""
    await require_enabled(uow, guild_id)
    since = retention_cutoff(now, retention_days)
    joins = await uow.joins.counts_by_type(guild_id, since=since)
    leaves = await uow.leaves.counts(guild_id, since=since)
    return summarise_guild(joins, leaves)
