"""The ledger: joins and snapshots over time, decided when the evidence allows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from invite_tracker.domain.decisions import Decision
from invite_tracker.domain.evidence import InviteCount, Snapshot
from invite_tracker.domain.invites import InviteEnd, JoinType, KnownInvite
from invite_tracker.domain.ledger import Ledger
from invite_tracker.domain.windows import LATE_REASON

T0 = datetime(2026, 11, 29, 12, tzinfo=UTC)
FLIGHT = timedelta(milliseconds=80)
VANITY_CODE = "husqy"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def snap(seconds: float, vanity: int | None = None, **uses: int) -> Snapshot:
    invites = {
        code: InviteCount(code, count, inviter_id=ord(code[0])) for code, count in uses.items()
    }
    return Snapshot(at(seconds), at(seconds) + FLIGHT, invites, vanity, vanity_code=VANITY_CODE)


def by_key(decisions: list[Decision]) -> dict[object, tuple[JoinType, str | None]]:
    return {d.key: (d.join_type, d.code) for d in decisions}


def ended(ledger: Ledger) -> list[tuple[str, InviteEnd, int, int | None]]:
    """How the invites that vanished in the windows decided so far ended: code, reason,
    final uses, creator."""
    return [(e.invite.code, e.reason, e.uses, e.invite.inviter_id) for e in ledger.take_endings()]


@pytest.mark.parametrize(
    ("joined", "unread"),
    [
        (0.5, False),  # before the read at 1 s was sent: counted by it
        (0.999, False),
        (1.0, True),  # from when it was sent on, it may have come after Discord counted it
        (1.05, True),
    ],
)
def test_a_join_after_the_latest_read_was_sent_calls_for_another(
    joined: float, unread: bool
) -> None:
    ledger = Ledger(snap(0, a=0))
    ledger.observe(snap(1, a=0))
    assert ledger.unread(at(joined)) is unread
    ledger.add_join("m", at(joined))
    assert ledger.needs_snapshot() is unread


def test_one_join_one_use() -> None:
    ledger = Ledger(snap(0, a=0, b=0))
    assert not ledger.waits_for("m1")
    ledger.add_join("m1", at(1))
    assert ledger.waits_for("m1")
    assert ledger.needs_snapshot()
    assert ledger.settle(at(1.1)) == []
    ledger.observe(snap(1.2, a=1, b=0))
    assert ledger.settle(at(1.3)) == []  # its event may still be on its way: wait the margin
    assert ledger.decides_at == at(2.2)
    decisions = ledger.settle(at(2.3))
    assert by_key(decisions) == {"m1": (JoinType.INVITE, "a")}
    assert decisions[0].inviter_id == ord("a")
    assert not ledger.needs_snapshot()
    assert ledger.pending == 0
    assert not ledger.waits_for("m1")


def test_a_raid_through_one_invite_is_all_attributed() -> None:
    ledger = Ledger(snap(0, a=0, b=3))
    for n in range(20):
        ledger.add_join(n, at(0.5 + n * 0.01))
    ledger.observe(snap(1, a=20, b=3))
    assert set(by_key(ledger.settle(at(2.1))).values()) == {(JoinType.INVITE, "a")}


def test_two_codes_in_one_window_are_ambiguous() -> None:
    ledger = Ledger(snap(0, a=0, b=0))
    ledger.add_join("m1", at(0.3))
    ledger.add_join("m2", at(0.4))
    ledger.observe(snap(1, a=1, b=1))
    decisions = ledger.settle(at(2.1))
    assert {d.join_type for d in decisions} == {JoinType.AMBIGUOUS}
    assert all(d.candidates == ("a", "b") for d in decisions)
    assert all(d.inviter_id is None for d in decisions)


def test_a_use_seen_before_its_join_event_waits_for_it() -> None:
    ledger = Ledger(snap(0, a=0))
    ledger.observe(snap(1, a=1))  # the join happened at 0.5; its event is late
    assert ledger.settle(at(1.2)) == []
    ledger.add_join("late", at(0.5))
    assert by_key(ledger.settle(at(2.1))) == {"late": (JoinType.INVITE, "a")}


def test_reordered_events_land_in_their_own_windows() -> None:
    ledger = Ledger(snap(0, a=0, b=0))
    ledger.add_join("second", at(1.5))  # arrives first
    ledger.observe(snap(1, a=1, b=0))
    ledger.observe(snap(2, a=1, b=1))
    ledger.add_join("first", at(0.5))
    assert by_key(ledger.settle(at(3.1))) == {
        "first": (JoinType.INVITE, "a"),
        "second": (JoinType.INVITE, "b"),
    }


def test_a_window_missing_join_events_waits_for_them() -> None:
    ledger = Ledger(snap(0, a=0), margin=timedelta(seconds=1))
    ledger.add_join("m1", at(0.5))
    ledger.observe(snap(1, a=2))  # two uses, one join event so far
    assert ledger.settle(at(2.2)) == []  # past the margin, but a use has no join yet
    assert ledger.decides_at == at(1) + ledger.patience
    ledger.add_join("m2", at(0.6))  # its event, slower than the margin
    assert by_key(ledger.settle(at(2.5))) == {
        "m1": (JoinType.INVITE, "a"),
        "m2": (JoinType.INVITE, "a"),
    }


def test_missing_join_events_do_not_block_for_ever() -> None:
    ledger = Ledger(snap(0, a=0), margin=timedelta(seconds=1))
    ledger.add_join("m1", at(0.5))
    ledger.observe(snap(1, a=2))
    assert ledger.settle(at(5.9)) == []
    # past the patience: the joins seen are taken to be the uses' (a raid's late events)
    assert by_key(ledger.settle(at(6.1))) == {"m1": (JoinType.INVITE, "a")}
    # the other join's event finally comes: it may be the member who used "a", or one who
    # used no invite while that member's event is later still
    ledger.add_join("m2", at(0.6))
    (late,) = ledger.settle(at(7))
    assert (late.key, late.join_type, late.candidates) == (
        "m2",
        JoinType.AMBIGUOUS,
        ("(none)", "a"),
    )
    assert late.reason == LATE_REASON


def test_a_single_use_invite_created_and_used_up_between_snapshots() -> None:
    ledger = Ledger(snap(0, a=4))
    ledger.invite_created(InviteCount("once", 0, max_uses=1, inviter_id=77))
    ledger.add_join("m1", at(0.5))
    ledger.observe(snap(1, a=4))  # "once" is gone: Discord deleted it on its only use
    decisions = ledger.settle(at(2.1))
    assert by_key(decisions) == {"m1": (JoinType.INVITE, "once")}
    assert decisions[0].inviter_id == 77
    assert ended(ledger) == [("once", InviteEnd.USED_UP, 1, 77)]
    assert ended(ledger) == []  # told once


def test_a_staff_deletion_is_not_taken_for_a_use() -> None:
    ledger = Ledger(snap(0, a=0))
    ledger.invite_created(InviteCount("once", 0, max_uses=1))
    ledger.deleted_by_staff("once")
    ledger.add_join("m1", at(0.5))
    ledger.observe(snap(1, a=1))
    assert by_key(ledger.settle(at(2.1))) == {"m1": (JoinType.INVITE, "a")}
    assert ended(ledger) == [("once", InviteEnd.DELETED_BY_STAFF, 0, None)]


def known(code: str, first_seen: float, ended: InviteEnd | None = None) -> KnownInvite:
    """An invite as events reported it: single use, of inviter 77."""
    return KnownInvite(
        guild_id=1,
        code=code,
        channel_id=2,
        inviter_id=77,
        uses=0,
        max_uses=1,
        max_age=0,
        temporary=False,
        created_at=at(first_seen),
        expires_at=None,
        first_seen_at=at(first_seen),
        updated_at=at(first_seen),
        deleted_at=None if ended is None else at(first_seen + 0.1),
        deleted_reason=ended,
    )


@pytest.mark.parametrize(
    ("news", "found"),
    [
        # created after the read was sent and gone by the next: used up by the join
        ([known("once", 0.2)], (JoinType.INVITE, "once")),
        # first seen before the read was sent: the read would have listed it had it been
        # there, so it is no news (and nothing explains the join)
        ([known("once", -0.5)], (JoinType.UNKNOWN, None)),
        # created since, then deleted through our own API: maybe used first, maybe not
        ([known("once", 0.2, InviteEnd.DELETED_BY_STAFF)], (JoinType.AMBIGUOUS, None)),
        ([], (JoinType.UNKNOWN, None)),
    ],
)
def test_invite_news_from_events_between_two_reads(
    news: list[KnownInvite], found: tuple[JoinType, str | None]
) -> None:
    ledger = Ledger(snap(0, a=4))
    ledger.invite_news(news)
    ledger.add_join("m1", at(0.5))
    ledger.observe(snap(1, a=4))
    decisions = ledger.settle(at(2.1))
    assert by_key(decisions) == {"m1": found}
    if found[0] is JoinType.INVITE:
        assert decisions[0].inviter_id == 77


@pytest.mark.parametrize(
    ("first_seen", "found"),
    [
        # its event was stored after the read at 1 s was sent (the news is looked up while
        # that read flies), and the read did not list it: it was created after Discord
        # counted the read, so it is news for the next window, where m2 uses it up. Taken
        # for the first window, it would seem used up there, by m1, who used no invite
        (1.05, {"m1": (JoinType.UNKNOWN, None), "m2": (JoinType.INVITE, "late")}),
        # stored before the read was sent, which did not list it: created and used up within
        # the first window, by m1; m2 cannot have used it
        (0.95, {"m1": (JoinType.INVITE, "late"), "m2": (JoinType.UNKNOWN, None)}),
    ],
)
def test_invite_news_is_weighed_in_the_window_of_the_first_read_sent_after_it(
    first_seen: float, found: dict[str, tuple[JoinType, str | None]]
) -> None:
    ledger = Ledger(snap(0, a=4))
    decided: dict[object, tuple[JoinType, str | None]] = {}
    for read, member in ((1, "m1"), (2, "m2")):  # one join before each read, no use of a
        ledger.invite_news([known("late", first_seen)], until=at(read))
        ledger.add_join(member, at(read - 0.5))
        ledger.observe(snap(read, a=4))
        decided.update(by_key(ledger.settle(at(read + 1.1))))
    assert decided == found


def test_vanity_and_discovery_joins() -> None:
    ledger = Ledger(snap(0, vanity=10, a=0))
    ledger.add_join("vanity", at(0.5))
    ledger.observe(snap(1, vanity=11, a=0))
    ledger.add_join("discovery", at(1.5))
    ledger.observe(snap(2, vanity=11, a=0))
    assert by_key(ledger.settle(at(3.1))) == {
        "vanity": (JoinType.VANITY, VANITY_CODE),
        "discovery": (JoinType.UNKNOWN, None),
    }


def test_a_join_before_the_first_snapshot_is_unknown() -> None:
    ledger = Ledger(snap(10, a=0))
    ledger.add_join("old", at(5))
    decisions = ledger.settle(at(10.5))
    assert by_key(decisions) == {"old": (JoinType.UNKNOWN, None)}
    assert "before" in decisions[0].reason


def test_needs_snapshot_only_for_joins_after_the_latest_request() -> None:
    ledger = Ledger(snap(0, a=0))
    assert not ledger.needs_snapshot()
    ledger.add_join("m1", at(0.5))
    assert ledger.needs_snapshot()
    ledger.observe(snap(1, a=1))
    assert not ledger.needs_snapshot()


def test_a_discovery_join_does_not_take_the_invite_of_a_member_whose_event_is_late() -> None:
    ledger = Ledger(snap(0, a=0))
    ledger.add_join("discovery", at(0.4))  # used no invite
    # a member used "a" at 0.45; their event is on its way
    ledger.observe(snap(0.5, a=1))
    assert ledger.settle(at(0.6)) == []  # one join, one use: but not every event is in yet
    ledger.add_join("late", at(0.45))
    decisions = ledger.settle(at(1.6))
    # nothing tells the two apart: both are ambiguous, and neither is credited wrongly
    assert {d.join_type for d in decisions} == {JoinType.AMBIGUOUS}
    assert all(d.candidates == ("(none)", "a") for d in decisions)
    assert all(d.inviter_id is None for d in decisions)


def test_a_join_in_flight_is_not_pushed_out_to_credit_a_discovery_join() -> None:
    # the read at 1.0 counted both joins made while it was in flight: the next read says so
    ledger = Ledger(snap(0, a=0))
    ledger.add_join("discovery", at(0.5))
    ledger.add_join("u1", at(1.03))
    ledger.add_join("u2", at(1.04))
    ledger.observe(snap(1, a=2))
    ledger.observe(snap(1.5, a=2))
    decisions = ledger.settle(at(2.6))
    # three joins, two uses of "a": nothing says which one used no invite
    assert {d.key for d in decisions} == {"discovery", "u1", "u2"}
    assert {(d.join_type, d.candidates) for d in decisions} == {
        (JoinType.AMBIGUOUS, ("(none)", "a"))
    }


def test_a_discovery_join_and_a_join_counted_in_flight_stay_apart() -> None:
    ledger = Ledger(snap(0, vanity=0, a=0))
    ledger.add_join("discovery", at(0.5))
    ledger.add_join("counted", at(1.03))  # in flight, and counted: the next window has none
    ledger.add_join("vanity", at(1.3))
    ledger.observe(snap(1, vanity=0, a=1))
    ledger.observe(snap(1.5, vanity=1, a=1))
    ledger.observe(snap(2, vanity=1, a=1))
    decisions = ledger.settle(at(3.1))
    found = {d.key: d for d in decisions}
    assert found["discovery"].join_type is JoinType.AMBIGUOUS
    assert found["discovery"].candidates == ("(none)", "a")
    assert all(d.join_type is not JoinType.INVITE for d in decisions)


def test_the_last_reads_joins_in_flight_do_not_credit_a_discovery_join() -> None:
    # D used no invite; U was counted by the read at 1.0 while in flight, V by the one at 1.5
    ledger = Ledger(snap(0, a=0))
    ledger.add_join("D", at(0.5))
    ledger.add_join("U", at(1.03))
    ledger.add_join("V", at(1.53))
    ledger.observe(snap(1, a=1))
    ledger.observe(snap(1.5, a=2))
    assert ledger.settle(at(3)) == []  # V is in flight: which side only the next read says
    ledger.observe(snap(2, a=2))
    decisions = ledger.settle(at(3.1))
    assert {d.key: d.join_type for d in decisions}["D"] is JoinType.AMBIGUOUS
