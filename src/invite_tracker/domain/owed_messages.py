"""Join and leave messages the service owes: kept with their event until posted or given up.

A message is owed from the moment its event is final (the join attributed, the leave stored),
in the same transaction, so a stop or a crash before it is posted does not lose it. The worker
that decided the event takes it at once, for a lease it renews while it prepares and posts
the message. Any worker takes it once it is due again: given back by that worker when it
stopped, its lease run out after a crash, or let go to be tried later (Discord could not take
it). Posting is at least once: a crash between Discord's answer and the message being marked
sent posts it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from invite_tracker.domain.errors import DiscordUnavailable, InviteTrackerError
from invite_tracker.domain.templating import MessageKind

MESSAGE_LEASE = timedelta(seconds=60)
"""How long a worker holds an owed message it has taken; it renews the lease while the message
waits for its channel, so only a worker that stopped or crashed lets it run out."""


@dataclass(frozen=True, slots=True)
class OwedMessage:
    """An owed join or leave message, and what it needs to be prepared again."""

    kind: MessageKind
    event_id: int  # the join's id, or the leave's
    guild_id: int
    member_id: int | None
    inviter_id: int | None
    invite_code: str | None
    final_at: datetime  # when its event became final
    happened_at: datetime  # when the member joined, or left: the counts it shows are as of then

    @property
    def key(self) -> tuple[MessageKind, int]:
        """Which event's message this is."""
        return self.kind, self.event_id


class Delivery(StrEnum):
    """What became of an attempt to post a message."""

    POSTED = "posted"
    GIVEN_UP = "given_up"  # Discord refused it, or it could not be prepared: never retried
    RETRY = "retry"  # Discord could not be used just then: owed still, retried later

    @property
    def retried(self) -> bool:
        """The message stays owed, for a later try."""
        return self is Delivery.RETRY


def after_failure(error: InviteTrackerError) -> Delivery:
    """Whether a message Discord did not take is tried again: yes when Discord could not be
    used (unreachable, failing, or a rate limit longer than the service waits), no when it
    refused the message (no access to the channel, an invalid body): asking again would be
    refused again, and every refusal counts towards Discord's ban on an address."""
    return Delivery.RETRY if isinstance(error, DiscordUnavailable) else Delivery.GIVEN_UP


def too_late(final_at: datetime, now: datetime, max_delay: timedelta) -> bool:
    """True when an owed message is too old to be worth posting: a welcome long after the
    member joined (the service was down for hours) reads as noise, so it is dropped."""
    return now - final_at > max_delay
