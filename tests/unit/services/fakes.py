"""In-memory stores and a fake Discord port, for service tests without I/O."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime
from typing import Any

from invite_tracker.discord.port import InteractionTarget, InviteList, InviteOptions, VanityUrl
from invite_tracker.domain.api_keys import StoredApiKey
from invite_tracker.domain.cross_check import MemberSource
from invite_tracker.domain.discord_objects import ChannelInfo, GuildInfo, MemberInfo, UserInfo
from invite_tracker.domain.errors import DiscordUnavailable, SearchNotReady, Unprocessable
from invite_tracker.domain.invites import InviteEnd, InviteReport, KnownInvite, credited_inviter
from invite_tracker.domain.messages import OutgoingMessage
from invite_tracker.domain.settings import GuildSettings, SettingsValues


class MemorySettings:
    def __init__(self) -> None:
        self.rows: dict[int, GuildSettings] = {}

    async def get(
        self, guild_id: int, *, shared_lock: bool = False, against_changes: bool = False
    ) -> GuildSettings | None:
        return self.rows.get(guild_id)

    async def exists(self, guild_id: int) -> bool:
        return guild_id in self.rows

    async def create_if_absent(
        self, guild_id: int, values: SettingsValues, *, enabled: bool, now: datetime
    ) -> bool:
        if guild_id in self.rows:
            return False
        self.rows[guild_id] = GuildSettings(guild_id, enabled, values)
        return True

    async def switch_enabled(self, guild_id: int, *, enabled: bool, now: datetime) -> bool:
        row = self.rows.get(guild_id)
        if row is None or row.enabled is enabled:
            return False
        self.rows[guild_id] = dataclasses.replace(row, enabled=enabled)
        return True

    async def replace_values_if_enabled(
        self, guild_id: int, values: SettingsValues, *, now: datetime
    ) -> bool:
        row = self.rows.get(guild_id)
        if row is None or not row.enabled:
            return False
        self.rows[guild_id] = dataclasses.replace(row, values=values)
        return True

    async def delete(self, guild_id: int) -> bool:
        return self.rows.pop(guild_id, None) is not None


class MemoryInvites:
    def __init__(self) -> None:
        self.rows: dict[tuple[int, str], KnownInvite] = {}

    async def record(self, guild_id: int, report: InviteReport, *, now: datetime) -> None:
        old = self.rows.get((guild_id, report.code))
        fields = {f.name: getattr(report, f.name) for f in dataclasses.fields(report)}
        if old is not None:
            fields = {k: (v if v is not None else getattr(old, k)) for k, v in fields.items()}
            fields["uses"] = max(old.uses, report.uses)
        self.rows[(guild_id, report.code)] = KnownInvite(
            guild_id=guild_id,
            first_seen_at=old.first_seen_at if old else now,
            updated_at=now,
            deleted_at=old.deleted_at if old else None,
            deleted_reason=old.deleted_reason if old else None,
            credited_to=old.credited_to if old else None,
            **fields,
        )

    async def credit(self, guild_id: int, code: str, member_id: int) -> None:
        row = self.rows.get((guild_id, code))
        if row is not None:
            self.rows[(guild_id, code)] = dataclasses.replace(row, credited_to=member_id)

    async def tombstone(
        self, guild_id: int, code: str, reason: InviteEnd, *, now: datetime
    ) -> bool:
        row = self.rows.get((guild_id, code))
        if row is None or not row.active:
            return False
        self.rows[(guild_id, code)] = dataclasses.replace(
            row, deleted_at=now, deleted_reason=reason
        )
        return True

    async def retell_end(
        self, guild_id: int, code: str, reason: InviteEnd, *, now: datetime
    ) -> bool:
        row = self.rows.get((guild_id, code))
        if row is None or row.active:
            return False
        self.rows[(guild_id, code)] = dataclasses.replace(row, deleted_reason=reason)
        return True

    async def record_unknown_gone(
        self, guild_id: int, code: str, reason: InviteEnd, *, now: datetime
    ) -> None:
        if (guild_id, code) not in self.rows:
            await self.record(guild_id, InviteReport(code=code), now=now)
            await self.tombstone(guild_id, code, reason, now=now)

    async def get(self, guild_id: int, code: str) -> KnownInvite | None:
        return self.rows.get((guild_id, code))

    async def list_for_guild(
        self, guild_id: int, *, include_gone: bool = False
    ) -> list[KnownInvite]:
        return [
            i for (g, _), i in self.rows.items() if g == guild_id and (include_gone or i.active)
        ]

    async def list_for_inviter(self, guild_id: int, inviter_id: int) -> list[KnownInvite]:
        return [
            i
            for i in await self.list_for_guild(guild_id, include_gone=True)
            if credited_inviter(i.inviter_id, i.credited_to) == inviter_id
        ]

    async def made_for(self, guild_id: int, codes: Collection[str]) -> dict[str, int]:
        return {
            code: i.credited_to
            for (g, code), i in self.rows.items()
            if g == guild_id and code in codes and i.credited_to is not None
        }

    async def changed_since(self, guild_id: int, since: datetime) -> list[KnownInvite]:
        return [
            i
            for i in await self.list_for_guild(guild_id, include_gone=True)
            if i.first_seen_at >= since or (i.deleted_at is not None and i.deleted_at >= since)
        ]

    async def count_created_by(self, guild_id: int, member_id: int) -> int:
        return len(self._naming(guild_id, member_id))

    async def forget_creator(self, guild_id: int, member_id: int) -> int:
        mine = self._naming(guild_id, member_id)
        for i in mine:
            self.rows[(guild_id, i.code)] = dataclasses.replace(
                i,
                inviter_id=None if i.inviter_id == member_id else i.inviter_id,
                credited_to=None if i.credited_to == member_id else i.credited_to,
            )
        return len(mine)

    def _naming(self, guild_id: int, member_id: int) -> list[KnownInvite]:
        return [
            i
            for (g, _), i in self.rows.items()
            if g == guild_id and member_id in (i.inviter_id, i.credited_to)
        ]

    async def delete_guild(self, guild_id: int) -> int:
        doomed = [key for key in self.rows if key[0] == guild_id]
        for key in doomed:
            del self.rows[key]
        return len(doomed)


class MemoryApiKeys:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[StoredApiKey, str]] = {}

    async def add(
        self, *, key_id: str, guild_id: int, key_hash: str, label: str | None, now: datetime
    ) -> StoredApiKey:
        key = StoredApiKey(key_id, guild_id, label, now, None)
        self.rows[key_id] = (key, key_hash)
        return key

    async def find_by_hash(self, key_hash: str) -> StoredApiKey | None:
        return next((key for key, digest in self.rows.values() if digest == key_hash), None)

    async def get(self, key_id: str) -> StoredApiKey | None:
        found = self.rows.get(key_id)
        return None if found is None else found[0]

    async def list_for_guild(self, guild_id: int | None) -> list[StoredApiKey]:
        return [key for key, _ in self.rows.values() if guild_id in (None, key.guild_id)]

    async def delete_guild(self, guild_id: int) -> int:
        doomed = [key.key_id for key, _ in self.rows.values() if key.guild_id == guild_id]
        for key_id in doomed:
            del self.rows[key_id]
        return len(doomed)

    async def revoke(self, key_id: str, *, now: datetime) -> bool:
        key, digest = self.rows[key_id]
        if key.revoked_at is not None:
            return False
        self.rows[key_id] = (dataclasses.replace(key, revoked_at=now), digest)
        return True


class MemoryStorage:
    """One in-memory unit of work, handed out for reading and for writing."""

    def __init__(self) -> None:
        self.uow = MemoryUnitOfWork()

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[MemoryUnitOfWork]:
        yield self.uow

    @contextlib.asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[MemoryUnitOfWork]:
        yield self.uow


class MemoryUnitOfWork:
    """The stores the service tests need; the others are absent and fail loudly if used."""

    def __init__(self) -> None:
        self.settings = MemorySettings()
        self.invites = MemoryInvites()
        self.api_keys = MemoryApiKeys()
        self.joins: Any = _Absent("joins")
        self.leaves: Any = _Absent("leaves")
        self.snapshots: Any = _Absent("snapshots")
        self.messages: Any = _Absent("messages")
        self.commits = 0
        self.releases = 0
        self.rollbacks = 0

    async def commit(self) -> None:
        self.commits += 1

    async def rollback(self) -> None:
        self.rollbacks += 1

    async def release(self) -> None:
        self.releases += 1


class _Absent:
    def __init__(self, name: str) -> None:
        self.name = name

    async def delete_guild(self, guild_id: int) -> int:
        return 0


class FakeDiscordPort:
    """Records calls; `fail_reply` makes the interaction reply fail like an expired token.

    Channels and invites are in guild `guild_id`, unless `elsewhere` maps them (by channel
    id or invite code) to another guild.

    The member search answers from `sources` (by member id; absent ids are not listed), or
    raises `SearchNotReady` while `search_not_ready` holds a wait."""

    def __init__(
        self,
        *,
        fail_reply: bool = False,
        fail_reads: bool = False,
        fail_send: bool = False,
        sources: Sequence[MemberSource] = (),
        search_not_ready: float | None = None,
        guild_id: int = 1,
        send_status: int = 403,
    ) -> None:
        self.send_status = send_status  # Discord's HTTP status when `fail_send`
        self.send_attempts = 0
        self.guild_id = guild_id
        self.elsewhere: dict[int | str, int] = {}
        self.fail_reply = fail_reply
        self.command_user: int | None = None  # who ran the command, as the reply's answer says
        self.fail_reads = fail_reads
        self.departed: set[int] = set()  # users who are no longer members (404 as members)
        self.fail_send = fail_send
        self.sources = {source.member_id: source for source in sources}
        self.search_not_ready = search_not_ready
        self.searches: list[tuple[int, tuple[int, ...]]] = []
        self.reads: list[tuple[str, int | str]] = []
        self.sent: list[tuple[int, OutgoingMessage]] = []
        # while set and not open, posting a message waits (Discord slow, or its rate limit)
        self.send_gate: asyncio.Event | None = None
        self.created: list[tuple[int, InviteOptions]] = []
        self.deleted: list[str] = []
        self.gone: set[str] = set()  # codes Discord no longer knows when asked to delete them
        self.replies: list[tuple[InteractionTarget, str]] = []

    async def guild_invites(self, guild_id: int, *, at_once: bool = False) -> InviteList:
        self.reads.append(("invites", guild_id))
        return InviteList((InviteReport(code="listed", uses=4),))

    async def vanity_url(self, guild_id: int, *, at_once: bool = False) -> VanityUrl:
        return VanityUrl(code=None, uses=0)

    async def create_invite(self, channel_id: int, options: InviteOptions) -> InviteReport:
        self.created.append((channel_id, options))
        return InviteReport(
            code=f"new{len(self.created)}",
            channel_id=channel_id,
            inviter_id=1,
            max_uses=options.max_uses,
            max_age=options.max_age,
            temporary=options.temporary,
        )

    async def delete_invite(self, code: str) -> None:
        if code in self.gone:  # gone by the time the delete came (or its answer was lost)
            raise Unprocessable("Discord refused: code 10006, Unknown Invite", status=404)
        self.deleted.append(code)

    async def invite_guild(self, code: str) -> int | None:
        self.reads.append(("invite", code))
        return self.elsewhere.get(code, self.guild_id)

    async def edit_original_reply(self, target: InteractionTarget, content: str) -> int | None:
        if self.fail_reply:
            raise DiscordUnavailable("Discord answered 401: Invalid Webhook Token")
        self.replies.append((target, content))
        return self.command_user

    async def guild(self, guild_id: int) -> GuildInfo:
        self.reads.append(("guild", guild_id))
        await asyncio.sleep(0)
        if self.fail_reads:
            raise DiscordUnavailable("Discord answered 503 after retries")
        return GuildInfo(id=guild_id, name="Guild")

    async def member(self, guild_id: int, user_id: int) -> MemberInfo:
        self.reads.append(("member", user_id))
        await asyncio.sleep(0)
        if self.fail_reads:
            raise DiscordUnavailable("Discord answered 503 after retries")
        if user_id in self.departed:
            raise Unprocessable("Discord refused to read the member: HTTP 404", status=404)
        return MemberInfo(user=UserInfo(id=user_id, username=f"user{user_id}"))

    async def user(self, user_id: int) -> UserInfo:
        self.reads.append(("user", user_id))
        await asyncio.sleep(0)
        if self.fail_reads:
            raise DiscordUnavailable("Discord answered 503 after retries")
        avatar = f"https://cdn.discordapp.com/embed/avatars/{user_id % 6}.png"
        return UserInfo(user_id, f"user{user_id}", global_name=f"User {user_id}", avatar_url=avatar)

    async def channel(self, channel_id: int) -> ChannelInfo:
        self.reads.append(("channel", channel_id))
        guild_id = self.elsewhere.get(channel_id, self.guild_id)
        return ChannelInfo(id=channel_id, name="welcome", type=0, guild_id=guild_id)

    async def send_message(self, channel_id: int, message: OutgoingMessage) -> None:
        self.send_attempts += 1
        if self.send_gate is not None:
            await self.send_gate.wait()
        if self.fail_send:
            raise Unprocessable(
                f"Discord refused to send the message: HTTP {self.send_status}",
                status=self.send_status,
            )
        self.sent.append((channel_id, message))

    async def member_sources(
        self, guild_id: int, member_ids: Sequence[int]
    ) -> tuple[MemberSource, ...]:
        self.searches.append((guild_id, tuple(member_ids)))
        if self.search_not_ready is not None:
            raise SearchNotReady("the guild is not indexed yet", self.search_not_ready)
        return tuple(self.sources[i] for i in dict.fromkeys(member_ids) if i in self.sources)
