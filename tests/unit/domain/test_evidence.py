"""Evidence rules: each code's possible uses between two snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from invite_tracker.domain.evidence import (
    UNLIMITED,
    VANITY,
    InviteCount,
    Snapshot,
    UseRange,
    deleted_out_of_band,
    uses_between,
    with_created,
)

T0 = datetime(2026, 11, 29, 12, tzinfo=UTC)
T1 = T0 + timedelta(seconds=1)


def snap(at: datetime, *invites: InviteCount, vanity: int | None = None) -> Snapshot:
    return Snapshot(at, at + timedelta(milliseconds=80), {i.code: i for i in invites}, vanity)


@pytest.mark.parametrize(
    ("before", "after", "staff", "expected"),
    [
        # uses went up: exactly the difference
        ([InviteCount("a", 3)], [InviteCount("a", 5)], (), {"a": UseRange(2, 2)}),
        # no change: nothing
        ([InviteCount("a", 3)], [InviteCount("a", 3)], (), {}),
        # a counter going down (never in Discord) is no evidence
        ([InviteCount("a", 3)], [InviteCount("a", 1)], (), {}),
        # created and used between the snapshots
        ([], [InviteCount("n", 2)], (), {"n": UseRange(2, 2)}),
        ([], [InviteCount("n", 0)], (), {}),
        # gone with uses left: used up, exactly the remaining uses
        ([InviteCount("s", 0, max_uses=1)], [], (), {"s": UseRange(1, 1, gone=True)}),
        ([InviteCount("s", 3, max_uses=5)], [], (), {"s": UseRange(2, 2, gone=True)}),
        # gone, but deleted through our own API: maybe used first
        ([InviteCount("s", 0, max_uses=1)], [], ("s",), {"s": UseRange(0, 1)}),
        # gone after expiring: maybe used first
        ([InviteCount("e", 0, max_uses=3, expires_at=T0)], [], (), {"e": UseRange(0, 3)}),
        ([InviteCount("e", 0, expires_at=T0)], [], (), {"e": UseRange(0, UNLIMITED)}),
        # gone, unlimited and not expired: deleted, maybe used first
        ([InviteCount("u", 7)], [], (), {"u": UseRange(0, UNLIMITED)}),
        # gone already full (cannot happen in Discord): no evidence
        ([InviteCount("f", 2, max_uses=2)], [], (), {}),
    ],
)
def test_uses_between(
    before: list[InviteCount],
    after: list[InviteCount],
    staff: tuple[str, ...],
    expected: dict[str, UseRange],
) -> None:
    ranges = uses_between(snap(T0, *before), snap(T1, *after), deleted_by_staff=frozenset(staff))
    assert ranges == expected


@pytest.mark.parametrize(
    ("before", "after", "expected"), [(4, 6, {VANITY: UseRange(2, 2)}), (4, 4, {}), (None, 3, {})]
)
def test_vanity_counter(before: int | None, after: int, expected: dict[str, UseRange]) -> None:
    assert uses_between(snap(T0, vanity=before), snap(T1, vanity=after)) == expected


def test_an_invite_created_and_used_up_between_snapshots_is_seen() -> None:
    before = with_created(snap(T0), {"once": InviteCount("once", 0, max_uses=1, inviter_id=9)})
    assert uses_between(before, snap(T1)) == {"once": UseRange(1, 1, gone=True)}


@pytest.mark.parametrize(
    ("ranges", "expected"),
    [
        # a limited invite that vanished: deleted through Discord, maybe after some uses
        ({"s": UseRange(9, 9, gone=True)}, {"s": UseRange(0, 9)}),
        # everything else stays as it was
        ({"a": UseRange(2, 2), "e": UseRange(0, 3)}, {"a": UseRange(2, 2), "e": UseRange(0, 3)}),
        (
            {"a": UseRange(1, 1), "s": UseRange(1, 1, gone=True)},
            {"a": UseRange(1, 1), "s": UseRange(0, 1)},
        ),
        ({}, {}),
    ],
)
def test_deleted_out_of_band(ranges: dict[str, UseRange], expected: dict[str, UseRange]) -> None:
    assert deleted_out_of_band(ranges) == expected


def test_created_does_not_override_what_a_snapshot_saw() -> None:
    base = snap(T0, InviteCount("a", 4))
    assert with_created(base, {"a": InviteCount("a", 0)}).invites["a"].uses == 4
    assert with_created(base, {}) is base
