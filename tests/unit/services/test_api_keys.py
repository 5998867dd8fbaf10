"""Authentication and key revocation, on in-memory stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from invite_tracker.domain.errors import NotFound, Unauthorized
from invite_tracker.services import api_keys
from tests.unit.services.fakes import MemoryUnitOfWork

NOW = datetime(2026, 11, 29, tzinfo=UTC)


@pytest.mark.parametrize("presented", [None, "", "nope", "itk_000000000000_" + "x" * 43])
async def test_unknown_keys_are_refused(presented: str | None) -> None:
    with pytest.raises(Unauthorized):
        await api_keys.authenticate(MemoryUnitOfWork(), presented, ["internal"])


async def test_internal_and_guild_keys() -> None:
    uow = MemoryUnitOfWork()
    assert (await api_keys.authenticate(uow, "internal", ["x", "internal"])).internal
    created = await api_keys.create_key(uow, 5, label=None, now=NOW)
    principal = await api_keys.authenticate(uow, created.secret, [])
    assert (principal.internal, principal.guild_id) == (False, 5)
    with pytest.raises(NotFound):
        await api_keys.revoke_key(uow, key_or_id=created.secret, guild_id=6, now=NOW)
    revoked = await api_keys.revoke_key(uow, key_or_id=created.key.key_id, guild_id=5, now=NOW)
    assert revoked.revoked_at == NOW
    with pytest.raises(Unauthorized):
        await api_keys.authenticate(uow, created.secret, [])
