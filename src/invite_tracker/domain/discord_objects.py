"""What the service knows of Discord objects, as far as messages and attribution need them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from invite_tracker.domain.errors import Unprocessable


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A Discord user."""

    id: int
    username: str
    global_name: str | None = None
    avatar_url: str | None = None
    bot: bool = False


@dataclass(frozen=True, slots=True)
class MemberInfo:
    """A user as a member of one guild; or, once they left it (`in_guild` false), the user
    alone, whose membership fields say nothing."""

    user: UserInfo
    nickname: str | None = None
    role_ids: tuple[int, ...] = ()
    joined_at: datetime | None = None
    premium_since: datetime | None = None
    deaf: bool = False
    mute: bool = False
    pending: bool = False
    communication_disabled_until: datetime | None = None
    in_guild: bool = True

    @classmethod
    def departed(cls, user: UserInfo) -> MemberInfo:
        """A user who is no longer a member of the guild (a member who left, an inviter
        gone): their name and avatar are still Discord's to tell, their membership is not."""
        return cls(user=user, in_guild=False)

    @property
    def display_name(self) -> str:
        """Nickname, else global name, else username (as Discord shows a member)."""
        return self.nickname or self.user.global_name or self.user.username


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """A channel, and the guild it is in (None: a DM)."""

    id: int
    name: str | None
    type: int
    guild_id: int | None = None


def require_in_guild(channel: ChannelInfo, guild_id: int) -> ChannelInfo:
    """The channel, when it is in the guild; Unprocessable otherwise. The bot is in other
    servers too, and Discord names a channel by its id alone: a caller for one guild must not
    make invites or post messages in another's."""
    if channel.guild_id != guild_id:
        raise Unprocessable(f"the channel {channel.id} is not in this server")
    return channel


@dataclass(frozen=True, slots=True)
class GuildInfo:
    """A guild, with the fields the server variables show."""

    id: int
    name: str
    owner_id: int | None = None
    description: str | None = None
    afk_timeout: int = 0
    mfa_level: int = 0
    preferred_locale: str = "en-US"
    premium_subscription_count: int = 0
    premium_tier: int = 0
    verification_level: int = 0
    nsfw_level: int = 0
    public_updates_channel_id: int | None = None
    rules_channel_id: int | None = None
    system_channel_id: int | None = None
    widget_channel_id: int | None = None
