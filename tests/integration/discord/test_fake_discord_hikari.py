"""hikari's real REST client, over real HTTP, against the fake: every call the service makes."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import hikari
import pytest
from hikari.impl.rest import RESTClientImpl

from invite_tracker.testing.fake_discord import Channel, FakeDiscord, Guild, Permission, User

ClientFactory = Callable[..., AbstractAsyncContextManager[RESTClientImpl]]


async def test_fetch_guild_invites_sees_uses_and_metadata(
    fake: FakeDiscord, rest: RESTClientImpl, guild: Guild, channel: Channel, alice: User
) -> None:
    invite = await fake.create_invite(channel.id, inviter_id=alice.id, max_uses=10, max_age=0)
    bob = await fake.create_user("bob")
    await fake.join_via_invite(guild.id, bob.id, invite.code)

    fetched = await rest.fetch_guild_invites(guild.id)

    assert len(fetched) == 1
    found = fetched[0]
    assert isinstance(found, hikari.InviteWithMetadata)
    assert found.code == invite.code
    assert found.uses == 1
    assert found.max_uses == 10
    assert found.max_age is None
    assert found.expires_at is None
    assert found.is_temporary is False
    assert found.inviter is not None
    assert found.inviter.id == alice.id
    assert found.channel_id == channel.id
    assert found.guild_id == guild.id


async def test_create_invite_sends_a_body_and_fires_invite_create(
    fake: FakeDiscord, rest: RESTClientImpl, channel: Channel
) -> None:
    default = await rest.create_invite(channel.id)
    custom = await rest.create_invite(
        channel.id, max_age=datetime.timedelta(hours=1), max_uses=3, temporary=True, unique=True
    )

    assert default.max_age == datetime.timedelta(seconds=86_400)
    assert default.max_uses is None
    assert custom.max_uses == 3
    assert custom.is_temporary is True
    assert custom.expires_at == custom.created_at + datetime.timedelta(hours=1)
    created = await fake.events(types=["INVITE_CREATE"])
    assert [event.data["code"] for event in created] == [default.code, custom.code]
    assert all(event.data["uses"] == 0 for event in created)
    assert created[0].data["inviter"]["id"] == str(fake.bot_user.id)


async def test_delete_invite_returns_it_and_fires_invite_delete(
    fake: FakeDiscord, rest: RESTClientImpl, channel: Channel
) -> None:
    invite = await fake.create_invite(channel.id)

    deleted = await rest.delete_invite(invite.code)

    assert deleted.code == invite.code
    (event,) = await fake.events(types=["INVITE_DELETE"])
    assert event.data == {
        "channel_id": str(channel.id),
        "guild_id": str(channel.guild_id),
        "code": invite.code,
    }
    with pytest.raises(hikari.NotFoundError) as caught:
        await rest.fetch_invite(invite.code)
    assert caught.value.code == 10006


async def test_fetch_vanity_url(fake: FakeDiscord, rest: RESTClientImpl, guild: Guild) -> None:
    await fake.set_vanity(guild.id, "cool-place", uses=7)
    viewer = await fake.create_user("viewer")
    await fake.join_via_vanity(guild.id, viewer.id)

    vanity = await rest.fetch_vanity_url(guild.id)

    assert vanity.code == "cool-place"
    assert vanity.uses == 8


async def test_create_message_with_embed_and_allowed_mentions(
    fake: FakeDiscord, rest: RESTClientImpl, channel: Channel, alice: User
) -> None:
    embed = hikari.Embed(title="Welcome", description=f"<@{alice.id}> joined", color=0x00FF00)
    embed.add_field("Invited by", "someone", inline=True).set_footer("invite-tracker")

    message = await rest.create_message(
        channel.id, f"Hello <@{alice.id}>", embed=embed, user_mentions=False
    )

    assert message.content == f"Hello <@{alice.id}>"
    assert message.author.id == fake.bot_user.id
    assert message.embeds[0].title == "Welcome"
    assert message.embeds[0].fields[0].name == "Invited by"
    (stored,) = fake.messages(channel.id)
    assert stored.allowed_mentions == {"parse": []}
    assert stored.mention_user_ids == []
    assert stored.embeds[0]["footer"] == {"text": "invite-tracker"}


async def test_fetch_guild_member_channel_user_roles(
    fake: FakeDiscord, rest: RESTClientImpl, guild: Guild, channel: Channel, alice: User
) -> None:
    role = await fake.create_role(guild.id, "Mods", permissions=["MANAGE_GUILD"], hoist=True)

    fetched_guild = await rest.fetch_guild(guild.id)
    member = await rest.fetch_member(guild.id, alice.id)
    fetched_channel = await rest.fetch_channel(channel.id)
    user = await rest.fetch_user(alice.id)
    roles = await rest.fetch_roles(guild.id)

    assert fetched_guild.name == guild.name
    assert fetched_guild.approximate_member_count == 3  # owner, bot, alice
    assert member.user.id == alice.id
    assert member.joined_at is not None
    assert isinstance(fetched_channel, hikari.GuildTextChannel)
    assert fetched_channel.name == "general"
    assert user.global_name == "Alice"
    assert {r.name for r in roles} == {"@everyone", fake.bot_user.username, "Mods"}
    mods = next(r for r in roles if r.id == role.id)
    assert mods.permissions == hikari.Permissions.MANAGE_GUILD
    bot_role = next(r for r in roles if r.bot_id == fake.bot_user.id)
    assert bot_role.is_managed


async def test_interaction_replies(
    fake: FakeDiscord, rest: RESTClientImpl, guild: Guild, channel: Channel
) -> None:
    interaction = await fake.register_interaction(guild_id=guild.id, channel_id=channel.id)

    edited = await rest.edit_interaction_response(
        fake.application_id, interaction.token, "Invite created", user_mentions=False
    )
    followup = await rest.execute_webhook(fake.application_id, interaction.token, "And another")
    original = await rest.fetch_interaction_response(fake.application_id, interaction.token)

    assert edited.content == "Invite created"
    assert original.id == edited.id
    assert followup.content == "And another"
    record = fake.interaction(interaction.id)
    assert [edit.payload["content"] for edit in record.edits] == ["Invite created"]
    assert record.edits[0].payload["allowed_mentions"] == {"parse": []}
    assert [message.content for message in record.followups] == ["And another"]


async def test_a_reply_says_who_ran_the_command(
    fake: FakeDiscord, rest: RESTClientImpl, guild: Guild, channel: Channel
) -> None:
    runner = await fake.create_user("runner")
    ran = await fake.register_interaction(guild_id=guild.id, user_id=runner.id)
    unknown = await fake.register_interaction(guild_id=guild.id)

    edited = await rest.edit_interaction_response(fake.application_id, ran.token, "Created")
    anonymous = await rest.edit_interaction_response(fake.application_id, unknown.token, "x")

    assert edited.interaction_metadata is not None
    assert edited.interaction_metadata.user.id == runner.id
    assert edited.interaction_metadata.interaction_id == ran.id
    assert anonymous.interaction_metadata is None  # registered without a user


async def test_initial_response_through_the_callback(
    fake: FakeDiscord, rest: RESTClientImpl, guild: Guild
) -> None:
    interaction = await fake.register_interaction(guild_id=guild.id, acknowledged=False)

    await rest.create_interaction_response(
        interaction.id, interaction.token, hikari.ResponseType.DEFERRED_MESSAGE_CREATE
    )
    await rest.edit_interaction_response(fake.application_id, interaction.token, "Done")

    record = fake.interaction(interaction.id)
    assert record.response_type == 5
    assert record.original is not None
    assert record.original.content == "Done"


async def test_errors_reach_hikari_with_discords_codes(
    fake: FakeDiscord, rest: RESTClientImpl, guild: Guild, channel: Channel
) -> None:
    with pytest.raises(hikari.NotFoundError) as unknown_guild:
        await rest.fetch_guild_invites(42)
    with pytest.raises(hikari.NotFoundError) as unknown_channel:
        await rest.create_invite(42)
    with pytest.raises(hikari.NotFoundError) as unknown_member:
        await rest.fetch_member(guild.id, 42)
    with pytest.raises(hikari.BadRequestError) as bad_age:
        await rest.create_invite(channel.id, max_age=604_801)
    with pytest.raises(hikari.BadRequestError) as long_content:
        await rest.create_message(channel.id, "x" * 2001)
    await fake.set_bot_permissions(guild.id, ["VIEW_CHANNEL", "SEND_MESSAGES"])
    with pytest.raises(hikari.ForbiddenError) as forbidden:
        await rest.fetch_guild_invites(guild.id)

    assert unknown_guild.value.code == 10004
    assert unknown_channel.value.code == 10003
    assert unknown_member.value.code == 10007
    assert bad_age.value.code == 50035
    assert bad_age.value.errors == {
        "max_age": {
            "_errors": [
                {
                    "code": "NUMBER_TYPE_MAX",
                    "message": "int value should be less than or equal to 604800.",
                }
            ]
        }
    }
    assert long_content.value.code == 50035
    assert "content" in (long_content.value.errors or {})
    assert forbidden.value.code == 50013
    assert fake.world.guild(guild.id).bot_permissions == (
        Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES
    )


async def test_expired_interaction_token(
    fake: FakeDiscord, rest: RESTClientImpl, guild: Guild
) -> None:
    interaction = await fake.register_interaction(guild_id=guild.id)
    await fake.advance_clock(15 * 60)

    with pytest.raises(hikari.UnauthorizedError) as expired:
        await rest.edit_interaction_response(fake.application_id, interaction.token, "late")
    with pytest.raises(hikari.NotFoundError) as unknown:
        await rest.edit_interaction_response(fake.application_id, "never-issued", "late")

    assert expired.value.code == 50027
    assert unknown.value.code == 10015


async def test_wrong_token_is_unauthorized(
    make_client: ClientFactory, fake: FakeDiscord, guild: Guild
) -> None:
    async with make_client(token="wrong") as client:
        with pytest.raises(hikari.UnauthorizedError):
            await client.fetch_guild(guild.id)
    assert fake.stats.invalid_requests == 1


async def test_without_manage_guild_hikari_gets_invites_without_uses(
    fake: FakeDiscord, rest: RESTClientImpl, guild: Guild, channel: Channel
) -> None:
    await fake.create_invite(channel.id, max_uses=5)
    await fake.set_bot_permissions(guild.id, ["VIEW_AUDIT_LOG"])

    (invite,) = await rest.fetch_guild_invites(guild.id)

    assert not isinstance(invite, hikari.InviteWithMetadata)
    assert isinstance(invite, hikari.Invite)
