"""Husqy's `<name>` message variables: their values, and filling a template with them.

Values are inserted as text. Whatever a member put in their name (quotes, backslashes, `<`,
`{`, `$`, markdown, `@everyone`, mention syntax) is escaped so that it shows as written and
cannot format the message, create a mention or be expanded again: substitution is one pass.
Only the mention variables produce mention syntax, on purpose.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from invite_tracker.domain.discord_objects import ChannelInfo, GuildInfo, MemberInfo
from invite_tracker.domain.ids import snowflake_created_at

MessageKind = Literal["join", "leave"]
UNKNOWN = "Unknown"
NOT_IN_USE = "Not in use"
VARIABLE = re.compile(r"<([a-z_]+)>")
_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]<])")
_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)

CHANNEL_TYPES = {
    0: "GUILD_TEXT",
    2: "GUILD_VOICE",
    4: "GUILD_CATEGORY",
    5: "GUILD_ANNOUNCEMENT",
    10: "ANNOUNCEMENT_THREAD",
    11: "PUBLIC_THREAD",
    12: "PRIVATE_THREAD",
    13: "GUILD_STAGE_VOICE",
    15: "GUILD_FORUM",
    16: "GUILD_MEDIA",
}
MFA_LEVELS = {0: "NONE", 1: "ELEVATED"}
PREMIUM_TIERS = {0: "NONE", 1: "TIER_1", 2: "TIER_2", 3: "TIER_3"}
VERIFICATION_LEVELS = {0: "NONE", 1: "LOW", 2: "MEDIUM", 3: "HIGH", 4: "VERY_HIGH"}
NSFW_LEVELS = {0: "DEFAULT", 1: "EXPLICIT", 2: "SAFE", 3: "AGE_RESTRICTED"}


@dataclass(frozen=True, slots=True)
class MessageContext:
    """Everything a join or leave message may mention. Missing data renders placeholders."""

    kind: MessageKind
    guild_id: int
    now: datetime
    member_id: int | None = None
    member: MemberInfo | None = None
    inviter_id: int | None = None
    inviter: MemberInfo | None = None
    invite_code: str | None = None
    invite_count: int | None = None
    guild: GuildInfo | None = None
    channel_id: int | None = None
    channel: ChannelInfo | None = None


def escape_text(value: str) -> str:
    """Show text as written: escape markdown and mention syntax, defuse @everyone/@here."""
    return plain_text(_MARKDOWN.sub(r"\\\1", value))


def plain_text(value: str) -> str:
    """Text for where Discord renders no markdown (an embed's footer and author name), so a
    backslash would show: only @everyone/@here are defused."""
    return _MASS_MENTION.sub("@\u200b\\1", value)


Escape = Callable[[str], str]


def format_datetime(value: datetime | None, missing: str = UNKNOWN) -> str:
    """`dd-mm-yyyy HH:MM:SS` in UTC (the guild's timezone until the service knows another)."""
    if value is None:
        return missing
    return value.astimezone(UTC).strftime("%d-%m-%Y %H:%M:%S")


def format_duration(seconds: int) -> str:
    """`H:MM:SS`."""
    return str(timedelta(seconds=seconds))


def _mention(prefix: str, snowflake: int | None, missing: str) -> str:
    return missing if snowflake is None else f"<{prefix}{snowflake}>"


def _person(
    prefix: str, snowflake: int | None, member: MemberInfo | None, escape: Escape
) -> dict[str, str]:
    """The variables about one person (`user_*` or `inviter_*`)."""
    values = {
        "id": UNKNOWN if snowflake is None else str(snowflake),
        "mention": _mention("@", snowflake, UNKNOWN),
        "nickname": UNKNOWN,
        "display_name": UNKNOWN,
        "is_deaf": UNKNOWN,
        "is_mute": UNKNOWN,
        "is_pending": UNKNOWN,
        "joined_at": UNKNOWN,
        "premium_since": UNKNOWN,
        "roles": UNKNOWN,
        "communication_disabled_until": UNKNOWN,
        "avatar_url": UNKNOWN,
    }
    if member is not None:  # the user's, known whether they are still a member or not
        values.update(
            display_name=escape(member.display_name),
            avatar_url=member.user.avatar_url or UNKNOWN,
        )
    if member is not None and member.in_guild:  # the membership's
        values.update(
            nickname=escape(member.nickname) if member.nickname else "No nickname",
            is_deaf="Deafend" if member.deaf else "Not deafend",
            is_mute="Muted" if member.mute else "Not muted",
            is_pending="Pending" if member.pending else "Not pending",
            joined_at=format_datetime(member.joined_at),
            premium_since=format_datetime(member.premium_since, "None"),
            roles=" ".join(f"<@&{role}>" for role in member.role_ids) or "None",
            communication_disabled_until=format_datetime(
                member.communication_disabled_until, "None"
            ),
        )
    return {f"{prefix}_{name}": value for name, value in values.items()}


def _server(guild_id: int, guild: GuildInfo | None, escape: Escape) -> dict[str, str]:
    values = {
        "server_id": str(guild_id),
        "server_created_at": format_datetime(snowflake_created_at(guild_id)),
    }
    if guild is None:
        for name in (
            "name", "description", "afk_timeout", "mfa_level", "owner", "preferred_locale",
            "premium_subscription_count", "premium_tier", "verification_level", "nsfw_level",
            "public_updates_channel", "rules_channel", "system_channel", "widget_channel",
        ):  # fmt: skip
            values[f"server_{name}"] = UNKNOWN
        return values
    values.update(
        server_name=escape(guild.name),
        server_description=escape(guild.description) if guild.description else NOT_IN_USE,
        server_afk_timeout=format_duration(guild.afk_timeout),
        server_mfa_level=MFA_LEVELS.get(guild.mfa_level, UNKNOWN),
        server_owner=_mention("@", guild.owner_id, UNKNOWN),
        server_preferred_locale=escape(guild.preferred_locale),
        server_premium_subscription_count=str(guild.premium_subscription_count),
        server_premium_tier=PREMIUM_TIERS.get(guild.premium_tier, UNKNOWN),
        server_verification_level=VERIFICATION_LEVELS.get(guild.verification_level, UNKNOWN),
        server_nsfw_level=NSFW_LEVELS.get(guild.nsfw_level, UNKNOWN),
        server_public_updates_channel=_mention("#", guild.public_updates_channel_id, NOT_IN_USE),
        server_rules_channel=_mention("#", guild.rules_channel_id, NOT_IN_USE),
        server_system_channel=_mention("#", guild.system_channel_id, NOT_IN_USE),
        server_widget_channel=_mention("#", guild.widget_channel_id, NOT_IN_USE),
    )
    return values


def _channel(channel_id: int | None, channel: ChannelInfo | None, escape: Escape) -> dict[str, str]:
    name = UNKNOWN if channel is None or channel.name is None else escape(channel.name)
    kind = UNKNOWN if channel is None else CHANNEL_TYPES.get(channel.type, UNKNOWN)
    return {
        "channel_id": UNKNOWN if channel_id is None else str(channel_id),
        "channel_mention": _mention("#", channel_id, UNKNOWN),
        "channel_name": name,
        "channel_type": kind,
        "channel_created_at": UNKNOWN
        if channel_id is None
        else format_datetime(snowflake_created_at(channel_id)),
    }


def variables(context: MessageContext, escape: Escape = escape_text) -> dict[str, str]:
    """Every variable the message kind supports, with its value for this context; text from
    Discord (names, descriptions) passed through `escape`."""
    values = {
        **_person("inviter", context.inviter_id, context.inviter, escape),
        "current_invite_count": UNKNOWN
        if context.invite_count is None
        else str(context.invite_count),
        "invite_code": escape(context.invite_code) if context.invite_code else UNKNOWN,
        **_person("user", context.member_id, context.member, escape),
        **_server(context.guild_id, context.guild, escape),
        "current_date": context.now.astimezone(UTC).strftime("%d-%m-%Y"),
        "current_time": context.now.astimezone(UTC).strftime("%H:%M:%S"),
        "current_datetime": format_datetime(context.now),
        "current_datetime_iso": context.now.astimezone(UTC).isoformat(),
    }
    if context.kind == "join":
        values.update(_channel(context.channel_id, context.channel, escape))
    return values


WITHOUT_DATA = frozenset({"id", "mention", "created_at"})
"""What a `<user_...>`, `<inviter_...>` or `<server_...>` variable shows from the id alone."""


def needs_data(template: str, family: Literal["user", "inviter", "server"]) -> bool:
    """Whether the template shows something of the member (`user`), the inviter or the
    server that only Discord's data about them tells (a name, roles...), not just the id."""
    prefix = f"{family}_"
    return any(
        name.startswith(prefix) and name.removeprefix(prefix) not in WITHOUT_DATA
        for name in VARIABLE.findall(template)
    )


def fill(template: str, values: Mapping[str, str]) -> str:
    """Replace each known `<name>` once; an unknown `<word>` stays as written."""
    return VARIABLE.sub(lambda match: values.get(match.group(1), match.group(0)), template)
