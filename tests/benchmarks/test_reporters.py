"""The reporters' benchmark: each format measured from a checkout, in turns with another, on tiny evidence."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVIDENCE = ROOT / "tests" / "reporters" / "fixtures" / "evidence"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("capcheck_benchmark_reporters", ROOT / "benchmarks" / "reporters.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load()


def test_each_format_and_tree_has_a_row(capsys: pytest.CaptureFixture[str]) -> None:
    code = bench.main(
        ["--data", str(EVIDENCE), "--formats", "sarif,quiet", "--runs", "1", "--src", str(ROOT), "--against", str(ROOT)]
    )
    assert code == 0
    rows = [line.split(" | ") for line in capsys.readouterr().out.splitlines() if line.startswith("| `")]
    assert [(r[0], r[1]) for r in rows] == [
        ("| `-f sarif`", "before"),
        ("| `-f sarif`", "after"),
        ("| `-f text --quiet`", "before"),
        ("| `-f text --quiet`", "after"),
    ]
    for row in rows:
        cpu, rss, size = float(row[2]), float(row[3].replace(",", "")), int(row[4].rstrip(" |").replace(",", ""))
        assert cpu > 0 and rss > 10 and size > 100


def test_a_missing_data_directory_says_how_to_make_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--data", str(tmp_path / "nothing"), "--runs", "1"]) == 2
    assert "benchmarks/run.py --sizes 100000" in capsys.readouterr().err


def test_an_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as stopped:
        bench.main(["--data", str(EVIDENCE), "--formats", "sarif,pdf"])
    assert stopped.value.code == 2
