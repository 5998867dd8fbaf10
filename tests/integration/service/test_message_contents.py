"""What join and leave messages say: the inviter's count as of each event, and a departed
member's data."""

from __future__ import annotations

import asyncio

from tests.integration.api.conftest import Api, data_of
from tests.integration.service.conftest import World
from tests.integration.service.test_attribution import final, report
from tests.integration.service.test_messages_through_discord import sent, settings_body


async def invite_with_messages(tracker: Api, world: World, join: str, leave: str) -> str:
    """Enable with plain-text join and leave templates; a new invite of Alice's, in the
    baseline: its code."""
    await tracker.enable(world.guild.id)
    templates = settings_body(
        world,
        join_message_content=join,
        join_message_is_embed=False,
        leave_message_content=leave,
    )
    data_of(await tracker.put("/settings", templates))
    invite = await world.fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    data_of(await tracker.get("/invite-links", guild_id=world.guild.id))
    return invite.code


async def test_each_message_shows_the_inviters_count_right_after_its_own_event(
    tracker: Api, world: World
) -> None:
    """Three joins reported at once through one invite are decided together: their messages
    still say 1, 2 and 3, in the order the members joined, and a leave says the count after
    it. (The count when the messages were prepared would say 3 in each.)"""
    fake = world.fake
    code = await invite_with_messages(
        tracker,
        world,
        join="<user_id> made <current_invite_count>",
        leave="<user_id> left: <current_invite_count>",
    )
    members = [
        await fake.join_via_invite(world.guild.id, (await world.user(f"m{n}")).id, code)
        for n in range(3)
    ]
    reported = await asyncio.gather(*(report(tracker, world, member) for member in members))
    for answer in reported:
        assert (await final(tracker, world, answer["join_id"]))["invite_code"] == code
    shown: list[str] = []
    for _ in range(100):  # the outbox may post them as one message, a line each
        shown = [line for message in await sent(world, 1) for line in message.content.split("\n")]
        if len(shown) == 3:
            break
        await asyncio.sleep(0.05)
    assert shown == [f"{member.user_id} made {n}" for n, member in enumerate(members, start=1)]

    posted = len(world.fake.messages(world.channel.id))
    await fake.leave(world.guild.id, members[0].user_id)
    data_of(
        await tracker.post(
            "/events/leave/check-invite",
            {"guild_id": world.guild.id, "member_id": members[0].user_id},
        )
    )
    assert (await sent(world, posted + 1))[-1].content == f"{members[0].user_id} left: 2"


async def test_a_leave_message_shows_no_membership_the_member_no_longer_has(
    tracker: Api, world: World
) -> None:
    """The welcome read the member's membership (nickname, roles) moments before they left;
    their leave message must not show it from the cache: it renders "Unknown"."""
    fake = world.fake
    code = await invite_with_messages(
        tracker,
        world,
        join="hi <user_nickname>",
        leave="<user_display_name> (<user_nickname>) left",
    )
    user = await world.user("dave", global_name="Dave")
    member = await fake.join_via_invite(world.guild.id, user.id, code)
    member.nick = "davey"  # set on the membership the fake keeps (Discord: a nickname change)
    await final(tracker, world, (await report(tracker, world, member))["join_id"])
    assert (await sent(world, 1))[0].content == "hi davey"
    await fake.leave(world.guild.id, user.id)
    body = {"guild_id": world.guild.id, "member_id": user.id}
    data_of(await tracker.post("/events/leave/check-invite", body))
    assert (await sent(world, 2))[1].content == "Dave (Unknown) left"
