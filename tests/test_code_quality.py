"""The code is lint-clean, formatted, and passes mypy --strict: the same checks a developer runs.

Each check runs the tool installed beside the interpreter running the tests (the ``test`` extra
installs both), from the repository root so that ``pyproject.toml``'s settings apply. A check whose
tool is not installed is skipped, saying so. Neither writes a cache into the working tree.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: What ruff checks and formats: the Python code (and the Python examples in these folders' Markdown).
RUFF_PATHS = ("src", "tests", "benchmarks", "plugins", "examples")


def _ruff() -> str | None:
    """The ruff beside this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("ruff")
    if beside.is_file():
        return str(beside)
    return shutil.which("ruff")


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def _report(proc: subprocess.CompletedProcess[str]) -> str:
    return f"`{' '.join(proc.args)}` exited {proc.returncode}\n{proc.stdout}{proc.stderr}"


def test_ruff_check_and_format_are_clean() -> None:
    ruff = _ruff()
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    lint = _run([ruff, "check", "--no-cache", *RUFF_PATHS])
    assert lint.returncode == 0, _report(lint)
    fmt = _run([ruff, "format", "--check", "--no-cache", *RUFF_PATHS])
    assert fmt.returncode == 0, _report(fmt) + "\n(run `ruff format " + " ".join(RUFF_PATHS) + "` to fix)"


def test_mypy_strict_passes(tmp_path: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    # No paths given: [tool.mypy] in pyproject.toml names them (files = ["src/capcheck"]).
    proc = _run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache")])
    assert proc.returncode == 0, _report(proc)
