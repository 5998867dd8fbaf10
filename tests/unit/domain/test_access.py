"""Who may call what."""

from __future__ import annotations

import pytest

from invite_tracker.domain.access import INTERNAL, Principal, Scope
from invite_tracker.domain.errors import Forbidden

GUILD_KEY = Principal(internal=False, guild_id=5, key_id="k")


@pytest.mark.parametrize(
    ("principal", "scope", "guild", "allowed"),
    [
        (INTERNAL, Scope.INTERNAL, 5, True),
        (INTERNAL, Scope.GUILD, 9, True),
        (GUILD_KEY, Scope.GUILD, 5, True),
        (GUILD_KEY, Scope.GUILD, 9, False),
        (GUILD_KEY, Scope.INTERNAL, 5, False),
        (GUILD_KEY, Scope.INTERNAL, None, False),
    ],
)
def test_access(principal: Principal, scope: Scope, guild: int | None, allowed: bool) -> None:
    if allowed:
        principal.check(scope, guild)
    else:
        with pytest.raises(Forbidden):
            principal.check(scope, guild)
