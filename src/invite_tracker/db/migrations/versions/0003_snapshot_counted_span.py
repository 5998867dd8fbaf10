"""snapshot counted span: when Discord counted the baseline read, by its own clock

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 01:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import invite_tracker.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("guild_snapshots", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "counted_after", invite_tracker.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "counted_before", invite_tracker.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("guild_snapshots", schema=None) as batch_op:
        batch_op.drop_column("counted_before")
        batch_op.drop_column("counted_after")
