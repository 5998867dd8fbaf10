"""Domain errors. They carry no HTTP status: the API maps each class to a response in one table."""

from __future__ import annotations


class InviteTrackerError(Exception):
    """Base of every error the service raises on purpose; the message is safe to show a caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(InviteTrackerError):
    """The request is malformed: not JSON, not an object, a field missing or of the wrong type."""


class Unauthorized(InviteTrackerError):
    """No API key, or one the service does not know (or that was revoked)."""


class Forbidden(InviteTrackerError):
    """The key is valid but may not do this: another guild, or an internal-only endpoint."""


class PayloadTooLarge(InviteTrackerError):
    """The request body is larger than the configured limit."""


class Unprocessable(InviteTrackerError):
    """Well-typed values that cannot be used (out of range, inconsistent, refused by Discord).

    `status`: Discord's HTTP status when Discord refused (403 no access, 404 unknown, ...)."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(f"Unprocessable Entity! {reason}")
        self.reason = reason
        self.status = status


class ModuleDisabled(InviteTrackerError):
    """The invite tracker module is disabled for the guild."""


class ModuleEnabled(InviteTrackerError):
    """Enable was called while the module is already enabled."""


class SettingsMissing(InviteTrackerError):
    """The guild has no invite tracker settings: never enabled, or offboarded."""


class NotFound(InviteTrackerError):
    """A resource the request names does not exist (an unknown route, an unknown API key)."""


class StorageUnavailable(InviteTrackerError):
    """The database cannot be reached or refused a write; the caller may retry later."""


class DiscordUnavailable(InviteTrackerError):
    """Discord could not be used: not configured, unreachable, failing, or the reply failed."""


class ReadDeferred(DiscordUnavailable):
    """A read asked to go out at once would have to wait for the rate limit first.

    The attributor stamps each invite read with the time it leaves: a read held back by the
    client's rate limiter would be stamped too early and blur which joins it counted, so it
    asks not to be held, waits `retry_after` seconds itself, and reads then."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SearchNotReady(DiscordUnavailable):
    """Discord's member search has not indexed the guild yet (it answers 202 with code
    110000): ask again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InteractionReplyFailed(DiscordUnavailable):
    """The Discord action succeeded and is stored, but the interaction reply failed.

    `keep_changes` tells the unit of work to commit what was done before answering the error.
    """

    keep_changes = True
