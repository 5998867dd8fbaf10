"""Creating and deleting invites through the Discord port, on in-memory stores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from invite_tracker.discord.port import InteractionTarget, InviteOptions
from invite_tracker.domain.errors import DiscordUnavailable, InteractionReplyFailed, Unprocessable
from invite_tracker.domain.invites import InviteEnd, InviteReport, ListedInvites
from invite_tracker.services import invites, module
from invite_tracker.services.invites import Turn
from tests.unit.services.fakes import FakeDiscordPort, MemoryUnitOfWork

NOW = datetime(2026, 11, 29, tzinfo=UTC)
TARGET = InteractionTarget(application_id=7, token="tok")
OPTIONS = InviteOptions(max_uses=5, max_age=3600, temporary=False)


async def enabled() -> MemoryUnitOfWork:
    uow = MemoryUnitOfWork()
    await module.enable(uow, 1, now=NOW)
    return uow


async def test_create_stores_and_replies() -> None:
    uow, discord = await enabled(), FakeDiscordPort()
    invite = await invites.create_invite(
        uow, discord, 1, 55, OPTIONS, interaction=TARGET, clock=lambda: NOW
    )
    assert invite.code == "new1"
    assert discord.created == [(55, OPTIONS)]
    assert discord.replies == [(TARGET, "Created the invite https://discord.gg/new1")]
    assert (await uow.invites.get(1, "new1")) is not None


@pytest.mark.parametrize(
    ("credit_to", "interaction", "runner", "credited"),
    [
        (None, None, None, None),  # the dashboard, for no one: Discord's inviter (the bot)
        (42, None, None, 42),  # the dashboard, for a member
        (None, TARGET, 42, 42),  # a slash command: whoever ran it, as Discord's answer says
        (42, TARGET, 7, 42),  # a slash command made for someone else
        (None, TARGET, None, None),  # Discord's answer does not say who ran it
    ],
)
async def test_an_invite_made_for_a_member_is_credited_to_them(
    credit_to: int | None,
    interaction: InteractionTarget | None,
    runner: int | None,
    credited: int | None,
) -> None:
    uow, discord = await enabled(), FakeDiscordPort()
    discord.command_user = runner
    invite = await invites.create_invite(
        uow,
        discord,
        1,
        55,
        OPTIONS,
        interaction=interaction,
        clock=lambda: NOW,
        credit_to=credit_to,
    )
    assert (await uow.invites.get(1, "new1")) == invite
    assert invite.credited_to == credited
    mine = await uow.invites.list_for_inviter(1, 42)
    assert [i.code for i in mine] == (["new1"] if credited else [])


async def test_reply_failure_keeps_the_invite_and_says_so() -> None:
    uow, discord = await enabled(), FakeDiscordPort(fail_reply=True)
    with pytest.raises(InteractionReplyFailed) as caught:
        await invites.create_invite(
            uow, discord, 1, 55, OPTIONS, interaction=TARGET, clock=lambda: NOW
        )
    assert caught.value.keep_changes is True
    assert "new1 was handled and stored" in caught.value.message
    assert (await uow.invites.get(1, "new1")) is not None


@pytest.mark.parametrize(("max_uses", "max_age"), [(101, 0), (0, 604801), (-1, -1)])
async def test_ranges_are_checked_before_discord(max_uses: int, max_age: int) -> None:
    uow, discord = await enabled(), FakeDiscordPort()
    options = InviteOptions(max_uses=max_uses, max_age=max_age, temporary=False)
    with pytest.raises(Unprocessable):
        await invites.create_invite(
            uow, discord, 1, 55, options, interaction=None, clock=lambda: NOW
        )
    assert discord.created == []


async def test_no_discord_is_an_honest_error() -> None:
    uow = await enabled()
    with pytest.raises(DiscordUnavailable, match="not configured"):
        await invites.create_invite(uow, None, 1, 55, OPTIONS, interaction=None, clock=lambda: NOW)


async def test_delete_remembers_a_staff_deletion() -> None:
    uow, discord = await enabled(), FakeDiscordPort()
    await invites.create_invite(uow, discord, 1, 55, OPTIONS, interaction=None, clock=lambda: NOW)
    gone = await invites.delete_invite(uow, discord, 1, "new1", interaction=TARGET, now=NOW)
    assert gone.deleted_reason is InviteEnd.DELETED_BY_STAFF
    assert discord.deleted == ["new1"]
    unknown = await invites.delete_invite(uow, discord, 1, "other", interaction=None, now=NOW)
    assert unknown.deleted_reason is InviteEnd.DELETED_BY_STAFF


@pytest.mark.parametrize(
    ("stored", "end"),
    [
        (InviteReport(code="gone", uses=1, max_uses=5), InviteEnd.DELETED_BY_STAFF),
        (InviteReport(code="gone", uses=5, max_uses=5), InviteEnd.USED_UP),
        (InviteReport(code="gone", expires_at=NOW - timedelta(seconds=1)), InviteEnd.EXPIRED),
        (None, InviteEnd.DELETED_BY_STAFF),  # never known: only staff's wish is
    ],
)
async def test_a_delete_that_finds_the_invite_gone_keeps_what_storage_tells(
    stored: InviteReport | None, end: InviteEnd
) -> None:
    """Discord no longer knows the invite when asked to delete it: this delete's answer was
    lost, or the invite ended meanwhile. Done either way; used up or expired if storage says."""
    uow, discord = await enabled(), FakeDiscordPort()
    if stored is not None:
        await uow.invites.record(1, stored, now=NOW - timedelta(minutes=1))
    discord.gone.add("gone")
    gone = await invites.delete_invite(uow, discord, 1, "gone", interaction=TARGET, now=NOW)
    assert (gone.active, gone.deleted_reason) == (False, end)
    assert discord.replies == [(TARGET, "Deleted the invite gone")]


async def test_only_the_guilds_own_channels_and_invites_are_touched() -> None:
    """The bot is in many guilds, and Discord creates and deletes by channel and code alone:
    a caller for guild 1 must not reach guild 2's."""
    uow, discord = await enabled(), FakeDiscordPort()
    discord.elsewhere.update({66: 2, "theirs": 2})
    with pytest.raises(Unprocessable, match="channel 66 is not in this server"):
        await invites.create_invite(
            uow, discord, 1, 66, OPTIONS, interaction=TARGET, clock=lambda: NOW
        )
    with pytest.raises(Unprocessable, match="theirs is not one of this server's invites"):
        await invites.delete_invite(uow, discord, 1, "theirs", interaction=TARGET, now=NOW)
    assert (discord.created, discord.deleted) == ([], [])
    assert [content for _, content in discord.replies] == [  # the command is told why
        "Could not create the invite: the channel 66 is not in this server",
        "Could not delete the invite: the invite theirs is not one of this server's invites",
    ]
    assert uow.rollbacks == 2  # each before its reply: no lock held while Discord answers
    assert await uow.invites.list_for_guild(1, include_gone=True) == []


async def test_an_invite_list_tombstones_only_invites_known_before_it_was_asked_for() -> None:
    uow = await enabled()
    asked = NOW + timedelta(seconds=10)
    await uow.invites.record(1, InviteReport(code="old"), now=NOW)
    await uow.invites.record(1, InviteReport(code="kept", uses=2), now=NOW)
    # created through POST /invite (or reported by INVITE_CREATE) after the list was asked for
    await uow.invites.record(1, InviteReport(code="new"), now=asked + timedelta(seconds=1))
    listed = [InviteReport(code="kept", uses=3), InviteReport(code="found")]
    await invites.apply_invite_list(uow, 1, ListedInvites(listed, asked_at=asked), now=asked)
    stored = {i.code: i for i in await uow.invites.list_for_guild(1, include_gone=True)}
    assert {code: i.deleted_reason for code, i in stored.items()} == {
        "old": InviteEnd.VANISHED,
        "kept": None,
        "new": None,
        "found": None,
    }
    assert stored["kept"].uses == 3


RECENT = ListedInvites([InviteReport(code="recent", uses=6)], asked_at=NOW)


@pytest.mark.parametrize(
    ("configured", "given", "source", "note", "codes"),
    [
        # read and reconciled: the listed invite added, the one Discord no longer lists gone
        (True, Turn(), "discord", None, {"listed": 4}),
        # the attributor's list of moments ago, reconciled instead of a read
        (True, Turn(recent=RECENT, note="as read"), "discord", "as read", {"recent": 6}),
        # the read's turn refused (another worker holds the guild): stored, and why
        (True, Turn(refused="held elsewhere"), "stored", "held elsewhere", {"known": 1}),
        # no Discord: stored, without asking for a turn
        (False, Turn(), "stored", "Discord is not configured", {"known": 1}),
    ],
)
async def test_the_dashboards_invite_list_reads_discord_only_on_its_turn(
    configured: bool, given: Turn, source: str, note: str | None, codes: dict[str, int]
) -> None:
    uow, discord = await enabled(), FakeDiscordPort()
    before = NOW - timedelta(minutes=1)
    await uow.invites.record(1, InviteReport(code="known", uses=1), now=before)
    turns: list[int] = []

    @asynccontextmanager
    async def turn(guild_id: int) -> AsyncIterator[Turn]:
        turns.append(guild_id)
        yield given

    links = await invites.invite_links(uow, discord if configured else None, 1, now=NOW, turn=turn)
    assert (links.source, links.note) == (source, note)
    assert {invite.code: invite.uses for invite in links.invites} == codes
    assert turns == ([1] if configured else [])
    read = configured and given == Turn()
    assert discord.reads == ([("invites", 1)] if read else [])
