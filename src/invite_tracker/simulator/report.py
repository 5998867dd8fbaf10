"""The simulator's tables: one per scenario, a column per profile (or per tracker), the targets
below, and the joins a tracker got wrong or left pending."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from invite_tracker.simulator.runner import RunResult
from invite_tracker.simulator.scoring import Mistake, Outcome, percentile
from invite_tracker.simulator.targets import check, share

Row = tuple[str, Callable[[RunResult], str]]
LABEL_WIDTH = 24
COLUMN_WIDTH = 16


def _count(outcome: Outcome) -> Callable[[RunResult], str]:
    def cell(result: RunResult) -> str:
        count = result.tally[outcome]
        return f"{count} ({share(count, result.joins):.1f} %)"

    return cell


def _per_join(value: Callable[[RunResult], int]) -> Callable[[RunResult], str]:
    def cell(result: RunResult) -> str:
        return f"{value(result) / result.joins:.3f}" if result.joins else "-"

    return cell


def _latency(share_: float) -> Callable[[RunResult], str]:
    def cell(result: RunResult) -> str:
        found = percentile(result.latencies, share_)
        return "-" if found is None else f"{found:.2f} s"

    return cell


def _bound(result: RunResult) -> str:
    return f"{share(result.bound, result.joins):.1f} % ({result.bound})"


def _versus_bound(result: RunResult) -> str:
    if not result.bound:
        return "-"
    return f"{100.0 * result.tally[Outcome.CORRECT] / result.bound:.1f} %"


def _read_bound(result: RunResult) -> str:
    return f"{share(result.read_bound, result.joins):.1f} % ({result.read_bound})"


ROWS: tuple[Row, ...] = (
    ("joins", lambda result: str(result.joins)),
    ("join records stored", lambda result: str(result.recorded)),
    ("correct", _count(Outcome.CORRECT)),
    ("wrong", _count(Outcome.WRONG)),
    ("ambiguous", _count(Outcome.AMBIGUOUS)),
    ("unknown", _count(Outcome.UNKNOWN)),
    ("pending", _count(Outcome.PENDING)),
    ("bound", _bound),
    ("correct / bound", _versus_bound),
    ("bound with its reads", _read_bound),
    ("invite fetches / join", _per_join(lambda result: result.invite_fetches)),
    ("Discord requests / join", _per_join(lambda result: result.requests)),
    ("member searches / join", _per_join(lambda result: result.member_searches)),
    ("429s received", lambda result: str(result.rate_limited)),
    ("p50 join -> final", _latency(0.5)),
    ("p95 join -> final", _latency(0.95)),
)
"""The table's rows: a label and how to compute the cell."""


def table(columns: Sequence[tuple[str, RunResult]], *, extra: Sequence[Row] = ()) -> str:
    """Rows of figures, one column per (heading, result)."""
    lines = [" " * LABEL_WIDTH + "".join(f"{head:>{COLUMN_WIDTH}}" for head, _ in columns)]
    for label, cell in (*ROWS, *extra):
        cells = "".join(f"{cell(result):>{COLUMN_WIDTH}}" for _, result in columns)
        lines.append(f"{label:<{LABEL_WIDTH}}{cells}")
    return "\n".join(lines)


def heading(result: RunResult) -> str:
    """`== burst (seed 1): 300 joins in 60 s ... ==`."""
    scenario = result.scenario
    short = ", short" if scenario.short else ""
    return f"== {scenario.name} (seed {scenario.seed}{short}): {scenario.description} =="


def targets(result: RunResult, baseline: RunResult | None = None) -> str:
    """One line per profile: every target, met or not."""
    checks = check(result, baseline)
    parts = [f"{item.target}: {_verdict(item.met)} ({item.figure})" for item in checks]
    return f"targets [{result.profile.name}]: " + "; ".join(parts)


def _verdict(met: bool | None) -> str:
    return "n/a" if met is None else "met" if met else "NOT MET"


def mistakes(result: RunResult, limit: int = 8) -> list[str]:
    """The wrong and pending joins (up to `limit`), and events the tracker refused."""
    lines = []
    for item in result.tally.mistakes[:limit]:
        lines.append(f"  {item.outcome.value} [{result.profile.name}]: {describe(item)}")
    hidden = len(result.tally.mistakes) - limit
    if hidden > 0:
        lines.append(f"  ... and {hidden} more wrong or pending [{result.profile.name}]")
    lines.extend(f"  event problem [{result.profile.name}]: {e}" for e in result.event_errors[:5])
    lines.extend(f"  action skipped [{result.profile.name}]: {s}" for s in result.skipped[:5])
    return lines


def describe(item: Mistake) -> str:
    """A wrong or pending join in one line: the truth, then what the tracker said."""
    truth = item.truth
    came = {
        "invite": f"through {truth.code} (inviter {truth.inviter_id})",
        "vanity": "through the vanity URL",
        "none": "with no invite",
        "bot": "as a bot",
    }[truth.source.value]
    said = "nothing" if item.verdict is None else item.verdict.join_type
    if item.verdict is not None and item.verdict.code:
        said += f" {item.verdict.code} (inviter {item.verdict.inviter_id})"
    return f"member {truth.member_id} joined at +{truth.offset:.3f} s {came}; tracker said {said}"


def simulation_report(results: Sequence[RunResult]) -> str:
    """The whole report: per scenario a table with a column per profile, targets, mistakes."""
    blocks = []
    for name in dict.fromkeys(result.scenario.name for result in results):
        runs = [result for result in results if result.scenario.name == name]
        lines = [heading(runs[0]), table([(run.profile.name, run) for run in runs])]
        lines.extend(targets(run) for run in runs)
        for run in runs:
            lines.extend(mistakes(run))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
