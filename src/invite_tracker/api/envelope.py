"""Husqy's response envelope, for success and error alike."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

DataT = TypeVar("DataT")


ALWAYS_THERE = ConfigDict(json_schema_serialization_defaults_required=True)
"""Every key of an envelope is in every answer: the document marks them all required."""


class Envelope(BaseModel, Generic[DataT]):
    """`{"success": true, "data": ..., "error": {}}`."""

    model_config = ALWAYS_THERE

    success: Literal[True] = True
    data: DataT
    error: dict[str, Any] = Field(default_factory=dict, json_schema_extra={"maxProperties": 0})


class ErrorDetail(BaseModel):
    """What went wrong: Husqy's code, our unambiguous name, and a message for people."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "code": 400,
                "name": "BadRequestError",
                "message": "guild_id: field required",
            }
        }
    )

    code: int
    name: str
    message: str


class ErrorEnvelope(BaseModel):
    """`{"success": false, "data": {}, "error": {"code", "name", "message"}}`."""

    model_config = ALWAYS_THERE

    success: Literal[False] = False
    data: dict[str, Any] = Field(default_factory=dict, json_schema_extra={"maxProperties": 0})
    error: ErrorDetail


def ok(data: Any) -> dict[str, Any]:
    """Wrap data in the success envelope."""
    return {"success": True, "data": data, "error": {}}


def failure(code: int, name: str, message: str) -> dict[str, Any]:
    """The error envelope."""
    return {"success": False, "data": {}, "error": {"code": code, "name": name, "message": message}}
