"""Scope integrity: a record whose scope a rule cannot decide (a field it compares is missing or blank)
is an undetermined ``fail`` at the rule's severity, never silently out of scope."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from decl_helpers import AS_OF, by_record, load_fixture_evidence

from capcheck.builtins.declarative import CompileContext
from capcheck.builtins.declarative.toml_format import compile_rule_file
from capcheck.builtins.loaders import jsonfile
from capcheck.core.engine import evaluate
from capcheck.core.evidence import EvidenceSet, load_evidence
from capcheck.core.models import Finding, Severity, Status

RULES = """
[[rule]]
id = "INFRA-921"
title = "In-service production assets are within vendor support"
area = "INFRA"
severity = "high"
kind = "it-assets"
description = "d"
rationale = "r"
remediation = "m"
[rule.where]
all = [
  { field = "environment", eq = "production" },
  { field = "status", eq = "in-service" },
  { not = { field = "hosting", eq = "saas" } },
]
[rule.require]
field = "end_of_life"
after_as_of = true

[[rule]]
id = "INFRA-922"
title = "Assets with an end-of-life date are within support"
area = "INFRA"
severity = "low"
kind = "it-assets"
description = "d"
rationale = "r"
remediation = "m"
where = { all = [{ field = "end_of_life", exists = true }, { field = "end_of_life", after_as_of = true }] }
require = { field = "owner", exists = true }

[[rule]]
id = "INFRA-923"
title = "Few in-service assets are deployed by hand"
area = "INFRA"
severity = "medium"
kind = "it-assets"
description = "d"
rationale = "r"
remediation = "m"
where = { field = "status", eq = "in-service" }
aggregate = { count = { field = "deployment", eq = "manual" }, measure = "count", max = 0 }

[[rule]]
id = "INFRA-924"
title = "Assets of a team are named"
area = "INFRA"
severity = "medium"
kind = "it-assets"
description = "d"
rationale = "r"
remediation = "m"
where = { field = "site", ne = "closed" }
require = { field = "name", exists = true }
"""


def base(n: str, **fields: Any) -> dict[str, Any]:
    record = {"id": n, "name": n, "product": "p", "environment": "production", "criticality": "high"}
    record.update(fields)
    return record


RECORDS = [
    # in scope, passes
    base("A1", status="in-service", hosting="on-premises", end_of_life="2030-01-01", deployment="automated"),
    # status missing: cannot tell
    base("A2", hosting="on-premises", end_of_life="2030-01-01", deployment="automated"),
    # site (a field the kind does not declare, so no schema refuses a blank) blank: cannot tell for INFRA-924
    base("A3", status="in-service", site=" \t", hosting="saas", end_of_life="2030-01-01", deployment="automated"),
    # status missing, but another scope test is false: decidedly out of scope
    base("A4", environment="test", end_of_life="2030-01-01", deployment="automated"),
    # hosting missing under `not`: unknown, not "not saas"
    base("A5", status="in-service", end_of_life="2030-01-01", deployment="automated"),
    # in service, but deployment missing: neither counted nor not
    base("A6", status="in-service", hosting="saas", end_of_life="2030-01-01"),
    # status and hosting missing: both named
    base("A7", end_of_life="2030-01-01", deployment="manual"),
]


def run_rules(
    tmp_path: Path, compile_context: CompileContext, records: list[dict[str, Any]], rules_text: str = RULES
) -> list[Finding]:
    rule_file = tmp_path / "rules.toml"
    rule_file.write_text(rules_text, encoding="utf-8")
    evidence_file = tmp_path / "it-assets.json"
    evidence_file.write_text(json.dumps({"kind": "it-assets", "records": records}), encoding="utf-8")
    rules = compile_rule_file(rule_file, "rules.toml", compile_context)
    (loader,) = jsonfile.capcheck_loaders()
    evidence: EvidenceSet = load_evidence([evidence_file], loaders={".json": loader}, kinds=compile_context.kinds)
    return evaluate(rules, evidence, as_of=AS_OF, include_passed=True).findings


def test_a_missing_scope_field_is_an_undetermined_failure(tmp_path: Path, compile_context: CompileContext) -> None:
    findings = by_record(run_rules(tmp_path, compile_context, RECORDS), "INFRA-921")
    assert {k: f.status for k, f in findings.items()} == {
        "A1": Status.PASS,
        "A2": Status.FAIL,
        "A5": Status.FAIL,
        "A7": Status.FAIL,
    }
    assert findings["A2"].message == "cannot tell whether in scope: `status` missing"
    assert findings["A5"].message == "cannot tell whether in scope: `hosting` missing"
    assert findings["A7"].message == "cannot tell whether in scope: `status` missing, `hosting` missing"
    assert findings["A2"].severity is Severity.HIGH  # the rule's severity: it counts like any failure


def test_a_blank_scope_field_is_undetermined(tmp_path: Path, compile_context: CompileContext) -> None:
    findings = by_record(run_rules(tmp_path, compile_context, RECORDS), "INFRA-924")
    assert findings["A3"].status is Status.FAIL
    assert findings["A3"].message == "cannot tell whether in scope: `site` blank"
    assert findings["A1"].message == "cannot tell whether in scope: `site` missing"


def test_exists_in_scope_says_a_missing_field_is_out_of_scope(tmp_path: Path, compile_context: CompileContext) -> None:
    records = [*RECORDS, base("A8", status="in-service", owner="x")]  # no end_of_life: out of scope, by `exists`
    findings = by_record(run_rules(tmp_path, compile_context, records), "INFRA-922")
    assert "A8" not in findings
    assert findings["A1"].status is Status.FAIL  # in scope (it has an end_of_life), and no owner


def test_an_aggregate_counts_records_it_cannot_scope_or_count_against_the_limit(
    tmp_path: Path, compile_context: CompileContext
) -> None:
    findings = by_record(run_rules(tmp_path, compile_context, RECORDS), "INFRA-923")
    # A1, A3, A5 are in service and automated; A2, A4, A7 (no status) and A6 (no deployment) are undetermined,
    # so count as deployed by hand: the group fails although no known record breaks the limit.
    assert set(findings) == {"all"}
    assert findings["all"].status is Status.FAIL
    assert findings["all"].message == (
        "4 of 7 it-assets records match: deployment is 'manual'; the limit is at most 0 (4 records undetermined, "
        "counted against the limit: A2: cannot tell whether in scope: `status` missing and 3 more)"
    )
    assert [r.record_id for r in findings["all"].related] == ["A2", "A4", "A6", "A7"]


def test_an_aggregate_passes_when_the_worst_case_passes(tmp_path: Path, compile_context: CompileContext) -> None:
    rules = RULES.replace('measure = "count", max = 0', 'measure = "count", max = 4')
    assert rules != RULES
    findings = by_record(run_rules(tmp_path, compile_context, RECORDS, rules), "INFRA-923")
    assert findings["all"].status is Status.PASS
    assert findings["all"].message.startswith("4 of 7 it-assets records match")


def test_a_min_limit_counts_undetermined_records_as_not_counted(
    tmp_path: Path, compile_context: CompileContext
) -> None:
    rules = RULES.replace('measure = "count", max = 0', 'measure = "ratio", min = 0.4').replace(
        'eq = "manual"', 'eq = "automated"'
    )
    findings = by_record(run_rules(tmp_path, compile_context, RECORDS, rules), "INFRA-923")
    # 3 automated of 7 (the 4 undetermined as not automated): 42.9%, above the limit
    assert findings["all"].status is Status.PASS
    assert findings["all"].message.startswith("3 of 7 it-assets records (42.9%) match")
    fewer = by_record(run_rules(tmp_path, compile_context, [*RECORDS, base("A9")], rules), "INFRA-923")
    assert fewer["all"].status is Status.FAIL
    assert fewer["all"].message.startswith("3 of 8 it-assets records (37.5%) match")


def test_with_every_scope_field_present_nothing_is_undetermined(compile_context: CompileContext) -> None:
    # the fixture evidence used by the other declarative tests: the assets rule file scopes on present fields
    from decl_helpers import compile_fixture, run

    evidence = load_fixture_evidence(compile_context)
    findings = run(compile_fixture(compile_context, "assets.toml"), evidence)
    assert not [f for f in findings if f.message.startswith("cannot tell")]


# ---------------------------------------------------------------------------------------------
# Placeholders ("TBC", "n/a", "unknown" ...: rules/reference-data/placeholders.toml) are missing values
# ---------------------------------------------------------------------------------------------

NAMED = """
[[rule]]
id = "INFRA-925"
title = "Assets at an open site are named"
area = "INFRA"
severity = "medium"
kind = "it-assets"
description = "d"
rationale = "r"
remediation = "m"
where = { field = "site", not_in = ["closed", "unknown"] }
require = { field = "name", exists = true }
"""


def test_a_placeholder_in_a_scope_field_is_undetermined_and_named(
    tmp_path: Path, compile_context: CompileContext
) -> None:
    records = [base("P1", site="TBC"), base("P2", site=" N/A "), base("P3", site="tbc-annex")]
    findings = by_record(run_rules(tmp_path, compile_context, records), "INFRA-924")
    assert findings["P1"].message == 'cannot tell whether in scope: `site` "TBC" is a placeholder'
    assert findings["P2"].message == 'cannot tell whether in scope: `site` " N/A " is a placeholder'
    assert findings["P3"].status is Status.PASS  # a value holding a placeholder word is a value


@pytest.mark.parametrize(
    "site",
    [
        *["\u0422\u0412\u0421", "\uff34\uff22\uff23", "TBC\u200b", "T\u00adBC", "n/\u0430", "\u200b\u2060"],
        *["\u2800\u2800", "\x00", "T\x00BC", "\U0001d159", "\x80 "],
    ],
    ids=[
        *["cyrillic", "full-width", "zwsp", "soft-hyphen", "cyrillic-a", "invisible"],
        *["braille-blank", "nul", "nul-inside", "null-notehead", "c1-control"],
    ],
)
def test_a_placeholder_written_to_look_like_one_is_one(
    tmp_path: Path, compile_context: CompileContext, site: str
) -> None:
    # "TBC" in Cyrillic or full-width letters, or with a character drawn as nothing, read as a value: a scope
    # decided, an owner present (the fast predicates, eq/ne/in/exists, and is_missing alike).
    records = [base("P1", site=site), base("P2", site="\u0141\u00f3d\u017a")]  # and a real non-ASCII site
    findings = by_record(run_rules(tmp_path, compile_context, records), "INFRA-924")
    assert findings["P1"].status is Status.FAIL
    assert findings["P1"].message.startswith("cannot tell whether in scope: `site` ")
    assert findings["P2"].status is Status.PASS


def test_a_placeholder_the_rule_names_is_a_value_of_the_field(tmp_path: Path, compile_context: CompileContext) -> None:
    # "unknown" is a site state this rule names: such a site is decidedly out of scope; "TBC" is still unknown
    records = [base("P1", site="unknown"), base("P2", site="TBC"), base("P3", site="leeds")]
    findings = by_record(run_rules(tmp_path, compile_context, records, NAMED), "INFRA-925")
    assert "P1" not in findings
    assert findings["P2"].message == 'cannot tell whether in scope: `site` "TBC" is a placeholder'
    assert findings["P3"].status is Status.PASS


def test_a_required_field_holding_a_placeholder_fails_saying_so(
    tmp_path: Path, compile_context: CompileContext
) -> None:
    # INFRA-922 requires an owner (exists = true): "TBC" is none, and the default message says it is a placeholder
    records = [
        base("P1", status="in-service", end_of_life="2030-01-01", owner="TBC"),
        base("P2", status="in-service", end_of_life="2030-01-01", owner="Tbc Ltd"),
    ]
    findings = by_record(run_rules(tmp_path, compile_context, records), "INFRA-922")
    assert findings["P1"].status is Status.FAIL
    assert findings["P1"].message == (
        "requirement not met: owner is present (found owner: 'TBC') (`owner` \"TBC\" is a placeholder)"
    )
    assert findings["P2"].status is Status.PASS


def test_an_aggregate_counts_a_placeholder_against_the_limit(tmp_path: Path, compile_context: CompileContext) -> None:
    # deployment is an enum the schema checks: a placeholder in it never loads, so count on a free field
    rules = RULES.replace('count = { field = "deployment", eq = "manual" }', 'count = { field = "site", eq = "leeds" }')
    records = [base("P1", status="in-service", site="york"), base("P2", status="in-service", site="?")]
    findings = by_record(run_rules(tmp_path, compile_context, records, rules), "INFRA-923")
    assert findings["all"].status is Status.FAIL
    assert findings["all"].message == (
        "1 of 2 it-assets records match: site is 'leeds'; the limit is at most 0 (1 record undetermined, "
        'counted against the limit: P2: cannot tell whether counted: `site` "?" is a placeholder)'
    )


def test_an_undetermined_message_does_not_blame_a_placeholder_the_rule_names(
    tmp_path: Path, compile_context: CompileContext
) -> None:
    # site "unknown" is compared by name (ne: false); only the missing owner leaves the scope unknown
    rules = NAMED.replace(
        'where = { field = "site", not_in = ["closed", "unknown"] }',
        'where = { any = [{ field = "site", ne = "unknown" }, { field = "owner", eq = "estates" }] }',
    )
    assert rules != NAMED
    records = [base("P1", site="unknown"), base("P2", site="unknown", owner="estates"), base("P3", site="TBC")]
    findings = by_record(run_rules(tmp_path, compile_context, records, rules), "INFRA-925")
    assert findings["P1"].message == "cannot tell whether in scope: `owner` missing"
    assert findings["P2"].status is Status.PASS
    assert findings["P3"].message == 'cannot tell whether in scope: `site` "TBC" is a placeholder, `owner` missing'
