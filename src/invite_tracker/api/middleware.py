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
    answer a 307 redirect with an empty body, outside the envelope every answer is in.

    Ids travel in the query string or the body, so the paths asked are few: where each is
    served is worked out once (up to PATHS_KEPT of them), not on every request."""

    PATHS_KEPT = 1024

    def __init__(self, app: ASGIApp, router: Router) -> None:
        self.app = app
        self._routes = router.routes
        self._served: dict[tuple[str, str], str] = {}  # (root path, path asked) -> served

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            key = (scope.get("root_path", ""), path)
            served = self._served.get(key)
            if served is None:
                served = self._serve_at(*key)
                if len(self._served) < self.PATHS_KEPT:
                    self._served[key] = served
            if served != path:
                scope = {**scope, "path": served, "raw_path": served.encode("latin-1")}
        await self.app(scope, receive, send)

    def _serve_at(self, root: str, path: str) -> str:
        """The path to serve for `path`: itself, unless only its other slash form is a route."""
        if path == "/" or self._routed(root, path):
            return path
        other = path[:-1] if path.endswith("/") else path + "/"
        return other if self._routed(root, other) else path

    def _routed(self, root: str, path: str) -> bool:
        """A route takes this path (for some method: else it is a 405, not a 404)."""
        scope = {"type": "http", "path": path, "method": "GET", "root_path": root}
        return any(route.matches(scope)[0] is not Match.NONE for route in self._routes)
