"""``capcheck test``: exit codes, the three renderings, coverage of cases and condition branches, the gates."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import xmlschema
from hypothesis import given, settings
from hypothesis import strategies as st

from capcheck.app.testreport import render_text, run_tests, shown_percent
from capcheck.core.resources import load_schema
from capcheck.testing import harness_registry

SCHEMAS = Path(__file__).parent / "data" / "external-schemas"

# A rule of our own, so that coverage and selection are about it alone (not the built-in pack).
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
RECORD = "{{id: {id}, title: A, supplier: S, value: 1, start_date: 2020-01-01, status: {status}{extra}}}"


def _record(id: str, status: str = "active", extra: str = "") -> str:
    return RECORD.format(id=id, status=status, extra=extra)


def _cases(*cases: tuple[str, list[str], str]) -> str:
    out = "rule: COMM-950\nas_of: 2026-11-25\ncases:\n"
    for name, records, expect in cases:
        out += f"  - name: {name}\n    evidence:\n      supplier-contracts:\n"
        out += "".join(f"        - {r}\n" for r in records)
        out += f"    expect: {expect}\n"
    return out


@pytest.fixture
def project(workdir: Path) -> Path:
    """A rule folder and a case folder in the working directory."""
    (workdir / "rules").mkdir()
    (workdir / "rules" / "COMM-950.toml").write_text(RULE)
    (workdir / "cases").mkdir()
    (workdir / "cases" / "COMM-950.yaml").write_text(
        _cases(
            (
                "an owner passes, nobody fails",
                [_record("C-1", extra=", owner: o"), _record("C-2")],
                "{C-1: pass, C-2: fail}",
            )
        )
    )
    return workdir


def test_passing_cases_exit_0_and_say_how_many(run_cli, project: Path) -> None:
    result = run_cli("test", "--rules", "rules", "cases")
    assert (result.exit_code, result.stdout) == (0, "1 case file, 1 case: 1 passed, 0 failed\n")


def test_a_failing_case_exits_1_naming_the_case_and_each_mismatch(run_cli, project: Path) -> None:
    (project / "cases" / "COMM-950.yaml").write_text(
        _cases(("nobody is expected to pass", [_record("C-1"), _record("C-2", extra=", framework: d")], "{C-1: pass}"))
    )
    result = run_cli("test", "--rules", "rules", "cases")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "FAIL COMM-950 cases/COMM-950.yaml:4: nobody is expected to pass",
        "  C-1: expected pass, got fail: requirement not met: owner is present or framework is present "
        "(found owner: <missing>, framework: <missing>)",
        "1 case file, 1 case: 0 passed, 1 failed",
    ]


def test_an_invalid_case_file_exits_2_with_every_problem_located(run_cli, project: Path) -> None:
    (project / "cases" / "bad.yaml").write_text("rule: COMM-950\ncases:\n  - name: x\n    expect: {C-1: passed}\n")
    (project / "cases" / "other.yaml").write_text("rule: COMM-905\ncases:\n  - {name: y, expect: {}}\n")
    result = run_cli("test", "--rules", "rules", "cases")
    assert result.exit_code == 2
    assert "cases/bad.yaml:4: /cases/0/expect/C-1: 'passed' is not a status: expect pass, fail, skip, error" in (
        result.stderr
    )
    assert (
        "cases/other.yaml:1: /rule: unknown rule 'COMM-905' (did you mean 'COMM-950'? If it is yours" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_missing_path_is_exit_2(run_cli, project: Path) -> None:
    result = run_cli("test", "--rules", "rules", "nowhere")
    assert result.exit_code == 2 and "nowhere: no such case file or directory" in result.stderr


def test_coverage_names_each_condition_branch_never_true_or_false(run_cli, project: Path) -> None:
    result = run_cli("test", "--rules", "rules", "cases", "--coverage")
    assert result.exit_code == 0, result.stderr
    # where: never false (no inactive contract); the `any`: both ways; owner: both; framework: never true
    assert result.stdout.splitlines()[1:] == [
        "coverage: 80.0% of 1 rule",
        "  COMM-950 /rule/0/where (status is 'active'): never false",
        "  COMM-950 /rule/0/require/any/1 (framework is present): never true",
    ]
    (project / "cases" / "more.yaml").write_text(
        _cases(
            (
                "a framework will do; a closed contract is out of scope",
                [_record("C-3", extra=", framework: d"), _record("C-4", status="expired")],
                "{C-3: pass}",
            )
        )
    )
    covered = run_cli("test", "--rules", "rules", "cases", "--coverage", "--min-coverage", "100")
    assert (covered.exit_code, covered.stdout.splitlines()[1:]) == (0, ["coverage: 100.0% of 1 rule"])


def test_min_coverage_and_require_tests_gate_with_exit_1(run_cli, project: Path) -> None:
    below = run_cli("test", "--rules", "rules", "cases", "--min-coverage", "80.5")
    assert below.exit_code == 1
    assert below.stdout.splitlines()[-1] == "gate failed: coverage 80.0% is below --min-coverage 80.5%"
    (project / "rules" / "COMM-951.toml").write_text(RULE.replace("COMM-950", "COMM-951"))
    untested = run_cli("test", "--rules", "rules", "cases", "--require-tests")
    assert untested.exit_code == 1
    assert untested.stdout.splitlines()[-1] == "gate failed: 1 rule without a case: COMM-951"
    assert run_cli("test", "--rules", "rules", "cases", "--require-tests", "--select", "COMM-950").exit_code == 0


def test_json_output(run_cli, project: Path) -> None:
    result = run_cli("test", "--rules", "rules", "cases", "--coverage", "-f", "json")
    doc = json.loads(result.stdout)
    jsonschema.Draft202012Validator(load_schema("test-results")).validate(doc)
    failing = json.loads(run_cli("test", "--rules", "rules", "cases", "-f", "json", "--min-coverage", "90").stdout)
    jsonschema.Draft202012Validator(load_schema("test-results")).validate(failing)  # gates failed, no coverage block
    assert (failing["exit_code"], "coverage" in failing) == (1, False)
    assert doc["summary"] == {"files": 1, "cases": 1, "failed": 0}
    assert doc["files"][0]["cases"][0] == {
        "name": "an owner passes, nobody fails",
        "location": "cases/COMM-950.yaml:4",
        "passed": True,
        "mismatches": [],
    }
    [rule] = doc["coverage"]["rules"]
    assert (rule["rule"], rule["has_pass"], rule["has_fail"], rule["covered"], rule["total"]) == (
        "COMM-950",
        True,
        True,
        8,
        10,
    )
    assert {"pointer": "/rule/0/require/any/1", "condition": "framework is present", "true": False, "false": True} in (
        rule["nodes"]
    )


@pytest.mark.parametrize("xsd", ["junit-10.xsd", "JUnit.xsd"])
def test_junit_output_validates_and_carries_the_mismatches(run_cli, project: Path, xsd: str) -> None:
    (project / "cases" / "COMM-950.yaml").write_text(
        _cases(("wrong", [_record("C-1")], "{C-1: pass}"), ("right", [_record("C-1")], "{C-1: fail}"))
    )
    result = run_cli("test", "--rules", "rules", "cases", "-f", "junit", "--min-coverage", "99")
    assert result.exit_code == 1
    xmlschema.XMLSchema(str(SCHEMAS / xsd)).validate(result.stdout)
    assert '<testcase name="wrong" classname="capcheck.COMM-950" time="0">' in result.stdout
    assert "C-1: expected pass, got fail" in result.stdout
    assert 'name="capcheck.coverage"' in result.stdout


def test_output_file_and_never_over_a_case_file(run_cli, project: Path) -> None:
    assert run_cli("test", "--rules", "rules", "cases", "-o", "out.txt").exit_code == 0
    assert (project / "out.txt").read_text() == "1 case file, 1 case: 1 passed, 0 failed\n"
    refused = run_cli("test", "--rules", "rules", "cases", "-o", "cases/COMM-950.yaml")
    assert refused.exit_code == 2 and "would overwrite an input" in refused.stderr


def test_the_built_ins_are_not_under_test_when_rules_are_named(project: Path) -> None:
    registry = harness_registry([project / "rules"], coverage=True)
    under_test = [r for r in registry.rules.values() if r.source.type != "builtin"]
    run = run_tests([project / "cases"], registry, under_test=under_test, coverage=True)
    assert run.coverage is not None and [r.rule_id for r in run.coverage.rules] == ["COMM-950"]
    assert "coverage: 80.0% of 1 rule" in render_text(run)


# --- the examples in docs/writing-rules.md ----------------------------------------------------------

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "writing-rules.md"


def _block(lang: str, first_line: str) -> str:
    found = re.search(rf"```{lang}\n({re.escape(first_line)}\n.*?)```", GUIDE.read_text(), re.S)
    assert found is not None, f"no ```{lang} block starting {first_line!r} in {GUIDE.name}"
    return found.group(1)


@pytest.fixture
def documented(workdir: Path) -> Path:
    """The guide's case file, with the fixture file it names."""
    folder = workdir / "tests" / "rule_cases"
    (folder / "fixtures").mkdir(parents=True)
    (folder / "COMM-002.yaml").write_text(_block("yaml", "# tests/rule_cases/COMM-002.yaml"))
    (folder / "fixtures" / "supplier-contracts.csv").write_text(
        "id,title,supplier,value,start_date,status,last_review\nC-1,Hosting,Acme,10,2020-01-01,active,2026-01-10\n"
    )
    return folder / "COMM-002.yaml"


def test_the_guides_case_file_passes_and_its_failure_output_is_what_capcheck_prints(run_cli, documented: Path) -> None:
    assert run_cli("test", "tests/rule_cases").stdout == "1 case file, 3 cases: 3 passed, 0 failed\n"
    documented.write_text(documented.read_text().replace("message: last review not recorded", "message: no review"))
    result = run_cli("test", "tests/rule_cases")
    assert result.exit_code == 1
    assert result.stdout == _block(
        "", "FAIL COMM-002 tests/rule_cases/COMM-002.yaml:5: reviewed within the year passes; never reviewed fails"
    )


def test_the_guides_coverage_output_is_what_capcheck_prints(run_cli, project: Path) -> None:
    shown = _block("", "coverage: 80.0% of 1 rule")
    result = run_cli("test", "--rules", "rules", "cases", "--coverage")
    assert result.stdout.split("\n", 1)[1] == shown


@pytest.mark.parametrize(("value", "shown"), [(99.96, "99.9"), (100.0, "100.0"), (80.0, "80.0"), (0.04, "0.0")])
def test_a_percentage_is_shown_rounded_down_so_a_failed_gate_never_shows_the_gate(value: float, shown: str) -> None:
    assert shown_percent(value) == shown


def test_the_console_script_exits_1_with_the_whole_report(project: Path) -> None:
    (project / "cases" / "COMM-950.yaml").write_text(_cases(("wrong", [_record("C-1")], "{C-1: pass}")))
    script = Path(sys.executable).with_name("capcheck")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPCHECK_")}
    argv = [str(script), "test", "--rules", "rules", "cases", "-f", "json"]
    result = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stderr) == (1, "")
    assert json.loads(result.stdout)["summary"] == {"files": 1, "cases": 1, "failed": 1}  # flushed before the exit


def test_a_rule_that_is_not_loaded_says_how_to_load_it(run_cli, project: Path) -> None:
    (project / "cases" / "COMM-950.yaml").write_text(
        _cases(("x", [_record("C-1")], "{C-1: fail}")).replace("COMM-950", "ACME-7")
    )
    result = run_cli("test", "cases")
    assert result.exit_code == 2
    assert (
        "cases/COMM-950.yaml:1: /rule: unknown rule 'ACME-7' (name the plugin that defines it (--plugin MOD) or its "
        "rule files (--rules DIR))"
    ) in result.stderr


def test_a_new_rule_not_loaded_is_told_how_to_load_it_beside_the_nearest_id(run_cli, project: Path) -> None:
    # A starter's case file run without its plugin was told only "did you mean 'COMM-005'?", a built-in rule.
    (project / "cases" / "COMM-950.yaml").write_text(
        _cases(("x", [_record("C-1")], "{C-1: fail}")).replace("COMM-950", "COMM-100")
    )
    result = run_cli("test", "cases")
    assert result.exit_code == 2
    assert re.search(
        r"cases/COMM-950.yaml:1: /rule: unknown rule 'COMM-100' \(did you mean 'COMM-0\d\d'\? If it is yours, name "
        r"the plugin that defines it \(--plugin MOD\) or its rule files \(--rules DIR\)\)",
        result.stderr,
    ), result.stderr


# --- hostile names and messages (a case name or a record id is anyone's text) ------------------------

_hostile = st.lists(
    st.one_of(
        st.sampled_from(["\x1b[2J", "\x1b]0;pwned\x07", "\r", "\n", "\u202e", "<!--", "]]>", "&", "\ud800", "\udcff"]),
        st.characters(),
    ),
    min_size=1,
    max_size=8,
).map("".join)


@settings(max_examples=60, deadline=None)
@given(name=_hostile, mismatch=_hostile)
def test_reports_carry_hostile_text_safely(name: str, mismatch: str) -> None:
    from lxml import etree

    from capcheck.app.testreport import FileResult, TestRun, render_json, render_junit
    from capcheck.core.escaping.json import json_safe
    from capcheck.testing import CaseResult

    case = CaseResult(name=name, mismatches=[mismatch], location="c.yaml:4")
    run = TestRun((FileResult("c.yaml", "COMM-950", (case,)),))
    text = render_text(run)
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    assert len(text.splitlines()) == 3  # the FAIL line, the one mismatch, the summary: nothing split
    etree.fromstring(render_junit(run).encode())  # well-formed XML 1.0 whatever the text
    document = render_json(run)
    document.encode("utf-8")  # a plugin rule's lone surrogate in a mismatch is written as its escape text
    assert json.loads(document)["files"][0]["cases"][0]["name"] == json_safe(name)
