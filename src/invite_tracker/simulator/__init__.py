"""The attribution simulator: scenarios whose truth is known, played in real time against the
fake Discord and a tracker (the service, or the benchmark's baseline), scored against the
truth and the bound any fetch-and-diff tracker has.

    invite-tracker simulate [--scenario steady|burst|raid|churn|all] [--seed N]
                            [--profile 5-per-1s|5-per-5s|both] [--database-url URL] [--short]
"""

from __future__ import annotations

from invite_tracker.simulator.model import PROFILES, Profile, Scenario
from invite_tracker.simulator.runner import RunResult, run_scenario
from invite_tracker.simulator.scenarios import SCENARIOS, build
from invite_tracker.simulator.tracker import (
    GuildSetup,
    ServiceOptions,
    Tracker,
    TrackerFactory,
    service_tracker,
)

__all__ = [
    "PROFILES",
    "SCENARIOS",
    "GuildSetup",
    "Profile",
    "RunResult",
    "Scenario",
    "ServiceOptions",
    "Tracker",
    "TrackerFactory",
    "build",
    "run_scenario",
    "service_tracker",
]
