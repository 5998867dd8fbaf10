"""The `invite-tracker` command: serve, migrate, manage keys."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from invite_tracker import __version__
from invite_tracker.clock import utcnow
from invite_tracker.db.migrate import upgrade
from invite_tracker.db.session import Database, UnitOfWork
from invite_tracker.domain.errors import InviteTrackerError
from invite_tracker.domain.ids import parse_snowflake
from invite_tracker.logging import configure_logging
from invite_tracker.services import api_keys
from invite_tracker.services.retention import purge_expired
from invite_tracker.settings import Settings
from invite_tracker.simulator.options import add_engine_arguments, engine_choices

T = TypeVar("T")
APP_FACTORY = "invite_tracker.api.app:create_app_from_environment"


def _environment_help() -> str:
    lines = ["configuration (environment variables):"]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        shown = "" if default in (None, [], "") else f" [default: {default}]"
        lines.append(f"  INVITE_TRACKER_{name.upper():<28} {field.description}{shown}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The command line, with every setting listed in `--help`."""
    parser = argparse.ArgumentParser(
        prog="invite-tracker",
        description="Husqy's invite tracker service.",
        epilog=_environment_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate the database and serve the HTTP API")
    serve.add_argument("--host", help="address to listen on (default: INVITE_TRACKER_HOST)")
    serve.add_argument("--port", type=int, help="port (default: INVITE_TRACKER_PORT)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--no-migrate", action="store_true", help="do not migrate on start")

    fake = commands.add_parser(
        "fake-discord", help="serve the fake Discord (for trying the service without Discord)"
    )
    fake.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    fake.add_argument("--port", type=int, default=8090, help="port (default 8090)")
    fake.add_argument("--token", default="fake-token", help="the bot token it accepts")
    fake.add_argument("--empty", action="store_true", help="start with no demo guild")

    db = commands.add_parser("db", help="database maintenance").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="apply every migration")
    db.add_parser("purge", help="delete joins and leaves older than the retention period now")

    keys = commands.add_parser("keys", help="guild API keys").add_subparsers(
        dest="keys_command", required=True
    )
    create = keys.add_parser("create", help="create a key linked to a guild (printed once)")
    create.add_argument("--guild-id", required=True, help="the guild the key is linked to")
    create.add_argument("--label", help="a note to recognise the key by")
    listing = keys.add_parser("list", help="list keys, without their secrets")
    listing.add_argument("--guild-id", help="only this guild's keys")
    revoke = keys.add_parser("revoke", help="revoke a key, given as the key or its id")
    revoke.add_argument("key", help="the key itself or its key id")

    simulate = commands.add_parser(
        "simulate", help="play attribution scenarios against the fake Discord; print tables"
    )
    simulate.add_argument(
        "--scenario", choices=("steady", "burst", "raid", "churn", "all"), default="all"
    )
    simulate.add_argument("--seed", type=int, default=1, help="timeline seed (default 1)")
    simulate.add_argument(
        "--profile",
        choices=("5-per-1s", "5-per-5s", "both"),
        default="both",
        help="the fake's invite-list rate limit (default: both)",
    )
    simulate.add_argument("--database-url", help="the service's database (default: temp SQLite)")
    simulate.add_argument("--short", action="store_true", help="the short variants (seconds)")
    add_engine_arguments(simulate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    try:
        if args.command == "serve":
            return _serve(args, settings)
        if args.command == "fake-discord":
            return _fake_discord(args)
        if args.command == "db":
            return asyncio.run(_db(args.db_command, settings))
        if args.command == "simulate":
            return _simulate(args)
        return asyncio.run(_keys(args, settings))
    except (InviteTrackerError, ValueError) as exc:
        print(f"invite-tracker: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    if not args.no_migrate:
        asyncio.run(_db("upgrade", settings))
    if not settings.internal_api_keys:
        key = secrets.token_urlsafe(32)
        # Workers read their settings from the environment, so they all get this key.
        os.environ["INVITE_TRACKER_INTERNAL_API_KEYS"] = key
        print(
            "No INVITE_TRACKER_INTERNAL_API_KEYS configured: generated an internal key for "
            f"this run only:\n\n    {key}\n\nSend it as 'Authorization: Bearer <key>'.\n",
            file=sys.stderr,
            flush=True,
        )
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers,
        log_level=settings.log_level.lower(),
        access_log=False,
    )
    return 0


def _fake_discord(args: argparse.Namespace) -> int:
    from invite_tracker.testing.fake_discord import serve_fake_discord

    print(
        f"Fake Discord on http://{args.host}:{args.port}/api/v10 (bot token {args.token!r}); "
        "point the service at it with\n"
        f"  INVITE_TRACKER_DISCORD_API_URL=http://{args.host}:{args.port}/api/v10 "
        f"INVITE_TRACKER_DISCORD_TOKEN={args.token}",
        file=sys.stderr,
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_fake_discord(args.host, args.port, args.token, seed_demo=not args.empty))
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from invite_tracker.simulator.command import simulate

    return simulate(
        args.scenario,
        args.seed,
        args.profile,
        database_url=args.database_url,
        short=args.short,
        choices=engine_choices(args),
    )


async def _with_uow(settings: Settings, action: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    database = Database.from_url(settings.database_url)
    try:
        async with database.unit_of_work() as uow:
            result = await action(uow)
            await uow.commit()
            return result
    finally:
        await database.dispose()


async def _db(command: str, settings: Settings) -> int:
    if command == "upgrade":
        database = Database.from_url(settings.database_url)
        try:
            await upgrade(database.engine)
        finally:
            await database.dispose()
        print("database is up to date", file=sys.stderr)
        return 0
    purged = await _with_uow(
        settings,
        lambda uow: purge_expired(uow, retention_days=settings.retention_days, now=utcnow()),
    )
    print(f"purged {purged.joins} joins and {purged.leaves} leaves", file=sys.stderr)
    return 0


async def _keys(args: argparse.Namespace, settings: Settings) -> int:
    if args.keys_command == "create":
        guild_id = parse_snowflake(args.guild_id)
        created = await _with_uow(
            settings, lambda uow: api_keys.create_key(uow, guild_id, label=args.label, now=utcnow())
        )
        print(f"created key {created.key.key_id} for guild {guild_id}; it is shown only once:")
        print(created.secret)
        return 0
    if args.keys_command == "list":
        guild = parse_snowflake(args.guild_id) if args.guild_id else None
        keys = await _with_uow(settings, lambda uow: api_keys.list_keys(uow, guild))
        for key in keys:
            state = "revoked" if key.revoked_at else "active"
            print(
                f"{key.key_id}  guild {key.guild_id}  {state:<7}  "
                f"created {key.created_at.isoformat()}  {key.label or ''}".rstrip()
            )
        return 0
    revoked = await _with_uow(
        settings,
        lambda uow: api_keys.revoke_key(uow, key_or_id=args.key, guild_id=None, now=utcnow()),
    )
    print(f"revoked key {revoked.key_id} of guild {revoked.guild_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
