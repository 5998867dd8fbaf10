"""Evidence from two invite snapshots: how many uses each code can have had in between.

Discord's member-join event says nothing about the invite used, so a tracker compares the
guild's invites (and the vanity URL's counter) before and after. Each code gets an interval of
possible uses in the window between two snapshots:

- a code in both snapshots: exactly the difference of its `uses`;
- a code new in the later snapshot: exactly its `uses` (created, and maybe used, in between);
- a code gone from the later snapshot with a use limit, not expired and not deleted through our
  own API: used up, so exactly its remaining uses (Discord deletes an invite on its last use).
  Staff deleting it through Discord looks the same, so the range is marked `gone`: when the
  joins seen are too few for it to have been used up, or its invite-delete event came when
  none of them can have spent its last use, the ledger takes it as deleted, 0 up to its
  remaining uses (`deleted_out_of_band`, `vanished.timed_ranges`);
- a code gone otherwise (expired, deleted by our staff, or unlimited): 0..remaining, since it
  may have been used just before it went;
- the vanity URL: exactly the difference of its counter, while both reads saw the same code.
  A code first seen by the later read (the guild got a vanity URL, or a new one) had at most
  its counter's uses; a code the earlier read saw and the later did not (removed, replaced, or
  no longer read) had any number of uses before it went.

Invites reported by INVITE_CREATE after a snapshot join the earlier snapshot with 0 uses, so a
single-use invite created and used up between two fetches is not lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from invite_tracker.domain.invites import InviteEnd

UNLIMITED = 10**9
VANITY = "(vanity)"
"""The pseudo-code under which vanity URL uses are counted."""


@dataclass(frozen=True, slots=True)
class InviteCount:
    """One invite as a snapshot saw it."""

    code: str
    uses: int
    max_uses: int = 0  # 0: unlimited
    expires_at: datetime | None = None
    inviter_id: int | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The guild's invites and vanity counter, read by one request.

    `vanity_uses` is None when the vanity URL was not read with the invites; else it is the
    counter of `vanity_code` (0 and None when the guild has no vanity URL).

    Discord counted the read at some instant between `counted_after` and `counted_before`; a
    join inside that interval may or may not be counted by this snapshot. Without `counted`
    (Discord's own clock when it answered, see `counted_span`) that is the whole flight, from
    `sent_at` to `received_at` (this service's clock, which also paces the reads).

    `in_order`: Discord counted the snapshot's reads (the invite list, and the vanity counter
    with it) at one instant, so of the joins made inside that interval, those it counted are
    the earliest. Not so when the two were counted apart (`counted_in_order`): a join between
    the two counts is counted by one read and not by the other, whatever its time.
    """

    sent_at: datetime
    received_at: datetime
    invites: Mapping[str, InviteCount] = field(default_factory=dict)
    vanity_uses: int | None = None
    counted: tuple[datetime, datetime] | None = None
    vanity_code: str | None = None
    in_order: bool = True

    @property
    def counted_after(self) -> datetime:
        """No join after this instant is counted by the snapshot."""
        return self.sent_at if self.counted is None else self.counted[0]

    @property
    def counted_before(self) -> datetime:
        """Every join before this instant is counted by the snapshot."""
        return self.received_at if self.counted is None else self.counted[1]


def counted_span(
    instants: Sequence[datetime | None], tolerance: timedelta
) -> tuple[datetime, datetime] | None:
    """When Discord counted a snapshot's reads, by its own clock: from the earliest to the
    latest of the reads' instants, widened by `tolerance` each side (Discord's clocks are not
    one). None when a read's instant is unknown: the snapshot then spans its whole flight."""
    known = [instant for instant in instants if instant is not None]
    if not known or len(known) < len(instants):
        return None
    return min(known) - tolerance, max(known) + tolerance


ONE_INSTANT = timedelta(milliseconds=10)
"""Reads Discord counted this close together (by its clocks) are taken as counted at once."""


def counted_in_order(instants: Sequence[datetime | None]) -> bool:
    """Whether a snapshot's reads were counted at one instant (see `Snapshot.in_order`): a
    single read always; several only when each said when, all within ONE_INSTANT."""
    if len(instants) <= 1:
        return True
    known = [instant for instant in instants if instant is not None]
    return len(known) == len(instants) and max(known) - min(known) <= ONE_INSTANT


@dataclass(frozen=True, slots=True)
class UseRange:
    """How many joins a code can account for in a window: lo..hi.

    `gone`: a limited invite that vanished, taken as used up (lo = hi = its remaining uses);
    it may also have been deleted by staff through Discord, with 0 up to hi uses, unless it is
    `spent`: its invite-delete event came as a join seen was made, which may have been its
    last use (then it is not taken for deleted only because the joins seem too few)."""

    lo: int
    hi: int
    gone: bool = False
    spent: bool = False

    @property
    def exact(self) -> bool:
        """True when the count is known exactly."""
        return self.lo == self.hi


def uses_between(
    before: Snapshot, after: Snapshot, *, deleted_by_staff: frozenset[str] = frozenset()
) -> dict[str, UseRange]:
    """The possible uses of every code that may have been used between two snapshots.

    Codes that certainly saw no use are left out. `deleted_by_staff` names codes deleted
    through our own API (a use right before the deletion stays possible).
    """
    ranges: dict[str, UseRange] = {}
    for code, now in after.invites.items():
        previous = before.invites.get(code)
        gained = now.uses - (previous.uses if previous is not None else 0)
        if gained > 0:
            ranges[code] = UseRange(gained, gained)
    for code, previous in before.invites.items():
        if code in after.invites:
            continue
        remaining = previous.max_uses - previous.uses if previous.max_uses else UNLIMITED
        if remaining <= 0:
            continue
        used_up = (
            previous.max_uses > 0
            and not expired_by_read(previous, after)
            and code not in deleted_by_staff
        )
        ranges[code] = (
            UseRange(remaining, remaining, gone=True) if used_up else UseRange(0, remaining)
        )
    vanity = vanity_uses_between(before, after)
    if vanity is not None:
        ranges[VANITY] = vanity
    return ranges


def vanity_uses_between(before: Snapshot, after: Snapshot) -> UseRange | None:
    """The possible uses of the vanity URL between two snapshots; None when none can have
    been counted (or none was read)."""
    # each counter is None when no code was read
    earlier = before.vanity_uses if before.vanity_code is not None else None
    later = after.vanity_uses if after.vanity_code is not None else None
    if earlier is not None and later is not None and before.vanity_code == after.vanity_code:
        gained = later - earlier
        return UseRange(gained, gained) if gained > 0 else None
    if earlier is not None:
        return UseRange(0, UNLIMITED)  # it went, or stopped being read, uncounted since
    if later:
        return UseRange(0, later)  # new: every use its counter has may be since
    return None


def expired_by_read(invite: InviteCount, after: Snapshot) -> bool:
    """The invite may have expired before Discord counted the later snapshot."""
    return invite.expires_at is not None and invite.expires_at <= after.counted_before


def deleted_out_of_band(ranges: Mapping[str, UseRange]) -> dict[str, UseRange]:
    """The ranges with every limited invite that vanished taken as deleted by staff through
    Discord rather than used up: 0 up to its remaining uses."""
    return {code: UseRange(0, r.hi) if r.gone else r for code, r in ranges.items()}


def with_created(snapshot: Snapshot, created: Mapping[str, InviteCount]) -> Snapshot:
    """The snapshot, plus invites created since (as INVITE_CREATE reported them, unused)."""
    added = {code: invite for code, invite in created.items() if code not in snapshot.invites}
    if not added:
        return snapshot
    return replace(snapshot, invites={**snapshot.invites, **added})


@dataclass(frozen=True, slots=True)
class Ending:
    """How an invite that vanished between two snapshots ended, as its decided window tells:
    the invite as last seen (or as INVITE_CREATE reported it), why it went, and its final
    `uses` (all of `max_uses` when used up; else the last seen, which is a lower bound)."""

    invite: InviteCount
    reason: InviteEnd
    uses: int


def endings(
    before: Snapshot,
    after: Snapshot,
    ranges: Mapping[str, UseRange],
    deleted_by_staff: frozenset[str] = frozenset(),
) -> list[Ending]:
    """Why each invite of `before` missing from `after` went, once its window is decided
    (`ranges` as decided: a vanished limited invite still `gone` was used up, one no longer
    `gone` was deleted by staff through Discord, see `deleted_out_of_band`)."""
    found = []
    for code, invite in before.invites.items():
        if code in after.invites:
            continue
        used = ranges.get(code)
        if code in deleted_by_staff:
            reason = InviteEnd.DELETED_BY_STAFF
        elif expired_by_read(invite, after):
            reason = InviteEnd.EXPIRED
        elif (used is not None and used.gone) or 0 < invite.max_uses <= invite.uses:
            reason = InviteEnd.USED_UP
        else:
            reason = InviteEnd.DELETED
        uses = invite.max_uses if reason is InviteEnd.USED_UP else invite.uses
        found.append(Ending(invite, reason, uses))
    return found
