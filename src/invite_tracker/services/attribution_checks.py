"""Asking Discord's member search about the joins the invite counts left ambiguous.

Optional and off by default (`EngineConfig.member_search`): the route is undocumented, works
only in Community guilds, and may change without notice. When it is on, the engine does not
store an ambiguous decision for a known member at once: it holds the join (still `pending`,
with its candidates, see `JoinStore.hold`) and this checker asks the search about it once
Discord has had time to index the member. The answer settles the join only when it names one
of the candidates for that very membership (`domain.cross_check`); otherwise, or when the
search cannot answer within the patience, the join is decided ambiguous as the counts said.
Held joins are in the database, so a restart resumes asking about them. A guild the search
refused (403) is not asked about again for a while (`member_search_refusal_pause`): Discord
bans an address after 10,000 invalid requests in ten minutes, and its joins are decided as
the counts said meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import structlog

from invite_tracker.discord.port import DiscordPort
from invite_tracker.domain.cross_check import (
    NOT_LISTED,
    MemberSource,
    as_counted,
    cross_check,
    describes,
)
from invite_tracker.domain.decisions import Decision
from invite_tracker.domain.errors import DiscordUnavailable, SearchNotReady, Unprocessable
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.joins import JoinRecord
from invite_tracker.services.attribution_pacing import (
    EngineConfig,
    EngineStats,
    GuildAttribution,
    still_refused,
)
from invite_tracker.services.attribution_store import ASKING, store_decisions
from invite_tracker.services.ports import Storage

log = structlog.get_logger(__name__)

LEFT = "the member left before Discord's member search was asked"
SEARCH_GAP = 0.5
"""Seconds between two searches of one guild: joins coming due meanwhile share the next."""


class HeldJoins:
    """One guild's held joins, asked about until settled (see the module docstring)."""

    def __init__(
        self,
        storage: Storage,
        discord: DiscordPort | None,
        config: EngineConfig,
        attributor: GuildAttribution,
        *,
        clock: Callable[[], datetime],
        announce: Callable[[int, list[JoinRecord]], None],
        stats: EngineStats,
    ) -> None:
        self._storage = storage
        self._discord = discord
        self._config = config
        self._attributor = attributor
        self._clock = clock
        self._announce = announce
        self._stats = stats
        self._next: dict[int, datetime] = {}  # join id: when to ask about it again
        self._failure: dict[int, str] = {}  # join id: why the last search did not answer it

    async def run(self, stopping: asyncio.Event) -> None:
        """Until no join of the guild is held (or the engine stops: it sets `checks_wake`)."""
        wake = self._attributor.checks_wake
        last_search = -SEARCH_GAP
        while not stopping.is_set():
            wake.clear()
            async with self._storage.reading() as uow:
                held = await uow.joins.held(self._attributor.guild_id)
            if not held:
                return
            if not self._config.member_search or self._discord is None:
                # switched off since they were held: decide them as the counts did
                await self._settle([_as_counted(join, "") for join in held])
                continue
            now = self._clock()
            refused = self._refused(now)
            if refused:  # asking again this soon would only add to Discord's invalid requests
                await self._settle([_as_counted(join, refused) for join in held])
                continue
            pause = min((self._due_at(join) - now).total_seconds() for join in held)
            since = time.monotonic() - last_search
            if pause <= 0 and since >= SEARCH_GAP:
                last_search = time.monotonic()
                await self._ask([join for join in held if self._due_at(join) <= now], now)
                pause = SEARCH_GAP
            else:
                pause = max(pause, SEARCH_GAP - since)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), max(pause, 0.001))

    def _refused(self, now: datetime) -> str:
        """Why the search is not asked about the guild now (it refused lately), or ""."""
        return still_refused(self._attributor.search_refused, now)

    def _due_at(self, join: JoinRecord) -> datetime:
        """When to ask about the join next, or to give up on it (whichever comes first)."""
        return min(self._asking_at(join), self._give_up_at(join))

    def _asking_at(self, join: JoinRecord) -> datetime:
        first = join.joined_at + timedelta(seconds=self._config.member_search_delay)
        return self._next.get(join.id, first)

    def _give_up_at(self, join: JoinRecord) -> datetime:
        return join.joined_at + timedelta(seconds=self._config.member_search_patience)

    async def _ask(self, due: Sequence[JoinRecord], now: datetime) -> None:
        """One search for every due join; settle those it answers, or that waited enough."""
        assert self._discord is not None
        decided: list[Decision] = []
        asking: list[JoinRecord] = []
        for join in due:
            if join.left_at is not None or join.member_id is None:
                # the search lists members only: about one who left it cannot say
                decided.append(_as_counted(join, LEFT if join.left_at else NOT_LISTED))
            elif self._asking_at(join) > now:  # out of patience before Discord said to ask again
                decided.append(_as_counted(join, self._failure.get(join.id, NOT_LISTED)))
            else:
                asking.append(join)
        retry = now + timedelta(seconds=self._config.member_search_retry)
        found: dict[int, MemberSource] = {}
        try:
            if asking:
                self._stats.member_searches += 1
                members = sorted({join.member_id for join in asking if join.member_id})
                sources = await self._discord.member_sources(self._attributor.guild_id, members)
                found = {source.member_id: source for source in sources}
                for join in asking:
                    self._failure.pop(join.id, None)
        except SearchNotReady as exc:
            retry = max(retry, now + timedelta(seconds=exc.retry_after))
            self._failed(asking, "Discord's member search has not indexed the guild yet")
        except Unprocessable as exc:
            # refused for good (not a Community guild, a permission missing): say so
            log.warning("member_search_refused", guild_id=str(self._attributor.guild_id))
            why = f"Discord's member search refused: {exc.reason}"
            pause = timedelta(seconds=self._config.member_search_refusal_pause)
            self._attributor.search_refused = (now + pause, why)
            decided.extend(_as_counted(join, why) for join in asking)
            asking = []
        except DiscordUnavailable as exc:
            self._failed(asking, f"Discord's member search failed: {exc.message}")
        for join in asking:
            source = found.get(join.member_id) if join.member_id is not None else None
            answered = source is not None and describes(source, join.joined_at)
            if not answered and now < self._give_up_at(join):
                self._next[join.id] = retry
            elif join.id in self._failure:
                decided.append(_as_counted(join, self._failure[join.id]))
            else:
                decision = cross_check(
                    _as_counted(join, ""),
                    join.joined_at,
                    source,
                    vanity_code=self._attributor.vanity_code,
                )
                if decision.join_type is not JoinType.AMBIGUOUS:
                    self._stats.cross_checked += 1
                decided.append(decision)
        await self._settle(decided)

    def _failed(self, due: Sequence[JoinRecord], why: str) -> None:
        for join in due:
            self._failure[join.id] = why

    async def _settle(self, decisions: list[Decision]) -> None:
        if not decisions:
            return
        decisions = await self._with_known_inviters(decisions)
        stored = await store_decisions(
            self._storage,
            self._attributor.guild_id,
            decisions,
            baseline=None,
            invites=None,
            now=self._clock(),
        )
        for decision in decisions:
            if isinstance(decision.key, int):
                self._next.pop(decision.key, None)
                self._failure.pop(decision.key, None)
        self._stats.decisions += len(stored.decided)
        if stored.decided:
            self._announce(self._attributor.guild_id, stored.decided)

    async def _with_known_inviters(self, decisions: list[Decision]) -> list[Decision]:
        """An invite the search names without its inviter is credited to the inviter this
        service knows for it (from Discord's invite list), if any."""
        codes = {d.code for d in decisions if _lacks_inviter(d)}
        if not codes:
            return decisions
        inviters: dict[str | None, int] = {}
        async with self._storage.reading() as uow:
            for code in codes:
                assert code is not None  # an invite decision names its code
                known = await uow.invites.get(self._attributor.guild_id, code)
                if known is not None and known.inviter_id is not None:
                    inviters[code] = known.inviter_id
        return [
            replace(d, inviter_id=inviters[d.code])
            if _lacks_inviter(d) and d.code in inviters
            else d
            for d in decisions
        ]


def _lacks_inviter(decision: Decision) -> bool:
    """An invite the search named without saying who created it."""
    return decision.join_type is JoinType.INVITE and not decision.inviter_id


def ensure_checking(
    attributor: GuildAttribution, stopping: asyncio.Event, held: Callable[[], HeldJoins]
) -> None:
    """Make sure a checker (made by `held`) asks about the guild's held joins: wake the one
    running, or start one (not while the engine stops)."""
    if stopping.is_set():
        return
    attributor.checks_wake.set()
    if attributor.checker is not None and not attributor.checker.done():
        return
    attributor.checker = asyncio.create_task(
        _check(held(), attributor.guild_id, stopping), name=f"member-search-{attributor.guild_id}"
    )


async def _check(held: HeldJoins, guild_id: int, stopping: asyncio.Event) -> None:
    try:
        await held.run(stopping)
    except asyncio.CancelledError:
        raise
    except Exception:  # the joins stay held: the next start, or the next owner, resumes
        log.exception("member_search_failed", guild_id=str(guild_id))


def _as_counted(join: JoinRecord, why: str) -> Decision:
    """The held join's decision as the invite counts made it, and why the search did not
    change it (if it says)."""
    reason = (join.reason or "").removesuffix(ASKING)
    if why:
        reason = f"{reason}; {why}" if reason else why
    return as_counted(join.id, join.candidates, reason)
