"""The adapter's `member_sources` through hikari against the fake's member search."""

from __future__ import annotations

from typing import cast

import hikari
import pytest
from structlog.testing import capture_logs

from invite_tracker.discord import member_search
from invite_tracker.discord.rest import DiscordLimits, HikariDiscord
from invite_tracker.domain.cross_check import JoinSourceType, MemberSource
from invite_tracker.domain.errors import DiscordUnavailable, SearchNotReady, Unprocessable
from invite_tracker.testing.fake_discord import FakeDiscord, Guild, Invite, User
from tests.integration.discord.conftest import TOKEN, Spec
from tests.integration.discord.member_search_shapes import MEMBER_SEARCH_ROUTE, SEARCH_REQUEST


@pytest.fixture
async def community(fake: FakeDiscord) -> Guild:
    """A Community guild on a frozen clock (the search's index lag is then exact)."""
    await fake.set_clock(fake.now())
    return await fake.create_guild("Community", features=["COMMUNITY"])


@pytest.fixture
async def alice(fake: FakeDiscord, community: Guild) -> User:
    user = await fake.create_user("alice")
    await fake.add_member(community.id, user.id)
    return user


@pytest.fixture
async def invite(fake: FakeDiscord, community: Guild, alice: User) -> Invite:
    channel = await fake.create_channel(community.id, "general")
    return await fake.create_invite(channel.id, inviter_id=alice.id)


async def _members(fake: FakeDiscord, guild: Guild, count: int) -> list[int]:
    ids = []
    for index in range(count):
        user = await fake.create_user(f"member{index}")
        ids.append((await fake.join_without_invite(guild.id, user.id)).user_id)
    return ids


async def test_member_sources_maps_every_field(
    fake: FakeDiscord,
    community: Guild,
    alice: User,
    invite: Invite,
    adapter: HikariDiscord,
    spec: Spec,
) -> None:
    await fake.set_vanity(community.id, "community")
    bob, carol, dave, gone = [await fake.create_user(n) for n in ("bob", "carol", "dave", "gone")]
    by_invite = await fake.join_via_invite(community.id, bob.id, invite.code)
    by_vanity = await fake.join_via_vanity(community.id, carol.id)
    by_discovery = await fake.join_without_invite(community.id, dave.id)
    await fake.join_without_invite(community.id, gone.id)
    await fake.leave(community.id, gone.id)
    await fake.advance_clock(1.0)
    late = await fake.create_user("late")
    await fake.join_without_invite(community.id, late.id)  # within the index lag
    asked = [alice.id, bob.id, carol.id, dave.id, gone.id, late.id, 42]

    sources = await adapter.member_sources(community.id, asked)

    there_before = fake.world.member(community.id, alice.id)
    assert {source.member_id: source for source in sources} == {
        alice.id: MemberSource(alice.id, there_before.joined_at, JoinSourceType.UNSPECIFIED),
        bob.id: MemberSource(
            bob.id, by_invite.joined_at, JoinSourceType.INVITE, invite.code, alice.id
        ),
        carol.id: MemberSource(
            carol.id, by_vanity.joined_at, JoinSourceType.VANITY_URL, "community"
        ),
        dave.id: MemberSource(dave.id, by_discovery.joined_at, JoinSourceType.DISCOVERY),
    }
    assert all(s.joined_at is not None and s.joined_at.tzinfo is not None for s in sources)
    (sent,) = fake.requests(MEMBER_SEARCH_ROUTE)
    spec.validate(SEARCH_REQUEST, sent.body, "the adapter's search request")
    assert sent.body == {
        "limit": len(asked),
        "and_query": {"user_id": {"or_query": [str(member_id) for member_id in asked]}},
    }
    assert sent.authorization_scheme == "Bot"
    assert TOKEN not in str(sent.body)


async def test_no_ids_asks_nothing(
    fake: FakeDiscord, community: Guild, adapter: HikariDiscord
) -> None:
    assert await adapter.member_sources(community.id, []) == ()
    assert fake.requests(MEMBER_SEARCH_ROUTE) == []


async def test_a_guild_not_indexed_is_search_not_ready(
    fake: FakeDiscord, community: Guild, alice: User, adapter: HikariDiscord
) -> None:
    await fake.delay_member_search_index(community.id, 7.2)
    with pytest.raises(SearchNotReady) as not_ready:
        await adapter.member_sources(community.id, [alice.id])
    assert not_ready.value.retry_after == 8
    assert isinstance(not_ready.value, DiscordUnavailable)
    await fake.advance_clock(8)
    assert [s.member_id for s in await adapter.member_sources(community.id, [alice.id])] == [
        alice.id
    ]


async def test_ids_beyond_a_batch_are_split(
    fake: FakeDiscord,
    community: Guild,
    adapter: HikariDiscord,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(member_search, "SEARCH_BATCH", 2)
    ids = await _members(fake, community, 5)
    await fake.advance_clock(1.0)

    sources = await adapter.member_sources(community.id, [*ids, ids[0]])

    assert sorted(source.member_id for source in sources) == sorted(ids)
    sent = [request.body for request in fake.requests(MEMBER_SEARCH_ROUTE)]
    assert [body["limit"] for body in sent] == [2, 2, 1]
    assert [body["and_query"]["user_id"]["or_query"] for body in sent] == [
        [str(ids[0]), str(ids[1])],
        [str(ids[2]), str(ids[3])],
        [str(ids[4])],
    ]


def test_the_batch_is_discords_largest_limit() -> None:
    assert member_search.SEARCH_BATCH == 1000


async def test_a_refusal_is_unprocessable_like_other_403s(
    fake: FakeDiscord, community: Guild, alice: User, adapter: HikariDiscord
) -> None:
    await fake.set_bot_permissions(community.id, ["VIEW_CHANNEL"])
    with pytest.raises(Unprocessable, match="code 50013"):
        await adapter.member_sources(community.id, [alice.id])
    with pytest.raises(Unprocessable, match="code 50013"):
        await adapter.guild_invites(community.id)


async def test_outside_community_guilds_it_is_refused(
    guild: Guild, alice: User, adapter: HikariDiscord
) -> None:
    with pytest.raises(Unprocessable, match="code 50001"):
        await adapter.member_sources(guild.id, [alice.id])


async def test_discord_failing_is_unavailable(
    fake: FakeDiscord, community: Guild, alice: User
) -> None:
    fake.add_server_errors(503, route=MEMBER_SEARCH_ROUTE, count=None)
    limits = DiscordLimits(total_timeout=3.0, max_retries=0)
    discord = await HikariDiscord.connect(fake.api_url, TOKEN, limits)
    try:
        with pytest.raises(DiscordUnavailable, match="503"):
            await discord.member_sources(community.id, [alice.id])
    finally:
        await discord.close()


async def test_without_hikaris_private_request_it_is_unavailable_and_warned_once() -> None:
    stand_in = cast(hikari.api.RESTClient, object())
    discord = HikariDiscord([], [stand_in] * 3, DiscordLimits())
    with capture_logs() as logs:
        for _ in range(2):
            with pytest.raises(DiscordUnavailable, match="_request"):
                await discord.member_sources(1, [2])
    warnings = [entry for entry in logs if entry["event"] == "discord_member_search_unavailable"]
    assert len(warnings) == 1
    assert warnings[0]["log_level"] == "warning"
