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
    counted_span,
    deleted_out_of_band,
    endings,
    uses_between,
    with_created,
)
from invite_tracker.domain.invites import InviteEnd

T0 = datetime(2026, 11, 29, 12, tzinfo=UTC)
T1 = T0 + timedelta(seconds=1)


def snap(
    at: datetime, *invites: InviteCount, vanity: int | None = None, code: str | None = "husqy"
) -> Snapshot:
    """A snapshot; `vanity` is the counter of the vanity URL `code`, when it was read."""
    found = {i.code: i for i in invites}
    return Snapshot(at, at + timedelta(milliseconds=80), found, vanity, vanity_code=code)


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
        # expiring while the read was in flight (T1 .. T1 + 80 ms): it may have expired before
        # Discord counted the read, so its vanishing does not say it was used up
        (
            [InviteCount("e", 0, max_uses=1, expires_at=T1 + timedelta(milliseconds=50))],
            [],
            (),
            {"e": UseRange(0, 1)},
        ),
        # expiring after the read answered: it vanished for another reason, its last use
        (
            [InviteCount("e", 0, max_uses=1, expires_at=T1 + timedelta(milliseconds=90))],
            [],
            (),
            {"e": UseRange(1, 1, gone=True)},
        ),
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
    ("before", "after", "expected"),
    [
        # the same code read twice: exactly its counter's increase
        ((4, "husqy"), (6, "husqy"), UseRange(2, 2)),
        ((4, "husqy"), (4, "husqy"), None),
        # not read before: nothing to compare with
        ((None, None), (3, "husqy"), UseRange(0, 3)),
        ((None, None), (0, "husqy"), None),
        # no vanity URL, then one (the guild got it after the module was enabled): every
        # use its counter has may be since
        ((0, None), (3, "husqy"), UseRange(0, 3)),
        ((0, None), (0, "husqy"), None),
        # a new code: its own counter, whatever the old one had
        ((40, "old"), (3, "husqy"), UseRange(0, UNLIMITED)),
        # removed, or no longer read: the old code may have been used before it went
        ((40, "husqy"), (0, None), UseRange(0, UNLIMITED)),
        ((40, "husqy"), (None, None), UseRange(0, UNLIMITED)),
        # no vanity URL at all
        ((0, None), (0, None), None),
        ((None, None), (None, None), None),
    ],
)
def test_vanity_counter(
    before: tuple[int | None, str | None],
    after: tuple[int | None, str | None],
    expected: UseRange | None,
) -> None:
    earlier = snap(T0, vanity=before[0], code=before[1])
    later = snap(T1, vanity=after[0], code=after[1])
    assert uses_between(earlier, later) == ({} if expected is None else {VANITY: expected})


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


MS = timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("instants", "expected"),
    [
        # one read (the invite list): its instant, 10 ms each side
        ([T0], (T0 - 10 * MS, T0 + 10 * MS)),
        # the invite list and the vanity counter: from the earlier to the later, widened
        ([T0 + 3 * MS, T0], (T0 - 10 * MS, T0 + 13 * MS)),
        # one of the two did not say: the whole flight it is
        ([T0, None], None),
        ([None], None),
        ([], None),
    ],
)
def test_counted_span(
    instants: list[datetime | None], expected: tuple[datetime, datetime] | None
) -> None:
    assert counted_span(instants, 10 * MS) == expected


@pytest.mark.parametrize(
    ("counted", "after", "before"),
    [
        # Discord said when it counted the read: that, not the flight
        ((T0 + 40 * MS, T0 + 50 * MS), T0 + 40 * MS, T0 + 50 * MS),
        # it did not: any time between sending and receiving
        (None, T0, T0 + 80 * MS),
    ],
)
def test_a_snapshot_is_counted_within_its_span_or_its_flight(
    counted: tuple[datetime, datetime] | None, after: datetime, before: datetime
) -> None:
    snapshot = Snapshot(T0, T0 + 80 * MS, counted=counted)
    assert (snapshot.counted_after, snapshot.counted_before) == (after, before)


def test_created_invites_keep_the_span_discord_counted_the_snapshot_in() -> None:
    base = Snapshot(T0, T0 + 80 * MS, counted=(T0 + 40 * MS, T0 + 50 * MS))
    grown = with_created(base, {"n": InviteCount("n", 0)})
    assert grown.counted == base.counted
    assert set(grown.invites) == {"n"}


@pytest.mark.parametrize(
    ("invite", "decided", "staff", "expected"),
    [
        # a limited invite its window took as used up (`gone`): all of its uses were spent
        (InviteCount("s", 0, max_uses=1), UseRange(1, 1, gone=True), (), (InviteEnd.USED_UP, 1)),
        (InviteCount("s", 3, max_uses=5), UseRange(2, 2, gone=True), (), (InviteEnd.USED_UP, 5)),
        # the window's joins were too few for that (`deleted_out_of_band`): staff deleted it
        (InviteCount("s", 3, max_uses=5), UseRange(0, 2), (), (InviteEnd.DELETED, 3)),
        # unlimited invites are never used up: deleted, uses as last seen
        (InviteCount("u", 7), UseRange(0, UNLIMITED), (), (InviteEnd.DELETED, 7)),
        # deleted through our own API, whatever the counts say
        (InviteCount("s", 0, max_uses=1), UseRange(0, 1), ("s",), (InviteEnd.DELETED_BY_STAFF, 0)),
        # expired before Discord counted the read that missed it
        (
            InviteCount("e", 2, max_uses=5, expires_at=T1),
            UseRange(0, 3),
            (),
            (InviteEnd.EXPIRED, 2),
        ),
        # a limited invite already at its limit when last seen (not listed again)
        (InviteCount("f", 2, max_uses=2), None, (), (InviteEnd.USED_UP, 2)),
    ],
)
def test_endings(
    invite: InviteCount,
    decided: UseRange | None,
    staff: tuple[str, ...],
    expected: tuple[InviteEnd, int],
) -> None:
    ranges = {} if decided is None else {invite.code: decided}
    found = endings(snap(T0, invite), snap(T1), ranges, frozenset(staff))
    assert [(e.invite, e.reason, e.uses) for e in found] == [(invite, *expected)]


def test_endings_leave_out_invites_still_listed() -> None:
    before = snap(T0, InviteCount("a", 1, max_uses=2), InviteCount("b", 0))
    after = snap(T1, InviteCount("a", 2, max_uses=2))
    assert [e.invite.code for e in endings(before, after, {})] == ["b"]
