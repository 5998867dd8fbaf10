"""Alembic environment: migrations run on a connection the caller hands over."""

from __future__ import annotations

from alembic import context

from invite_tracker.db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations with `invite-tracker db upgrade`, which provides the connection"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
