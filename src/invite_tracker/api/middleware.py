"""ASGI middleware: a request id for every request, bound to the logs and sent back; paths
served with or without their trailing slash."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("invite_tracker.access")
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_GUILD_ID = re.compile(r"(?:^|&)guild_id=([0-9]{1,20})(?:&|$)")


class RequestContext:
    """Give each request an id (the caller's X-Request-ID when it is safe), log one line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SAFE_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        context = {"request_id": request_id}
        guild = _GUILD_ID.search(scope.get("query_string", b"").decode("latin-1"))
        if guild:
            context["guild_id"] = guild.group(1)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode("latin-1")),
                ]
            await send(message)

        # Routes bind more (the parsed guild_id); clearing on both ends keeps requests apart
        # even when several run in one task, as under a test transport.
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**context)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
            structlog.contextvars.clear_contextvars()


class SlashTolerant:
    """Serve a path with or without a trailing slash alike, when only the other form is a
    route: Husqy's documented paths mix both (`/auth/api-key/`, `/status`). Starlette would
    answer a 307 redirect with an empty body, outside the envelope every answer is in."""

    def __init__(self, app: ASGIApp, router: Router) -> None:
        self.app = app
        self._routes = router.routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] != "/" and not self._routed(scope):
            path: str = scope["path"]
            other = path[:-1] if path.endswith("/") else path + "/"
            moved = {**scope, "path": other, "raw_path": other.encode("latin-1")}
            if self._routed(moved):
                scope = moved
        await self.app(scope, receive, send)

    def _routed(self, scope: Scope) -> bool:
        """A route takes this path (for some method: else it is a 405, not a 404)."""
        return any(route.matches(scope)[0] is not Match.NONE for route in self._routes)
