"""Known invites: events from the bot, and the list the dashboard reads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from http import HTTPStatus

import structlog

from invite_tracker.discord.port import DiscordPort, InteractionTarget, InviteOptions
from invite_tracker.domain.discord_objects import require_in_guild
from invite_tracker.domain.errors import (
    DiscordUnavailable,
    InteractionReplyFailed,
    InviteTrackerError,
    Unprocessable,
)
from invite_tracker.domain.evidence import Ending
from invite_tracker.domain.ids import invite_url
from invite_tracker.domain.invites import (
    InviteEnd,
    InviteReport,
    KnownInvite,
    ListedInvites,
    check_invite_options,
    end_of,
    expiry_of,
    plainly_ended,
    report_problems,
    retold_end,
    unlisted_end,
)
from invite_tracker.services.module import require_enabled
from invite_tracker.services.ports import UnitOfWorkPort

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Turn:
    """What a read of a guild's invite list outside attribution may do now: read (neither
    field set), answer a list the attributor read moments ago instead (`recent`, and `note`
    says when), or answer the stored invites (`refused`: why)."""

    refused: str | None = None
    recent: ListedInvites | None = None
    note: str | None = None


ReadTurn = Callable[[int], AbstractAsyncContextManager[Turn]]
"""Around a read of a guild's invite list: what it may do (`AttributionEngine.outside_read`)."""


async def invite_created(
    uow: UnitOfWorkPort, guild_id: int, report: InviteReport, *, now: datetime
) -> KnownInvite:
    """Store an invite reported by INVITE_CREATE (repeating the event is harmless)."""
    await require_enabled(uow, guild_id, shared_lock=True)
    problems = report_problems(report)
    if problems:
        raise Unprocessable("; ".join(problems))
    if report.expires_at is None:
        report = _with_expiry(report)
    await uow.invites.record(guild_id, report, now=now)
    return await _known(uow, guild_id, report.code)


async def invite_deleted(
    uow: UnitOfWorkPort, guild_id: int, code: str, *, now: datetime
) -> KnownInvite:
    """Tombstone an invite reported by INVITE_DELETE, telling used-up and expired apart."""
    await require_enabled(uow, guild_id, shared_lock=True)
    known = await uow.invites.get(guild_id, code)
    if known is None:
        await uow.invites.record_unknown_gone(guild_id, code, InviteEnd.DELETED, now=now)
    elif known.active:
        await uow.invites.tombstone(guild_id, code, end_of(known, now), now=now)
    return await _known(uow, guild_id, code)


async def _known(uow: UnitOfWorkPort, guild_id: int, code: str) -> KnownInvite:
    invite = await uow.invites.get(guild_id, code)
    if invite is None:  # pragma: no cover - written in this same transaction
        raise LookupError(code)
    return invite


def _with_expiry(report: InviteReport) -> InviteReport:
    return replace(report, expires_at=expiry_of(report.created_at, report.max_age))


def require_discord(discord: DiscordPort | None) -> DiscordPort:
    """The Discord port; DiscordUnavailable when the service has no bot token."""
    if discord is None:
        raise DiscordUnavailable(
            "Discord is not configured: set INVITE_TRACKER_DISCORD_TOKEN to the bot token"
        )
    return discord


async def create_invite(
    uow: UnitOfWorkPort,
    discord: DiscordPort | None,
    guild_id: int,
    channel_id: int,
    options: InviteOptions,
    *,
    interaction: InteractionTarget | None,
    clock: Callable[[], datetime],
    credit_to: int | None = None,
) -> KnownInvite:
    """Create an invite through Discord, store it, and answer the interaction with its link.

    The channel must be in the guild: the bot is in other guilds too, and a caller for one
    guild must not make invites to another. The invite is first seen once Discord has
    answered, so an invite list asked for before then, which may not list it, does not
    tombstone it (`apply_invite_list`). Discord names the bot as its inviter: the member it
    is made for is credited instead, `credit_to` when given, else the member who ran the
    slash command (Discord's answer to the reply names them)."""
    async with _failure_told(uow, discord, interaction, "create the invite"):
        await require_enabled(uow, guild_id)
        problems = check_invite_options(options.max_uses, options.max_age)
        if problems:
            raise Unprocessable("; ".join(problems))
        port = require_discord(discord)
        await uow.release()  # no lock held while Discord answers
        require_in_guild(await port.channel(channel_id), guild_id)
        report = await port.create_invite(channel_id, options)
        await uow.invites.record(guild_id, report, now=clock())
        if credit_to is not None:
            await uow.invites.credit(guild_id, report.code, credit_to)
        invite = await _known(uow, guild_id, report.code)
        await uow.release()  # stored for good: it exists on Discord, whatever the reply does
        runner = await _reply(
            port, interaction, f"Created the invite {invite_url(report.code)}", report.code
        )
        if credit_to is None and runner is not None:
            await uow.invites.credit(guild_id, report.code, runner)
            invite = replace(invite, credited_to=runner)
        return invite


async def delete_invite(
    uow: UnitOfWorkPort,
    discord: DiscordPort | None,
    guild_id: int,
    code: str,
    *,
    interaction: InteractionTarget | None,
    now: datetime,
) -> KnownInvite:
    """Delete an invite through Discord and remember it as deleted by staff. Only one of the
    guild's own invites: Discord deletes any invite by its code, whatever its guild."""
    async with _failure_told(uow, discord, interaction, "delete the invite"):
        await require_enabled(uow, guild_id)
        port = require_discord(discord)
        await uow.release()  # no lock held while Discord answers
        if await port.invite_guild(code) != guild_id:
            raise Unprocessable(f"the invite {code} is not one of this server's invites")
        end = InviteEnd.DELETED_BY_STAFF
        try:
            await port.delete_invite(code)
        except Unprocessable as exc:
            if exc.status != HTTPStatus.NOT_FOUND:
                raise
            # Discord listed it a moment ago and knows it no more: most likely this very delete
            # went through and its answer was lost (a dropped connection, retried). Either way
            # what was asked is done. Unless what is stored tells it expired or was used up
            # meanwhile, staff meant it gone: a join that spent it is then taken as ambiguous,
            # never credited wrongly.
            known = await uow.invites.get(guild_id, code)
            if known is not None and known.active and plainly_ended(known, now):
                end = end_of(known, now)
            log.info("invite_gone_before_its_delete_answered", guild_id=str(guild_id), end=end)
        if not await uow.invites.tombstone(guild_id, code, end, now=now):
            await uow.invites.record_unknown_gone(guild_id, code, end, now=now)
        invite = await _known(uow, guild_id, code)
        await uow.release()  # stored for good: it is gone from Discord, whatever the reply does
        await _reply(port, interaction, f"Deleted the invite {code}", code)
        return invite


@asynccontextmanager
async def _failure_told(
    uow: UnitOfWorkPort,
    discord: DiscordPort | None,
    interaction: InteractionTarget | None,
    what: str,
) -> AsyncIterator[None]:
    """Tell the slash command's user why the request failed (refused, Discord down, the
    module off...) by editing its reply, which would otherwise say "thinking" until its token
    runs out; then let the error go on to the caller. A reply that fails itself is logged.
    The unit of work is rolled back first: no lock is held while Discord answers."""
    try:
        yield
    except InviteTrackerError as exc:
        if discord is None or interaction is None or isinstance(exc, InteractionReplyFailed):
            raise
        await uow.rollback()
        reason = exc.reason if isinstance(exc, Unprocessable) else exc.message
        reason = reason.removeprefix(f"{what}: ")  # Discord's failures name the action
        try:
            await discord.edit_original_reply(interaction, f"Could not {what}: {reason}")
        except InviteTrackerError as failed:
            log.info("interaction_failure_reply_failed", reason=failed.message)
        raise


async def _reply(
    port: DiscordPort, interaction: InteractionTarget | None, content: str, code: str
) -> int | None:
    """Edit the interaction's reply, if there is one; who ran the command, if Discord says."""
    if interaction is None:
        return None
    try:
        return await port.edit_original_reply(interaction, content)
    except (DiscordUnavailable, Unprocessable) as exc:
        raise InteractionReplyFailed(
            f"the invite {code} was handled and stored, but the interaction reply failed: "
            f"{exc.message}"
        ) from exc


@dataclass(frozen=True, slots=True)
class InviteLinks:
    """The guild's live invites and where they come from."""

    invites: list[KnownInvite]
    source: str  # "discord" (reconciled just now) or "stored"
    note: str | None = None


async def invite_links(
    uow: UnitOfWorkPort,
    discord: DiscordPort | None,
    guild_id: int,
    *,
    now: datetime,
    turn: ReadTurn,
) -> InviteLinks:
    """The live invites, reconciled with Discord when it is configured and answers.

    New invites are added, uses brought up to date, and invites Discord no longer lists are
    tombstoned (used up, expired, or vanished). The read waits for its `turn` (the guild's
    read pacing), which may hand over a list the attributor read moments ago instead; when
    the turn is refused, or Discord fails, the stored invites are answered and the note says
    why.
    """
    await require_enabled(uow, guild_id)
    if discord is None:
        return await _stored(uow, guild_id, "Discord is not configured", now=now)
    await uow.release()  # no lock held while Discord answers
    async with turn(guild_id) as given:
        if given.refused is not None:
            return await _stored(uow, guild_id, given.refused, now=now)
        listed = given.recent
        if listed is None:
            try:
                current = (await discord.guild_invites(guild_id)).reports
            except (DiscordUnavailable, Unprocessable) as exc:
                return await _stored(uow, guild_id, exc.message, now=now)
            listed = ListedInvites(current, asked_at=now)
    await apply_invite_list(uow, guild_id, listed, now=now)
    return InviteLinks(await uow.invites.list_for_guild(guild_id), "discord", given.note)


async def _stored(uow: UnitOfWorkPort, guild_id: int, note: str, *, now: datetime) -> InviteLinks:
    """The stored live invites, without those plainly over (expired, used up) by now."""
    stored = await uow.invites.list_for_guild(guild_id)
    live = [invite for invite in stored if not plainly_ended(invite, now)]
    if len(live) < len(stored):
        note = f"{note}; {len(stored) - len(live)} stored invite(s) left out, expired or used up"
    return InviteLinks(live, "stored", note)


async def apply_invite_list(
    uow: UnitOfWorkPort, guild_id: int, listed: ListedInvites, *, now: datetime
) -> None:
    """Bring the known invites in line with Discord's full list: add and update what it
    lists, tombstone what it tells is gone (`unlisted_end`)."""
    known_live = {invite.code: invite for invite in await uow.invites.list_for_guild(guild_id)}
    for report in listed.reports:
        known = known_live.get(report.code)
        if known is None or known.uses != report.uses or known.inviter_id != report.inviter_id:
            await uow.invites.record(guild_id, report, now=now)
    for known in known_live.values():
        gone = unlisted_end(known, listed, now)
        if gone is not None:
            await uow.invites.tombstone(guild_id, known.code, gone, now=now)


async def apply_endings(
    uow: UnitOfWorkPort, guild_id: int, endings: Sequence[Ending], *, now: datetime
) -> None:
    """Tell the known invites how those that vanished ended, once the attribution window they
    vanished in is decided: a used-up invite reaches its `max_uses`, what the read or the
    event knew of it (creator, limit) fills in what is missing, and the window's reason
    replaces a vaguer stored one (`retold_end`)."""
    for ending in endings:
        invite = ending.invite
        report = InviteReport(
            code=invite.code,
            inviter_id=invite.inviter_id,
            uses=ending.uses,
            max_uses=invite.max_uses or None,
            expires_at=invite.expires_at,
        )
        known = await uow.invites.get(guild_id, invite.code)
        await uow.invites.record(guild_id, report, now=now)
        stored = None if known is None or known.active else known.deleted_reason
        if not retold_end(stored, ending.reason):
            continue
        if stored is None:
            await uow.invites.tombstone(guild_id, invite.code, ending.reason, now=now)
        else:
            await uow.invites.retell_end(guild_id, invite.code, ending.reason, now=now)
