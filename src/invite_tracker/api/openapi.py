"""The finishing touches of the served OpenAPI document.

FastAPI reads every bound of a schema as a float (`2147483647.0`), and knows nothing of how
the API is authenticated; the document is mended once, when first built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SCHEME = "apiKey"
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
    (all but the home route); integral bounds written as integers."""
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An internal key (configuration) or a guild key (`POST /auth/api-key/`).",
    }
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if "401" in operation.get("responses", {}):
                operation["security"] = [{SCHEME: []}]
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
