"""The gateway events the fake would have dispatched, in order, for tests to read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from invite_tracker.testing.fake_discord.models import Event


class EventLog:
    """An append-only list of INVITE_CREATE, INVITE_DELETE, GUILD_MEMBER_ADD and _REMOVE."""

    def __init__(self) -> None:
        self._events: list[Event] = []

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[Event]:
        return iter(self._events)

    def record(
        self,
        event_type: str,
        guild_id: int,
        data: dict[str, Any],
        meta: dict[str, Any] | None,
        at: datetime,
    ) -> Event:
        """Append one event (sequence numbers start at 1)."""
        event = Event(
            seq=len(self._events) + 1,
            type=event_type,
            at=at,
            guild_id=guild_id,
            data=data,
            meta=meta or {},
        )
        self._events.append(event)
        return event

    def query(
        self, *, since: int = 0, guild_id: int | None = None, types: set[str] | None = None
    ) -> list[Event]:
        """Events after sequence number `since`, optionally for one guild or of some types."""
        return [
            event
            for event in self._events[since:]
            if (guild_id is None or event.guild_id == guild_id)
            and (types is None or event.type in types)
        ]
