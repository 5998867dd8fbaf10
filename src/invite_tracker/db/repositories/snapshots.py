"""The attribution baseline of each guild."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from invite_tracker.db.models import GuildSnapshotRow
from invite_tracker.db.repositories._dialect import affected, insert_for
from invite_tracker.domain.evidence import InviteCount, Snapshot


class SnapshotRepository:
    """Reads and writes `guild_snapshots` (one row per guild, replaced as the baseline moves)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def load(self, guild_id: int) -> Snapshot | None:
        """The guild's baseline, or None before the first snapshot."""
        row = await self._session.get(GuildSnapshotRow, guild_id, populate_existing=True)
        if row is None:
            return None
        invites = {
            code: InviteCount(
                code=code,
                uses=item["uses"],
                max_uses=item["max_uses"],
                expires_at=None
                if item["expires_at"] is None
                else datetime.fromisoformat(item["expires_at"]),
                inviter_id=item["inviter_id"],
            )
            for code, item in json.loads(row.invites).items()
        }
        counted = (
            (row.counted_after, row.counted_before)
            if row.counted_after is not None and row.counted_before is not None
            else None
        )
        return Snapshot(
            row.sent_at,
            row.received_at,
            invites,
            row.vanity_uses,
            counted,
            row.vanity_code,
            in_order=row.counted_in_order is not False,
        )

    async def sent_at(self, guild_id: int) -> datetime | None:
        """When the guild's baseline read was sent (None before the first snapshot): which
        baseline is stored, without reading its invites."""
        result = await self._session.execute(
            select(GuildSnapshotRow.sent_at).where(GuildSnapshotRow.guild_id == guild_id)
        )
        return result.scalar_one_or_none()

    async def save(self, guild_id: int, snapshot: Snapshot) -> None:
        """Replace the guild's baseline."""
        invites = json.dumps(
            {
                code: {
                    "uses": item.uses,
                    "max_uses": item.max_uses,
                    "expires_at": None if item.expires_at is None else item.expires_at.isoformat(),
                    "inviter_id": item.inviter_id,
                }
                for code, item in snapshot.invites.items()
            },
            separators=(",", ":"),
        )
        values = {
            "sent_at": snapshot.sent_at,
            "received_at": snapshot.received_at,
            "counted_after": snapshot.counted[0] if snapshot.counted else None,
            "counted_before": snapshot.counted[1] if snapshot.counted else None,
            "counted_in_order": snapshot.in_order,
            "vanity_code": snapshot.vanity_code,
            "vanity_uses": snapshot.vanity_uses,
            "invites": invites,
        }
        statement = insert_for(self._session, GuildSnapshotRow).values(guild_id=guild_id, **values)
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=["guild_id"], set_=values)
        )

    async def forget_inviter(self, guild_id: int, member_id: int) -> int:
        """Erase the member as creator of the invites in the guild's baseline (a privacy
        request); how many invites changed."""
        baseline = await self.load(guild_id)
        if baseline is None:
            return 0
        invites = {
            code: replace(item, inviter_id=None) if item.inviter_id == member_id else item
            for code, item in baseline.invites.items()
        }
        erased = sum(item.inviter_id == member_id for item in baseline.invites.values())
        if erased:
            await self.save(guild_id, replace(baseline, invites=invites))
        return erased

    async def delete_guild(self, guild_id: int) -> int:
        """Forget the guild's baseline (offboarding)."""
        result = await self._session.execute(
            delete(GuildSnapshotRow).where(GuildSnapshotRow.guild_id == guild_id)
        )
        return affected(result)
