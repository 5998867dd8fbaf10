"""The targets of issue 4, checked against a run's figures (and the baseline's, if given)."""

from __future__ import annotations

from dataclasses import dataclass

from invite_tracker.simulator.runner import RunResult
from invite_tracker.simulator.scoring import Outcome, percentile

BURST_P95 = 1.5
"""Seconds: p95 join -> final attribution in burst under the 5-per-second profile."""
WRONG_SHARE = 0.005
"""At most 0.5 % wrong in burst and churn."""
BOUND_SHARE = 0.9
"""Correct at least 90 % of the bound in burst and churn."""
BASELINE_POINTS = 15.0
"""Correct at least 15 points above the baseline in burst and churn."""
RAID_FETCHES = 0.1
"""At most 0.1 invite fetches per join in the raid."""


@dataclass(frozen=True, slots=True)
class Check:
    """One target: met or not (None: out of reach of any tracker), and the figure behind it."""

    target: str
    met: bool | None
    figure: str


def share(count: int, joins: int) -> float:
    """`count` as a percentage of `joins` (0 when there are none)."""
    return 100.0 * count / joins if joins else 0.0


def check(result: RunResult, baseline: RunResult | None = None) -> list[Check]:
    """Every target that applies to the run's scenario and profile."""
    joins = result.joins
    correct = result.tally[Outcome.CORRECT]
    wrong = result.tally[Outcome.WRONG]
    fetches = result.invite_fetches / joins if joins else 0.0
    checks: list[Check] = []
    name = result.scenario.name
    if name in ("steady", "raid"):
        checks.append(Check("100 % correct", correct == joins, f"{correct}/{joins}"))
        checks.append(Check("0 wrong", wrong == 0, str(wrong)))
    if name == "raid":
        checks.append(
            Check(
                f"<= {RAID_FETCHES:g} invite fetches per join",
                fetches <= RAID_FETCHES,
                f"{fetches:.3f}",
            )
        )
    if name in ("burst", "churn"):
        correct_pct = share(correct, joins)
        bound_pct = share(result.bound, joins)
        checks.append(
            Check(
                "correct >= 90 % of the bound",
                correct_pct >= BOUND_SHARE * bound_pct,
                f"{correct_pct:.1f} % vs bound {bound_pct:.1f} %",
            )
        )
        checks.append(
            Check("wrong <= 0.5 %", wrong <= WRONG_SHARE * joins, f"{share(wrong, joins):.2f} %")
        )
        if baseline is not None:
            theirs = share(baseline.tally[Outcome.CORRECT], baseline.joins)
            points = correct_pct - theirs
            reachable = bound_pct >= theirs + BASELINE_POINTS
            checks.append(
                Check(
                    ">= 15 points above the baseline",
                    points >= BASELINE_POINTS if reachable else None,
                    f"{points:+.1f} points"
                    + ("" if reachable else f"; the bound itself is {bound_pct:.1f} %"),
                )
            )
    checks.append(Check("<= 1 invite fetch per join", fetches <= 1.0, f"{fetches:.3f}"))
    checks.append(Check("no 429", result.rate_limited == 0, str(result.rate_limited)))
    pending = result.tally[Outcome.PENDING]
    checks.append(Check("nothing pending", pending == 0, str(pending)))
    if name == "burst" and result.profile.name == "5-per-1s":
        p95 = percentile(result.latencies, 0.95)
        checks.append(
            Check(
                f"p95 <= {BURST_P95:g} s",
                p95 is not None and p95 <= BURST_P95,
                "-" if p95 is None else f"{p95:.2f} s",
            )
        )
    return checks
