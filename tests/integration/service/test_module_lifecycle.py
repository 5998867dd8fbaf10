"""Disabling, enabling again and offboarding a guild while its joins are attributed."""

from __future__ import annotations

import asyncio

import httpx

from tests.integration.api.conftest import Api, data_of, error_of
from tests.integration.service.conftest import World
from tests.integration.service.test_attribution import decided_join, ready

INVITE_LIST = "GET /guilds/{guild_id}/invites"


async def test_enabled_again_the_guild_reads_a_new_baseline(tracker: Api, world: World) -> None:
    """While the module was off, three members joined through alice's invite and their
    events were refused. Enabled again, the stored counts miss those uses: without a new
    baseline, the next join through bob's invite would be set against both."""
    fake = world.fake
    alices = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    bobs = await fake.create_invite(world.channel.id, inviter_id=world.bob.id)
    await ready(tracker, world)
    first = await fake.join_via_invite(world.guild.id, (await world.user("a")).id, alices.code)
    assert (await decided_join(tracker, world, first))["invite_code"] == alices.code

    data_of(await tracker.post("/disable", {"guild_id": world.guild.id}))
    for n in range(3):
        member = await fake.join_via_invite(
            world.guild.id, (await world.user(f"off{n}")).id, alices.code
        )
        error_of(await report_refused(tracker, world, member.user_id), 409, "ModuleDisabledError")
    reads = fake.stats.requests[INVITE_LIST]
    data_of(await tracker.post("/enable", {"guild_id": world.guild.id}))
    for _ in range(100):  # read at once, as on the first enable
        if fake.stats.requests[INVITE_LIST] > reads:
            break
        await asyncio.sleep(0.02)
    assert fake.stats.requests[INVITE_LIST] > reads

    later = await fake.join_via_invite(world.guild.id, (await world.user("b")).id, bobs.code)
    decided = await decided_join(tracker, world, later)
    assert (decided["join_type"], decided["invite_code"]) == ("invite", bobs.code)


async def report_refused(tracker: Api, world: World, member_id: int) -> httpx.Response:
    return await tracker.post(
        "/events/join/check-invite", {"guild_id": world.guild.id, "member_id": member_id}
    )
