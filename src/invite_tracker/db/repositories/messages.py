"""Owed join and leave messages: `message_due_at` on joins and leaves (`domain.owed_messages`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from invite_tracker.db.models import JoinRow, LeaveRow
from invite_tracker.domain.owed_messages import OwedMessage
from invite_tracker.domain.templating import MessageKind

_CHUNK = 500
"""Ids per statement: well under every database's limit on bound parameters."""


def _table(kind: MessageKind) -> tuple[Any, Any, Any]:
    """The table of the kind's events, when such an event became final, and when it happened."""
    if kind == "join":
        final_at = func.coalesce(JoinRow.attributed_at, JoinRow.recorded_at)
        return JoinRow, final_at, JoinRow.joined_at
    return LeaveRow, LeaveRow.recorded_at, LeaveRow.left_at


class MessageRepository:
    """Reads and writes which join and leave messages are owed, and from when."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def take_due(
        self, kind: MessageKind, *, now: datetime, until: datetime, limit: int
    ) -> list[OwedMessage]:
        """Take up to `limit` of the kind's messages due by `now` (their lease ran out, or they
        were given back), holding them until `until`. Taking is one UPDATE that checks the
        due time again row by row, so two workers never take the same message: on PostgreSQL
        the second waits for the first's row lock, then finds the new time."""
        model, final_at, happened_at = _table(kind)
        due = (
            select(model.id)
            .where(model.message_due_at <= now)
            .order_by(model.id)
            .limit(limit)
            .scalar_subquery()
        )
        result = await self._session.execute(
            update(model)
            .where(model.id.in_(due), model.message_due_at <= now)
            .values(message_due_at=until)
            .returning(
                model.id,
                model.guild_id,
                model.member_id,
                model.inviter_id,
                model.invite_code,
                final_at,
                happened_at,
            )
            .execution_options(synchronize_session=False)
        )
        owed = [OwedMessage(kind, *row) for row in result]
        return sorted(owed, key=lambda message: message.event_id)

    async def set_due(
        self, kind: MessageKind, event_ids: Collection[int], due: datetime | None
    ) -> None:
        """Move the messages of these events (those still owed) to `due`: None once posted
        or given up, a later time to hold them longer, now to give them back."""
        model, _, _ = _table(kind)
        ids = sorted(event_ids)
        for start in range(0, len(ids), _CHUNK):
            await self._session.execute(
                update(model)
                .where(model.id.in_(ids[start : start + _CHUNK]), model.message_due_at.is_not(None))
                .values(message_due_at=due)
                .execution_options(synchronize_session=False)
            )
