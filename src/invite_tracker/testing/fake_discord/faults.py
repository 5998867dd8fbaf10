"""Faults injected at run time: latency, 5xx answers, timeouts, dropped connections, 429 storms."""

from __future__ import annotations

import fnmatch
import itertools
import random
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    """What a fault does to a matching request."""

    LATENCY = "latency"
    """Delay the answer by `delay` seconds (or a random time in `delay`..`max_delay`)."""
    ERROR = "error"
    """Answer `status` (500, 502, 503 or 504) with Discord's code-0 body, before any work."""
    TIMEOUT = "timeout"
    """Hold the request for `hold` seconds (far longer than a client waits), then answer 504."""
    DROP = "drop"
    """Close the connection with no answer: before any work, or `after_processing` (the
    request took effect, the client never hears of it)."""
    RATE_LIMIT = "rate_limit"
    """Answer 429 with `retry_after` and `scope` (shared, user or global)."""


_TERMINAL = (FaultKind.ERROR, FaultKind.TIMEOUT, FaultKind.DROP, FaultKind.RATE_LIMIT)
_SCOPES = ("shared", "user", "global")
_ids = itertools.count(1)


@dataclass(slots=True)
class Fault:
    """One fault rule; `route` is a glob over route keys such as `"GET /guilds/*/invites"`.

    The pattern is matched against both the template (`GET /guilds/{guild_id}/invites`) and
    the concrete request (`GET /guilds/123/invites`); `"*"` matches every Discord route.
    `count` None keeps the fault until it is cleared; otherwise it applies to that many
    matching requests.
    """

    kind: FaultKind
    route: str = "*"
    count: int | None = 1
    delay: float = 0.0
    max_delay: float | None = None
    status: int = 500
    hold: float = 300.0
    after_processing: bool = False
    retry_after: float = 1.0
    scope: str = "shared"
    id: int = field(default_factory=lambda: next(_ids))
    hits: int = 0

    def __post_init__(self) -> None:
        self.kind = FaultKind(self.kind)
        if self.count is not None and self.count < 1:
            raise ValueError("count must be at least 1 (or None for until cleared)")
        if self.kind is FaultKind.ERROR and self.status not in (500, 502, 503, 504):
            raise ValueError("error faults answer 500, 502, 503 or 504")
        if self.kind is FaultKind.RATE_LIMIT and self.scope not in _SCOPES:
            raise ValueError(f"scope must be one of {_SCOPES}")
        if self.delay < 0 or (self.max_delay is not None and self.max_delay < self.delay):
            raise ValueError("need 0 <= delay <= max_delay")

    def matches(self, route_key: str, concrete: str) -> bool:
        """Whether the fault applies to this request."""
        return fnmatch.fnmatchcase(route_key, self.route) or fnmatch.fnmatchcase(
            concrete, self.route
        )

    def pick_delay(self, rng: random.Random) -> float:
        """The latency to add for one request."""
        if self.max_delay is None:
            return self.delay
        return rng.uniform(self.delay, self.max_delay)

    def as_json(self) -> dict[str, Any]:
        """The fault as the control API shows it."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "route": self.route,
            "count": self.count,
            "delay": self.delay,
            "max_delay": self.max_delay,
            "status": self.status,
            "hold": self.hold,
            "after_processing": self.after_processing,
            "retry_after": self.retry_after,
            "scope": self.scope,
            "hits": self.hits,
        }

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Fault:
        """A fault from the control API's JSON (unknown keys are refused)."""
        allowed = {
            "kind",
            "route",
            "count",
            "delay",
            "max_delay",
            "status",
            "hold",
            "after_processing",
            "retry_after",
            "scope",
        }
        unknown = set(body) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        if "kind" not in body:
            raise ValueError(f"kind is required: one of {[kind.value for kind in FaultKind]}")
        return cls(**body)


@dataclass(frozen=True, slots=True)
class Plan:
    """The faults one request meets: total added latency and at most one terminal fault."""

    latency: float = 0.0
    terminal: Fault | None = None


class FaultInjector:
    """The active faults, consumed as matching requests arrive."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._faults: list[Fault] = []
        self._rng = rng or random.Random()

    def add(self, fault: Fault) -> Fault:
        """Activate a fault."""
        self._faults.append(fault)
        return fault

    def clear(self, fault_id: int | None = None) -> int:
        """Remove one fault by id, or all of them; returns how many were removed."""
        before = len(self._faults)
        self._faults = [f for f in self._faults if fault_id is not None and f.id != fault_id]
        return before - len(self._faults)

    def active(self) -> list[Fault]:
        """The faults still in force."""
        return list(self._faults)

    def plan(self, route_key: str, concrete: str) -> Plan:
        """Consume the faults matching this request: every latency, the first terminal fault."""
        latency = 0.0
        terminal: Fault | None = None
        for fault in self._faults:
            if not fault.matches(route_key, concrete):
                continue
            if fault.kind is FaultKind.LATENCY:
                latency += fault.pick_delay(self._rng)
            elif terminal is None and fault.kind in _TERMINAL:
                terminal = fault
            else:
                continue
            fault.hits += 1
            if fault.count is not None:
                fault.count -= 1
        self._faults = [f for f in self._faults if f.count is None or f.count > 0]
        return Plan(latency=latency, terminal=terminal)
