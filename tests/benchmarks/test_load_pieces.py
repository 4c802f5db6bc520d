"""The load-pieces benchmark: runs on generated evidence and names every piece of the load."""

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


def test_each_piece_is_timed_over_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _script("generate").main(["--records", "200", "--seed", "7", "--out", str(tmp_path)]) == 0
    assert _script("load_pieces").main([str(tmp_path), "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "over 3 files" in out
    for piece in ("orjson.loads", "duplicate-key check", "record line tables", "schema validation", "id index"):
        assert piece in out
    assert "enrichers" in out and "all but the parse" in out
