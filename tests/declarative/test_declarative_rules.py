"""Compiled fixture rule files run through the engine on fixture evidence (as of 2025-01-01):
record rules, message templates, options, joins, aggregates and metadata."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from decl_helpers import AS_OF, by_record, compile_fixture, load_fixture_evidence, make_context, run
from hypothesis import given, settings
from hypothesis import strategies as st

from capcheck.builtins.declarative import CompileContext
from capcheck.builtins.declarative.toml_format import compile_rule_file
from capcheck.core.engine import evaluate, merge_blocks
from capcheck.core.evidence import EvidenceSet, evidence_from_records
from capcheck.core.models import Severity, Status
from ranges import assert_same, cuts_of, judge_ranges, judge_whole

PASS, FAIL, SKIP = Status.PASS, Status.FAIL, Status.SKIP


@pytest.fixture(scope="module")
def assets_rules(compile_context: CompileContext) -> dict[str, object]:
    return {r.id: r for r in compile_fixture(compile_context, "assets.toml")}


def statuses(findings: dict[str | None, object]) -> dict[str | None, Status]:
    return {k: f.status for k, f in findings.items()}  # type: ignore[attr-defined]


def test_rule_metadata_comes_from_the_file(compile_context: CompileContext) -> None:
    rules = compile_fixture(compile_context, "assets.toml")
    assert [r.id for r in rules] == ["INFRA-901", "INFRA-902", "INFRA-903", "INFRA-904", "INFRA-905", "INFRA-906"]
    meta = rules[0].meta
    assert meta.title == "Production assets are within vendor support"
    assert meta.severity is Severity.HIGH
    assert meta.version == "1.2.0"
    assert meta.kinds == ("it-assets",)
    assert meta.references == ("https://www.ncsc.gov.uk/collection/device-security-guidance",)
    assert meta.tags == ("lifecycle",)
    assert rules[1].meta.options == {"patch_window": "90d"}
    assert rules[1].meta.version == "1.0.0"
    assert rules[3].meta.kinds == ("it-assets", "supplier-contracts")
    source = rules[0].source
    assert (source.type, source.name, source.path) == ("file", "rules/assets.toml", "rules/assets.toml")


def test_where_scopes_and_the_template_fills_in_values(compile_context, evidence: EvidenceSet) -> None:
    findings = by_record(run(compile_fixture(compile_context, "assets.toml"), evidence), "INFRA-901")
    assert statuses(findings) == {"A1": FAIL, "A2": PASS, "A4": PASS}
    assert findings["A1"].message == "RHEL 7 reached end of life on 2024-06-30"
    assert findings["A1"].evidence.line == 4


def test_options_have_defaults_and_per_rule_overrides(compile_context, evidence: EvidenceSet) -> None:
    rules = compile_fixture(compile_context, "assets.toml")
    default = by_record(run(rules, evidence), "INFRA-902")
    assert statuses(default) == {"A1": PASS, "A2": FAIL, "A4": PASS}
    assert default["A2"].message == (
        "requirement not met: last_patched is between 2024-10-03 and 2025-01-01 (found last_patched: '2023-01-15')"
    )
    narrow = by_record(run(rules, evidence, {"INFRA-902": {"patch_window": "35d"}}), "INFRA-902")
    assert statuses(narrow) == {"A1": PASS, "A2": FAIL, "A4": FAIL}
    assert "between 2024-11-27 and 2025-01-01" in narrow["A4"].message


def test_a_bad_option_override_is_an_error_finding(compile_context, evidence: EvidenceSet) -> None:
    rules = compile_fixture(compile_context, "assets.toml")
    findings = by_record(run(rules, evidence, {"INFRA-902": {"patch_window": "soon"}}), "INFRA-902")
    (finding,) = findings.values()
    assert finding.status is Status.ERROR
    assert "option 'patch_window': 'soon' is not a duration" in finding.message


def test_a_value_that_is_not_a_date_fails_saying_so(compile_context, evidence: EvidenceSet) -> None:
    findings = by_record(run(compile_fixture(compile_context, "assets.toml"), evidence), "INFRA-903")
    assert statuses(findings) == {"A4": FAIL}
    assert findings["A4"].message == "decommission_by is 'soon', which is not a date (YYYY-MM-DD)"


def test_found_in_joins_another_kind(compile_context, evidence: EvidenceSet) -> None:
    findings = by_record(run(compile_fixture(compile_context, "assets.toml"), evidence), "INFRA-904")
    assert statuses(findings) == {"A1": PASS, "A2": FAIL}
    assert findings["A2"].message == "contract C9 of db-01 is not in the contracts register"


def test_a_join_without_the_other_kind_is_skipped(compile_context) -> None:
    only_assets = load_fixture_evidence(compile_context, "assets.json")
    skips = [f for f in run(compile_fixture(compile_context, "assets.toml"), only_assets) if f.rule_id == "INFRA-904"]
    assert [(f.status, f.evidence.kind) for f in skips] == [(SKIP, "supplier-contracts")]


def test_templates_substitute_plain_names_only(compile_context, evidence: EvidenceSet) -> None:
    findings = by_record(run(compile_fixture(compile_context, "assets.toml"), evidence), "INFRA-905")
    assert statuses(findings) == {"A1": PASS, "A2": FAIL}
    # Attribute-style names read dictionary keys (absent here); format specs, conversions and
    # positional fields are left as text; {{ }} are literal braces.
    assert findings["A2"].message == (
        "db-01 <missing> <missing> dba@example.com {literal} {0} {name!r} {name:>9} 2025-01-01 30 A2"
    )


def test_no_records_in_scope_is_a_skip(compile_context, evidence: EvidenceSet) -> None:
    findings = [f for f in run(compile_fixture(compile_context, "assets.toml"), evidence) if f.rule_id == "INFRA-906"]
    assert [f.status for f in findings] == [SKIP]


def test_aggregate_ratio_per_group(compile_context, evidence: EvidenceSet) -> None:
    rules = compile_fixture(compile_context, "aggregates.toml")
    findings = by_record(run(rules, evidence), "INFRA-911")
    # A5 (the only development asset) has no end_of_life: neither counted nor not, so it counts against the
    # limit, and the group fails.
    assert statuses(findings) == {"production": FAIL, "test": FAIL, "development": FAIL}
    assert findings["development"].message == (
        "1 of 1 it-assets records with environment 'development' (100.0%) match: end_of_life is before "
        "2025-01-01; the limit is at most 25.0% (1 record undetermined, counted against the limit: "
        "A5: cannot tell whether counted: `end_of_life` missing)"
    )
    assert [r.record_id for r in findings["development"].related] == ["A5"]
    production = findings["production"]
    assert production.message == (
        "1 of 3 it-assets records with environment 'production' (33.3%) match: "
        "end_of_life is before 2025-01-01; the limit is at most 25.0%"
    )
    assert [r.record_id for r in production.related] == ["A1"]
    relaxed = by_record(run(rules, evidence, {"INFRA-911": {"max_ratio": 0.5}}), "INFRA-911")
    assert statuses(relaxed) == {"production": PASS, "test": FAIL, "development": FAIL}
    assert relaxed["production"].message.endswith(
        "(33.3%) match: end_of_life is before 2025-01-01; within the limit (at most 50.0%)"
    )


def test_aggregate_count_over_all_records(compile_context, evidence: EvidenceSet) -> None:
    findings = by_record(run(compile_fixture(compile_context, "aggregates.toml"), evidence), "INFRA-912")
    assert statuses(findings) == {"all": FAIL}
    assert findings["all"].message == (
        "2 of 5 it-assets records match: owner is missing or empty; the limit is at most 1"
    )
    assert [r.record_id for r in findings["all"].related] == ["A3", "A5"]


def test_aggregate_min_and_min_records(compile_context, evidence: EvidenceSet) -> None:
    findings = by_record(run(compile_fixture(compile_context, "aggregates.toml"), evidence), "INFRA-913")
    assert statuses(findings) == {"production": PASS, "test": SKIP, "development": SKIP}
    assert findings["test"].message == (
        "insufficient evidence: 1 record in the group, fewer than the 2 required (min_records)"
    )


def test_aggregate_message_template(compile_context, evidence: EvidenceSet) -> None:
    findings = by_record(run(compile_fixture(compile_context, "aggregates.toml"), evidence), "INFRA-914")
    assert statuses(findings) == {"production": FAIL}
    assert findings["production"].message == (
        "1/3 in environment=production (33.3%, ratio 0.333) exceed 20.0% as of 2025-01-01; period 365d"
    )


def test_aggregate_with_a_value_that_is_not_a_date(compile_context, evidence: EvidenceSet) -> None:
    findings = by_record(run(compile_fixture(compile_context, "aggregates.toml"), evidence), "INFRA-915")
    assert statuses(findings) == {"all": FAIL}
    assert findings["all"].message == (
        "cannot judge the group: record A4: decommission_by is 'soon', which is not a date (YYYY-MM-DD)"
    )


def test_contract_rules(compile_context, evidence: EvidenceSet) -> None:
    findings = run(compile_fixture(compile_context, "contracts.toml"), evidence)
    owners = by_record(findings, "COMM-901")
    assert statuses(owners) == {"C1": PASS, "C2": FAIL, "C3": FAIL}
    assert owners["C3"].message == (
        "requirement not met: owner is among the governance-register owner values (found owner: <missing>)"
    )
    dates = by_record(findings, "COMM-902")
    assert statuses(dates) == {"C1": PASS, "C2": FAIL}
    assert dates["C2"].message == "C2: ends 2023-12-31, before it starts (2024-01-01)"
    # C2 has no procurement_route: "not directly awarded" is unknown, and an unknown requirement fails.
    high_value = by_record(findings, "COMM-903")
    assert statuses(high_value) == {"C2": FAIL}
    assert high_value["C2"].message.endswith("(found owner: 'unknown-person', procurement_route: <missing>)")
    links = by_record(findings, "GOV-901")
    assert statuses(links) == {"G1": PASS, "G3": FAIL}


def test_option_in_where(compile_context, evidence: EvidenceSet) -> None:
    rules = compile_fixture(compile_context, "contracts.toml")
    findings = by_record(run(rules, evidence, {"COMM-903": {"threshold": 10000}}), "COMM-903")
    assert set(findings) == {"C1", "C2"}  # the lower threshold brings C1 into scope


def test_a_record_with_impossible_dates_among_the_fields_read_fails_instead_of_passing(tmp_path: Path) -> None:
    context = make_context()
    rule_file = tmp_path / "r.toml"
    rule_file.write_text(
        '[[rule]]\nid = "CYBER-901"\ntitle = "Breaches are reported"\narea = "CYBER"\nseverity = "high"\n'
        'kind = "security-incidents"\ndescription = "d"\nrationale = "r"\nremediation = "m"\n'
        'require = { field = "ico_reported_on", exists = true }\nwhere = { field = "detected_on", exists = true }\n'
    )
    rules = list(compile_rule_file(rule_file, "r.toml", context))
    base = {"title": "t", "severity": "high", "category": "data-loss", "status": "closed"}
    evidence = evidence_from_records(
        {
            "security-incidents": [
                {"id": "I-1", **base, "detected_on": "2024-03-10", "ico_reported_on": "2024-01-29"},
                {"id": "I-2", **base, "detected_on": "2024-03-10", "ico_reported_on": "2024-03-10"},
                {"id": "I-3", **base, "detected_on": "2024-12-30", "ico_reported_on": "2025-01-02"},
                # contained_on contradicts detected_on, which the rule reads: the record fails
                {
                    "id": "I-4",
                    **base,
                    "detected_on": "2024-03-10",
                    "ico_reported_on": "2024-03-11",
                    "contained_on": "2024-01-01",
                },
                # resolved_on before contained_on: the rule reads neither, so it is not this rule's finding
                {
                    "id": "I-5",
                    **base,
                    "detected_on": "2024-03-10",
                    "ico_reported_on": "2024-03-11",
                    "contained_on": "2024-03-12",
                    "resolved_on": "2024-03-11",
                },
            ]
        },
        kinds=context.kinds,
    )
    found = by_record(run(rules, evidence), "CYBER-901")
    assert {k: f.status.value for k, f in found.items()} == {
        "I-1": "fail",
        "I-2": "pass",
        "I-3": "fail",
        "I-4": "fail",
        "I-5": "pass",
    }
    assert found["I-1"].message == "impossible dates: ico_reported_on 2024-01-29 is before detected_on 2024-03-10"
    assert found["I-3"].message == "impossible dates: ico_reported_on 2025-01-02 is after the as-of date 2025-01-01"


@pytest.mark.parametrize("as_of", [date.min, date.max])
def test_date_windows_reaching_past_the_calendar_are_judged_not_errors(
    compile_context: CompileContext, evidence: EvidenceSet, as_of: date
) -> None:
    """``--as-of 0001-01-01`` less a window, or ``9999-12-31`` plus one, is the calendar's end, not OverflowError."""
    rules = compile_fixture(compile_context, "assets.toml")
    findings = evaluate(rules, evidence, as_of=as_of, include_passed=True).findings
    assert [f.message for f in findings if f.status is Status.ERROR] == []
    assert {f.rule_id for f in findings} >= {"INFRA-902"}


def test_a_require_rule_is_per_record_and_an_aggregate_or_a_join_of_its_own_kind_is_not(
    compile_context: CompileContext,
) -> None:
    rules = {
        r.id: r.meta
        for name in ("assets.toml", "contracts.toml", "aggregates.toml")
        for r in compile_fixture(compile_context, name)
    }
    per_record = {rule_id for rule_id, meta in rules.items() if meta.per_record}
    # INFRA-904 and COMM-901/903 join other kinds' columns (found_in, not_found_in): still each record alone
    assert per_record == {f"INFRA-90{i}" for i in range(1, 7)} | {"COMM-901", "COMM-902", "COMM-903"}
    assert rules["COMM-901"].columns == ("governance-register.owner",)
    assert {m.per_record for i, m in rules.items() if i.startswith("INFRA-91")} == {False}  # aggregates
    assert not rules["GOV-901"].per_record  # linked_controls found_in the register's own ids: every record's


def _fixture_records(context: CompileContext) -> dict[str, list[dict[str, object]]]:
    loaded = load_fixture_evidence(context)
    return {k: [dict(r) for r in loaded.records(k)] for k in loaded.kinds()}


@settings(max_examples=40, deadline=None)
@given(data=st.data(), include_passed=st.booleans())
def test_a_per_record_rule_judged_in_ranges_merges_to_the_whole(
    compile_context: CompileContext, data: st.DataObject, include_passed: bool
) -> None:
    rules = [
        r
        for name in ("assets.toml", "contracts.toml")
        for r in compile_fixture(compile_context, name)
        if r.meta.per_record
    ]
    r = data.draw(st.sampled_from(rules), label="rule")
    records = _fixture_records(compile_context)
    cuts = data.draw(cuts_of(len(records[r.meta.kinds[0]])), label="cuts")
    kinds = compile_context.kinds
    whole = judge_whole(r, records, kinds, AS_OF, include_passed=include_passed)
    merged = merge_blocks(judge_ranges(r, records, kinds, cuts, AS_OF, include_passed=include_passed))
    assert_same(whole, merged, records, kinds)


def test_a_join_of_its_own_kind_judged_in_ranges_differs(compile_context: CompileContext) -> None:
    """GOV-901 finds G1's linked G2 among the register's ids; in a range without G2 it does not: not per record."""
    (r,) = [r for r in compile_fixture(compile_context, "contracts.toml") if r.id == "GOV-901"]
    records = _fixture_records(compile_context)
    kinds = compile_context.kinds
    whole = judge_whole(r, records, kinds, AS_OF)
    merged = merge_blocks(judge_ranges(r, records, kinds, [1], AS_OF))
    assert whole[1] != merged[1]
    with pytest.raises(AssertionError):
        assert_same(whole, merged, records, kinds)


def test_aggregate_groups_are_values_up_to_case_and_spacing_and_a_placeholder_is_missing(
    compile_context: CompileContext, tmp_path: Path
) -> None:
    # A group split by how its value is written (ALICE, 'alice ', Alice) or a placeholder in any of its words
    # (TBC, tbc, n/a) kept each piece under min_records: every group was skipped as too small, and the rule
    # judged nothing. A group is one value as joins compare them (core.joins.join_key), named as first written;
    # a placeholder is missing, as blank is (core.rules.is_missing).
    rule_file = tmp_path / "r.toml"
    rule_file.write_text(
        """[[rule]]
id = "INFRA-990"
title = "Few of each owner's assets are deployed by hand"
area = "INFRA"
severity = "medium"
kind = "it-assets"
description = "d"
rationale = "r"
remediation = "m"
[rule.aggregate]
group_by = "owner"
count = { field = "deployment", eq = "manual" }
measure = "ratio"
max = 0.5
min_records = 3
""",
        encoding="utf-8",
    )
    rules = list(compile_rule_file(rule_file, "r.toml", compile_context))
    owners = ["Alice", "ALICE", " alice  ", "TBC", "tbc", "n/a", None, " - ", "Bob", "Bob", "Bob"]
    base = {"name": "n", "product": "p", "environment": "production", "criticality": "low", "status": "in-service"}
    records = [
        {"id": f"A{i}", **base, "deployment": "automated" if owner == "Bob" else "manual"}
        | ({"owner": owner} if owner is not None else {})
        for i, owner in enumerate(owners)
    ]
    evidence = evidence_from_records({"it-assets": records}, kinds=compile_context.kinds)
    findings = by_record(run(rules, evidence), "INFRA-990")
    assert statuses(findings) == {"Alice": FAIL, "<missing>": FAIL, "Bob": PASS}
    assert findings["Alice"].message.startswith("3 of 3 it-assets records with owner 'Alice' (100.0%) match")
    assert [r.record_id for r in findings["<missing>"].related] == ["A3", "A4", "A5", "A6", "A7"]
    # the group's name is its identity (fingerprints, baselines); its message says what is missing in words
    assert findings["<missing>"].message.startswith("5 of 5 it-assets records with no owner recorded (100.0%) match")
    templated = rule_file.read_text().replace('remediation = "m"', 'remediation = "m"\nmessage = "{count} of {group}"')
    rule_file.write_text(templated)
    rules = list(compile_rule_file(rule_file, "r.toml", compile_context))
    findings = by_record(run(rules, evidence), "INFRA-990")
    assert (findings["<missing>"].message, findings["Alice"].message) == ("5 of (owner not recorded)", "3 of Alice")
