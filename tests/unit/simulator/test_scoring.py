"""Scoring: the bound from the truth, verdicts against the truth, pairing, percentiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from invite_tracker.simulator.scoring import (
    Outcome,
    Source,
    TruthJoin,
    Verdict,
    bound,
    classify,
    match,
    percentile,
    read_bound,
    tally,
)

T0 = datetime(2026, 11, 29, 12, tzinfo=UTC)


def truth(offset: float, source: str, code: str | None = None, member: int = 0) -> TruthJoin:
    inviter = None if code is None else 100 + ord(code[0])
    return TruthJoin(
        member_id=member,
        joined_at=T0 + timedelta(seconds=offset),
        offset=offset,
        source=Source(source),
        code=code,
        inviter_id=inviter,
    )


def joins(*spec: tuple[float, str]) -> list[TruthJoin]:
    """(offset, "a"|"b"|... a code, or "vanity", "none", "bot")."""
    found = []
    for member, (offset, what) in enumerate(spec):
        if what in ("vanity", "none", "bot"):
            found.append(truth(offset, what, member=member))
        else:
            found.append(truth(offset, "invite", what, member=member))
    return found


@pytest.mark.parametrize(
    ("spec", "window", "expected"),
    [
        pytest.param([], 0.2, 0, id="no joins"),
        pytest.param([(0.05, "a")], 0.2, 1, id="one join"),
        pytest.param([(0.05, "a"), (0.15, "a")], 0.2, 2, id="one code twice in a window"),
        pytest.param([(0.05, "a"), (0.15, "b")], 0.2, 0, id="two codes in a window"),
        pytest.param([(0.05, "a"), (0.25, "b")], 0.2, 2, id="two codes in two windows"),
        pytest.param([(0.05, "a"), (0.25, "b")], 1.0, 0, id="the same joins, a longer window"),
        pytest.param([(0.0, "a"), (0.2, "b")], 0.2, 2, id="a window starts at its edge"),
        pytest.param([(0.1, "vanity"), (0.15, "vanity")], 0.2, 2, id="vanity only"),
        pytest.param([(0.1, "none"), (0.15, "none")], 0.2, 2, id="no invite only"),
        pytest.param([(0.1, "a"), (0.15, "vanity")], 0.2, 0, id="a code and the vanity URL"),
        pytest.param([(0.1, "a"), (0.15, "none")], 0.2, 0, id="a code and a discovery join"),
        pytest.param([(0.1, "a"), (0.15, "bot")], 0.2, 2, id="a bot does not blur its window"),
        pytest.param([(0.1, "bot"), (0.12, "bot")], 0.2, 2, id="bots alone"),
        pytest.param(
            [(0.1, "a"), (0.3, "a"), (0.35, "b"), (0.5, "b"), (0.9, "c")],
            0.2,
            3,
            id="mixed: one blurred window of two",
        ),
        pytest.param(
            [(0.1, "a"), (0.3, "a"), (0.35, "b"), (0.5, "b"), (0.9, "c")],
            1.0,
            0,
            id="mixed under 5 per 5 s",
        ),
    ],
)
def test_bound(spec: list[tuple[float, str]], window: float, expected: int) -> None:
    assert bound(joins(*spec), window) == expected


def test_bound_needs_a_positive_window() -> None:
    with pytest.raises(ValueError, match="positive"):
        bound(joins((0.1, "a")), 0)


@pytest.mark.parametrize(
    ("spec", "reads", "expected"),
    [
        pytest.param([(0.05, "a"), (0.15, "b")], [], 0, id="never read: one window"),
        pytest.param([(0.05, "a")], [], 1, id="one join, never read"),
        pytest.param([(0.05, "a"), (0.15, "b")], [0.1], 2, id="a read between them"),
        pytest.param([(0.05, "a"), (0.15, "b")], [0.2], 0, id="a read after both"),
        pytest.param([(0.05, "a"), (0.15, "b")], [0.2, 0.1], 2, id="reads in any order"),
        pytest.param(
            [(0.05, "a"), (0.1, "a"), (0.15, "b"), (0.5, "c")],
            [0.12, 0.3],
            4,
            id="one source in every window",
        ),
        pytest.param(
            [(0.05, "a"), (0.1, "a"), (0.15, "b"), (0.5, "c")],
            [0.12],
            2,
            id="the last window blurred",
        ),
        pytest.param([(0.1, "a"), (0.15, "bot")], [0.12], 2, id="bots count"),
        pytest.param([(0.1, "vanity"), (0.15, "none")], [0.3], 0, id="vanity and discovery"),
    ],
)
def test_read_bound(spec: list[tuple[float, str]], reads: list[float], expected: int) -> None:
    instants = [T0 + timedelta(seconds=offset) for offset in reads]
    assert read_bound(joins(*spec), instants) == expected


def test_the_read_bound_is_the_bound_when_reads_fall_on_its_windows() -> None:
    spec = [(0.05, "a"), (0.1, "b"), (0.25, "b"), (0.3, "b"), (0.45, "c"), (0.7, "a")]
    edges = [T0 + timedelta(seconds=0.2 * n) for n in range(1, 5)]
    assert read_bound(joins(*spec), edges) == bound(joins(*spec), 0.2) == 4


A_INVITER = 100 + ord("a")


@pytest.mark.parametrize(
    ("source", "code", "verdict", "expected"),
    [
        ("invite", "a", ("invite", "a", A_INVITER), Outcome.CORRECT),
        ("invite", "a", ("invite", "b", 100 + ord("b")), Outcome.WRONG),
        ("invite", "a", ("invite", "a", 999), Outcome.WRONG),  # the right code, wrong inviter
        ("invite", "a", ("vanity", None, None), Outcome.WRONG),
        ("invite", "a", ("ambiguous", None, None), Outcome.AMBIGUOUS),
        ("invite", "a", ("unknown", None, None), Outcome.UNKNOWN),
        ("invite", "a", ("pending", None, None), Outcome.PENDING),
        ("invite", "a", None, Outcome.PENDING),
        ("vanity", None, ("vanity", None, None), Outcome.CORRECT),
        ("vanity", None, ("invite", "a", A_INVITER), Outcome.WRONG),
        ("vanity", None, ("unknown", None, None), Outcome.UNKNOWN),
        ("none", None, ("unknown", None, None), Outcome.CORRECT),
        ("none", None, ("invite", "a", A_INVITER), Outcome.WRONG),
        ("none", None, ("vanity", None, None), Outcome.WRONG),
        ("none", None, ("ambiguous", None, None), Outcome.AMBIGUOUS),
        ("bot", None, ("bot", None, None), Outcome.CORRECT),
        ("bot", None, ("invite", "a", A_INVITER), Outcome.WRONG),
        ("invite", "a", ("bot", None, None), Outcome.WRONG),
    ],
)
def test_classify(
    source: str,
    code: str | None,
    verdict: tuple[str, str | None, int | None] | None,
    expected: Outcome,
) -> None:
    true = truth(1.0, source, code, member=7)
    said = None if verdict is None else Verdict(7, true.joined_at, *verdict)
    assert classify(true, said) is expected


def test_match_pairs_rejoins_in_time_order_and_ignores_extra_records() -> None:
    first = truth(1.0, "invite", "a", member=7)
    again = truth(5.0, "vanity", member=7)
    other = truth(2.0, "none", member=8)
    verdicts = [
        Verdict(7, again.joined_at, "vanity"),
        Verdict(7, first.joined_at, "invite", "a", A_INVITER),
        Verdict(7, again.joined_at, "vanity"),  # a tracker that stored a repeated event twice
    ]
    pairs = match([again, other, first], verdicts)
    assert [(t.offset, v.join_type if v else None) for t, v in pairs] == [
        (1.0, "invite"),
        (2.0, None),
        (5.0, "vanity"),
    ]
    counted = tally(pairs)
    assert counted.joins == 3
    assert (counted[Outcome.CORRECT], counted[Outcome.PENDING]) == (2, 1)
    assert [item.truth.member_id for item in counted.mistakes] == [8]


@pytest.mark.parametrize(
    ("values", "share", "expected"),
    [
        ([], 0.5, None),
        ([3.0], 0.95, 3.0),
        ([1.0, 2.0, 3.0, 4.0], 0.5, 2.0),
        ([4.0, 1.0, 3.0, 2.0], 0.95, 4.0),
        ([float(n) for n in range(1, 101)], 0.95, 95.0),
    ],
)
def test_percentile(values: list[float], share: float, expected: float | None) -> None:
    assert percentile(values, share) == expected
