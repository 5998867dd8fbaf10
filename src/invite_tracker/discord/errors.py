"""Turning hikari's errors into the service's: Discord's refusal vs. Discord being unusable."""

from __future__ import annotations

import hikari

from invite_tracker.domain.errors import DiscordUnavailable, InviteTrackerError, Unprocessable


def translate(exc: BaseException, action: str) -> InviteTrackerError:
    """The service error for a failed Discord call; `action` says what was being done."""
    if isinstance(exc, hikari.RateLimitTooLongError):
        return DiscordUnavailable(
            f"{action}: Discord rate limit asks to wait {exc.retry_after:.1f} s, "
            "longer than the service waits"
        )
    if isinstance(exc, hikari.UnauthorizedError):
        return DiscordUnavailable(
            f"{action}: Discord refused the credentials ({_describe(exc)}); check the bot token, "
            "or the interaction token has expired"
        )
    if isinstance(exc, hikari.ClientHTTPResponseError):
        return Unprocessable(
            f"Discord refused to {action}: {_describe(exc)}", status=int(exc.status)
        )
    if isinstance(exc, hikari.InternalServerError):
        return DiscordUnavailable(f"{action}: Discord answered {exc.status} after retries")
    if isinstance(exc, TimeoutError):
        return DiscordUnavailable(
            f"{action}: Discord gave no successful answer in time "
            "(5xx answers, timeouts and dropped connections are retried until then)"
        )
    if isinstance(exc, hikari.HTTPError):
        return DiscordUnavailable(f"{action}: Discord could not be reached ({exc.message})")
    return DiscordUnavailable(f"{action}: unexpected failure talking to Discord")


def _describe(exc: hikari.ClientHTTPResponseError) -> str:
    code = int(exc.code) if exc.code else None
    prefix = f"code {code}, " if code else ""
    return f"{prefix}HTTP {int(exc.status)}: {exc.message or 'no message'}"
