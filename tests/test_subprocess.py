"""Real processes: ``python -m capcheck`` and the installed ``capcheck`` console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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
