"""``capcheck validate``: evidence and rule files checked without running a rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from capcheck.config import Config
from capcheck.errors import EvidenceError
from capcheck.plugins import build_plugin_manager
from capcheck.registry import Registry, build_registry
from capcheck.validation import validate_paths


@pytest.fixture(scope="module")
def registry() -> Registry:
    pm, infos = build_plugin_manager(entry_points=False)
    return build_registry(pm, infos)


def test_good_evidence(registry: Registry, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("evidence/mixed", "ev")
    assert validate_paths(registry, [Path("ev")], Config()) == (
        "ok: 3 evidence files (20 records), 0 rule files (0 rules)"
    )


def test_named_files_of_any_type_are_checked(registry: Registry, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("evidence/bad/notes.txt")
    with pytest.raises(EvidenceError) as info:
        validate_paths(registry, [Path("notes.txt")], Config())
    assert [str(p) for p in info.value.problems] == [
        "notes.txt: cannot read .txt files as evidence (readable: .csv, .json, .toml, .yaml, .yml)"
    ]


def test_a_walked_directory_skips_files_capcheck_does_not_read(
    registry: Registry, copy_fixture: Callable[..., Path], workdir: Path
) -> None:
    copy_fixture("evidence/clean", "ev")
    (workdir / "ev" / "README.md").write_text("# evidence\n")
    (workdir / "ev" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert validate_paths(registry, [Path("ev")], Config()).startswith("ok: 3 evidence files (7 records)")


def test_csv_kinds_from_the_config_apply(registry: Registry, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("evidence/mixed/it-assets.csv", "cmdb.csv")
    config = Config(csv_kinds={"cmdb.csv": "it-assets"})
    assert validate_paths(registry, [Path("cmdb.csv")], config).startswith("ok: 1 evidence files (10 records)")


def test_every_problem_is_reported(registry: Registry, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("evidence/bad/malformed.yaml", "ev/a.yaml")
    copy_fixture("evidence/bad/missing-id.toml", "ev/b.toml")
    with pytest.raises(EvidenceError) as info:
        validate_paths(registry, [Path("ev"), Path("missing.json")], Config())
    shown = [str(p) for p in info.value.problems]
    assert shown[0] == "missing.json: no such file or directory"  # paths are resolved before files are read
    assert shown[1].startswith("ev/a.yaml:5: malformed YAML: ")
    assert shown[2] == "ev/b.toml:10: /records/1/id: each record needs a non-empty string 'id'"
    assert len(shown) == 3
