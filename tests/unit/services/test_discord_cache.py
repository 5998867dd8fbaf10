"""The Discord read cache: single flight, expiry, failures not cached."""

from __future__ import annotations

import asyncio

import pytest

from invite_tracker.domain.cross_check import JoinSourceType, MemberSource
from invite_tracker.domain.errors import DiscordUnavailable, SearchNotReady
from invite_tracker.services.discord_cache import CachedDiscord
from tests.unit.services.fakes import FakeDiscordPort


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_concurrent_reads_share_one_request() -> None:
    port = FakeDiscordPort()
    cached = CachedDiscord(port, ttl=60)
    results = await asyncio.gather(*(cached.guild(1) for _ in range(50)))
    assert {r.id for r in results} == {1}
    assert port.reads == [("guild", 1)]


async def test_entries_expire() -> None:
    port, clock = FakeDiscordPort(), Clock()
    cached = CachedDiscord(port, ttl=10, clock=clock)
    await cached.member(1, 2)
    clock.now = 9.9
    await cached.member(1, 2)
    clock.now = 10.1
    await cached.member(1, 2)
    await cached.member(1, 3)
    assert port.reads == [("member", 2), ("member", 2), ("member", 3)]


async def test_failures_reach_every_waiter_and_are_not_cached() -> None:
    port = FakeDiscordPort(fail_reads=True)
    cached = CachedDiscord(port, ttl=60)
    results = await asyncio.gather(*(cached.guild(1) for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, DiscordUnavailable) for r in results)
    assert len(port.reads) == 1
    port.fail_reads = False
    assert (await cached.guild(1)).id == 1
    assert len(port.reads) == 2


async def test_writes_are_not_cached() -> None:
    port = FakeDiscordPort()
    cached = CachedDiscord(port, ttl=60)
    await cached.delete_invite("a")
    await cached.delete_invite("a")
    assert port.deleted == ["a", "a"]


@pytest.mark.parametrize("ttl", [0.0])
async def test_zero_ttl_still_coalesces_concurrent_reads(ttl: float) -> None:
    port = FakeDiscordPort()
    cached = CachedDiscord(port, ttl=ttl)
    await asyncio.gather(cached.guild(1), cached.guild(1))
    await cached.guild(1)
    assert len(port.reads) == 2


async def test_member_search_passes_straight_on() -> None:
    source = MemberSource(2, None, JoinSourceType.DISCOVERY)
    port = FakeDiscordPort(sources=[source])
    cached = CachedDiscord(port, ttl=60)
    assert await cached.member_sources(1, [2, 3]) == (source,)
    assert await cached.member_sources(1, [2, 3]) == (source,)
    assert port.searches == [(1, (2, 3)), (1, (2, 3))]  # each asked Discord: nothing cached
    port.search_not_ready = 5.0
    with pytest.raises(SearchNotReady):
        await cached.member_sources(1, [2])
