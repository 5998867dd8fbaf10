"""The scenarios of issue 4, generated deterministically from a seed.

- *steady*: joins well apart, many invites, several inviters;
- *burst*: hundreds of joins within a minute over ten invites, most through two popular ones;
- *raid*: a thousand joins in a minute through one invite;
- *churn*: invites created, used up, expiring and deleted, vanity, discovery, rejoins,
  own-invite joins, bots and duplicated member-add events (see `churn`).

Each has a short variant (`short=True`) of a few seconds for the test suite. Gateway events
arrive 50-500 ms late (less in the short steady scenario), so they come reordered.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from invite_tracker.simulator.churn import churn
from invite_tracker.simulator.draw import code_of, delay, spread
from invite_tracker.simulator.model import Action, InviteSpec, Join, Scenario, sorted_actions

GATEWAY_JITTER = (0.05, 0.5)
"""How late a gateway event arrives, in seconds: Discord's delivery is not instantaneous."""

Generator = Callable[[int, bool], Scenario]


def _joins_only(
    name: str,
    seed: int,
    short: bool,
    *,
    inviters: int,
    invites: tuple[InviteSpec, ...],
    joins: list[Action],
    jitter: tuple[float, float],
    description: str,
) -> Scenario:
    """A timeline of joins only: the inviters are the guild's members, each join a new person."""
    return Scenario(
        name=name,
        seed=seed,
        short=short,
        people=inviters + len(joins),
        members=inviters,
        invites=invites,
        actions=sorted_actions(joins),
        jitter=jitter,
        description=description,
    )


def steady(seed: int, short: bool = False) -> Scenario:
    """Joins several seconds apart (half a second in the short variant), over many
    invites of several inviters: every join can be told apart."""
    rng = random.Random(f"steady:{seed}")
    inviters = 5
    invites = tuple(
        InviteSpec(code_of("steady", seed, n), n % inviters, max_uses=100 if n % 3 == 0 else 0)
        for n in range(6 if short else 12)
    )
    count, gaps = (10, (0.4, 0.7)) if short else (18, (2.0, 4.0))
    jitter = (0.05, 0.15) if short else GATEWAY_JITTER
    actions: list[Action] = []
    at = 0.5
    for n in range(count):
        via = rng.choice(invites).code
        actions.append(Join(round(at, 3), inviters + n, via, delay(rng, jitter)))
        at += rng.uniform(*gaps)
    return _joins_only(
        "steady",
        seed,
        short,
        inviters=inviters,
        invites=invites,
        joins=actions,
        jitter=jitter,
        description=f"{count} joins, {gaps[0]:g}-{gaps[1]:g} s apart, over {len(invites)} "
        f"invites of {inviters} inviters",
    )


BURST_WEIGHTS = (40, 25, 8, 6, 5, 5, 4, 3, 2, 2)
"""How popular each of the burst's ten invites is (percent of joins)."""


def burst(seed: int, short: bool = False) -> Scenario:
    """Hundreds of joins within about a minute over ten invites, most through two."""
    rng = random.Random(f"burst:{seed}")
    inviters = 4
    invites = tuple(
        InviteSpec(code_of("burst", seed, n), n % inviters) for n in range(len(BURST_WEIGHTS))
    )
    count, duration = (30, 5.0) if short else (300, 60.0)
    codes = [invite.code for invite in invites]
    actions: list[Action] = [
        Join(
            at,
            inviters + n,
            rng.choices(codes, weights=BURST_WEIGHTS)[0],
            delay(rng, GATEWAY_JITTER),
        )
        for n, at in enumerate(spread(rng, count, duration))
    ]
    return _joins_only(
        "burst",
        seed,
        short,
        inviters=inviters,
        invites=invites,
        joins=actions,
        jitter=GATEWAY_JITTER,
        description=f"{count} joins in {duration:g} s over {len(invites)} invites "
        f"({BURST_WEIGHTS[0]} % and {BURST_WEIGHTS[1]} % through the two popular ones)",
    )


def raid(seed: int, short: bool = False) -> Scenario:
    """A thousand joins in a minute through one invite (60 in 4 s in the short variant)."""
    rng = random.Random(f"raid:{seed}")
    inviters = 3
    invites = tuple(InviteSpec(code_of("raid", seed, n), n % inviters) for n in range(4))
    count, duration = (60, 4.0) if short else (1000, 60.0)
    target = invites[0].code
    actions: list[Action] = [
        Join(at, inviters + n, target, delay(rng, GATEWAY_JITTER))
        for n, at in enumerate(spread(rng, count, duration))
    ]
    return _joins_only(
        "raid",
        seed,
        short,
        inviters=inviters,
        invites=invites,
        joins=actions,
        jitter=GATEWAY_JITTER,
        description=f"{count} joins in {duration:g} s through one invite",
    )


def _churn(seed: int, short: bool = False) -> Scenario:
    return churn(seed, short, jitter=GATEWAY_JITTER)


SCENARIOS: dict[str, Generator] = {
    "steady": steady,
    "burst": burst,
    "raid": raid,
    "churn": _churn,
}
"""Every scenario by name, in the order they are reported."""


def build(names: Sequence[str], seed: int, *, short: bool = False) -> list[Scenario]:
    """The named scenarios for one seed ("all" expands to every scenario)."""
    wanted = list(SCENARIOS) if "all" in names else list(names)
    unknown = [name for name in wanted if name not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenario {unknown[0]!r}; known: {', '.join(SCENARIOS)}")
    return [SCENARIOS[name](seed, short) for name in wanted]
