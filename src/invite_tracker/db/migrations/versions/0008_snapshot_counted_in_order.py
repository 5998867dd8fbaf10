"""snapshot counted in order: whether Discord counted the baseline's reads at one instant

The invite list and the vanity counter are two requests. When Discord counted them at
different instants (one answered late), a join made between the two counts is counted by one
and not the other, so the joins a snapshot counted are no longer the earliest of those made
while it was read. Null (rows from before) reads as true, as they were taken then.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 20:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("guild_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("counted_in_order", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("guild_snapshots", schema=None) as batch_op:
        batch_op.drop_column("counted_in_order")
