"""Invites, vanity and joins as Discord has them: uses, max_uses deletion, expiry, events."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from invite_tracker.testing.fake_discord import errors
from invite_tracker.testing.fake_discord.errors import ControlError
from invite_tracker.testing.fake_discord.models import ChannelType, Invite, JoinSource, Member
from invite_tracker.testing.fake_discord.shapes import iso, member_json, user_json
from invite_tracker.testing.fake_discord.state import World
from invite_tracker.testing.fake_discord.validation import (
    DEFAULT_INVITE_AGE,
    MAX_INVITE_AGE,
    MAX_INVITE_USES,
)

MAX_INVITES_PER_GUILD = 1000
_VANITY_CODE = re.compile(r"^[A-Za-z0-9-]{2,32}$")


def sweep_expired(world: World) -> list[Invite]:
    """Delete every invite whose `max_age` has passed, logging INVITE_DELETE at its expiry time.

    Called lazily before anything reads or changes invites, so the log stays in time order
    as long as the clock only moves forward.
    """
    now = world.now()
    expired = sorted(
        (invite for invite in world.invites.values() if invite.expired(now)),
        key=lambda invite: (invite.expires_at or now, invite.code),
    )
    for invite in expired:
        _delete(world, invite, reason="expired", at=invite.expires_at)
    return expired


def guild_invites(world: World, guild_id: int) -> list[Invite]:
    """The guild's live invites, oldest first."""
    world.guild(guild_id)
    sweep_expired(world)
    found = [invite for invite in world.invites.values() if invite.guild_id == guild_id]
    return sorted(found, key=lambda invite: (invite.created_at, invite.code))


def channel_invites(world: World, channel_id: int) -> list[Invite]:
    """The channel's live invites, oldest first."""
    world.channel(channel_id)
    sweep_expired(world)
    found = [invite for invite in world.invites.values() if invite.channel_id == channel_id]
    return sorted(found, key=lambda invite: (invite.created_at, invite.code))


def find_invite(world: World, code: str) -> Invite:
    """The live invite with this code, or Discord's 10006."""
    sweep_expired(world)
    invite = world.invites.get(code)
    if invite is None:
        raise errors.unknown_invite()
    return invite


def create_invite(
    world: World,
    channel_id: int,
    *,
    inviter_id: int | None = None,
    max_age: int = DEFAULT_INVITE_AGE,
    max_uses: int = 0,
    temporary: bool = False,
    unique: bool = True,
    code: str | None = None,
) -> tuple[Invite, bool]:
    """Create (or, with `unique` false, reuse a similar) invite; returns it and whether it is new.

    Like Discord, a non-unique request returns an existing live invite of the same channel,
    inviter and settings instead of creating one (and then no INVITE_CREATE is fired).
    """
    channel = world.channel(channel_id)
    if channel.type == ChannelType.GUILD_CATEGORY:
        raise errors.wrong_channel_type()
    if inviter_id is None:
        inviter_id = world.bot_user.id
    world.member(channel.guild_id, inviter_id)
    if not 0 <= max_age <= MAX_INVITE_AGE or not 0 <= max_uses <= MAX_INVITE_USES:
        raise ControlError(400, "max_age must be 0..604800 and max_uses 0..100")
    sweep_expired(world)
    if not unique and code is None:
        for invite in world.invites.values():
            similar = (
                invite.channel_id == channel_id
                and invite.inviter_id == inviter_id
                and (invite.max_age, invite.max_uses, invite.temporary)
                == (max_age, max_uses, temporary)
            )
            if similar:
                return invite, False
    if sum(1 for invite in world.invites.values() if invite.guild_id == channel.guild_id) >= (
        MAX_INVITES_PER_GUILD
    ):
        raise errors.too_many_invites()
    if code is not None:
        _check_code_free(world, code)
    invite = Invite(
        code=code or world.new_code(),
        guild_id=channel.guild_id,
        channel_id=channel_id,
        inviter_id=inviter_id,
        max_age=max_age,
        max_uses=max_uses,
        temporary=temporary,
        created_at=world.now(),
    )
    world.invites[invite.code] = invite
    expires_at = invite.expires_at
    data = {
        "channel_id": str(invite.channel_id),
        "code": invite.code,
        "created_at": iso(invite.created_at),
        "expires_at": iso(expires_at) if expires_at is not None else None,
        "guild_id": str(invite.guild_id),
        "inviter": user_json(world.user(inviter_id)),
        "max_age": invite.max_age,
        "max_uses": invite.max_uses,
        "temporary": invite.temporary,
        "type": 0,
        "uses": 0,
    }
    world.record("INVITE_CREATE", invite.guild_id, data)
    return invite, True


def delete_invite(world: World, code: str) -> Invite:
    """Delete the invite (Discord's 10006 if unknown); logs INVITE_DELETE."""
    invite = find_invite(world, code)
    _delete(world, invite, reason="deleted")
    return invite


def join_via_invite(world: World, guild_id: int, user_id: int, code: str) -> Member:
    """The user accepts the invite: uses +1, deleted at max_uses, then GUILD_MEMBER_ADD.

    When the join exhausts the invite, its INVITE_DELETE is logged just before the
    GUILD_MEMBER_ADD, at the same instant.
    """
    invite = find_invite(world, code)
    if invite.guild_id != guild_id:
        raise ControlError(400, f"invite {code} belongs to guild {invite.guild_id}")
    if (guild_id, user_id) in world.members:
        raise ControlError(409, f"user {user_id} is already a member of guild {guild_id}")
    _not_a_bot(world, user_id)
    now = world.now()
    invite.uses += 1
    if invite.max_uses and invite.uses >= invite.max_uses:
        _delete(world, invite, reason="max_uses", at=now)
    return admit(
        world,
        guild_id,
        user_id,
        JoinSource.INVITE,
        invite=invite,
        temporary=invite.temporary,
        at=now,
    )


def join_via_vanity(world: World, guild_id: int, user_id: int) -> Member:
    """The user joins through the guild's vanity URL: its `uses` +1."""
    guild = world.guild(guild_id)
    if guild.vanity_code is None:
        raise ControlError(409, f"guild {guild_id} has no vanity code")
    if (guild_id, user_id) in world.members:
        raise ControlError(409, f"user {user_id} is already a member of guild {guild_id}")
    _not_a_bot(world, user_id)
    guild.vanity_uses += 1
    return admit(world, guild_id, user_id, JoinSource.VANITY)


def _not_a_bot(world: World, user_id: int) -> None:
    """Bots cannot accept invites (nor the vanity URL): they are added through OAuth2, which
    counts no invite's uses. An unknown user is refused too."""
    if world.user(user_id).bot:
        raise ControlError(400, f"user {user_id} is a bot: bots are added without an invite")


def join_without_invite(world: World, guild_id: int, user_id: int) -> Member:
    """The user joins with no invite at all (server discovery, an OAuth2 add, ...)."""
    return admit(world, guild_id, user_id, JoinSource.DISCOVERY)


def set_vanity(world: World, guild_id: int, code: str | None, *, uses: int = 0) -> None:
    """Give the guild a vanity code (adds the VANITY_URL feature) or remove it (None)."""
    guild = world.guild(guild_id)
    if code is None:
        guild.vanity_code = None
        guild.vanity_uses = 0
        guild.features = [feature for feature in guild.features if feature != "VANITY_URL"]
        return
    if not _VANITY_CODE.match(code):
        raise ControlError(400, "a vanity code is 2 to 32 characters of A-Z, a-z, 0-9 and -")
    if code != guild.vanity_code:
        _check_code_free(world, code)
    if uses < 0:
        raise ControlError(400, "uses cannot be negative")
    guild.vanity_code = code
    guild.vanity_uses = uses
    if "VANITY_URL" not in guild.features:
        guild.features.append("VANITY_URL")


def admit(
    world: World,
    guild_id: int,
    user_id: int,
    source: JoinSource,
    *,
    invite: Invite | None = None,
    temporary: bool = False,
    at: datetime | None = None,
) -> Member:
    """Add the member and record GUILD_MEMBER_ADD (with the true source in `meta`)."""
    world.check_can_join(guild_id, user_id)
    member = Member(
        guild_id=guild_id,
        user_id=user_id,
        joined_at=at or world.now(),
        temporary=temporary,
        source=source,
        invite_code=invite.code if invite is not None else None,
        inviter_id=invite.inviter_id if invite is not None else None,
        vanity_code=world.guild(guild_id).vanity_code if source is JoinSource.VANITY else None,
    )
    world.members[(guild_id, user_id)] = member
    data = member_json(member, world.user(user_id))
    data["guild_id"] = str(guild_id)
    meta: dict[str, Any] = {"source": source.value}
    if invite is not None:
        meta["invite_code"] = invite.code
        meta["inviter_id"] = str(invite.inviter_id) if invite.inviter_id else None
    elif source is JoinSource.VANITY:
        meta["invite_code"] = world.guild(guild_id).vanity_code
    world.record("GUILD_MEMBER_ADD", guild_id, data, meta, at=member.joined_at)
    return member


def leave(world: World, guild_id: int, user_id: int) -> Member:
    """The member leaves; records GUILD_MEMBER_REMOVE."""
    member = world.member(guild_id, user_id)
    if user_id == world.bot_user.id:
        raise ControlError(400, "the bot cannot leave a fake guild")
    del world.members[(guild_id, user_id)]
    data = {"guild_id": str(guild_id), "user": user_json(world.user(user_id))}
    world.record("GUILD_MEMBER_REMOVE", guild_id, data, {"source": member.source.value})
    return member


def _check_code_free(world: World, code: str) -> None:
    if code in world.invites or any(guild.vanity_code == code for guild in world.guilds.values()):
        raise ControlError(409, f"code {code} is already in use")


def _delete(world: World, invite: Invite, *, reason: str, at: datetime | None = None) -> None:
    world.invites.pop(invite.code, None)
    data = {
        "channel_id": str(invite.channel_id),
        "guild_id": str(invite.guild_id),
        "code": invite.code,
    }
    meta = {"reason": reason, "uses": invite.uses}
    world.record("INVITE_DELETE", invite.guild_id, data, meta, at=at)
