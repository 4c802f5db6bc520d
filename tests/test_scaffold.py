"""``capcheck new rule``: the skeleton validates, its case file passes, ids do not collide, nothing is clobbered."""

from __future__ import annotations

from pathlib import Path

import pytest

from capcheck.testing import run_case_file


@pytest.mark.parametrize("kind", ["supplier-contracts", "it-assets", "governance-register", "workforce-plan"])
def test_a_toml_starter_rule_validates_and_its_cases_pass(run_cli, workdir: Path, kind: str) -> None:
    result = run_cli("new", "rule", "--area", "GOV", "--kind", kind)
    assert result.exit_code == 0, result.stderr
    assert "wrote rules/GOV-100.toml (GOV-100) and tests/rule_cases/GOV-100.yaml" in result.stdout
    strict = run_cli("validate", "--strict", "rules/GOV-100.toml")
    assert strict.exit_code == 0, strict.stderr
    [case] = run_case_file(Path("tests/rule_cases/GOV-100.yaml"), rule_paths=[Path("rules/GOV-100.toml")])
    assert sorted(f.status.value for f in case.findings) == ["fail", "pass"]


def test_a_python_starter_rule_loads_as_a_plugin_and_its_cases_pass(run_cli, workdir: Path) -> None:
    result = run_cli("new", "rule", "--area", "INFRA", "--kind", "it-assets", "--python", "--out", "ours")
    assert result.exit_code == 0, result.stderr
    shown = run_cli("rules", "show", "INFRA-100", "--plugin", "./ours/infra_100_rule.py")
    assert shown.exit_code == 0 and "IT asset inventory records name their owner" in shown.stdout
    [case] = run_case_file(Path("tests/rule_cases/INFRA-100.yaml"), plugins=["./ours/infra_100_rule.py"])
    assert sorted(f.status.value for f in case.findings) == ["fail", "pass"]


def test_ids_do_not_collide_and_files_are_not_clobbered(run_cli, workdir: Path) -> None:
    assert run_cli("new", "rule", "--area", "COMM", "--kind", "supplier-contracts").exit_code == 0
    second = run_cli("new", "rule", "--area", "COMM", "--kind", "supplier-contracts")
    assert "COMM-101" in second.stdout  # COMM-100.toml is taken in rules/
    again = run_cli("new", "rule", "--area", "COMM", "--kind", "supplier-contracts", "--id", "COMM-100")
    assert again.exit_code == 2 and "rules/COMM-100.toml exists (use --force to overwrite)" in again.stderr
    builtin = run_cli("new", "rule", "--area", "COMM", "--kind", "supplier-contracts", "--id", "COMM-001")
    assert builtin.exit_code == 2 and "'COMM-001' is not a free id of area COMM" in builtin.stderr


def test_unknown_area_or_kind(run_cli, workdir: Path) -> None:
    area = run_cli("new", "rule", "--area", "NOPE", "--kind", "it-assets")
    assert area.exit_code == 2 and "unknown area 'NOPE'" in area.stderr
    kind = run_cli("new", "rule", "--area", "INFRA", "--kind", "risk-log")
    assert kind.exit_code == 2 and "unknown evidence kind 'risk-log'" in kind.stderr


def test_a_starter_rule_never_overwrites_an_input_even_with_force(run_cli, workdir: Path) -> None:
    """The plugin file named with --plugin is an input of the command: --force does not make it an output."""
    plugin = workdir / "rules" / "comm_200_rule.py"
    plugin.parent.mkdir()
    plugin.write_text('"""A plugin of mine."""\n')
    argv = ["new", "rule", "--area", "COMM", "--kind", "supplier-contracts", "--python", "--id", "COMM-200"]
    result = run_cli(*argv, "--force", "--plugin", "./rules/comm_200_rule.py")
    assert result.exit_code == 2
    assert "rules/comm_200_rule.py: --out would overwrite an input of this check: refused" in result.stderr
    assert plugin.read_text() == '"""A plugin of mine."""\n'
    assert not (workdir / "tests").exists()  # nothing written, the case file neither
    assert run_cli(*argv, "--force").exit_code == 0  # not an input: --force overwrites it
    assert "COMM-200" in plugin.read_text()
