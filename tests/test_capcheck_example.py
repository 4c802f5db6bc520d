"""The example third-party plugin in ``plugins/capcheck-example`` (namespaced kind, kind extension, declarative
and Python rules), found through entry-point discovery as an installed distribution would be.

CI installs it for real after the main suite (``.ci/run``) and runs its tests. Here it is "installed" the
cheap way: a ``.dist-info`` written from its own ``pyproject.toml`` (so the entry point tested is the one pip
would install) and its ``src/`` on the path; capcheck then finds it with ``importlib.metadata``, like any
installed plugin, and the plugin's own tests run in that mode too (their entry-point test is not skipped).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "plugins" / "capcheck-example"


def _installed_site(site: Path) -> Path:
    """A site directory in which ``capcheck-example`` looks installed: its dist-info, from its pyproject."""
    project = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]
    init = (PLUGIN / "src" / "capcheck_example" / "__init__.py").read_text()
    version = next(line.split('"')[1] for line in init.splitlines() if line.startswith("__version__"))
    dist = site / f"capcheck_example-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {version}\n")
    points = project["entry-points"]["capcheck"]
    (dist / "entry_points.txt").write_text("[capcheck]\n" + "".join(f"{k} = {v}\n" for k, v in points.items()))
    return site


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = _installed_site(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(PLUGIN / "src"))
    yield site
    for name in [m for m in sys.modules if m.split(".")[0] == "capcheck_example"]:
        del sys.modules[name]  # leave no trace of the plugin for other tests


def test_the_entry_point_names_the_plugin_module() -> None:
    project = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["capcheck"] == {"example": "capcheck_example.plugin"}


def test_capcheck_discovers_the_installed_example_and_runs_it(run_cli, installed: Path, workdir: Path) -> None:
    listing = run_cli("plugins")
    assert listing.exit_code == 0, listing.stderr
    [line] = [line for line in listing.stdout.splitlines() if line.startswith("example ")]
    assert "entry point" in line and "(capcheck-example 0.1.0)" in line
    assert "1 kind, 1 kind field, 3 rules" in line

    (workdir / "it-assets.csv").write_text(
        "id,name,product,environment,criticality,example_site\nA-1,web,nginx,production,high,Leeds\n"
        "A-2,db,postgresql,production,high,\n"
    )
    (workdir / "example.register.csv").write_text("id,title,owner,review_date\nE-1,Risk log,cfo,2026-01-01\n")
    result = run_cli("check", ".", "--select", "example.", "--as-of", "2026-11-25", "-f", "json")
    assert result.exit_code == 1, result.stderr
    doc = json.loads(result.stdout)
    found = sorted((f["rule_id"], f["status"], f["evidence"].get("record_id")) for f in doc["findings"])
    assert found == [("example.GOV-101", "fail", "E-1"), ("example.INFRA-100", "fail", "A-2")]
    sources = {r["id"]: r["source"] for r in doc["rules"]}
    assert sources["example.GOV-101"]["distribution"] == "capcheck-example"
    assert sources["example.INFRA-100"]["path"] == "example.INFRA-100.toml"


def test_the_examples_own_suite_passes_installed(tmp_path: Path) -> None:
    site = _installed_site(tmp_path / "site")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAPCHECK_", "PYTEST_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(PLUGIN / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "t"), "-rs"],
        cwd=PLUGIN,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "7 passed" in result.stdout and "skipped" not in result.stdout  # the entry-point test ran
