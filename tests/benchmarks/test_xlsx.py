"""The spreadsheet benchmark: every measure reads the same records, and the ratios are what it says they are."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("capcheck_benchmark_xlsx", ROOT / "benchmarks" / "xlsx.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load()


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("bench")
    assert bench.main(["--records", "150", "--runs", "1", "--out", str(out), "--data", str(out / "data")]) == 0
    document: dict[str, Any] = json.loads((out / "xlsx.json").read_text())
    return document


def test_every_measure_reads_every_record(results: dict[str, Any]) -> None:
    assert results["records"] == 150
    assert set(results["measures"]) == {*bench.READERS, "xlsx", "xlsx+mapping", "csv", "json"}
    assert all(m["records"] == 150 and m["seconds"] > 0 and m["cpu_seconds"] > 0 for m in results["measures"].values())


def test_the_ratios_are_of_the_measures(results: dict[str, Any]) -> None:
    seconds = {name: m["cpu_seconds"] for name, m in results["measures"].items()}
    assert results["ratios"]["xlsx/calamine"] == pytest.approx(seconds["xlsx"] / seconds["calamine"])
    assert results["ratios"]["xlsx/stream"] == pytest.approx(seconds["xlsx"] / seconds["stream"])
    assert results["ratios"]["xlsx/csv"] == pytest.approx(seconds["xlsx"] / seconds["csv"])
    assert results["ratios"]["xlsx/json"] == pytest.approx(seconds["xlsx"] / seconds["json"])


def test_the_workbook_holds_the_same_records_as_the_csv(tmp_path: Path, load) -> None:
    paths = bench.prepare(tmp_path, 40, 7)
    from_xlsx = load(paths["xlsx"])
    from_csv = load(paths["csv"])
    assert [r["id"] for r in from_xlsx.records("it-assets")] == [r["id"] for r in from_csv.records("it-assets")]
    first = from_csv.records("it-assets")[0]
    assert from_xlsx.get("it-assets", first["id"]) == first
