"""Running one scenario: the fake Discord, a tracker, the timeline in real time, the score.

The fake Discord runs in-process with 80 ms of latency on every route and the profile's rate
limits. Each action of the timeline happens on the fake at its time (joins count invite uses
exactly as Discord does); the gateway delivers the events it causes to the tracker, late and
reordered. Then the runner waits until every join is final (or a timeout) and compares the
tracker's verdicts with the truth the fake recorded on each member.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from invite_tracker.simulator.gateway import Gateway
from invite_tracker.simulator.model import (
    VANITY,
    CreateInvite,
    DeleteInvite,
    Join,
    Leave,
    Profile,
    Scenario,
)
from invite_tracker.simulator.progress import ProgressSink, Silent, Status
from invite_tracker.simulator.scoring import (
    Outcome,
    Source,
    Tally,
    TruthJoin,
    Verdict,
    bound,
    match,
    read_bound,
    tally,
)
from invite_tracker.simulator.tracker import GuildSetup, Tracker, TrackerFactory
from invite_tracker.testing.fake_discord import ControlError, FakeDiscord, JoinSource, Member

DISCORD_LATENCY = 0.08
"""Seconds added to every answer of the fake Discord, about Discord's own."""
GUILD_INVITES = "GET /guilds/{guild_id}/invites"
MEMBER_SEARCH = "POST /guilds/{guild_id}/members-search"
POLL_FINAL = 0.25


@dataclass(slots=True)
class RunResult:
    """One scenario, one profile, one tracker: the figures of a table column."""

    scenario: Scenario
    profile: Profile
    tracker: str
    tally: Tally
    bound: int
    read_bound: int  # what the tracker's own reads of the invite list allowed (`read_bound`)
    invite_fetches: int
    requests: int
    rate_limited: int
    latencies: list[float]
    elapsed: float
    recorded: int = 0  # joins the tracker stored (a tracker that double-counts repeats shows it)
    reads: list[datetime] = field(default_factory=list)  # when the invite list reads were answered
    requests_by_route: dict[str, int] = field(default_factory=dict)
    event_errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def joins(self) -> int:
        """True joins (a repeated member-add counts once)."""
        return self.tally.joins

    @property
    def member_searches(self) -> int:
        """Questions to Discord's member search (`--member-search`)."""
        return self.requests_by_route.get(MEMBER_SEARCH, 0)


@dataclass(slots=True)
class _World:
    setup: GuildSetup
    people: list[int]
    started_wall: datetime = field(default_factory=lambda: datetime.now(UTC))
    started: float = 0.0


async def build_world(fake: FakeDiscord, scenario: Scenario) -> _World:
    """The guild before the timeline starts: people, members, invites, the vanity URL."""
    # a Community guild: Discord's member search answers for it (`--member-search`)
    guild = await fake.create_guild(f"simulated {scenario.name}", features=["COMMUNITY"])
    channel = await fake.create_channel(guild.id, "welcome")
    people = []
    for person in range(scenario.people):
        user = await fake.create_user(f"p{person}", bot=person in scenario.bots)
        people.append(user.id)
        if person < scenario.members:
            await fake.add_member(guild.id, user.id)
    for spec in scenario.invites:
        await fake.create_invite(
            channel.id,
            inviter_id=people[spec.inviter],
            max_age=spec.max_age,
            max_uses=spec.max_uses,
            code=spec.code,
        )
    if scenario.vanity is not None:
        await fake.set_vanity(guild.id, scenario.vanity)
    setup = GuildSetup(guild.id, channel.id, scenario.vanity, scenario.prevent_own_invite_code)
    return _World(setup, people)


async def run_scenario(
    scenario: Scenario,
    profile: Profile,
    tracker_factory: TrackerFactory,
    *,
    progress: ProgressSink | None = None,
    settle_timeout: float = 30.0,
) -> RunResult:
    """Play the scenario against a fresh fake Discord and the tracker; score the outcome."""
    progress = progress or Silent()
    async with FakeDiscord.running(profile=profile.fake_profile, seed=scenario.seed) as fake:
        fake.add_latency(DISCORD_LATENCY)
        world = await build_world(fake, scenario)
        async with tracker_factory(fake, world.setup) as tracker:
            progress.begin(f"{scenario.name} [{profile.name}] {tracker.name}")
            player = _Player(fake, scenario, world, tracker, progress)
            result = await player.play(profile, settle_timeout)
    progress.end(
        f"{result.joins} joins, {result.tally[Outcome.CORRECT]} correct, "
        f"{result.tally[Outcome.WRONG]} wrong, {result.elapsed:.1f} s"
    )
    return result


class _Player:
    """Plays one timeline on the fake and through the gateway, and keeps the truth."""

    def __init__(
        self,
        fake: FakeDiscord,
        scenario: Scenario,
        world: _World,
        tracker: Tracker,
        progress: ProgressSink,
    ) -> None:
        self.fake = fake
        self.scenario = scenario
        self.world = world
        self.tracker = tracker
        self.progress = progress
        self.truths: list[TruthJoin] = []
        self.skipped: list[str] = []
        self.final = 0
        self.phase = "playing"
        self.gateway: Gateway | None = None

    async def play(self, profile: Profile, settle_timeout: float) -> RunResult:
        since = len(await self.fake.events())
        gateway = Gateway(
            self.fake,
            self.world.setup.guild_id,
            self.tracker,
            since=since,
            seed=self.scenario.seed,
            jitter=self.scenario.jitter,
        )
        self.gateway = gateway
        self.fake.reset_stats()
        self.world.started = time.monotonic()
        self.world.started_wall = self.fake.now()
        gateway.start()
        ticker = asyncio.create_task(self._tick())
        try:
            for action in self.scenario.actions:
                wait = self.world.started + action.at - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                await self._perform(gateway, action)
                await gateway.pull()
            self.phase = "settling"
            ended = time.monotonic()
            abandoned = await gateway.drain(settle_timeout)
            if abandoned:
                gateway.deliveries.errors.append(
                    f"{abandoned} events still unanswered {settle_timeout:g} s after the end"
                )
            left = settle_timeout - (time.monotonic() - ended)
            verdicts = await self._settle(max(left, 2 * POLL_FINAL))
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await gateway.close()
        return self._score(profile, verdicts, gateway)

    async def _perform(
        self, gateway: Gateway, action: Join | Leave | CreateInvite | DeleteInvite
    ) -> None:
        people = self.world.people
        try:
            if isinstance(action, Join):
                key = ("GUILD_MEMBER_ADD", str(people[action.person]))
                repeat = (
                    () if action.repeat_after is None else (action.delay + action.repeat_after,)
                )
                gateway.plan(key, action.delay, *repeat)
                self.truths.append(self._truth(action, await self._join(action)))
            elif isinstance(action, Leave):
                key = ("GUILD_MEMBER_REMOVE", str(people[action.person]))
                gateway.plan(key, action.delay)
                await self.fake.leave(self.world.setup.guild_id, people[action.person])
            elif isinstance(action, CreateInvite):
                key = ("INVITE_CREATE", action.invite.code)
                gateway.plan(key, action.delay)
                spec = action.invite
                await self.fake.create_invite(
                    self.world.setup.channel_id,
                    inviter_id=people[spec.inviter],
                    max_age=spec.max_age,
                    max_uses=spec.max_uses,
                    code=spec.code,
                )
            else:
                key = ("INVITE_DELETE", action.code)
                gateway.plan(key, action.delay)
                if action.by_staff:
                    gateway.spawn(self.tracker.staff_delete(action.code), "staff deletion")
                else:
                    await self.fake.delete_invite(action.code)
        except ControlError as exc:
            gateway.unplan(key)
            self.skipped.append(f"{action.at:.3f} s {type(action).__name__}: {exc}")

    async def _join(self, action: Join) -> Member:
        guild_id = self.world.setup.guild_id
        user_id = self.world.people[action.person]
        if action.via == VANITY:
            return await self.fake.join_via_vanity(guild_id, user_id)
        if action.via is None:
            return await self.fake.join_without_invite(guild_id, user_id)
        return await self.fake.join_via_invite(guild_id, user_id, action.via)

    def _truth(self, action: Join, member: Member) -> TruthJoin:
        offset = (member.joined_at - self.world.started_wall).total_seconds()
        source = {
            JoinSource.INVITE: Source.INVITE,
            JoinSource.VANITY: Source.VANITY,
        }.get(member.source, Source.NONE)
        return TruthJoin(
            member_id=member.user_id,
            joined_at=member.joined_at,
            offset=offset,
            source=Source.BOT if action.bot else source,
            code=member.invite_code,
            inviter_id=member.inviter_id,
        )

    async def _settle(self, limit: float) -> list[Verdict]:
        """Poll the tracker's verdicts until every join is final, or the timeout."""
        deadline = time.monotonic() + limit
        while True:
            verdicts = await self.tracker.verdicts()
            pairs = match(self.truths, verdicts)
            self.final = sum(1 for _, verdict in pairs if verdict is not None and verdict.final)
            if self.final == len(self.truths) or time.monotonic() >= deadline:
                return verdicts
            await asyncio.sleep(POLL_FINAL)

    async def _tick(self) -> None:
        while True:
            deliveries = self.gateway.deliveries if self.gateway else None
            delivered = len(deliveries.first_delivery) if deliveries else 0
            answered = len(deliveries.answers) if deliveries else 0
            self.progress.update(
                Status(
                    phase=self.phase,
                    delivered=delivered,
                    final=max(self.final, answered),
                    total=len(self.scenario.joins),
                    elapsed=time.monotonic() - self.world.started,
                )
            )
            await asyncio.sleep(0.25)

    def _reads(self) -> list[datetime]:
        """When the fake answered the tracker's reads of the guild's invite list."""
        return list(self.fake.world.guild(self.world.setup.guild_id).invite_list_reads)

    def _score(self, profile: Profile, verdicts: list[Verdict], gateway: Gateway) -> RunResult:
        stats = self.fake.stats
        pairs = match(self.truths, verdicts)
        deliveries = gateway.deliveries
        latencies = []
        for truth, verdict in pairs:
            key = (truth.member_id, truth.joined_at)
            delivered = deliveries.first_delivery.get(key)
            if delivered is None or verdict is None or not verdict.final:
                continue
            answered = deliveries.answers.get(key)
            decided = verdict.attributed_at or (answered[1] if answered else None)
            if decided is not None:
                latencies.append(max(0.0, (decided - delivered).total_seconds()))
        reads = self._reads()
        return RunResult(
            scenario=self.scenario,
            profile=profile,
            tracker=self.tracker.name,
            tally=tally(pairs),
            bound=bound(self.truths, profile.fetch_window),
            read_bound=read_bound(self.truths, reads),
            invite_fetches=stats.requests.get(GUILD_INVITES, 0),
            requests=stats.total_requests,
            rate_limited=stats.total_rate_limited,
            latencies=latencies,
            elapsed=time.monotonic() - self.world.started,
            recorded=len(verdicts),
            reads=reads,
            requests_by_route=dict(stats.requests),
            event_errors=list(deliveries.errors),
            skipped=self.skipped,
        )
