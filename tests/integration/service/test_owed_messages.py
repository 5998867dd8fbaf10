"""Join and leave messages are owed in storage until posted: none is lost to a stop, a crash or
a Discord that could not take it, on each database, through the fake Discord."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from invite_tracker.api.app import create_app
from invite_tracker.clock import utcnow
from invite_tracker.db.models import JoinRow, LeaveRow
from invite_tracker.db.session import Database
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.joins import Attribution, NewJoin, NewLeave
from invite_tracker.domain.owed_messages import Delivery, OwedMessage
from invite_tracker.services.owed_messages import OwedMessages
from invite_tracker.testing.fake_discord import Message
from tests.integration.api.conftest import Api, data_of, running_app
from tests.integration.db.test_owed_messages import owed_ids
from tests.integration.service.conftest import World, discord_settings
from tests.integration.service.test_messages_through_discord import MESSAGES_ROUTE

WELCOME = "Welcome <user_mention>, invited by <inviter_mention>"
GOODBYE = "Goodbye <user_mention>, invited by <inviter_mention>"


def _settings_body(world: World) -> dict[str, Any]:
    return {
        "guild_id": world.guild.id,
        "join_messages_enabled": True,
        "join_messages_channel": world.channel.id,
        "join_message_content": WELCOME,
        "join_message_is_embed": False,
        "leave_messages_enabled": True,
        "leave_messages_channel": world.channel.id,
        "leave_message_content": GOODBYE,
        "leave_message_is_embed": False,
        "prevent_own_invite_code": False,
        "server_shared_invite_link": None,
    }


async def _posted(world: World, done: Callable[[list[Message]], bool]) -> list[Message]:
    for _ in range(200):
        messages = world.fake.messages(world.channel.id)
        if done(messages):
            return messages
        await asyncio.sleep(0.05)
    return world.fake.messages(world.channel.id)


async def _owed(database: Database, world: World) -> tuple[list[int], list[int]]:
    return (
        await owed_ids(database, JoinRow, world.guild.id),
        await owed_ids(database, LeaveRow, world.guild.id),
    )


async def test_messages_owed_from_before_are_posted_at_start_unless_too_old(
    database: Database, database_url: str, world: World
) -> None:
    """What a crashed run left: messages whose lease ran out are posted by the next start,
    one older than the configured delay is dropped, and one another worker holds is left to
    it."""
    settings = discord_settings(database_url, world.fake)
    async for client in running_app(create_app(settings, database=database)):
        tracker = Api(client)
        await tracker.enable(world.guild.id)
        data_of(await tracker.put("/settings", _settings_body(world)))
    now = utcnow()
    people = [await world.user(name) for name in ("fresh", "stale", "elsewhere", "gone")]
    credited = Attribution(JoinType.INVITE, "abc", world.alice.id, (), True, False, "used abc")
    async with database.unit_of_work() as uow:
        ids = []
        # decided 5 s ago, 20 min ago, and a moment ago by a worker that holds it a minute
        for person, decided, due in [
            (people[0], now - timedelta(seconds=5), now - timedelta(seconds=1)),
            (people[1], now - timedelta(minutes=20), now - timedelta(minutes=19)),
            (people[2], now, now + timedelta(minutes=1)),
        ]:
            join_id = await uow.joins.add(
                NewJoin(world.guild.id, person.id, decided, JoinType.PENDING), now=decided
            )
            await uow.joins.decide(join_id, credited, now=decided, message_due=due)
            ids.append(join_id)
        await uow.leaves.add(
            NewLeave(
                world.guild.id,
                people[3].id,
                now - timedelta(seconds=3),
                inviter_id=world.bob.id,
                message_due_at=now - timedelta(seconds=1),
            ),
            now=now - timedelta(seconds=3),
        )
        await uow.commit()

    welcome = f"Welcome <@{people[0].id}>, invited by <@{world.alice.id}>"
    goodbye = f"Goodbye <@{people[3].id}>, invited by <@{world.bob.id}>"

    def both(found: list[Message]) -> bool:
        text = "\n".join(message.content or "" for message in found)
        return welcome in text and goodbye in text

    async for _client in running_app(create_app(settings, database=database)):
        await _posted(world, both)
        await asyncio.sleep(0.5)  # room for a message that should not come
        owed = await _owed(database, world)
    lines = [
        line
        for message in world.fake.messages(world.channel.id)
        for line in (message.content or "").splitlines()
    ]
    assert sorted(lines) == sorted([welcome, goodbye])  # in one message or two
    assert owed == ([ids[2]], [])  # the other worker's is still its to post


async def test_a_message_discord_could_not_take_is_posted_after_a_restart(
    database: Database, database_url: str, world: World
) -> None:
    """Discord fails every message: the welcome stays owed (due again at once, here), and the
    next start posts it, once."""
    fake = world.fake
    settings = discord_settings(database_url, fake, message_retry_seconds=0)
    fake.add_timeouts(route=MESSAGES_ROUTE, count=None, hold=30.0)
    newcomer = await world.user("patient")
    async for client in running_app(app := create_app(settings, database=database)):
        tracker = Api(client)
        await tracker.enable(world.guild.id)
        data_of(await tracker.put("/settings", _settings_body(world)))
        invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
        data_of(await tracker.get("/invite-links", guild_id=world.guild.id))  # the baseline
        member = await fake.join_via_invite(world.guild.id, newcomer.id, invite.code)
        body = {
            "guild_id": world.guild.id,
            "member_id": newcomer.id,
            "joined_at": member.joined_at.isoformat(),
        }
        joined = data_of(await tracker.post("/events/join/check-invite", body))
        counters = app.state.service.engine.announcer.counters
        for _ in range(100):  # Discord's timeouts, retried until the service's longest wait
            if counters.failed:
                break
            await asyncio.sleep(0.05)
        assert counters.failed == 1
    assert joined["join_type"] == "invite"
    assert fake.messages(world.channel.id) == []
    assert await _owed(database, world) == ([int(joined["join_id"])], [])

    fake.clear_faults()
    async for _client in running_app(create_app(settings, database=database)):
        messages = await _posted(world, bool)
        await asyncio.sleep(0.5)  # marked posted a moment after, and not posted again
        owed = await _owed(database, world)
    assert [message.content for message in messages] == [
        f"Welcome <@{newcomer.id}>, invited by <@{world.alice.id}>"
    ]
    assert len(fake.messages(world.channel.id)) == 1
    assert owed == ([], [])


async def test_a_held_message_is_renewed_and_one_to_retry_is_taken_again(
    database: Database, world: World
) -> None:
    """While a message is held here its lease is pushed on, so no look for due messages takes
    it; once Discord could not take it, its lease runs out and it is taken again; once posted,
    it is owed no more."""
    lease, retry_after = timedelta(seconds=0.6), timedelta(seconds=0.3)
    now = utcnow()
    credited = Attribution(JoinType.VANITY, "husqy", None, (), False, False, "the vanity URL")
    async with database.unit_of_work() as uow:
        join_id = await uow.joins.add(NewJoin(world.guild.id, 5, now, JoinType.PENDING), now=now)
        await uow.joins.decide(join_id, credited, now=now, message_due=now + lease)
        await uow.commit()
    taken: list[OwedMessage] = []
    owed = OwedMessages(
        database,
        clock=utcnow,
        max_delay=timedelta(minutes=10),
        retry_after=retry_after,
        lease=lease,
        sweep_every=0.2,
    )
    owed.hold([("join", join_id)])
    owed.start(taken.extend)
    try:
        await asyncio.sleep(1.5)  # over two leases
        assert taken == []
        owed.finished(("join", join_id), Delivery.RETRY)
        for _ in range(40):
            if taken:
                break
            await asyncio.sleep(0.05)
        assert [(message.kind, message.event_id) for message in taken] == [("join", join_id)]
        owed.finished(("join", join_id), Delivery.POSTED)
        await asyncio.sleep(0.5)
        assert await _owed(database, world) == ([], [])
    finally:
        await owed.close()


async def test_a_stop_gives_back_only_what_it_holds(database: Database, world: World) -> None:
    """A stopping worker gives back, due at once, the messages it holds; not one it let go
    for a later try, which another worker may have taken meanwhile."""
    now = utcnow()
    credited = Attribution(JoinType.UNKNOWN, None, None, (), False, False, "no invite")
    async with database.unit_of_work() as uow:
        ids = []
        for member in (5, 6):
            join_id = await uow.joins.add(
                NewJoin(world.guild.id, member, now, JoinType.PENDING), now=now
            )
            await uow.joins.decide(
                join_id, credited, now=now, message_due=now + timedelta(minutes=1)
            )
            ids.append(join_id)
        await uow.commit()
    owed = OwedMessages(
        database, clock=utcnow, max_delay=timedelta(minutes=10), retry_after=timedelta(hours=1)
    )
    owed.hold([("join", ids[0]), ("join", ids[1])])
    owed.finished(("join", ids[1]), Delivery.RETRY)
    await owed.close()
    async with database.unit_of_work() as uow:
        due = await uow.messages.take_due(
            "join", now=utcnow(), until=now + timedelta(hours=3), limit=10
        )
        later = await uow.messages.take_due(
            "join", now=now + timedelta(hours=2), until=now, limit=10
        )
        await uow.rollback()
    assert [message.event_id for message in due] == [ids[0]]
    assert [message.event_id for message in later] == [ids[1]]
