"""Issue 4's targets, checked on a run's figures."""

from __future__ import annotations

import pytest

from invite_tracker.simulator.model import PROFILES, Scenario
from invite_tracker.simulator.runner import RunResult
from invite_tracker.simulator.scoring import Outcome, Tally
from invite_tracker.simulator.targets import check


def result(
    name: str,
    *,
    correct: int,
    wrong: int = 0,
    ambiguous: int = 0,
    bound: int = 100,
    fetches: int = 50,
    limited: int = 0,
    latencies: tuple[float, ...] = (0.5,),
    profile: str = "5-per-1s",
) -> RunResult:
    tally = Tally()
    tally.counts[Outcome.CORRECT] = correct
    tally.counts[Outcome.WRONG] = wrong
    tally.counts[Outcome.AMBIGUOUS] = ambiguous
    scenario = Scenario(name, 1, False, 0, 0, (), (), (0.05, 0.5))
    return RunResult(
        scenario=scenario,
        profile=PROFILES[profile],
        tracker="test",
        tally=tally,
        bound=bound,
        read_bound=bound,
        invite_fetches=fetches,
        requests=fetches,
        rate_limited=limited,
        latencies=list(latencies),
        elapsed=60.0,
    )


def verdicts(run: RunResult, baseline: RunResult | None = None) -> dict[str, bool | None]:
    return {item.target: item.met for item in check(run, baseline)}


@pytest.mark.parametrize(
    ("run", "target", "met"),
    [
        (result("steady", correct=100), "100 % correct", True),
        (result("steady", correct=99, ambiguous=1), "100 % correct", False),
        (result("raid", correct=100, fetches=10), "<= 0.1 invite fetches per join", True),
        (result("raid", correct=100, fetches=11), "<= 0.1 invite fetches per join", False),
        (result("burst", correct=90, ambiguous=10), "correct >= 90 % of the bound", True),
        (result("burst", correct=89, ambiguous=11), "correct >= 90 % of the bound", False),
        (result("churn", correct=199, wrong=1, bound=150), "wrong <= 0.5 %", True),
        (result("churn", correct=198, wrong=2, bound=150), "wrong <= 0.5 %", False),
        (result("burst", correct=100, fetches=101), "<= 1 invite fetch per join", False),
        (result("steady", correct=100, limited=1), "no 429", False),
        (result("burst", correct=100, latencies=(1.0,) * 19 + (9.0,)), "p95 <= 1.5 s", True),
        (result("burst", correct=100, latencies=(1.0,) * 18 + (9.0,) * 2), "p95 <= 1.5 s", False),
    ],
)
def test_targets(run: RunResult, target: str, met: bool) -> None:
    assert verdicts(run)[target] is met


def test_targets_that_apply_only_somewhere() -> None:
    assert "p95 <= 1.5 s" not in verdicts(result("burst", correct=1, profile="5-per-5s"))
    assert "0 wrong" not in verdicts(result("churn", correct=1))
    assert "correct >= 90 % of the bound" not in verdicts(result("steady", correct=1))


@pytest.mark.parametrize(
    ("ours", "theirs", "bound", "met"),
    [
        (60, 40, 70, True),
        (50, 40, 70, False),
        (4, 2, 4, None),  # the bound is within 15 points of the baseline: nobody can do it
    ],
)
def test_points_above_the_baseline(ours: int, theirs: int, bound: int, met: bool | None) -> None:
    run = result("burst", correct=ours, ambiguous=100 - ours, bound=bound)
    baseline = result("burst", correct=theirs, ambiguous=100 - theirs, bound=bound)
    assert verdicts(run, baseline)[">= 15 points above the baseline"] is met
