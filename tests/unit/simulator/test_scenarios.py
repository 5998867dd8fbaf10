"""The scenario generators: deterministic, possible on Discord, and shaped as issue 4 says."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from invite_tracker.simulator.model import (
    VANITY,
    CreateInvite,
    DeleteInvite,
    InviteSpec,
    Join,
    Leave,
    Scenario,
    check_timeline,
)
from invite_tracker.simulator.scenarios import SCENARIOS, build

NAMES = list(SCENARIOS)
SEEDS = [1, 2, 3, 17, 2026]


@pytest.mark.parametrize("short", [True, False], ids=["short", "full"])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", NAMES)
def test_timelines_are_possible_on_discord(name: str, seed: int, short: bool) -> None:
    scenario = SCENARIOS[name](seed, short)
    assert check_timeline(scenario) == []
    assert scenario.actions == tuple(sorted(scenario.actions, key=lambda action: action.at))
    low, high = scenario.jitter
    for action in scenario.actions:
        assert low <= action.delay <= high


@pytest.mark.parametrize("name", NAMES)
def test_a_seed_always_makes_the_same_timeline(name: str) -> None:
    assert SCENARIOS[name](5, False) == SCENARIOS[name](5, False)
    assert SCENARIOS[name](5, False).actions != SCENARIOS[name](6, False).actions


@pytest.mark.parametrize(
    ("name", "short", "joins", "longest"),
    [
        ("steady", True, (10, 10), 8.0),
        ("steady", False, (18, 18), 80.0),
        ("burst", True, (20, 60), 8.0),
        ("burst", False, (200, 400), 65.0),
        ("raid", True, (20, 60), 8.0),
        ("raid", False, (1000, 1000), 61.0),
        ("churn", True, (20, 60), 10.0),
        ("churn", False, (100, 200), 90.0),
    ],
)
def test_sizes(name: str, short: bool, joins: tuple[int, int], longest: float) -> None:
    scenario = SCENARIOS[name](1, short)
    assert joins[0] <= len(scenario.joins) <= joins[1]
    assert scenario.duration <= longest


def gaps(scenario: Scenario) -> list[float]:
    times = [join.at for join in scenario.joins]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


@pytest.mark.parametrize(("short", "shortest"), [(True, 0.4), (False, 2.0)])
def test_steady_joins_are_well_apart_over_many_invites(short: bool, shortest: float) -> None:
    scenario = SCENARIOS["steady"](3, short)
    assert min(gaps(scenario)) >= shortest - 0.001
    assert len({invite.inviter for invite in scenario.invites}) >= 3
    assert len({join.via for join in scenario.joins}) >= 3


def test_burst_is_mostly_two_popular_invites_of_ten() -> None:
    scenario = SCENARIOS["burst"](1, False)
    assert len(scenario.invites) == 10
    used = Counter(join.via for join in scenario.joins)
    (_, first), (_, second) = used.most_common(2)
    assert first + second >= 0.5 * len(scenario.joins)
    assert scenario.duration <= 60.0
    assert all(0.05 <= join.delay <= 0.5 for join in scenario.joins)


def test_the_burst_events_arrive_reordered() -> None:
    scenario = SCENARIOS["burst"](1, False)
    arrivals = [join.at + join.delay for join in scenario.joins]
    assert arrivals != sorted(arrivals)


@pytest.mark.parametrize("short", [True, False])
def test_a_raid_goes_through_one_invite(short: bool) -> None:
    scenario = SCENARIOS["raid"](1, short)
    assert len({join.via for join in scenario.joins}) == 1
    assert scenario.joins[0].via == scenario.invites[0].code


def churn_kinds(scenario: Scenario) -> Counter[str]:
    created: dict[str, InviteSpec] = {spec.code: spec for spec in scenario.invites}
    kinds: Counter[str] = Counter()
    joined: set[int] = set()
    for action in scenario.actions:
        if isinstance(action, CreateInvite):
            created[action.invite.code] = action.invite
            kinds["single-use" if action.invite.max_uses == 1 else "created"] += 1
            kinds["expiring"] += action.invite.max_age > 0
        elif isinstance(action, DeleteInvite):
            kinds["staff deletion" if action.by_staff else "out-of-band deletion"] += 1
        elif isinstance(action, Join):
            spec = created.get(action.via or "")
            kinds["vanity"] += action.via == VANITY
            kinds["discovery"] += action.via is None and not action.bot
            kinds["bot"] += action.bot
            kinds["repeated event"] += action.repeat_after is not None
            kinds["rejoin"] += action.person in joined
            kinds["own invite"] += spec is not None and spec.inviter == action.person
            joined.add(action.person)
    return kinds


@pytest.mark.parametrize("short", [True, False])
@pytest.mark.parametrize(
    "kind",
    [
        "single-use",
        "expiring",
        "staff deletion",
        "out-of-band deletion",
        "vanity",
        "discovery",
        "bot",
        "repeated event",
        "rejoin",
        "own invite",
    ],
)
def test_churn_has_every_kind_of_trouble(kind: str, short: bool) -> None:
    scenario = SCENARIOS["churn"](1, short)
    assert churn_kinds(scenario)[kind] >= 1
    assert scenario.vanity is not None
    assert scenario.prevent_own_invite_code


def test_build_expands_all_and_refuses_unknown_names() -> None:
    assert [s.name for s in build(["all"], 1, short=True)] == NAMES
    assert [s.name for s in build(["raid"], 1)] == ["raid"]
    with pytest.raises(ValueError, match="unknown scenario"):
        build(["stampede"], 1)


@pytest.mark.parametrize(
    ("actions", "problem"),
    [
        ((Join(0.1, 5, "zz", 0.1),), "not live"),
        ((Join(0.1, 0, "aa", 0.1),), "already a member"),
        ((Leave(0.1, 5, 0.1),), "not a member"),
        ((Join(0.1, 5, VANITY, 0.1),), "without a vanity URL"),
        ((DeleteInvite(0.1, "zz", True, 0.1),), "not live"),
        ((Join(0.1, 5, "aa", 0.1), Join(0.2, 6, "aa", 0.1), Join(0.3, 7, "aa", 0.1)), "not live"),
        ((CreateInvite(0.1, InviteSpec("aa", 0), 0.1),), "already live"),
        ((CreateInvite(0.1, InviteSpec("bb", 6), 0.1),), "non-member"),
        ((CreateInvite(0, InviteSpec("bb", 0, max_age=2), 0.1), Join(1.8, 5, "bb", 0.1)), "expiry"),
        ((CreateInvite(0, InviteSpec("bb", 0, max_age=2), 0.1), Join(2.0, 5, "bb", 0.1)), "live"),
        ((Join(0.5, 5, None, 0.1), Join(0.4, 6, None, 0.1)), "out of order"),
        ((Join(0.5, 5, None, 0.1, bot=True),), "bot flag"),
    ],
)
def test_check_timeline_finds_impossible_actions(
    actions: tuple[Join | Leave | CreateInvite | DeleteInvite, ...], problem: str
) -> None:
    scenario = Scenario(
        name="test",
        seed=0,
        short=True,
        people=10,
        members=2,
        invites=(InviteSpec("aa", 0, max_uses=2),),
        actions=actions,
        jitter=(0.05, 0.5),
    )
    found = check_timeline(scenario)
    assert any(problem in item for item in found), found
