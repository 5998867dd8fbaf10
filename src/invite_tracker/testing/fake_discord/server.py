"""The aiohttp application: Discord's routes under /api/v10 behind faults, auth and rate limits."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from invite_tracker.testing.fake_discord import control, errors, handlers, member_search, webhooks
from invite_tracker.testing.fake_discord.context import CONTEXT, FakeContext
from invite_tracker.testing.fake_discord.errors import ControlError, DiscordError
from invite_tracker.testing.fake_discord.faults import Fault, FaultKind
from invite_tracker.testing.fake_discord.ratelimit import retry_after_header
from invite_tracker.testing.fake_discord.responses import error_response, json_response
from invite_tracker.testing.fake_discord.routing import API_PREFIX, ROUTES, Auth, RouteSpec
from invite_tracker.testing.fake_discord.stats import RecordedRequest

if TYPE_CHECKING:
    from invite_tracker.testing.fake_discord.fake import FakeDiscord

_LOGGER = logging.getLogger(__name__)
_SPEC = web.AppKey("fake_discord_routes", dict[str, RouteSpec])
_RATE_LIMITED_MESSAGE = "You are being rate limited."


def _spec_for(request: web.Request) -> RouteSpec | None:
    resource = request.match_info.route.resource
    if resource is None or request.match_info.http_exception is not None:
        return None
    path = resource.canonical.removeprefix(API_PREFIX)
    return request.app[_SPEC].get(f"{request.method} {path}")


def _drop(request: web.Request) -> web.StreamResponse:
    """Close the socket without answering (the response returned is never written)."""
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=204)


def _token_key(request: web.Request) -> str:
    auth = request.headers.get("Authorization", "")
    return hashlib.blake2b(auth.encode(), digest_size=8).hexdigest() if auth else "anonymous"


async def _fault_response(
    request: web.Request, ctx: FakeContext, spec: RouteSpec, fault: Fault
) -> web.StreamResponse:
    if fault.kind is FaultKind.ERROR:
        return error_response(errors.server_error(fault.status))
    if fault.kind is FaultKind.TIMEOUT:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ctx.stopping.wait(), fault.hold)
        return error_response(errors.server_error(504))
    if fault.kind is FaultKind.DROP:
        return _drop(request)
    is_global = fault.scope == "global"
    body = {
        "message": _RATE_LIMITED_MESSAGE,
        "retry_after": fault.retry_after,
        "global": is_global,
        "code": 0,
    }
    response = json_response(body, status=429)
    if spec.rate_limited:
        peek = ctx.limiter.peek_headers(
            spec.key, spec.major_value(request.match_info), _token_key(request)
        )
        response.headers.update(peek)
    response.headers["X-RateLimit-Scope"] = fault.scope
    response.headers.update(retry_after_header(fault.retry_after))
    if is_global:
        response.headers["X-RateLimit-Global"] = "true"
    return response


async def _answer(request: web.Request, ctx: FakeContext, spec: RouteSpec) -> web.StreamResponse:
    """Rate limit, authenticate, then run the route's handler."""
    headers: dict[str, str] = {}
    auth = request.headers.get("Authorization") or None
    if spec.rate_limited:
        verdict = ctx.limiter.check(
            spec.key,
            spec.major_value(request.match_info),
            _token_key(request) if spec.auth is not Auth.NONE else "webhook",
            global_applies=spec.global_limit and auth is not None,
        )
        if not verdict.allowed:
            body = {
                "message": _RATE_LIMITED_MESSAGE,
                "retry_after": round(verdict.retry_after, 3),
                "global": verdict.is_global,
                "code": 0,
            }
            limited = json_response(body, status=429)
            limited.headers.update(verdict.headers)
            return limited
        headers = verdict.headers
    response: web.StreamResponse
    try:
        if spec.auth is Auth.BOT and auth != ctx.authorization:
            raise errors.unauthorized()
        if spec.auth is Auth.OPTIONAL and auth is not None and auth != ctx.authorization:
            raise errors.unauthorized()
        response = await _HANDLERS[spec.key](request)
    except DiscordError as error:
        response = error_response(error)
    except ControlError as error:
        response = error_response(DiscordError(error.status, 0, error.message))
    response.headers.update(headers)
    return response


@web.middleware
async def discord_pipeline(request: web.Request, handler: handlers.Handler) -> web.StreamResponse:
    """Every /api/v10 request: statistics, faults, unknown routes, then `_answer`."""
    if not request.path.startswith(API_PREFIX + "/"):
        return await handler(request)
    ctx = request.app[CONTEXT]
    spec = _spec_for(request)
    route_key = spec.key if spec is not None else "UNKNOWN"
    ctx.stats.request(route_key)
    if spec is None:
        exception = request.match_info.http_exception
        is_405 = exception is not None and exception.status == 405
        error = errors.method_not_allowed() if is_405 else errors.not_found_route()
        ctx.stats.answered(route_key, error.status)
        return error_response(error)
    await _record(request, ctx, route_key)
    concrete = f"{request.method} {request.path.removeprefix(API_PREFIX)}"
    plan = ctx.faults.plan(route_key, concrete)
    if plan.latency > 0:
        ctx.stats.fault(FaultKind.LATENCY.value)
        await asyncio.sleep(plan.latency)
    fault = plan.terminal
    drop_after = fault is not None and fault.kind is FaultKind.DROP and fault.after_processing
    if fault is not None:
        ctx.stats.fault(fault.kind.value)
    if fault is not None and not drop_after:
        response = await _fault_response(request, ctx, spec, fault)
        ctx.stats.answered(route_key, response.status, is_global=fault.scope == "global")
        return response
    try:
        response = await _answer(request, ctx, spec)
    except Exception:
        _LOGGER.exception("fake Discord failed on %s", concrete)
        response = error_response(errors.server_error(500))
    is_global = response.status == 429 and response.headers.get("X-RateLimit-Global") == "true"
    ctx.stats.answered(route_key, response.status, is_global=is_global)
    if drop_after:
        return _drop(request)
    return response


async def _record(request: web.Request, ctx: FakeContext, route_key: str) -> None:
    """Keep what the client sent (the body is cached, so handlers can still read it)."""
    raw = await request.read() if request.body_exists else b""
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode("utf-8", "replace")
    auth = request.headers.get("Authorization")
    ctx.stats.log.append(
        RecordedRequest(
            route=route_key,
            path=request.path.removeprefix(API_PREFIX),
            query=dict(request.query),
            authorization_scheme=auth.split(" ", 1)[0] if auth else None,
            user_agent=request.headers.get("User-Agent"),
            content_type=request.headers.get("Content-Type"),
            body=body,
        )
    )


_HANDLERS: dict[str, handlers.Handler] = {
    **handlers.HANDLERS,
    **webhooks.HANDLERS,
    **member_search.HANDLERS,
}


def build_app(fake: FakeDiscord) -> web.Application:
    """The aiohttp application serving Discord's routes and the control API."""
    missing = {spec.key for spec in ROUTES} - set(_HANDLERS)
    if missing:
        raise RuntimeError(f"routes without a handler: {sorted(missing)}")
    app = web.Application(middlewares=[discord_pipeline], client_max_size=8 * 1024 * 1024)
    app[CONTEXT] = fake.context
    app[_SPEC] = {spec.key: spec for spec in ROUTES}
    for spec in ROUTES:
        app.router.add_route(spec.method, API_PREFIX + spec.path, _HANDLERS[spec.key])
    control.add_routes(app, fake)
    return app
