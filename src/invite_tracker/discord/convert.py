"""hikari's objects into the service's own."""

from __future__ import annotations

import hikari

from invite_tracker.domain.discord_objects import ChannelInfo, GuildInfo, MemberInfo, UserInfo
from invite_tracker.domain.invites import InviteReport


def invite(item: hikari.Invite) -> InviteReport:
    """An invite. Discord's "unlimited" (hikari's None) is kept as Discord's 0."""
    channel_id = int(item.channel_id) if item.channel_id else None
    inviter_id = int(item.inviter.id) if item.inviter else None
    if not isinstance(item, hikari.InviteWithMetadata):
        return InviteReport(
            code=item.code, channel_id=channel_id, inviter_id=inviter_id, expires_at=item.expires_at
        )
    return InviteReport(
        code=item.code,
        channel_id=channel_id,
        inviter_id=inviter_id,
        uses=item.uses,
        max_uses=item.max_uses or 0,
        max_age=int(item.max_age.total_seconds()) if item.max_age else 0,
        temporary=item.is_temporary,
        created_at=item.created_at,
        expires_at=item.expires_at,
    )


def user(item: hikari.User) -> UserInfo:
    """A user, with the avatar Discord shows for them."""
    return UserInfo(
        id=int(item.id),
        username=item.username,
        global_name=item.global_name,
        avatar_url=str(item.display_avatar_url),
        bot=item.is_bot,
    )


def member(item: hikari.Member) -> MemberInfo:
    """A member with their user."""
    return MemberInfo(
        user=user(item.user),
        nickname=item.nickname,
        role_ids=tuple(int(role) for role in item.role_ids if role != item.guild_id),
        joined_at=item.joined_at,
        premium_since=item.premium_since,
        deaf=bool(item.is_deaf),
        mute=bool(item.is_mute),
        pending=bool(item.is_pending),
        communication_disabled_until=item.raw_communication_disabled_until,
    )


def channel(item: hikari.PartialChannel) -> ChannelInfo:
    """A channel's id, name, type and guild."""
    guild_id = int(item.guild_id) if isinstance(item, hikari.GuildChannel) else None
    return ChannelInfo(id=int(item.id), name=item.name, type=int(item.type), guild_id=guild_id)


def guild(item: hikari.RESTGuild) -> GuildInfo:
    """The guild fields the server variables show."""
    return GuildInfo(
        id=int(item.id),
        name=item.name,
        owner_id=int(item.owner_id),
        description=item.description,
        afk_timeout=int(item.afk_timeout.total_seconds()),
        mfa_level=int(item.mfa_level),
        preferred_locale=str(item.preferred_locale),
        premium_subscription_count=item.premium_subscription_count or 0,
        premium_tier=int(item.premium_tier),
        verification_level=int(item.verification_level),
        nsfw_level=int(item.nsfw_level),
        public_updates_channel_id=_optional(item.public_updates_channel_id),
        rules_channel_id=_optional(item.rules_channel_id),
        system_channel_id=_optional(item.system_channel_id),
        widget_channel_id=_optional(item.widget_channel_id),
    )


def _optional(value: hikari.Snowflake | None) -> int | None:
    return None if value is None else int(value)
