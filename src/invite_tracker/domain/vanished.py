"""When an invite that vanished between two reads can have been used: its invite-delete event
and its expiry, weighed against the joins of the window.

Discord deletes a used-up invite at its last use, and staff revoking one through Discord look
the same to the counts (`evidence.UseRange.gone`). The delete event's stored time tells them
apart when a join fits, or none does; an expiry (Discord's clock, as `joined_at` is) rules out
every join after it. The ledger (`ledger.Ledger`) runs these rules on each window it decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from invite_tracker.domain.evidence import Snapshot, UseRange, expired_by_read
from invite_tracker.domain.invites import InviteEnd, KnownInvite
from invite_tracker.domain.matching import NO_INVITE

CLOCK_SLACK = timedelta(seconds=1)
"""How far this service's clock (when an event was stored) may be behind Discord's (a join's
`joined_at`) when no read says (see `clock_behind`)."""
EXPIRY_SLACK = timedelta(milliseconds=50)
"""How long after its `expires_at` an invite is still taken to be usable (both are Discord's
clock; this only absorbs rounding)."""

Span = tuple[datetime | None, datetime]
"""When a join can have used an invite: from (None: any time) until."""


class Window(Protocol):
    """A window between two reads, with the possible uses of each code in it."""

    @property
    def before(self) -> Snapshot: ...
    @property
    def after(self) -> Snapshot: ...
    @property
    def ranges(self) -> Mapping[str, UseRange]: ...


@dataclass(frozen=True, slots=True)
class GoneReport:
    """An invite-delete event, as stored: `at` is when (this service's clock); `told` is True
    when nothing but the event says it went (reason `deleted`), so it was stored as soon as the
    event came, within the delivery margin of the deletion. Other reasons may have been stored
    later (a list read missing the invite), so their time is only an upper bound."""

    at: datetime
    told: bool

    @staticmethod
    def of(invite: KnownInvite) -> GoneReport | None:
        """The report of an invite stored gone otherwise than through our own API."""
        if invite.deleted_at is None or invite.deleted_reason is InviteEnd.DELETED_BY_STAFF:
            return None
        return GoneReport(invite.deleted_at, invite.deleted_reason is InviteEnd.DELETED)


def clock_behind(window: Window) -> timedelta:
    """How far this service's clock may be behind Discord's: at the instant Discord counted a
    read (its clock, `counted_before` at the latest) this clock said `sent_at` at least. Without
    Discord's instant for either read, `CLOCK_SLACK`."""
    bounds = [
        snapshot.counted_before - snapshot.sent_at
        for snapshot in (window.before, window.after)
        if snapshot.counted is not None
    ]
    return max(timedelta(0), min(bounds)) if bounds else CLOCK_SLACK


def expired_by(window: Window) -> dict[str, datetime]:
    """The invites that vanished in the window, may have been used there and had expired by
    the read that closed it, with when they expired, by Discord's clock (give or take
    `EXPIRY_SLACK`)."""
    found = {}
    for code in window.ranges:
        invite = window.before.invites.get(code)
        if code in window.after.invites or invite is None or invite.expires_at is None:
            continue
        if expired_by_read(invite, window.after):
            found[code] = invite.expires_at + EXPIRY_SLACK
    return found


def reported_spans(
    window: Window, reports: Mapping[str, GoneReport], margin: timedelta
) -> dict[str, Span]:
    """The invites that vanished in the window, may have been used there and were reported
    gone, with when a join can have used them (Discord's clock). Not after the invite-delete
    event was stored (this service's clock, at most `clock_behind` Discord's). And for a
    limited invite with one use left, taken as used up, whose event was stored as it came: not
    before a delivery `margin` before that either, since its only use would be its last, at
    which Discord deletes it."""
    behind = clock_behind(window)
    spans = {}
    for code, used in window.ranges.items():
        report = reports.get(code)
        if report is None or code in window.after.invites:
            continue
        last_only = report.told and used.gone and used.hi == 1
        spans[code] = (report.at - margin if last_only else None, report.at + behind)
    return spans


def timed_ranges(
    window: Window,
    reports: Mapping[str, GoneReport],
    joins: Iterable[datetime],
    margin: timedelta,
) -> dict[str, UseRange]:
    """The window's ranges, each limited invite that vanished (taken as used up) weighed
    against its invite-delete event and the `joins` seen so far. Discord deletes a used-up
    invite at its last use, so the member who spent it joined before the event was stored and,
    when the event was stored as it came, no earlier than a delivery `margin` before that.
    When no join of the window fits, staff revoked it through Discord (0 up to its remaining
    uses: a member whose event is late may still have spent it). When one does, and the joins
    seen before the event are enough to have used it up, it is `spent`: the window waits for
    the join events still missing rather than take it for revoked because the joins seem too
    few (see `Ledger._settle_first_segment`). A join through no invite close to a staff
    deletion (within that span) is still taken for its last use."""
    adjusted = dict(window.ranges)
    behind = clock_behind(window)
    inside = [
        joined_at
        for joined_at in joins
        if window.before.counted_after <= joined_at < window.after.counted_before
    ]
    for code, used in window.ranges.items():
        report = reports.get(code)
        if not used.gone or report is None or code in window.after.invites:
            continue
        earliest = report.at - margin if report.told else None
        seen = [joined_at for joined_at in inside if joined_at <= report.at + behind]
        if not any(earliest is None or earliest <= joined_at for joined_at in seen):
            adjusted[code] = UseRange(0, used.hi)
        elif len(seen) >= used.hi:
            adjusted[code] = replace(used, spent=report.told)
        # else too few joins seen to have used it up: the counts tell (see the shortcut)
    return adjusted


def usable(
    found: frozenset[str],
    joined_at: datetime,
    expired: Mapping[str, datetime],
    reported: Mapping[str, Span],
) -> frozenset[str]:
    """The candidates a join made at `joined_at` can have used: not an invite expired before
    (`expired_by`), nor one reported gone outside the span its use can have been in
    (`reported_spans`). All of them if none would be left (the evidence disagrees).

    A delete event narrows the candidates only down to several, or to no invite at all.
    Whether a limited invite that vanished was used up is itself inferred, and staff revoking
    it in Discord look the same: were that wrong (a join through no invite near the revoke),
    the window's candidates assume a use that never was, and narrowing a join down to one
    invite on them would turn that ambiguity into a wrong credit."""
    kept = frozenset(code for code in found if code not in expired or joined_at <= expired[code])
    narrower = frozenset(
        code for code in kept if code not in reported or _within(joined_at, *reported[code])
    )
    if len(narrower) > 1 or narrower == {NO_INVITE}:
        kept = narrower
    return kept or found


def _within(instant: datetime, earliest: datetime | None, latest: datetime) -> bool:
    return (earliest is None or earliest <= instant) and instant <= latest
