"""JSON shapes exactly as Discord sends them (API v10), checked against Discord's OpenAPI spec."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from invite_tracker.testing.fake_discord.models import (
    Channel,
    ChannelType,
    Guild,
    Interaction,
    Invite,
    Member,
    Message,
    Role,
    User,
)

JSONObject = dict[str, Any]


def iso(moment: datetime) -> str:
    """Discord's timestamp format: ISO 8601 with microseconds and a +00:00 offset."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def user_json(user: User) -> JSONObject:
    """A user object (`UserResponse`)."""
    body: JSONObject = {
        "id": str(user.id),
        "username": user.username,
        "avatar": user.avatar,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "global_name": user.global_name,
        "avatar_decoration_data": None,
        "collectibles": None,
        "primary_guild": None,
    }
    if user.bot:
        body["bot"] = True
    return body


def role_json(role: Role) -> JSONObject:
    """A role object (`GuildRoleResponse`)."""
    body: JSONObject = {
        "id": str(role.id),
        "name": role.name,
        "permissions": str(role.permissions),
        "position": role.position,
        "color": role.color,
        "colors": {"primary_color": role.color, "secondary_color": None, "tertiary_color": None},
        "hoist": role.hoist,
        "managed": role.managed,
        "mentionable": role.mentionable,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }
    if role.bot_id is not None:
        body["tags"] = {"bot_id": str(role.bot_id)}
    return body


def member_json(member: Member, user: User) -> JSONObject:
    """A guild member object (`GuildMemberResponse`); `roles` never lists @everyone."""
    return {
        "avatar": None,
        "banner": None,
        "communication_disabled_until": None,
        "flags": 0,
        "joined_at": iso(member.joined_at),
        "nick": member.nick,
        "pending": member.pending,
        "premium_since": None,
        "roles": [str(role_id) for role_id in member.roles],
        "user": user_json(user),
        "mute": False,
        "deaf": False,
    }


def channel_json(channel: Channel) -> JSONObject:
    """A guild channel object (`GuildChannelResponse`), with the fields of its type."""
    body: JSONObject = {
        "id": str(channel.id),
        "type": int(channel.type),
        "flags": 0,
        "guild_id": str(channel.guild_id),
        "name": channel.name,
        "parent_id": str(channel.parent_id) if channel.parent_id is not None else None,
        "position": channel.position,
        "permission_overwrites": [],
        "nsfw": channel.nsfw,
    }
    if channel.type in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
        body["topic"] = channel.topic
        body["last_message_id"] = (
            str(channel.last_message_id) if channel.last_message_id is not None else None
        )
        body["rate_limit_per_user"] = 0
        body["default_auto_archive_duration"] = 1440
    elif channel.type == ChannelType.GUILD_VOICE:
        body["last_message_id"] = (
            str(channel.last_message_id) if channel.last_message_id is not None else None
        )
        body["bitrate"] = 64000
        body["user_limit"] = 0
        body["rtc_region"] = None
        body["rate_limit_per_user"] = 0
    return body


def invite_channel_json(channel: Channel) -> JSONObject:
    """The partial channel inside an invite (`InviteChannelResponse`)."""
    return {"id": str(channel.id), "type": int(channel.type), "name": channel.name}


def invite_guild_json(guild: Guild) -> JSONObject:
    """The partial guild inside an invite (`InviteGuildResponse`)."""
    return {
        "id": str(guild.id),
        "name": guild.name,
        "splash": None,
        "banner": None,
        "description": guild.description,
        "icon": None,
        "features": list(guild.features),
        "verification_level": 0,
        "vanity_url_code": guild.vanity_code,
        "nsfw_level": 0,
        "nsfw": False,
        "premium_subscription_count": 0,
    }


def invite_json(
    invite: Invite,
    guild: Guild,
    channel: Channel,
    inviter: User | None,
    *,
    metadata: bool,
    counts: tuple[int, int] | None = None,
) -> JSONObject:
    """An invite object (`GuildInviteResponse`); `metadata` adds uses, max_uses and the rest.

    `counts` is (approximate_member_count, approximate_presence_count) for `with_counts`.
    """
    expires_at = invite.expires_at
    body: JSONObject = {
        "type": 0,
        "code": invite.code,
        "expires_at": iso(expires_at) if expires_at is not None else None,
        "flags": 0,
        "guild": invite_guild_json(guild),
        "guild_id": str(guild.id),
        "channel": invite_channel_json(channel),
    }
    if inviter is not None:
        body["inviter"] = user_json(inviter)
    if metadata:
        body["uses"] = invite.uses
        body["max_uses"] = invite.max_uses
        body["max_age"] = invite.max_age
        body["temporary"] = invite.temporary
        body["created_at"] = iso(invite.created_at)
    if counts is not None:
        body["approximate_member_count"] = counts[0]
        body["approximate_presence_count"] = counts[1]
    return body


def guild_json(guild: Guild, roles: list[Role], counts: tuple[int, int] | None) -> JSONObject:
    """A guild object (`GuildWithCountsResponse`); `counts` as for `with_counts=true`."""
    body: JSONObject = {
        "id": str(guild.id),
        "name": guild.name,
        "icon": None,
        "description": guild.description,
        "home_header": None,
        "splash": None,
        "discovery_splash": None,
        "features": list(guild.features),
        "banner": None,
        "owner_id": str(guild.owner_id),
        "application_id": None,
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "roles": [role_json(role) for role in roles],
        "default_message_notifications": 0,
        "mfa_level": 0,
        "explicit_content_filter": 0,
        "max_presences": None,
        "max_members": 500000,
        "max_stage_video_channel_users": 50,
        "max_video_channel_users": 25,
        "vanity_url_code": guild.vanity_code,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "rules_channel_id": None,
        "safety_alerts_channel_id": None,
        "public_updates_channel_id": None,
        "premium_progress_bar_enabled": False,
        "nsfw": False,
        "nsfw_level": 0,
        "emojis": [],
        "stickers": [],
        "incidents_data": None,
    }
    if counts is not None:
        body["approximate_member_count"] = counts[0]
        body["approximate_presence_count"] = counts[1]
    return body


def vanity_json(guild: Guild) -> JSONObject:
    """`GET /guilds/{id}/vanity-url` (`VanityURLResponse`): code null without one."""
    return {"code": guild.vanity_code, "uses": guild.vanity_uses if guild.vanity_code else 0}


def embed_json(embed: JSONObject) -> JSONObject:
    """An embed as Discord echoes it back: nulls dropped, `type` "rich", field `inline` set."""
    body: JSONObject = {key: value for key, value in embed.items() if value is not None}
    body["type"] = body.get("type") or "rich"
    if "fields" in body:
        body["fields"] = [
            {"name": item["name"], "value": item["value"], "inline": bool(item.get("inline"))}
            for item in body["fields"]
        ]
    for part in ("author", "footer", "image", "thumbnail", "provider", "video"):
        if isinstance(body.get(part), dict):
            body[part] = {key: value for key, value in body[part].items() if value is not None}
    return body


def message_json(
    message: Message,
    author: User,
    mentions: list[User],
    interaction_metadata: JSONObject | None = None,
) -> JSONObject:
    """A message object (`MessageResponse`), with `interaction_metadata` when it answers an
    interaction (see `interaction_metadata_json`)."""
    body: JSONObject = {
        "type": message.type,
        "content": message.content,
        "mentions": [user_json(user) for user in mentions],
        "mention_roles": [str(role_id) for role_id in message.mention_role_ids],
        "attachments": [],
        "embeds": [embed_json(embed) for embed in message.embeds],
        "timestamp": iso(message.timestamp),
        "edited_timestamp": iso(message.edited_timestamp) if message.edited_timestamp else None,
        "flags": message.flags,
        "components": [],
        "id": str(message.id),
        "channel_id": str(message.channel_id),
        "author": user_json(author),
        "pinned": False,
        "mention_everyone": message.mention_everyone,
        "tts": message.tts,
    }
    if message.webhook_id is not None:
        body["webhook_id"] = str(message.webhook_id)
    if message.application_id is not None:
        body["application_id"] = str(message.application_id)
    if interaction_metadata is not None:
        body["interaction_metadata"] = interaction_metadata
    return body


def interaction_metadata_json(interaction: Interaction, user: User) -> JSONObject:
    """What a message answering a slash command says of it (`interaction_metadata`): the
    command's interaction and the user who ran it; a guild install names the guild."""
    owners = (
        {"0": str(interaction.guild_id)}
        if interaction.guild_id is not None
        else {"1": str(user.id)}
    )
    return {
        "id": str(interaction.id),
        "type": 2,
        "user": user_json(user),
        "authorizing_integration_owners": owners,
    }
