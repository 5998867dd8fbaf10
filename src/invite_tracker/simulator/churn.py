"""The *churn* scenario: everything that makes invite counts hard to read, at once.

Built from independent episodes placed at random over the timeline, each with its own people
and invites, so they overlap freely without contradicting one another:

- regular joins through long-lived invites, vanity joins, discovery joins (no invite), bots;
- single-use invites created (INVITE_CREATE forwarded) and used up between two fetches;
- invites that expire a few seconds after being used;
- invites used and then deleted by staff, through the tracker's DELETE /invite or out of band;
- rejoins (join, leave, join again) and own-invite joins (a member creates an invite, leaves,
  and comes back through it, with `prevent_own_invite_code` on);
- duplicated member-add events (one join, the event delivered twice).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from invite_tracker.simulator.draw import code_of, delay, instant
from invite_tracker.simulator.model import (
    VANITY,
    Action,
    CreateInvite,
    DeleteInvite,
    InviteSpec,
    Join,
    Leave,
    Scenario,
    sorted_actions,
)

BASE_INVITERS = 4


@dataclass(frozen=True, slots=True)
class ChurnSize:
    """How many of each episode a churn timeline has."""

    duration: float
    base_invites: int
    regular: int
    vanity: int
    discovery: int
    bots: int
    single_use: int
    expiring: int
    staff_deleted: int
    deleted_out_of_band: int
    rejoins: int
    own_invite: int
    duplicate_share: float = 0.1


FULL = ChurnSize(75.0, 6, 70, 12, 10, 3, 10, 4, 4, 3, 6, 3)
SHORT = ChurnSize(7.0, 3, 10, 3, 2, 1, 2, 1, 1, 1, 2, 1)


class _Builder:
    """Hands out people and codes and collects the episodes' actions."""

    def __init__(self, seed: int, size: ChurnSize, jitter: tuple[float, float]) -> None:
        self.rng = random.Random(f"churn:{seed}")
        self.seed = seed
        self.size = size
        self.jitter = jitter
        self.actions: list[Action] = []
        self.bots: set[int] = set()
        self.own_inviters = list(range(BASE_INVITERS, BASE_INVITERS + size.own_invite))
        self.members = BASE_INVITERS + size.own_invite
        self.people = self.members
        self.codes = 0
        self.quick = size.duration < 20  # the short variant: episodes run faster
        self.base = tuple(self.invite() for _ in range(size.base_invites))

    def person(self) -> int:
        self.people += 1
        return self.people - 1

    def invite(self, **limits: int) -> InviteSpec:
        self.codes += 1
        inviter = self.rng.randrange(BASE_INVITERS)
        return InviteSpec(code_of("churn", self.seed, self.codes - 1), inviter, **limits)

    def start(self, length: float) -> float:
        """When an episode of `length` seconds may start so that it ends in time."""
        return instant(self.rng, 0.3, max(0.3, self.size.duration - length))

    def join(self, at: float, person: int, via: str | None, *, bot: bool = False) -> None:
        self.actions.append(Join(at, person, via, delay(self.rng, self.jitter), bot=bot))

    def create(self, at: float, invite: InviteSpec) -> None:
        self.actions.append(CreateInvite(at, invite, delay(self.rng, self.jitter)))

    def base_code(self) -> str:
        return self.rng.choice(self.base).code

    # episodes ------------------------------------------------------------------------------

    def plain_joins(self) -> None:
        size = self.size
        for _ in range(size.regular):
            self.join(self.start(0), self.person(), self.base_code())
        for _ in range(size.vanity):
            self.join(self.start(0), self.person(), VANITY)
        for _ in range(size.discovery):
            self.join(self.start(0), self.person(), None)
        for _ in range(size.bots):
            bot = self.person()
            self.bots.add(bot)
            self.join(self.start(0), bot, None, bot=True)

    def single_use(self) -> None:
        at = self.start(2)
        invite = self.invite(max_uses=1)
        self.create(at, invite)
        self.join(instant(self.rng, at + 0.3, at + 1.5), self.person(), invite.code)

    def expiring(self) -> None:
        age = self.rng.randint(4, 6) if self.quick else self.rng.randint(6, 10)
        at = self.start(age)
        invite = self.invite(max_age=age)
        self.create(at, invite)
        for _ in range(self.rng.randint(1, 2) if self.quick else 3):
            self.join(instant(self.rng, at + 0.5, at + age - 1.5), self.person(), invite.code)

    def deleted(self, *, by_staff: bool) -> None:
        at = self.start(6)
        invite = self.invite(max_uses=self.rng.choice((0, 10)))
        self.create(at, invite)
        last = at
        for _ in range(self.rng.randint(1, 2)):
            last = max(last, instant(self.rng, at + 0.5, at + 2.5))
            self.join(last, self.person(), invite.code)
        gone = instant(self.rng, last + 1.0, last + 2.5)
        self.actions.append(DeleteInvite(gone, invite.code, by_staff, delay(self.rng, self.jitter)))

    def rejoin(self) -> None:
        low, high = (0.8, 2.0) if self.quick else (1.5, 4.0)
        at = self.start(2 * high)
        person = self.person()
        self.join(at, person, self.base_code())
        left = instant(self.rng, at + low, at + high)
        self.actions.append(Leave(left, person, delay(self.rng, self.jitter)))
        again = instant(self.rng, left + low, left + high)
        self.join(again, person, self.rng.choice((self.base_code(), VANITY)))

    def own_invite(self, person: int) -> None:
        at = self.start(5)
        invite = InviteSpec(code_of("churn", self.seed, self.codes), person)
        self.codes += 1
        self.create(at, invite)
        left = instant(self.rng, at + 0.5, at + 1.5)
        self.actions.append(Leave(left, person, delay(self.rng, self.jitter)))
        self.join(instant(self.rng, left + 1.0, left + 2.5), person, invite.code)

    def duplicate_some(self) -> None:
        """Deliver some member-adds twice; never one followed by a leave. (A repeat after
        the leave is a repeat too, by its `joined_at`, and the HTTP tests cover it; leaving
        it out keeps every seed's timeline as earlier benchmark runs played it.)"""
        last_leave = {a.person: a.at for a in self.actions if isinstance(a, Leave)}
        for index, action in enumerate(self.actions):
            if not isinstance(action, Join) or action.at < last_leave.get(action.person, -1.0):
                continue
            if self.rng.random() < self.size.duplicate_share:
                again = round(self.rng.uniform(0.1, 1.5), 3)
                self.actions[index] = replace(action, repeat_after=again)


def churn(seed: int, short: bool = False, *, jitter: tuple[float, float]) -> Scenario:
    """The churn timeline for a seed (about 140 joins in 75 s; about 28 in 7 s when short)."""
    size = SHORT if short else FULL
    builder = _Builder(seed, size, jitter)
    builder.plain_joins()
    for _ in range(size.single_use):
        builder.single_use()
    for _ in range(size.expiring):
        builder.expiring()
    for _ in range(size.staff_deleted):
        builder.deleted(by_staff=True)
    for _ in range(size.deleted_out_of_band):
        builder.deleted(by_staff=False)
    for _ in range(size.rejoins):
        builder.rejoin()
    for person in builder.own_inviters:
        builder.own_invite(person)
    builder.duplicate_some()
    actions = sorted_actions(builder.actions)
    joins = sum(1 for action in actions if isinstance(action, Join))
    return Scenario(
        name="churn",
        seed=seed,
        short=short,
        people=builder.people,
        members=builder.members,
        invites=builder.base,
        actions=actions,
        jitter=jitter,
        vanity=f"churn{seed}vanity",
        prevent_own_invite_code=True,
        bots=frozenset(builder.bots),
        description=f"{joins} joins in {size.duration:g} s: invites created, used up, "
        "expiring and deleted; vanity, discovery, bots, rejoins, own invites, repeated events",
    )
