"""The ledger and invites that vanish: used up, expired, or revoked by staff, told apart by
their limits, their expiry and the time of their invite-delete events."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from invite_tracker.domain.evidence import InviteCount, Snapshot
from invite_tracker.domain.invites import InviteEnd, JoinType, KnownInvite
from invite_tracker.domain.ledger import Ledger
from tests.unit.domain.test_ledger import FLIGHT, VANITY_CODE, at, by_key, ended, known


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
