"""Request statistics: what clients asked, what they got, how often they were rate limited."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

REQUEST_LOG_SIZE = 10_000

INVALID_STATUSES = (401, 403, 429)
"""The statuses Discord counts towards its 10,000-per-10-minutes invalid-request ban."""


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request a client sent to a Discord route, as received (for checking clients)."""

    route: str  # the route template, e.g. "POST /channels/{channel_id}/invites"
    path: str
    query: dict[str, str]
    authorization_scheme: str | None  # "Bot", "Bearer" or None; never the token
    user_agent: str | None
    content_type: str | None
    body: Any  # the parsed JSON body, or None without one


@dataclass(slots=True)
class RequestStats:
    """Counters over every Discord-route request the fake has seen since the last reset."""

    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    rate_limited: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    global_rate_limited: int = 0
    invalid_requests: int = 0
    log: deque[RecordedRequest] = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_SIZE))

    def request(self, route_key: str) -> None:
        """Count one request to a route."""
        self.requests[route_key] += 1

    def answered(self, route_key: str, status: int, *, is_global: bool = False) -> None:
        """Count the answer given to a request."""
        self.statuses[f"{route_key} -> {status}"] += 1
        if status == 429:
            self.rate_limited[route_key] += 1
            if is_global:
                self.global_rate_limited += 1
        if status in INVALID_STATUSES:
            self.invalid_requests += 1

    def fault(self, kind: str) -> None:
        """Count one injected fault."""
        self.faults[kind] += 1

    @property
    def total_requests(self) -> int:
        """Every request counted."""
        return sum(self.requests.values())

    @property
    def total_rate_limited(self) -> int:
        """Every 429 served (route, global and injected)."""
        return sum(self.rate_limited.values())

    def reset(self) -> None:
        """Start counting afresh."""
        self.requests.clear()
        self.statuses.clear()
        self.rate_limited.clear()
        self.faults.clear()
        self.global_rate_limited = 0
        self.invalid_requests = 0
        self.log.clear()

    def as_json(self) -> dict[str, Any]:
        """A snapshot for the control API and benchmark reports."""
        return {
            "total_requests": self.total_requests,
            "total_rate_limited": self.total_rate_limited,
            "global_rate_limited": self.global_rate_limited,
            "invalid_requests": self.invalid_requests,
            "requests": dict(self.requests),
            "statuses": dict(self.statuses),
            "rate_limited": dict(self.rate_limited),
            "faults": dict(self.faults),
        }
