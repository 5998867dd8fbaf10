"""A small demo world and `serve_fake_discord`, the entry point of `invite-tracker fake-discord`."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from invite_tracker.testing.fake_discord.fake import FakeDiscord
from invite_tracker.testing.fake_discord.models import ChannelType

_LOG = structlog.get_logger("invite_tracker.fake_discord")

DEMO_GUILD_ID = 1_000_000_000_000_000_001
"""The demo guild's id, fixed so that instructions can name it."""


async def seed_demo_world(fake: FakeDiscord) -> dict[str, Any]:
    """Build one guild with channels, roles, members, invites and a vanity code; return its ids.

    The ids are fixed (so a README can name them); invite codes too. Carol has already joined
    through Alice's invite, so the world starts with some history in the event log.
    """
    owner = await fake.create_user("husqy-owner", user_id=1_000_000_000_000_000_100)
    guild = await fake.create_guild(
        "Husqy Demo", guild_id=DEMO_GUILD_ID, owner_id=owner.id, features=["COMMUNITY"]
    )
    category = await fake.create_channel(
        guild.id,
        "Start here",
        channel_id=1_000_000_000_000_000_010,
        channel_type=ChannelType.GUILD_CATEGORY,
    )
    general = await fake.create_channel(
        guild.id, "general", channel_id=1_000_000_000_000_000_011, parent_id=category.id
    )
    welcome = await fake.create_channel(
        guild.id,
        "welcome",
        channel_id=1_000_000_000_000_000_012,
        parent_id=category.id,
        topic="Join messages land here",
    )
    logs = await fake.create_channel(guild.id, "invite-logs", channel_id=1_000_000_000_000_000_013)
    moderator = await fake.create_role(
        guild.id,
        "Moderator",
        role_id=1_000_000_000_000_000_020,
        permissions=["MANAGE_GUILD", "KICK_MEMBERS"],
        color=0x5865F2,
        hoist=True,
    )
    regular = await fake.create_role(guild.id, "Member", role_id=1_000_000_000_000_000_021)
    alice = await fake.create_user("alice", user_id=1_000_000_000_000_000_101, global_name="Alice")
    bob = await fake.create_user("bob", user_id=1_000_000_000_000_000_102, global_name="Bob")
    carol = await fake.create_user("carol", user_id=1_000_000_000_000_000_103)
    dave = await fake.create_user("dave", user_id=1_000_000_000_000_000_104)
    await fake.add_member(guild.id, alice.id, roles=[moderator.id])
    await fake.add_member(guild.id, bob.id, roles=[regular.id])
    alice_invite = await fake.create_invite(
        general.id, inviter_id=alice.id, max_age=0, code="DemoAlice"
    )
    bob_invite = await fake.create_invite(
        welcome.id, inviter_id=bob.id, max_age=3600, max_uses=1, code="DemoBob1"
    )
    bot_invite = await fake.create_invite(general.id, max_age=86_400, code="DemoBot")
    await fake.set_vanity(guild.id, "husqy-demo", uses=3)
    await fake.join_via_invite(guild.id, carol.id, alice_invite.code)
    return {
        "guild_id": str(guild.id),
        "channels": {
            "general": str(general.id),
            "welcome": str(welcome.id),
            "invite_logs": str(logs.id),
        },
        "roles": {"moderator": str(moderator.id), "member": str(regular.id)},
        "users": {
            "owner": str(owner.id),
            "alice": str(alice.id),
            "bob": str(bob.id),
            "carol": str(carol.id),
            "dave (not a member yet)": str(dave.id),
        },
        "invites": {
            "alice": alice_invite.code,
            "bob (1 use, 1 h)": bob_invite.code,
            "bot": bot_invite.code,
        },
        "vanity": "husqy-demo",
        "bot_user_id": str(fake.bot_user.id),
    }


async def serve_fake_discord(host: str, port: int, token: str, seed_demo: bool = True) -> None:
    """Serve the fake Discord on `host:port` until cancelled, optionally with the demo world.

    Logs the API and control URLs (and the demo world's ids) to stderr through structlog.
    """
    fake = FakeDiscord(token)
    await fake.start(host, port)
    try:
        _LOG.info(
            "fake Discord listening",
            api_url=fake.api_url,
            control_url=fake.control_url,
            token=token,
            application_id=str(fake.application_id),
        )
        if seed_demo:
            ids = await seed_demo_world(fake)
            _LOG.info("demo world ready", **ids)
            dave = ids["users"]["dave (not a member yet)"]
            join_body = f'{{"user_id": "{dave}", "code": "DemoBob1"}}'
            _LOG.info(
                "try it",
                list_invites=f"curl -H 'Authorization: Bot {token}' "
                f"{fake.api_url}/guilds/{ids['guild_id']}/invites",
                join_dave=f"curl -X POST -d '{join_body}' "
                f"{fake.control_url}/guilds/{ids['guild_id']}/joins",
                events=f"curl {fake.control_url}/events",
            )
        await asyncio.Event().wait()
    finally:
        await fake.stop()
