"""Reading a request's fields: the JSON body, or the query string, into a typed model.

GET endpoints read the query string. POST, PUT and DELETE read a JSON object body; when the
body is empty they read the same fields from the query string (some clients cannot send a
DELETE body), and query fields fill in what a body leaves out. Failures become BadRequest
with the field named; values that are well-typed but unusable are left to the services (422).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, get_args

import structlog
from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError

from invite_tracker.api.fields import OUT_OF_RANGE
from invite_tracker.domain.access import Principal, Scope
from invite_tracker.domain.errors import BadRequest, PayloadTooLarge, Unprocessable
from invite_tracker.domain.json_text import JsonTextError, check_text, load_json

ModelT = TypeVar("ModelT", bound=BaseModel)
INPUT_MODEL_ATTRIBUTE = "__input_model__"


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing more than `limit` bytes before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_fields(request: Request, limit: int) -> tuple[dict[str, Any], bool]:
    """The request's fields and whether they all came from the query string."""
    query = dict(request.query_params)
    try:
        check_text(query, what="the query string")
        if request.method in ("GET", "HEAD"):
            return query, True
        body = await read_body(request, limit)
        if not body.strip():
            return query, True
        data = load_json(body.decode("utf-8"), what="the request body")
    except UnicodeDecodeError:
        raise BadRequest("the request body is not UTF-8 encoded JSON") from None
    except JsonTextError as exc:
        raise BadRequest(str(exc)) from None
    if not isinstance(data, dict):
        raise BadRequest(f"the request body must be a JSON object, not {_json_kind(data)}")
    return {**query, **data}, False


def parse_fields(model: type[ModelT], fields: dict[str, Any], *, from_query: bool) -> ModelT:
    """Validate fields into `model`, turning the first problem into a clear BadRequest (or
    Unprocessable, for a well-typed value out of the range that can be used). A query string
    has no null: there an empty value of a field the seed requires but lets be None is null
    (`?application_id=&token=`); for any other field it stays a (bad) value."""
    if from_query:
        nullable = _required_nullable(model)
        fields = {
            name: None if value == "" and name in nullable else value
            for name, value in fields.items()
        }
    try:
        return model.model_validate(fields, context={"query": from_query})
    except ValidationError as exc:
        if exc.errors(include_url=False)[0]["type"] == OUT_OF_RANGE:
            raise Unprocessable(_describe(exc)) from None
        raise BadRequest(_describe(exc)) from None


@functools.cache
def _required_nullable(model: type[BaseModel]) -> frozenset[str]:
    """The fields that must be given but may be null ("Can be None", in the seed's words)."""
    return frozenset(
        name
        for name, field in model.model_fields.items()
        if field.is_required() and type(None) in get_args(field.annotation)
    )


def _describe(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    first = errors[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    message = "field required" if first["type"] == "missing" else first["msg"]
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"{field}: {message}{more}"


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "null"


def input_dependency(
    model: type[ModelT],
    scope: Scope,
    authenticate: Callable[..., Awaitable[Principal]],
    body_limit: Callable[[Request], int],
) -> Callable[..., Awaitable[ModelT]]:
    """A FastAPI dependency: authenticate, read and validate the fields, check guild access.

    The order is the contract's: 401, then 403 for a guild key on an internal endpoint (its
    body does not matter), 413 and 400, then 403 for a key of another guild.
    """

    async def dependency(request: Request, principal: Principal = Depends(authenticate)) -> ModelT:
        principal.check(scope)  # what the key may use at all, whatever the fields say
        fields, from_query = await read_fields(request, body_limit(request))
        parsed = parse_fields(model, fields, from_query=from_query)
        guild_id = getattr(parsed, "guild_id", None)
        if guild_id is not None:
            structlog.contextvars.bind_contextvars(guild_id=str(guild_id))
        principal.check(scope, guild_id)
        return parsed

    setattr(dependency, INPUT_MODEL_ATTRIBUTE, model)
    return dependency


def openapi_for_input(model: type[BaseModel], method: str) -> dict[str, Any]:
    """`openapi_extra` documenting a route's input: query parameters for GET; else a JSON
    body, or the same fields as query parameters when the body is empty."""
    schema = model.model_json_schema()
    properties: dict[str, Any] = schema.get("properties", {})
    if method == "GET":
        return {"parameters": _query_parameters(properties, set(schema.get("required", [])))}
    return {
        "requestBody": {
            "required": False,
            "description": "A JSON object. When the body is empty the same fields are read "
            "from the query string (its required fields are then required there).",
            "content": {"application/json": {"schema": schema}},
        },
        "parameters": _query_parameters(properties, set(), alternative=True),
    }


def _query_parameters(
    properties: dict[str, Any], required: set[str], *, alternative: bool = False
) -> list[dict[str, Any]]:
    """The fields as query parameters; `alternative`: in place of an empty JSON body."""
    parameters = []
    for name, prop in properties.items():
        description = prop.get("description", "")
        if alternative:
            description = f"{description} (or in the JSON body)".strip()
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": {key: value for key, value in prop.items() if key != "title"},
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters
