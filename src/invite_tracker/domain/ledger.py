"""The attribution ledger of one guild: snapshots, joins, and when a join can be decided.

Snapshots cut time into windows. A join belongs to the window its `joined_at` (Discord's own
timestamp, so a late or reordered event still lands in the right place) falls in; a join made
while Discord may have been counting a snapshot (its whole flight, or a few milliseconds when
Discord's clock says when it answered) may be on either side of it, which links the two windows
into one segment solved together. A window is decided once it is closed by a snapshot and the
margin for late join events has passed since, so every join of it is known (a window whose
uses outnumber the join events seen waits longer for them, up to `patience`, unless the uses
without a join are those of limited invites that vanished: then staff deleted them through
Discord, which looks the same as being used up). Decided windows
are kept a while: a join event arriving even later is placed in its window, but the window was
decided without it, so it is ambiguous between the invites used there and none.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from invite_tracker.domain.decisions import Decision, decide
from invite_tracker.domain.evidence import (
    Ending,
    InviteCount,
    Snapshot,
    deleted_out_of_band,
    endings,
    uses_between,
    with_created,
)
from invite_tracker.domain.invites import InviteEnd, JoinType, KnownInvite
from invite_tracker.domain.matching import SegmentWindow, solve_segment
from invite_tracker.domain.vanished import (
    GoneReport,
    Span,
    expired_by,
    reported_spans,
    timed_ranges,
    usable,
)
from invite_tracker.domain.windows import ReadWindow, Settled, decide_late, settled_window

LOOKAHEAD = 3
"""Windows after the oldest one that may be read before it is decided (see `decides_at`)."""


@dataclass(slots=True)
class Ledger:
    """One guild's pending joins and the snapshots that will explain them."""

    baseline: Snapshot
    margin: timedelta = timedelta(seconds=1)
    keep_settled: timedelta = timedelta(minutes=5)
    patience: timedelta = timedelta(seconds=5)
    """How long after its read a window with uses but too few join events waits for them."""
    _windows: list[ReadWindow] = field(default_factory=list)
    _joins: dict[Hashable, datetime] = field(default_factory=dict)
    _created: dict[str, InviteCount] = field(default_factory=dict)
    _staff_deleted: set[str] = field(default_factory=set)
    _gone_reported: dict[str, GoneReport] = field(default_factory=dict)
    _settled: list[Settled] = field(default_factory=list)
    _waiting_until: datetime | None = None
    _endings: list[Ending] = field(default_factory=list)

    @property
    def latest(self) -> Snapshot:
        """The most recent snapshot."""
        return self._windows[-1].after if self._windows else self.baseline

    @property
    def pending(self) -> int:
        """Joins not decided yet."""
        return len(self._joins)

    def waits_for(self, key: Hashable) -> bool:
        """True while the join is added and not decided yet."""
        return key in self._joins

    def add_join(self, key: Hashable, joined_at: datetime) -> None:
        """A non-bot join to attribute."""
        self._joins[key] = joined_at

    def invite_created(self, invite: InviteCount) -> None:
        """INVITE_CREATE: the invite exists since the latest snapshot, unused."""
        self._created[invite.code] = invite

    def deleted_by_staff(self, code: str) -> None:
        """Our own DELETE /invite removed this code."""
        self._staff_deleted.add(code)

    def invite_news(self, news: Iterable[KnownInvite], *, until: datetime | None = None) -> None:
        """Invites events reported changed since the latest snapshot was sent (possibly to
        another worker): one its read did not list and first seen since is created since, with
        no use yet, so a single-use invite created and used up before the next read is not
        lost; one deleted through our own API may have been used just before.

        `until`: when the read that closes the window was sent, if it is already on its way.
        An invite first seen after that may have been created after Discord counted the read,
        which would then not list it: it is news for the next window, not this one (taken for
        this one, it would seem to have vanished, used up).

        An invite reported gone otherwise (an invite-delete event) says when it went at the
        latest, which `vanished.timed_ranges` and `vanished.usable` weigh against the joins
        that could have used it."""
        latest = self.latest
        for invite in news:
            if invite.deleted_reason is InviteEnd.DELETED_BY_STAFF:
                self.deleted_by_staff(invite.code)
            elif (report := GoneReport.of(invite)) is not None:
                self._gone_reported[invite.code] = report
            if until is not None and invite.first_seen_at >= until:
                continue
            if invite.code not in latest.invites and invite.first_seen_at >= latest.sent_at:
                self.invite_created(
                    InviteCount(
                        code=invite.code,
                        uses=0,
                        max_uses=invite.max_uses or 0,
                        expires_at=invite.expires_at,
                        inviter_id=invite.inviter_id,
                    )
                )

    def needs_snapshot(self) -> bool:
        """True while some join happened after the latest snapshot was requested."""
        return any(self.unread(joined_at) for joined_at in self._joins.values())

    def unread(self, joined_at: datetime) -> bool:
        """True when a join at `joined_at` (held or not) may not be counted by the latest
        snapshot: it calls for another read."""
        return joined_at >= self.latest.counted_after

    def observe(self, snapshot: Snapshot) -> None:
        """Add a snapshot, closing the window since the previous one."""
        before = with_created(self.latest, self._created)
        staff = frozenset(self._staff_deleted)
        ranges = uses_between(before, snapshot, deleted_by_staff=staff)
        inviters = {code: invite.inviter_id for code, invite in before.invites.items()}
        inviters.update({code: invite.inviter_id for code, invite in snapshot.invites.items()})
        self._windows.append(ReadWindow(before, snapshot, ranges, inviters, staff))
        self._created.clear()
        self._staff_deleted.clear()

    def settle(self, now: datetime) -> list[Decision]:
        """Decide every join whose evidence is complete (or whose deadline has passed)."""
        decisions = self._late_joins(now)
        while self._windows:
            decided = self._settle_first_segment(now)
            if decided is None:
                break
            decisions.extend(decided)
        cutoff = now - self.keep_settled
        self._settled = [item for item in self._settled if item.settled_at >= cutoff]
        # a report is kept while a window may still weigh it: its invite is still listed, or
        # vanished in a window not decided yet or kept for late joins
        weighed = set(self.latest.invites).union(
            *(window.ranges for window in self._windows),
            *(item.window.ranges for item in self._settled),
        )
        self._gone_reported = {
            code: report
            for code, report in self._gone_reported.items()
            if code in weighed or report.at >= cutoff
        }
        return decisions

    def _reported_spans(self, window: ReadWindow) -> dict[str, Span]:
        return reported_spans(window, self._gone_reported, self.margin)

    def _place(self, joined_at: datetime, count: int) -> tuple[int, bool] | None:
        """(window index, on the boundary after it) for a join among the open windows."""
        for index in range(count):
            window = self._windows[index]
            if joined_at < window.after.counted_after:
                return index, False
            if joined_at < window.after.counted_before:
                return index, True
        return None

    @property
    def decides_at(self) -> datetime | None:
        """When the oldest open window can be decided (None: it waits for another read).

        Not before every join event of it can have arrived. If joins were made while its
        closing read was in flight, the next window must be read and complete too, since only
        its counts tell whether they were counted (and so what the window's own joins used);
        and so on while the next reads have joins in flight too, up to `LOOKAHEAD` windows.
        """
        end = self._segment_end()
        if end is None:
            return None
        deadline = self._deadline(end)
        if self._waiting_until is not None and self._waiting_until > deadline:
            return self._waiting_until
        return deadline

    def _deadline(self, end: int) -> datetime:
        """The joins of windows up to `end` were made before its read was counted: their
        events are in a margin after that (the margin is measured from `joined_at`, Discord's
        clock, to when the event was stored, so the two clocks' difference is in it)."""
        return self._windows[end].after.counted_after + self.margin

    def _segment_end(self) -> int | None:
        """The last window the oldest one is solved with; None while a read is missing."""
        for index, window in enumerate(self._windows):
            if index == LOOKAHEAD or not self._in_flight(window.after):
                return index
        return None

    def _in_flight(self, snapshot: Snapshot) -> bool:
        return any(
            snapshot.counted_after <= at < snapshot.counted_before for at in self._joins.values()
        )

    def _settle_first_segment(self, now: datetime) -> list[Decision] | None:
        end = self._segment_end()
        if end is None or now < self._deadline(end):
            # Even when the joins seen already cover the window's uses: a join that used no
            # invite would otherwise stand in for a member whose event is late, and take that
            # member's invite.
            return None
        previous = self._previous_window()
        placed: dict[Hashable, tuple[int, bool]] = {}
        edge: list[Hashable] = []
        for key, joined_at in self._joins.items():
            if previous is not None and joined_at < self.baseline.counted_before:
                edge.append(key)  # made while the baseline was read: maybe counted there
                continue
            spot = self._place(joined_at, len(self._windows))
            if spot is not None:
                placed[key] = spot
        # One window is decided at a time. Joins made during its closing read are solved with
        # the next windows (which say on which side they were counted) but stay undecided:
        # they are placed when the next window is decided, with this one linked in. The chain
        # is cut after LOOKAHEAD windows: in a raid where every read has joins in flight it
        # would otherwise grow and decide nothing. Only then are the last read's joins in
        # flight assumed counted no more than the uses need.
        segment = self._windows[: end + 1]
        open_end = sum(1 for spot in placed.values() if spot == (end, True))
        definite = [0] * len(segment)
        boundaries: list[list[float]] = [[] for _ in range(end)]  # the joins' times
        for key, (index, on_boundary) in placed.items():
            if index > end or (index == end and on_boundary):
                continue
            if on_boundary:
                boundaries[index].append(self._joins[key].timestamp())
            else:
                definite[index] += 1
        windows = [
            SegmentWindow(
                timed_ranges(w, self._gone_reported, self._joins.values(), self.margin), count
            )
            for w, count in zip(segment, definite, strict=True)
        ]
        linked = previous is not None and bool(edge)
        shift = 1 if linked else 0  # where this segment's first window is in `windows`
        if linked:
            assert previous is not None
            # The decided window before the baseline joins the segment, linked by the joins
            # made while the baseline was read: they may be its missing joins.
            windows.insert(0, SegmentWindow(previous.window.ranges, previous.joins))
            boundaries.insert(0, [self._joins[key].timestamp() for key in edge])
        joins = sum(w.joins for w in windows) + sum(map(len, boundaries)) + open_end
        observed = sum(r.lo for window in windows for r in window.ranges.values())
        relaxed = joins < observed
        # The uses without a join may be those of limited invites that vanished: too few joins
        # to have used them up, so staff deleted them through Discord (it looks the same)
        # rather than their members' events being late. Not in a window where one's delete
        # event came as a join was made (that join may have spent it, and others may be late),
        # unless another vanished with nothing to say whether it was used: that join may have
        # spent the other one.
        untold = any(r.gone and not r.spent for w in windows for r in w.ranges.values())
        revoked = [
            window
            if not untold and any(r.spent for r in window.ranges.values())
            else SegmentWindow(deleted_out_of_band(window.ranges), window.joins)
            for window in windows
        ]
        if relaxed and joins >= sum(r.lo for window in revoked for r in window.ranges.values()):
            windows = revoked
            relaxed = False
        waiting_until = self._windows[end].after.sent_at + self.patience
        if relaxed and now < waiting_until:
            # Some uses have no join yet: their events are later than the margin, so the
            # joins seen may include one through no invite standing in for them. Wait for
            # them a while longer before assuming every join seen used an invite.
            self._waiting_until = waiting_until
            return None
        self._waiting_until = None
        # a read's joins are in time order only if it counted its reads at once (`in_order`)
        reads = [self.baseline] * shift + [window.after for window in segment[:end]]
        timed = [t if r.in_order else len(t) for t, r in zip(boundaries, reads, strict=True)]
        answer = solve_segment(windows, timed, relaxed=relaxed, open_end=open_end)
        decisions = []
        vanity = self.baseline.vanity_code  # where the segment (and any edge join) starts
        inviters = segment[0].inviters
        ends = (expired_by(segment[0]), self._reported_spans(segment[0]))  # see `usable`
        if shift and previous is not None:
            # an edge join may have used a code of either window: only the later one may
            # know it (created after the earlier read answered)
            inviters = {**previous.window.inviters, **segment[0].inviters}
            ends = (
                {**expired_by(previous.window), **ends[0]},
                {**self._reported_spans(previous.window), **ends[1]},
            )
        for rank, key in enumerate(sorted(edge, key=self._joins.__getitem__)):
            found = answer.ranked[0][rank] if shift else answer.windows[0]
            found = usable(found, self._joins.pop(key), *ends)
            decisions.append(decide(key, found, inviters, answer.consistent, vanity))
        for key, spot in placed.items():
            if spot != (0, False):
                continue  # the next window's, or on its boundary: decided with it
            found = usable(answer.windows[shift], self._joins.pop(key), *ends)
            decisions.append(decide(key, found, segment[0].inviters, answer.consistent, vanity))
        decided = definite[0]
        if linked and previous is not None:
            # Keep each decided window's join count true for what comes after: the edge joins
            # fill what the previous window left unexplained first, the rest are this one's.
            unexplained = sum(r.lo for r in windows[0].ranges.values()) - previous.joins
            to_previous = min(len(edge), max(0, unexplained))
            previous.joins += to_previous
            decided += len(edge) - to_previous
        elif edge:
            decided += len(edge)
        first = segment[0]
        first.ranges = windows[shift].ranges  # as decided: gone invites used up or deleted
        self._settled.append(Settled(first, decided, now))
        self._endings += endings(first.before, first.after, first.ranges, first.staff_deleted)
        del self._windows[0]
        self.baseline = first.after
        return decisions

    def take_endings(self) -> list[Ending]:
        """How the invites that vanished in the windows decided since the last call ended."""
        found, self._endings = self._endings, []
        return found

    def _previous_window(self) -> Settled | None:
        """The decided window the baseline closed, if it is still kept."""
        if self._settled and self._settled[-1].window.after is self.baseline:
            return self._settled[-1]
        return None

    def _late_joins(self, now: datetime) -> list[Decision]:
        """Joins that belong before the baseline: in a decided window, or before any."""
        decisions = []
        for key, joined_at in list(self._joins.items()):
            if joined_at >= self.baseline.counted_after:
                continue
            del self._joins[key]
            settled = settled_window(self._settled, joined_at)
            if settled is None:
                decisions.append(
                    Decision(key, JoinType.UNKNOWN, reason="joined before the snapshots kept")
                )
                continue
            decisions.append(
                decide_late(key, joined_at, settled, self._reported_spans(settled.window))
            )
        return decisions
