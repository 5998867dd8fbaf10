"""General: the module's home route (no API key needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from invite_tracker import __version__
from invite_tracker.api.envelope import ok
from invite_tracker.api.routing import EnvelopeRoute, documented
from invite_tracker.api.schemas import HomeRead

router = APIRouter(route_class=EnvelopeRoute, tags=["General"])


@router.get("/", **documented(HomeRead, public=True), summary="Home of the invite tracker API")
async def home() -> dict[str, Any]:
    """Says that this is the Modules Invite Tracker API route."""
    return ok(
        HomeRead(
            message="Welcome to the Husqy Modules Invite Tracker API route!", version=__version__
        )
    )


router.add_api_route("", home, methods=["GET"], include_in_schema=False)
