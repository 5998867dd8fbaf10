"""Who may call what: internal keys may call everything, guild keys only their own guild."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from invite_tracker.domain.errors import Forbidden


class Scope(StrEnum):
    """What an endpoint touches, for the access rule."""

    GUILD = "guild"  # module endpoints about one guild: open to that guild's keys
    INTERNAL = "internal"  # events, privacy, key management: the Husqy bot and platform only


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller behind an API key."""

    internal: bool
    guild_id: int | None = None
    key_id: str | None = None

    def check(self, scope: Scope, guild_id: int | None = None) -> None:
        """Raise Forbidden unless this caller may use an endpoint of `scope` for `guild_id`."""
        if self.internal:
            return
        if scope is Scope.INTERNAL:
            raise Forbidden("this endpoint is for internal keys only; guild keys may not use it")
        if guild_id is not None and guild_id != self.guild_id:
            raise Forbidden("this API key is linked to another guild")


INTERNAL = Principal(internal=True)
