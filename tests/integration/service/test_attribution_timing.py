"""When the engine reads and decides, through HTTP against the fake Discord: the read
bucket's pacing, joins still being stored, several workers, idle guilds."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from invite_tracker.api.app import create_app
from invite_tracker.clock import utcnow
from invite_tracker.db.session import Database
from invite_tracker.discord.discord_clock import ARRIVAL_MARGIN
from invite_tracker.domain.invites import JoinType
from invite_tracker.domain.joins import NewJoin
from invite_tracker.services.attribution import AttributionEngine
from invite_tracker.testing.fake_discord import FakeDiscord
from tests.integration.api.conftest import Api, running_app
from tests.integration.service.conftest import World, discord_settings, owned_for
from tests.integration.service.test_attribution import (
    assert_credit_no_one,
    decided_join,
    final,
    invite_reads,
    joined,
    ready,
    report,
)


async def test_reads_the_rate_limiter_would_hold_are_made_later_instead(
    database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    app = create_app(discord_settings(database_url, fake), database=database)
    # two reads per 0.6 s, while joins come every 0.15 s and the engine may read every 0.05 s
    fake.set_route_limit("GET /guilds/{guild_id}/invites", 2, per=0.6)
    async for client in running_app(app):
        api = Api(client)
        await ready(api, world)
        reports = []
        for n in range(4):
            user = await world.user(f"m{n}")
            member = await fake.join_via_invite(world.guild.id, user.id, invite.code)
            reports.append(asyncio.create_task(report(api, world, member)))
            await asyncio.sleep(0.15)
        results = await asyncio.gather(*reports)
        decided = [await final(api, world, r["join_id"]) for r in results]
        engine = app.state.service.engine
        paced = engine.guild_state(world.guild.id)
    assert {(d["join_type"], d["invite_code"]) for d in decided} == {("invite", invite.code)}
    assert engine.stats.deferred_reads >= 1
    assert fake.stats.rate_limited.get("GET /guilds/{guild_id}/invites", 0) == 0
    # the pacing knows how late the client's limiter frees the bucket: it said, per read
    assert paced is not None
    assert paced.lags
    assert all(lag >= ARRIVAL_MARGIN - 1e-6 for lag in paced.lags)


async def test_join_events_stored_while_a_read_waits_its_turn_are_weighed_before_deciding(
    database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    """A join event stored in time, while the engine waited for its next read, must be part
    of the window it decides after that read: otherwise a join through no invite stands in for
    the member who used the window's invite, and takes their inviter."""
    a = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    b = await fake.create_invite(world.channel.id, inviter_id=world.bob.id)
    # one read a second at most; join events count as in time for 0.5 s after the read
    settings = discord_settings(
        database_url,
        fake,
        invite_fetch_interval_seconds=1.0,
        attribution_margin_seconds=0.5,
        attribution_wait_seconds=0.1,
    )

    async for client in running_app(create_app(settings, database=database)):
        api = Api(client)
        await ready(api, world)
        await asyncio.sleep(1.2)  # the next read may go out at once
        used = await fake.join_via_invite(world.guild.id, (await world.user("used-a")).id, a.code)
        found = await fake.join_without_invite(world.guild.id, (await world.user("discovered")).id)
        before = invite_reads(fake)
        discovered = await report(api, world, found)  # read at once: it counts a's use
        for _ in range(100):
            if invite_reads(fake) > before:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        later = await fake.join_via_invite(world.guild.id, (await world.user("later")).id, b.code)
        await report(api, world, later)  # the engine now waits about a second to read again
        await asyncio.sleep(0.1)
        user_of_a = await report(api, world, used)  # 0.3 s after the join: within the margin
        decided = [await final(api, world, r["join_id"]) for r in (discovered, user_of_a)]
    assert_credit_no_one(decided, "(none)", a.code)


async def test_no_window_is_decided_past_a_join_still_being_stored(
    database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    """A join event whose transaction is still open is not visible yet, but came in time:
    the windows are decided only up to when it came."""
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    settings = discord_settings(database_url, fake, attribution_margin_seconds=0.3)
    app = create_app(settings, database=database)
    async for client in running_app(app):
        api = Api(client)
        await ready(api, world)
        engine = app.state.service.engine
        member = await fake.join_via_invite(world.guild.id, (await world.user("m")).id, invite.code)
        with engine.storing(world.guild.id, utcnow()):  # another join, slow to commit
            reported = await report(api, world, member)
            await asyncio.sleep(1.0)  # the read and the margin are long past
            assert (await joined(api, world, reported["join_id"]))["join_type"] == "pending"
        decided = await final(api, world, reported["join_id"])
    assert (decided["join_type"], decided["invite_code"]) == ("invite", invite.code)


async def test_a_join_committed_after_a_later_one_is_still_attributed(
    backend: str, database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    """On PostgreSQL two joins stored at once can commit out of id order (SQLite lets one
    writer at a time): the engine must not skip the one with the lower id."""
    if backend == "sqlite":
        pytest.skip("SQLite commits one writer at a time, so ids commit in order")
    a = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    b = await fake.create_invite(world.channel.id, inviter_id=world.bob.id)
    app = create_app(discord_settings(database_url, fake), database=database)
    async for client in running_app(app):
        api = Api(client)
        await ready(api, world)
        engine = app.state.service.engine
        slow = await fake.join_via_invite(world.guild.id, (await world.user("slow")).id, a.code)
        await asyncio.sleep(0.3)
        quick = await fake.join_via_invite(world.guild.id, (await world.user("quick")).id, b.code)
        async with database.unit_of_work() as held:  # a request storing `slow`, not committed
            stored, _ = await held.joins.add_if_absent(
                NewJoin(world.guild.id, slow.user_id, slow.joined_at, JoinType.PENDING),
                now=utcnow(),
            )
            later = await report(api, world, quick)  # a higher id, committed first
            assert later["join_id"] > stored.id
            assert (await final(api, world, later["join_id"]))["join_type"] != "pending"
            await held.commit()
        engine.notify(world.guild.id)  # as the storing request does after its commit
        decided = await final(api, world, stored.id)  # not left pending for good
    # its window was decided while it was held (far past the margin): it is late, so honest
    assert decided["join_type"] in ("invite", "ambiguous"), decided
    assert decided["invite_code"] in (a.code, None), decided
    assert a.code in decided["candidates"] or decided["invite_code"] == a.code, decided


async def test_no_window_is_decided_past_a_join_another_worker_is_storing(
    backend: str, database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    """A join event stored by another worker, whose transaction is still open, came in time:
    decided without it, its window would give its invite to a join that used none."""
    if backend == "sqlite":
        pytest.skip("one worker on SQLite: the in-process test above covers it")
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    settings = discord_settings(
        database_url, fake, attribution_margin_seconds=0.3, attribution_wait_seconds=0.2
    )
    app = create_app(settings, database=database)
    async for client in running_app(app):
        api = Api(client)
        await ready(api, world)
        # The engine keeps the guild a while after its first reads (they may still fill the
        # bucket), looking at storage, where it waits out joins being stored. Such a wait,
        # queued behind this test's open transaction, would hold up the join check below as
        # well (PostgreSQL queues a lock behind a waiting one): the test would wait for itself.
        await owned_for(app.state.service.engine, world.guild.id, 10.0)
        used = await fake.join_via_invite(world.guild.id, (await world.user("u")).id, invite.code)
        discovered = await fake.join_without_invite(world.guild.id, (await world.user("d")).id)
        async with database.unit_of_work() as other_worker:  # its request storing `used`
            await other_worker.joins.storing_for(world.guild.id)
            stored, _ = await other_worker.joins.add_if_absent(
                NewJoin(world.guild.id, used.user_id, used.joined_at, JoinType.PENDING),
                now=utcnow(),
            )
            reported = await report(api, world, discovered)
            await asyncio.sleep(1.0)  # the read and the margin are long past
            assert (await joined(api, world, reported["join_id"]))["join_type"] == "pending"
            await other_worker.commit()
        decided = [await final(api, world, join_id) for join_id in (reported["join_id"], stored.id)]
    # one use for two joins of one window, one of which used no invite: nobody can tell which
    assert_credit_no_one(decided, "(none)", invite.code)


async def test_windows_read_before_the_engine_went_idle_still_place_late_join_events(
    database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    """Reads made while joins kept coming cut windows that joins whose events come only after
    the engine went idle must still be placed in: starting again from the stored baseline
    would put them all in one window, and two invites used there would credit no one."""
    a = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    b = await fake.create_invite(world.channel.id, inviter_id=world.bob.id)
    settings = discord_settings(
        database_url, fake, invite_fetch_interval_seconds=0.2, attribution_margin_seconds=0.5
    )

    def reads() -> list[float]:
        return [
            (instant - started).total_seconds()
            for instant in fake.world.guild(world.guild.id).invite_list_reads
            if instant > started
        ]

    async for client in running_app(create_app(settings, database=database)):
        api = Api(client)
        await ready(api, world)
        await asyncio.sleep(0.4)
        started = fake.now()
        # five joins reported at once: five reads are paid for, 0.2 s apart, the first one
        # theirs; the second closes an empty window, which moves the baseline on
        first = [
            await fake.join_via_invite(world.guild.id, (await world.user(f"x{n}")).id, a.code)
            for n in range(5)
        ]
        answers = [asyncio.create_task(report(api, world, member)) for member in first]
        y, z = await world.user("y"), await world.user("z")
        await asyncio.sleep(0.35 - (fake.now() - started).total_seconds())
        through_b = await fake.join_via_invite(world.guild.id, y.id, b.code)  # after read 2
        await asyncio.sleep(0.55 - (fake.now() - started).total_seconds())
        through_a = await fake.join_via_invite(world.guild.id, z.id, a.code)  # after read 3
        await asyncio.gather(*answers)
        await asyncio.sleep(1.5)  # the engine has gone idle; now their events come
        late = [await report(api, world, member) for member in (through_b, through_a)]
        decided = [await final(api, world, r["join_id"]) for r in late]
    cuts = reads()
    offsets = [(m.joined_at - started).total_seconds() for m in (through_b, through_a)]
    # a read fell between the two joins while the engine was still reading
    assert any(offsets[0] < cut < offsets[1] for cut in cuts), (cuts, offsets)
    assert [(d["join_type"], d["invite_code"]) for d in decided] == [
        ("invite", b.code),
        ("invite", a.code),
    ], (cuts, offsets)


async def test_the_read_a_join_calls_for_does_not_wait_for_the_join_to_be_stored(
    database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    """Every millisecond between a join and the read after it is one in which another join
    can blur it: the read leaves as soon as the join event is heard of, and the join, stored
    meanwhile, is decided with that read, not another."""
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    app = create_app(discord_settings(database_url, fake), database=database)

    async for client in running_app(app):
        api = Api(client)
        await ready(api, world)
        engine = app.state.service.engine
        member = await fake.join_via_invite(world.guild.id, (await world.user("m")).id, invite.code)
        # its event comes a little late: the read is counted well after the join (within the
        # clock tolerance of it, the join could be on either side, and call for another read)
        await asyncio.sleep(0.1)
        before = invite_reads(fake)
        engine.join_heard(world.guild.id, member.joined_at)  # as while storing its join
        for _ in range(100):
            if invite_reads(fake) > before:
                break
            await asyncio.sleep(0.01)
        assert invite_reads(fake) == before + 1  # the read went out with nothing stored yet
        async with database.reading() as uow:
            assert await uow.joins.pending(world.guild.id) == []
        decided = await decided_join(api, world, member)
        # a join before the latest read calls for no read
        engine.join_heard(world.guild.id, member.joined_at)
        await asyncio.sleep(0.3)
    assert (decided["join_type"], decided["invite_code"]) == ("invite", invite.code)
    assert invite_reads(fake) == before + 1


def spy_on_joins_heard(engine: AttributionEngine) -> list[int]:
    """Each time the engine hears of a join: how many joins of its guild were being stored."""
    heard = engine.join_heard
    storing: list[int] = []

    def spy(guild_id: int, joined_at: datetime) -> None:
        state = engine.guild_state(guild_id)
        storing.append(0 if state is None else len(state.storing))
        heard(guild_id, joined_at)

    engine.join_heard = spy  # type: ignore[method-assign]
    return storing


async def test_a_join_is_heard_of_before_its_transaction_ends(
    database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    """The join check tells the engine of a join while its transaction is still open (the
    engine counts it as being stored); a repeated member-add, of a join read already, calls
    for no read."""
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    app = create_app(discord_settings(database_url, fake), database=database)

    async for client in running_app(app):
        api = Api(client)
        await ready(api, world)
        storing_when_heard = spy_on_joins_heard(app.state.service.engine)
        member = await fake.join_via_invite(world.guild.id, (await world.user("m")).id, invite.code)
        await asyncio.sleep(0.1)  # its event comes a little late
        first = await report(api, world, member)
        read = invite_reads(fake)
        again = await report(api, world, member)  # the same member-add, delivered twice
        await asyncio.sleep(0.3)
    assert again["repeated"]
    assert again["join_id"] == first["join_id"]
    assert storing_when_heard == [1, 1]  # heard of each time, its transaction still open
    assert invite_reads(fake) == read
    assert (first["join_type"], first["invite_code"]) == ("invite", invite.code)


async def test_an_idle_guild_is_released_and_its_next_joins_resume_from_storage(
    database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    """A guild with nothing to attribute has its in-memory state dropped after a while (a bot
    in thousands of guilds would otherwise keep a few snapshots of every guild's invites). Its
    next joins resume from the stored baseline, as after a restart, and are credited right."""
    alice = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    bob = await fake.create_invite(world.channel.id, inviter_id=world.bob.id)
    settings = discord_settings(database_url, fake, attribution_idle_release_seconds=0.5)
    app = create_app(settings, database=database)
    async for client in running_app(app):
        api = Api(client)
        await ready(api, world)
        engine = app.state.service.engine
        first = await fake.join_via_invite(world.guild.id, (await world.user("a")).id, alice.code)
        before = await decided_join(api, world, first)
        held = engine.guild_state(world.guild.id)
        for _ in range(60):  # released within about a second of going idle
            if engine.guild_state(world.guild.id) is None:
                break
            await asyncio.sleep(0.05)
        released = engine.guild_state(world.guild.id) is None
        second = await fake.join_via_invite(world.guild.id, (await world.user("b")).id, bob.code)
        after = await decided_join(api, world, second)
    assert held is not None
    assert released
    assert (before["invite_code"], before["inviter_id"]) == (alice.code, str(world.alice.id))
    assert (after["invite_code"], after["inviter_id"]) == (bob.code, str(world.bob.id))
