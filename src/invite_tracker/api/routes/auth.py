"""API keys: create, list and revoke guild keys. Internal keys only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel

from invite_tracker.api.deps import Reading, Uow, fields
from invite_tracker.api.envelope import ok
from invite_tracker.api.fields import Snowflake, Text
from invite_tracker.api.routing import EnvelopeRoute, documented
from invite_tracker.api.schemas import ApiKeyRead, ApiKeysRead, CreatedApiKeyRead
from invite_tracker.clock import utcnow
from invite_tracker.domain.access import Scope
from invite_tracker.domain.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    SettingsMissing,
    Unprocessable,
)
from invite_tracker.services import api_keys
from invite_tracker.services.module import require_settings

router = APIRouter(route_class=EnvelopeRoute, tags=["API keys"])
PATH = "/auth/api-key/"


class ListKeysIn(BaseModel):
    guild_id: Snowflake | None = None


class CreateKeyIn(BaseModel):
    guild_id: Snowflake
    label: Text | None = None


class RevokeKeyIn(BaseModel):
    guild_id: Snowflake
    api_key: Text | None = None
    key_id: Text | None = None


@router.get(PATH, **documented(ApiKeysRead, BadRequest, Forbidden, SettingsMissing))
async def list_keys(
    query: Annotated[ListKeysIn, fields(ListKeysIn, Scope.INTERNAL)], uow: Reading
) -> dict[str, Any]:
    """Guild keys (of one guild, or all), without their secrets. SettingsError for a guild
    the module has no settings for."""
    if query.guild_id is not None:
        await require_settings(uow, query.guild_id)
    keys = await api_keys.list_keys(uow, query.guild_id)
    return ok(ApiKeysRead(keys=[ApiKeyRead.of(key) for key in keys]))


@router.post(
    PATH, **documented(CreatedApiKeyRead, BadRequest, Forbidden, Unprocessable, SettingsMissing)
)
async def create_key(
    body: Annotated[CreateKeyIn, fields(CreateKeyIn, Scope.INTERNAL)], uow: Uow
) -> dict[str, Any]:
    """Create a key linked to the guild. The key is in this answer only; it is stored hashed.
    SettingsError for a guild the module has no settings for (enable it first): its key
    could open nothing, and deleting the settings would not take it away."""
    if body.label is not None and len(body.label) > 100:
        raise Unprocessable("label is at most 100 characters")
    await require_settings(uow, body.guild_id)
    created = await api_keys.create_key(uow, body.guild_id, label=body.label, now=utcnow())
    read = ApiKeyRead.of(created.key)
    return ok(CreatedApiKeyRead(api_key=created.secret, **read.model_dump()))


@router.delete(PATH, **documented(ApiKeyRead, BadRequest, Forbidden, NotFound))
async def revoke_key(
    body: Annotated[RevokeKeyIn, fields(RevokeKeyIn, Scope.INTERNAL)], uow: Uow
) -> dict[str, Any]:
    """Revoke a guild key, given as `api_key` (the key) or `key_id`."""
    given = body.api_key or body.key_id
    if not given:
        raise BadRequest("api_key: field required (or key_id)")
    revoked = await api_keys.revoke_key(uow, key_or_id=given, guild_id=body.guild_id, now=utcnow())
    return ok(ApiKeyRead.of(revoked))


for _method, _endpoint in (("GET", list_keys), ("POST", create_key), ("DELETE", revoke_key)):
    router.add_api_route(PATH.rstrip("/"), _endpoint, methods=[_method], include_in_schema=False)
