"""Which channels a guild's invites and messages may use."""

from __future__ import annotations

import pytest

from invite_tracker.domain.discord_objects import ChannelInfo, require_in_guild
from invite_tracker.domain.errors import Unprocessable

GUILD = 1


@pytest.mark.parametrize(
    ("channel_guild", "allowed"),
    [
        (GUILD, True),  # one of the guild's channels
        (2, False),  # another server the bot is in
        (None, False),  # a DM: no server at all
    ],
)
def test_only_the_guilds_own_channels(channel_guild: int | None, allowed: bool) -> None:
    channel = ChannelInfo(id=55, name="welcome", type=0, guild_id=channel_guild)
    if allowed:
        assert require_in_guild(channel, GUILD) is channel
    else:
        with pytest.raises(Unprocessable, match="the channel 55 is not in this server"):
            require_in_guild(channel, GUILD)
