"""How the control API shows the world: Discord's shapes plus the fake's ground truth."""

from __future__ import annotations

from typing import Any

from invite_tracker.testing.fake_discord import invites, messaging, shapes
from invite_tracker.testing.fake_discord.models import (
    Channel,
    Interaction,
    Invite,
    Member,
    Message,
    Role,
    User,
)
from invite_tracker.testing.fake_discord.state import World

JSONObject = dict[str, Any]


def user(record: User) -> JSONObject:
    """A user as Discord shows it."""
    return shapes.user_json(record)


def channel(record: Channel) -> JSONObject:
    """A channel as Discord shows it."""
    return shapes.channel_json(record)


def role(record: Role) -> JSONObject:
    """A role as Discord shows it."""
    return shapes.role_json(record)


def member(world: World, record: Member) -> JSONObject:
    """A member as Discord shows it, plus how they really joined."""
    body = shapes.member_json(record, world.user(record.user_id))
    body["guild_id"] = str(record.guild_id)
    body["source"] = record.source.value
    body["invite_code"] = record.invite_code
    body["inviter_id"] = str(record.inviter_id) if record.inviter_id is not None else None
    return body


def invite(world: World, record: Invite) -> JSONObject:
    """An invite with its metadata, as `GET /guilds/{id}/invites` shows it."""
    inviter = world.users.get(record.inviter_id) if record.inviter_id is not None else None
    return shapes.invite_json(
        record,
        world.guild(record.guild_id),
        world.channel(record.channel_id),
        inviter,
        metadata=True,
    )


def message(world: World, record: Message) -> JSONObject:
    """A sent message as Discord answered it, plus what the client asked for."""
    body = shapes.message_json(
        record, world.user(record.author_id), messaging.mentioned_users(world, record)
    )
    body["guild_id"] = str(record.guild_id) if record.guild_id is not None else None
    body["allowed_mentions"] = record.allowed_mentions
    body["request"] = record.request
    return body


def interaction(world: World, record: Interaction) -> JSONObject:
    """An interaction: its token's lifetime, callback, original reply, edits, follow-ups."""
    original = record.original
    return {
        "id": str(record.id),
        "application_id": str(record.application_id),
        "token": record.token,
        "created_at": record.created_at.isoformat(),
        "expires_at": (record.created_at + messaging.INTERACTION_TOKEN_TTL).isoformat(),
        "guild_id": str(record.guild_id) if record.guild_id is not None else None,
        "channel_id": str(record.channel_id) if record.channel_id is not None else None,
        "user_id": str(record.user_id) if record.user_id is not None else None,
        "response_type": record.response_type,
        "responded_at": record.responded_at.isoformat() if record.responded_at else None,
        "original": message(world, original) if original is not None else None,
        "original_deleted": record.original_deleted,
        "edits": [{"at": edit.at.isoformat(), "payload": edit.payload} for edit in record.edits],
        "followups": [message(world, followup) for followup in record.followups],
    }


def guild(world: World, guild_id: int) -> JSONObject:
    """A guild in full: Discord's guild object plus channels, members, invites, vanity."""
    record = world.guild(guild_id)
    count = world.member_count(guild_id)
    return {
        "guild": shapes.guild_json(record, world.guild_roles(guild_id), (count, count)),
        "bot_permissions": str(record.bot_permissions),
        "vanity": {"code": record.vanity_code, "uses": record.vanity_uses},
        "channels": [
            channel(item)
            for item in sorted(world.channels.values(), key=lambda c: c.position)
            if item.guild_id == guild_id
        ],
        "members": [member(world, item) for item in world.guild_members(guild_id)],
        "invites": [invite(world, item) for item in invites.guild_invites(world, guild_id)],
    }


def world_view(world: World) -> JSONObject:
    """Every guild and user."""
    return {
        "bot": user(world.bot_user),
        "application_id": str(world.application_id),
        "now": world.now().isoformat(),
        "guilds": [guild(world, guild_id) for guild_id in sorted(world.guilds)],
        "users": [user(item) for item in world.users.values()],
    }
