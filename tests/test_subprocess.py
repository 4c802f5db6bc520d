"""Real processes: ``python -m capcheck`` and the installed ``capcheck`` console script."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from capcheck._version import __version__

CONSOLE_SCRIPT = Path(sys.executable).with_name("capcheck")


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPCHECK_") and k != "NO_COLOR"}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_python_dash_m_version(workdir: Path) -> None:
    result = run([sys.executable, "-m", "capcheck", "--version"], workdir)
    assert (result.returncode, result.stdout, result.stderr) == (0, f"capcheck {__version__}\n", "")


def test_python_dash_m_check_with_bad_evidence(workdir: Path, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("evidence/bad/schema-invalid.json")
    result = run([sys.executable, "-m", "capcheck", "check", "schema-invalid.json"], workdir)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("capcheck: evidence error: 1 problem\n")
    assert "  schema-invalid.json:7: /records/3/value: -5 is less than the minimum of 0" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not CONSOLE_SCRIPT.exists() and not shutil.which("capcheck"), reason="console script not installed")
def test_console_script_check(workdir: Path, copy_fixture: Callable[..., Path], check_argv) -> None:
    script = str(CONSOLE_SCRIPT) if CONSOLE_SCRIPT.exists() else str(shutil.which("capcheck"))
    copy_fixture("evidence/clean", "clean")
    copy_fixture("evidence/mixed", "mixed")
    clean = run([script, *check_argv("clean")], workdir)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Result: PASSED" in clean.stdout
    assert "\x1b[" not in clean.stdout  # a pipe is not a terminal
    mixed = run([script, *check_argv("mixed"), "--format", "json"], workdir)
    assert mixed.returncode == 1
    assert json.loads(mixed.stdout)["summary"]["by_status"]["fail"] == 7


def test_a_reader_that_has_gone_gets_no_error(workdir: Path) -> None:
    """`capcheck kinds | head -1`: a closed pipe ends the command quietly, without an internal error."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "capcheck", "kinds"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before capcheck writes a line
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "internal error" not in stderr and "Traceback" not in stderr
    assert proc.returncode == 0


@pytest.mark.parametrize(("fixture", "fmt", "code"), [("mixed", "text", 1), ("mixed", "json", 1), ("clean", "json", 0)])
def test_a_reader_that_has_gone_leaves_the_result_code(
    copy_fixture: Callable[..., Path],
    check_argv: Callable[..., list[str]],
    workdir: Path,
    fixture: str,
    fmt: str,
    code: int,
) -> None:
    """`set -o pipefail; capcheck check evidence/ | head`: failures exit 1, never 0 because head stopped reading."""
    copy_fixture(f"evidence/{fixture}", fixture)
    proc = subprocess.Popen(
        [sys.executable, "-m", "capcheck", *check_argv(fixture), "--format", fmt],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "internal error" not in stderr and "Traceback" not in stderr
    assert proc.returncode == code


def test_a_reader_that_has_gone_still_hears_of_a_report_not_written(
    copy_fixture: Callable[..., Path], check_argv: Callable[..., list[str]], workdir: Path
) -> None:
    """`capcheck check evidence --report sarif=missing/x.sarif | head`: the failed report is named, exit 2."""
    copy_fixture("evidence/mixed", "mixed")
    proc = subprocess.Popen(
        [sys.executable, "-m", "capcheck", *check_argv("mixed"), "--report", "sarif=missing/x.sarif"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "  missing/x.sarif: --report sarif: cannot write: No such file or directory\n" in stderr
    assert "Traceback" not in stderr
    assert proc.returncode == 2


def _closed(fd: int, argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m capcheck ARGV`` with descriptor ``fd`` closed, as ``>&-`` (1) or ``2>&-`` (2) does."""
    return subprocess.run(
        [sys.executable, "-m", "capcheck", *argv],
        cwd=cwd,
        stdout=subprocess.PIPE if fd != 1 else None,
        stderr=subprocess.PIPE if fd != 2 else None,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=lambda: os.close(fd),  # in the child, before capcheck starts
    )


@pytest.mark.parametrize("command", [["check", "mixed"], ["rules", "list"], ["--version"]], ids=lambda a: a[0])
def test_a_closed_stdout_is_exit_2_naming_stdout(
    workdir: Path, copy_fixture: Callable[..., Path], check_argv, command: list[str]
) -> None:
    """`capcheck check evidence >&-`: the report cannot go anywhere. Before, an internal error
    (AttributeError on the missing stream); `--version` exited 0 having written nothing."""
    copy_fixture("evidence/mixed", "mixed")
    argv = check_argv("mixed") if command[0] == "check" else command
    result = _closed(1, argv, workdir)
    assert (result.returncode, result.stderr) == (
        2,
        "capcheck: output error: 1 problem\n  <stdout>: cannot write: Bad file descriptor\n",
    )


def test_a_closed_stdout_is_not_needed_with_output(
    workdir: Path, copy_fixture: Callable[..., Path], check_argv
) -> None:
    """`capcheck check evidence -o report.json >&-`: the report is written, the run's own code, and the
    summary line standard output would get is left out; no file opened later takes descriptor 1."""
    copy_fixture("evidence/mixed", "mixed")
    result = _closed(1, [*check_argv("mixed"), "--format", "json", "-o", "report.json"], workdir)
    assert (result.returncode, result.stderr) == (1, "")
    assert json.loads((workdir / "report.json").read_text())["summary"]["by_status"]["fail"] == 7


def test_a_closed_stderr_drops_messages_and_keeps_the_result(
    workdir: Path, copy_fixture: Callable[..., Path], check_argv
) -> None:
    """`capcheck check evidence 2>&-`: the report on stdout and the result's code, as Unix tools drop what
    they cannot say on a closed stderr. Before, exit 2 and nothing at all (the missing stream's AttributeError,
    reported to nowhere)."""
    copy_fixture("evidence/mixed", "mixed")
    copy_fixture("evidence/bad/schema-invalid.json")
    result = _closed(2, [*check_argv("mixed"), "--format", "json"], workdir)
    assert result.returncode == 1
    assert json.loads(result.stdout)["summary"]["by_status"]["fail"] == 7
    bad = _closed(2, ["check", "schema-invalid.json"], workdir)
    assert (bad.returncode, bad.stdout) == (2, "")


# --- the trust boundary: nothing is imported from the working or config directory ---------------------

#: Libraries capcheck imports lazily (and, for `python -m`, what the package imports first): a file of
#: one of these names in a checkout must never run.
SHADOWS = ("jsonschema_rs", "orjson", "yaml", "typing", "__future__", "pydantic", "click")


PYTHON_M = [sys.executable, "-m", "capcheck"]
SCRIPT = str(CONSOLE_SCRIPT) if CONSOLE_SCRIPT.exists() else shutil.which("capcheck")


@pytest.mark.parametrize(
    ("launcher", "command"),
    [
        # python -m: the launcher whose sys.path[0] is the working directory, with every command ...
        (PYTHON_M, ["check", "../../evidence", "--as-of", "2025-04-01", "--fail-on", "never"]),
        (PYTHON_M, ["validate", "../../evidence"]),
        (PYTHON_M, ["rules", "list"]),
        # ... and the console script, which used to put the working and config directories on sys.path.
        *([([SCRIPT], ["check", "../../evidence", "--as-of", "2025-04-01", "--fail-on", "never"])] if SCRIPT else []),
    ],
    ids=["python -m check", "python -m validate", "python -m rules list", "script check"][: 3 + bool(SCRIPT)],
)
def test_no_module_is_imported_from_the_working_or_config_directory(
    workdir: Path, copy_fixture: Callable[..., Path], launcher: list[str], command: list[str]
) -> None:
    copy_fixture("evidence/clean", "evidence")
    project = workdir / "project"  # the config's directory, and the working directory below it
    (project / "sub").mkdir(parents=True)
    (project / "capcheck.toml").write_text('fail_on = "high"\n')
    for directory in (project, project / "sub"):
        for name in SHADOWS:
            (directory / f"{name}.py").write_text(
                f"open({str(workdir / 'ran')!r} + '-{name}', 'w').write('shadowed')\nraise SystemExit(99)\n"
            )
    result = run([*launcher, *command], project / "sub")
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in workdir.iterdir() if p.name.startswith("ran")) == []


def test_python_dash_m_keeps_an_explicit_pythonpath(workdir: Path, copy_fixture: Callable[..., Path]) -> None:
    """Only the entry `python -m` adds is dropped: a module the user puts on PYTHONPATH still loads by name."""
    copy_fixture("plugins/sample_plugin.py", "site/sample_plugin.py")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPCHECK_")}
    env["PYTHONPATH"] = str(workdir / "site")
    result = subprocess.run(
        [sys.executable, "-m", "capcheck", "rules", "list", "--plugin", "sample_plugin", "--select", "COMM-901"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("COMM-901 ")


# --- nothing lost silently: checked writes, interrupts ------------------------------------------------


def _limit_file_size(limit: int) -> Callable[[], None]:
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


@pytest.mark.parametrize("unbuffered", ["1", ""], ids=["PYTHONUNBUFFERED", "buffered"])
def test_stdout_cut_short_by_a_file_size_limit_is_exit_2_not_a_truncated_report(
    workdir: Path, copy_fixture: Callable[..., Path], check_argv, unbuffered: str
) -> None:
    """`capcheck check --format json > out.json` under `ulimit -f`: Python alone drops the rest of a
    short write without a word (unbuffered) and the run would exit 1 with half a document."""
    copy_fixture("evidence/mixed", "mixed")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPCHECK_")}
    env["PYTHONUNBUFFERED"] = unbuffered
    limit = 2048
    with (workdir / "out.json").open("wb") as out:
        result = subprocess.run(
            [sys.executable, "-m", "capcheck", *check_argv("mixed"), "--format", "json"],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
            preexec_fn=_limit_file_size(limit),
        )
    assert result.returncode == 2
    assert result.stderr == "capcheck: output error: 1 problem\n  <stdout>: cannot write: File too large\n"
    assert (workdir / "out.json").stat().st_size == limit


def test_an_output_file_cut_short_by_a_file_size_limit_leaves_the_previous_file(
    workdir: Path, copy_fixture: Callable[..., Path], check_argv
) -> None:
    copy_fixture("evidence/mixed", "mixed")
    (workdir / "out.json").write_text("yesterday\n")
    result = subprocess.run(
        [sys.executable, "-m", "capcheck", *check_argv("mixed"), "--format", "json", "-o", "out.json"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=_limit_file_size(2048),
    )
    assert result.returncode == 2
    assert result.stderr == "capcheck: output error: 1 problem\n  out.json: cannot write: File too large\n"
    assert (workdir / "out.json").read_text() == "yesterday\n"
    assert sorted(p.name for p in workdir.iterdir() if p.is_file()) == ["out.json"]  # no temporary file


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize(
    "command", [["check", "mixed", "--format", "json"], ["rules", "list"], ["--help"]], ids=lambda a: a[0]
)
def test_a_full_disk_on_stdout_is_exit_2_naming_stdout(
    workdir: Path, copy_fixture: Callable[..., Path], command: list[str]
) -> None:
    copy_fixture("evidence/mixed", "mixed")
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "capcheck", *command],
            cwd=workdir,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr == "capcheck: output error: 1 problem\n  <stdout>: cannot write: No space left on device\n"


def _stderr_full(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    with open("/dev/full", "w") as full:
        return subprocess.run(
            [sys.executable, "-m", "capcheck", *argv],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=full,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_a_full_disk_on_stderr_is_exit_2_not_a_traceback_nor_a_result(
    workdir: Path, copy_fixture: Callable[..., Path], check_argv
) -> None:
    """Reporting an error, a usage error or a note on a full stderr: exit 2 (the run could not report).
    Before, the error's own message raised, and the traceback's exit 1 read as "failures found"."""
    copy_fixture("evidence/mixed", "mixed")
    copy_fixture("evidence/bad/schema-invalid.json")
    assert _stderr_full(["check", "schema-invalid.json"], workdir).returncode == 2
    assert _stderr_full(["check", "--no-such-option"], workdir).returncode == 2
    # A check with failures that has a note to give on stderr (the config's baseline does not exist yet).
    (workdir / "capcheck.toml").write_text('baseline = "missing-baseline.json"\n')
    noted = run([sys.executable, "-m", "capcheck", *check_argv("mixed")], workdir)
    assert noted.returncode == 1
    assert "missing-baseline.json" in noted.stderr  # the note this test depends on
    assert _stderr_full(check_argv("mixed"), workdir).returncode == 2
    # Nothing to say on stderr: a full stderr changes nothing.
    (workdir / "capcheck.toml").unlink()
    quiet = _stderr_full(check_argv("mixed"), workdir)
    assert quiet.returncode == 1
    assert "Result: FAILED" in quiet.stdout


#: Runs capcheck with os.fsync slowed down, so that a signal reliably arrives while the atomic
#: writer's temporary file exists; "ready" appears when it does. SIGINT is set back to its default first: a
#: suite run as a background job starts its processes with SIGINT ignored, which capcheck keeps (as nohup asks).
SLOW_WRITE = """
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_DFL)
def slow_fsync(fd):
    open("ready", "w").close()
    time.sleep(30)
os.fsync = slow_fsync
unlink = os.unlink
def slow_unlink(path, *args, **kwargs):
    open("cleaning", "w").close()
    time.sleep(1)
    unlink(path, *args, **kwargs)
os.unlink = slow_unlink
from capcheck.cli import main
sys.argv = ["capcheck", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["TERM", "INT"])
def test_a_signal_during_the_write_removes_the_temporary_file_and_exits_128_plus_n(
    workdir: Path, copy_fixture: Callable[..., Path], check_argv, signum: int, code: int
) -> None:
    copy_fixture("evidence/mixed", "mixed")
    (workdir / "out").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPCHECK_")}
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITE, *check_argv("mixed"), "--format", "json", "-o", "out/findings.json"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (workdir / "ready").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    [temporary] = (workdir / "out").iterdir()
    assert temporary.name.endswith(".tmp")  # the write is under way
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code  # never 1 ("failures found") or 0
    assert stderr == f"capcheck: interrupted by {signal.Signals(signum).name}: nothing more was written\n"
    assert list((workdir / "out").iterdir()) == []  # no temporary file, and no half-written output


def test_a_second_signal_during_the_clean_up_does_not_leave_the_temporary_file(
    workdir: Path, copy_fixture: Callable[..., Path], check_argv
) -> None:
    """Ctrl-C twice: the second arrives while the temporary file is being removed, and is ignored
    (before, it ended the process at once and left ``.findings.json.*.tmp`` behind)."""
    copy_fixture("evidence/mixed", "mixed")
    (workdir / "out").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPCHECK_")}
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITE, *check_argv("mixed"), "--format", "json", "-o", "out/findings.json"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    for marker in ("ready", "cleaning"):
        while not (workdir / marker).exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert stderr == "capcheck: interrupted by SIGINT: nothing more was written\n"
    assert list((workdir / "out").iterdir()) == []
