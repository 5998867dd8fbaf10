"""Stats: an inviter's figures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel

from invite_tracker.api.deps import State, Uow, fields
from invite_tracker.api.envelope import ok
from invite_tracker.api.fields import Snowflake
from invite_tracker.api.routing import EnvelopeRoute, documented
from invite_tracker.api.schemas import StatsRead
from invite_tracker.clock import utcnow
from invite_tracker.domain.errors import BadRequest, ModuleDisabled, SettingsMissing
from invite_tracker.services import stats

router = APIRouter(route_class=EnvelopeRoute, tags=["Stats"])


class UsesIn(BaseModel):
    guild_id: Snowflake
    inviter_id: Snowflake


@router.post("/stats/uses", **documented(StatsRead, BadRequest, SettingsMissing, ModuleDisabled))
async def uses(query: Annotated[UsesIn, fields(UsesIn)], uow: Uow, state: State) -> dict[str, Any]:
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
