"""The one table that turns errors into responses, and its OpenAPI description."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from invite_tracker.api.envelope import ErrorEnvelope, failure
from invite_tracker.domain import errors as domain

log = structlog.get_logger(__name__)

DATABASE_RETRY_AFTER_SECONDS = 5


class MethodNotAllowed(domain.InviteTrackerError):
    """A known route called with another HTTP method."""


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """How one kind of error is answered."""

    name: str
    status: int
    code: int
    description: str


ERRORS: dict[type[domain.InviteTrackerError], ErrorSpec] = {
    domain.BadRequest: ErrorSpec("BadRequestError", 400, 400, "Malformed request or field"),
    domain.Unauthorized: ErrorSpec("UnauthorizedError", 401, 401, "No API key, or unknown"),
    domain.Forbidden: ErrorSpec("ForbiddenError", 403, 403, "The key may not do this"),
    domain.NotFound: ErrorSpec("NotFoundError", 404, 404, "Unknown route or resource"),
    MethodNotAllowed: ErrorSpec("MethodNotAllowedError", 405, 405, "Known route, other method"),
    domain.PayloadTooLarge: ErrorSpec("PayloadTooLargeError", 413, 413, "Body over the limit"),
    domain.Unprocessable: ErrorSpec("UnprocessableEntityError", 422, 422, "Unusable values"),
    domain.ModuleDisabled: ErrorSpec("ModuleDisabledError", 409, 800, "Module disabled"),
    domain.ModuleEnabled: ErrorSpec("ModuleEnabledError", 409, 801, "Module already enabled"),
    domain.SettingsMissing: ErrorSpec("SettingsError", 404, 801, "Guild has no settings"),
    domain.StorageUnavailable: ErrorSpec("DatabaseError", 503, 802, "Database unavailable"),
    domain.DiscordUnavailable: ErrorSpec(
        "DiscordApiInteractionError", 502, 804, "Discord failed or is not configured"
    ),
}
INTERNAL = ErrorSpec("InternalServerError", 500, 500, "Unexpected error")


def error_response(exc: BaseException, request_id: str | None = None) -> JSONResponse:
    """The envelope response for any exception; unexpected ones are logged, never shown."""
    if isinstance(exc, SQLAlchemyError) or (isinstance(exc, OSError) and _from_database(exc)):
        log.warning("database_unavailable", error_type=type(exc).__name__)
        exc = domain.StorageUnavailable(
            "the database is unavailable or refused the write; retry later"
        )
    spec = _spec_for(exc)
    if spec is None or not isinstance(exc, domain.InviteTrackerError):
        reference = request_id or uuid.uuid4().hex
        log.exception("internal_error", exc_info=exc, reference=reference)
        body = failure(
            INTERNAL.code, INTERNAL.name, f"internal server error (request id {reference})"
        )
        return JSONResponse(body, status_code=INTERNAL.status)
    headers = {}
    if isinstance(exc, domain.StorageUnavailable):
        headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return JSONResponse(
        failure(spec.code, spec.name, exc.message), status_code=spec.status, headers=headers
    )


def _spec_for(exc: BaseException) -> ErrorSpec | None:
    for kind in type(exc).__mro__:
        spec = ERRORS.get(kind)
        if spec is not None:
            return spec
    return None


def _from_database(exc: OSError) -> bool:
    """A refused or dropped database connection surfaces as OSError from the driver."""
    module = type(exc).__module__
    return module.startswith(("asyncpg", "sqlite3", "aiosqlite")) or isinstance(
        exc, ConnectionRefusedError
    )


def error_docs(
    *kinds: type[domain.InviteTrackerError], public: bool = False
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the errors a route can answer, grouped by HTTP status. A route
    that is not `public` needs a key: none or an unknown one is refused (401), and a guild
    key is refused another guild's data (403)."""
    by_status: dict[int, list[ErrorSpec]] = {}
    keyed = () if public else (domain.Unauthorized, domain.Forbidden)
    for kind in (*kinds, *keyed):
        spec = ERRORS[kind]
        by_status.setdefault(spec.status, []).append(spec)
    by_status.setdefault(INTERNAL.status, []).append(INTERNAL)
    return {
        status: {
            "model": ErrorEnvelope,
            "description": "; ".join(
                f"{spec.name} (code {spec.code}): {spec.description}"
                for spec in dict.fromkeys(specs)
            ),
        }
        for status, specs in sorted(by_status.items())
    }
