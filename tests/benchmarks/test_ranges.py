"""The ranges benchmark: times the whole load and each range of every JSON and CSV register it is given."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"capcheck_benchmark_{name}", ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_each_register_is_loaded_whole_and_by_ranges(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generate = _script("generate")
    assert generate.main(["--records", "300", "--seed", "7", "--out", str(tmp_path / "json")]) == 0
    assert generate.main(["--records", "300", "--seed", "7", "--out", str(tmp_path / "csv"), "--format", "csv"]) == 0
    (tmp_path / "json" / "it-assets.json").write_text('{"kind":"it-assets","records":[]}')  # cannot be divided
    capsys.readouterr()
    assert _script("ranges").main([str(tmp_path / "json"), str(tmp_path / "csv"), "--parts", "3", "--runs", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 6
    assert sum("; 3 ranges " in line and "the largest" in line for line in out) == 5
    assert [line.split(":")[0] for line in out if line.endswith("; not divided")] == [
        str(tmp_path / "json" / "it-assets.json")
    ]
