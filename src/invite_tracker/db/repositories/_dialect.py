"""Dialect-specific INSERT ... ON CONFLICT, which SQLite and PostgreSQL both speak."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession, table: Any) -> Any:
    """An INSERT that supports `on_conflict_do_nothing/_update` on the session's database."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def affected(result: Any) -> int:
    """Rows an UPDATE, DELETE or INSERT touched (`CursorResult.rowcount`)."""
    count = result.rowcount
    return int(count) if count is not None and count > 0 else 0


async def count_where(session: AsyncSession, model: Any, *conditions: ColumnElement[bool]) -> int:
    """`SELECT count(*) FROM model WHERE conditions`."""
    count = await session.scalar(select(func.count()).select_from(model).where(*conditions))
    return int(count or 0)
