"""Interaction tokens never reach a log line: hikari's DEBUG lines name the URLs holding them."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog

from invite_tracker.logging import configure_logging, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "PATCH /webhooks/1234/aW50ZXJhY3Rpb24.tok-en_x/messages/@original",
            "PATCH /webhooks/1234/<token>/messages/@original",
        ),
        (
            "'POST https://discord.com/api/v10/interactions/99/secret-1/callback' 404",
            "'POST https://discord.com/api/v10/interactions/99/<token>/callback' 404",
        ),
        (
            "/webhooks/1/abc?wait=true and /webhooks/2/def",
            "/webhooks/1/<token>?wait=true and /webhooks/2/<token>",
        ),
        ("GET /guilds/1/invites", "GET /guilds/1/invites"),  # nothing secret: unchanged
        ("/webhooks/not-a-number/abc", "/webhooks/not-a-number/abc"),
    ],
)
def test_tokens_in_paths_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.fixture
def debug_logging() -> Iterator[None]:
    configure_logging("DEBUG")
    yield
    configure_logging("INFO")


def test_no_log_line_shows_an_interaction_token(
    debug_logging: None, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("hikari.ratelimits").debug(
        "%s bucket waiting", "PATCH /webhooks/7/live-token-1/messages/@original"
    )
    structlog.get_logger("test").warning("call_failed", url="/interactions/8/live-token-2/callback")
    written = capsys.readouterr().err + "\n".join(record.getMessage() for record in caplog.records)
    assert "/webhooks/7/<token>/messages" in written
    assert "/interactions/8/<token>/callback" in written
    assert "live-token" not in written
