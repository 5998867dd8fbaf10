"""The rules that make settings usable."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from invite_tracker.domain.errors import Unprocessable
from invite_tracker.domain.settings import DEFAULT_SETTINGS, check_settings

ON = {"join_messages_enabled": True, "join_messages_channel": 1, "join_message_content": "hi"}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        ON,
        {**ON, "join_message_is_embed": True, "join_message_content": json.dumps({"title": "x"})},
        {"join_message_is_embed": True},  # off, no content: nothing to check
        {"leave_message_content": "kept while off"},
        {"server_shared_invite_link": "discord.gg/abc"},
    ],
)
def test_usable_settings(changes: dict[str, Any]) -> None:
    checked = check_settings(dataclasses.replace(DEFAULT_SETTINGS, **changes))
    if "server_shared_invite_link" in changes:
        assert checked.server_shared_invite_link == "abc"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({**ON, "join_messages_channel": None}, "join_messages_channel is required"),
        ({**ON, "join_message_content": ""}, "join_message_content is required"),
        ({"leave_messages_enabled": True, "leave_messages_channel": 1}, "leave_message_content"),
        ({**ON, "join_message_is_embed": True}, "not valid JSON"),
        ({"leave_message_is_embed": True, "leave_message_content": "{}"}, "nothing to show"),
        ({"join_message_content": "x" * 2001}, "2001 characters"),
        ({"server_shared_invite_link": "https://evil.example/abc"}, "server_shared_invite_link"),
    ],
)
def test_unusable_settings(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(Unprocessable) as caught:
        check_settings(dataclasses.replace(DEFAULT_SETTINGS, **changes))
    assert caught.value.message.startswith("Unprocessable Entity! ")
    assert reason in caught.value.message
