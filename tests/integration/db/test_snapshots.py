"""The stored attribution baseline, on each database: what a restart resumes from."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from invite_tracker.db.session import Database
from invite_tracker.domain.evidence import InviteCount, Snapshot

GUILD = 2**63 + 9
T0 = datetime(2026, 11, 30, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("counted", "in_order"),
    [
        ((T0 + 37 * MS, T0 + 57 * MS), True),  # Discord said when it counted the read
        ((T0 + 37 * MS, T0 + 437 * MS), False),  # its two requests, counted apart
        (None, True),  # it did not: the whole flight
    ],
)
async def test_a_baseline_round_trips_with_when_discord_counted_it(
    database: Database, counted: tuple[datetime, datetime] | None, in_order: bool
) -> None:
    expires = T0 + timedelta(hours=1)
    baseline = Snapshot(
        T0,
        T0 + 80 * MS,
        {"a": InviteCount("a", 3, max_uses=5, expires_at=expires, inviter_id=2**63 + 1)},
        vanity_uses=4,
        counted=counted,
        vanity_code="husqy",
        in_order=in_order,
    )
    async with database.unit_of_work() as uow:
        await uow.snapshots.save(GUILD, Snapshot(T0 - timedelta(seconds=1), T0))
        await uow.snapshots.save(GUILD, baseline)  # replaces the first
        await uow.commit()
    async with database.reading() as uow:
        loaded = await uow.snapshots.load(GUILD)
        sent = await uow.snapshots.sent_at(GUILD)
        never = await uow.snapshots.sent_at(GUILD + 1)
    assert loaded == baseline
    assert (sent, never) == (T0, None)  # which baseline is stored, without its invites
    assert loaded.counted_after == (counted[0] if counted else T0)


async def test_a_privacy_request_erases_the_member_from_the_baseline_only(
    database: Database,
) -> None:
    member, other = 2**63 + 1, 2**63 + 2
    baseline = Snapshot(
        T0,
        T0 + 80 * MS,
        {
            "a": InviteCount("a", 3, inviter_id=member),
            "b": InviteCount("b", 1, max_uses=1, inviter_id=other),
            "c": InviteCount("c", 0, inviter_id=member),
        },
        vanity_uses=4,
        counted=(T0 + 37 * MS, T0 + 57 * MS),
        vanity_code="husqy",
    )
    async with database.unit_of_work() as uow:
        await uow.snapshots.save(GUILD, baseline)
        await uow.snapshots.save(GUILD + 1, replace(baseline, vanity_code=None))
        erased = await uow.snapshots.forget_inviter(GUILD, member)
        again = await uow.snapshots.forget_inviter(GUILD, member)
        nothing = await uow.snapshots.forget_inviter(GUILD + 2, member)  # no baseline yet
        await uow.commit()
    async with database.reading() as uow:
        loaded = await uow.snapshots.load(GUILD)
        elsewhere = await uow.snapshots.load(GUILD + 1)
    assert (erased, again, nothing) == (2, 0, 0)
    # Only the member's name goes: the counts, the read's times and the vanity are kept.
    erased_invites = {
        code: replace(item, inviter_id=None) if item.inviter_id == member else item
        for code, item in baseline.invites.items()
    }
    assert erased_invites["b"].inviter_id == other
    assert loaded == replace(baseline, invites=erased_invites)
    assert elsewhere == replace(baseline, vanity_code=None)  # another guild's is untouched
