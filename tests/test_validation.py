"""``capcheck validate``: evidence and rule files checked without running a rule."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from capcheck.app.config import Config
from capcheck.app.plugins import build_plugin_manager
from capcheck.app.registry import Registry, build_registry
from capcheck.app.validation import validate_paths
from capcheck.core.errors import EvidenceError, RuleFileError


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
        "notes.txt: cannot read .txt files as evidence "
        "(readable: .cdx.json, .csv, .json, .jsonl, .ocds.json, .ods, .spdx, .spdx.json, .toml, .xls, .xlsm, .xlsx,"
        " .xml, .yaml, .yml)"
    ]


def test_a_walked_directory_skips_files_capcheck_does_not_read(
    registry: Registry, copy_fixture: Callable[..., Path], workdir: Path
) -> None:
    copy_fixture("evidence/clean", "ev")
    (workdir / "ev" / "README.md").write_text("# evidence\n")
    (workdir / "ev" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert validate_paths(registry, [Path("ev")], Config()).startswith("ok: 3 evidence files (7 records)")


def test_a_csv_kind_nothing_registers_is_a_config_error_before_any_file_is_read(
    run_cli, workdir: Path, copy_fixture: Callable[..., Path]
) -> None:
    copy_fixture("evidence/mixed", "ev")
    (workdir / "ev" / "broken.json").write_text("{")  # read, it would be an evidence error
    (workdir / "capcheck.toml").write_text('[csv_kinds]\n"cmdb.csv" = "it-asset"\n')
    result = run_cli("validate", "ev")
    assert result.exit_code == 2
    assert result.stderr == (
        "capcheck: config error: 1 problem\n  capcheck.toml:2: /csv_kinds/cmdb.csv: unknown evidence kind 'it-asset' "
        "(did you mean 'it-assets'?) (see 'capcheck kinds')\n"
    )


def test_csv_kinds_from_the_config_apply(registry: Registry, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("evidence/mixed/it-assets.csv", "cmdb.csv")
    config = Config(csv_kinds={"cmdb.csv": "it-assets"})
    assert validate_paths(registry, [Path("cmdb.csv")], config).startswith("ok: 1 evidence file (10 records)")


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


# --- rule files --------------------------------------------------------------------------------------


def test_a_good_rule_file(registry: Registry, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("rules/contract-currency.toml", "rules/contract-currency.toml")
    copy_fixture("evidence/clean", "ev")
    assert validate_paths(registry, [Path("rules"), Path("ev")], Config()) == (
        "ok: 3 evidence files (7 records), 1 rule file (1 rule)"
    )


def test_a_broken_rule_file_is_a_rule_file_error(registry: Registry, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("rules/broken-rule.toml")
    with pytest.raises(RuleFileError) as info:
        validate_paths(registry, [Path("broken-rule.toml")], Config())
    shown = [str(p) for p in info.value.problems]
    assert any(p.startswith("broken-rule.toml:5: /rule/0/severity: ") for p in shown), shown
    assert all(p.startswith("broken-rule.toml") for p in shown)


def test_a_rule_file_is_checked_as_a_run_would_register_it(
    registry: Registry, copy_fixture: Callable[..., Path], run_cli
) -> None:
    """validate must not say ok to a rule file that check refuses (here: an unknown framework criterion)."""
    copy_fixture("rules/unknown-criterion.toml")
    copy_fixture("evidence/clean", "ev")
    with pytest.raises(RuleFileError) as info:
        validate_paths(registry, [Path("unknown-criterion.toml")], Config())
    [problem] = [str(p) for p in info.value.problems]
    assert problem.startswith("unknown-criterion.toml: rule 'COMM-802' from 'unknown-criterion.toml' names unknown ")
    refused = run_cli("check", "ev", "--rules", "unknown-criterion.toml")
    assert refused.exit_code == 2 and "names unknown criterion 'caf-4.0:Z9.z'" in refused.stderr
    validated = run_cli("validate", "unknown-criterion.toml")
    assert validated.exit_code == 2
    assert validated.stderr.startswith("capcheck: rule file error: 1 problem\n")


def test_the_bundled_rule_pack_validates(registry: Registry, run_cli) -> None:
    from capcheck.core.resources import data_dir

    result = run_cli("validate", data_dir("rules"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: 0 evidence files (0 records), ")


def test_a_rule_reading_an_undeclared_field_is_an_error_in_every_command(run_cli, workdir: Path) -> None:
    rules = workdir / "rules"
    rules.mkdir()
    (rules / "INFRA-950.toml").write_text(
        '[[rule]]\nid = "INFRA-950"\ntitle = "Assets are within support"\narea = "INFRA"\nseverity = "low"\n'
        'kind = "it-assets"\ndescription = "d"\nrationale = "r"\nremediation = "m"\n'
        'message = "{nmae} is out of support"\n'
        'where = { field = "environment", eq = "production" }\n'
        'require = { field = "end_of_lfe", after_as_of = true }\n'
    )
    expected = [
        "rules/INFRA-950.toml:10: /rule/0/message: unknown name {nmae} in the message: not a field of kind "
        "'it-assets', an option or as_of (did you mean 'name'?)",
        "rules/INFRA-950.toml:12: /rule/0/require/field: unknown field 'end_of_lfe': kind 'it-assets' does not "
        "declare it (did you mean 'end_of_life'?)",
    ]
    for args in (["validate", "rules"], ["validate", "--strict", "rules"], ["rules", "list", "--rules", "rules"]):
        result = run_cli(*args)
        assert result.exit_code == 2, args
        assert [line.strip() for line in result.stderr.splitlines()[1:]] == expected, args
        assert "Traceback" not in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_or_a_huge_integer_toml_is_refused_not_waited_on_or_crashed(registry: Registry, workdir: Path) -> None:
    os.mkfifo(workdir / "pipe.toml")
    (workdir / "big.toml").write_text('kind = "it-assets"\nrecords = []\nn = ' + "9" * 5000 + "\n")
    with pytest.raises(EvidenceError) as info:
        validate_paths(registry, [Path("pipe.toml"), Path("big.toml")], Config())
    assert [str(p) for p in info.value.problems] == [
        "pipe.toml: not a regular file (a pipe, socket or device)",
        "big.toml:3: an integer of 5000 digits (at most 4300)",
    ]


def test_an_unreadable_directory_is_named(registry: Registry, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulated through os.scandir: tests may run as root."""
    (workdir / "ev" / "locked").mkdir(parents=True)
    real_scandir = os.scandir

    def guarded_scandir(path: object = ".") -> object:
        if Path(str(path)).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[call-overload]  # passed through as given

    monkeypatch.setattr(os, "scandir", guarded_scandir)
    with pytest.raises(EvidenceError) as info:
        validate_paths(registry, [Path("ev")], Config())
    assert "ev/locked: cannot read directory: Permission denied" in [str(p) for p in info.value.problems]
