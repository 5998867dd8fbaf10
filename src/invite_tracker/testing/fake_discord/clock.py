"""The fake's clock: real time shifted by an offset, or frozen, so expiry tests never sleep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """The world's notion of "now" (invite expiry, interaction tokens, timestamps).

    It follows the real clock plus an offset until it is frozen with `set`; `advance` moves it
    forward either way. Rate limits deliberately use the real monotonic clock instead, because
    HTTP clients sleep in real time before they retry.
    """

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        """The current fake time, timezone-aware UTC."""
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC) + self._offset

    @property
    def frozen(self) -> bool:
        """Whether the clock stands still until moved explicitly."""
        return self._frozen is not None

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by `seconds` (negative moves it back) and return the new time."""
        step = timedelta(seconds=seconds)
        if self._frozen is not None:
            self._frozen += step
        else:
            self._offset += step
        return self.now()

    def set(self, when: datetime, *, freeze: bool = True) -> datetime:
        """Jump to `when` (UTC-aware), frozen there unless `freeze` is false."""
        if when.tzinfo is None:
            raise ValueError("the fake clock needs a timezone-aware datetime")
        when = when.astimezone(UTC)
        if freeze:
            self._frozen = when
        else:
            self._frozen = None
            self._offset = when - datetime.now(UTC)
        return self.now()

    def resume(self) -> datetime:
        """Unfreeze: keep ticking in real time from the current fake time."""
        if self._frozen is not None:
            self._offset = self._frozen - datetime.now(UTC)
            self._frozen = None
        return self.now()

    def reset(self) -> datetime:
        """Back to the real time, ticking."""
        self._offset = timedelta(0)
        self._frozen = None
        return self.now()
