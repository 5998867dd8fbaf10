"""What the service needs from Discord, as a Protocol the REST adapter implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from invite_tracker.domain.invites import InviteReport


@dataclass(frozen=True, slots=True)
class InviteOptions:
    """Options for a new invite, in Discord's ranges (checked before Discord is called)."""

    max_uses: int
    max_age: int
    temporary: bool
    unique: bool = True


@dataclass(frozen=True, slots=True)
class VanityUrl:
    """The guild's vanity code (None without one) and its use counter."""

    code: str | None
    uses: int


@dataclass(frozen=True, slots=True)
class InteractionTarget:
    """A slash-command interaction whose original reply can be edited."""

    application_id: int
    token: str


class DiscordPort(Protocol):
    """Discord's REST API as the invite tracker uses it."""

    async def guild_invites(self, guild_id: int) -> Sequence[InviteReport]:
        """Every invite of the guild with its `uses` (needs MANAGE_GUILD)."""
        ...

    async def vanity_url(self, guild_id: int) -> VanityUrl:
        """The vanity code and its uses."""
        ...

    async def create_invite(self, channel_id: int, options: InviteOptions) -> InviteReport:
        """Create an invite in a channel."""
        ...

    async def delete_invite(self, code: str) -> None:
        """Delete an invite by code."""
        ...

    async def edit_original_reply(self, target: InteractionTarget, content: str) -> None:
        """Edit a slash-command interaction's original reply."""
        ...

    async def send_message(self, channel_id: int, payload: Mapping[str, Any]) -> None:
        """Send a message (content, embeds, allowed_mentions) to a channel."""
        ...
