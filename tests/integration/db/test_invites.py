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


async def test_an_invite_made_for_a_member_is_theirs_until_erased(database: Database) -> None:
    """`credited_to` outranks Discord's inviter (the bot) and survives Discord's reports;
    erasing a member clears them in either role, once per invite."""
    bot, member, other = 1, 2, 3
    async with database.unit_of_work() as uow:
        await uow.invites.record(GUILD, InviteReport(code="made", inviter_id=bot), now=T0)
        await uow.invites.credit(GUILD, "made", member)
        await uow.invites.record(GUILD, InviteReport(code="own", inviter_id=member), now=T0)
        await uow.invites.record(GUILD, InviteReport(code="self", inviter_id=member), now=T0)
        await uow.invites.credit(GUILD, "self", member)
        await uow.invites.record(GUILD, InviteReport(code="bots", inviter_id=bot), now=T0)
        await uow.invites.credit(GUILD, "bots", other)
        # Discord's next read names the bot again: the credit stays
        await uow.invites.record(GUILD, InviteReport(code="made", inviter_id=bot, uses=4), now=T0)
        theirs = sorted(i.code for i in await uow.invites.list_for_inviter(GUILD, member))
        bots = [i.code for i in await uow.invites.list_for_inviter(GUILD, bot)]
        made_for = await uow.invites.made_for(GUILD, {"made", "own", "self", "bots", "none"})
        counted = await uow.invites.count_created_by(GUILD, member)
        erased = await uow.invites.forget_creator(GUILD, member)
        left = await uow.invites.count_created_by(GUILD, member)
        made = await uow.invites.get(GUILD, "made")
        kept = await uow.invites.get(GUILD, "bots")
        await uow.rollback()
    assert made_for == {"made": member, "self": member, "bots": other}
    assert theirs == ["made", "own", "self"]
    assert bots == []  # every invite the bot made is credited to someone
    assert (counted, erased, left) == (3, 3, 0)
    assert made is not None
    assert (made.inviter_id, made.credited_to, made.uses) == (bot, None, 4)
    assert kept is not None
    assert kept.credited_to == other
