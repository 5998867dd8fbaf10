"""The Discord routes the fake serves: templates as in Discord's spec, auth and bucket rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

API_PREFIX = "/api/v10"


class Auth(StrEnum):
    """What a route needs in `Authorization`."""

    BOT = "bot"
    """`Bot <token>` required."""
    OPTIONAL = "optional"
    """None needed; a wrong one is still refused."""
    NONE = "none"
    """The token is in the path (interaction/webhook routes); the header is ignored."""


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One Discord route: method, path template, auth, and how it is rate limited."""

    method: str
    path: str
    auth: Auth = Auth.BOT
    major: tuple[str, ...] = ()
    global_limit: bool = True
    rate_limited: bool = True

    @property
    def key(self) -> str:
        """`"GET /guilds/{guild_id}/invites"`: how stats, limits and faults name the route."""
        return f"{self.method} {self.path}"

    def major_value(self, params: Mapping[str, str]) -> str:
        """The major parameter's value (buckets are per route and per this value)."""
        if not self.major:
            return "-"
        return ":".join(params.get(name, "") for name in self.major)


_GUILD = ("guild_id",)
_CHANNEL = ("channel_id",)
_WEBHOOK = ("webhook_id", "webhook_token")
_ORIGINAL = "/webhooks/{webhook_id}/{webhook_token}/messages/@original"

ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("GET", "/guilds/{guild_id}/invites", major=_GUILD),
    RouteSpec("GET", "/channels/{channel_id}/invites", major=_CHANNEL),
    RouteSpec("POST", "/channels/{channel_id}/invites", major=_CHANNEL),
    RouteSpec("GET", "/invites/{code}", auth=Auth.OPTIONAL),
    RouteSpec("DELETE", "/invites/{code}"),
    RouteSpec("GET", "/guilds/{guild_id}/vanity-url", major=_GUILD),
    RouteSpec("POST", "/channels/{channel_id}/messages", major=_CHANNEL),
    RouteSpec(
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        auth=Auth.NONE,
        global_limit=False,
        rate_limited=False,
    ),
    RouteSpec(
        "POST", "/webhooks/{webhook_id}/{webhook_token}", Auth.NONE, _WEBHOOK, global_limit=False
    ),
    RouteSpec("GET", _ORIGINAL, Auth.NONE, _WEBHOOK, global_limit=False),
    RouteSpec("PATCH", _ORIGINAL, Auth.NONE, _WEBHOOK, global_limit=False),
    RouteSpec("DELETE", _ORIGINAL, Auth.NONE, _WEBHOOK, global_limit=False),
    RouteSpec("GET", "/guilds/{guild_id}", major=_GUILD),
    RouteSpec("GET", "/guilds/{guild_id}/members/{user_id}", major=_GUILD),
    RouteSpec("GET", "/channels/{channel_id}", major=_CHANNEL),
    RouteSpec("GET", "/users/{user_id}"),
    RouteSpec("GET", "/guilds/{guild_id}/roles", major=_GUILD),
    RouteSpec("POST", "/guilds/{guild_id}/members-search", major=_GUILD),
)
"""Every route the fake serves: all from Discord's OpenAPI subset the project vendors, except
those in `UNDOCUMENTED_ROUTES`.

Interaction callbacks carry no rate-limit headers, as on Discord (hikari treats that route
as unlimited and logs an error if it ever sees a bucket header there); interaction webhook
routes are outside the global limit, as Discord documents.
"""

UNDOCUMENTED_ROUTES: frozenset[str] = frozenset({"POST /guilds/{guild_id}/members-search"})
"""Routes Discord serves but neither documents nor describes in its spec: the member search,
reported to work with a bot token and liable to change without notice (see `member_search`)."""

ROUTES_BY_KEY: dict[str, RouteSpec] = {route.key: route for route in ROUTES}
