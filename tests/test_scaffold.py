"""``capcheck new rule``: the skeleton validates, its case file passes, ids do not collide, nothing is clobbered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
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


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        ("it-assets", "IT asset inventory records name their owner"),
        ("training-records", "Training records name their"),  # was "Training records (learning ...) records name"
        ("skills-matrix", "Skills matrix records name their"),
    ],
)
def test_a_starter_rule_s_title_reads_as_a_sentence(run_cli, workdir: Path, kind: str, title: str) -> None:
    assert run_cli("new", "rule", "--area", "WORK", "--kind", kind).exit_code == 0
    [written] = Path("rules").glob("*.toml")
    assert tomllib.loads(written.read_text())["rule"][0]["title"].startswith(title)


def test_a_python_starter_rule_loads_as_a_plugin_and_its_cases_pass(run_cli, workdir: Path) -> None:
    result = run_cli("new", "rule", "--area", "INFRA", "--kind", "it-assets", "--python", "--out", "ours")
    assert result.exit_code == 0, result.stderr
    shown = run_cli("rules", "show", "INFRA-100", "--plugin", "./ours/infra_100_rule.py")
    assert shown.exit_code == 0 and "IT asset inventory records name their owner" in shown.stdout
    [case] = run_case_file(Path("tests/rule_cases/INFRA-100.yaml"), plugins=["./ours/infra_100_rule.py"])
    assert sorted(f.status.value for f in case.findings) == ["fail", "pass"]


def test_the_python_and_toml_starters_judge_a_blank_or_placeholder_alike(run_cli, workdir: Path) -> None:
    """The Python starter passed any value but null ('TBC' too, and a blank where a kind allows one), where its
    TOML twin's exists = true fails them: a rule written from it would let a placeholder pass."""
    assert run_cli("new", "rule", "--area", "INFRA", "--kind", "it-assets", "--id", "INFRA-100").exit_code == 0
    argv = ["new", "rule", "--area", "INFRA", "--kind", "it-assets", "--python", "--out", "ours", "--id", "INFRA-101"]
    assert run_cli(*argv).exit_code == 0
    asset = {"name": "web", "product": "nginx", "environment": "production", "criticality": "high"}
    owners = {"A-1": "head-of-it", "A-2": "TBC", "A-3": "n/a", "A-4": None}  # the kind refuses a blank itself
    records = [{"id": i, **asset, **({"owner": o} if o is not None else {})} for i, o in owners.items()]
    expected = {"A-1": "pass", **{i: "fail" for i in owners if i != "A-1"}}
    cases = workdir / "blank.yaml"
    for rule_id, where in (
        ("INFRA-100", {"rule_paths": [Path("rules")]}),
        ("INFRA-101", {"plugins": ["./ours/infra_101_rule.py"]}),
    ):
        cases.write_text(
            json.dumps(
                {
                    "rule": rule_id,
                    "as_of": "2026-11-25",
                    "cases": [{"name": "blank", "evidence": {"it-assets": records}, "expect": expected}],
                }
            )
        )
        [case] = run_case_file(cases, **where)
        assert {f.evidence.record_id: f.status.value for f in case.findings} == expected, rule_id


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


def test_a_misspelt_area_or_kind_gets_a_did_you_mean(run_cli) -> None:
    area = run_cli("new", "rule", "--area", "INFRAS", "--kind", "it-assets")
    assert area.exit_code == 2 and "unknown area 'INFRAS' (did you mean 'INFRA'?)" in area.stderr
    kind = run_cli("new", "rule", "--area", "INFRA", "--kind", "it-asset")
    assert kind.exit_code == 2 and "unknown evidence kind 'it-asset' (did you mean 'it-assets'?)" in kind.stderr
    plugin = run_cli("new", "plugin", "acme", "--area", "CYBR")
    assert plugin.exit_code == 2 and "unknown area 'CYBR' (did you mean 'CYBER'?)" in plugin.stderr


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


def test_a_python_starter_after_a_toml_one_takes_the_next_id(run_cli, workdir: Path) -> None:
    """The TOML scaffold's case file holds INFRA-100: a Python scaffold in another folder must not take it."""
    assert run_cli("new", "rule", "--area", "INFRA", "--kind", "it-assets").exit_code == 0
    second = run_cli("new", "rule", "--area", "INFRA", "--kind", "it-assets", "--python", "--out", "ours")
    assert second.exit_code == 0, second.stderr
    assert "wrote ours/infra_101_rule.py (INFRA-101) and tests/rule_cases/INFRA-101.yaml" in second.stdout
    third = run_cli("new", "rule", "--area", "INFRA", "--kind", "it-assets", "--out", "ours")
    assert "(INFRA-102)" in third.stdout  # ours/infra_101_rule.py holds INFRA-101 whatever the cases say


def test_namespaced_starters(run_cli, workdir: Path) -> None:
    toml = run_cli("new", "rule", "--area", "CULT", "--kind", "it-assets", "--namespace", "acme")
    assert toml.exit_code == 0, toml.stderr
    assert "wrote rules/acme.CULT-100.toml (acme.CULT-100) and tests/rule_cases/acme.CULT-100.yaml" in toml.stdout
    [case] = run_case_file(Path("tests/rule_cases/acme.CULT-100.yaml"), rule_paths=[Path("rules/acme.CULT-100.toml")])
    assert sorted(f.status.value for f in case.findings) == ["fail", "pass"]
    python = run_cli("new", "rule", "--area", "CULT", "--kind", "it-assets", "--namespace", "acme", "--python")
    assert "wrote rules/acme_cult_101_rule.py (acme.CULT-101)" in python.stdout
    bad = run_cli("new", "rule", "--area", "CULT", "--kind", "it-assets", "--namespace", "acme", "--id", "CULT-300")
    assert bad.exit_code == 2 and "'CULT-300' is not a free id of area CULT (like acme.CULT-100)" in bad.stderr
    worse = run_cli("new", "rule", "--area", "CULT", "--kind", "it-assets", "--namespace", "Acme Corp")
    assert worse.exit_code == 2 and "'Acme Corp' is not a namespace" in worse.stderr


def test_default_folders_are_beside_the_config_file(run_cli, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workdir / "capcheck.toml").write_text("")
    (workdir / "sub").mkdir()
    monkeypatch.chdir(workdir / "sub")
    result = run_cli("new", "rule", "--area", "GOV", "--kind", "it-assets")
    assert result.exit_code == 0, result.stderr
    assert "wrote ../rules/GOV-100.toml (GOV-100) and ../tests/rule_cases/GOV-100.yaml" in result.stdout
    assert (workdir / "rules" / "GOV-100.toml").is_file() and not (workdir / "sub" / "rules").exists()


@pytest.mark.parametrize("args", [[], ["--out", "rules"], ["--out", "elsewhere", "--cases", "tests/rule_cases/x"]])
def test_never_into_the_built_in_pack_in_capchecks_own_repository(
    run_cli, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    from capcheck.core.resources import data_dir

    root = data_dir("rules").parent
    if not (root / "pyproject.toml").is_file():
        pytest.skip("an installed capcheck: its pack is not a folder a user works in")
    monkeypatch.chdir(root)
    before = sorted(p.name for p in (root / "rules" / "GOV").iterdir())
    result = run_cli("new", "rule", "--area", "GOV", "--kind", "it-assets", *args)
    assert result.exit_code == 2
    assert "is capcheck's built-in rule pack: a new rule goes in a folder of your own" in result.stderr
    assert sorted(p.name for p in (root / "rules" / "GOV").iterdir()) == before
    assert not (root / "elsewhere").exists()


def test_never_into_the_pack_of_another_checkout_of_capcheck(run_cli, workdir: Path) -> None:
    # Run in a clone of capcheck with a capcheck installed elsewhere (pip install ., or another checkout's
    # editable install), the starter went into that clone's ./rules: the pack its next install ships.
    (workdir / "pyproject.toml").write_text('[project]\nname = "capcheck"\n')
    (workdir / "rules").mkdir()
    (workdir / "rules" / "areas.toml").write_text("")
    result = run_cli("new", "rule", "--area", "GOV", "--kind", "it-assets")
    assert result.exit_code == 2
    assert "rules is capcheck's built-in rule pack: a new rule goes in a folder of your own" in result.stderr
    assert sorted(p.name for p in (workdir / "rules").iterdir()) == ["areas.toml"]
    assert not (workdir / "tests").exists()


def test_the_python_starter_and_the_plugin_skeleton_pass_mypy_strict_and_ruff(run_cli, workdir: Path) -> None:
    assert run_cli("new", "rule", "--area", "INFRA", "--kind", "it-assets", "--python", "--out", "ours").exit_code == 0
    assert run_cli("new", "plugin", "acme").exit_code == 0
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(workdir / ".mypy"),
            "ours/infra_100_rule.py",
            "capcheck-acme/src",
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ruff = str(Path(sys.executable).with_name("ruff"))
    for command in (["check"], ["format", "--check"]):  # with the plugin's own ruff settings (its pyproject)
        linted = subprocess.run(
            [ruff, *command, "--no-cache", "capcheck-acme"], cwd=workdir, capture_output=True, text=True
        )
        assert linted.returncode == 0, linted.stdout + linted.stderr


def test_a_new_plugin_is_a_package_whose_tests_pass_straight_away(run_cli, workdir: Path) -> None:
    result = run_cli("new", "plugin", "nhs-digital", "--area", "CYBER")
    assert result.exit_code == 0, result.stderr
    root = workdir / "capcheck-nhs-digital"
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["project"]["name"] == "capcheck-nhs-digital"
    assert project["project"]["entry-points"]["capcheck"] == {"nhs-digital": "capcheck_nhs_digital.plugin"}
    assert (root / "src" / "capcheck_nhs_digital" / "py.typed").is_file()
    assert sorted(p.name for p in (root / "tests" / "cases").iterdir()) == [
        "nhs-digital.CYBER-100.yaml",
        "nhs-digital.CYBER-101.yaml",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAPCHECK_", "PYTEST_"))}
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(workdir / "t")],
        cwd=root,
        env={**env, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "4 passed" in tests.stdout  # the cases, the every-rule-has-cases test, and capcheck_run on the rule
    # the plugin loads by its module name and registers its namespaced kind and rules
    sys.path.insert(0, str(root / "src"))
    try:
        listed = run_cli("rules", "list", "--select", "nhs-digital.", "--plugin", "capcheck_nhs_digital.plugin")
    finally:
        sys.path.remove(str(root / "src"))
        for name in [m for m in sys.modules if m.startswith("capcheck_nhs_digital")]:
            del sys.modules[name]
    assert listed.exit_code == 0, listed.stderr
    assert "nhs-digital.CYBER-100" in listed.stdout and "nhs-digital.CYBER-101" in listed.stdout


def test_the_new_plugins_readme_check_runs_on_its_sample_register(run_cli, workdir: Path) -> None:
    # The README said `capcheck check nhs-digital.register.csv`, a file the skeleton did not have.
    assert run_cli("new", "plugin", "nhs-digital").exit_code == 0
    root = workdir / "capcheck-nhs-digital"
    readme = (root / "README.md").read_text()
    [command] = [line.split("  #")[0].split() for line in readme.splitlines() if line.startswith("capcheck check ")]
    sys.path.insert(0, str(root / "src"))
    try:
        os.chdir(root)
        result = run_cli(*command[1:], "--plugin", "capcheck_nhs_digital.plugin", "--compact")
    finally:
        os.chdir(workdir)
        sys.path.remove(str(root / "src"))
        for name in [m for m in sys.modules if m.startswith("capcheck_nhs_digital")]:
            del sys.modules[name]
    assert result.exit_code == 1, result.stderr
    assert "Summary: 2 failed (2 medium), 0 errors, 0 skipped, 2 passed" in result.stdout
    assert "examples/nhs-digital.register.csv:3: nhs-digital.GOV-100 medium E-2: " in result.stdout


def test_a_new_plugin_refuses_a_bad_name_and_an_existing_folder(run_cli, workdir: Path) -> None:
    bad = run_cli("new", "plugin", "Acme_Corp")
    assert bad.exit_code == 2 and "'Acme_Corp' is not a plugin name" in bad.stderr
    (workdir / "capcheck-acme").mkdir()
    taken = run_cli("new", "plugin", "acme")
    assert taken.exit_code == 2 and "capcheck-acme exists" in taken.stderr


def test_the_reserved_namespace_is_refused_before_anything_is_written(run_cli, workdir: Path) -> None:
    # A plugin named 'capcheck' was written, and then refused at load: 'capcheck.' is capcheck's own.
    plugin = run_cli("new", "plugin", "capcheck")
    assert plugin.exit_code == 2 and "'capcheck' is reserved for capcheck's own ids" in plugin.stderr
    rule = run_cli("new", "rule", "--area", "GOV", "--kind", "roles", "--namespace", "capcheck")
    assert rule.exit_code == 2 and "'capcheck' is reserved for capcheck's own ids" in rule.stderr
    assert list(workdir.iterdir()) == []


def test_a_starter_on_a_plugins_kind_says_to_load_that_plugin_too(run_cli, workdir: Path, fixtures: Path) -> None:
    plugin = str(fixtures / "plugins" / "namespaced_plugin.py")
    made = run_cli(
        "new", "rule", "--area", "CULT", "--kind", "acme.staff-roster", "--namespace", "acme", "--plugin", plugin
    )
    assert made.exit_code == 0, made.stderr
    assert "(acme.CULT-100)" in made.stdout  # acme.CULT-101 is the plugin's: 100 is free
    hint = next(line.strip() for line in made.stdout.splitlines() if line.strip().startswith("capcheck test "))
    assert (
        hint == f"capcheck test tests/rule_cases/acme.CULT-100.yaml --rules rules/acme.CULT-100.toml --plugin {plugin}"
    )
    tested = run_cli(*hint.split()[1:])
    assert tested.exit_code == 0, tested.stdout + tested.stderr
