"""The progress display of a long check: one line on standard error, redrawn in place.

It shows the evidence files loaded (of how many, and their records), the rules evaluated (of how
many) and records per second. It is drawn only on a terminal, at most ten times a second, and not
before the run has taken half a second (a quick check shows nothing); it is cleared before the report
is printed, and when the run stops on an error. Whether it is on is a setting
(:mod:`capcheck.app.settings`: ``--no-progress``, ``CAPCHECK_NO_PROGRESS``, ``CI``, ``TERM=dumb``).

The evidence reader and the engine call :meth:`Progress.file_loaded` and :meth:`Progress.rule_done`;
the runner says how many files and rules there are. Each call costs a clock read at most.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

from capcheck.core.wording import noun_for

__all__ = ["Progress", "progress_display"]

#: The shortest time between two redraws, in seconds (at most ten a second).
REDRAW_INTERVAL = 0.1
#: Nothing is drawn before the run has taken this long: a quick check shows no progress at all.
FIRST_DRAW_AFTER = 0.5


class Progress:
    """Counts a check's progress and redraws one line on ``stream`` (a terminal)."""

    def __init__(
        self,
        stream: TextIO,
        *,
        clock: Callable[[], float] = time.monotonic,
        width: int | None = None,
        first_draw_after: float = FIRST_DRAW_AFTER,
    ) -> None:
        self.stream = stream
        self.clock = clock
        self.width = width if width is not None else shutil.get_terminal_size((80, 24)).columns
        self.started = clock()
        self.first_draw_after = first_draw_after
        self.files_total: int | None = None
        self.files = 0
        self.records = 0
        self.rules_total: int | None = None
        self.rules = 0
        self.judged = 0
        self._load_started = self.started
        self._eval_started: float | None = None
        self._last_draw: float | None = None
        self.drawn = False
        #: How many times the line was drawn (tests and curious people).
        self.draws = 0

    # -- what the reader, the engine and the runner report -------------------------------------

    def files_found(self, total: int) -> None:
        """The evidence reader found ``total`` files to load."""
        self.files_total = total
        self._load_started = self.clock()
        self._tick()

    def file_loaded(self, records: int) -> None:
        """One evidence file was read, holding ``records`` records."""
        self.files += 1
        self.records += records
        self._tick()

    def records_loaded(self, records: int) -> None:
        """More records of a file already counted (a register divided among the processes of a split check)."""
        self.records += records
        self._tick()

    def rules_found(self, total: int) -> None:
        """The engine is about to evaluate ``total`` rules."""
        self.rules_total = total
        self._eval_started = self.clock()
        self._tick()

    def rule_done(self, judged: int) -> None:
        """One rule finished, having judged ``judged`` records (or groups)."""
        self.rules += 1
        self.judged += judged
        self._tick()

    # -- drawing ---------------------------------------------------------------------------------

    def line(self, now: float) -> str:
        """The line as it would be drawn at ``now``."""
        files = f"{self.files}/{self.files_total}" if self.files_total is not None else str(self.files)
        parts = [f"files {files} ({self.records:,} {noun_for(self.records, 'record')})"]
        if self._eval_started is None:
            rate = self.records / max(now - self._load_started, 1e-9)
        else:
            parts.append(f"rules {self.rules}/{self.rules_total}")
            rate = self.judged / max(now - self._eval_started, 1e-9)
        parts.append(f"{rate:,.0f} records/s")
        text = "capcheck: " + ", ".join(parts)
        return text[: max(self.width - 1, 10)]

    def _tick(self) -> None:
        now = self.clock()
        if now - self.started < self.first_draw_after:
            return
        if self._last_draw is not None and now - self._last_draw < REDRAW_INTERVAL:
            return
        self._last_draw = now
        self._write("\r" + self.line(now) + "\x1b[K")
        self.drawn = True
        self.draws += 1

    def clear(self) -> None:
        """Erase the line, if one was drawn (before the report, or an error, is printed)."""
        if self.drawn:
            self._write("\r\x1b[K")
            self.drawn = False

    def _write(self, text: str) -> None:
        # A display that cannot be drawn is no reason to stop a check: the report still matters.
        with contextlib.suppress(OSError, ValueError):
            self.stream.write(text)
            self.stream.flush()


@contextlib.contextmanager
def progress_display(enabled: bool, stream: TextIO | None = None) -> Iterator[Progress | None]:
    """A :class:`Progress` on ``stream`` (standard error) when ``enabled``, else None; cleared on the way
    out, whether the run finished or stopped on an error or an interrupt."""
    if not enabled:
        yield None
        return
    progress = Progress(stream if stream is not None else sys.stderr)
    try:
        yield progress
    finally:
        progress.clear()
