"""Dependencies shared by the routes: the service's state, the unit of work, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel

from invite_tracker.api.inputs import input_dependency
from invite_tracker.db.session import Database, UnitOfWork
from invite_tracker.discord.port import DiscordPort
from invite_tracker.domain.access import Principal, Scope
from invite_tracker.services import api_keys
from invite_tracker.services.attribution import AttributionEngine
from invite_tracker.settings import Settings

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(slots=True)
class ServiceState:
    """What `create_app` builds in its lifespan and the routes use."""

    settings: Settings
    database: Database
    internal_keys: tuple[str, ...]
    engine: AttributionEngine
    discord: DiscordPort | None = None


def service_state(request: Request) -> ServiceState:
    """The running service's state."""
    state: ServiceState = request.app.state.service
    return state


State = Annotated[ServiceState, Depends(service_state)]


async def unit_of_work(state: State) -> AsyncIterator[UnitOfWork]:
    """One unit of work per request, committed once when the route has succeeded.

    An error that says its changes must be kept (an invite created through Discord whose
    interaction reply then failed) is committed too before it is answered.
    """
    async with state.database.unit_of_work() as uow:
        try:
            yield uow
        except Exception as exc:
            if getattr(exc, "keep_changes", False):
                await uow.commit()
            raise
        await uow.commit()


Uow = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]


async def reading_unit_of_work(state: State) -> AsyncIterator[UnitOfWork]:
    """A read-only unit of work, for routes that only look things up: on SQLite it neither
    takes nor waits for the database's one write lock, so dashboard reads and event writes do
    not queue behind one another."""
    async with state.database.reading() as uow:
        yield uow


Reading = Annotated[UnitOfWork, Depends(reading_unit_of_work, scope="function")]


async def caller(request: Request, state: State) -> Principal:
    """The principal behind the request's `Authorization: Bearer <key>` header.

    A guild key is looked up in a read-only transaction: on SQLite the request's unit of work
    takes the database's one write lock at its first statement, and a route that stores
    through a unit of work of its own (the events, the join log) would then wait on it."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    presented = key.strip() if scheme.lower() == "bearer" else None
    async with state.database.reading() as uow:
        return await api_keys.authenticate(uow, presented, state.internal_keys)


Caller = Annotated[Principal, Depends(caller)]


def _body_limit(request: Request) -> int:
    return service_state(request).settings.max_body_bytes


def fields(model: type[ModelT], scope: Scope = Scope.GUILD) -> Any:
    """`Depends` that authenticates, parses `model` from the request, and checks access."""
    dependency: Callable[..., Awaitable[ModelT]] = input_dependency(
        model, scope, caller, _body_limit
    )
    return Depends(dependency)
