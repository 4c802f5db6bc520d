"""The process boundary: a standard output that loses nothing silently, and interrupts as exit codes.

Used by the console script (:func:`capcheck.cli.main`) only; the library and click's test runner
never touch process-wide state.

* Every write to standard output is checked. Python's own text stream can drop the rest of a
  short write without an error (unbuffered, as under ``PYTHONUNBUFFERED``, when a file size limit
  is reached), and reports a full disk only at exit; here every byte is written or the write
  raises :class:`~capcheck.errors.OutputError` naming ``<stdout>`` (exit 2). A closed pipe stays a
  ``BrokenPipeError``: the reader went away, which ends the command quietly.
* SIGINT and SIGTERM raise :class:`Interrupted` in the main thread, so that ``finally`` blocks and
  the atomic writer's clean-up run on the way out (no temporary file is left behind); the command
  then exits 130 or 143 (128 + the signal number), never a result code. A second signal ends the
  process at once.
"""

from __future__ import annotations

import errno
import io
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from capcheck.errors import OutputError, Problem

__all__ = ["STDOUT", "Interrupted", "checked_stdout", "interrupts", "output_error", "write_all"]


#: How standard output is named in messages.
STDOUT = "<stdout>"


def output_error(target: str, exc: OSError) -> OutputError:
    """The error for a failed write to ``target`` (a path as shown, or :data:`STDOUT`)."""
    return OutputError(Problem(f"cannot write: {exc.strerror or exc}", path=target))


class Interrupted(BaseException):
    """A signal asked the run to stop. A BaseException, so that no rule or plugin swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.name = signal.Signals(signum).name
        #: The shell convention: 128 + the signal number (130 for SIGINT, 143 for SIGTERM).
        self.exit_code = 128 + signum


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd``, or raise: ``os.write`` may write less than asked (a
    file size limit, a signal), and the rest must be written or reported, never dropped."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written == 0:  # pragma: no cover - POSIX write() returns 0 only for a 0-byte request
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        view = view[written:]


class _CheckedWriter(io.RawIOBase):
    """File descriptor 1, written with :func:`write_all`; failures become :class:`OutputError`."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: object) -> int:
        chunk = bytes(data)  # type: ignore[call-overload]  # io hands bytes-like objects
        try:
            write_all(self._fd, chunk)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise output_error(STDOUT, exc) from None
        return len(chunk)

    def close(self) -> None:  # never close fd 1: it belongs to the process
        self.flush()


@contextmanager
def checked_stdout() -> Iterator[None]:
    """Replace ``sys.stdout`` with a checked, write-through stream on the same file descriptor
    (when it is the process's own stdout with a descriptor; otherwise leave it alone)."""
    original = sys.stdout
    try:
        fd = original.fileno() if original is sys.__stdout__ and original is not None else None
    except (AttributeError, OSError, ValueError):
        fd = None
    if fd is None or original is None:
        yield
        return
    original.flush()
    # A raw stream that never writes short is all TextIOWrapper needs (its typing asks for a buffered one).
    raw: Any = _CheckedWriter(fd)
    stream = io.TextIOWrapper(
        raw,
        encoding=original.encoding,
        errors=original.errors,
        write_through=True,
    )
    sys.stdout = stream
    try:
        yield
    finally:
        sys.stdout = original


@contextmanager
def interrupts() -> Iterator[None]:
    """While inside, SIGINT and SIGTERM raise :class:`Interrupted` (main thread only; a signal the
    parent set to be ignored stays ignored). The previous handlers are restored on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        if received:  # a second signal while cleaning up: stop now
            os._exit(128 + signum)
        received.append(signum)
        raise Interrupted(signum)

    previous: dict[int, object] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        current = signal.getsignal(signum)
        if current is signal.SIG_IGN:
            continue
        previous[signum] = current
        signal.signal(signum, handler)
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)  # type: ignore[arg-type]  # what getsignal returned
