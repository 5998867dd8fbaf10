"""Reading JSON from outside: text `json.loads` takes but nothing after it can use.

`json.loads` accepts what the rest of the service cannot hold: a string with a NUL character or
a lone surrogate (`"\\ud800"`: PostgreSQL's text refuses the first, UTF-8 the second, so storing
or sending it fails), nesting deep enough to exhaust Python's recursion, and integers too long
to convert. Each is refused here, with the place it was found, before anything is stored.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

MAX_DEPTH: Final = 32
"""Deeper than any input of the API or any embed config needs (an embed's fields are 3 deep)."""
_NOT_TEXT: Final = re.compile("[\x00\ud800-\udfff]")


class JsonTextError(ValueError):
    """The text is not JSON the service can use; the message says why and where."""


def load_json(text: str, *, what: str) -> Any:
    """The JSON value of `text` (`what` names it in errors), checked by `check_text`."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise JsonTextError(f"{what} is nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise JsonTextError(f"{what} is not valid JSON ({exc})") from None
    except ValueError as exc:  # an integer over Python's conversion limit
        raise JsonTextError(f"{what} is not usable JSON ({exc})") from None
    check_text(value, what=what)
    return value


def check_text(value: Any, *, what: str) -> None:
    """Refuse a value nested deeper than MAX_DEPTH, or holding (in a key or a string) a NUL
    character or a lone surrogate. Errors name the place: `what`, then the path to it."""
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            _check_string(item, what, path)
            continue
        if isinstance(item, dict):
            children = [(str(key), child) for key, child in item.items()]
        elif isinstance(item, list):
            children = [(str(index), child) for index, child in enumerate(item)]
        else:
            continue
        if len(path) >= MAX_DEPTH:
            raise JsonTextError(f"{_place(what, path)} is nested deeper than {MAX_DEPTH} levels")
        for key, child in children:
            _check_string(key, what, path)
            stack.append((child, (*path, key)))


def _check_string(text: str, what: str, path: tuple[str, ...]) -> None:
    found = _NOT_TEXT.search(text)
    if found is None:
        return
    kind = "a NUL character" if found.group() == "\x00" else "a lone surrogate (not Unicode text)"
    raise JsonTextError(f"{_place(what, path)} holds {kind}")


def _place(what: str, path: tuple[str, ...]) -> str:
    return ".".join(path) if path else what
