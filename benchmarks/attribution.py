"""Attribution: our engine against the common open-source approach, on the same timelines.

For each scenario and rate-limit profile, the simulator plays the same seeded timeline twice,
each time on a fresh fake Discord (80 ms latency, the profile's rate limits): once against
the invite tracker service (in-process, over HTTP) and once against a baseline tracker
written here the way the best-known open trackers work:

- on every member-add event, fetch the guild's invites (hikari's REST client, like the
  service) and diff them with the previous snapshot; credit the first code whose `uses` went
  up; when nothing changed, guess the vanity URL (if the guild has one), else unknown;
- INVITE_CREATE adds the code to the cache, INVITE_DELETE removes it;
- no ledger, no lock, no single flight: concurrent joins fetch concurrently, and a repeated
  member-add is a new join.

Both tables are printed side by side with the differences (ours - baseline). Figures only;
nothing is asserted, and times depend on the machine.

    .venv/bin/python -m benchmarks.attribution [--scenario steady|burst|raid|churn|all]
        [--seed N] [--profile 5-per-1s|5-per-5s|both] [--short] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import hikari

from invite_tracker.simulator.command import (
    PROFILE_CHOICES,
    SCENARIO_CHOICES,
    profiles_of,
    quiet_logs,
    service_options,
)
from invite_tracker.simulator.options import EngineChoices, add_engine_arguments, engine_choices
from invite_tracker.simulator.progress import StderrProgress
from invite_tracker.simulator.report import heading, mistakes, targets
from invite_tracker.simulator.runner import RunResult, run_scenario
from invite_tracker.simulator.scenarios import build
from invite_tracker.simulator.scoring import Outcome, Verdict, percentile
from invite_tracker.simulator.targets import share
from invite_tracker.simulator.tracker import (
    GuildSetup,
    Tracker,
    service_tracker,
)
from invite_tracker.testing.fake_discord import FakeDiscord

MAX_RATE_LIMIT_WAIT = 15.0  # like the service's INVITE_TRACKER_DISCORD_MAX_WAIT_SECONDS
ATTEMPT_TIMEOUT = 5.0


class BaselineTracker:
    """Fetch and diff on every join, as most open-source invite trackers do."""

    name = "baseline"

    def __init__(self, rest: hikari.api.RESTClient, guild_id: int, vanity: str | None) -> None:
        self._rest = rest
        self._guild_id = guild_id
        self._vanity = vanity
        self._cache: dict[str, int] = {}
        self._records: list[Verdict] = []

    async def warm(self) -> None:
        """Cache the invites once, as such bots do when they start."""
        invites = await self._rest.fetch_guild_invites(self._guild_id)
        self._cache = {invite.code: _uses(invite) for invite in invites}

    async def join(self, member_id: int, joined_at: datetime, is_bot: bool) -> Verdict:
        if is_bot:
            return self._record(Verdict(member_id, joined_at, "bot"))
        try:
            invites = await self._rest.fetch_guild_invites(self._guild_id)
        except (hikari.HikariError, TimeoutError):
            return self._record(Verdict(member_id, joined_at, "unknown"))
        previous = self._cache  # read after the fetch, then replaced: no lock
        self._cache = {invite.code: _uses(invite) for invite in invites}
        for invite in invites:
            if _uses(invite) > previous.get(invite.code, 0):
                inviter = invite.inviter.id if invite.inviter is not None else None
                return self._record(
                    Verdict(member_id, joined_at, "invite", invite.code, int(inviter or 0) or None)
                )
        guess = "vanity" if self._vanity else "unknown"
        return self._record(Verdict(member_id, joined_at, guess))

    def _record(self, verdict: Verdict) -> Verdict:
        final = Verdict(
            verdict.member_id,
            verdict.joined_at,
            verdict.join_type,
            verdict.code,
            verdict.inviter_id,
            attributed_at=datetime.now(UTC),
        )
        self._records.append(final)
        return final

    async def leave(self, member_id: int, left_at: datetime) -> None:
        """Leaves change nothing in the attribution."""

    async def invite_created(self, data: Mapping[str, Any]) -> None:
        self._cache.setdefault(str(data["code"]), int(data.get("uses") or 0))

    async def invite_deleted(self, code: str) -> None:
        self._cache.pop(code, None)

    async def staff_delete(self, code: str) -> None:
        await self._rest.delete_invite(code)

    async def verdicts(self) -> list[Verdict]:
        return list(self._records)


def _uses(invite: hikari.Invite) -> int:
    return invite.uses if isinstance(invite, hikari.InviteWithMetadata) else 0


@asynccontextmanager
async def baseline_tracker(fake: FakeDiscord, setup: GuildSetup) -> AsyncIterator[Tracker]:
    """The baseline on its own hikari REST client, pointed at the fake."""
    settings = hikari.impl.HTTPSettings(
        timeouts=hikari.impl.HTTPTimeoutSettings(total=ATTEMPT_TIMEOUT)
    )
    app = hikari.RESTApp(
        url=fake.api_url, http_settings=settings, max_rate_limit=MAX_RATE_LIMIT_WAIT
    )
    await app.start()
    try:
        async with app.acquire(fake.token, hikari.TokenType.BOT) as rest:
            guild = await rest.fetch_guild(setup.guild_id)
            tracker = BaselineTracker(rest, setup.guild_id, guild.vanity_url_code)
            await tracker.warm()
            yield tracker
    finally:
        await app.close()


Metric = tuple[str, Callable[[RunResult], float | None], str]


def _pct(outcome: Outcome) -> Callable[[RunResult], float | None]:
    return lambda result: share(result.tally[outcome], result.joins)


def _of_bound(result: RunResult, bound: int) -> float | None:
    return 100.0 * result.tally[Outcome.CORRECT] / bound if bound else None


def _per_join(count: Callable[[RunResult], int]) -> Callable[[RunResult], float | None]:
    return lambda result: count(result) / result.joins if result.joins else None


METRICS: tuple[Metric, ...] = (
    ("joins", lambda r: float(r.joins), "{:.0f}"),
    ("join records stored", lambda r: float(r.recorded), "{:.0f}"),
    ("correct %", _pct(Outcome.CORRECT), "{:.1f}"),
    ("wrong %", _pct(Outcome.WRONG), "{:.2f}"),
    ("ambiguous %", _pct(Outcome.AMBIGUOUS), "{:.1f}"),
    ("unknown %", _pct(Outcome.UNKNOWN), "{:.1f}"),
    ("pending", lambda r: float(r.tally[Outcome.PENDING]), "{:.0f}"),
    ("bound %", lambda r: share(r.bound, r.joins), "{:.1f}"),
    ("correct / bound %", lambda r: _of_bound(r, r.bound), "{:.1f}"),
    ("bound with its reads %", lambda r: share(r.read_bound, r.joins), "{:.1f}"),
    ("correct / that bound %", lambda r: _of_bound(r, r.read_bound), "{:.1f}"),
    ("invite fetches / join", _per_join(lambda r: r.invite_fetches), "{:.3f}"),
    ("Discord requests / join", _per_join(lambda r: r.requests), "{:.3f}"),
    ("member searches / join", _per_join(lambda r: r.member_searches), "{:.3f}"),
    ("429s received", lambda r: float(r.rate_limited), "{:.0f}"),
    ("p50 join -> final (s)", lambda r: percentile(r.latencies, 0.5), "{:.2f}"),
    ("p95 join -> final (s)", lambda r: percentile(r.latencies, 0.95), "{:.2f}"),
)


def side_by_side(ours: RunResult, baseline: RunResult) -> str:
    """One profile's table: ours, the baseline, and the difference per metric."""
    width = 14
    head = f"{'[' + ours.profile.name + ']':<26}"
    lines = [head + "".join(f"{name:>{width}}" for name in ("ours", "baseline", "difference"))]
    for label, value, fmt in METRICS:
        mine, theirs = value(ours), value(baseline)
        cells = [
            "-" if mine is None else fmt.format(mine),
            "-" if theirs is None else fmt.format(theirs),
            "-"
            if mine is None or theirs is None
            else fmt.replace("{:", "{:+").format(mine - theirs),
        ]
        lines.append(f"{label:<26}" + "".join(f"{cell:>{width}}" for cell in cells))
    return "\n".join(lines)


async def benchmark(
    scenarios: Sequence[str],
    seed: int,
    profile: str,
    *,
    short: bool,
    database_url: str | None,
    choices: EngineChoices = EngineChoices(),
) -> None:
    """Run ours and the baseline on every scenario and profile; print as each finishes."""
    progress = StderrProgress()
    timeout = 15.0 if short else 30.0
    for scenario in build(scenarios, seed, short=short):
        blocks: list[str] = []
        for chosen in profiles_of(profile):
            ours_factory = service_tracker(service_options(chosen, database_url, choices))
            ours = await run_scenario(
                scenario, chosen, ours_factory, progress=progress, settle_timeout=timeout
            )
            theirs = await run_scenario(
                scenario, chosen, baseline_tracker, progress=progress, settle_timeout=timeout
            )
            if not blocks:
                blocks.append(heading(ours))
            blocks.append(side_by_side(ours, theirs))
            blocks.append("ours " + targets(ours, theirs))
            blocks.extend(mistakes(ours))
        sys.stdout.write("\n".join(blocks) + "\n\n")
        sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=SCENARIO_CHOICES, default="all")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", choices=PROFILE_CHOICES, default="both")
    parser.add_argument("--short", action="store_true", help="the short scenarios (seconds)")
    parser.add_argument("--database-url", help="the service's database (default: temp SQLite)")
    add_engine_arguments(parser, "ours: ")
    args = parser.parse_args(argv)
    quiet_logs()
    asyncio.run(
        benchmark(
            [args.scenario],
            args.seed,
            args.profile,
            short=args.short,
            database_url=args.database_url,
            choices=engine_choices(args),
        )
    )


if __name__ == "__main__":
    main()
