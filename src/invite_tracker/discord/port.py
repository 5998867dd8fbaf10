"""What the service needs from Discord, as a Protocol the REST adapter implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from invite_tracker.domain.cross_check import MemberSource
from invite_tracker.domain.discord_objects import ChannelInfo, GuildInfo, MemberInfo, UserInfo
from invite_tracker.domain.invites import InviteReport
from invite_tracker.domain.messages import OutgoingMessage


@dataclass(frozen=True, slots=True)
class InviteOptions:
    """Options for a new invite, in Discord's ranges (checked before Discord is called)."""

    max_uses: int
    max_age: int
    temporary: bool
    unique: bool = True


@dataclass(frozen=True, slots=True)
class InviteList:
    """The guild's invites, and when Discord counted the read by its own clock (None when its
    answer did not say).

    `limiter_lag`: when known, how long after Discord's window for the route ends (reckoned
    from when the window's reads left this machine) the client's rate limiter lets the next
    read go, as of this read. A client that frees the bucket at Discord's reset instant lags
    a whole trip; one that allows for the trip, a few milliseconds."""

    reports: tuple[InviteReport, ...]
    counted_at: datetime | None = None
    limiter_lag: float | None = None


@dataclass(frozen=True, slots=True)
class VanityUrl:
    """The guild's vanity code (None without one) and its use counter (`counted_at` and
    `limiter_lag` as for `InviteList`)."""

    code: str | None
    uses: int
    counted_at: datetime | None = None
    limiter_lag: float | None = None


@dataclass(frozen=True, slots=True)
class InteractionTarget:
    """A slash-command interaction whose original reply can be edited."""

    application_id: int
    token: str


class DiscordPort(Protocol):
    """Discord's REST API as the invite tracker uses it.

    Implementations raise `Unprocessable` when Discord refuses the request for its values
    (carrying Discord's code and message) and `DiscordUnavailable` when Discord cannot be used
    (unreachable, failing, timing out, rate limited for too long, or the token is refused).
    """

    async def guild_invites(self, guild_id: int, *, at_once: bool = False) -> InviteList:
        """Every invite of the guild with its `uses` (needs MANAGE_GUILD).

        `at_once`: raise `ReadDeferred` instead of waiting when the rate limit would hold
        the request back (the attributor needs to know when its reads really leave)."""
        ...

    async def vanity_url(self, guild_id: int, *, at_once: bool = False) -> VanityUrl:
        """The vanity code and its uses (`at_once` as for `guild_invites`)."""
        ...

    async def create_invite(self, channel_id: int, options: InviteOptions) -> InviteReport:
        """Create an invite in a channel."""
        ...

    async def delete_invite(self, code: str) -> None:
        """Delete an invite by code."""
        ...

    async def invite_guild(self, code: str) -> int | None:
        """The guild an invite leads to (None: a group DM's invite)."""
        ...

    async def edit_original_reply(self, target: InteractionTarget, content: str) -> int | None:
        """Edit a slash-command interaction's original reply; the id of the user who ran the
        command, as Discord's answer says (None when it does not)."""
        ...

    async def guild(self, guild_id: int) -> GuildInfo:
        """The guild, for the server variables."""
        ...

    async def member(self, guild_id: int, user_id: int) -> MemberInfo:
        """A member of the guild, with their user (`Unprocessable` with status 404 when the
        user is not a member)."""
        ...

    async def user(self, user_id: int) -> UserInfo:
        """A user, member of the guild or not."""
        ...

    async def channel(self, channel_id: int) -> ChannelInfo:
        """A channel, for the channel variables."""
        ...

    async def send_message(self, channel_id: int, message: OutgoingMessage) -> None:
        """Send a rendered message to a channel."""
        ...

    async def member_sources(
        self, guild_id: int, member_ids: Sequence[int]
    ) -> tuple[MemberSource, ...]:
        """How each of these members came in, as Discord's undocumented member search
        (`POST /guilds/{guild_id}/members-search`) says: one entry per member it lists (a
        member who left, or whom Discord has not indexed yet, is absent). Raises
        `SearchNotReady` while Discord has not indexed the guild (202, code 110000)."""
        ...
