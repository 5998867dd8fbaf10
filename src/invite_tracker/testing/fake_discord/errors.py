"""Discord's error answers: the status, the JSON code and message, and 50035's `errors` tree."""

from __future__ import annotations

from typing import Any

JSONObject = dict[str, Any]


class DiscordError(Exception):
    """An error the fake answers the way Discord does: `{"code", "message", "errors"?}`."""

    def __init__(
        self, status: int, code: int, message: str, errors: JSONObject | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> JSONObject:
        """The JSON body Discord sends for this error."""
        body: JSONObject = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


class ControlError(Exception):
    """A misuse of the control API (not a Discord answer): unknown ids, conflicting state."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def unauthorized() -> DiscordError:
    """Missing or wrong bot token."""
    return DiscordError(401, 0, "401: Unauthorized")


def unknown_channel() -> DiscordError:
    """10003."""
    return DiscordError(404, 10003, "Unknown Channel")


def unknown_guild() -> DiscordError:
    """10004."""
    return DiscordError(404, 10004, "Unknown Guild")


def unknown_invite() -> DiscordError:
    """10006."""
    return DiscordError(404, 10006, "Unknown Invite")


def unknown_member() -> DiscordError:
    """10007."""
    return DiscordError(404, 10007, "Unknown Member")


def unknown_message() -> DiscordError:
    """10008: e.g. the original reply of an interaction that was never answered or was deleted."""
    return DiscordError(404, 10008, "Unknown Message")


def unknown_user() -> DiscordError:
    """10013."""
    return DiscordError(404, 10013, "Unknown User")


def unknown_webhook() -> DiscordError:
    """10015: an interaction token (or webhook) Discord does not know."""
    return DiscordError(404, 10015, "Unknown Webhook")


def unknown_interaction() -> DiscordError:
    """10062: an unknown interaction, or a callback later than 3 seconds after it was created."""
    return DiscordError(404, 10062, "Unknown interaction")


def invalid_webhook_token() -> DiscordError:
    """50027: what Discord answers once an interaction token's 15 minutes are over."""
    return DiscordError(401, 50027, "Invalid Webhook Token")


def already_acknowledged() -> DiscordError:
    """40060: a second callback for the same interaction."""
    return DiscordError(400, 40060, "Interaction has already been acknowledged.")


def too_many_invites() -> DiscordError:
    """30016: the guild already has the maximum of 1000 invites."""
    return DiscordError(400, 30016, "Maximum number of invites reached (1000)")


def missing_access() -> DiscordError:
    """50001: the bot cannot see the resource at all (e.g. no VIEW_CHANNEL)."""
    return DiscordError(403, 50001, "Missing Access")


def missing_permissions() -> DiscordError:
    """50013."""
    return DiscordError(403, 50013, "Missing Permissions")


def empty_message() -> DiscordError:
    """50006: no content, embeds or other parts."""
    return DiscordError(400, 50006, "Cannot send an empty message")


def non_text_channel() -> DiscordError:
    """50008: messages to a category and the like."""
    return DiscordError(400, 50008, "Cannot send messages in a non-text channel")


def wrong_channel_type() -> DiscordError:
    """50024: e.g. an invite to a category."""
    return DiscordError(400, 50024, "Cannot execute action on this channel type")


def invalid_json() -> DiscordError:
    """50109: no body where one is required, or a body that is not JSON."""
    return DiscordError(400, 50109, "The request body contains invalid JSON.")


def not_found_route() -> DiscordError:
    """An unknown route (code 0, like Discord)."""
    return DiscordError(404, 0, "404: Not Found")


def method_not_allowed() -> DiscordError:
    """A known route with another method (code 0, like Discord)."""
    return DiscordError(405, 0, "405: Method Not Allowed")


def server_error(status: int) -> DiscordError:
    """A 5xx answer with Discord's code-0 body."""
    reasons = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    return DiscordError(status, 0, f"{status}: {reasons.get(status, 'Server Error')}")


class FormErrors:
    """Collects field errors into the nested `errors` object of a 50035 "Invalid Form Body"."""

    def __init__(self) -> None:
        self._tree: JSONObject = {}

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        """Record an error at `path` (e.g. ("embeds", 0, "title")); `()` is the body itself."""
        node = self._tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def __bool__(self) -> bool:
        return bool(self._tree)

    def as_error(self) -> DiscordError:
        """The 50035 "Invalid Form Body" error carrying what was recorded."""
        return DiscordError(400, 50035, "Invalid Form Body", self._tree)

    def raise_if_any(self) -> None:
        """Raise the 50035 error when anything was recorded."""
        if self._tree:
            raise self.as_error()
