"""The benchmark script: both scenarios at a tiny size, the results' shape and the polars cross-check."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("capcheck_benchmark_run", ROOT / "benchmarks" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load_run()
HAS_POLARS = importlib.util.find_spec("polars") is not None


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One benchmark run at 300 records per kind, both scenarios, one CLI run each."""
    out = tmp_path_factory.mktemp("bench")
    code = bench.main(["--sizes", "300", "--runs", "1", "--out", str(out), "--data", str(out / "data")])
    assert code == 0
    document: dict[str, Any] = json.loads((out / "results.json").read_text())
    return document


def test_one_row_per_scenario_with_every_phase(results: dict[str, Any]) -> None:
    rows = results["runs"]
    assert [(r["scenario"], r["records_per_kind"]) for r in rows] == [("typical", 300), ("high-failure", 300)]
    assert results["typical_rules"] == list(bench.TYPICAL)
    for row in rows:
        assert row["total_records"] == 900
        assert row["rules"] == len(bench.TYPICAL)
        for phase in ("json_loads_s", "startup_s", "load_s", "evaluate_s", "materialise_s", "write_s"):
            assert row[phase] > 0, phase
        for phase in ("json_loads_cpu_s", "load_cpu_s", "evaluate_cpu_s", "write_cpu_s", "check_typical_cpu_s"):
            assert row[phase] > 0, phase  # CPU time beside wall time: the steadier figure on a shared machine
        assert 0 < row["rss_after_load_mb"] <= row["rss_after_materialise_mb"] <= row["capcheck_rss_mb"]
        assert row["check_exit"] == 1, "the generated registers fail some rules"
        assert row["error_findings"] == 0
        assert 0 < row["failing_records"] <= row["failing_findings"]


def test_high_failure_fails_far_more(results: dict[str, Any]) -> None:
    typical, high = results["runs"]
    assert typical["failing_findings_per_record"] < 0.3
    assert high["failing_findings_per_record"] > 3 * typical["failing_findings_per_record"]
    assert high["share_of_records_failing"] > 2 * typical["share_of_records_failing"]


@pytest.mark.skipif(not HAS_POLARS, reason="polars is a benchmark-only dependency (pip install -e '.[bench]')")
def test_polars_names_the_same_failing_records_as_capcheck(results: dict[str, Any]) -> None:
    for row in results["runs"]:
        check = row["cross_check"]
        assert sorted(check["rules"]) == sorted(bench.TYPICAL)
        assert check["passed"], {r: v for r, v in check["rules"].items() if not v["same"]}
        assert sum(v["failing"] for v in check["rules"].values()) == row["failing_findings"]
        assert row["polars"]["evaluate_s"] > 0


def test_without_polars_the_peer_is_skipped(results: dict[str, Any]) -> None:
    if HAS_POLARS:
        pytest.skip("polars is installed")
    assert all(r["polars"] is None and r["cross_check"] is None for r in results["runs"])


def test_cross_check_reports_a_difference() -> None:
    ours = {"COMM-001": ["CON-1", "CON-2"], "INFRA-002": ["production"]}
    theirs = {"COMM-001": ["CON-1"], "INFRA-002": ["production"], "GOV-001": ["RSK-9"]}
    check = bench.cross_check(ours, theirs)
    assert not check["passed"]
    assert check["rules"]["COMM-001"] == {"failing": 2, "same": False, "only_capcheck": ["CON-2"], "only_polars": []}
    assert check["rules"]["GOV-001"]["only_polars"] == ["RSK-9"]
    assert check["rules"]["INFRA-002"]["same"]
    assert bench.cross_check(ours, ours)["passed"]


def test_without_capcheck_or_a_venv_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(bench.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(bench, "ROOT", tmp_path)
    with pytest.raises(
        SystemExit, match=r"capcheck is not importable from .*, nor from a project virtualenv at .*\.venv"
    ):
        bench._ensure_capcheck([])


def test_without_capcheck_reruns_under_the_project_venv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    venv_python = tmp_path / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("")
    calls: list[tuple[Path, list[str]]] = []

    class Replaced(Exception):
        """os.execv does not return: the process becomes the venv's interpreter."""

    def execv(path: Path, args: list[str]) -> None:
        calls.append((path, args))
        raise Replaced

    monkeypatch.setattr(bench.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(bench, "ROOT", tmp_path)
    monkeypatch.setattr(bench.os, "execv", execv)
    with pytest.raises(Replaced):
        bench._ensure_capcheck(["--sizes", "10"])
    assert calls == [(venv_python, [str(venv_python), str(ROOT / "benchmarks" / "run.py"), "--sizes", "10"])]


def test_bad_options_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        bench.main(["--scenarios", "typical,nightmare"])
    assert exc.value.code == 2
    assert "unknown nightmare" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="the process tree is sampled from Linux's /proc")
def test_the_tree_counts_a_child_its_parent_never_waits_for() -> None:
    """A split check's children end unwaited for (the console script leaves with os._exit): their CPU is not in the
    parent's accounting, so the sampler keeps each child's as last seen; the memory of all of them is summed."""
    import subprocess
    import time

    code = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    end = time.process_time() + 0.3\n"
        "    while time.process_time() < end: pass\n"
        "    os._exit(0)\n"
        "time.sleep(0.6)\n"
        "os._exit(0)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    tree = bench._Tree(proc.pid)
    while proc.poll() is None:
        tree.sample()
        time.sleep(0.02)
    assert tree.peak_kb > 0
    assert tree.cpu  # the child was seen
    tree.follow()  # on a busy machine the child may not have had its 0.3 s of CPU before the parent's end
    assert 0.2 <= tree.unreaped_cpu <= 0.6


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="the process tree is sampled from Linux's /proc")
def test_the_tree_follows_a_worker_that_outlives_the_command() -> None:
    """A check hands its end to a worker that ends after the command: the sampler follows it to its end, so that the
    CPU it spends after the command has exited is counted (and the next run starts once it has ended)."""
    import subprocess
    import time

    code = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    end = time.process_time() + 0.5\n"
        "    while time.process_time() < end: pass\n"
        "    os._exit(0)\n"
        "time.sleep(0.2)\n"
        "os._exit(0)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    tree = bench._Tree(proc.pid)
    while proc.poll() is None:
        tree.sample()
        time.sleep(0.02)
    assert tree.cpu  # the worker was seen
    assert tree.unreaped_cpu < 0.4  # while the command ran: the worker had work left
    tree.follow()
    assert 0.45 <= tree.unreaped_cpu <= 1.0
