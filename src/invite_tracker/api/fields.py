"""Field types for request input, with the contract's typing rules.

JSON bodies are read strictly: ids as integers or decimal strings, booleans as JSON booleans,
integers as JSON integers. Query strings carry only text, so when a field comes from the query
(validation context `{"query": True}`) booleans and integers are read from their text forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, GetCoreSchemaHandler, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError, core_schema

from invite_tracker.domain.ids import SNOWFLAKE_MAX, parse_invite_code, parse_snowflake

_QUERY_TRUE = frozenset({"true", "1", "yes"})
_QUERY_FALSE = frozenset({"false", "0", "no"})
_INTEGER_TEXT = re.compile(r"-?[0-9]{1,40}")
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1
"""Counts, ages and ids of our own rows are stored as 32-bit integers (PostgreSQL's integer)."""
EARLIEST = datetime(2015, 1, 1, tzinfo=UTC)
"""Discord's epoch: no invite or membership is older."""
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
"""Far enough ahead for any expiry, near enough that adding an age to it cannot overflow."""
OUT_OF_RANGE = "out_of_range"
"""The error type of a well-typed value outside what can be used: 422, not 400."""


def _from_query(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("query"))


def _fail(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def _snowflake(value: Any) -> int:
    try:
        return parse_snowflake(value)
    except ValueError as exc:
        raise _fail("snowflake", str(exc)) from None


def _invite_code(value: Any) -> str:
    try:
        return parse_invite_code(value)
    except ValueError as exc:
        raise _fail("invite_code", str(exc)) from None


def _boolean(value: Any, info: ValidationInfo) -> bool:
    if isinstance(value, bool):
        return value
    if _from_query(info) and isinstance(value, str):
        text = value.strip().lower()
        if text in _QUERY_TRUE | _QUERY_FALSE:
            return text in _QUERY_TRUE
    raise _fail("boolean", "must be a boolean (true or false)")


def _embed_flag(value: Any, info: ValidationInfo) -> bool:
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
        return bool(value)
    try:
        return _boolean(value, info)
    except PydanticCustomError:
        raise _fail("boolean", "must be a boolean, 0 or 1") from None


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _fail("string", "must be a string")


def _timestamp(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            if not EARLIEST <= parsed < LATEST:
                raise _fail(OUT_OF_RANGE, "must be from 2015 (Discord's epoch) to 2999")
            return parsed
    raise _fail("timestamp", "must be an ISO 8601 timestamp with a UTC offset")


@dataclass(frozen=True, slots=True)
class Within:
    """An integer within bounds, as `Annotated[int, Within(1, 200)]`: a JSON integer (or its
    text, from the query string); a value outside the bounds is unusable (422), and the
    OpenAPI document gives them. `Integer` is one within 32 bits."""

    low: int
    high: int = INTEGER_MAX

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_before_validator_function(self._check, handler(int))

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> dict[str, Any]:
        return {"type": "integer", "minimum": self.low, "maximum": self.high}

    def _check(self, value: Any, info: ValidationInfo) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif (
            _from_query(info) and isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip())
        ):
            number = int(value)
        else:
            raise _fail("integer", "must be an integer")
        if not self.low <= number <= self.high:
            raise _fail(OUT_OF_RANGE, f"must be between {self.low} and {self.high}")
        return number


Snowflake = Annotated[
    int,
    BeforeValidator(_snowflake),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1},
                {"type": "string", "pattern": "^[0-9]{1,64}$"},
            ],
            "description": f"A Discord id: an integer or a decimal string, 1 to {SNOWFLAKE_MAX}.",
        }
    ),
]
Flag = Annotated[bool, BeforeValidator(_boolean), WithJsonSchema({"type": "boolean"})]
EmbedFlag = Annotated[
    bool,
    BeforeValidator(_embed_flag),
    WithJsonSchema({"anyOf": [{"type": "boolean"}, {"type": "integer", "enum": [0, 1]}]}),
]
Integer = Annotated[int, Within(INTEGER_MIN)]
Text = Annotated[str, BeforeValidator(_text), WithJsonSchema({"type": "string"})]
InviteCode = Annotated[
    str,
    BeforeValidator(_invite_code),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": "^[A-Za-z0-9-]{2,32}$"},
                {"type": "integer", "minimum": 10},
            ],
            "description": "An invite code (Husqy documents it as an integer on the event "
            "endpoints: a number is read as its decimal string).",
        }
    ),
]
Timestamp = Annotated[
    datetime,
    BeforeValidator(_timestamp),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 with a UTC offset, from 2015 to 2999.",
        }
    ),
]
