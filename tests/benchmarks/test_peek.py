"""The peek benchmark: runs on generated evidence and prints each file's kinds and the CPU time."""

from __future__ import annotations

import importlib.util
import re
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


def test_each_file_s_kinds_and_the_cost_are_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _script("generate").main(["--records", "200", "--seed", "7", "--out", str(tmp_path)]) == 0
    assert _script("peek").main([str(tmp_path), "--runs", "2"]) == 0
    out = capsys.readouterr().out
    assert re.search(r": 3 files, [\d.]+ MB: peek [\d.]+ ms CPU \(best of 2\)", out)
    for kind in ("governance-register", "it-assets", "supplier-contracts"):
        assert f"  {kind}.json: {kind}\n" in out
