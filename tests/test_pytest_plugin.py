"""The pytest plugin: case files collected as items with readable failures, fixtures for Python rules, and no cost
or effect on a pytest run without case files."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

FIXTURES = Path(__file__).parent / "fixtures"
#: Load the plugin by name when this environment's install predates its entry point.
PLUGIN_ARGS = (
    ()
    if any(ep.value == "capcheck.pytest_plugin" for ep in metadata.entry_points(group="pytest11"))
    else (
        "-p",
        "capcheck.pytest_plugin",
    )
)
RECORD = "{id: C-1, title: A, supplier: S, value: 1, start_date: 2020-01-01, status: active, last_review: 2026-01-10}"


@pytest.fixture
def cases(pytester: pytest.Pytester) -> Path:
    """``tests/rule_cases/COMM-002.yaml`` in a scratch project: one passing case, one wrong."""
    folder = pytester.path / "tests" / "rule_cases"
    folder.mkdir(parents=True)
    (folder / "COMM-002.yaml").write_text(
        "rule: COMM-002\nas_of: 2026-11-25\ncases:\n"
        f"  - name: reviewed this year\n    evidence: {{supplier-contracts: [{RECORD}]}}\n    expect: {{C-1: pass}}\n"
        f"  - name: wrongly expected to fail\n    evidence: {{supplier-contracts: [{RECORD}]}}\n"
        "    expect: {C-1: fail}\n"
    )
    (pytester.path / "tests" / "evidence.yaml").write_text("not: a case file\n")  # outside rule_cases: not collected
    return folder


def test_each_case_is_an_item_and_a_failure_says_expected_and_got(pytester: pytest.Pytester, cases: Path) -> None:
    result = pytester.runpytest(*PLUGIN_ARGS, "-p", "no:cacheprovider", "-v", "tests")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*tests/rule_cases/COMM-002.yaml::reviewed this year PASSED*",
            "*tests/rule_cases/COMM-002.yaml::wrongly expected to fail FAILED*",
            "COMM-002: wrongly expected to fail (tests/rule_cases/COMM-002.yaml:7)",
            "  C-1: expected fail, got pass: Live contracts were reviewed within the review period",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_an_invalid_case_file_is_a_collection_error_with_its_location(pytester: pytest.Pytester, cases: Path) -> None:
    (cases / "COMM-001.yaml").write_text("rule: COMM-001\ncases:\n  - name: x\n    expected: {C-1: pass}\n")
    result = pytester.runpytest(*PLUGIN_ARGS, "-p", "no:cacheprovider", "tests")
    result.stdout.fnmatch_lines(
        ["*capcheck rule file error:*", "*COMM-001.yaml:4: /cases/0/expected: unknown key 'expected' (did you mean*"]
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED  # a collection error stops the run, as pytest does


def test_the_plugin_under_test_comes_from_the_ini_options_and_nothing_else_is_autoloaded(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = pytester.path / "site"
    site.mkdir()
    (site / "capcheck_testplugin.py").write_text((FIXTURES / "plugins" / "site" / "capcheck_testplugin.py").read_text())
    broken = site / "capcheck_broken-0.1.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text("Metadata-Version: 2.1\nName: capcheck-broken\nVersion: 0.1\n")
    (broken / "entry_points.txt").write_text("[capcheck]\nbroken = capcheck_broken_module\n")  # cannot import
    pytester.makeini("[pytest]\ncapcheck_plugins = capcheck_testplugin\n")
    folder = pytester.path / "rule_cases"
    folder.mkdir()
    (folder / "GOV-950.yaml").write_text(
        "rule: GOV-950\nas_of: 2026-11-25\ncases:\n  - name: no board fails\n    evidence:\n"
        "      governance-register: [{id: G-1, title: T, entry_type: risk, owner: o, status: open}]\n"
        "    expect: {G-1: fail}\n"
    )
    pytester.makepyfile(
        test_python_rule="""
from datetime import date

from capcheck_testplugin import entries_have_a_board

def test_one_rule(capcheck_run):
    records = {"governance-register": [
        {"id": "G-1", "title": "T", "entry_type": "risk", "owner": "o", "status": "open", "board": "Audit"},
        {"id": "G-2", "title": "T", "entry_type": "risk", "owner": "o", "status": "open"},
    ]}
    findings = capcheck_run(entries_have_a_board, records, as_of=date(2026, 11, 25))
    assert [(f.evidence.record_id, f.status.value) for f in findings] == [("G-1", "pass"), ("G-2", "fail")]
    assert [f.status.value for f in capcheck_run("GOV-950", records, as_of="2026-11-25", include_passed=False)] == [
        "fail"
    ]

def test_evidence(capcheck_evidence):
    evidence = capcheck_evidence({"governance-register": [
        {"id": "G-1", "title": "T", "entry_type": "risk", "owner": "o", "status": "open"}]})
    assert [r["id"] for r in evidence.records("governance-register")] == ["G-1"]
"""
    )
    monkeypatch.syspath_prepend(str(site))  # "installed": the test plugin and a broken one
    result = pytester.runpytest(*PLUGIN_ARGS, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    pytester.makeini("[pytest]\ncapcheck_plugins = capcheck_testplugin\ncapcheck_autoload = true\n")
    autoloaded = pytester.runpytest(*PLUGIN_ARGS, "-p", "no:cacheprovider")
    autoloaded.stdout.fnmatch_lines(["*plugin 'broken' (entry point 'capcheck_broken_module'*failed to import*"])


def test_importing_the_plugin_imports_nothing_of_capcheck() -> None:
    code = (
        "import sys, capcheck, pytest; before = set(sys.modules); import capcheck.pytest_plugin; "
        "print(sorted(set(sys.modules) - before))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['capcheck.pytest_plugin']"


def test_the_guides_fixture_example_passes(pytester: pytest.Pytester) -> None:
    guide = (Path(__file__).resolve().parent.parent / "docs" / "writing-rules.md").read_text()
    found = re.search(r"```python\n(from datetime import date\n\n\ndef test_an_active_contract.*?)```", guide, re.S)
    assert found is not None
    pytester.makepyfile(test_guide=found.group(1))
    pytester.runpytest(*PLUGIN_ARGS, "-p", "no:cacheprovider").assert_outcomes(passed=1)


RULE = """[[rule]]
id = "COMM-950"
title = "Live contracts have an owner or a framework"
area = "COMM"
severity = "high"
kind = "supplier-contracts"
description = "d"
rationale = "r"
remediation = "m"
where = { field = "status", eq = "active" }
require = { any = [{ field = "owner", exists = true }, { field = "framework", exists = true }] }
"""


def test_coverage_is_reported_after_the_run_and_gates_it(pytester: pytest.Pytester) -> None:
    (pytester.path / "rules").mkdir()
    (pytester.path / "rules" / "COMM-950.toml").write_text(RULE)
    pytester.makeini("[pytest]\ncapcheck_rules = rules\n")
    (pytester.path / "rule_cases").mkdir()
    (pytester.path / "rule_cases" / "COMM-950.yaml").write_text(
        "rule: COMM-950\nas_of: 2026-11-25\ncases:\n  - name: an owner passes, nobody fails\n    evidence:\n"
        "      supplier-contracts:\n"
        "        - {id: C-1, title: A, supplier: S, value: 1, start_date: 2020-01-01, status: active, owner: o}\n"
        "        - {id: C-2, title: A, supplier: S, value: 1, start_date: 2020-01-01, status: active}\n"
        "    expect: {C-1: pass, C-2: fail}\n"
    )
    plain = pytester.runpytest(*PLUGIN_ARGS, "-p", "no:cacheprovider")
    assert "capcheck rule coverage" not in plain.stdout.str()
    reported = pytester.runpytest(*PLUGIN_ARGS, "-p", "no:cacheprovider", "--capcheck-coverage")
    assert reported.ret == pytest.ExitCode.OK
    reported.stdout.fnmatch_lines(
        [
            "*capcheck rule coverage*",
            "coverage: 80.0% of 1 rule",
            "  COMM-950 /rule/0/where (status is 'active'): never false",
            "  COMM-950 /rule/0/require/any/1 (framework is present): never true",
        ]
    )
    gated = pytester.runpytest(*PLUGIN_ARGS, "-p", "no:cacheprovider", "--capcheck-min-coverage", "90")
    gated.assert_outcomes(passed=1)
    assert gated.ret == pytest.ExitCode.TESTS_FAILED
    gated.stdout.fnmatch_lines(["gate failed: coverage 80.0% is below --capcheck-min-coverage 90%"])


def test_coverage_without_a_collected_case_says_so_and_fails_its_gate(pytester: pytest.Pytester) -> None:
    """A new plugin's cases live in tests/cases and run through run_case_file, which the coverage does not count:
    --capcheck-coverage printed nothing, and --capcheck-min-coverage 90 passed with nothing measured."""
    pytester.makepyfile(test_something="def test_it():\n    assert True\n")
    reported = pytester.runpytest(*PLUGIN_ARGS, "-p", "no:cacheprovider", "--capcheck-coverage")
    assert reported.ret == pytest.ExitCode.OK
    reported.stdout.fnmatch_lines(["*capcheck rule coverage*", "no rule case was collected: *rule_cases*"])
    gated = pytester.runpytest(*PLUGIN_ARGS, "-p", "no:cacheprovider", "--capcheck-min-coverage", "90")
    gated.assert_outcomes(passed=1)
    assert gated.ret == pytest.ExitCode.TESTS_FAILED
    gated.stdout.fnmatch_lines(["gate failed: no coverage was measured, so none reaches --capcheck-min-coverage 90%"])
