"""API keys: authenticate a caller, and create, list and revoke guild keys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from invite_tracker.domain.access import INTERNAL, Principal
from invite_tracker.domain.api_keys import (
    StoredApiKey,
    generate_api_key,
    hash_api_key,
    key_id_of,
    same_secret,
)
from invite_tracker.domain.errors import NotFound, Unauthorized
from invite_tracker.services.ports import UnitOfWorkPort


@dataclass(frozen=True, slots=True)
class CreatedApiKey:
    """A new key: `secret` is shown this once."""

    key: StoredApiKey
    secret: str


async def authenticate(
    uow: UnitOfWorkPort, presented: str | None, internal_keys: Sequence[str]
) -> Principal:
    """The caller behind a presented key; Unauthorized when there is none or it is unknown."""
    if not presented:
        raise Unauthorized("an API key is required: send 'Authorization: Bearer <key>'")
    # Every internal key is compared, in constant time, so timing tells nothing.
    matches = [same_secret(presented, key) for key in internal_keys]
    if any(matches):
        return INTERNAL
    if key_id_of(presented) is not None:
        stored = await uow.api_keys.find_by_hash(hash_api_key(presented))
        if stored is not None and stored.revoked_at is None:
            return Principal(internal=False, guild_id=stored.guild_id, key_id=stored.key_id)
    raise Unauthorized("the API key is unknown or revoked")


async def create_key(
    uow: UnitOfWorkPort, guild_id: int, *, label: str | None, now: datetime
) -> CreatedApiKey:
    """Make a guild key; only its hash is stored."""
    new = generate_api_key()
    stored = await uow.api_keys.add(
        key_id=new.key_id, guild_id=guild_id, key_hash=new.key_hash, label=label, now=now
    )
    return CreatedApiKey(key=stored, secret=new.secret)


async def list_keys(uow: UnitOfWorkPort, guild_id: int | None) -> list[StoredApiKey]:
    """Keys of a guild (or all), without secrets."""
    return await uow.api_keys.list_for_guild(guild_id)


async def revoke_key(
    uow: UnitOfWorkPort, *, key_or_id: str, guild_id: int | None, now: datetime
) -> StoredApiKey:
    """Revoke a key given as the key itself or its id (repeating it is harmless).

    NotFound when the key is unknown, or belongs to another guild than `guild_id`.
    """
    if key_id_of(key_or_id) is not None:
        stored = await uow.api_keys.find_by_hash(hash_api_key(key_or_id))
    else:
        stored = await uow.api_keys.get(key_or_id)
    if stored is None or (guild_id is not None and stored.guild_id != guild_id):
        raise NotFound("no such API key for this guild")
    if stored.revoked_at is None:
        await uow.api_keys.revoke(stored.key_id, now=now)
        stored = replace(stored, revoked_at=now)
    return stored
