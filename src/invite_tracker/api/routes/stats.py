"""Stats: an inviter's figures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel

from invite_tracker.api.deps import Reading, State, fields
from invite_tracker.api.envelope import ok
from invite_tracker.api.fields import Snowflake, Within
from invite_tracker.api.routing import EnvelopeRoute, documented
from invite_tracker.api.schemas import LeaderboardRead, StatsRead, SummaryRead
from invite_tracker.clock import utcnow
from invite_tracker.domain.errors import BadRequest, ModuleDisabled, SettingsMissing, Unprocessable
from invite_tracker.services import stats

router = APIRouter(route_class=EnvelopeRoute, tags=["Stats"])
MAX_PAGE = 100


class UsesIn(BaseModel):
    guild_id: Snowflake
    inviter_id: Snowflake


@router.post("/stats/uses", **documented(StatsRead, BadRequest, SettingsMissing, ModuleDisabled))
async def uses(
    query: Annotated[UsesIn, fields(UsesIn)], uow: Reading, state: State
) -> dict[str, Any]:
    """An inviter's total (regular - leaves - fakes), regular joins, leaves and fakes, overall
    and per invite, counting only what the retention period keeps. Fields come from the query
    string (as Husqy documents) or a JSON body."""
    retention = state.settings.retention_days
    figures = await stats.inviter_stats(
        uow, query.guild_id, query.inviter_id, retention_days=retention, now=utcnow()
    )
    return ok(StatsRead.of_stats(query.guild_id, figures, retention))


router.add_api_route(
    "/stats/uses",
    uses,
    methods=["GET"],
    summary="Uses (GET alias)",
    **documented(StatsRead, BadRequest, SettingsMissing, ModuleDisabled),
)


class LeaderboardIn(BaseModel):
    guild_id: Snowflake
    limit: Annotated[int, Within(1, MAX_PAGE)] = 10
    offset: Annotated[int, Within(0)] = 0
    inviter_id: Snowflake | None = None


@router.get(
    "/leaderboard",
    **documented(LeaderboardRead, BadRequest, Unprocessable, SettingsMissing, ModuleDisabled),
)
async def leaderboard(
    query: Annotated[LeaderboardIn, fields(LeaderboardIn)], uow: Reading, state: State
) -> dict[str, Any]:
    """(extension) The guild's inviters ranked by total (regular - leaves - fakes), highest
    first, with the figures `stats/uses` gives each; equal totals share a rank. Counts only
    what the retention period keeps. Page with `limit` (1..100, default 10) and `offset`;
    with `inviter_id`, `inviter` is that inviter's own entry, wherever it is ranked."""
    retention = state.settings.retention_days
    page = await stats.leaderboard_page(
        uow,
        query.guild_id,
        limit=query.limit,
        offset=query.offset,
        inviter_id=query.inviter_id,
        retention_days=retention,
        now=utcnow(),
    )
    return ok(LeaderboardRead.of_page(query.guild_id, page, retention))


class SummaryIn(BaseModel):
    guild_id: Snowflake


@router.get(
    "/stats/summary", **documented(SummaryRead, BadRequest, SettingsMissing, ModuleDisabled)
)
async def summary(
    query: Annotated[SummaryIn, fields(SummaryIn)], uow: Reading, state: State
) -> dict[str, Any]:
    """(extension) How the guild's members came in over the retention period: joins by how
    the evidence settled them (what it could not tell included), credited joins, fakes and
    leaves."""
    retention = state.settings.retention_days
    found = await stats.guild_summary(uow, query.guild_id, retention_days=retention, now=utcnow())
    return ok(SummaryRead.of_summary(query.guild_id, found, retention))
