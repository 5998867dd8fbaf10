"""Known invites on each database: a gone invite's reason told anew."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from invite_tracker.db.session import Database
from invite_tracker.domain.invites import InviteEnd, InviteReport

GUILD = 2**63 + 11
T0 = datetime(2026, 11, 30, 1, tzinfo=UTC)


async def test_only_a_gone_invite_has_its_reason_told_anew(database: Database) -> None:
    later = T0 + timedelta(seconds=5)
    async with database.unit_of_work() as uow:
        await uow.invites.record(GUILD, InviteReport(code="live", max_uses=1), now=T0)
        await uow.invites.record(GUILD, InviteReport(code="gone", max_uses=1), now=T0)
        await uow.invites.tombstone(GUILD, "gone", InviteEnd.DELETED, now=T0)
        told = [
            await uow.invites.retell_end(GUILD, code, InviteEnd.USED_UP, now=later)
            for code in ("live", "gone", "unknown")
        ]
        await uow.commit()
    async with database.reading() as uow:
        live = await uow.invites.get(GUILD, "live")
        gone = await uow.invites.get(GUILD, "gone")
    assert told == [False, True, False]
    assert live is not None
    assert (live.active, live.deleted_reason) == (True, None)
    assert gone is not None
    assert (gone.deleted_reason, gone.deleted_at, gone.updated_at) == (InviteEnd.USED_UP, T0, later)
