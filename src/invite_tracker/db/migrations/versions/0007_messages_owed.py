"""messages owed: join and leave messages kept with their event until posted

A join or leave message was held in memory only, so a stop or a crash between an event's
decision and its message's post lost the message. `message_due_at` on a join or leave says
its message is owed, and from when a worker may take it: set when the event becomes final
(a lease for the worker preparing it), pushed on while that worker posts it, cleared once it
is posted or given up. The partial indexes hold only the few rows that are owed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 05:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import invite_tracker.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("joins", "leaves")
_OWED = "message_due_at IS NOT NULL"


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "message_due_at",
                    invite_tracker.db.types.UTCDateTime(timezone=True),
                    nullable=True,
                )
            )
        op.create_index(
            f"ix_{table}_message_due",
            table,
            ["message_due_at"],
            sqlite_where=sa.text(_OWED),
            postgresql_where=sa.text(_OWED),
        )


def downgrade() -> None:
    for table in _TABLES:
        op.drop_index(f"ix_{table}_message_due", table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("message_due_at")
