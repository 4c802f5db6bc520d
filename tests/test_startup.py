"""Start-up stays light: what a real ``capcheck`` process has imported by the time it answers ``--version``,
``--help``, or opens its first evidence file (``docs/performance.md``, "Start-up").

Not a timed test (a shared machine cannot time a test fairly): each case runs the console script's entry
point in a fresh process and lists ``sys.modules`` at that moment, so that an eager import of a heavy
library (pydantic for ``--version``, PyYAML when no YAML file is read, ``jsonschema`` when every file is
valid) fails the suite by name. ``benchmarks/startup.py`` measures the time itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

#: Runs the entry point as the console script does; writes the modules imported, and the collector's
#: state, at the first open of a file under the evidence directory (if any), else at exit.
_PROBE = """
import gc, json, os, sys
out, evidence, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
real_exit = os._exit
def dump(when):
    with open(out, 'w') as fh:
        json.dump({'when': when, 'modules': sorted(sys.modules), 'gc_enabled': gc.isenabled(),
                   'frozen': gc.get_freeze_count()}, fh)
def hook(event, args):
    if evidence and event == 'open' and isinstance(args[0], (str, os.PathLike)):
        if os.fspath(args[0]).startswith(evidence + os.sep):
            dump('first evidence read')
            real_exit(0)
sys.addaudithook(hook)
def exit_(code):
    dump('exit')
    real_exit(code)
os._exit = exit_  # the console script skips the interpreter's teardown with os._exit
sys.argv = ['capcheck', *argv]
from capcheck.cli import main
try:
    main()
finally:
    dump('exit')
"""

#: Never needed to print the version or help.
NOT_FOR_VERSION_OR_HELP = (
    "pydantic",
    "pluggy",
    "yaml",
    "jsonschema",
    "jsonschema_rs",
    "orjson",
    "polars",
    "capcheck.core.models",
    "capcheck.app.config",
    "capcheck.app.runner",
)
#: Never imported by a check of valid JSON evidence: the YAML loader's parser, the messages of invalid
#: files (``jsonschema``), the benchmark's vectorised peer; nor, without ``--waivers`` and ``--baseline``, their
#: modules.
NOT_FOR_A_JSON_CHECK = ("yaml", "jsonschema", "polars", "capcheck.assessment.waivers", "capcheck.assessment.baseline")


def _probe(workdir: Path, *argv: str, evidence: Path | None = None) -> dict[str, Any]:
    out = workdir / "probe.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPCHECK_")}
    env["CAPCHECK_NO_HAND_OFF"] = "1"  # one process: the dump at os._exit is the check's (not a waiting process's)
    shown = str(evidence.resolve()) if evidence is not None else ""
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(out), shown, *argv],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.is_file(), proc.stdout + proc.stderr
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def _heavy(modules: list[str], names: tuple[str, ...]) -> list[str]:
    """The ``names`` (packages) of which a module is imported."""
    return [n for n in names if any(m == n or m.startswith(n + ".") for m in modules)]


@pytest.mark.parametrize("argv", [("--version",), ("--help",), ("check", "--help")])
def test_version_and_help_import_nothing_heavy(workdir: Path, argv: tuple[str, ...]) -> None:
    probe = _probe(workdir, *argv)
    assert probe["when"] == "exit"
    assert _heavy(probe["modules"], NOT_FOR_VERSION_OR_HELP) == []


def test_a_json_check_imports_no_yaml_nor_jsonschema(workdir: Path, copy_fixture: Callable[..., Path]) -> None:
    evidence = workdir / "evidence"
    evidence.mkdir()
    copy_fixture("evidence/clean/supplier-contracts.json", "evidence/supplier-contracts.json")
    # Named by its absolute path, as the probe recognises the files opened under it.
    started = _probe(workdir, "check", str(evidence.resolve()), "--as-of", "2026-11-25", evidence=evidence)
    assert started["when"] == "first evidence read"
    assert _heavy(started["modules"], NOT_FOR_A_JSON_CHECK) == []
    # The check runs to the end (a report written) without them too.
    whole = _probe(workdir, "check", "evidence", "--as-of", "2026-11-25", "-f", "json", "-o", "out.json")
    assert whole["when"] == "exit"
    assert (workdir / "out.json").is_file()
    assert "capcheck.builtins.reporters.json" in whole["modules"]  # the probe sees what the run imported
    assert _heavy(whole["modules"], NOT_FOR_A_JSON_CHECK) == []


#: A rule case file of the suite's own, for ``capcheck test``.
RULE_CASES = Path(__file__).parent / "rule_cases" / "COMM-001.yaml"


@pytest.mark.parametrize("argv", [("rules", "list"), ("test", str(RULE_CASES))], ids=["registry", "harness"])
def test_the_collector_runs_again_after_start_up(workdir: Path, argv: tuple[str, ...]) -> None:
    """The console script pauses the cyclic GC for start-up only: the registry built (by the command, or by
    the rule-case harness), the start-up's objects are frozen out of its way and it runs again (``run_check``
    pauses it for the check itself)."""
    probe = _probe(workdir, *argv)
    assert probe["when"] == "exit"
    assert probe["gc_enabled"] is True
    assert probe["frozen"] > 10_000
    version = _probe(workdir, "--version")  # no registry: start-up never ends, nothing is frozen
    assert version["frozen"] == 0
