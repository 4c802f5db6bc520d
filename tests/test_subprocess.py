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


# --- the trust boundary: nothing is imported from the working or config directory ---------------------

#: Libraries capcheck imports lazily (and, for `python -m`, what the package imports first): a file of
#: one of these names in a checkout must never run.
SHADOWS = ("jsonschema_rs", "orjson", "yaml", "typing", "__future__", "pydantic", "click")


def _console_or_module() -> list[list[str]]:
    launchers = [[sys.executable, "-m", "capcheck"]]
    script = str(CONSOLE_SCRIPT) if CONSOLE_SCRIPT.exists() else shutil.which("capcheck")
    if script:
        launchers.append([script])
    return launchers


@pytest.mark.parametrize("launcher", _console_or_module(), ids=lambda argv: "python -m" if len(argv) > 1 else "script")
@pytest.mark.parametrize(
    "command",
    [
        ["check", "../../evidence", "--as-of", "2025-04-01", "--fail-on", "never"],
        ["validate", "../../evidence"],
        ["rules", "list"],
    ],
    ids=lambda argv: argv[0] if argv[0] != "rules" else "rules list",
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
