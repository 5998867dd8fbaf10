"""Discord-style rate limits: per-route buckets per major parameter, a global limit, headers."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

GLOBAL_LIMIT = 50
"""Discord's documented global limit: 50 requests per second per bot."""


@dataclass(frozen=True, slots=True)
class RouteLimit:
    """`limit` requests per `per` seconds in one bucket (one route and major parameter)."""

    limit: int
    per: float

    def __post_init__(self) -> None:
        if self.limit < 1 or self.per <= 0:
            raise ValueError("a rate limit needs limit >= 1 and per > 0")


@dataclass(frozen=True, slots=True)
class RateLimitProfile:
    """A set of limits: one default for every route, overrides by route key, the global one.

    Route keys are Discord's templates as in the OpenAPI spec, e.g.
    `"GET /guilds/{guild_id}/invites"`. `global_limit` None disables the global limit.
    """

    name: str
    default: RouteLimit
    routes: Mapping[str, RouteLimit] = field(default_factory=dict)
    global_limit: RouteLimit | None = RouteLimit(GLOBAL_LIMIT, 1.0)

    def limit_for(self, route_key: str) -> RouteLimit:
        """The limit of one route."""
        return self.routes.get(route_key, self.default)


GUILD_INVITES = "GET /guilds/{guild_id}/invites"

PROFILES: dict[str, RateLimitProfile] = {
    profile.name: profile
    for profile in (
        RateLimitProfile("default", RouteLimit(50, 1.0)),
        RateLimitProfile(
            "invites-5-per-1s", RouteLimit(50, 1.0), {GUILD_INVITES: RouteLimit(5, 1.0)}
        ),
        RateLimitProfile("strict", RouteLimit(5, 5.0), {GUILD_INVITES: RouteLimit(5, 5.0)}),
        RateLimitProfile("unlimited", RouteLimit(1_000_000, 1.0), global_limit=None),
    )
}
"""Named profiles: `default` (50/s per bucket), `invites-5-per-1s` (guild invite listing at
5 per second per guild), `strict` (5 per 5 s on every route) and `unlimited` (benchmarks)."""


@dataclass(slots=True)
class _Window:
    started: float  # monotonic
    count: int
    started_wall: float = 0.0  # the same instant on the world's clock (epoch seconds)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the limiter decided for one request: allowed or not, and the headers to send."""

    allowed: bool
    headers: dict[str, str]
    retry_after: float = 0.0
    is_global: bool = False


def bucket_hash(route_key: str) -> str:
    """An opaque, stable bucket id per route, shaped like Discord's (32 hex characters)."""
    return hashlib.blake2b(route_key.encode(), digest_size=16).hexdigest()


class RateLimiter:
    """Fixed-window counters per (route, major parameter, token) and per token globally.

    Time is the real monotonic clock: clients sleep in real time before retrying, so moving
    the fake's world clock must not touch rate limits.
    """

    def __init__(
        self,
        profile: RateLimitProfile | str = "default",
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._monotonic = monotonic
        self._wall = wall
        self._routes: dict[str, RouteLimit] = {}
        self._buckets: dict[tuple[str, str, str], _Window] = {}
        self._global: dict[str, _Window] = {}
        self.profile = self._resolve(profile)
        self.global_limit = self.profile.global_limit

    @staticmethod
    def _resolve(profile: RateLimitProfile | str) -> RateLimitProfile:
        if isinstance(profile, RateLimitProfile):
            return profile
        try:
            return PROFILES[profile]
        except KeyError:
            raise ValueError(
                f"unknown rate-limit profile {profile!r}; known: {sorted(PROFILES)}"
            ) from None

    def use_profile(self, profile: RateLimitProfile | str) -> RateLimitProfile:
        """Switch profile, dropping per-route overrides and every open window."""
        self.profile = self._resolve(profile)
        self.global_limit = self.profile.global_limit
        self._routes.clear()
        self.reset_windows()
        return self.profile

    def set_route_limit(self, route_key: str, limit: RouteLimit | None) -> None:
        """Override one route's limit (None: back to the profile's)."""
        if limit is None:
            self._routes.pop(route_key, None)
        else:
            self._routes[route_key] = limit
        self._buckets = {key: win for key, win in self._buckets.items() if key[0] != route_key}

    def set_global_limit(self, limit: RouteLimit | None) -> None:
        """Override the global limit (None disables it)."""
        self.global_limit = limit
        self._global.clear()

    def reset_windows(self) -> None:
        """Forget every counter (all buckets full again)."""
        self._buckets.clear()
        self._global.clear()

    def limit_for(self, route_key: str) -> RouteLimit:
        """The limit currently applied to a route."""
        return self._routes.get(route_key) or self.profile.limit_for(route_key)

    def describe(self) -> dict[str, object]:
        """The active configuration, for the control API."""
        overrides = {key: {"limit": lim.limit, "per": lim.per} for key, lim in self._routes.items()}
        profile_routes = {
            key: {"limit": lim.limit, "per": lim.per} for key, lim in self.profile.routes.items()
        }
        return {
            "profile": self.profile.name,
            "default": {"limit": self.profile.default.limit, "per": self.profile.default.per},
            "routes": {**profile_routes, **overrides},
            "global": (
                {"limit": self.global_limit.limit, "per": self.global_limit.per}
                if self.global_limit
                else None
            ),
            "profiles": sorted(PROFILES),
        }

    def _window(self, window: _Window | None, limit: RouteLimit, now: float) -> _Window:
        if window is None or now >= window.started + limit.per:
            return _Window(started=now, count=0, started_wall=self._wall())
        return window

    def check(self, route_key: str, major: str, token_key: str, *, global_applies: bool) -> Verdict:
        """Count one request and decide; a refused request does not use up the bucket."""
        now = self._monotonic()
        if global_applies and self.global_limit is not None:
            limit = self.global_limit
            window = self._window(self._global.get(token_key), limit, now)
            self._global[token_key] = window
            if window.count >= limit.limit:
                retry_after = window.started + limit.per - now
                headers = self._bucket_headers(route_key, major, token_key, now)
                headers.update(
                    {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"}
                    | retry_after_header(retry_after)
                )
                return Verdict(False, headers, retry_after, is_global=True)
            window.count += 1
        key = (route_key, major, token_key)
        limit = self.limit_for(route_key)
        window = self._window(self._buckets.get(key), limit, now)
        self._buckets[key] = window
        if window.count >= limit.limit:
            retry_after = window.started + limit.per - now
            headers = self._bucket_headers(route_key, major, token_key, now)
            headers.update({"X-RateLimit-Scope": "user"} | retry_after_header(retry_after))
            return Verdict(False, headers, retry_after)
        window.count += 1
        return Verdict(True, self._bucket_headers(route_key, major, token_key, now))

    def peek_headers(self, route_key: str, major: str, token_key: str) -> dict[str, str]:
        """The bucket's current headers without counting a request."""
        return self._bucket_headers(route_key, major, token_key, self._monotonic())

    def _bucket_headers(
        self, route_key: str, major: str, token_key: str, now: float
    ) -> dict[str, str]:
        limit = self.limit_for(route_key)
        window = self._window(self._buckets.get((route_key, major, token_key)), limit, now)
        reset_after = max(window.started + limit.per - now, 0.0)
        # As Discord: the window resets at one instant, the same in every answer of it, so
        # Reset less Reset-After is when the request was counted (on the world's clock, which
        # stamps joins; while that clock is frozen, it moves on in real time from the window's
        # start instead of going back)
        return {
            "X-RateLimit-Limit": str(limit.limit),
            "X-RateLimit-Remaining": str(max(limit.limit - window.count, 0)),
            "X-RateLimit-Reset": f"{window.started_wall + limit.per:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket_hash(route_key),
        }


def retry_after_header(retry_after: float) -> dict[str, str]:
    """Discord's `Retry-After` header: whole seconds, rounded up."""
    return {"Retry-After": str(max(math.ceil(retry_after), 1))}
