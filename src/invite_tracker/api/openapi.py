"""The finishing touches of the served OpenAPI document.

FastAPI reads every bound of a schema as a float (`2147483647.0`), knows nothing of how the
API is authenticated, nor that every body is read within a size limit; the document is mended
once, when first built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SCHEME = "apiKey"
TOO_LARGE = {
    "description": "PayloadTooLargeError (code 413): the body is over "
    "INVITE_TRACKER_MAX_BODY_BYTES",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}},
}
EXACT_FLOAT = 2**53
"""Integers up to this are exact as floats, and so are written back as integers."""


def finished(build: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """`build` (FastAPI's `openapi`), with the document mended the first time."""
    done: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if not done:
            done.update(mend(build()))
        return done

    return openapi


def mend(document: dict[str, Any]) -> dict[str, Any]:
    """Bearer authentication declared, and required by every operation that answers 401
    (all but the home route); the 413 of a body over the limit listed wherever a body is
    read; integral bounds written as integers."""
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An internal key (configuration) or a guild key (`POST /auth/api-key/`).",
    }
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "401" in responses:
                operation["security"] = [{SCHEME: []}]
            if "requestBody" in operation:
                responses.setdefault("413", TOO_LARGE)
    result: dict[str, Any] = _integers(document)
    return result


def _integers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) <= EXACT_FLOAT:
        return int(value)
    if isinstance(value, dict):
        return {key: _integers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integers(item) for item in value]
    return value
