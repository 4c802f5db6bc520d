"""The example third-party plugin in ``plugins/capcheck-ocds`` works, without an install step.

The plugin is a separate distribution with its own tests. This module runs them, so CI proves the
example that plugin authors copy still works against the current core:

* its test suite runs in a subprocess (with the plugin installed, capcheck finds it through its
  entry point; without, the plugin's conftest puts ``src/`` on the path and names the module);
* an end-to-end ``capcheck check`` on real OCDS data runs in-process, with the plugin named by
  ``--plugin capcheck_ocds.plugin`` from its source directory unless it is installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "plugins" / "capcheck-ocds"
MODULE = "capcheck_ocds.plugin"
EXTRACT = PLUGIN / "tests" / "data" / "contracts-finder-extract.ocds.json"


def _installed() -> bool:
    return any(ep.value == MODULE for ep in metadata.entry_points(group="capcheck"))


@pytest.fixture
def plugin_args(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The arguments that load the plugin: none when installed, else ``--plugin`` from ``src/``."""
    if _installed():
        yield []
        return
    before = set(sys.modules)
    if find_spec("capcheck_ocds") is None:
        monkeypatch.syspath_prepend(str(PLUGIN / "src"))
    yield ["--plugin", MODULE]
    for name in set(sys.modules) - before:  # leave no trace of the plugin for other tests
        if name.split(".")[0] == "capcheck_ocds":
            del sys.modules[name]


def test_the_example_plugins_own_test_suite_passes(tmp_path: Path) -> None:
    """Both bundled plugins' suites, collected in one pytest session as a user running several plugins'
    tests would: each passes, and neither imports the other's ``conftest`` or test modules."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAPCHECK_", "PYTEST_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    suites = [str(PLUGIN / "tests"), str(ROOT / "plugins" / "capcheck-example" / "tests")]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "t"), *suites],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = {line.split("::")[0].rsplit("/", 1)[-1] for line in result.stdout.splitlines() if " PASSED" in line}
    assert {"test_ocds_rule_cases.py", "test_ocds_plugin.py", "test_example_rule_cases.py", "test_plugin.py"} <= passed


def test_an_ocds_file_is_checked_end_to_end(run_cli, workdir: Path, plugin_args: list[str]) -> None:
    shutil.copyfile(EXTRACT, workdir / "contracts.ocds.json")
    args = ["check", "contracts.ocds.json", "--as-of", "2026-01-01", "--format", "json", "--select", "COMM"]
    result = run_cli(*args, *plugin_args)
    assert result.exit_code == 1, result.stderr
    doc = json.loads(result.stdout)
    assert [(e["path"], e["format"], e["kind"], e["records"]) for e in doc["evidence"]] == [
        ("contracts.ocds.json", "ocds", "supplier-contracts", 14)
    ]
    rules = {r["id"] for r in doc["rules"]}
    assert {"ocds.COMM-910", "ocds.COMM-911"} <= rules
    ended = [f for f in doc["findings"] if f["rule_id"] == "ocds.COMM-911" and f["status"] == "fail"]
    assert len(ended) == 5
    lines = (workdir / "contracts.ocds.json").read_text().splitlines()
    for finding in ended:
        evidence = finding["evidence"]
        assert evidence["file"] == "contracts.ocds.json"
        assert evidence["pointer"].startswith("/releases/")  # the award: the loader gives each record's pointer
        assert f'"id": "{evidence["record_id"]}"' in lines[evidence["line"]]  # the line of the award's "{"


def test_bad_ocds_stops_the_run(run_cli, workdir: Path, plugin_args: list[str]) -> None:
    (workdir / "register.ocds.json").write_text('{"kind": "supplier-contracts", "records": []}')
    result = run_cli("check", "register.ocds.json", *plugin_args)
    assert result.exit_code == 2
    assert "register.ocds.json:1: /kind: this is a capcheck evidence document" in result.stderr
