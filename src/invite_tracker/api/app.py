"""The application factory: everything is built in the lifespan, nothing at import time."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from invite_tracker import __version__
from invite_tracker.api.deps import ServiceState
from invite_tracker.api.errors import MethodNotAllowed, error_response
from invite_tracker.api.middleware import RequestContext, SlashTolerant
from invite_tracker.api.openapi import finished
from invite_tracker.api.routes import (
    auth,
    events,
    general,
    invites,
    joins,
    messages,
    privacy,
    stats,
)
from invite_tracker.api.routes import settings as settings_routes
from invite_tracker.api.routes import status as status_routes
from invite_tracker.clock import utcnow
from invite_tracker.db.session import Database
from invite_tracker.db.signals import JoinSignals
from invite_tracker.discord.rest import DiscordLimits, HikariDiscord
from invite_tracker.domain.errors import BadRequest, NotFound
from invite_tracker.logging import configure_logging
from invite_tracker.services.announcer import Announcer
from invite_tracker.services.attribution import AttributionEngine
from invite_tracker.services.attribution_pacing import EngineConfig
from invite_tracker.services.discord_cache import CachedDiscord
from invite_tracker.services.owed_messages import OwedMessages
from invite_tracker.services.retention import purge_expired
from invite_tracker.settings import Settings

log = structlog.get_logger(__name__)
MODULE_PREFIX = "/modules/invite-tracker"
DESCRIPTION = """\
Husqy's invite tracker: which invite brought every member who joins a Discord server, who
created it, per-inviter statistics, join and leave messages, invite links, privacy requests.

Every answer is an envelope: `{"success": true, "data": ..., "error": {}}` or
`{"success": false, "data": {}, "error": {"code", "name", "message"}}`. Send
`Authorization: Bearer <key>` on every route but the home route. Discord ids may be sent as
integers or decimal strings and always come back as strings.
"""


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> FastAPI:
    """Build the API. `database` lets a caller (tests, the simulator) share an engine."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = database or Database.from_url(settings.database_url)
        discord = await _connect_discord(settings)
        port = (
            None if discord is None else CachedDiscord(discord, ttl=settings.discord_cache_seconds)
        )
        owed = OwedMessages(
            db,
            clock=utcnow,
            max_delay=timedelta(seconds=settings.message_max_delay_seconds),
            retry_after=timedelta(seconds=settings.message_retry_seconds),
        )
        announcer = Announcer(
            db, port, retention_days=settings.retention_days, clock=utcnow, owed=owed
        )
        signals = JoinSignals(db.engine) if db.shared else None  # several workers
        engine = AttributionEngine(
            db, port, _engine_config(settings), announcer=announcer, clock=utcnow, signals=signals
        )
        if signals is not None:
            await signals.start(engine.heard_elsewhere, engine.decided_elsewhere)
        app.state.service = ServiceState(
            settings=settings,
            database=db,
            internal_keys=tuple(key.get_secret_value() for key in settings.internal_api_keys),
            engine=engine,
            discord=port,
        )
        await engine.resume()
        announcer.start()
        purger = asyncio.create_task(_purge_periodically(db, settings), name="retention")
        # What exists once the service has started (modules, the app, the database engine,
        # the Discord client) lives as long as it does: left out of the collector's full
        # passes, which otherwise walk all of it and hold the event loop for over 100 ms,
        # long enough to send an invite read into the rate limit's next window.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purger
            await engine.close()
            if signals is not None:
                await signals.close()
            await announcer.close()
            if discord is not None:
                await discord.close()
            if database is None:
                await db.dispose()

    app = FastAPI(
        title="Husqy invite tracker",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=f"{settings.api_prefix}/docs",
        openapi_url=f"{settings.api_prefix}/openapi.json",
        redoc_url=None,
        redirect_slashes=False,  # SlashTolerant serves the other form instead
    )
    app.openapi = finished(app.openapi)  # type: ignore[method-assign]
    module_prefix = settings.api_prefix + MODULE_PREFIX
    for router in (
        general,
        status_routes,
        settings_routes,
        invites,
        stats,
        events,
        privacy,
        messages,
        joins,
    ):
        app.include_router(router.router, prefix=module_prefix)
    app.include_router(auth.router, prefix=settings.api_prefix)
    app.add_middleware(SlashTolerant, router=app.router)
    app.add_middleware(RequestContext)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    return app


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    status = getattr(exc, "status_code", 500)
    error: Exception
    if status == 405:
        error = MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}")
    elif status == 404:
        error = NotFound(f"no route {request.method} {request.url.path}")
    else:
        error = exc
    response = error_response(error, getattr(request.state, "request_id", None))
    if status == 405 and isinstance(exc, StarletteHTTPException) and exc.headers:
        response.headers.update(exc.headers)
    return response


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    return error_response(BadRequest(str(exc)), getattr(request.state, "request_id", None))


def _engine_config(settings: Settings) -> EngineConfig:
    return EngineConfig(
        answer_wait=settings.attribution_wait_seconds,
        delivery_margin=settings.attribution_margin_seconds,
        fetch_interval=settings.invite_fetch_interval_seconds,
        reads_per_join=settings.invite_reads_per_join,
        active_seconds=settings.invite_reading_seconds,
        calm_interval=max(1.0, settings.invite_fetch_interval_seconds),
        clock_tolerance=settings.discord_clock_tolerance_seconds,
        vanity_recheck=settings.vanity_recheck_seconds,
        member_search=settings.member_search,
        member_search_delay=settings.member_search_delay_seconds,
        member_search_patience=settings.member_search_patience_seconds,
        member_search_refusal_pause=settings.member_search_refusal_pause_seconds,
        idle_release=settings.attribution_idle_release_seconds,
    )


async def _connect_discord(settings: Settings) -> HikariDiscord | None:
    """The Discord adapter when a bot token is configured."""
    if settings.discord_token is None or not settings.discord_configured:
        log.warning("discord_not_configured", hint="set INVITE_TRACKER_DISCORD_TOKEN")
        return None
    limits = DiscordLimits(
        attempt_timeout=settings.discord_timeout_seconds,
        total_timeout=settings.discord_max_wait_seconds,
        max_rate_limit_wait=settings.discord_max_wait_seconds,
    )
    return await HikariDiscord.connect(
        settings.discord_api_url, settings.discord_token.get_secret_value(), limits
    )


async def _purge_periodically(database: Database, settings: Settings) -> None:
    """Purge expired joins and leaves now and then every `retention_interval_seconds`."""
    while True:
        try:
            async with database.unit_of_work() as uow:
                purged = await purge_expired(
                    uow, retention_days=settings.retention_days, now=utcnow()
                )
                await uow.commit()
            if purged.joins or purged.leaves:
                log.info("retention_purge", joins=purged.joins, leaves=purged.leaves)
        except Exception:
            log.exception("retention_purge_failed")
        await asyncio.sleep(settings.retention_interval_seconds)


def create_app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` (used by `invite-tracker serve --workers N`)."""
    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    return create_app(settings)
