"""The options of a simulated run's attribution engine, for `invite-tracker simulate` and the
benchmark. Kept apart from the simulator (and light to import): the command line builds its
parser from them at every start."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class EngineChoices:
    """How the simulated service's attribution engine is set, beyond the profile's pacing:
    the member search cross-check, and how many invite reads a join pays for and for how
    long after the latest join event (`INVITE_TRACKER_INVITE_READS_PER_JOIN`,
    `..._INVITE_READING_SECONDS`; the defaults keep to one read per join); and how many
    workers serve it (more than one on PostgreSQL only, as `serve --workers`)."""

    member_search: bool = False
    reads_per_join: float = 1.0
    reading_seconds: float = 1.0
    workers: int = 1

    def overrides(self) -> dict[str, Any]:
        """The service settings these choices set."""
        return {
            "member_search": self.member_search,
            "invite_reads_per_join": self.reads_per_join,
            "invite_reading_seconds": self.reading_seconds,
        }


def add_engine_arguments(parser: argparse.ArgumentParser, whose: str = "") -> None:
    """The command-line options that make `EngineChoices` (see `engine_choices`); `whose`
    starts each help text (e.g. "ours: "). The defaults are those of `EngineChoices`."""
    default = EngineChoices()
    parser.add_argument(
        "--member-search",
        action="store_true",
        help=f"{whose}cross-check ambiguous joins with Discord's member search (off by default)",
    )
    parser.add_argument(
        "--reads-per-join",
        type=float,
        default=default.reads_per_join,
        help=f"{whose}invite reads each join pays for while joins keep coming "
        f"(default {default.reads_per_join:g})",
    )
    parser.add_argument(
        "--reading-seconds",
        type=float,
        default=default.reading_seconds,
        help=f"{whose}how long after the latest join event those reads go on "
        f"(default {default.reading_seconds:g})",
    )
    parser.add_argument(
        "--workers",
        type=_workers,
        default=default.workers,
        help=f"{whose}service workers taking the events in turn; more than one needs a "
        f"PostgreSQL --database-url (default {default.workers})",
    )


def _workers(text: str) -> int:
    count = int(text)
    if count < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return count


def engine_choices(args: argparse.Namespace) -> EngineChoices:
    """The choices the options of `add_engine_arguments` made."""
    return EngineChoices(
        args.member_search, args.reads_per_join, args.reading_seconds, args.workers
    )
