"""Memory the attribution engine keeps per guild, and what releasing idle guilds frees.

Runs the service in-process against the fake Discord: `--guilds` guilds with `--invites`
invites each and one join in each, every join decided; then prints the memory tracemalloc
traces while the engine keeps every guild's state (its ledger holds snapshots of every invite),
and again once it has released the idle guilds, as it does after
`INVITE_TRACKER_ATTRIBUTION_IDLE_RELEASE_SECONDS`. Figures only; nothing is asserted.

    .venv/bin/python -m benchmarks.engine_memory [--guilds 50] [--invites 20]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
import tracemalloc

import httpx

from invite_tracker.api.app import MODULE_PREFIX, create_app
from invite_tracker.db.migrate import upgrade
from invite_tracker.db.session import Database
from invite_tracker.logging import configure_logging
from invite_tracker.services.attribution import AttributionEngine
from invite_tracker.settings import Settings
from invite_tracker.simulator.tracker import temporary_sqlite
from invite_tracker.testing.fake_discord import FakeDiscord

KEY = "benchmark-internal-key"


async def join_one(
    client: httpx.AsyncClient, fake: FakeDiscord, guild_id: int, code: str, user_id: int
) -> None:
    """A member joins the guild through the invite; the join is reported and decided."""
    member = await fake.join_via_invite(guild_id, user_id, code)
    body = {
        "guild_id": str(guild_id),
        "member_id": str(user_id),
        "joined_at": member.joined_at.isoformat(),
    }
    answer = (await client.post(f"{MODULE_PREFIX}/events/join/check-invite", json=body)).json()
    join_id = answer["data"]["join_id"]
    for _ in range(200):
        log = await client.get(f"{MODULE_PREFIX}/joins", params={"guild_id": str(guild_id)})
        found = [j for j in log.json()["data"]["joins"] if j["join_id"] == join_id]
        if found and found[0]["join_type"] != "pending":
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"join {join_id} still pending")


def traced() -> int:
    """Bytes traced now, after a full collection."""
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def run(guilds: int, invites: int) -> list[str]:
    async with FakeDiscord.running() as fake, temporary_sqlite() as url:
        database = Database.from_url(url)
        await upgrade(database.engine)
        settings = Settings(
            database_url=url,
            discord_api_url=fake.api_url,
            discord_token=fake.token,
            internal_api_keys=KEY,
        )
        app = create_app(settings, database=database)
        headers = {"Authorization": f"Bearer {KEY}"}
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://b",
                headers=headers,
                timeout=60.0,
            ) as client,
        ):
            engine: AttributionEngine = app.state.service.engine
            plan = []
            for n in range(guilds):
                guild = await fake.create_guild(f"guild {n}")
                channel = await fake.create_channel(guild.id, "general")
                inviter = await fake.create_user(f"inviter {n}")
                await fake.add_member(guild.id, inviter.id)
                codes = [
                    (await fake.create_invite(channel.id, inviter_id=inviter.id)).code
                    for _ in range(invites)
                ]
                await client.post(f"{MODULE_PREFIX}/enable", json={"guild_id": str(guild.id)})
                await client.get(f"{MODULE_PREFIX}/invite-links", params={"guild_id": guild.id})
                plan.append((guild.id, codes[0], (await fake.create_user(f"m{n}")).id))
            base = traced()
            gate = asyncio.Semaphore(25)

            async def one(guild_id: int, code: str, user_id: int) -> None:
                async with gate:
                    await join_one(client, fake, guild_id, code, user_id)

            await asyncio.gather(*(one(*item) for item in plan))
            await asyncio.sleep(1.0)  # the attributors finish and go idle
            kept = traced()
            released = engine.release_idle(time.monotonic() + 1e6)  # as if long idle
            after = traced()
        await database.dispose()
    per_guild = (kept - after) / max(1, released)
    return [
        f"guilds {guilds}, invites per guild {invites}, one join each, all decided",
        f"traced once the guilds were set up:   {base / 1e6:8.2f} MB",
        f"after the joins, every guild kept:    {kept / 1e6:8.2f} MB",
        f"after releasing {released} idle guilds:      {after / 1e6:8.2f} MB",
        f"freed per idle guild:                 {per_guild / 1e3:8.1f} KB",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--guilds", type=int, default=50)
    parser.add_argument("--invites", type=int, default=20)
    args = parser.parse_args()
    configure_logging("WARNING")
    tracemalloc.start()
    for line in asyncio.run(run(args.guilds, args.invites)):
        print(line)


if __name__ == "__main__":
    main()
