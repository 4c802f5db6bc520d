"""The findings document checked against itself, as an auditor cross-checks a report before relying on it.

The claims (docs/findings.md, README "Findings" and "Exit codes"): every evaluated (rule, record) gives a
finding; passes are listed only with ``--include-passed`` but always counted; the summary counts the findings by
status, by failing severity, by area (in the review's order) and by rule; ``result`` says the exit code the run
ended with; waived findings carry their waiver and baselined ones are the baseline's; every rule a finding
names is in ``rules``, and every file a reference names is in ``evidence``.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from click.testing import CliRunner

from capcheck.core.resources import load_schema

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "northgate-health-digital" / "evidence"
FIXTURES = Path(__file__).parent / "fixtures"
STATUSES = ("error", "fail", "waived", "baselined", "skip", "pass")
SEVERITIES = ("info", "low", "medium", "high", "critical")
WAIVERS = """\
waivers:
  - rule: INFRA-004
    records: [CI-0151, CI-0152]
    reason: Portal retired in December; patching it first would delay the move
    approved_by: Chief Technology Officer
    ticket: RISK-77
    approved_on: 2026-10-01
    expires: 2027-01-31
"""


def _counts(findings: list[dict[str, Any]]) -> dict[str, int]:
    found = Counter(f["status"] for f in findings)
    return {s: found[s] for s in STATUSES}


@pytest.fixture(scope="module")
def governed(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any], int]:
    """The example checked with every status present: a baseline of the CYBER failures, a waiver, a rule that
    raises; the document with passes listed, the one without (both validated), and the exit code."""
    from capcheck.cli import cli

    workdir = tmp_path_factory.mktemp("governed")
    shutil.copytree(EXAMPLE, workdir / "evidence")
    shutil.copyfile(FIXTURES / "plugins" / "raising_rule_plugin.py", workdir / "raising_rule_plugin.py")
    (workdir / "waivers.yaml").write_text(WAIVERS, encoding="utf-8")
    base = ["evidence", "--as-of", "2026-11-25"]
    args = ["check", *base, "--plugin", "./raising_rule_plugin.py", "--waivers", "waivers.yaml"]
    args += ["--baseline", "baseline.json", "-f", "json"]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(workdir)
        runner = CliRunner()
        created = runner.invoke(cli, ["baseline", "create", *base, "--select", "CYBER", "--output", "baseline.json"])
        assert created.exit_code == 0, created.stderr
        listed = runner.invoke(cli, [*args, "--include-passed"])
        unlisted = runner.invoke(cli, args)
    assert listed.exit_code == unlisted.exit_code
    docs = json.loads(listed.stdout), json.loads(unlisted.stdout)
    schema = load_schema("findings")
    for doc in docs:
        jsonschema_rs.validator_for(schema, validate_formats=True).validate(doc)
    return docs[0], docs[1], listed.exit_code


def test_the_summary_is_the_findings_counted(governed: tuple[dict[str, Any], dict[str, Any], int]) -> None:
    doc, unlisted, _ = governed
    findings = doc["findings"]
    summary = doc["summary"]
    assert all(summary["by_status"][s] > 0 for s in STATUSES), summary["by_status"]  # every status is exercised
    assert summary["total"] == len(findings)
    assert summary["by_status"] == _counts(findings)
    failing = Counter(f["severity"] for f in findings if f["status"] == "fail")
    assert summary["failures_by_severity"] == {s: failing[s] for s in SEVERITIES}
    for area, counts in summary["by_area"].items():
        assert counts == _counts([f for f in findings if f["area"] == area]), area
    for rule_id, counts in summary["by_rule"].items():
        own = [f for f in findings if f["rule_id"] == rule_id]
        assert {k: v for k, v in counts.items() if k in STATUSES} == _counts(own), rule_id
        assert {(counts["area"], counts["severity"])} == {(f["area"], f["severity"]) for f in own}, rule_id
    assert sum(sum(c[s] for s in STATUSES) for c in summary["by_rule"].values()) == len(findings)
    # The areas in the review's order, the one the findings are sorted by.
    order = list(dict.fromkeys(f["area"] for f in findings))
    assert [a for a in summary["by_area"] if a in order] == order
    # Without --include-passed: the same summary, every finding but the passes, in the same order.
    assert unlisted["summary"] == summary
    assert unlisted["findings"] == [f for f in findings if f["status"] != "pass"]
    assert unlisted["settings"]["include_passed"] is False and doc["settings"]["include_passed"] is True


def test_the_result_is_the_exit_code(governed: tuple[dict[str, Any], dict[str, Any], int]) -> None:
    doc, _, exit_code = governed
    # A rule raised: the check is incomplete, exit 2, whatever failed.
    assert exit_code == 2
    assert doc["result"] == {"exit_code": 2, "outcome": "incomplete", "gate_failures": []}
    [error] = [f for f in doc["findings"] if f["status"] == "error"]
    assert error["rule_id"] == "COMM-902" and "ZeroDivisionError" in error["message"]


def test_waived_and_baselined_findings_say_why(governed: tuple[dict[str, Any], dict[str, Any], int]) -> None:
    doc, _, _ = governed
    waived = [f for f in doc["findings"] if f["status"] == "waived"]
    assert sorted(f["evidence"]["record_id"] for f in waived) == ["CI-0151", "CI-0152"]
    for finding in waived:
        assert finding["rule_id"] == "INFRA-004"
        assert finding["waiver"]["ticket"] == "RISK-77" and finding["waiver"]["expires"] == "2027-01-31"
    assert [(w["ticket"], w["state"], w["matched"]) for w in doc["waivers"]] == [("RISK-77", "active", 2)]
    assert all("waiver" not in f for f in doc["findings"] if f["status"] != "waived")
    baselined = [f for f in doc["findings"] if f["status"] == "baselined"]
    assert {f["area"] for f in baselined} == {"CYBER"}  # the baseline was made of CYBER's failures only
    assert not [f for f in doc["findings"] if f["area"] == "CYBER" and f["status"] == "fail"]
    assert doc["baseline"]["matched"] == len(baselined) and doc["baseline"]["new_failures"] == sum(
        1 for f in doc["findings"] if f["status"] == "fail"
    )


def test_every_reference_is_to_a_listed_rule_and_file(governed: tuple[dict[str, Any], dict[str, Any], int]) -> None:
    doc, _, _ = governed
    rules = {r["id"]: r for r in doc["rules"]}
    files = {e["path"]: e for e in doc["evidence"]}
    assert all("evidence" in f for f in doc["findings"])  # every finding of a run names at least its kind
    for finding in doc["findings"]:
        rule = rules[finding["rule_id"]]
        assert (finding["rule_version"], finding["area"], finding["title"]) == (
            rule["version"],
            rule["area"],
            rule["title"],
        )
        assert finding["severity"] == rule["severity"]  # the severity it ran at
        assert finding["evidence"]["kind"] in rule["kinds"], finding  # (related records may be of other kinds)
        for ref in [finding["evidence"], *finding.get("related", [])]:
            if "file" in ref:
                assert files[ref["file"]]["kind"] == ref["kind"], ref
    assert {e["kind"] for e in doc["evidence"]} >= {
        f["evidence"]["kind"] for f in doc["findings"] if "file" in f["evidence"]
    }
    assert sum(e["records"] for e in doc["evidence"]) == 4776


GOLDEN = Path(__file__).parent / "reporters" / "golden"


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*/json.json")), ids=lambda p: p.parent.name)
def test_every_golden_findings_document_follows_the_schema(path: Path) -> None:
    # The golden files pin the JSON reporter's bytes for hand-built results too (hostile values, no scorecard):
    # each is a document the published schema accepts.
    schema = load_schema("findings")
    errors = [
        f"{e.instance_path}: {e.message}"
        for e in jsonschema_rs.validator_for(schema, validate_formats=True).iter_errors(json.loads(path.read_bytes()))
    ]
    assert not errors, errors[:5]


def test_each_rule_lists_what_else_it_read(governed: tuple[dict[str, Any], dict[str, Any], int]) -> None:
    """An auditor sees every evidence a rule depended on: the kinds it reads when given (``reads``: CYBER-004 and
    the organisation profile) and the columns it reads of other kinds (``columns``: COMM-003's owners), as its
    metadata declares them; neither key for a rule that declares none."""
    from capcheck.app.config import Config
    from capcheck.app.runner import load_registry

    registry = load_registry(Config())
    rules = {r["id"]: r for r in governed[0]["rules"]}
    assert rules["CYBER-004"]["reads"] == ["organisation"]
    assert rules["COMM-003"]["columns"] == ["governance-register.owner"]
    for rule_id, entry in rules.items():
        meta = registry.rules[rule_id].meta if rule_id in registry.rules else None
        if meta is None:
            continue  # the raising plugin's rule
        assert entry.get("reads", []) == list(meta.reads)
        assert entry.get("columns", []) == list(meta.columns)
        assert "reads" not in entry or entry["reads"]  # present only when there are some
