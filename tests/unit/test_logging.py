"""Interaction tokens never reach a log line: hikari names the webhook paths holding them, and
its webhook rate-limit buckets, in DEBUG lines, warnings and tracebacks."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog
from hikari.internal import routes

from invite_tracker.logging import configure_logging, redact

TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5.tok-en_x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"PATCH /webhooks/1234/{TOKEN}/messages/@original",
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
        (f"with bucket abcd;-4242;1234:{TOKEN}", "with bucket abcd;-4242;1234:<token>"),
        (f"bucket 'UNKNOWN;x;77:{TOKEN}' decreased", "bucket 'UNKNOWN;x;77:<token>' decreased"),
        (
            f"CompiledRoute(major_param_hash='7:{TOKEN}')",
            "CompiledRoute(major_param_hash='7:<token>')",
        ),
        ("GET /guilds/1/invites", "GET /guilds/1/invites"),  # nothing secret: unchanged
        ("bucket abcd;-4242;1234", "bucket abcd;-4242;1234"),  # a guild's bucket: no token
        ("/webhooks/not-a-number/abc", "/webhooks/not-a-number/abc"),
    ],
)
def test_tokens_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.fixture(params=[False, True], ids=["console", "json"])
def debug_logging(request: pytest.FixtureRequest) -> Iterator[None]:
    configure_logging("DEBUG", json=request.param)
    yield
    configure_logging("INFO")


def test_no_log_line_shows_an_interaction_token(
    debug_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    route = routes.PATCH_INTERACTION_RESPONSE.compile(webhook=7, token=TOKEN)
    bucket = route.create_real_bucket_hash("abcd", "-4242")  # as hikari names the bucket
    logging.getLogger("hikari.ratelimits").debug("updating %s with bucket %s", route, bucket)
    bot_token = "Bot secret-bot-token"  # a local of the frame: no traceback may show it
    try:
        raise RuntimeError(f"Unauthorized for https://discord.com/api/v10{route.compiled_path}")
    except RuntimeError:
        logging.getLogger("hikari.rest").exception("request failed")
        structlog.get_logger("test").exception("call_failed", detail={"bucket": bucket})
    written = capsys.readouterr().err
    assert "/webhooks/7/<token>/messages/@original" in written
    assert "7:<token>" in written
    assert TOKEN not in written
    assert bot_token not in written
