"""The ledger on random timelines: whatever the joins, reads and event delays, no member is
credited with an invite (or the vanity URL) they did not use, as long as every join event
arrives within the margin, with or without the invite-delete events of the limited invites
(stored within the margin too). Seeded, so a failure names a timeline that can be replayed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from invite_tracker.domain.decisions import Decision
from invite_tracker.domain.evidence import InviteCount, Snapshot
from invite_tracker.domain.invites import InviteEnd, JoinType, KnownInvite
from invite_tracker.domain.ledger import Ledger

T0 = datetime(2026, 11, 29, tzinfo=UTC)
CODES = ("a", "b", "c")
MARGIN = 0.75


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@dataclass(frozen=True)
class Read:
    sent: float
    answered: float  # when Discord counted, somewhere in the flight
    received: float


@dataclass(frozen=True)
class Limited:
    """Invites with a use limit: "ten" (10 uses, 1 used before the start) is deleted by staff
    through Discord at `deleted`; each single-use code vanishes when it is used."""

    deleted: float
    single_use: tuple[str, ...] = ("once1", "once2", "once3")


def timeline(
    seed: int, rate: float, limited: Limited | None = None
) -> tuple[list[tuple[float, str]], list[Read]]:
    """Joins (time, source: a code, "vanity" or "none") and reads over 15 s."""
    rng = random.Random(seed)
    joins, now = [], 0.3
    while now < 15:
        now += rng.expovariate(rate)
        roll = rng.random()
        source = "none" if roll < 0.2 else "vanity" if roll < 0.35 else rng.choice(CODES)
        if limited is not None and roll > 0.9 and now < limited.deleted:
            source = "ten"
        joins.append((now, source))
    if limited is not None:
        joins.extend((rng.uniform(0.5, 14.5), code) for code in limited.single_use)
        joins.sort()
    reads, sent = [], 0.0
    while sent < 18:
        flight = rng.uniform(0.05, 0.12)
        reads.append(Read(sent, sent + rng.uniform(0, flight), sent + flight))
        sent += flight + rng.choice((0.02, 0.1, 0.2, 0.5, 1.0))
    return joins, reads


def snapshot(joins: list[tuple[float, str]], read: Read, limited: Limited | None) -> Snapshot:
    counted = [source for when, source in joins if when < read.answered]
    invites = {code: InviteCount(code, counted.count(code)) for code in CODES}
    if limited is not None:
        if read.answered < limited.deleted:
            invites["ten"] = InviteCount("ten", 1 + counted.count("ten"), max_uses=10)
        for code in limited.single_use:
            if code not in counted:  # Discord deletes it on its only use
                invites[code] = InviteCount(code, 0, max_uses=1)
    vanity = counted.count("vanity")
    instant = (at(read.answered), at(read.answered))  # Discord says when it counted
    return Snapshot(at(read.sent), at(read.received), invites, vanity, instant, "husqy")


def deletions(
    joins: list[tuple[float, str]], limited: Limited, rng: random.Random
) -> list[tuple[float, KnownInvite]]:
    """When each limited invite's delete event is stored, and the invite as stored then: the
    single-use ones at their use, "ten" when staff delete it; each within the margin."""
    gone = [(when, code) for when, code in joins if code in limited.single_use]
    gone.append((limited.deleted, "ten"))
    stored = []
    for when, code in gone:
        at_ = at(when + rng.uniform(0.02, MARGIN - 0.05))
        invite = KnownInvite(
            guild_id=1,
            code=code,
            channel_id=2,
            inviter_id=None,
            uses=0,
            max_uses=10 if code == "ten" else 1,
            max_age=0,
            temporary=False,
            created_at=T0,
            expires_at=None,
            first_seen_at=T0,
            updated_at=at_,
            deleted_at=at_,
            deleted_reason=InviteEnd.DELETED,
        )
        stored.append((when, invite))
    return stored


def play(
    seed: int, rate: float, limited: Limited | None = None, *, events: bool = False
) -> tuple[list[tuple[float, str]], dict[int, Decision]]:
    joins, reads = timeline(seed, rate, limited)
    rng = random.Random(-seed)
    told = deletions(joins, limited, random.Random(seed)) if limited and events else []
    happenings: list[tuple[float, int, int]] = []  # (when, kind, index): 0 join, 1 read, 2 look
    for index, (when, _) in enumerate(joins):
        happenings.append((when + rng.uniform(0.02, MARGIN - 0.05), 0, index))
    happenings.extend((read.received, 1, index) for index, read in enumerate(reads) if index)
    happenings.extend((tick * 0.05, 2, 0) for tick in range(440))
    ledger = Ledger(snapshot(joins, reads[0], limited), margin=timedelta(seconds=MARGIN))
    decided: dict[int, Decision] = {}
    for when, kind, index in sorted(happenings):
        if kind == 0:
            ledger.add_join(index, at(joins[index][0]))
        elif kind == 1:
            sent = at(reads[index].sent)
            # the events stored by the time the read was sent, looked up while it flies
            news = [invite for _, invite in told if invite.updated_at <= sent]
            ledger.invite_news(news, until=sent)
            ledger.observe(snapshot(joins, reads[index], limited))
        decided.update((int(str(d.key)), d) for d in ledger.settle(at(when)))
    return joins, decided


@pytest.mark.parametrize(
    ("limited", "events"),
    [
        (None, False),
        (Limited(deleted=4.0), False),
        (Limited(deleted=11.0), False),
        (Limited(deleted=4.0), True),
        (Limited(deleted=11.0), True),
    ],
)
@pytest.mark.parametrize("rate", [1.0, 3.0, 6.0])
@pytest.mark.parametrize("seed", range(8))
def test_no_one_is_credited_wrongly(
    seed: int, rate: float, limited: Limited | None, events: bool
) -> None:
    joins, decided = play(seed, rate, limited, events=events)
    assert len(decided) == len(joins)  # every join is decided in the end
    for index, (_, source) in enumerate(joins):
        decision = decided[index]
        if decision.join_type is JoinType.INVITE:
            assert decision.code == source, (index, decision)
        elif decision.join_type is JoinType.VANITY:
            assert source == "vanity", (index, decision)
    # and the evidence is used: a fair share of the joins is credited
    credited = sum(d.join_type in (JoinType.INVITE, JoinType.VANITY) for d in decided.values())
    assert credited > 0
