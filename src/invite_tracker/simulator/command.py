"""`invite-tracker simulate`: run scenarios against the service and print their tables.

The report goes to stdout, one block per scenario as soon as its profiles have run; progress
goes to stderr. The service's own logs are kept to warnings unless INVITE_TRACKER_LOG_LEVEL
asks for more.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from invite_tracker.logging import configure_logging
from invite_tracker.simulator.model import PROFILES, Profile
from invite_tracker.simulator.options import EngineChoices
from invite_tracker.simulator.progress import StderrProgress
from invite_tracker.simulator.report import simulation_report
from invite_tracker.simulator.runner import RunResult, run_scenario
from invite_tracker.simulator.scenarios import SCENARIOS, build
from invite_tracker.simulator.tracker import ServiceOptions, service_tracker

SCENARIO_CHOICES = (*SCENARIOS, "all")
PROFILE_CHOICES = (*PROFILES, "both")


def profiles_of(choice: str) -> list[Profile]:
    """The profiles a `--profile` value names ("both": every profile)."""
    if choice == "both":
        return list(PROFILES.values())
    if choice not in PROFILES:
        raise ValueError(f"unknown profile {choice!r}; known: {', '.join(PROFILE_CHOICES)}")
    return [PROFILES[choice]]


def settle_timeout(short: bool) -> float:
    """How long to wait after the timeline for every join to be final."""
    return 15.0 if short else 30.0


async def simulate_async(
    scenarios: Sequence[str],
    seed: int,
    profile: str,
    *,
    database_url: str | None = None,
    short: bool = False,
    choices: EngineChoices = EngineChoices(),
) -> list[RunResult]:
    """Run every scenario under every profile, printing each scenario's block when done."""
    progress = StderrProgress()
    results: list[RunResult] = []
    for scenario in build(scenarios, seed, short=short):
        runs = []
        for chosen in profiles_of(profile):
            runs.append(
                await run_scenario(
                    scenario,
                    chosen,
                    service_tracker(service_options(chosen, database_url, choices)),
                    progress=progress,
                    settle_timeout=settle_timeout(short),
                )
            )
        sys.stdout.write(simulation_report(runs) + "\n")
        sys.stdout.flush()
        results.extend(runs)
    return results


def service_options(
    profile: Profile, database_url: str | None, choices: EngineChoices = EngineChoices()
) -> ServiceOptions:
    """The service configured as an operator would for that bucket: reads no closer together
    than the invite-list rate limit allows; the engine set as `choices` say."""
    return ServiceOptions(
        database_url=database_url,
        overrides={"invite_fetch_interval_seconds": profile.fetch_window, **choices.overrides()},
        workers=choices.workers,
    )


def quiet_logs() -> None:
    """Keep the service's logs to warnings (unless INVITE_TRACKER_LOG_LEVEL says otherwise),
    and the simulator's own HTTP client quiet: a log line per event would bury the progress."""
    if "INVITE_TRACKER_LOG_LEVEL" not in os.environ:
        configure_logging("WARNING")
        logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)


def simulate(
    scenario: str,
    seed: int,
    profile: str,
    *,
    database_url: str | None,
    short: bool,
    choices: EngineChoices = EngineChoices(),
) -> int:
    """The `simulate` subcommand; returns the exit status (0 even when a target is missed:
    the figures are the output)."""
    quiet_logs()
    asyncio.run(
        simulate_async(
            [scenario],
            seed,
            profile,
            database_url=database_url,
            short=short,
            choices=choices,
        )
    )
    return 0
