"""What `load_json` refuses that `json.loads` takes, and where it says the problem is."""

from __future__ import annotations

from typing import Any

import pytest

from invite_tracker.domain.json_text import MAX_DEPTH, JsonTextError, check_text, load_json


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_value(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


DEEPEST = ".".join(["0"] * MAX_DEPTH)  # where the list one level too deep is


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"a": "text", "b": [1, 2.5, null, true]}', {"a": "text", "b": [1, 2.5, None, True]}),
        ('"caf\\u00e9 \\ud83d\\ude00"', "café \U0001f600"),  # a surrogate pair is one character
        (nested(MAX_DEPTH), nested_value(MAX_DEPTH)),
        ("9" * 4000, int("9" * 4000)),
    ],
)
def test_usable_json_is_read(text: str, value: Any) -> None:
    assert load_json(text, what="it") == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "it is not valid JSON (Expecting property name"),
        (
            nested(MAX_DEPTH + 1),
            f"{DEEPEST} is nested deeper than {MAX_DEPTH}",
        ),
        (nested(100_000), f"it is nested deeper than {MAX_DEPTH} levels"),
        ("9" * 5000, "it is not usable JSON (Exceeds the limit"),
        ('"\\ud800"', "it holds a lone surrogate"),
        ('{"a": {"b": ["ok", "\\udfff"]}}', "a.b.1 holds a lone surrogate"),
        ('{"a\\u0000": 1}', "it holds a NUL character"),
        ('{"a": {"b\\u0000": 1}}', "a holds a NUL character"),
        ('{"a": "x\\u0000y"}', "a holds a NUL character"),
    ],
)
def test_unusable_json_is_refused_with_its_place(text: str, message: str) -> None:
    with pytest.raises(JsonTextError) as raised:
        load_json(text, what="it")
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        ({"guild_id": "1", "note": "fine"}, False),
        ({"guild_id": "1", "note": "a\x00"}, True),
        ({"note\ud800": "x"}, True),
        (7, False),
    ],
)
def test_values_already_read_are_checked_the_same_way(value: Any, refused: bool) -> None:
    if refused:
        with pytest.raises(JsonTextError):
            check_text(value, what="the query string")
    else:
        check_text(value, what="the query string")
