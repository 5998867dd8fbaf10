"""What Discord refused is not asked again for each join: it bans an address after 10,000
invalid requests (401, 403, 429) in ten minutes, and a guild that took the bot's permissions
away can see a raid's thousand joins in a minute."""

from __future__ import annotations

from invite_tracker.testing.fake_discord import Permission
from tests.integration.api.conftest import Api, data_of
from tests.integration.service.conftest import World
from tests.integration.service.test_attribution import final, report
from tests.integration.service.test_messages_through_discord import settings_body


async def test_a_guild_out_of_the_bots_reach_costs_discord_one_refusal_not_one_a_join(
    tracker: Api, world: World
) -> None:
    fake = world.fake
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    # The bot may see the channel, but neither read the invites nor send messages.
    await fake.set_bot_permissions(world.guild.id, int(Permission.VIEW_CHANNEL))
    await tracker.enable(world.guild.id)  # its first read is refused: reads pause
    data_of(await tracker.put("/settings", settings_body(world)))

    decided = []
    for name in ("first", "second", "third"):
        member = await fake.join_via_invite(
            world.guild.id, (await world.user(name)).id, invite.code
        )
        decided.append(
            await final(tracker, world, (await report(tracker, world, member))["join_id"])
        )

    assert [join["join_type"] for join in decided] == ["unknown"] * 3
    assert all("cannot be read" in join["reason"] for join in decided)
    assert all("not asked again before" in join["reason"] for join in decided)
    requests = fake.stats.requests
    # one refused read (the invite list and the vanity counter), one refused message
    assert requests["GET /guilds/{guild_id}/invites"] == 1
    assert requests["GET /guilds/{guild_id}/vanity-url"] == 1
    assert requests["POST /channels/{channel_id}/messages"] == 1
    assert fake.stats.invalid_requests == 3
    assert fake.messages() == []
