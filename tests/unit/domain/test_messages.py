"""Combining waiting messages into one Discord message, within Discord's limits."""

from __future__ import annotations

from typing import Any

import pytest

from invite_tracker.domain.messages import OutgoingMessage, combine


def text(content: str, *users: int) -> OutgoingMessage:
    mentions = {"parse": [], "users": [str(u) for u in users], "roles": [], "replied_user": False}
    return OutgoingMessage(content, allowed_mentions=mentions)


def embed(description: str, content: str | None = None, *users: int) -> OutgoingMessage:
    message = text(content or "", *users)
    return OutgoingMessage(content, ({"description": description},), message.allowed_mentions)


def users_of(message: OutgoingMessage) -> list[str]:
    return list(message.allowed_mentions["users"])


# (waiting messages, how many are taken, the combined content, the combined embeds' count)
CASES: list[tuple[list[OutgoingMessage], int, str | None, int]] = [
    ([text("a", 1)], 1, "a", 0),
    ([text("a", 1), text("b", 2), text("c", 3)], 3, "a\nb\nc", 0),
    # 2000 characters at most: 999 + newline + 1000 fits, one more line does not
    ([text("a" * 999), text("b" * 1000), text("c")], 2, "a" * 999 + "\n" + "b" * 1000, 0),
    ([text("a" * 1000), text("b" * 1000)], 1, "a" * 1000, 0),
    ([text("a" * 2000), text("b")], 1, "a" * 2000, 0),
    # embeds: ten per message, 6000 characters of text across them
    ([embed("d")] * 12, 10, None, 10),
    ([embed("d" * 4000), embed("e" * 2000), embed("f")], 2, None, 2),
    ([embed("d" * 4000), embed("e" * 2001)], 1, None, 1),
    # an embed message's content (its pings) joins the others' lines
    ([embed("d", "<@1>", 1), embed("e", "<@2>", 2)], 2, "<@1>\n<@2>", 2),
    ([text("a"), embed("e"), text("b")], 3, "a\nb", 1),
]


@pytest.mark.parametrize(("waiting", "taken", "content", "embeds"), CASES)
def test_combine_takes_what_fits(
    waiting: list[OutgoingMessage], taken: int, content: str | None, embeds: int
) -> None:
    combined, count = combine(waiting)
    assert count == taken
    assert combined.content == content
    assert len(combined.embeds) == embeds
    assert combined.embeds == tuple(e for m in waiting[:taken] for e in m.embeds)


def test_a_single_message_is_sent_as_it_is() -> None:
    alone = embed("d", "<@1>", 1, 2)
    assert combine([alone, text("x" * 2000)]) == (alone, 1)


def test_the_pinged_users_are_everyones_taken_once_and_at_most_100() -> None:
    waiting = [text(f"<@{n}> by <@7>", n, 7) for n in range(1, 120)]
    combined, count = combine(waiting)
    users = users_of(combined)
    assert count == 100  # members 1..100 (the inviter 7 among them): the next is the 101st
    assert users == [str(n) for n in dict.fromkeys([1, 7, *range(2, 101)])]
    assert len(users) == 100
    rest: dict[str, Any] = {k: v for k, v in combined.allowed_mentions.items() if k != "users"}
    assert rest == {"parse": [], "roles": [], "replied_user": False}


def test_nothing_to_combine_is_an_error() -> None:
    with pytest.raises(ValueError, match="nothing"):
        combine([])
