"""Response data, as the API shows it: ids as decimal strings, times in ISO 8601 with offset."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, PlainSerializer

from invite_tracker.domain.api_keys import StoredApiKey
from invite_tracker.domain.counting import (
    GuildSummary,
    InviteFigures,
    InviterStats,
    LeaderboardPage,
    Ranked,
    UseCounts,
)
from invite_tracker.domain.ids import invite_url
from invite_tracker.domain.invites import KnownInvite
from invite_tracker.domain.joins import JoinRecord, MemberReferences
from invite_tracker.domain.settings import GuildSettings

Timestamp = Annotated[
    datetime, PlainSerializer(lambda value: value.isoformat(), return_type=str, when_used="json")
]
"""ISO 8601 with an explicit UTC offset (`+00:00`)."""


def _id(value: int | None) -> str | None:
    return None if value is None else str(value)


class HomeRead(BaseModel):
    message: str
    version: str


class StatusRead(BaseModel):
    guild_id: str
    enabled: bool


class SettingsRead(BaseModel):
    guild_id: str
    enabled: bool
    join_messages_enabled: bool
    join_messages_channel: str | None
    join_message_content: str | None
    join_message_is_embed: bool
    leave_messages_enabled: bool
    leave_messages_channel: str | None
    leave_message_content: str | None
    leave_message_is_embed: bool
    prevent_own_invite_code: bool
    server_shared_invite_link: str | None = Field(
        description="The shared invite as a full link (stored as its code), or null."
    )

    @classmethod
    def of(cls, settings: GuildSettings) -> SettingsRead:
        values = settings.values
        link = values.server_shared_invite_link
        return cls(
            guild_id=str(settings.guild_id),
            enabled=settings.enabled,
            join_messages_enabled=values.join_messages_enabled,
            join_messages_channel=_id(values.join_messages_channel),
            join_message_content=values.join_message_content,
            join_message_is_embed=values.join_message_is_embed,
            leave_messages_enabled=values.leave_messages_enabled,
            leave_messages_channel=_id(values.leave_messages_channel),
            leave_message_content=values.leave_message_content,
            leave_message_is_embed=values.leave_message_is_embed,
            prevent_own_invite_code=values.prevent_own_invite_code,
            server_shared_invite_link=None if link is None else invite_url(link),
        )


class OffboardRead(BaseModel):
    guild_id: str
    deleted: dict[str, int] = Field(description="How many rows of each kind were removed.")


class InviteRead(BaseModel):
    code: str
    url: str
    channel_id: str | None
    inviter_id: str | None
    credited_to: str | None = Field(
        description="The member the bot made the invite for (POST /invite's `inviter_id`, or "
        "whoever ran the slash command), credited for its joins instead of `inviter_id` (the "
        "bot, as Discord names it)."
    )
    uses: int
    max_uses: int | None
    max_age: int | None
    temporary: bool | None
    created_at: Timestamp | None
    expires_at: Timestamp | None
    first_seen_at: Timestamp
    active: bool
    deleted_at: Timestamp | None
    deleted_reason: str | None

    @classmethod
    def of(cls, invite: KnownInvite) -> InviteRead:
        return cls(
            code=invite.code,
            url=invite_url(invite.code),
            channel_id=_id(invite.channel_id),
            inviter_id=_id(invite.inviter_id),
            credited_to=_id(invite.credited_to),
            uses=invite.uses,
            max_uses=invite.max_uses,
            max_age=invite.max_age,
            temporary=invite.temporary,
            created_at=invite.created_at,
            expires_at=invite.expires_at,
            first_seen_at=invite.first_seen_at,
            active=invite.active,
            deleted_at=invite.deleted_at,
            deleted_reason=None if invite.deleted_reason is None else invite.deleted_reason.value,
        )


class InviteLinksRead(BaseModel):
    guild_id: str
    source: str = Field(
        description="`stored`: what the tracker knows (Discord was not asked); "
        "`discord`: reconciled with Discord just now."
    )
    note: str | None = Field(None, description="Why Discord was not asked, when it was not.")
    invites: list[InviteRead]


class CountsRead(BaseModel):
    total: int = Field(description="regular - leaves - fakes")
    regular: int
    leaves: int
    fakes: int

    @classmethod
    def of(cls, counts: UseCounts) -> CountsRead:
        return cls(
            total=counts.total, regular=counts.regular, leaves=counts.leaves, fakes=counts.fakes
        )


class InviteStatsRead(CountsRead):
    code: str
    uses: int | None = Field(description="Discord's own use counter when the invite is known.")
    deleted: bool

    @classmethod
    def of_invite(cls, figures: InviteFigures) -> InviteStatsRead:
        counts = CountsRead.of(figures.counts)
        return cls(
            code=figures.code, uses=figures.uses, deleted=figures.deleted, **counts.model_dump()
        )


class StatsRead(CountsRead):
    guild_id: str
    inviter_id: str
    retention_days: int = Field(description="Only joins and leaves this recent count; 0 = all.")
    invites: list[InviteStatsRead]

    @classmethod
    def of_stats(cls, guild_id: int, stats: InviterStats, retention_days: int) -> StatsRead:
        return cls(
            guild_id=str(guild_id),
            inviter_id=str(stats.inviter_id),
            retention_days=retention_days,
            invites=[InviteStatsRead.of_invite(item) for item in stats.invites],
            **CountsRead.of(stats.counts).model_dump(),
        )


class RankedRead(CountsRead):
    rank: int = Field(description="1 for the highest total; equal totals share a rank.")
    inviter_id: str

    @classmethod
    def of_ranked(cls, ranked: Ranked) -> RankedRead:
        return cls(
            rank=ranked.rank,
            inviter_id=str(ranked.inviter_id),
            **CountsRead.of(ranked.counts).model_dump(),
        )


class LeaderboardRead(BaseModel):
    guild_id: str
    retention_days: int = Field(description="Only joins and leaves this recent count; 0 = all.")
    inviters: int = Field(description="How many inviters are ranked, on every page.")
    entries: list[RankedRead]
    next_offset: int | None = Field(description="The `offset` of the next page; null at the end.")
    inviter: RankedRead | None = Field(
        None,
        description="With `inviter_id`: that inviter's entry, wherever it is ranked; null when "
        "they have no credited join or counted leave in the retention period.",
    )

    @classmethod
    def of_page(cls, guild_id: int, page: LeaderboardPage, retention_days: int) -> LeaderboardRead:
        return cls(
            guild_id=str(guild_id),
            retention_days=retention_days,
            inviters=page.inviters,
            entries=[RankedRead.of_ranked(item) for item in page.entries],
            next_offset=page.next_offset,
            inviter=None if page.inviter is None else RankedRead.of_ranked(page.inviter),
        )


class SummaryRead(BaseModel):
    guild_id: str
    retention_days: int = Field(description="Only joins and leaves this recent count; 0 = all.")
    joins: int
    by_type: dict[str, int] = Field(
        description="Joins by how the evidence settled them: invite, vanity, unknown (no "
        "invite the counts could see), ambiguous (could not tell which), bot, pending."
    )
    credited: int = Field(description="Joins credited to an inviter (regular).")
    fakes: int = Field(description="Credited joins that are fake (rejoins, own invites).")
    leaves: int
    counted_leaves: int = Field(description="Leaves that count against an inviter.")

    @classmethod
    def of_summary(cls, guild_id: int, summary: GuildSummary, retention_days: int) -> SummaryRead:
        return cls(
            guild_id=str(guild_id),
            retention_days=retention_days,
            joins=summary.joins,
            by_type={kind.value: count for kind, count in summary.by_type.items()},
            credited=summary.credited,
            fakes=summary.fakes,
            leaves=summary.leaves,
            counted_leaves=summary.counted_leaves,
        )


class ReferencesRead(BaseModel):
    joins_as_member: int
    leaves_as_member: int
    joins_as_inviter: int
    leaves_as_inviter: int
    invites_created: int
    total: int

    @classmethod
    def of(cls, refs: MemberReferences) -> ReferencesRead:
        return cls(
            joins_as_member=refs.joins_as_member,
            leaves_as_member=refs.leaves_as_member,
            joins_as_inviter=refs.joins_as_inviter,
            leaves_as_inviter=refs.leaves_as_inviter,
            invites_created=refs.invites_created,
            total=refs.total,
        )


class PrivacyRead(BaseModel):
    guild_id: str
    privacy_member_id: str
    entries: ReferencesRead = Field(description="References held (get) or removed (delete).")


class ApiKeyRead(BaseModel):
    key_id: str
    guild_id: str
    label: str | None
    created_at: Timestamp
    revoked_at: Timestamp | None
    active: bool

    @classmethod
    def of(cls, key: StoredApiKey) -> ApiKeyRead:
        return cls(
            key_id=key.key_id,
            guild_id=str(key.guild_id),
            label=key.label,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            active=key.revoked_at is None,
        )


class CreatedApiKeyRead(ApiKeyRead):
    api_key: str = Field(description="The key itself. Shown this once; only its hash is kept.")


class ApiKeysRead(BaseModel):
    keys: list[ApiKeyRead]


class PreviewRead(BaseModel):
    kind: str
    content: str | None
    embeds: list[dict[str, Any]]
    allowed_mentions: dict[str, Any] = Field(description="Pings go to the member and inviter only.")
    discord_data: bool = Field(description="Whether Discord was asked for names, roles, etc.")


class JoinRead(BaseModel):
    join_id: int
    member_id: str | None
    join_type: str = Field(description="invite, vanity, unknown, ambiguous, bot or pending")
    invite_code: str | None
    inviter_id: str | None
    candidates: list[str] = Field(
        description="What could explain an ambiguous join: invite codes, `(vanity)` for the "
        "vanity URL, and `(none)` for no invite at all (a discovery join, an OAuth2 add)."
    )
    counted: bool = Field(description="Credited to the inviter.")
    fake: bool
    reason: str | None
    joined_at: Timestamp
    attributed_at: Timestamp | None
    left_at: Timestamp | None
    repeated: bool = Field(False, description="This event repeated a join already stored.")

    @classmethod
    def of(cls, join: JoinRecord, *, repeated: bool = False) -> JoinRead:
        return cls(
            join_id=join.id,
            member_id=_id(join.member_id),
            join_type=join.join_type.value,
            invite_code=join.invite_code,
            inviter_id=_id(join.inviter_id),
            candidates=list(join.candidates),
            counted=join.counted,
            fake=join.fake,
            reason=join.reason,
            joined_at=join.joined_at,
            attributed_at=join.attributed_at,
            left_at=join.left_at,
            repeated=repeated,
        )


class LeaveRead(BaseModel):
    member_id: str | None
    join_id: int | None
    inviter_id: str | None
    invite_code: str | None
    counted: bool = Field(description="Counts against the inviter as a leave.")
    repeated: bool
    reason: str


class JoinLogRead(BaseModel):
    guild_id: str
    joins: list[JoinRead]
    next_before: int | None = Field(description="Pass as `before` for the next page.")
