"""The process boundary (core/process.py): what a process ending without teardown keeps to its end."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from capcheck.core import process

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the hand-off forks: Linux only")


class _Held:
    """An object a weak reference can watch."""


def test_nothing_is_kept_in_a_process_that_tears_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """A library caller (or the test runner) frees what a check made, as usual: keep_to_the_end keeps nothing."""
    monkeypatch.setattr(process, "_KEPT", None)
    held = _Held()
    watch = weakref.ref(held)
    process.keep_to_the_end(held)
    del held
    gc.collect()
    assert watch() is None


def test_a_process_ending_without_teardown_keeps_what_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """The console script ends with os._exit: the records it kept are never freed one by one."""
    monkeypatch.setattr(process, "_KEPT", None)
    process.ends_without_teardown()
    held = _Held()
    watch = weakref.ref(held)
    process.keep_to_the_end(held)
    process.ends_without_teardown()  # said again: what was kept stays kept
    del held
    gc.collect()
    assert watch() is not None


# --- Handing the end off to a worker (real processes) --------------------------------------------------------------

#: Runs the console script's main with a few hooks, set by environment variables, in the processes it starts:
#: PIDS: each process that runs the check (``run_check``) writes its pid to ``checked``, and a process that
#: ends with os._exit writes ``ending-PID`` and sleeps first (SLOW_END, seconds) unless it is this one;
#: WORKER_DOES: what the process running the check does there (``kill-SIGNAL``, ``exit-N``, ``raise``);
#: SLOW_FSYNC: os.fsync says ``ready`` and sleeps 30 s; PARTS_KILL: a process that forks a split check's part
#: kills itself with SIGKILL right after, and the part sleeps 30 s (its pid in ``part-PID``).
HOOKED = """
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_DFL)  # a suite run as a background job starts with it ignored
ORIGINAL = os.getpid()
exit_ = os._exit
def slow_exit(code):
    if os.getpid() != ORIGINAL:
        open(f"ending-{os.getpid()}", "w").close()
        time.sleep(float(os.environ.get("SLOW_END", "0")))
    exit_(code)
os._exit = slow_exit
if os.environ.get("SLOW_FSYNC"):
    def slow_fsync(fd):
        open("ready", "w").close()
        time.sleep(30)
    os.fsync = slow_fsync
if os.environ.get("PARTS_KILL"):
    fork = os.fork
    def forked():
        worker = os.getpid() != ORIGINAL  # forking a part, not the worker
        pid = fork()
        if pid == 0 and worker:
            open(f"part-{os.getpid()}", "w").close()
            time.sleep(30)
        elif pid and worker:
            time.sleep(0.2)
            os.kill(os.getpid(), signal.SIGKILL)
        return pid
    os.fork = forked
import capcheck.app.runner as runner
run_check = runner.run_check
def hooked(*args, **kwargs):
    with open("checked", "a") as out:
        out.write(f"{os.getpid()}\\n")
    does = os.environ.get("WORKER_DOES", "")
    if does.startswith("kill-"):
        os.kill(os.getpid(), getattr(signal, does[5:]))
        time.sleep(30)
    if does.startswith("exit-"):
        exit_(int(does[5:]))
    if does == "raise":
        raise RuntimeError("a bug in the check")
    return run_check(*args, **kwargs)
runner.run_check = hooked
from capcheck.cli import main
sys.argv = ["capcheck", *sys.argv[1:]]
main()
"""


def _hooked(
    workdir: Path, args: list[str], *, session: bool = False, stderr: Any = subprocess.PIPE, **hooks: str
) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPCHECK_") and k != "NO_COLOR"}
    return subprocess.Popen(
        [sys.executable, "-c", HOOKED, *args],
        cwd=workdir,
        env={**env, **hooks},
        stdout=subprocess.PIPE if stderr is subprocess.PIPE else subprocess.DEVNULL,
        stderr=stderr,
        text=True,
        start_new_session=session,
    )


def _checked_in(workdir: Path) -> list[int]:
    return [int(line) for line in (workdir / "checked").read_text().split()]


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)


def _end(workdir: Path, pattern: str) -> None:
    """Kill the processes a test left sleeping (their pids in file names matching ``pattern``)."""
    for marker in workdir.glob(pattern):
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(marker.name.rsplit("-", 1)[1]), signal.SIGKILL)


@linux_only
@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("to", ["stdout", "file"])
def test_the_command_exits_when_its_report_is_durable_not_when_its_worker_ends(
    to: str, jobs: str, workdir: Path, copy_fixture: Callable[..., Path], check_argv: Callable[..., list[str]]
) -> None:
    """The worker that ran the check (and a split check's part) sleeps 30 s before its end: the command has exited
    long before, its report whole (read at once: in the file, renamed into place; on standard output, whose pipe
    every process let go of)."""
    copy_fixture("evidence/mixed", "mixed")
    out = ["-o", "findings.json"] if to == "file" else []
    started = time.monotonic()
    proc = _hooked(workdir, [*check_argv("mixed"), "--format", "json", "--jobs", jobs, *out], SLOW_END="30")
    try:
        stdout, stderr = proc.communicate(timeout=20)
        took = time.monotonic() - started
        report = json.loads((workdir / "findings.json").read_text() if to == "file" else stdout)
        [worker] = _checked_in(workdir)
        assert worker != proc.pid  # the check ran in the worker
        deadline = time.monotonic() + 10  # each says it is ending just after it has let go of the pipes
        while len(list(workdir.glob("ending-*"))) < int(jobs) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (workdir / f"ending-{worker}").exists()  # the worker was still ending (sleeping 30 s)
        assert len(list(workdir.glob("ending-*"))) == int(jobs)  # and so was the part
    finally:
        _end(workdir, "ending-*")
    assert proc.returncode == 1, stderr
    assert report["summary"]["by_status"]["fail"] == 7
    assert took < 20
    if to == "file":
        assert stdout.startswith("capcheck: FAILED") and not list(workdir.glob(".findings.json*"))


@linux_only
@pytest.mark.parametrize(("fixture", "args", "code"), [("clean", [], 0), ("mixed", [], 1), ("mixed", ["-o", "x/y"], 2)])
def test_the_command_exits_with_the_worker_s_code(
    fixture: str,
    args: list[str],
    code: int,
    workdir: Path,
    copy_fixture: Callable[..., Path],
    check_argv: Callable[..., list[str]],
) -> None:
    """Passed, failed, and an output that cannot be written once the check has run (its directory is missing)."""
    copy_fixture(f"evidence/{fixture}", fixture)
    proc = _hooked(workdir, [*check_argv(fixture), *args])
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stdout + stderr
    assert _checked_in(workdir) != [proc.pid]
    if code == 2:
        assert stderr.startswith("capcheck: output error") and "x/y" in stderr


@linux_only
@pytest.mark.parametrize(("value", "handed"), [("1", False), ("yes", False), ("0", True), ("off", True)])
def test_the_hand_off_can_be_turned_off(
    value: str, handed: bool, workdir: Path, copy_fixture: Callable[..., Path], check_argv: Callable[..., list[str]]
) -> None:
    """CAPCHECK_NO_HAND_OFF=1: the check runs in the process started (what /usr/bin/time and strace follow)."""
    copy_fixture("evidence/mixed", "mixed")
    proc = _hooked(workdir, check_argv("mixed"), CAPCHECK_NO_HAND_OFF=value)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1, stdout + stderr
    assert (_checked_in(workdir) != [proc.pid]) is handed


@linux_only
@pytest.mark.parametrize(
    ("does", "code", "said"),
    [
        (
            "kill-SIGKILL",
            2,
            "capcheck: the process doing the check was killed by SIGKILL (out of memory?) before it finished\n",
        ),
        ("kill-SIGSEGV", 2, "capcheck: the process doing the check was killed by SIGSEGV before it finished\n"),
        ("exit-3", 3, ""),
    ],
)
def test_a_worker_that_ends_without_saying_is_waited_for_and_named(
    does: str,
    code: int,
    said: str,
    workdir: Path,
    copy_fixture: Callable[..., Path],
    check_argv: Callable[..., list[str]],
) -> None:
    """A worker killed (out of memory) or crashing: the command says so and exits 2, never hangs; one that exits
    some other way gives its code."""
    copy_fixture("evidence/mixed", "mixed")
    proc = _hooked(workdir, check_argv("mixed"), WORKER_DOES=does)
    stdout, stderr = proc.communicate(timeout=60)
    assert (proc.returncode, stdout, stderr) == (code, "", said)


@linux_only
@pytest.mark.parametrize(("debug", "code"), [(True, 1), (False, 2)])
def test_a_bug_in_the_worker_is_reported_as_in_one_process(
    debug: bool, code: int, workdir: Path, copy_fixture: Callable[..., Path], check_argv: Callable[..., list[str]]
) -> None:
    """With --debug its traceback, exit 1 (the interpreter's); without, the one-line internal error, exit 2."""
    copy_fixture("evidence/mixed", "mixed")
    proc = _hooked(workdir, [*check_argv("mixed"), *(["--debug"] if debug else [])], WORKER_DOES="raise")
    stdout, stderr = proc.communicate(timeout=60)
    assert (proc.returncode, stdout) == (code, "")
    if debug:
        assert stderr.startswith("Traceback (most recent call last):\n")
        assert stderr.endswith("RuntimeError: a bug in the check\n")
    else:
        assert stderr.startswith("capcheck: internal error: RuntimeError: a bug in the check\n")


@linux_only
@pytest.mark.parametrize("how", ["group", "KILL"])
def test_a_signal_during_the_write_reaches_the_worker_which_cleans_up(
    how: str, workdir: Path, copy_fixture: Callable[..., Path], check_argv: Callable[..., list[str]]
) -> None:
    """Ctrl-C at a terminal (SIGINT to the whole process group): one message, exit 130, no temporary file. The
    waiting process killed (``kill -9``): the worker is told (SIGTERM) and removes its temporary file."""
    copy_fixture("evidence/mixed", "mixed")
    (workdir / "out").mkdir()
    proc = _hooked(workdir, [*check_argv("mixed"), "-f", "json", "-o", "out/f.json"], session=True, SLOW_FSYNC="1")
    try:
        _wait_for(workdir / "ready", proc)
        assert [p.name.endswith(".tmp") for p in (workdir / "out").iterdir()] == [True]
        if how == "group":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.kill()
        _, stderr = proc.communicate(timeout=60)
        deadline = time.monotonic() + 60
        while list((workdir / "out").iterdir()) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert list((workdir / "out").iterdir()) == []
    if how == "group":
        assert (proc.returncode, stderr) == (130, "capcheck: interrupted by SIGINT: nothing more was written\n")
    else:
        assert proc.returncode == -signal.SIGKILL


@linux_only
def test_a_worker_killed_while_its_parts_live_is_still_said_at_once(
    workdir: Path, copy_fixture: Callable[..., Path], check_argv: Callable[..., list[str]]
) -> None:
    """A split check's parts do not hold the worker's pipe to the waiting process: when the worker dies, the
    command says so at once, while a part still sleeps."""
    copy_fixture("evidence/mixed", "mixed")
    with (workdir / "stderr").open("w") as errors:  # a file: the sleeping part holds standard error open
        proc = _hooked(workdir, [*check_argv("mixed"), "--jobs", "2"], stderr=errors, PARTS_KILL="1")
    try:
        proc.wait(timeout=20)
        assert list(workdir.glob("part-*"))  # the check was split: a part was forked, and sleeps
    finally:
        _end(workdir, "part-*")
    stderr = (workdir / "stderr").read_text()
    assert (proc.returncode, stderr) == (
        2,
        "capcheck: the process doing the check was killed by SIGKILL (out of memory?) before it finished\n",
    )


def test_no_worker_is_forked_from_a_process_running_threads() -> None:
    """A fork from a process with several threads could hold a lock forever (the library called from threads, the
    test runner): the command then runs where it is."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        process.hand_off()  # returns here, in this process: nothing was forked
        assert not process.handed_off()
    finally:
        stop.set()
        thread.join()
