"""The public rule-case harness: what makes a case unrunnable (rule, options, evidence) or failed, fixture files,
and isolation from installed plugins. Reading case files: tests/test_casefiles.py."""

from __future__ import annotations

import dataclasses
import shutil
import sys
from datetime import date
from pathlib import Path

import pytest

from capcheck.core.errors import PluginError, RuleFileError
from capcheck.core.models import Status
from capcheck.testing import run_case_file, run_rule

# --- what makes a case file unrunnable -----------------------------------------------------------

CONTRACT = "{id: C-1, title: A, supplier: S, value: 1, start_date: 2020-01-01, status: active, last_review: 2026-01-10}"


def _case_file(tmp_path: Path, case: str, *, rule: str = "COMM-002", name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        f"rule: {rule}\nas_of: 2026-11-25\ncases:\n  - name: one\n"
        f"    evidence:\n      supplier-contracts:\n        - {CONTRACT}\n{case}"
    )
    return path


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            "{review_perod: 30d}",
            "/cases/0/options/review_perod: rule COMM-002 has no option 'review_perod' (did you mean 'review_period'?)",
        ),
        (
            "{review_period: 30}",
            "/cases/0/options/review_period: option 'review_period' of COMM-002 must be str, like its default '365d'",
        ),
        (  # the rule's own conversion, as a config's value meets it: one definition of a usable value
            "{review_period: 30 days}",
            "/cases/0/options/review_period: option 'review_period' of COMM-002: '30 days' is not a duration "
            "(e.g. 90d, 12w, 6m, 2y)",
        ),
    ],
)
def test_case_options_are_checked_against_the_rules_options(tmp_path: Path, options: str, expected: str) -> None:
    path = _case_file(tmp_path, f"    options: {options}\n    expect: {{C-1: pass}}\n")
    with pytest.raises(RuleFileError) as info:
        run_case_file(path)
    assert [str(p) for p in info.value.problems] == [f"{tmp_path.as_posix()}/case.yaml:8: {expected}"]


def test_an_unknown_rule_is_named_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(
        RuleFileError, match=r"case.yaml:1: /rule: unknown rule 'COMM-02' \(did you mean 'COMM-002'\? If it is yours"
    ):
        run_case_file(_case_file(tmp_path, "    expect: {C-1: pass}\n", rule="COMM-02"))


def test_invalid_inline_evidence_is_located_in_the_case_file(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(
        "rule: COMM-002\ncases:\n  - name: one\n    evidence:\n      supplier-contracts:\n        - {id: C-1}\n"
        "    expect: {C-1: pass}\n"
    )
    with pytest.raises(RuleFileError) as info:
        run_case_file(path)
    assert all(p.pointer and p.pointer.startswith("/cases/0/evidence/supplier-contracts/") for p in info.value.problems)
    assert any("title" in p.message for p in info.value.problems)


# --- what makes a case fail ----------------------------------------------------------------------


def _mismatches(tmp_path: Path, expect: str, extra: str = "") -> list[str]:
    path = tmp_path / "case.yaml"
    path.write_text(
        "rule: COMM-002\nas_of: 2026-11-25\ncases:\n  - name: one\n    evidence:\n      supplier-contracts:\n"
        f"        - {CONTRACT}\n"
        "        - {id: C-2, title: B, supplier: S, value: 1, start_date: 2020-01-01, status: active}\n"
        f"{extra}    expect: {expect}\n"
    )
    try:
        run_case_file(path)
    except AssertionError as exc:
        return str(exc).splitlines()[1:]
    return []


def test_an_unexpected_failure_fails_the_case_and_an_unnamed_pass_does_not(tmp_path: Path) -> None:
    assert _mismatches(tmp_path, "{C-2: fail}") == []  # C-1 passes, unnamed: allowed
    [line] = _mismatches(tmp_path, "{C-1: pass}")
    assert line.endswith(
        "case.yaml:4: one: C-2: unexpected fail: contract C-2 with S: last review not recorded; the review period is "
        "365d"
    )


def test_a_missing_or_different_expected_finding_says_expected_and_got(tmp_path: Path) -> None:
    lines = _mismatches(tmp_path, "{C-1: fail, C-2: fail, C-9: pass}")
    assert [line.split(": one: ", 1)[1] for line in lines] == [
        "C-1: expected fail, got pass: Live contracts were reviewed within the review period",
        "C-9: expected pass, but the rule did not judge it",
    ]


def test_severity_and_message_expectations(tmp_path: Path) -> None:
    assert _mismatches(tmp_path, "{C-2: {status: fail, severity: medium, message: not recorded}}") == []
    [severity] = _mismatches(tmp_path, "{C-2: {status: fail, severity: high}}")
    assert severity.endswith(
        "C-2: expected severity high, got medium: contract C-2 with S: last review not recorded; "
        "the review period is 365d"
    )
    [message] = _mismatches(tmp_path, "{C-2: {status: fail, message: no owner}}")
    assert "C-2: expected a message containing 'no owner', got 'contract C-2 with S: last review" in message


def test_options_and_as_of_per_case(tmp_path: Path) -> None:
    assert _mismatches(tmp_path, "{C-1: fail, C-2: fail}", extra="    options: {review_period: 30d}\n") == []
    assert (
        _mismatches(
            tmp_path, "{C-1: pass, C-2: fail}", extra="    as_of: 2026-02-01\n    options: {review_period: 30d}\n"
        )
        == []
    )


def test_evidence_from_fixture_files_relative_to_the_case_file(tmp_path: Path) -> None:
    (tmp_path / "cases" / "fixtures").mkdir(parents=True)
    (tmp_path / "cases" / "fixtures" / "supplier-contracts.csv").write_text(
        "id,title,supplier,value,start_date,status,last_review\nC-1,A,S,1,2020-01-01,active,2026-01-10\n"
        "C-2,B,S,1,2020-01-01,active,2024-01-10\n"
    )
    path = tmp_path / "cases" / "case.yaml"
    path.write_text(
        "rule: COMM-002\nas_of: 2026-11-25\ncases:\n  - name: from a CSV register\n"
        "    evidence_files: [fixtures/supplier-contracts.csv]\n    expect: {C-1: pass, C-2: fail}\n"
    )
    [result] = run_case_file(path)
    assert [f.evidence.record_id for f in result.findings if f.evidence] == ["C-1", "C-2"]
    path.write_text(path.read_text().replace("fixtures/supplier", "fixtures/missing-supplier"))
    with pytest.raises(RuleFileError, match=r"case.yaml:5: /cases/0/evidence_files/0: no such evidence file"):
        run_case_file(path)


# --- isolation -----------------------------------------------------------------------------------


def test_the_harness_loads_no_installed_plugin_unless_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixtures: Path
) -> None:
    site = tmp_path / "site"
    shutil.copytree(fixtures / "plugins" / "site", site)
    (site / "capcheck_testplugin.py").write_text("raise ImportError('broken, and not the plugin under test')\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "capcheck_testplugin", raising=False)  # import this copy, not a cached one
    path = _case_file(tmp_path, "    expect: {C-1: pass}\n")
    assert [r.passed for r in run_case_file(path)] == [True]
    with pytest.raises(PluginError, match="broken, and not the plugin under test"):
        run_case_file(path, autoload=True)


def test_a_plugin_both_installed_and_named_runs_its_cases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixtures: Path
) -> None:
    shutil.copytree(fixtures / "plugins" / "site", tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "capcheck_testplugin", raising=False)
    path = tmp_path / "GOV-950.yaml"
    path.write_text(
        "rule: GOV-950\nas_of: 2026-11-25\ncases:\n  - name: an entry without a board fails\n    evidence:\n"
        "      governance-register: [{id: G-1, title: T, entry_type: risk, owner: o, status: open}]\n"
        "    expect: {G-1: fail}\n"
    )
    for autoload in (False, True):
        [result] = run_case_file(path, plugins=["capcheck_testplugin"], autoload=autoload)
        assert result.passed


def test_run_rule_gives_typed_findings_of_one_rule() -> None:
    records = {
        "supplier-contracts": [
            {"id": "C-1", "title": "A", "supplier": "S", "value": 1, "start_date": "2020-01-01", "status": "active"}
        ]
    }
    [finding] = run_rule("COMM-002", records, as_of=date(2026, 11, 25), options={"review_period": "30d"})
    assert (finding.rule_id, finding.status, finding.evidence and finding.evidence.record_id) == (
        "COMM-002",
        Status.FAIL,
        "C-1",
    )


def test_a_rule_failing_one_record_twice_fails_its_case() -> None:
    """Two failures of one record share a fingerprint, which waivers, baselines and diff tell failures apart
    by: the harness says so, so that a plugin's own tests catch it before a user's baseline does."""
    from capcheck import rule
    from capcheck.app.harness import compare

    @rule(id="acme.COMM-902", title="Contracts are reported twice", area="COMM", severity="high",
          kinds=["supplier-contracts"], description="Reports each contract twice.",
          rationale="To test one fingerprint.", remediation="None needed.")  # fmt: skip
    def twice(evidence, ctx):  # type: ignore[no-untyped-def]  # a test rule, as a plugin author writes one
        for contract in evidence.records("supplier-contracts"):
            yield ctx.failed(contract, "no owner")
            yield ctx.failed(contract, "no review")

    records = {
        "supplier-contracts": [
            {"id": "C-1", "title": "A", "supplier": "S", "value": 1, "start_date": "2020-01-01", "status": "active"}
        ]
    }
    # The engine makes such a rule one error naming the record (tests/test_engine.py), which fails the case ...
    [error] = run_rule(twice, records, as_of=date(2026, 11, 25))
    assert error.status is Status.ERROR
    [line] = compare({}, [error])
    assert line.startswith("unexpected error: the rule yielded two outcomes for record 'C-1' of 'supplier-contracts'")
    # ... and the harness says so of findings given to it with two failures of one record
    first = run_rule("COMM-002", records, as_of=date(2026, 11, 25), options={"review_period": "30d"})
    findings = [first[0], dataclasses.replace(first[0], message="no review")]
    assert not [line for line in compare({}, findings[:1]) if "twice" in line]  # one failure: only unexpected
    [line] = [line for line in compare({}, findings) if "twice" in line]
    assert line.startswith("C-1: failed twice (")
    assert "then 'no review'): a rule gives one outcome per record" in line


def test_run_rule_on_a_plugin_rule_whose_plugin_is_not_loaded_says_how_to_load_it() -> None:
    """It said only "unknown evidence kind 'acme.training'" (with a did-you-mean to a built-in kind), to an author
    whose plugin does register it, in a new plugin's pytest run without ``capcheck_plugins``."""
    from capcheck import rule
    from capcheck.core.errors import UsageError

    @rule(id="acme.WORK-901", title="Training is in date", area="WORK", severity="high", kinds=["acme.training"],
          description="d", rationale="r", remediation="m")  # fmt: skip
    def in_date(evidence, ctx):  # type: ignore[no-untyped-def]  # a test rule, as a plugin author writes one
        return iter(())

    with pytest.raises(UsageError) as raised:
        run_rule(in_date, {"acme.training": [{"id": "T-1"}]}, as_of=date(2026, 11, 25))
    assert str(raised.value.problems[0]) == (
        "rule 'acme.WORK-901' reads evidence kind 'acme.training', which no loaded plugin registers: load the "
        'plugin that does (pytest: capcheck_plugins = ["acme.plugin"] in the pytest configuration, or '
        '--capcheck-plugin; in code: run_rule(..., registry=harness_registry(plugins=["acme.plugin"])))'
    )


# --- per-record rules: judged split as well -------------------------------------------------------


def test_a_rule_declared_per_record_that_is_not_fails_its_case_saying_so(tmp_path: Path, fixtures: Path) -> None:
    """COMM-904 fails a contract whose supplier holds another: judged without C-1, C-2 passes."""
    path = tmp_path / "COMM-904.yaml"
    contract = "{{id: {}, title: A, supplier: {}, value: 1, start_date: 2020-01-01, status: active}}"
    records = "".join(f"        - {contract.format(i, s)}\n" for i, s in (("C-1", "S"), ("C-2", "S"), ("C-3", "T")))
    path.write_text(
        "rule: COMM-904\nas_of: 2026-11-25\ncases:\n  - name: shared supplier\n    evidence:\n"
        f"      supplier-contracts:\n{records}    expect: {{C-1: fail, C-2: fail, C-3: pass}}\n"
    )
    plugin = str(fixtures / "plugins" / "misdeclared_per_record_plugin.py")
    with pytest.raises(AssertionError) as info:
        run_case_file(path, plugins=[plugin])
    [line] = str(info.value).splitlines()[1:]
    assert line == (
        f"  {path.as_posix()}:4: shared supplier: the rule is declared per_record, but its records of "
        "supplier-contracts judged in two ranges (1-1 and 2-3), each alone, give record C-1 'pass: Each supplier "
        "holds one contract', where judged together 'fail: S holds 2 contracts': a per-record rule's outcome for a "
        "record depends on that record alone (docs/plugins.md, per-record rules): drop per_record=True, or judge "
        "each record on its own"
    )
