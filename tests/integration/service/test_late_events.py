"""Join events that reach the service late: how long the engine waits for them."""

from __future__ import annotations

from datetime import timedelta

from invite_tracker.api.app import create_app
from invite_tracker.clock import utcnow
from invite_tracker.db.session import Database
from invite_tracker.testing.fake_discord import FakeDiscord
from tests.integration.api.conftest import Api, data_of, running_app
from tests.integration.service.conftest import World, discord_settings
from tests.integration.service.test_attribution import final, ready, report


async def test_one_event_told_long_after_does_not_hold_back_the_joins_after_it(
    database: Database, database_url: str, fake: FakeDiscord, world: World
) -> None:
    """A member-add ten minutes old (a reporter retrying, a gateway resume) is no sign that
    events are slow: no margin could wait for it. The joins after it are decided the
    configured margin after their read, not held back by the longest margin for minutes."""
    invite = await fake.create_invite(world.channel.id, inviter_id=world.alice.id)
    app = create_app(
        discord_settings(database_url, fake, attribution_margin_seconds=0.5), database=database
    )
    async for client in running_app(app):
        api = Api(client)
        await ready(api, world)
        stale = {
            "guild_id": world.guild.id,
            "member_id": (await world.user("stale")).id,
            "joined_at": (utcnow() - timedelta(minutes=10)).isoformat(),
        }
        old = data_of(await api.post("/events/join/check-invite", stale))
        user = await world.user("now")
        member = await fake.join_via_invite(world.guild.id, user.id, invite.code)
        decided = await final(api, world, (await report(api, world, member))["join_id"])
        state = app.state.service.engine.guild_state(world.guild.id)
        margin = None if state is None or state.ledger is None else state.ledger.margin
        earlier = await final(api, world, old["join_id"])
    assert earlier["join_type"] == "unknown"
    assert (decided["join_type"], decided["invite_code"]) == ("invite", invite.code)
    assert margin == timedelta(seconds=0.5)
