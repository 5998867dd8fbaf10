"""How much of the bound a tracker that reads when it hears of joins can reach at best.

The simulator's bound cuts time into windows as short as the rate limit allows, as if a
tracker could read the invite list whenever it liked. A real tracker hears of a join only when
its gateway event arrives (50-500 ms late in the scenarios), and reads at most once per join.
This replays each scenario's timeline, without the service or the fake, for an idealised
tracker: it sends a read the instant a join event arrives, unless a read it already sent will
be counted after that join; each read may be followed by more, `gap` apart, while the reads
stay within a budget of reads per join heard of (as the service's do: a read a join event
calls for is always made); reads stay within the bucket (5 per second); Discord counts a read
`flight` after it is sent (80 ms, the simulator's latency), and the tracker spends no time at
all. It prints the share of joins whose window between two reads saw one source only (the
simulator's "bound with its reads"), beside the bound, for a few such policies. Two of them
change how late the join events arrive instead, to show what that delay alone costs. Two read
on the invite-delete events of limited invites too (`on_deletes`): Discord deletes an invite
whose last use is spent and says so, and that event may arrive before the join's, so the read
comes sooner (a delete through the tracker's own API is known, and calls for none). The last
column is the ceiling of reading on events: a read counted at the very instant each join's
event arrives, with no flight and no bucket, which spends the whole budget of one read per
join. Going beyond it takes reads made before any event has told of the joins they set
apart, paid for by leaving out reads on events.

    .venv/bin/python -m benchmarks.event_reads [--scenario burst|churn|...|all] [--seeds 1,2,3]
"""

from __future__ import annotations

import argparse
import heapq
import sys
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from invite_tracker.simulator.gateway import unplanned_delay
from invite_tracker.simulator.model import VANITY, CreateInvite, DeleteInvite, Join, Scenario
from invite_tracker.simulator.scenarios import SCENARIOS, build
from invite_tracker.simulator.scoring import Source, TruthJoin, bound, read_bound

T0 = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW = 0.2
"""The bound's window: the invite list's bucket allows 5 reads a second."""
HIKARI_PACE = 0.224
"""Seconds between reads kept up as hikari lets them go: it frees the bucket when the answer
that emptied it comes back, so 5 reads take a second plus a round trip (measured in the
simulator: 0.224-0.227 s)."""
SERVICE_PACE = 0.208
"""Seconds between reads kept up by the service, which tells hikari of each reset a trip early
and allows for 20 ms of margin and 20 ms of slack per five reads."""


@dataclass(frozen=True, slots=True)
class Policy:
    """How the idealised tracker reads."""

    name: str
    follow_ups: int = 0  # reads after the one an event triggers, `gap` apart
    budget: float = 1.0  # reads per join heard of, at most
    flight: float = 0.08  # seconds from sending a read to Discord counting it
    gap: float = WINDOW
    # how late join events arrive, when not as the scenario has them: each event's delay is
    # moved from the scenario's jitter range into this one, in proportion
    delivery: tuple[float, float] | None = None
    # also read when a limited invite's delete event arrives, unless a read already counted
    # after the use or deletion (the service would see that read no longer list the code)
    on_deletes: bool = False


POLICIES = (
    Policy("on each event"),
    Policy("the same, Discord 0 ms away", flight=0.0),
    Policy("+10 after each, <= 1 per join", follow_ups=10),
    Policy("the same, 0.224 s apart", follow_ups=10, gap=HIKARI_PACE),
    Policy("the same, 0.208 s apart", follow_ups=10, gap=SERVICE_PACE),
    Policy("+3 after each, <= 3 per join", follow_ups=3, budget=3.0),
    Policy("+10 after each, unlimited", follow_ups=10, budget=100.0),
    Policy(
        "+10 after each, <= 1 per join, events 50-150 ms late",
        follow_ups=10,
        gap=SERVICE_PACE,
        delivery=(0.05, 0.15),
    ),
    Policy("the same, events at once", follow_ups=10, gap=SERVICE_PACE, delivery=(0.0, 0.0)),
    Policy("on each event and limited invites' deletes", on_deletes=True),
    Policy(
        "the same, +10 after each, <= 1 per join", follow_ups=10, gap=SERVICE_PACE, on_deletes=True
    ),
)


def truths(scenario: Scenario) -> list[TruthJoin]:
    """The scenario's joins as the simulator scores them (a repeated event is one join)."""
    found = []
    for action in scenario.actions:
        if not isinstance(action, Join):
            continue
        if action.bot:
            source = Source.BOT
        elif action.via == VANITY:
            source = Source.VANITY
        elif action.via is None:
            source = Source.NONE
        else:
            source = Source.INVITE
        found.append(
            TruthJoin(
                member_id=action.person,
                joined_at=T0 + timedelta(seconds=action.at),
                offset=action.at,
                source=source,
                code=action.via if source is Source.INVITE else None,
            )
        )
    return found


def delivered_after(scenario: Scenario, action: Join, policy: Policy) -> float:
    """How long after the join its event arrives under the policy."""
    if policy.delivery is None:
        return action.delay
    low, high = scenario.jitter
    share = (action.delay - low) / (high - low) if high > low else 0.0
    return policy.delivery[0] + share * (policy.delivery[1] - policy.delivery[0])


def limited_deletes(scenario: Scenario) -> list[tuple[float, float]]:
    """(when the event arrives, when the invite went) for each limited invite's delete event
    the tracker did not cause: one used up by its last join, or deleted out of band."""
    limits = {invite.code: invite.max_uses for invite in scenario.invites if invite.max_uses}
    used: dict[str, int] = {}
    found = []
    for action in scenario.actions:
        if isinstance(action, CreateInvite) and action.invite.max_uses:
            limits[action.invite.code] = action.invite.max_uses
        elif isinstance(action, Join) and action.via in limits:
            code = action.via
            used[code] = used.get(code, 0) + 1
            if used[code] == limits[code]:
                key = ("INVITE_DELETE", code)
                found.append(
                    (action.at + unplanned_delay(scenario.seed, key, scenario.jitter), action.at)
                )
        elif (
            isinstance(action, DeleteInvite)
            and not action.by_staff
            and used.get(action.code, 0) < limits.get(action.code, 0)
        ):
            found.append((action.at + action.delay, action.at))
    return found


def counted_reads(scenario: Scenario, policy: Policy) -> list[float]:
    """When Discord counted each read the policy made (seconds from the start)."""
    # (when, order, the join's instant for the read its event asks for (None for a
    # follow-up), whether this is the event arriving rather than a read put off)
    plan: list[tuple[float, int, float | None, bool]] = [
        (action.at + delivered_after(scenario, action, policy), order, action.at, True)
        for order, action in enumerate(scenario.actions)
        if isinstance(action, Join) and not action.bot
    ]
    if policy.on_deletes:
        order = len(scenario.actions)
        for arrives, went in limited_deletes(scenario):
            order += 1
            plan.append((arrives, order, went, False))  # a read it calls for, no join heard
    heapq.heapify(plan)
    order = len(plan) + len(scenario.actions)
    sent: deque[float] = deque(maxlen=5)  # the last reads sent: the bucket allows 5 a second
    counted: list[float] = []
    heard = 0
    while plan:
        when, _, join_at, arrival = heapq.heappop(plan)
        if arrival:
            heard += 1  # the event arrives: it asks for a read now and its follow-ups
            for n in range(1, policy.follow_ups + 1):
                order += 1
                heapq.heappush(plan, (when + n * policy.gap, order, None, False))
        if join_at is not None and counted and counted[-1] > join_at:
            continue  # a read already sent is counted after the join: it covers it
        if join_at is None and sent and when - sent[-1] < policy.gap * 0.999:
            continue  # a follow-up with a read just before it adds nothing
        earliest = max(
            when,
            sent[-1] + policy.gap if sent else when,
            sent[0] + 1.0 if len(sent) == sent.maxlen else when,
        )
        if earliest > when:
            order += 1
            heapq.heappush(plan, (earliest, order, join_at, False))
            continue
        if join_at is None and len(counted) + 1 > policy.budget * heard:
            continue  # a follow-up the joins heard of have not paid for
        sent.append(when)
        counted.append(when + policy.flight)
    return counted


def on_every_event(scenario: Scenario) -> list[float]:
    """A read counted the instant each join's event (its first delivery) arrives, bots'
    aside: the most reads made on hearing of joins can tell apart, with no flight and no
    bucket, at one read per join."""
    return sorted(
        action.at + action.delay
        for action in scenario.actions
        if isinstance(action, Join) and not action.bot
    )


def report(scenarios: Sequence[Scenario]) -> str:
    """One line per scenario and seed: the bound, then each policy's share of it."""
    lines = []
    names = [policy.name for policy in POLICIES] + ["ceiling: on each event, at once, no bucket"]
    header = ["scenario", "joins", "bound", *names]
    lines.append(" | ".join(header))
    for scenario in scenarios:
        joined = truths(scenario)
        best = bound(joined, WINDOW)
        cells = [f"{scenario.name} seed {scenario.seed}", str(len(joined)), str(best)]
        for reads in [
            *(counted_reads(scenario, policy) for policy in POLICIES),
            on_every_event(scenario),
        ]:
            allowed = read_bound(joined, [T0 + timedelta(seconds=at) for at in reads])
            share = 100 * allowed / best if best else 100.0
            cells.append(f"{allowed} ({share:.0f} %, {len(reads) / len(joined):.2f} reads/join)")
        lines.append(" | ".join(cells))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="all", choices=[*SCENARIOS, "all"])
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds")
    args = parser.parse_args(argv)
    seeds = [int(seed) for seed in args.seeds.split(",")]
    scenarios = [found for seed in seeds for found in build([args.scenario], seed)]
    sys.stdout.write(report(scenarios) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
