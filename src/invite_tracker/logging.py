"""Structured logging: structlog, with `request_id` and `guild_id` bound per request.

Interaction tokens are secrets for the 15 minutes they live (anyone holding one can edit the
reply): hikari's DEBUG lines name the webhook URLs that carry them, so every line, ours and
the libraries', has them replaced by `<token>` before it is written.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

_TOKEN_IN_PATH = re.compile(r"(/(?:webhooks|interactions)/[0-9]+/)[^/\s'\"?#]+")
_TOKEN_IN_BUCKET = re.compile(r"((?:;[^;\s]*;|major_param_hash=['\"])[0-9]+:)[^\s'\",;)\]]+")
"""hikari's rate-limit bucket of a webhook route, `{bucket};{auth hash};{webhook id}:{token}`,
and the route's `major_param_hash` it is made of (`{webhook id}:{token}`)."""
REDACTED = "<token>"
_OURS = "invite_tracker_handler"
"""Marks the root handler `configure_logging` installs, so configuring again replaces it."""


def redact(text: str) -> str:
    """`text` with the token of every interaction webhook path, callback path or webhook
    rate-limit bucket replaced."""
    text = _TOKEN_IN_PATH.sub(rf"\g<1>{REDACTED}", text)
    return _TOKEN_IN_BUCKET.sub(rf"\g<1>{REDACTED}", text)


def _redact_rendered(_: Any, __: str, line: Any) -> Any:
    """The last structlog processor: the rendered line (tracebacks and nested values
    included), redacted."""
    return redact(line) if isinstance(line, str) else line


class _RedactingFormatter(logging.Formatter):
    """The standard library's lines (hikari's among them), tracebacks included, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


_DICT_TRACEBACKS = structlog.processors.ExceptionRenderer(
    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
)
"""Tracebacks as JSON, without each frame's local variables (structlog's default shows them:
the bot token and interaction tokens are locals of hikari's frames)."""


def configure_logging(level: str = "INFO", *, json: bool = False) -> None:
    """Route structlog and the standard library's logging to stderr at `level`."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _DICT_TRACEBACKS if json else structlog.processors.format_exc_info,
            renderer,
            _redact_rendered,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    root = logging.getLogger()
    for handler in [handler for handler in root.handlers if getattr(handler, _OURS, False)]:
        root.removeHandler(handler)  # configured again: one handler of ours
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(_RedactingFormatter("%(levelname)s %(name)s %(message)s"))
    setattr(handler, _OURS, True)
    root.addHandler(handler)
    root.setLevel(numeric)


class _CurrentStderr:
    """Whatever `sys.stderr` is when a line is written (it may be replaced after start-up)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()
