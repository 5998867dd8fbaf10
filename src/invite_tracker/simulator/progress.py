"""Progress on stderr while a scenario runs: one line redrawn in place on a terminal, plain
lines every few seconds otherwise (logs, CI)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Protocol, TextIO


@dataclass(frozen=True, slots=True)
class Status:
    """Where a run stands."""

    phase: str  # "playing", "settling"
    delivered: int  # joins whose member-add event has been delivered
    final: int  # joins known to be final
    total: int  # joins in the timeline
    elapsed: float


class ProgressSink(Protocol):
    """Anything the runner can report progress to."""

    def begin(self, label: str) -> None:
        """A run starts."""

    def update(self, status: Status) -> None:
        """The run moved on (called a few times per second)."""

    def end(self, summary: str) -> None:
        """The run is over."""


class Silent:
    """No progress (tests)."""

    def begin(self, label: str) -> None:
        """Nothing."""

    def update(self, status: Status) -> None:
        """Nothing."""

    def end(self, summary: str) -> None:
        """Nothing."""


class StderrProgress:
    """A counter on stderr: redrawn in place on a TTY, a line every `every` seconds if not."""

    def __init__(self, stream: TextIO | None = None, *, every: float = 5.0) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._every = every
        self._label = ""
        self._last = 0.0

    def begin(self, label: str) -> None:
        """Start a new line for the run."""
        self._label = label
        self._last = 0.0
        if not self._tty:
            self._write(f"{label}: starting\n")

    def update(self, status: Status) -> None:
        """Redraw (TTY) or print every few seconds."""
        line = (
            f"{self._label}: {status.phase} {status.elapsed:5.1f} s, "
            f"{status.delivered}/{status.total} joins delivered, {status.final} final"
        )
        if self._tty:
            self._write("\r\x1b[K" + line)
            return
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._write(line + "\n")

    def end(self, summary: str) -> None:
        """Finish the run's line with a summary."""
        prefix = "\r\x1b[K" if self._tty else ""
        self._write(f"{prefix}{self._label}: {summary}\n")

    def _write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()
