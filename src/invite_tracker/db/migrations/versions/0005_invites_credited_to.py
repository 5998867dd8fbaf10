"""invites credited to a member: an invite the bot made for someone (POST /invite)

Discord names the bot as the inviter of every invite the service creates. `credited_to` is
the member the invite was made for, kept apart so that Discord's reads do not overwrite it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 19:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import invite_tracker.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("credited_to", invite_tracker.db.types.Snowflake(), nullable=True)
        )
        batch_op.create_index("ix_invites_guild_credited", ["guild_id", "credited_to"])


def downgrade() -> None:
    with op.batch_alter_table("invites", schema=None) as batch_op:
        batch_op.drop_index("ix_invites_guild_credited")
        batch_op.drop_column("credited_to")
