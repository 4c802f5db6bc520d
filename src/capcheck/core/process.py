"""The process boundary: a standard output that loses nothing silently, and interrupts as exit codes.

Used by the console script (:func:`capcheck.cli.main`) only; the library and click's test runner
never touch process-wide state.

* Every write to standard output is checked. Python's own text stream can drop the rest of a
  short write without an error (unbuffered, as under ``PYTHONUNBUFFERED``, when a file size limit
  is reached), and reports a full disk only at exit; here every byte is written or the write
  raises :class:`~capcheck.core.errors.OutputError` naming ``<stdout>`` (exit 2). A closed pipe stays a
  ``BrokenPipeError``: the reader went away, which ends the command quietly.
* Standard error is checked the same way: the first write to it that fails raises
  :class:`~capcheck.core.errors.OutputError` naming ``<stderr>`` (exit 2: the run could not report, not
  a result), and every later write to it is dropped, so that saying so cannot fail again and no
  traceback follows.
* A standard output or error closed when the process started (``>&-``, ``2>&-``) is held with
  ``/dev/null`` (see :func:`_hold_closed`): writes to standard output fail as on the closed descriptor
  (exit 2 naming ``<stdout>``), messages to standard error are dropped, and no file opened later gets
  descriptor 1 or 2 and what is written there.
* SIGINT and SIGTERM raise :class:`Interrupted` in the main thread, so that ``finally`` blocks and
  the atomic writer's clean-up run on the way out (no temporary file is left behind); the command
  then exits 130 or 143 (128 + the signal number), never a result code. Further signals are
  ignored from then on: a second Ctrl-C during the clean-up must not cut it short and leave a
  temporary file behind (the clean-up is short; SIGKILL still ends the process).
* The process the user waits for does not make them wait for the end of the one that did the work
  (:func:`hand_off`, as the mold linker does): a check forks a worker before it loads any evidence, and exits
  with the worker's code as soon as the worker says its outputs are written and synced
  (:func:`say_done`); the worker then gives its memory back to the system in the background (0.66 s for
  a check of 3 million records). A worker that ends without saying so is waited for: its exit code, or
  exit 2 saying what killed it. SIGINT and SIGTERM sent to the waiting process are passed on to the worker,
  which cleans up as above; the worker ends with SIGTERM if the waiting process is killed.
* A process that ends without the interpreter's teardown (the console script: ``os._exit`` once its
  output is written; :func:`ends_without_teardown`) need not free what it made one object at a time:
  :func:`keep_to_the_end` keeps such objects (a split check's own records) referenced until then. In
  any other process it keeps nothing.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from types import FrameType
from typing import Any

from capcheck.core.errors import OutputError, Problem

__all__ = [
    "NO_HAND_OFF_ENV",
    "STDERR",
    "STDOUT",
    "Interrupted",
    "checked_stderr",
    "checked_stdout",
    "close_at_the_end",
    "ends_without_teardown",
    "hand_off",
    "handed_off",
    "interrupts",
    "keep_to_the_end",
    "let_go_of_std_streams",
    "output_error",
    "say_done",
    "write_all",
]


#: How standard output is named in messages.
STDOUT = "<stdout>"
#: How standard error is named in messages.
STDERR = "<stderr>"


#: What :func:`keep_to_the_end` keeps (once :func:`ends_without_teardown` is called).
_KEPT: list[object] | None = None


def ends_without_teardown() -> None:
    """Say that this process ends with ``os._exit`` (the console script, :func:`capcheck.cli.main`): from now on
    :func:`keep_to_the_end` keeps what it is given, never to be freed. Freeing a check's records one object at a
    time costs as much as a thirtieth of the check (0.08 s of 2.6 s on 300,000 records)."""
    global _KEPT
    if _KEPT is None:
        _KEPT = []


def keep_to_the_end(value: object) -> None:
    """Keep ``value`` referenced until the process ends, if it ends without teardown (:func:`ends_without_teardown`);
    otherwise do nothing (a library caller frees it as usual)."""
    if _KEPT is not None:
        _KEPT.append(value)


def close_at_the_end(fd: int) -> None:
    """Close ``fd`` when the process ends if it ends without teardown (:func:`ends_without_teardown`: the system then
    closes it, in the background once the check is handed off, :func:`hand_off`), else now. For a replaced output:
    the last close of a file frees its blocks and cached pages (0.43 s for a 2 GB report)."""
    if _KEPT is None:
        os.close(fd)


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


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Write every byte of ``data`` to ``fd``, or raise: ``os.write`` may write less than asked (a
    file size limit, a signal), and the rest must be written or reported, never dropped."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written == 0:  # pragma: no cover - POSIX write() returns 0 only for a 0-byte request
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        view = view[written:]


class _CheckedWriter(io.RawIOBase):
    """A standard stream's file descriptor, written with :func:`write_all`; failures become
    :class:`OutputError` naming ``target``. With ``drop_after_failure`` (standard error, where the
    error itself would be reported) only the first failure raises; later writes are dropped."""

    def __init__(self, fd: int, target: str = STDOUT, *, drop_after_failure: bool = False) -> None:
        super().__init__()
        self._fd = fd
        self._target = target
        self._drop_after_failure = drop_after_failure
        self.failed = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return os.isatty(self._fd)

    def write(self, data: object) -> int:
        chunk = bytes(data)  # type: ignore[call-overload]  # io hands bytes-like objects
        if self.failed:
            return len(chunk)
        try:
            write_all(self._fd, chunk)
        except BrokenPipeError:
            if not self._drop_after_failure:
                raise
            self.failed = True  # nobody reads standard error any more: not the reader of stdout going away
            raise output_error(self._target, BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))) from None
        except OSError as exc:
            self.failed = self._drop_after_failure
            raise output_error(self._target, exc) from None
        return len(chunk)

    def close(self) -> None:  # never close fd 1 or 2: they belong to the process
        self.flush()


def _hold_closed(fd: int) -> int | None:
    """Hold the number of a standard descriptor the process started without (``capcheck ... >&-``) with
    ``/dev/null``, so that no file opened later (an output's temporary file) takes it and receives what
    is written to standard output or error. Standard output is held read-only, as gnulib's ``stdopen``
    does: a write fails with EBADF, as on the closed descriptor, and is reported naming ``<stdout>``.
    Standard error is held write-only: the user closed it, so messages are dropped, as Unix tools drop
    them, and do not change the exit code. None if something holds the number already (not ours)."""
    try:
        os.fstat(fd)
    except OSError:
        pass
    else:
        return None
    null = os.open(os.devnull, os.O_WRONLY if fd == 2 else os.O_RDONLY)
    if null != fd:  # a lower descriptor was free too
        os.dup2(null, fd)
        os.close(null)
    return fd


@contextmanager
def _checked(name: str) -> Iterator[None]:
    """Replace ``sys.<name>`` (stdout or stderr) with a checked, write-through stream on the same file
    descriptor (when it is the process's own stream with a descriptor; otherwise leave it alone)."""
    original = getattr(sys, name)
    stderr = name == "stderr"
    if original is None and getattr(sys, f"__{name}__") is None:  # the process started with it closed
        fd = _hold_closed(2 if stderr else 1)
    else:
        try:
            fd = original.fileno() if original is getattr(sys, f"__{name}__") else None
        except (AttributeError, OSError, ValueError):
            fd = None
    if fd is None:
        yield
        return
    with contextlib.suppress(OSError):  # a stream already failing fails again, checked, on its next write
        if original is not None:
            original.flush()
    # A raw stream that never writes short is all TextIOWrapper needs (its typing asks for a buffered one).
    raw: Any = _CheckedWriter(fd, STDERR if stderr else STDOUT, drop_after_failure=stderr)
    stream = io.TextIOWrapper(
        raw,
        # A closed stream has no encoding: its writes fail or are dropped, so any encoding does.
        encoding=original.encoding if original is not None else "utf-8",
        errors=original.errors if original is not None else "backslashreplace",
        write_through=True,
    )
    setattr(sys, name, stream)
    try:
        yield
    finally:
        setattr(sys, name, original)


def checked_stdout() -> AbstractContextManager[None]:
    """Standard output, checked: every byte written, or :class:`OutputError` naming ``<stdout>``."""
    return _checked("stdout")


def checked_stderr() -> AbstractContextManager[None]:
    """Standard error, checked: its first failing write is :class:`OutputError` naming ``<stderr>``
    (exit 2), and later writes are dropped, so reporting that error cannot fail in turn."""
    return _checked("stderr")


@contextmanager
def interrupts() -> Iterator[None]:
    """While inside, SIGINT and SIGTERM raise :class:`Interrupted` (main thread only; a signal the
    parent set to be ignored stays ignored). The previous handlers are restored on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        if received:  # a second signal while cleaning up: let the clean-up finish; the first one decides the code
            return
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


# ---------------------------------------------------------------------------------------------
# Handing the end of a process off to a worker
# ---------------------------------------------------------------------------------------------


class _Worker:
    """In the worker of :func:`hand_off`: how to tell the waiting process the exit code, and the C library (for
    ``prctl``) where it is at hand."""

    def __init__(self, tell: int, libc: Any) -> None:
        self.tell = tell
        self.libc = libc


#: Set (to 1) to run a check in the process the user started, not handed off: for ``/usr/bin/time``, ``strace``
#: and debuggers, which follow the process they started (the worker's CPU and memory are not counted there).
NO_HAND_OFF_ENV = "CAPCHECK_NO_HAND_OFF"
#: Set in the worker of :func:`hand_off` (None elsewhere, its own children included).
_WORKER: _Worker | None = None
#: Linux's ``prctl`` options: the signal a process gets when its parent ends.
_PR_SET_PDEATHSIG = 1


def hand_off() -> None:
    """Fork a worker that does the rest of the command and return in it; this process waits, then exits with the
    worker's code as soon as the worker says it is done (:func:`say_done`), never returning. So that a user (a shell,
    a CI job, ``benchmarks/run.py``) waits for the outputs, not for the system to take back the worker's memory.

    For the console script only (it ends with ``os._exit``), on Linux from a process running one thread (see
    :func:`capcheck.app.parallel.can_fork`), once, and unless :data:`NO_HAND_OFF_ENV` is set: elsewhere it does
    nothing and the command runs here.
    Called before the command loads anything large, so that this process stays small (its end costs little)."""
    global _WORKER
    if _WORKER is not None or not sys.platform.startswith("linux") or threading.active_count() != 1:
        return
    if os.environ.get(NO_HAND_OFF_ENV, "").strip().lower() not in ("", "0", "false", "no", "off"):
        return
    for stream in (sys.stdout, sys.stderr):  # nothing written before the fork is written twice
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    # Held from the fork until each process is ready for them: a Ctrl-C then interrupts the worker, never the
    # waiting process alone (which would exit 130 while the worker went on).
    interrupts = {signal.SIGINT, signal.SIGTERM}
    held = signal.pthread_sigmask(signal.SIG_BLOCK, interrupts)
    try:
        told, tell = os.pipe()
        pid = os.fork()
    except OSError:  # no process or pipe to be had: the command runs here
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        return
    if pid == 0:
        os.close(told)
        _WORKER = _Worker(tell, _end_with_parent(os.getppid()))
        os.register_at_fork(after_in_child=_not_a_worker)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        return
    os.close(tell)
    os._exit(_await(pid, told, held))


def handed_off() -> bool:
    """Whether this process is the worker of :func:`hand_off`, its exit code not said yet (:func:`say_done`)."""
    return _WORKER is not None


def _not_a_worker() -> None:
    """In a child of the worker (a split check's part): it does not speak for the command, nor hold its pipe open."""
    global _WORKER
    if _WORKER is not None:
        with contextlib.suppress(OSError):
            os.close(_WORKER.tell)
        _WORKER = None


def _end_with_parent(parent: int) -> Any:
    """Ask the system to send SIGTERM to this process when ``parent`` (the waiting process) ends: a worker whose
    user has gone (``kill -9`` of the command) stops and cleans up, as the command would have. The C library, or
    None where it cannot be had."""
    try:
        import ctypes  # here only: 1.5 ms of import, in the worker alone

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (ImportError, OSError, AttributeError):  # no prctl: the worker outlives a killed parent, as a job does
        return None
    if os.getppid() != parent:  # it ended before it was asked
        os.kill(os.getpid(), signal.SIGTERM)
    return libc


def say_done(code: int) -> None:
    """In the worker of :func:`hand_off`, once the command is done (its outputs written and synced, standard
    output and error flushed): let the waiting process exit with ``code`` now, and give up standard output and
    error, so that a reader of either sees their end when it exits. Elsewhere, nothing. The worker must then end
    (``os._exit``), as no signal reaches it any more."""
    global _WORKER
    worker, _WORKER = _WORKER, None
    if worker is None:
        return
    for signum in (signal.SIGINT, signal.SIGTERM):  # done: a late Ctrl-C has nothing left to stop
        signal.signal(signum, signal.SIG_IGN)
    if worker.libc is not None:  # the waiting process is about to end: that is no reason to stop
        worker.libc.prctl(_PR_SET_PDEATHSIG, 0, 0, 0, 0)
    let_go_of_std_streams()
    with contextlib.suppress(OSError):  # the waiting process is gone (killed): nobody to tell
        os.write(worker.tell, bytes([code & 0xFF]))
    with contextlib.suppress(OSError):
        os.close(worker.tell)


def let_go_of_std_streams() -> None:
    """Before a process that has nothing more to say ends with ``os._exit``: flush standard output and error, and
    close them (``/dev/null`` in their place), so that a reader of either (a pipe: a CI job's log, ``$(...)``)
    sees their end now, not once the system has taken back this process's memory, which it does first."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError, OutputError):
            stream.flush()
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.close(null)


def _await(pid: int, told: int, held: set[int | signal.Signals]) -> int:
    """In the waiting process: the worker's exit code, once it says it (or ends without saying: its own code, or 2
    saying what ended it). SIGINT and SIGTERM are passed on to the worker meanwhile (unless ignored, as they are
    in a background job: the worker ignores them too), from when the signal mask ``held`` is set back."""

    def forward(signum: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(OSError):
            os.kill(pid, signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, forward)
    signal.pthread_sigmask(signal.SIG_SETMASK, held)
    said = os.read(told, 1)  # retried after a signal's handler (PEP 475)
    if said:
        return said[0]
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:  # pragma: no cover - nothing else in this process reaps it
        return 2
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    killed = os.WTERMSIG(status)
    if killed in (signal.SIGINT, signal.SIGTERM):  # interrupted, as asked (the interpreter's own end of Ctrl-C)
        return 128 + killed
    try:
        why = signal.Signals(killed).name
    except ValueError:  # pragma: no cover - a real-time signal
        why = f"signal {killed}"
    hint = " (out of memory?)" if killed == signal.SIGKILL else ""
    with contextlib.suppress(OSError):
        write_all(2, f"capcheck: the process doing the check was killed by {why}{hint} before it finished\n".encode())
    return 2
