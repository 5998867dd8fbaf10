"""How vanished invites are remembered, once attribution has decided the window they went in:
through HTTP against the fake Discord, on both databases."""

from __future__ import annotations

import asyncio

from invite_tracker.testing.fake_discord import FakeDiscord
from tests.integration.api.conftest import Api
from tests.integration.service.conftest import World
from tests.integration.service.test_attribution import (
    final,
    invite_deleted,
    invite_figures,
    invite_reads,
    report,
    stored_gone,
)


async def enabled_with_baseline(api: Api, world: World) -> None:
    """Enable the module and wait for the engine's first read of the invites, with nothing
    else reading them (the dashboard's GET /invite-links would store them too)."""
    reads = invite_reads(world.fake)
    await api.enable(world.guild.id)
    for _ in range(100):
        if invite_reads(world.fake) > reads:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)  # its transaction commits after the answer


async def test_an_invite_deleted_before_any_join_is_known_from_the_first_read(
    tracker: Api, world: World
) -> None:
    fake = world.fake
    limited = await fake.create_invite(world.channel.id, inviter_id=world.bob.id, max_uses=5)
    await enabled_with_baseline(tracker, world)
    await fake.delete_invite(limited.code)  # by staff, through Discord
    gone = await invite_deleted(tracker, world, limited.code)
    assert (gone["inviter_id"], gone["max_uses"], gone["deleted_reason"]) == (
        str(world.bob.id),
        5,
        "deleted",
    )


async def test_a_used_up_invite_is_remembered_as_used_up_by_its_creator(
    tracker: Api, world: World
) -> None:
    fake = world.fake
    once = await fake.create_invite(world.channel.id, inviter_id=world.bob.id, max_uses=1)
    await enabled_with_baseline(tracker, world)
    member = await fake.join_via_invite(world.guild.id, (await world.user("lucky")).id, once.code)
    # Discord deletes the invite on its only use; its delete event comes before the join's,
    # and alone cannot tell that from staff deleting it
    told = await invite_deleted(tracker, world, once.code)
    assert told["deleted_reason"] == "deleted"
    result = await report(tracker, world, member)
    decided = await final(tracker, world, result["join_id"])
    assert (decided["join_type"], decided["invite_code"]) == ("invite", once.code)
    invite = await stored_gone(tracker, world, world.bob.id, once.code)
    assert (invite["deleted_reason"], invite["uses"], invite["inviter_id"]) == (
        "used_up",
        1,
        str(world.bob.id),
    )
    figures = await invite_figures(tracker, world, world.bob.id, once.code)
    assert (figures["regular"], figures["uses"], figures["deleted"]) == (1, 1, True)


async def test_a_limited_invite_gone_without_joins_was_deleted_not_used_up(
    tracker: Api, world: World
) -> None:
    fake: FakeDiscord = world.fake
    alices = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    limited = await fake.create_invite(world.channel.id, inviter_id=world.bob.id, max_uses=3)
    await enabled_with_baseline(tracker, world)
    await fake.delete_invite(limited.code)  # out of band: no event reaches the service
    member = await fake.join_via_invite(world.guild.id, (await world.user("carol")).id, alices.code)
    result = await report(tracker, world, member)
    decided = await final(tracker, world, result["join_id"])
    assert (decided["join_type"], decided["invite_code"]) == ("invite", alices.code)
    invite = await stored_gone(tracker, world, world.bob.id, limited.code)
    assert (invite["deleted_reason"], invite["uses"]) == ("deleted", 0)
