"""Known invites: live ones and tombstones."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from invite_tracker.db.models import InviteRow
from invite_tracker.db.repositories._dialect import affected, count_where, insert_for
from invite_tracker.domain.invites import InviteEnd, InviteReport, KnownInvite


class InviteRepository:
    """Reads and writes `invites`. Gone invites are tombstoned, so their history survives."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, guild_id: int, report: InviteReport, *, now: datetime) -> None:
        """Insert an invite or merge a report into the one we know (atomic upsert).

        Fields the report leaves out keep what we knew; `uses` never goes down, since Discord's
        counter only grows and events may arrive out of order. A tombstone stays: Discord does
        not reuse codes, so a create reported after a delete is a late event.
        """
        table = InviteRow.__table__
        statement = insert_for(self._session, InviteRow).values(
            guild_id=guild_id,
            code=report.code,
            channel_id=report.channel_id,
            inviter_id=report.inviter_id,
            uses=report.uses,
            max_uses=report.max_uses,
            max_age=report.max_age,
            temporary=report.temporary,
            created_at=report.created_at,
            expires_at=report.expires_at,
            first_seen_at=now,
            updated_at=now,
        )
        new = statement.excluded
        merged: dict[str, Any] = {
            name: func.coalesce(getattr(new, name), table.c[name])
            for name in (
                "channel_id",
                "inviter_id",
                "max_uses",
                "max_age",
                "temporary",
                "created_at",
                "expires_at",
            )
        }
        merged["uses"] = case((new.uses > table.c.uses, new.uses), else_=table.c.uses)
        merged["updated_at"] = new.updated_at
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=["guild_id", "code"], set_=merged)
        )

    async def tombstone(
        self, guild_id: int, code: str, reason: InviteEnd, *, now: datetime
    ) -> bool:
        """Mark a live invite gone; False when it is unknown or already gone."""
        return await self._set_end(guild_id, code, reason, live=True, now=now)

    async def retell_end(
        self, guild_id: int, code: str, reason: InviteEnd, *, now: datetime
    ) -> bool:
        """Say anew why a gone invite went; False when it is unknown or still live."""
        return await self._set_end(guild_id, code, reason, live=False, now=now)

    async def _set_end(
        self, guild_id: int, code: str, reason: InviteEnd, *, live: bool, now: datetime
    ) -> bool:
        """Set why the invite ended: a live one is tombstoned now, a gone one keeps its time."""
        values: dict[str, Any] = {"deleted_reason": reason.value, "updated_at": now}
        if live:
            values["deleted_at"] = now
        gone = InviteRow.deleted_at.is_not(None)
        result = await self._session.execute(
            update(InviteRow)
            .where(InviteRow.guild_id == guild_id, InviteRow.code == code, ~gone if live else gone)
            .values(**values)
        )
        return bool(affected(result))

    async def record_unknown_gone(
        self, guild_id: int, code: str, reason: InviteEnd, *, now: datetime
    ) -> None:
        """Remember a code we never saw alive, already gone (kept as evidence for attribution)."""
        await self._session.execute(
            insert_for(self._session, InviteRow)
            .values(
                guild_id=guild_id,
                code=code,
                uses=0,
                first_seen_at=now,
                updated_at=now,
                deleted_at=now,
                deleted_reason=reason.value,
            )
            .on_conflict_do_nothing(index_elements=["guild_id", "code"])
        )

    async def get(self, guild_id: int, code: str) -> KnownInvite | None:
        """One invite of the guild, live or gone."""
        row = await self._session.scalar(
            select(InviteRow)
            .where(InviteRow.guild_id == guild_id, InviteRow.code == code)
            .execution_options(populate_existing=True)
        )
        return None if row is None else _to_domain(row)

    async def list_for_guild(
        self, guild_id: int, *, include_gone: bool = False
    ) -> list[KnownInvite]:
        """The guild's invites, newest first; tombstones only when asked for."""
        statement = select(InviteRow).where(InviteRow.guild_id == guild_id)
        if not include_gone:
            statement = statement.where(InviteRow.deleted_at.is_(None))
        statement = statement.order_by(InviteRow.first_seen_at.desc(), InviteRow.code)
        return _all(await self._session.scalars(statement))

    async def changed_since(self, guild_id: int, since: datetime) -> list[KnownInvite]:
        """Invites first seen, or gone, at or after `since` (news for the attribution ledger)."""
        statement = select(InviteRow).where(
            InviteRow.guild_id == guild_id,
            (InviteRow.first_seen_at >= since) | (InviteRow.deleted_at >= since),
        )
        return _all(await self._session.scalars(statement))

    async def credit(self, guild_id: int, code: str, member_id: int) -> None:
        """The bot made this invite for the member: joins through it credit them."""
        await self._session.execute(
            update(InviteRow)
            .where(InviteRow.guild_id == guild_id, InviteRow.code == code)
            .values(credited_to=member_id)
        )

    async def made_for(self, guild_id: int, codes: Collection[str]) -> dict[str, int]:
        """Of these codes, those the bot made for a member: {code: member}."""
        if not codes:
            return {}
        rows = await self._session.execute(
            select(InviteRow.code, InviteRow.credited_to).where(
                InviteRow.guild_id == guild_id,
                InviteRow.code.in_(sorted(codes)),
                InviteRow.credited_to.is_not(None),
            )
        )
        return {code: member for code, member in rows if member is not None}

    async def list_for_inviter(self, guild_id: int, inviter_id: int) -> list[KnownInvite]:
        """Every invite of the guild that credits the member, live or gone."""
        credits = case(
            (InviteRow.credited_to.is_(None), InviteRow.inviter_id), else_=InviteRow.credited_to
        )
        statement = select(InviteRow).where(InviteRow.guild_id == guild_id, credits == inviter_id)
        return _all(await self._session.scalars(statement))

    async def count_created_by(self, guild_id: int, member_id: int) -> int:
        """How many invites of the guild name the member as their creator, or were made for
        them."""
        return await count_where(
            self._session,
            InviteRow,
            InviteRow.guild_id == guild_id,
            (InviteRow.inviter_id == member_id) | (InviteRow.credited_to == member_id),
        )

    async def forget_creator(self, guild_id: int, member_id: int) -> int:
        """Erase the member as creator of the guild's invites, and as the member invites were
        made for; how many invites changed."""
        inviter, credited = InviteRow.inviter_id, InviteRow.credited_to
        result = await self._session.execute(
            update(InviteRow)
            .where(InviteRow.guild_id == guild_id, (inviter == member_id) | (credited == member_id))
            .values(
                inviter_id=case((inviter == member_id, None), else_=inviter),
                credited_to=case((credited == member_id, None), else_=credited),
            )
        )
        return affected(result)

    async def delete_guild(self, guild_id: int) -> int:
        """Remove every invite of the guild (offboarding)."""
        result = await self._session.execute(
            delete(InviteRow).where(InviteRow.guild_id == guild_id)
        )
        return affected(result)


def _all(rows: Iterable[InviteRow]) -> list[KnownInvite]:
    return [_to_domain(row) for row in rows]


def _to_domain(row: InviteRow) -> KnownInvite:
    return KnownInvite(
        guild_id=row.guild_id,
        code=row.code,
        channel_id=row.channel_id,
        inviter_id=row.inviter_id,
        uses=row.uses,
        max_uses=row.max_uses,
        max_age=row.max_age,
        temporary=row.temporary,
        created_at=row.created_at,
        expires_at=row.expires_at,
        first_seen_at=row.first_seen_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
        deleted_reason=None if row.deleted_reason is None else InviteEnd(row.deleted_reason),
        credited_to=row.credited_to,
    )
