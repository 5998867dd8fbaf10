"""The tables. Every row belongs to a guild, so offboarding a guild deletes by guild_id.

Unique constraints make repeated events harmless: one settings row per guild, one known invite
per (guild, code), at most one *present* join per (guild, member), one leave per join.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from invite_tracker.db.types import Snowflake, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints alike."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class GuildSettingsRow(Base):
    """One guild's module state and settings."""

    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    join_messages_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    join_messages_channel: Mapped[int | None] = mapped_column(Snowflake)
    join_message_content: Mapped[str | None] = mapped_column(Text)
    join_message_is_embed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    leave_messages_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    leave_messages_channel: Mapped[int | None] = mapped_column(Snowflake)
    leave_message_content: Mapped[str | None] = mapped_column(Text)
    leave_message_is_embed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    prevent_own_invite_code: Mapped[bool] = mapped_column(Boolean, nullable=False)
    server_shared_invite_link: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class InviteRow(Base):
    """A known invite: its Discord fields, the last `uses` seen, and a tombstone once gone."""

    __tablename__ = "invites"
    __table_args__ = (
        UniqueConstraint("guild_id", "code"),
        Index("ix_invites_guild_inviter", "guild_id", "inviter_id"),
        Index("ix_invites_inviter", "inviter_id"),
        Index("ix_invites_guild_credited", "guild_id", "credited_to"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, nullable=False)
    code: Mapped[str] = mapped_column(String(32), nullable=False)
    channel_id: Mapped[int | None] = mapped_column(Snowflake)
    inviter_id: Mapped[int | None] = mapped_column(Snowflake)
    credited_to: Mapped[int | None] = mapped_column(Snowflake)
    """The member an invite the bot made for someone credits (Discord names the bot)."""
    uses: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_uses: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    temporary: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_reason: Mapped[str | None] = mapped_column(String(32))


class JoinRow(Base):
    """One member join and its attribution. `left_at` is set when the member leaves."""

    __tablename__ = "joins"
    __table_args__ = (
        # A repeated member-add for a member who is still present cannot make a second row.
        Index(
            "uq_joins_present_member",
            "guild_id",
            "member_id",
            unique=True,
            sqlite_where=text("left_at IS NULL AND member_id IS NOT NULL"),
            postgresql_where=text("left_at IS NULL AND member_id IS NOT NULL"),
        ),
        # covering what the stats and the leaderboard count, so they read the index alone
        Index(
            "ix_joins_guild_inviter",
            "guild_id",
            "inviter_id",
            "counted",
            "fake",
            "joined_at",
            "invite_code",
        ),
        Index("ix_joins_guild_member", "guild_id", "member_id"),
        Index("ix_joins_guild_joined_at", "guild_id", "joined_at"),
        Index("ix_joins_guild_code", "guild_id", "invite_code"),
        Index("ix_joins_member", "member_id"),
        Index("ix_joins_inviter", "inviter_id"),
        Index("ix_joins_joined_at", "joined_at"),
        Index(
            "ix_joins_pending",
            "guild_id",
            "id",
            sqlite_where=text("join_type = 'pending'"),
            postgresql_where=text("join_type = 'pending'"),
        ),
        Index(
            "ix_joins_message_due",
            "message_due_at",
            sqlite_where=text("message_due_at IS NOT NULL"),
            postgresql_where=text("message_due_at IS NOT NULL"),
        ),
        # SQLite would otherwise give a deleted newest join's id to the next join; the
        # engine tells joins apart by id (PostgreSQL's sequences never reuse one).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, nullable=False)
    member_id: Mapped[int | None] = mapped_column(Snowflake)
    is_bot: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    join_type: Mapped[str] = mapped_column(String(16), nullable=False)
    invite_code: Mapped[str | None] = mapped_column(String(32))
    inviter_id: Mapped[int | None] = mapped_column(Snowflake)
    candidates: Mapped[str | None] = mapped_column(Text)  # JSON list of codes when ambiguous
    counted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    fake: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    attributed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the join message is owed: sent from then on by whichever worker takes it (`messages`)
    message_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LeaveRow(Base):
    """A member leaving, tied to the join it ends (when that join is known)."""

    __tablename__ = "leaves"
    __table_args__ = (
        UniqueConstraint("join_id"),
        Index(
            "ix_leaves_guild_inviter", "guild_id", "inviter_id", "counted", "left_at", "invite_code"
        ),
        Index("ix_leaves_guild_member", "guild_id", "member_id"),
        Index("ix_leaves_member", "member_id"),
        Index("ix_leaves_left_at", "left_at"),
        Index(
            "ix_leaves_message_due",
            "message_due_at",
            sqlite_where=text("message_due_at IS NOT NULL"),
            postgresql_where=text("message_due_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, nullable=False)
    member_id: Mapped[int | None] = mapped_column(Snowflake)
    join_id: Mapped[int | None] = mapped_column(ForeignKey("joins.id", ondelete="SET NULL"))
    inviter_id: Mapped[int | None] = mapped_column(Snowflake)
    invite_code: Mapped[str | None] = mapped_column(String(32))
    counted: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    left_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # the leave message is owed: sent from then on by whichever worker takes it (`messages`)
    message_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiKeyRow(Base):
    """A guild API key, stored only as its SHA-256 hash."""

    __tablename__ = "api_keys"
    __table_args__ = (UniqueConstraint("key_hash"), Index("ix_api_keys_guild", "guild_id"))

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    guild_id: Mapped[int] = mapped_column(Snowflake, nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    label: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class GuildSnapshotRow(Base):
    """The attribution baseline of a guild: the last snapshot every decided join is before.

    Saved in the transaction that stores the decisions it settles, so a restart resumes from
    exactly the evidence already used.
    """

    __tablename__ = "guild_snapshots"

    guild_id: Mapped[int] = mapped_column(Snowflake, primary_key=True, autoincrement=False)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # when Discord counted the read, by its own clock (null: somewhere in the flight)
    counted_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counted_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Discord counted its reads at one instant (null: rows from before, taken as such)
    counted_in_order: Mapped[bool | None] = mapped_column(Boolean)
    vanity_code: Mapped[str | None] = mapped_column(String(32))
    vanity_uses: Mapped[int | None] = mapped_column(Integer)
    invites: Mapped[str] = mapped_column(Text, nullable=False)  # JSON: code -> counts
