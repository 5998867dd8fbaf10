"""Reading Discord's member search answers: every field, the 202, and malformed answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from invite_tracker.discord import member_search
from invite_tracker.domain.cross_check import MemberSource
from invite_tracker.domain.errors import DiscordUnavailable, SearchNotReady

JOINED = "2025-03-01T12:00:00.250000+00:00"


def _entry(user_id: object = "11", **fields: Any) -> dict[str, Any]:
    member = {"user": {"id": user_id, "username": "x"}, "joined_at": JOINED, "roles": []}
    entry: dict[str, Any] = {
        "member": member,
        "source_invite_code": "abc",
        "join_source_type": 5,
        "inviter_id": "22",
    }
    entry.update(fields)
    return entry


def _answer(*entries: object) -> dict[str, Any]:
    return {"guild_id": "1", "members": list(entries), "page_result_count": len(entries)}


def test_every_field() -> None:
    assert member_search.read_answer(_answer(_entry()), [11]) == [
        MemberSource(11, datetime(2025, 3, 1, 12, 0, 0, 250000, tzinfo=UTC), 5, "abc", 22)
    ]


def test_nulls_and_a_missing_source() -> None:
    entry = _entry(source_invite_code=None, inviter_id=None, join_source_type=None)
    entry["member"]["joined_at"] = None
    assert member_search.read_answer(_answer(entry), [11]) == [MemberSource(11, None, 0)]


def test_a_timestamp_without_offset_is_utc_and_z_is_read() -> None:
    naive, zulu = _entry("11"), _entry("12")
    naive["member"]["joined_at"] = "2025-03-01T12:00:00"
    zulu["member"]["joined_at"] = "2025-03-01T12:00:00Z"
    found = member_search.read_answer(_answer(naive, zulu), [11, 12])
    assert {source.joined_at for source in found} == {datetime(2025, 3, 1, 12, tzinfo=UTC)}


def test_members_not_asked_about_are_left_out() -> None:
    found = member_search.read_answer(_answer(_entry("11"), _entry("99")), [11])
    assert [source.member_id for source in found] == [11]


def test_not_indexed_is_search_not_ready() -> None:
    body = {"message": "Index not yet available.", "code": 110000, "retry_after": 4}
    with pytest.raises(SearchNotReady) as raised:
        member_search.read_answer(body, [11])
    assert raised.value.retry_after == 4


@pytest.mark.parametrize("retry_after", [None, "soon", -1, 0, True, float("nan")])
def test_not_indexed_without_a_usable_wait_waits_the_default(retry_after: object) -> None:
    body: dict[str, object] = {"code": 110000}
    if retry_after is not None:
        body["retry_after"] = retry_after
    with pytest.raises(SearchNotReady) as raised:
        member_search.read_answer(body, [11])
    assert raised.value.retry_after == member_search.DEFAULT_NOT_READY_WAIT == 15


def _broken(**change: Any) -> dict[str, Any]:
    entry = _entry()
    member = change.pop("member", None)
    if member is not None:
        entry["member"].update(member)
    entry.update(change)
    return _answer(entry)


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "members",
        {"guild_id": "1"},
        {"members": {}},
        _answer("not an entry"),
        _answer({"join_source_type": 5}),
        _broken(member={"user": None}),
        _broken(member={"user": {"id": "x"}}),
        _broken(member={"user": {"id": True}}),
        _broken(member={"user": {"id": str(1 << 64)}}),
        _broken(member={"joined_at": "yesterday"}),
        _broken(member={"joined_at": 1700000000}),
        _broken(join_source_type="5"),
        _broken(join_source_type=True),
        _broken(source_invite_code=12),
        _broken(inviter_id="someone"),
    ],
)
def test_a_malformed_answer_is_unavailable(body: object) -> None:
    with pytest.raises(DiscordUnavailable, match="malformed") as raised:
        member_search.read_answer(body, [11])
    assert not isinstance(raised.value, SearchNotReady)


async def test_an_answer_hikari_cannot_decode_is_unavailable() -> None:
    async def request(*args: object, **kwargs: object) -> object:
        raise ValueError("Expecting value: line 1 column 1 (char 0)")

    with pytest.raises(DiscordUnavailable, match="not valid JSON"):
        await member_search.send(request, 1, [11])


async def test_the_request_goes_to_the_guilds_search_route() -> None:
    seen: list[tuple[str, object]] = []

    async def request(route: object, *, json: object) -> object:
        seen.append((str(route), json))
        return {}

    await member_search.send(request, 123, [11, 12])
    assert seen == [
        (
            "POST /guilds/123/members-search",
            {"limit": 2, "and_query": {"user_id": {"or_query": ["11", "12"]}}},
        )
    ]


def test_batches_keep_order_and_drop_repeats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(member_search, "SEARCH_BATCH", 2)
    assert member_search.batches([3, 1, 3, 2, 5]) == [[3, 1], [2, 5]]
    assert member_search.batches([]) == []


def test_private_request_is_none_without_one() -> None:
    assert member_search.private_request(object()) is None
    assert member_search.private_request(type("Client", (), {"_request": 1})()) is None
