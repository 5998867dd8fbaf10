"""Telling whether a create-invite request whose answer was lost made the invite anyway.

A create whose connection dropped, that timed out, or that Discord answered with a 5xx may
have made the invite all the same. Made again blindly, it leaves a second invite on Discord:
unlimited or long-lived, credited to the bot, and known to nobody who asked for it. So the
channel's invites are looked at first, for one this request could have made: made by a bot
(the inviter Discord names for the bot's own invites), with the options asked for, created
since the request left (give or take the clocks' difference), and not already given to
another request.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from invite_tracker.discord.port import InviteOptions
from invite_tracker.domain.invites import InviteReport

CLOCK_TOLERANCE = timedelta(seconds=30)
"""How far Discord's clock may be from this machine's for an invite to be recognised."""
CODES_KEPT = 200
"""Codes of the latest creates kept, so that one invite is never given to two requests."""


class GivenCodes:
    """The codes the latest creates returned (a bounded memory)."""

    def __init__(self, size: int = CODES_KEPT) -> None:
        self._codes: deque[str] = deque(maxlen=size)

    def give(self, invite: InviteReport) -> InviteReport:
        """Remember that `invite` answers a request; returns it."""
        self._codes.append(invite.code)
        return invite

    def __contains__(self, code: object) -> bool:
        return code in self._codes


def made_by_lost_create(
    invite: InviteReport,
    *,
    by_bot: bool,
    options: InviteOptions,
    sent_at: datetime,
    now: datetime,
    given: GivenCodes,
) -> bool:
    """Whether the channel's `invite` (`by_bot`: its inviter is a bot) may be the one a create
    sent at `sent_at` made without its answer coming back."""
    created = invite.created_at
    return (
        by_bot
        and invite.code not in given
        and created is not None
        and sent_at - CLOCK_TOLERANCE <= created <= now + CLOCK_TOLERANCE
        and (invite.max_age, invite.max_uses, invite.temporary)
        == (options.max_age, options.max_uses, options.temporary)
    )
