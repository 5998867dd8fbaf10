"""The service's Discord adapter on hikari, against the fake: reads that must go out at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from invite_tracker.discord.discord_clock import ARRIVAL_MARGIN
from invite_tracker.discord.port import InteractionTarget, InviteOptions
from invite_tracker.discord.rest import DiscordLimits, HikariDiscord
from invite_tracker.domain.errors import DiscordUnavailable, ReadDeferred, Unprocessable
from invite_tracker.services.attribution_bucket import BUCKET_SLACK, TRAPPED_AFTER, deferral_wait
from invite_tracker.services.attribution_pacing import GuildAttribution
from invite_tracker.testing.fake_discord import Channel, FakeDiscord, Guild

GUILD_INVITES = "GET /guilds/{guild_id}/invites"
VANITY = "GET /guilds/{guild_id}/vanity-url"
CREATE_INVITE = "POST /channels/{channel_id}/invites"


async def test_a_read_asked_at_once_is_deferred_not_held(
    fake: FakeDiscord, guild: Guild, adapter: HikariDiscord
) -> None:
    fake.set_route_limit(GUILD_INVITES, 1, per=0.5)
    await adapter.guild_invites(guild.id, at_once=True)
    with pytest.raises(ReadDeferred) as deferred:
        await adapter.guild_invites(guild.id, at_once=True)
    # hikari knew the bucket was spent: nothing was sent, so Discord refused nothing
    assert 0 < deferred.value.retry_after <= 0.5 + ARRIVAL_MARGIN
    assert fake.stats.requests[GUILD_INVITES] == 1
    assert fake.stats.rate_limited.get(GUILD_INVITES, 0) == 0
    await asyncio.sleep(deferred.value.retry_after + 0.02)
    await adapter.guild_invites(guild.id, at_once=True)
    assert fake.stats.requests[GUILD_INVITES] == 2


async def test_other_reads_still_wait_the_rate_limit_out(
    fake: FakeDiscord, guild: Guild, adapter: HikariDiscord
) -> None:
    fake.set_route_limit(GUILD_INVITES, 1, per=0.3)
    await adapter.guild_invites(guild.id)
    await adapter.guild_invites(guild.id)  # held by hikari until the bucket reopens
    assert fake.stats.requests[GUILD_INVITES] == 2
    assert fake.stats.rate_limited.get(GUILD_INVITES, 0) == 0


async def test_the_vanity_counter_at_once(
    fake: FakeDiscord, guild: Guild, adapter: HikariDiscord
) -> None:
    await fake.set_vanity(guild.id, "husqy", uses=7)
    fake.set_route_limit(VANITY, 1, per=0.5)
    assert (await adapter.vanity_url(guild.id, at_once=True)).uses == 7
    with pytest.raises(ReadDeferred):
        await adapter.vanity_url(guild.id, at_once=True)


async def test_reads_say_when_discord_counted_them_by_discords_clock(
    fake: FakeDiscord, guild: Guild, adapter: HikariDiscord
) -> None:
    await fake.set_vanity(guild.id, "husqy", uses=2)
    await fake.advance_clock(3600)  # Discord's clock is an hour ahead of ours
    fake.add_latency(0.08)
    sent = datetime.now(UTC) + timedelta(hours=1)
    listed, vanity = await asyncio.gather(
        adapter.guild_invites(guild.id, at_once=True), adapter.vanity_url(guild.id, at_once=True)
    )
    received = datetime.now(UTC) + timedelta(hours=1)
    (read,) = fake.world.guild(guild.id).invite_list_reads
    assert listed.counted_at is not None
    assert vanity.counted_at is not None
    # the rate-limit headers have milliseconds: the instant the fake read its invites for us
    assert abs((listed.counted_at - read).total_seconds()) < 0.003
    # late in the flight, as this fake answers after its latency; by Discord's clock
    assert sent + timedelta(milliseconds=70) < listed.counted_at <= received
    assert sent + timedelta(milliseconds=70) < vanity.counted_at <= received


async def test_a_read_not_alone_on_its_route_does_not_say_when_it_was_counted(
    fake: FakeDiscord, guild: Guild, adapter: HikariDiscord
) -> None:
    fake.add_latency(0.1)
    slow = asyncio.ensure_future(adapter.guild_invites(guild.id))  # the dashboard's, say
    await asyncio.sleep(0.01)
    listed = await adapter.guild_invites(guild.id, at_once=True)
    await slow
    # two answers came while it waited: which one was its own cannot be told
    assert listed.counted_at is None


async def test_a_read_reaching_discord_after_the_window_turned_and_the_way_out(
    fake: FakeDiscord, guild: Guild, adapter: HikariDiscord
) -> None:
    """hikari's one-read-per-window state, and the wait `deferral_wait` takes to leave it."""
    fake.use_rate_limit_profile("invites-5-per-1s")
    for _ in range(4):  # hikari learns the bucket: five per window
        await adapter.guild_invites(guild.id, at_once=True)
    # the window's fifth read is slow on its way and reaches Discord in the next window
    fake.add_latency(1.3, route=GUILD_INVITES, count=1)
    await adapter.guild_invites(guild.id, at_once=True)

    # Discord has four reads left, but hikari takes the answer for a sliding window with one
    # slot per window and none left now
    with pytest.raises(ReadDeferred) as refused:
        await adapter.guild_invites(guild.id, at_once=True)
    state = GuildAttribution(guild_id=guild.id)
    state.straddled = True  # what the engine notes of the slow read (`read_answered`)
    wait = deferral_wait(state, refused.value.retry_after, 0.2)
    assert refused.value.retry_after > TRAPPED_AFTER * 0.2
    assert wait == pytest.approx(refused.value.retry_after + 1.0 + BUCKET_SLACK)

    # one window more: hikari gains two reads, and two in one window show it a fixed bucket
    await asyncio.sleep(wait)
    for _ in range(2):
        await adapter.guild_invites(guild.id, at_once=True)
    with pytest.raises(ReadDeferred) as window_end:  # it counts that window as spent
        await adapter.guild_invites(guild.id, at_once=True)
    await asyncio.sleep(window_end.value.retry_after + 0.02)
    for _ in range(5):  # from the next window on, five reads per window again
        await adapter.guild_invites(guild.id, at_once=True)
    assert fake.stats.rate_limited.get(GUILD_INVITES, 0) == 0


async def test_a_spent_bucket_is_freed_on_discords_clock_a_trip_before_its_reset(
    fake: FakeDiscord, guild: Guild, adapter: HikariDiscord
) -> None:
    """hikari frees a bucket when Discord's reset instant comes by this machine's clock: an
    hour's difference between the clocks would hold reads for an hour, and a read sent then
    reaches Discord a trip after the reset. The adapter tells hikari of the reset earlier by
    the fastest trip, measured with both clocks."""
    await fake.advance_clock(3600)  # Discord's clock is an hour ahead of ours
    fake.use_rate_limit_profile("invites-5-per-1s")
    fake.add_latency(0.08)
    reads = [await adapter.guild_invites(guild.id, at_once=True) for _ in range(5)]
    with pytest.raises(ReadDeferred) as spent:
        await adapter.guild_invites(guild.id, at_once=True)
    assert 0 < spent.value.retry_after < 1.0  # not an hour
    await asyncio.sleep(spent.value.retry_after + 0.005)
    sixth = await adapter.guild_invites(guild.id, at_once=True)

    first, last = reads[0].counted_at, sixth.counted_at
    assert first is not None
    assert last is not None
    assert last >= first + timedelta(seconds=1.0)  # in the next window: Discord refused none
    assert fake.stats.rate_limited.get(GUILD_INVITES, 0) == 0
    # each read's lag: the margin, plus how much slower than the fastest its trip was (the
    # trips are 80 ms of latency and an hour of clocks apart; a limiter freeing the bucket at
    # Discord's reset would lag the whole trip)
    for read in [*reads, sixth]:
        assert read.limiter_lag is not None
        assert ARRIVAL_MARGIN - 1e-6 <= read.limiter_lag < 0.08


async def test_calls_that_wait_the_rate_limit_out_wait_by_discords_clock(
    fake: FakeDiscord, channel: Channel, adapter: HikariDiscord
) -> None:
    """An hour between the clocks: hikari alone would take a spent bucket for spent an hour
    longer (and refuse to wait so long), or, were ours ahead, send into it and meet 429s."""
    await fake.advance_clock(3600)  # Discord's clock is an hour ahead of ours
    fake.set_route_limit(CREATE_INVITE, 1, per=0.3)
    options = InviteOptions(max_uses=0, max_age=0, temporary=False)
    first = await adapter.create_invite(channel.id, options)
    second = await adapter.create_invite(channel.id, options)  # waits about 0.3 s
    assert first.code != second.code
    assert fake.stats.requests[CREATE_INVITE] == 2
    assert fake.stats.rate_limited.get(CREATE_INVITE, 0) == 0


async def test_which_guild_a_channel_and_an_invite_belong_to(
    fake: FakeDiscord, guild: Guild, channel: Channel, adapter: HikariDiscord
) -> None:
    other = await fake.create_guild("Elsewhere")
    lobby = await fake.create_channel(other.id, "lobby")
    ours, theirs = await fake.create_invite(channel.id), await fake.create_invite(lobby.id)

    assert (await adapter.channel(channel.id)).guild_id == guild.id
    assert (await adapter.channel(lobby.id)).guild_id == other.id
    assert await adapter.invite_guild(ours.code) == guild.id
    assert await adapter.invite_guild(theirs.code) == other.id
    with pytest.raises(Unprocessable, match="10006"):
        await adapter.invite_guild("nope123")


async def test_a_refused_bot_token_stops_bot_calls_for_a_while_not_interaction_replies(
    fake: FakeDiscord, guild: Guild, channel: Channel
) -> None:
    """With a wrong token every bot call is refused (401), and Discord bans an address after
    10,000 refusals in ten minutes: after the first, none is made for the pause."""
    limits = DiscordLimits(total_timeout=5.0, token_refusal_pause=0.3)
    wrong = await HikariDiscord.connect(fake.api_url, "not-the-token", limits)
    interaction = await fake.register_interaction(guild_id=guild.id)
    try:
        with pytest.raises(DiscordUnavailable, match="credentials"):
            await wrong.guild(guild.id)
        for _ in range(3):
            with pytest.raises(DiscordUnavailable, match="refused the bot token"):
                await wrong.channel(channel.id)
        assert fake.stats.invalid_requests == 1
        # an interaction's reply is authorised by its own token, not the bot's
        target = InteractionTarget(interaction.application_id, interaction.token)
        await wrong.edit_original_reply(target, "still answered")
        assert fake.interaction(interaction.id).edits[0].payload["content"] == "still answered"
        await asyncio.sleep(0.35)  # the pause is over: asked again (and refused again)
        with pytest.raises(DiscordUnavailable, match="credentials"):
            await wrong.channel(channel.id)
        assert fake.stats.invalid_requests == 2
    finally:
        await wrong.close()
