"""Message variables and rendering, hostile names included."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from invite_tracker.domain.discord_objects import ChannelInfo, GuildInfo, MemberInfo, UserInfo
from invite_tracker.domain.embeds import EMBED_TOTAL_MAX, EmbedConfigError, embed_text_length
from invite_tracker.domain.messages import render_message
from invite_tracker.domain.templating import (
    MessageContext,
    escape_text,
    fill,
    needs_data,
    variables,
)

NOW = datetime(2026, 11, 29, 12, 30, 5, tzinfo=UTC)
GUILD = GuildInfo(
    id=81384788765712384,
    name="Husqy *Lounge*",
    owner_id=5,
    description=None,
    afk_timeout=3600,
    mfa_level=1,
    premium_tier=2,
    premium_subscription_count=7,
    verification_level=3,
    nsfw_level=0,
    rules_channel_id=44,
)
USER = MemberInfo(
    user=UserInfo(id=10, username="newbie", global_name="New Bie", avatar_url="https://cdn/a.png"),
    nickname=None,
    role_ids=(1, 2),
    joined_at=datetime(2026, 11, 29, 12, 30, tzinfo=UTC),
    pending=True,
)
INVITER = MemberInfo(
    user=UserInfo(id=20, username="host"), nickname="The Host", deaf=True, mute=False
)
CHANNEL = ChannelInfo(id=175928847299117063, name="welcome", type=0)


def context(**changes: object) -> MessageContext:
    values: dict[str, object] = {
        "kind": "join",
        "guild_id": GUILD.id,
        "now": NOW,
        "member_id": 10,
        "member": USER,
        "inviter_id": 20,
        "inviter": INVITER,
        "invite_code": "abc",
        "invite_count": 4,
        "guild": GUILD,
        "channel_id": CHANNEL.id,
        "channel": CHANNEL,
    }
    values.update(changes)
    return MessageContext(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("inviter_id", "20"),
        ("inviter_mention", "<@20>"),
        ("inviter_nickname", "The Host"),
        ("inviter_display_name", "The Host"),
        ("inviter_is_deaf", "Deafend"),
        ("inviter_is_mute", "Not muted"),
        ("inviter_roles", "None"),
        ("inviter_avatar_url", "Unknown"),
        ("current_invite_count", "4"),
        ("invite_code", "abc"),
        ("user_mention", "<@10>"),
        ("user_nickname", "No nickname"),
        ("user_display_name", "New Bie"),
        ("user_is_pending", "Pending"),
        ("user_joined_at", "29-11-2026 12:30:00"),
        ("user_premium_since", "None"),
        ("user_roles", "<@&1> <@&2>"),
        ("user_communication_disabled_until", "None"),
        ("user_avatar_url", "https://cdn/a.png"),
        ("channel_mention", "<#175928847299117063>"),
        ("channel_name", "welcome"),
        ("channel_type", "GUILD_TEXT"),
        ("channel_created_at", "30-04-2016 11:18:25"),
        ("server_name", "Husqy \\*Lounge\\*"),
        ("server_description", "Not in use"),
        ("server_afk_timeout", "1:00:00"),
        ("server_mfa_level", "ELEVATED"),
        ("server_owner", "<@5>"),
        ("server_premium_tier", "TIER_2"),
        ("server_premium_subscription_count", "7"),
        ("server_verification_level", "HIGH"),
        ("server_nsfw_level", "DEFAULT"),
        ("server_rules_channel", "<#44>"),
        ("server_system_channel", "Not in use"),
        ("server_created_at", "13-08-2015 13:54:05"),
        ("current_date", "29-11-2026"),
        ("current_time", "12:30:05"),
        ("current_datetime", "29-11-2026 12:30:05"),
        ("current_datetime_iso", "2026-11-29T12:30:05+00:00"),
    ],
)
def test_variable_values(name: str, expected: str) -> None:
    assert variables(context())[name] == expected


@pytest.mark.parametrize(
    ("changes", "name", "expected"),
    [
        ({"inviter_id": None, "inviter": None}, "inviter_mention", "Unknown"),
        ({"inviter_id": None, "inviter": None}, "inviter_display_name", "Unknown"),
        ({"invite_code": None}, "invite_code", "Unknown"),
        ({"invite_count": None}, "current_invite_count", "Unknown"),
        ({"inviter": None}, "inviter_mention", "<@20>"),  # id known, member not fetched
        ({"inviter": None}, "inviter_nickname", "Unknown"),
        ({"guild": None}, "server_name", "Unknown"),
        ({"channel": None}, "channel_name", "Unknown"),
    ],
)
def test_placeholders_when_data_is_missing(
    changes: dict[str, object], name: str, expected: str
) -> None:
    assert variables(context(**changes))[name] == expected


def test_leave_messages_have_no_channel_family() -> None:
    values = variables(context(kind="leave"))
    assert "channel_name" not in values
    assert fill("<channel_name> <user_id>", values) == "<channel_name> 10"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("Hi <user_mention>!", "Hi <@10>!"),
        ("<unknown_thing> and <user_id>", "<unknown_thing> and 10"),
        ("<USER_ID> <user id>", "<USER_ID> <user id>"),
        ("<<user_id>>", "<10>"),
        ("", ""),
    ],
)
def test_fill(template: str, expected: str) -> None:
    assert fill(template, variables(context())) == expected


@pytest.mark.parametrize(
    ("template", "user", "inviter", "server"),
    [
        ("Welcome <user_mention>, invited by <inviter_mention>", False, False, False),
        ("<user_id> <inviter_id> <server_id> <server_created_at>", False, False, False),
        ("Welcome <user_display_name>", True, False, False),
        ("<inviter_nickname> now has <current_invite_count>", False, True, False),
        ("<user_roles> <server_name>", True, False, True),
        (
            '{"title": "Hi <user_avatar_url>", "footer": {"text": "<server_owner>"}}',
            True,
            False,
            True,
        ),
        ("<USER_DISPLAY_NAME> <user display> <users_name>", False, False, False),
        ("<channel_name> <invite_code> <current_date>", False, False, False),
    ],
)
def test_which_data_a_template_needs(
    template: str, user: bool, inviter: bool, server: bool
) -> None:
    needed = (needs_data(template, family) for family in ("user", "inviter", "server"))
    assert tuple(needed) == (user, inviter, server)


HOSTILE = (
    '"}]\\ <@&123> <@99> @everyone @Here **bold** __u__ `x` ${x} {{y}} <user_mention> [l](http://x)'
)


@pytest.mark.parametrize(
    "text",
    [HOSTILE, "@everyone", "<#1>", "a\\b", "`code`", "||spoiler||", "> quote", "# title"],
)
def test_escaped_text_cannot_mention_or_format(text: str) -> None:
    escaped = escape_text(text)
    assert "@everyone" not in escaped.lower().replace("@\u200b", "")
    assert "<@" not in escaped.replace("\\<@", "")
    assert "<#" not in escaped.replace("\\<#", "")
    for mark in ("**", "__", "||"):
        assert mark not in escaped


def test_hostile_names_do_not_break_an_embed_or_ping() -> None:
    hostile = MemberInfo(user=UserInfo(id=20, username=HOSTILE), nickname=HOSTILE)
    template = json.dumps(
        {
            "content": "<inviter_display_name>",
            "title": "Welcome <user_display_name>",
            "description": "Invited by <inviter_nickname> (<inviter_mention>)",
            "fields": [{"name": "<inviter_display_name>", "value": "<current_invite_count>"}],
            "footer": {"text": "<server_name>"},
        }
    )
    message = render_message(template, is_embed=True, context=context(inviter=hostile))
    body = json.loads(json.dumps(message.payload()))
    embed = body["embeds"][0]
    assert embed["description"].endswith("(<@20>)")
    assert "<user_mention>" in embed["fields"][0]["name"].replace("\\", "")  # not expanded
    assert "<@&123>" not in json.dumps(body).replace("\\\\<", "")
    assert body["allowed_mentions"] == {
        "parse": [],
        "users": ["10", "20"],
        "roles": [],
        "replied_user": False,
    }


def test_footer_and_author_names_are_shown_as_written() -> None:
    """Discord renders no markdown in an embed's footer or author name: a backslash there
    would show, so names go in as they are (a mass mention still defused); elsewhere they
    stay escaped."""
    underscored = MemberInfo(user=UserInfo(id=10, username="cool_guy_99"))
    template = json.dumps(
        {
            "title": "Hi <user_display_name>",
            "footer": {"text": "Member: <user_display_name> in <server_name>"},
            "author": {"name": "<user_display_name>", "icon_url": "<user_avatar_url>"},
        }
    )
    guild = GuildInfo(id=GUILD.id, name="@everyone *fans*")
    embed = render_message(
        template, is_embed=True, context=context(member=underscored, guild=guild)
    ).embeds[0]
    assert embed["title"] == "Hi cool\\_guy\\_99"
    assert embed["footer"] == {"text": "Member: cool_guy_99 in @\u200beveryone *fans*"}
    assert embed["author"] == {"name": "cool_guy_99"}


def test_plain_text_is_clamped_and_allowed_mentions_skip_unknowns() -> None:
    message = render_message(
        "<user_display_name>" * 300, is_embed=False, context=context(inviter_id=None, inviter=None)
    )
    assert message.content is not None
    assert len(message.content) == 2000
    assert message.content.endswith("…")
    assert message.allowed_mentions["users"] == ["10"]
    assert message.embeds == ()


def test_embed_links_and_timestamp_made_invalid_are_dropped() -> None:
    template = json.dumps(
        {
            "title": "x",
            "url": "<inviter_avatar_url>",
            "timestamp": "<current_datetime_iso>",
            "thumbnail": {"url": "<inviter_avatar_url>"},
            "image": {"url": "<user_avatar_url>"},
            "author": {"name": "<user_display_name>", "icon_url": "<inviter_avatar_url>"},
        }
    )
    embed = render_message(template, is_embed=True, context=context()).embeds[0]
    assert "url" not in embed
    assert "thumbnail" not in embed
    assert embed["image"] == {"url": "https://cdn/a.png"}
    assert embed["author"] == {"name": "New Bie"}
    assert embed["timestamp"] == "2026-11-29T12:30:05+00:00"


def test_embed_with_nothing_left_to_show_is_refused() -> None:
    template = json.dumps({"image": {"url": "<inviter_avatar_url>"}})
    with pytest.raises(EmbedConfigError):
        render_message(template, is_embed=True, context=context())


def test_long_values_are_clamped_to_embed_limits() -> None:
    long_name = MemberInfo(user=UserInfo(id=20, username="n" * 300))
    template = json.dumps(
        {
            "title": "<inviter_display_name>",
            "fields": [{"name": "<inviter_display_name>", "value": "v"}],
        }
    )
    embed = render_message(template, is_embed=True, context=context(inviter=long_name)).embeds[0]
    assert len(embed["title"]) == 256
    assert len(embed["fields"][0]["name"]) == 256


def test_an_embed_the_values_take_over_the_total_is_shortened_not_dropped() -> None:
    """Each text within its own limit, but together over Discord's 6000 once filled: the
    longest texts are cut (as one over its own limit is), and the message still goes."""
    avatar = MemberInfo(user=UserInfo(id=10, username="n", avatar_url="https://cdn/" + "a" * 90))
    template = json.dumps(
        {
            "title": "Welcome",
            "description": "<user_avatar_url> " * 40,
            "fields": [{"name": f"f{i}", "value": "<user_avatar_url>" * 10} for i in range(8)],
            "footer": {"text": "<server_name>"},
        }
    )
    embed = render_message(template, is_embed=True, context=context(member=avatar)).embeds[0]
    assert embed_text_length(embed) == EMBED_TOTAL_MAX
    assert embed["title"] == "Welcome"
    assert embed["footer"] == {"text": GUILD.name}
    assert embed["description"].endswith("…")
    assert [item["name"] for item in embed["fields"]] == [f"f{i}" for i in range(8)]
