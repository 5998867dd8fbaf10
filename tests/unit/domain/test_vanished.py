"""When a vanished invite can have been used: the rules on their own (the ledger's tests play
them through whole windows)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from invite_tracker.domain.evidence import InviteCount, Snapshot, UseRange
from invite_tracker.domain.invites import InviteEnd
from invite_tracker.domain.matching import NO_INVITE
from invite_tracker.domain.vanished import (
    CLOCK_SLACK,
    GoneReport,
    clock_behind,
    expired_by,
    usable,
)
from tests.unit.domain.test_ledger import at, known
from tests.unit.domain.test_ledger_vanished import gone_news

MS = timedelta(milliseconds=1)


@dataclasses.dataclass
class Window:
    before: Snapshot
    after: Snapshot
    ranges: dict[str, UseRange]


def read(
    seconds: float, counted_ms: tuple[int, int] | None = None, **invites: InviteCount
) -> Snapshot:
    counted = None
    if counted_ms is not None:
        counted = (at(seconds) + counted_ms[0] * MS, at(seconds) + counted_ms[1] * MS)
    return Snapshot(at(seconds), at(seconds) + 80 * MS, invites, counted=counted)


@pytest.mark.parametrize(
    ("before", "after", "behind"),
    [
        (None, None, CLOCK_SLACK),  # no read says: the fallback
        ((20, 30), None, 30 * MS),  # Discord counted by 30 ms after it was sent, by its clock
        ((20, 30), (10, 15), 15 * MS),  # the tighter read bounds it
        ((-40, -20), (20, 30), timedelta(0)),  # this clock ahead: never below 0
    ],
)
def test_clock_behind(
    before: tuple[int, int] | None, after: tuple[int, int] | None, behind: timedelta
) -> None:
    assert clock_behind(Window(read(0, before), read(1, after), {})) == behind


def test_expired_by_names_only_invites_gone_and_expired_by_the_closing_read() -> None:
    soon = InviteCount("soon", 0, expires_at=at(0.5))
    later = InviteCount("later", 0, expires_at=at(7 * 86_400))  # vanished for another reason
    kept = InviteCount("kept", 0, expires_at=at(0.2))  # still listed: its count is exact
    window = Window(
        read(0, soon=soon, later=later, kept=kept),
        read(1, kept=kept),
        {code: UseRange(0, 1) for code in ("soon", "later", "kept")},
    )
    assert expired_by(window) == {"soon": at(0.5) + 50 * MS}


@pytest.mark.parametrize(
    ("found", "joined", "kept"),
    [
        # after the expiry: the expired invite goes, whatever is left
        ({"exp", "a"}, 3.0, {"a"}),
        ({"exp", "a"}, 1.0, {"exp", "a"}),
        # after the delete event: it goes when several candidates are left ...
        ({"gone", "a", "b"}, 3.0, {"a", "b"}),
        # ... or no invite at all
        ({"gone", NO_INVITE}, 3.0, {NO_INVITE}),
        # ... never down to one invite: "gone" being used up is itself inferred
        ({"gone", "a"}, 3.0, {"gone", "a"}),
        # before the span of a single remaining use
        ({"gone", NO_INVITE}, 0.5, {NO_INVITE}),
        ({"gone", NO_INVITE}, 1.5, {"gone", NO_INVITE}),
        # nothing would be left: the evidence disagrees, all stay
        ({"exp"}, 3.0, {"exp"}),
    ],
)
def test_usable(found: set[str], joined: float, kept: set[str]) -> None:
    expired = {"exp": at(2)}
    reported = {"gone": (at(1), at(2))}
    assert usable(frozenset(found), at(joined), expired, reported) == kept


@pytest.mark.parametrize(
    ("reason", "report"),
    [
        (InviteEnd.DELETED, GoneReport(at(1), told=True)),  # the event alone: as it came
        (InviteEnd.VANISHED, GoneReport(at(1), told=False)),  # a later list read: a bound
        (InviteEnd.USED_UP, GoneReport(at(1), told=False)),
        (InviteEnd.DELETED_BY_STAFF, None),  # through our own API: known otherwise
        (None, None),  # still live
    ],
)
def test_gone_report_of(reason: InviteEnd | None, report: GoneReport | None) -> None:
    invite = known("x", -1) if reason is None else gone_news("x", 1, reason)
    assert GoneReport.of(invite) == report
