"""join ids never reused: SQLite's joins table gets AUTOINCREMENT

Without it SQLite hands the id of the newest join out again once that join is deleted (a
privacy request, offboarding, retention), and the attribution engine, which tells joins
apart by id, could give a deleted member's pending decision to the next join. PostgreSQL's
sequences never reuse an id: nothing changes there.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 17:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Partial indexes, dropped and made again around the rebuild rather than left to reflection.
_PARTIAL = {
    "uq_joins_present_member": (
        ["guild_id", "member_id"],
        True,
        "left_at IS NULL AND member_id IS NOT NULL",
    ),
    "ix_joins_pending": (["guild_id", "id"], False, "join_type = 'pending'"),
}


def upgrade() -> None:
    _rebuild_joins(autoincrement=True)


def downgrade() -> None:
    _rebuild_joins(autoincrement=False)


def _rebuild_joins(*, autoincrement: bool) -> None:
    """Rebuild SQLite's joins table with or without AUTOINCREMENT, every row and id kept.

    Dropping the old table runs `ON DELETE SET NULL` on `leaves.join_id` (foreign keys are
    on, and cannot be switched off inside the migration's transaction), so each leave's link
    is saved first and put back afterwards.
    """
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TEMPORARY TABLE leave_links AS "
        "SELECT id, join_id FROM leaves WHERE join_id IS NOT NULL"
    )
    for name in _PARTIAL:
        op.drop_index(name, table_name="joins")
    with op.batch_alter_table(
        "joins", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass
    for name, (columns, unique, where) in _PARTIAL.items():
        op.create_index(name, "joins", columns, unique=unique, sqlite_where=sa.text(where))
    op.execute(
        "UPDATE leaves SET join_id = "
        "(SELECT join_id FROM leave_links WHERE leave_links.id = leaves.id) "
        "WHERE id IN (SELECT id FROM leave_links)"
    )
    op.execute("DROP TABLE leave_links")
