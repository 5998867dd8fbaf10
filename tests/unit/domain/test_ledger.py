"""The ledger: joins and snapshots over time, decided when the evidence allows."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from invite_tracker.domain.decisions import Decision
from invite_tracker.domain.evidence import InviteCount, Snapshot
from invite_tracker.domain.invites import InviteEnd, JoinType, KnownInvite
from invite_tracker.domain.ledger import LOOKAHEAD, Ledger
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


def test_a_late_join_in_a_window_without_uses_used_no_invite() -> None:
    ledger = Ledger(snap(0, a=0))
    ledger.add_join("m1", at(0.5))
    ledger.observe(snap(1, a=0))
    assert by_key(ledger.settle(at(2.1))) == {"m1": (JoinType.UNKNOWN, None)}
    ledger.add_join("m2", at(0.6))
    assert by_key(ledger.settle(at(3))) == {"m2": (JoinType.UNKNOWN, None)}


def test_a_late_discovery_join_does_not_take_a_use_left_unexplained() -> None:
    # Two joins in one window, both events later than the margin: the discovery join's
    # event comes first and must not take the invite of the member whose event is later still.
    ledger = Ledger(snap(0, a=0), margin=timedelta(seconds=0.75))
    ledger.observe(snap(1, a=1))
    assert ledger.settle(at(2)) == []  # a use, no join yet: nothing to decide
    ledger.add_join("discovery", at(0.3))
    ledger.add_join("member", at(0.6))
    decisions = ledger.settle(at(2.5))
    assert [d.join_type for d in decisions] == [JoinType.AMBIGUOUS] * 2


def test_a_very_late_join_in_a_fully_explained_window_used_no_invite() -> None:
    ledger = Ledger(snap(0, a=0))
    ledger.add_join("m1", at(0.5))
    ledger.observe(snap(1, a=1))
    ledger.settle(at(2.1))
    ledger.add_join("m2", at(0.7))
    decisions = ledger.settle(at(5))
    assert decisions[0].join_type is JoinType.AMBIGUOUS
    assert decisions[0].candidates == ("(none)", "a")


def test_a_join_during_a_snapshot_read_is_placed_by_the_counts() -> None:
    ledger = Ledger(snap(0, a=0, b=0))
    ledger.add_join("m1", at(0.5))
    ledger.add_join("edge", at(1.04))  # while the snapshot at 1.0 was in flight
    ledger.observe(snap(1, a=1, b=0))  # it was not counted there...
    # which only the next read can tell: m1 waits for it
    assert ledger.settle(at(2.1)) == []
    assert ledger.decides_at is None
    ledger.observe(snap(2, a=1, b=1))  # ...but here
    assert by_key(ledger.settle(at(3.1))) == {
        "m1": (JoinType.INVITE, "a"),
        "edge": (JoinType.INVITE, "b"),
    }


def counted(seconds: float, when: float, **uses: int) -> Snapshot:
    """A read sent at `seconds` that Discord says it counted at `when` (within 5 ms)."""
    instant = at(when)
    span = (instant - timedelta(milliseconds=5), instant + timedelta(milliseconds=5))
    return dataclasses.replace(snap(seconds, **uses), counted=span)


@pytest.mark.parametrize(
    ("read", "decided_first", "then"),
    [
        # Discord counted the read at 1.03, before the join at 1.04: the join is the next
        # window's, so the first window is decided without waiting for another read
        (counted(1, 1.03, a=1, b=0), {"m1": (JoinType.INVITE, "a")}, {"edge": "b"}),
        # it counted it at 1.05, after the join: both are the first window's, which saw two
        # codes used
        (
            counted(1, 1.05, a=1, b=1),
            {"m1": (JoinType.AMBIGUOUS, None), "edge": (JoinType.AMBIGUOUS, None)},
            {},
        ),
        # it counted it within 5 ms of the join: either side, so the next read decides
        (counted(1, 1.042, a=1, b=0), {}, {"m1": "a", "edge": "b"}),
        # it did not say when: the join is somewhere in the read's flight, as above
        (snap(1, a=1, b=0), {}, {"m1": "a", "edge": "b"}),
    ],
)
def test_discords_clock_places_a_join_made_while_the_read_flew(
    read: Snapshot,
    decided_first: dict[str, tuple[JoinType, str | None]],
    then: dict[str, str],
) -> None:
    ledger = Ledger(snap(0, a=0, b=0))
    ledger.add_join("m1", at(0.5))
    ledger.add_join("edge", at(1.04))  # while the read sent at 1.0 flew (until 1.08)
    ledger.observe(read)
    assert by_key(ledger.settle(at(2.1))) == decided_first
    ledger.observe(snap(2, a=1, b=1))
    assert by_key(ledger.settle(at(3.1))) == {
        key: (JoinType.INVITE, code) for key, code in then.items()
    }


def test_join_events_are_awaited_a_margin_after_discord_counted_the_read() -> None:
    ledger = Ledger(snap(0, a=0), margin=timedelta(seconds=0.75))
    ledger.add_join("m1", at(0.5))
    ledger.observe(counted(1, 1.04, a=1))
    assert ledger.decides_at == at(1.035 + 0.75)


@pytest.mark.parametrize(
    ("second_at", "found"),
    [
        # as in a burst run: Discord answered the read at 1.0 between the two joins in flight,
        # so it counted the earlier one
        (1.06, {"first": (JoinType.INVITE, "a"), "second": (JoinType.INVITE, "b")}),
        # under 10 ms apart: they may have been counted in either order
        (1.025, {"first": (JoinType.AMBIGUOUS, None), "second": (JoinType.AMBIGUOUS, None)}),
    ],
)
def test_of_two_joins_during_a_read_it_counted_the_earlier(
    second_at: float, found: dict[str, tuple[JoinType, str | None]]
) -> None:
    ledger = Ledger(snap(0, a=0, b=0))
    ledger.add_join("first", at(1.02))
    ledger.add_join("second", at(second_at))
    ledger.observe(snap(1, a=1, b=0))
    ledger.observe(snap(1.3, a=1, b=1))
    decisions = ledger.settle(at(2.4))
    assert by_key(decisions) == found
    ambiguous = [d for d in decisions if d.join_type is JoinType.AMBIGUOUS]
    assert all(d.candidates == ("a", "b") for d in ambiguous)


def test_joins_during_every_read_do_not_hold_a_raid_up() -> None:
    ledger = Ledger(snap(0, a=0))
    uses = 0
    for second in range(1, 10):
        for n in range(4):  # three joins between reads, one while the read is in flight
            ledger.add_join((second, n), at(second - 0.9 + n * 0.3))
        uses += 4
        ledger.observe(snap(second, a=uses - 1))  # the in-flight join is not counted yet
        # a window waits for LOOKAHEAD more reads (each has a join in flight) and the margin
        decided = ledger.settle(at(second + 0.1))
        assert {d.join_type for d in decided} <= {JoinType.INVITE}
        expected = 3 if second > LOOKAHEAD + 1 else 0
        assert len(decided) >= expected  # read by read, not when the raid ends
    assert ledger.pending <= 4 * (LOOKAHEAD + 1) + 1


def test_a_join_in_flight_credited_to_an_invite_of_the_next_window_gets_its_inviter() -> None:
    # "n" was created after the read at 0.95 answered and used by the join at 1.0, made while
    # that read was in flight: only the next read knows the code, and so its inviter
    ledger = Ledger(snap(0, a=0))
    ledger.add_join("m", at(1.0))
    ledger.observe(snap(0.95, a=0))
    ledger.observe(snap(2, a=0, n=1))
    decisions = ledger.settle(at(3.5))
    assert [(d.key, d.join_type, d.code, d.inviter_id) for d in decisions] == [
        ("m", JoinType.INVITE, "n", ord("n"))
    ]


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


def limited(seconds: float, *, vanity: int, **uses: tuple[int, int]) -> Snapshot:
    """A snapshot whose invites have use limits: code=(uses, max_uses)."""
    invites = {
        code: InviteCount(code, count, max_uses=limit, inviter_id=ord(code[0]))
        for code, (count, limit) in uses.items()
    }
    return Snapshot(at(seconds), at(seconds) + FLIGHT, invites, vanity, vanity_code=VANITY_CODE)


def test_a_limited_invite_deleted_through_discord_does_not_hold_its_window_up() -> None:
    # "big" (1 of 10 uses) vanished with one join in the window: it was not used up 9 times
    # (the join came through the vanity URL), so staff deleted it; no wait for missing events
    ledger = Ledger(limited(0, vanity=10, big=(1, 10)), margin=timedelta(seconds=0.75))
    ledger.add_join("m1", at(0.5))
    ledger.observe(limited(1, vanity=11))
    assert ledger.decides_at == at(1.75)
    assert by_key(ledger.settle(at(1.8))) == {"m1": (JoinType.VANITY, VANITY_CODE)}
    assert ended(ledger) == [("big", InviteEnd.DELETED, 1, ord("b"))]


def test_a_limited_invite_gone_with_its_join_seen_was_used_up() -> None:
    ledger = Ledger(limited(0, vanity=10, big=(8, 10)), margin=timedelta(seconds=0.75))
    ledger.add_join("m1", at(0.4))
    ledger.add_join("m2", at(0.5))
    ledger.observe(limited(1, vanity=10))
    assert set(by_key(ledger.settle(at(1.8))).values()) == {(JoinType.INVITE, "big")}
    assert ended(ledger) == [("big", InviteEnd.USED_UP, 10, ord("b"))]


def gone_news(code: str, seconds: float, reason: InviteEnd) -> KnownInvite:
    """The invite as stored once an invite-delete event (or a list read) said it went."""
    return dataclasses.replace(
        known(code, -1), deleted_at=at(seconds), updated_at=at(seconds), deleted_reason=reason
    )


@pytest.mark.parametrize(
    ("gone", "joined", "found", "reason"),
    [
        # no event for it: vanished with a join to spend its last use, so used up
        (None, 1.0, (JoinType.INVITE, "once"), InviteEnd.USED_UP),
        # its delete event came as the join was made: Discord deleted it at its last use
        ((1.05, InviteEnd.DELETED), 1.0, (JoinType.INVITE, "once"), InviteEnd.USED_UP),
        # ... or a little later, delivered within the margin (0.75 s)
        ((1.7, InviteEnd.DELETED), 1.0, (JoinType.INVITE, "once"), InviteEnd.USED_UP),
        # ... but not later than that: the join used no invite, and staff revoked it
        ((2.1, InviteEnd.DELETED), 1.0, (JoinType.UNKNOWN, None), InviteEnd.DELETED),
        # deleted before the only join was made: staff revoked it through Discord, and the
        # join used no invite (discovery, say); the old rule credited its creator
        ((1.0, InviteEnd.DELETED), 3.0, (JoinType.UNKNOWN, None), InviteEnd.DELETED),
        # deleted well after the join, far beyond the margin: not its last use either
        ((4.0, InviteEnd.DELETED), 1.0, (JoinType.UNKNOWN, None), InviteEnd.DELETED),
        # stored late, by a reason other than the event alone: only an upper bound
        ((4.0, InviteEnd.VANISHED), 1.0, (JoinType.INVITE, "once"), InviteEnd.USED_UP),
        ((1.0, InviteEnd.VANISHED), 3.0, (JoinType.UNKNOWN, None), InviteEnd.DELETED),
        # within the clock slack after the deletion (no read says how far this service's
        # clock is behind Discord's): a last use cannot be ruled out
        ((1.0, InviteEnd.DELETED), 1.9, (JoinType.INVITE, "once"), InviteEnd.USED_UP),
    ],
)
def test_an_invite_delete_event_tells_a_staff_revoke_from_a_last_use(
    gone: tuple[float, InviteEnd] | None,
    joined: float,
    found: tuple[JoinType, str | None],
    reason: InviteEnd,
) -> None:
    ledger = Ledger(limited(0, vanity=10, once=(0, 1)), margin=timedelta(seconds=0.75))
    ledger.add_join("m1", at(joined))
    if gone is not None:
        ledger.invite_news([gone_news("once", *gone)], until=at(5))
    ledger.observe(limited(5, vanity=10))
    assert by_key(ledger.settle(at(6))) == {"m1": found}
    assert [(code, why) for code, why, _, _ in ended(ledger)] == [("once", reason)]


def test_a_join_after_an_invites_delete_event_stays_ambiguous_with_it() -> None:
    # "once" was used up by m1 (its event came right after), "b" used once. m2 joined after
    # "once" was gone, so m2 used "b" and m1 "once" -- if "once" was used up at all: staff may
    # have revoked it as m1 joined through no invite, and then m2 may have used "once" no
    # more than m1 did. Both stay ambiguous: a wrong inviter is worse than none
    ledger = Ledger(limited(0, vanity=10, once=(0, 1), b=(4, 0)), margin=timedelta(seconds=0.75))
    ledger.add_join("m1", at(1.8))
    ledger.add_join("m2", at(3.5))
    ledger.invite_news([gone_news("once", 2.0, InviteEnd.DELETED)], until=at(5))
    ledger.observe(limited(5, vanity=10, b=(5, 0)))
    decided = ledger.settle(at(6))
    assert {(d.join_type, d.candidates) for d in decided} == {(JoinType.AMBIGUOUS, ("b", "once"))}


@pytest.mark.parametrize(
    ("joined", "found"),
    [
        (1.02, (JoinType.INVITE, "once")),  # before the event, as stored, plus how far
        # this service's clock can be behind Discord's: the reads say 30 ms at most
        (1.1, (JoinType.UNKNOWN, None)),
    ],
)
def test_the_reads_say_how_far_after_its_delete_event_a_join_can_have_spent_an_invite(
    joined: float, found: tuple[JoinType, str | None]
) -> None:
    # Discord counted each read 30 ms after it was sent, by its clock: this service's clock
    # is at most 30 ms behind Discord's (not the second allowed when nothing says)
    def read(seconds: float, **uses: tuple[int, int]) -> Snapshot:
        counted = (at(seconds + 0.02), at(seconds + 0.03))
        return dataclasses.replace(limited(seconds, vanity=10, **uses), counted=counted)

    ledger = Ledger(read(0, once=(0, 1)), margin=timedelta(seconds=0.75))
    ledger.add_join("m1", at(joined))
    ledger.invite_news([gone_news("once", 1.0, InviteEnd.DELETED)], until=at(5))
    ledger.observe(read(5))
    assert by_key(ledger.settle(at(6))) == {"m1": found}


def test_a_join_of_the_next_window_does_not_spend_a_revoked_invite() -> None:
    # m1 joined through no invite, staff revoked "once" long after, and the read that closed
    # m1's window no longer listed it; m2 joined right after that read, within the clock slack
    # of the revoke, but in the next window: it cannot have used "once" either
    ledger = Ledger(limited(0, vanity=10, once=(0, 1)), margin=timedelta(seconds=0.75))
    ledger.add_join("m1", at(0.5))
    ledger.invite_news([gone_news("once", 3.8, InviteEnd.DELETED)], until=at(4))
    ledger.observe(limited(4, vanity=10))
    ledger.add_join("m2", at(4.15))
    ledger.observe(limited(5, vanity=10))
    assert by_key(ledger.settle(at(6))) == {
        "m1": (JoinType.UNKNOWN, None),
        "m2": (JoinType.UNKNOWN, None),
    }


def test_a_spent_invite_waits_for_late_join_events_instead_of_seeming_revoked() -> None:
    # m1 used up "once" (its delete event came at once), m2 used "z" but its event is late:
    # with only m1 seen, "once" is not taken for a revoke that would hand m1 to "z"
    ledger = Ledger(limited(0, vanity=10, once=(0, 1), z=(3, 0)), margin=timedelta(seconds=0.75))
    ledger.add_join("m1", at(1.0))
    ledger.invite_news([gone_news("once", 1.05, InviteEnd.DELETED)], until=at(2))
    ledger.observe(limited(2, vanity=10, z=(4, 0)))
    assert ledger.settle(at(2.9)) == []  # waits for the missing join event
    ledger.add_join("m2", at(1.2))
    decided = ledger.settle(at(3.3))
    assert {d.key: (d.join_type, d.candidates) for d in decided} == {
        "m1": (JoinType.AMBIGUOUS, ("once", "z")),
        "m2": (JoinType.AMBIGUOUS, ("once", "z")),
    }


def test_a_join_after_an_invites_delete_event_is_narrowed_to_no_invite_at_most() -> None:
    # m1 spent "once" (its event came at once); m2 joined after the event: it did not use
    # "once", and nothing else was used, so it used no invite. m1 stays ambiguous: "once" may
    # have been revoked as m1 joined through no invite
    ledger = Ledger(limited(0, vanity=10, once=(0, 1)), margin=timedelta(seconds=0.75))
    ledger.add_join("m1", at(0.5))
    ledger.add_join("m2", at(1.9))
    ledger.invite_news([gone_news("once", 0.55, InviteEnd.DELETED)], until=at(3))
    ledger.observe(limited(3, vanity=10))
    decided = {d.key: (d.join_type, d.candidates) for d in ledger.settle(at(4))}
    assert decided == {
        "m1": (JoinType.AMBIGUOUS, ("(none)", "once")),
        "m2": (JoinType.UNKNOWN, ()),
    }


def test_a_revoke_long_before_a_quiet_guilds_next_join_is_still_weighed() -> None:
    # staff revoked "once" at 10 s; the next join (through no invite) comes at 400 s, and the
    # read it calls for brings the delete event as news: it is kept until its window is
    # decided, however old, though the engine settles right after every read
    ledger = Ledger(limited(0, vanity=10, once=(0, 1)), margin=timedelta(seconds=0.75))
    ledger.add_join("m1", at(400))
    ledger.invite_news([gone_news("once", 10, InviteEnd.DELETED)], until=at(400.05))
    ledger.observe(limited(400.05, vanity=10))
    assert ledger.settle(at(400.2)) == []  # the margin has not passed
    assert by_key(ledger.settle(at(401))) == {"m1": (JoinType.UNKNOWN, None)}


@pytest.mark.parametrize("expires", [None, 7 * 86_400.0])
@pytest.mark.parametrize("event", [False, True])
def test_a_member_who_spent_an_invite_and_whose_event_is_late_stays_ambiguous_with_it(
    expires: float | None, event: bool
) -> None:
    # m1 spent "once" at 0.5 (Discord's delete event stored at 0.55, or none reached us), but
    # its member-add came after the window was decided: it may have used "once", or none
    once = InviteCount("once", 0, max_uses=1, inviter_id=111)
    if expires is not None:
        once = dataclasses.replace(once, expires_at=at(expires))  # Discord's default: 7 days
    ledger = Ledger(Snapshot(at(0), at(0) + FLIGHT, {"once": once}), margin=timedelta(seconds=0.75))
    if event:
        ledger.invite_news([gone_news("once", 0.55, InviteEnd.DELETED)], until=at(1))
    ledger.observe(Snapshot(at(1), at(1) + FLIGHT))
    assert ledger.settle(at(2)) == []
    ledger.add_join("m1", at(0.5))
    decided = ledger.settle(at(2.5))
    assert [(d.join_type, d.candidates) for d in decided] == [
        (JoinType.AMBIGUOUS, ("(none)", "once"))
    ]


def test_a_spent_invite_does_not_hand_a_join_through_no_invite_a_revoked_one() -> None:
    # m1 joined through no invite as staff revoked "c" (no event reached us); m2 joined while
    # the read at 1 s flew and spent "a" (its event stored at 1.1); a member used "b" at 1.5
    # but that event never comes. "a" spent says nothing of "c", which nothing explains: the
    # vanished invites are taken for revoked, and m1 is not credited with "c"
    baseline = limited(0, vanity=10, c=(0, 1), a=(0, 1), b=(0, 0))
    ledger = Ledger(baseline, margin=timedelta(seconds=0.75))
    ledger.add_join("m1", at(0.5))
    ledger.add_join("m2", at(1.04))
    ledger.invite_news([gone_news("a", 1.1, InviteEnd.DELETED)], until=at(2))
    ledger.observe(limited(1, vanity=10, a=(0, 1), b=(0, 0)))
    ledger.observe(limited(2, vanity=10, b=(1, 0)))
    decided = ledger.settle(at(3)) + ledger.settle(at(8))
    assert {d.key: d.join_type for d in decided} == {
        "m1": JoinType.AMBIGUOUS,
        "m2": JoinType.AMBIGUOUS,
    }
    assert {d.key: d.candidates for d in decided}["m1"] == ("(none)", "c")


def test_a_revoked_invite_whose_span_a_join_fits_does_not_take_another_invites_use() -> None:
    # staff revoked "x" (its delete event stored at 0.99 s); m1 joined at 1.05 s through "y",
    # while the read at 1 s flew (it no longer lists "x", still lists "y"); "y" is gone by the
    # read at 1.5 s, its own delete event not read yet. m1 fits "x"'s span, but "y" vanished
    # too with nothing to say whether it was used, so m1 is not handed "x". The read that
    # flew as m1 joined still listed "y" unused, and the next one did not: m1 spent "y"
    def read(seconds: float, *codes: str) -> Snapshot:
        return limited(seconds, vanity=10, **dict.fromkeys(codes, (0, 1)))

    ledger = Ledger(read(0, "x", "y"), margin=timedelta(seconds=0.75))
    ledger.invite_news([gone_news("x", 0.99, InviteEnd.DELETED)], until=at(1))
    ledger.add_join("m1", at(1.05))
    ledger.observe(read(1, "y"))
    ledger.invite_news([], until=at(1.5))
    ledger.observe(read(1.5))
    decided = [d for t in (1.7, 2.3, 3, 7, 10) for d in ledger.settle(at(t))]
    assert [(d.key, d.join_type, d.code) for d in decided] == [("m1", JoinType.INVITE, "y")]


@pytest.mark.parametrize(
    ("joins", "found"),
    [
        # made before "exp" expired: it may have used it, or no invite
        ({"m1": 1.0}, {"m1": (JoinType.AMBIGUOUS, None)}),
        ({"m1": 2.04}, {"m1": (JoinType.AMBIGUOUS, None)}),  # within rounding
        # made after it expired: it cannot have used it
        ({"m1": 2.1}, {"m1": (JoinType.UNKNOWN, None)}),
        # one join before, one after: only the first can have used it (or no invite)
        (
            {"m1": 1.0, "m2": 3.5},
            {"m1": (JoinType.AMBIGUOUS, None), "m2": (JoinType.UNKNOWN, None)},
        ),
    ],
)
def test_an_expired_invite_is_not_taken_for_joins_after_it_expired(
    joins: dict[str, float], found: dict[str, tuple[JoinType, str | None]]
) -> None:
    expiring = InviteCount("exp", 3, expires_at=at(2), inviter_id=7)
    ledger = Ledger(
        Snapshot(at(0), at(0) + FLIGHT, {"exp": expiring}), margin=timedelta(seconds=0.75)
    )
    for key, joined in joins.items():
        ledger.add_join(key, at(joined))
    ledger.observe(Snapshot(at(5), at(5) + FLIGHT))
    decided = ledger.settle(at(6))
    assert by_key(decided) == found
    ambiguous = [d.candidates for d in decided if d.join_type is JoinType.AMBIGUOUS]
    assert ambiguous == [("(none)", "exp")] * len(ambiguous)


def test_uses_missing_joins_beyond_a_vanished_invite_still_wait_for_them() -> None:
    # "a" went up by one with no join event for it: the deleted invite does not explain that
    ledger = Ledger(limited(0, vanity=10, a=(0, 0), big=(1, 10)), margin=timedelta(seconds=1))
    ledger.add_join("m1", at(0.5))
    ledger.observe(limited(1, vanity=11, a=(1, 0)))
    assert ledger.settle(at(2.2)) == []
    assert ledger.decides_at == at(1) + ledger.patience


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
