"""Control API handlers for the dials: faults, rate limits, statistics and the clock."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from invite_tracker.testing.fake_discord.errors import ControlError
from invite_tracker.testing.fake_discord.faults import Fault

if TYPE_CHECKING:
    from invite_tracker.testing.fake_discord.fake import FakeDiscord

JSONObject = dict[str, Any]


async def faults(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """GET lists, POST adds ({kind, route?, count?, ...}), DELETE clears (all or /{id})."""
    if request.method == "POST":
        return fake.add_fault(Fault.from_json(body)).as_json()
    if request.method == "DELETE":
        fault_id = request.match_info.get("fault_id")
        return {"cleared": fake.clear_faults(int(fault_id) if fault_id else None)}
    return [fault.as_json() for fault in fake.faults()]


async def rate_limits(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """GET shows; PUT {profile?, routes?: {key: {limit, per} | null}, global?, reset_windows?}."""
    if request.method == "PUT":
        if "profile" in body:
            fake.use_rate_limit_profile(str(body["profile"]))
        for route, limit in (body.get("routes") or {}).items():
            if limit is None:
                fake.set_route_limit(route, None)
            else:
                fake.set_route_limit(route, int(limit["limit"]), float(limit.get("per", 1.0)))
        if "global" in body:
            limit = body["global"]
            fake.set_global_limit(
                None if limit is None else int(limit["limit"]),
                1.0 if limit is None else float(limit.get("per", 1.0)),
            )
        if body.get("reset_windows"):
            fake.reset_rate_limit_windows()
    return fake.rate_limits()


async def stats(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """GET the counters; DELETE zeroes them."""
    if request.method == "DELETE":
        fake.reset_stats()
    return fake.stats.as_json()


async def clock(fake: FakeDiscord, request: web.Request, body: JSONObject) -> object:
    """GET the time; POST {advance: seconds} | {set: ISO 8601, freeze?: bool} | {resume: true}."""
    if request.method == "POST":
        if "advance" in body:
            await fake.advance_clock(float(body["advance"]))
        elif "set" in body:
            await fake.set_clock(
                datetime.fromisoformat(body["set"]), freeze=bool(body.get("freeze", True))
            )
        elif body.get("resume"):
            await fake.resume_clock()
        else:
            raise ControlError(400, "give advance, set or resume")
    return {"now": fake.now().isoformat(), "frozen": fake.clock.frozen}
