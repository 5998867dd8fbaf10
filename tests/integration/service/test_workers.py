"""Several workers on one PostgreSQL database: which of them attributes a guild, and when
another may take it over. Each worker is an app of its own (engine, Discord client, pool)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from invite_tracker.api.app import create_app
from invite_tracker.db.session import Database
from invite_tracker.services.attribution import AttributionEngine
from invite_tracker.testing.fake_discord import FakeDiscord
from tests.integration.api.conftest import Api, data_of, running_app
from tests.integration.service.conftest import World, discord_settings, owned_for
from tests.integration.service.test_attribution import final, ready, report

GUILD_INVITES = "GET /guilds/{guild_id}/invites"
WINDOW = 5.0
"""The invite list's bucket in these tests: 5 reads per 5 s, Discord's stricter profile."""


def settings_for(database_url: str, fake: FakeDiscord, margin: float = 0.2) -> Any:
    fake.set_route_limit(GUILD_INVITES, 5, per=WINDOW)
    return discord_settings(
        database_url,
        fake,
        invite_fetch_interval_seconds=WINDOW / 5,
        invite_reading_seconds=0.2,
        attribution_margin_seconds=margin,
    )


@asynccontextmanager
async def worker(settings: Any, database: Database) -> AsyncIterator[tuple[Api, AttributionEngine]]:
    app = create_app(settings, database=database)
    async for client in running_app(app):
        yield Api(client), app.state.service.engine


@asynccontextmanager
async def two_workers(
    backend: str, database: Database, database_url: str, fake: FakeDiscord, margin: float = 0.2
) -> AsyncIterator[tuple[Api, AttributionEngine, Api, AttributionEngine]]:
    """Two workers on the test's PostgreSQL database, each with a pool of its own."""
    if backend == "sqlite":
        pytest.skip("several workers need PostgreSQL: SQLite serves one")
    settings = settings_for(database_url, fake, margin)
    other = Database.from_url(database_url)
    try:
        async with (
            worker(settings, database) as (one, first),
            worker(settings, other) as (two, second),
        ):
            yield one, first, two, second
    finally:
        await other.dispose()


async def join_through(api: Api, world: World, name: str, code: str) -> dict[str, Any]:
    """A new member joins through `code`; the join reported to `api`, once final."""
    member = await world.fake.join_via_invite(world.guild.id, (await world.user(name)).id, code)
    return await final(api, world, (await report(api, world, member))["join_id"])


async def test_a_worker_keeps_the_guild_while_its_reads_fill_the_bucket(
    backend: str, database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    """A worker's reads of the invite list are known to its own Discord client only. A worker
    taking the guild over as soon as the first has nothing left to do would read into the
    window those reads spent, and meet 429s (27 in the full churn scenario under 5 per 5 s
    with two workers). So the first keeps the guild, deciding the joins the other stores,
    until the bucket holds none of its reads; then the other takes over without a 429."""
    alices = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    bobs = await fake.create_invite(world.channel.id, inviter_id=world.bob.id)
    async with two_workers(backend, database, database_url, fake) as (one, first, two, second):
        await ready(one, world)
        by_first = await join_through(one, world, "a", alices.code)
        holding = first.guild_state(world.guild.id)
        assert holding is not None
        assert holding.owned  # nothing left to do, but its reads are in the bucket
        stored_by_second = await join_through(two, world, "b", bobs.code)
        reads_by_first = first.stats.fetches
        assert second.stats.fetches == 0  # the first one read for the second's join
        kept = await owned_for(first, world.guild.id, 2 * WINDOW)
        after_handover = await join_through(two, world, "c", alices.code)
    assert reads_by_first >= 2
    assert 0.5 < kept < 2 * WINDOW  # it let go, once its window had ended
    assert second.stats.fetches >= 1  # the second read for its own join once it took over
    assert fake.stats.rate_limited.get(GUILD_INVITES, 0) == 0
    credited = [(j["invite_code"], j["inviter_id"]) for j in (by_first, stored_by_second)]
    assert credited == [(alices.code, str(world.alice.id)), (bobs.code, str(world.bob.id))]
    assert (after_handover["invite_code"], after_handover["join_type"]) == (alices.code, "invite")


async def test_the_workers_tell_each_other_of_join_events_and_decisions(
    backend: str, database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    """The worker storing a join tells the others at once (PostgreSQL's LISTEN/NOTIFY): the
    attributing worker reads as for a join event of its own, instead of finding the join
    only when it next looks at storage. Once it has decided the join, it tells the others:
    the join check waiting in the worker that stored it answers at once, instead of when it
    next looks at storage."""
    alices = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    bobs = await fake.create_invite(world.channel.id, inviter_id=world.bob.id)
    # a margin long enough that the join check is waiting before the decision, however
    # loaded the machine (a decision stored before it waits is read, not told of)
    workers = two_workers(backend, database, database_url, fake, margin=1.0)
    async with workers as (one, first, two, second):
        await ready(one, world)
        await join_through(one, world, "a", alices.code)
        member = await fake.join_via_invite(world.guild.id, (await world.user("b")).id, bobs.code)
        answer = await report(two, world, member)
        state = first.guild_state(world.guild.id)
    assert (first.stats.heard_elsewhere, second.stats.heard_elsewhere) == (1, 0)
    assert state is not None
    # set by the other worker's signal alone
    assert state.heard == member.joined_at
    assert (first.stats.decided_elsewhere, second.stats.decided_elsewhere) == (0, 1)
    assert (answer["join_type"], answer["invite_code"]) == ("invite", bobs.code)
    assert answer["inviter_id"] == str(world.bob.id)


async def test_a_single_worker_lets_go_as_soon_as_it_is_idle(
    backend: str, database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    """On SQLite no other worker can take the guild over: the worker lets go once idle, and
    the bucket's state stays with the guild in this process."""
    if backend != "sqlite":
        pytest.skip("SQLite only: on PostgreSQL the worker keeps the guild (test above)")
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    async with worker(settings_for(database_url, fake), database) as (api, engine):
        await ready(api, world)
        joined = await fake.join_via_invite(world.guild.id, (await world.user("a")).id, invite.code)
        await final(api, world, (await report(api, world, joined))["join_id"])
        kept = await owned_for(engine, world.guild.id, WINDOW)
    assert kept < WINDOW / 2


async def links_of(api: Api, world: World) -> dict[str, Any]:
    result: dict[str, Any] = data_of(await api.get("/invite-links", guild_id=world.guild.id))
    return result


async def test_the_dashboard_reads_the_invite_list_only_through_the_attributing_worker(
    backend: str, database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    """A worker's Discord client knows only its own reads. A dashboard read of the invite
    list through a worker that is not attributing the guild would spend the bucket behind the
    attributor's back, and one of them would meet a 429. So while another worker holds the
    guild, the stored invites are answered (that worker's reads keep them current), and the
    note says why; when none does, the worker the read reaches takes the guild for it, and
    keeps it while the read's window lasts, attributing the joins the others store."""
    alices = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    async with two_workers(backend, database, database_url, fake) as (one, first, two, second):
        await ready(one, world)
        await join_through(one, world, "a", alices.code)
        reads_before, fetches_before = fake.stats.requests[GUILD_INVITES], first.stats.fetches
        while_first_holds = [await links_of(two, world) for _ in range(4)]
        reads_by_second = (fake.stats.requests[GUILD_INVITES] - reads_before) - (
            first.stats.fetches - fetches_before
        )
        # the first's next read (it met two 429s when the second had read behind its back)
        meanwhile = await join_through(one, world, "m", alices.code)
        read_then = fake.stats.requests[GUILD_INVITES]
        await owned_for(first, world.guild.id, 2 * WINDOW)
        taken = await links_of(two, world)
        state = second.guild_state(world.guild.id)
        holds = state is not None and state.owned
        fetches_by_first = first.stats.fetches
        decided = await join_through(one, world, "b", alices.code)
    assert reads_by_second == 0
    assert fake.stats.requests[GUILD_INVITES] > read_then  # the second read it
    assert [links["source"] for links in while_first_holds] == ["stored"] * 4
    assert all("another worker" in links["note"] for links in while_first_holds)
    assert [i["code"] for i in while_first_holds[-1]["invites"]] == [alices.code]
    assert while_first_holds[-1]["invites"][0]["uses"] == 1  # as of the first's decision
    assert (taken["source"], holds) == ("discord", True)
    assert first.stats.fetches == fetches_by_first  # the second attributed the first's join
    for join in (meanwhile, decided):
        assert (join["invite_code"], join["inviter_id"]) == (alices.code, str(world.alice.id))
    assert fake.stats.rate_limited.get(GUILD_INVITES, 0) == 0
