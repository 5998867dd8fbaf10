"""What a scenario is: the guild before it starts, and a timeline of actions whose truth is known.

People are numbered: `0 .. members - 1` are members before the start (the inviters among
them), the others join during the timeline. Invite codes are chosen by the scenario, so the
same seed always plays the same timeline. Every action carries the gateway delay of the event
it causes, so the reordering is part of the scenario too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

VANITY = "vanity"
"""`Join.via` for a join through the guild's vanity URL."""
NO_INVITE = None
"""`Join.via` for a join through no invite (server discovery, an OAuth2 add)."""


@dataclass(frozen=True, slots=True)
class InviteSpec:
    """An invite as the scenario creates it."""

    code: str
    inviter: int
    max_uses: int = 0  # 0: unlimited
    max_age: int = 0  # seconds; 0: never expires


@dataclass(frozen=True, slots=True)
class Join:
    """A person joins: through an invite code, the vanity URL, or nothing (`None`)."""

    at: float
    person: int
    via: str | None
    delay: float  # gateway delay of the GUILD_MEMBER_ADD event
    repeat_after: float | None = None  # the event is delivered again this much later
    bot: bool = False


@dataclass(frozen=True, slots=True)
class Leave:
    """A member leaves (GUILD_MEMBER_REMOVE)."""

    at: float
    person: int
    delay: float


@dataclass(frozen=True, slots=True)
class CreateInvite:
    """A member creates an invite (INVITE_CREATE)."""

    at: float
    invite: InviteSpec
    delay: float


@dataclass(frozen=True, slots=True)
class DeleteInvite:
    """Staff delete an invite: through the tracker's own API, or out of band on Discord."""

    at: float
    code: str
    by_staff: bool
    delay: float


Action = Join | Leave | CreateInvite | DeleteInvite


@dataclass(frozen=True, slots=True)
class Scenario:
    """A guild and a timeline; `actions` are sorted by time (seconds from the start)."""

    name: str
    seed: int
    short: bool
    people: int
    members: int
    invites: tuple[InviteSpec, ...]
    actions: tuple[Action, ...]
    jitter: tuple[float, float]  # delay range of events no action plans (used up, expired)
    vanity: str | None = None
    prevent_own_invite_code: bool = False
    bots: frozenset[int] = field(default_factory=frozenset)
    description: str = ""

    @property
    def joins(self) -> list[Join]:
        """The joins of the timeline, in order."""
        return [action for action in self.actions if isinstance(action, Join)]

    @property
    def duration(self) -> float:
        """Seconds from the start to the last action."""
        return self.actions[-1].at if self.actions else 0.0


ProfileName = Literal["5-per-1s", "5-per-5s"]


@dataclass(frozen=True, slots=True)
class Profile:
    """A rate-limit profile of the fake Discord and the shortest time between two fetches."""

    name: ProfileName
    fake_profile: str
    fetch_window: float


PROFILES: dict[str, Profile] = {
    "5-per-1s": Profile("5-per-1s", "invites-5-per-1s", 0.2),
    "5-per-5s": Profile("5-per-5s", "strict", 1.0),
}
"""The two profiles issue 4 reports: the invite-list bucket at 5 per second (Discord's), and
`strict` (5 per 5 s on every route)."""


def sorted_actions(actions: Sequence[Action]) -> tuple[Action, ...]:
    """Actions in time order (stable, so actions at one instant keep their order)."""
    return tuple(sorted(actions, key=lambda action: action.at))


def check_timeline(scenario: Scenario) -> list[str]:
    """Problems that would make the timeline impossible on Discord (empty when it is sound).

    Replays the actions on a tiny model: who is a member, which invites are live (uses,
    `max_uses`, expiry), so a generator can be tested without a fake Discord.
    """
    problems: list[str] = []
    members = set(range(scenario.members))
    live: dict[str, tuple[InviteSpec, float, int]] = {}  # code -> (spec, created, uses)
    for spec in scenario.invites:
        live[spec.code] = (spec, float("-inf"), 0)
    previous = float("-inf")
    for action in scenario.actions:
        if action.at < previous:
            problems.append(f"actions out of order at {action.at:.3f}")
        previous = action.at
        _expire(live, action.at)
        if isinstance(action, Join):
            problems.extend(_check_join(scenario, action, members, live))
        elif isinstance(action, Leave):
            if action.person not in members:
                problems.append(f"{action.at:.3f}: person {action.person} leaves, not a member")
            members.discard(action.person)
        elif isinstance(action, CreateInvite):
            if action.invite.inviter not in members:
                problems.append(f"{action.at:.3f}: invite by non-member {action.invite.inviter}")
            if action.invite.code in live:
                problems.append(f"{action.at:.3f}: code {action.invite.code} already live")
            live[action.invite.code] = (action.invite, action.at, 0)
        elif live.pop(action.code, None) is None:
            problems.append(f"{action.at:.3f}: deleting {action.code}, which is not live")
    return problems


EXPIRY_MARGIN = 0.5
"""A join must come at least this long before its invite expires (real time is not exact)."""


def _expire(live: dict[str, tuple[InviteSpec, float, int]], now: float) -> None:
    for code, (spec, created, _) in list(live.items()):
        if spec.max_age and now >= created + spec.max_age:
            del live[code]


def _check_join(
    scenario: Scenario,
    action: Join,
    members: set[int],
    live: dict[str, tuple[InviteSpec, float, int]],
) -> list[str]:
    problems = []
    if not 0 <= action.person < scenario.people:
        problems.append(f"{action.at:.3f}: unknown person {action.person}")
    if action.person in members:
        problems.append(f"{action.at:.3f}: person {action.person} joins, already a member")
    members.add(action.person)
    if action.bot != (action.person in scenario.bots):
        problems.append(f"{action.at:.3f}: person {action.person} bot flag differs")
    if action.via == VANITY:
        if scenario.vanity is None:
            problems.append(f"{action.at:.3f}: vanity join without a vanity URL")
        return problems
    if action.via is None:
        return problems
    found = live.get(action.via)
    if found is None:
        problems.append(f"{action.at:.3f}: join through {action.via}, which is not live")
        return problems
    spec, created, uses = found
    if spec.max_age and action.at > created + spec.max_age - EXPIRY_MARGIN:
        problems.append(f"{action.at:.3f}: join through {action.via} too close to its expiry")
    uses += 1
    if spec.max_uses and uses >= spec.max_uses:
        del live[action.via]
    else:
        live[action.via] = (spec, created, uses)
    return problems
