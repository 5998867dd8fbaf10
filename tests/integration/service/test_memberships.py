"""Memberships through HTTP against the fake Discord: rejoins, own invites, leaves, and their
events out of order or delivered again."""

from __future__ import annotations

import asyncio
from datetime import datetime

from invite_tracker.clock import utcnow
from tests.integration.api.conftest import Api, data_of
from tests.integration.service.conftest import World
from tests.integration.service.test_attribution import final, ready, report


async def test_rejoins_and_own_invites_are_fake_and_leaves_count(
    tracker: Api, world: World
) -> None:
    fake = world.fake
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    await ready(tracker, world)
    settings = data_of(await tracker.get("/settings", guild_id=world.guild.id))
    settings.pop("enabled")
    settings["prevent_own_invite_code"] = True
    data_of(await tracker.put("/settings", settings))
    user = await world.user("comer")
    first = await report(
        tracker, world, await fake.join_via_invite(world.guild.id, user.id, invite.code)
    )
    assert (first["counted"], first["fake"]) == (True, False)
    await fake.leave(world.guild.id, user.id)
    left = data_of(
        await tracker.post(
            "/events/leave/check-invite", {"guild_id": world.guild.id, "member_id": user.id}
        )
    )
    assert left["counted"] is True
    await asyncio.sleep(0.1)
    again = await report(
        tracker, world, await fake.join_via_invite(world.guild.id, user.id, invite.code)
    )
    assert (again["counted"], again["fake"]) == (True, True)
    await asyncio.sleep(0.1)
    await fake.leave(world.guild.id, world.alice.id)
    data_of(
        await tracker.post(
            "/events/leave/check-invite", {"guild_id": world.guild.id, "member_id": world.alice.id}
        )
    )
    own = await report(
        tracker, world, await fake.join_via_invite(world.guild.id, world.alice.id, invite.code)
    )
    assert (own["inviter_id"], own["counted"], own["fake"]) == (str(world.alice.id), True, True)
    stats = data_of(
        await tracker.get("/stats/uses", guild_id=world.guild.id, inviter_id=world.alice.id)
    )
    assert (stats["regular"], stats["leaves"], stats["fakes"], stats["total"]) == (3, 1, 2, 0)


async def test_a_leave_event_before_its_join_event_still_ends_that_join(
    tracker: Api, world: World
) -> None:
    """Gateway events come out of order: the leave of a member who stayed a moment can reach
    the service before their join. The join must still end with it, and the inviter's
    figures with it; the member must not seem present for good."""
    fake = world.fake
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    await ready(tracker, world)
    user = await world.user("brief")
    member = await fake.join_via_invite(world.guild.id, user.id, invite.code)
    await fake.leave(world.guild.id, user.id)
    left_at = utcnow()
    leave = {"guild_id": world.guild.id, "member_id": user.id, "left_at": left_at.isoformat()}
    early = data_of(await tracker.post("/events/leave/check-invite", leave))
    assert (early["join_id"], early["counted"]) == (None, False)  # no join known yet

    came = await report(tracker, world, member)
    decided = await final(tracker, world, came["join_id"])

    assert (decided["invite_code"], decided["counted"]) == (invite.code, True)
    assert datetime.fromisoformat(decided["left_at"]) == left_at
    stats = data_of(
        await tracker.get("/stats/uses", guild_id=world.guild.id, inviter_id=world.alice.id)
    )
    assert (stats["regular"], stats["leaves"], stats["total"]) == (1, 1, 0)
    # The member is gone: coming back is a new join (a rejoin), not a repeat of this one.
    await asyncio.sleep(0.1)
    again = await report(
        tracker, world, await fake.join_via_invite(world.guild.id, user.id, invite.code)
    )
    assert (again["repeated"], again["fake"]) == (False, True)


async def test_an_earlier_membership_reported_after_the_rejoin_is_kept(
    tracker: Api, world: World
) -> None:
    """Events of two memberships come out of order (a reporter retrying a failed request):
    the leave, then the rejoin's member-add, then the first join's. The late member-add is
    not a repeat of the present join (its time is earlier): it is the first membership, which
    that leave ended, and the invite use it made is its own."""
    fake = world.fake
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    await ready(tracker, world)
    user = await world.user("twice")
    first = await fake.join_via_invite(world.guild.id, user.id, invite.code)
    await fake.leave(world.guild.id, user.id)
    left_at = utcnow()
    await asyncio.sleep(1.2)  # a rejoin more than a second later: a new membership
    second = await fake.join_via_invite(world.guild.id, user.id, invite.code)
    leave = {"guild_id": world.guild.id, "member_id": user.id, "left_at": left_at.isoformat()}
    data_of(await tracker.post("/events/leave/check-invite", leave))

    rejoin = await report(tracker, world, second)
    late = await report(tracker, world, first)

    assert late["repeated"] is False
    assert late["join_id"] != rejoin["join_id"]
    decided = [await final(tracker, world, found["join_id"]) for found in (late, rejoin)]
    assert [join["invite_code"] for join in decided] == [invite.code, invite.code]
    assert datetime.fromisoformat(decided[0]["left_at"]) == left_at
    assert decided[1]["left_at"] is None  # present
    assert sorted(join["fake"] for join in decided) == [False, True]  # one is a rejoin
    stats = data_of(
        await tracker.get("/stats/uses", guild_id=world.guild.id, inviter_id=world.alice.id)
    )
    assert (stats["regular"], stats["fakes"]) == (2, 1)
    assert stats["total"] == stats["regular"] - stats["leaves"] - stats["fakes"]
    # Its repeat is a repeat: the member-add of the first membership, delivered again.
    again = await report(tracker, world, first)
    assert (again["join_id"], again["repeated"]) == (late["join_id"], True)


async def test_a_member_add_delivered_again_after_the_leave_is_a_repeat(
    tracker: Api, world: World
) -> None:
    """A gateway resume replays events: the member-add of a member who has left since comes
    again, with the same `joined_at`. It is the stored join, not a rejoin."""
    fake = world.fake
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    await ready(tracker, world)
    member = await fake.join_via_invite(world.guild.id, (await world.user("x")).id, invite.code)
    first = await report(tracker, world, member)
    await fake.leave(world.guild.id, member.user_id)
    leave = {"guild_id": world.guild.id, "member_id": member.user_id}
    data_of(await tracker.post("/events/leave/check-invite", leave))

    again = await report(tracker, world, member)
    left_again = data_of(await tracker.post("/events/leave/check-invite", leave))

    assert (again["join_id"], again["repeated"]) == (first["join_id"], True)
    assert again["left_at"] is not None
    assert left_again["repeated"] is True
    log = data_of(await tracker.get("/joins", guild_id=world.guild.id))["joins"]
    assert [join["join_id"] for join in log] == [first["join_id"]]
    stats = data_of(
        await tracker.get("/stats/uses", guild_id=world.guild.id, inviter_id=world.alice.id)
    )
    assert (stats["regular"], stats["leaves"], stats["fakes"]) == (1, 1, 0)


async def test_the_leave_of_a_rejoin_told_before_its_member_add_counts_against_its_inviter(
    tracker: Api, world: World
) -> None:
    """A member who came before (through no invite) rejoins through alice's invite and
    leaves; the second leave reaches the service before the rejoin's member-add. It is the
    rejoin's leave, not the first one told again: alice's figures end at 0, not 1 for good."""
    fake = world.fake
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    await ready(tracker, world)
    user = await world.user("returning")
    first = await report(tracker, world, await fake.join_without_invite(world.guild.id, user.id))
    await fake.leave(world.guild.id, user.id)
    body = {"guild_id": world.guild.id, "member_id": user.id}
    data_of(await tracker.post("/events/leave/check-invite", {**body, "left_at": _now()}))
    await asyncio.sleep(1.2)  # more than a second apart: another leave, not this one again
    rejoin = await fake.join_via_invite(world.guild.id, user.id, invite.code)
    await fake.leave(world.guild.id, user.id)
    early = data_of(await tracker.post("/events/leave/check-invite", {**body, "left_at": _now()}))
    assert (early["join_id"], early["repeated"]) == (None, False)

    decided = await final(tracker, world, (await report(tracker, world, rejoin))["join_id"])

    assert (decided["invite_code"], decided["counted"], decided["fake"]) == (
        invite.code,
        True,
        False,
    )
    assert decided["left_at"] is not None
    assert decided["join_id"] != first["join_id"]
    stats = data_of(
        await tracker.get("/stats/uses", guild_id=world.guild.id, inviter_id=world.alice.id)
    )
    assert (stats["regular"], stats["leaves"], stats["total"]) == (1, 1, 0)


def _now() -> str:
    return utcnow().isoformat()


async def test_a_leave_told_again_two_memberships_later_is_a_repeat(
    tracker: Api, world: World
) -> None:
    """Join, leave, rejoin, leave, rejoin; then the first leave comes again (a replay). It is
    that leave, not a leave of some unknown membership: nothing is stored or counted."""
    fake = world.fake
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    await ready(tracker, world)
    user = await world.user("comer")
    body = {"guild_id": world.guild.id, "member_id": user.id}
    leaves: list[dict[str, object]] = []
    for _ in range(2):
        member = await fake.join_via_invite(world.guild.id, user.id, invite.code)
        await final(tracker, world, (await report(tracker, world, member))["join_id"])
        await fake.leave(world.guild.id, user.id)
        leaves.append({**body, "left_at": _now()})
        data_of(await tracker.post("/events/leave/check-invite", leaves[-1]))
        await asyncio.sleep(1.2)  # more than a second apart: another membership
    await report(tracker, world, await fake.join_via_invite(world.guild.id, user.id, invite.code))
    before = data_of(await tracker.get("/stats/summary", guild_id=world.guild.id))

    replayed = data_of(await tracker.post("/events/leave/check-invite", leaves[0]))

    assert (replayed["repeated"], replayed["counted"]) == (True, False)
    assert replayed["join_id"] is not None  # the first membership's join
    after = data_of(await tracker.get("/stats/summary", guild_id=world.guild.id))
    assert after == before
    assert (after["leaves"], after["counted_leaves"]) == (2, 1)  # the rejoin was fake


async def test_a_join_reported_without_its_member_is_attributed_but_counts_for_no_one(
    tracker: Api, world: World
) -> None:
    """Without `member_id` the join is still attributed (its invite use is not left for
    another member's join), but it is not credited: its repeats, its leave and a rejoin
    could never be told, so alice's total would only ever go up."""
    fake = world.fake
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    await ready(tracker, world)
    member = await fake.join_via_invite(
        world.guild.id, (await world.user("nameless")).id, invite.code
    )
    body = {"guild_id": world.guild.id, "joined_at": member.joined_at.isoformat()}
    first = data_of(await tracker.post("/events/join/check-invite", body))
    decided = await final(tracker, world, first["join_id"])
    assert (decided["join_type"], decided["invite_code"], decided["member_id"]) == (
        "invite",
        invite.code,
        None,
    )
    assert (decided["counted"], decided["fake"]) == (False, False)
    assert "no member_id" in decided["reason"]
    stats = data_of(
        await tracker.get("/stats/uses", guild_id=world.guild.id, inviter_id=world.alice.id)
    )
    assert (stats["regular"], stats["total"]) == (0, 0)
