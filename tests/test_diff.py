"""``capcheck diff``: new, fixed, persisting, changed-severity and newly waived findings, keyed by fingerprint."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

AS_OF = "2025-04-01"


def _findings(run_cli, args: list[str], out: str) -> None:
    result = run_cli(*args, "-f", "json", "-o", out)
    assert result.exit_code in (0, 1), result.stderr


def test_diff_classifies_changes_and_exits_1_on_new_failures(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path
) -> None:
    evidence = copy_fixture("evidence/mixed")
    _findings(run_cli, check_argv(evidence, as_of=AS_OF), "old.json")
    contracts = evidence / "supplier-contracts.json"
    doc = json.loads(contracts.read_text())
    for record in doc["records"]:
        if record["id"] == "CON-002":
            record["exit_plan"] = True
        if record["id"] == "CON-001":
            record["owner"] = "nobody-in-the-register"
    contracts.write_text(json.dumps(doc))
    (workdir / "capcheck.toml").write_text('[severity]\n"GOV-002" = "critical"\n')
    (workdir / "waivers.yaml").write_text(
        "waivers:\n  - rule: INFRA-004\n    records: [AST-002]\n    reason: Behind the WAF until patched\n"
        "    approved_by: CISO\n    ticket: RISK-1\n    expires: 2025-05-01\n"
    )
    _findings(run_cli, [*check_argv(evidence, as_of=AS_OF), "--waivers", "waivers.yaml"], "new.json")

    result = run_cli("diff", "old.json", "new.json", "-f", "json")
    assert result.exit_code == 1
    diff = json.loads(result.stdout)
    pairs = {key: [(e["rule_id"], e["record_id"]) for e in diff[key]] for key in diff["counts"]}
    assert pairs["new"] == [("COMM-003", "CON-001")]
    assert pairs["fixed"] == [("COMM-004", "CON-002")]
    assert pairs["newly_waived"] == [("INFRA-004", "AST-002")]
    assert pairs["changed_severity"] == [("GOV-002", "RSK-002"), ("GOV-002", "RSK-003")]
    assert diff["changed_severity"][0]["old_severity"] == "high"
    assert ("INFRA-004", "AST-003") in pairs["persisting"]

    import jsonschema

    schema = json.loads(run_cli("schema", "diff").stdout)
    assert schema["title"] == "capcheck diff document"
    jsonschema.Draft202012Validator(schema).validate(diff)

    text = run_cli("diff", "old.json", "new.json").stdout
    assert text.startswith("1 new failure, 1 fixed, 2 changed severity, 1 newly waived")
    markdown = run_cli("diff", "old.json", "new.json", "-f", "markdown").stdout
    assert "| 1 | 1 | 2 | 1 |" in markdown and "### New failures" in markdown


def test_no_new_failures_exits_0(run_cli, copy_fixture, check_argv: Callable[..., list[str]]) -> None:
    evidence = copy_fixture("evidence/mixed")
    _findings(run_cli, check_argv(evidence, as_of=AS_OF), "a.json")
    _findings(run_cli, check_argv(evidence, as_of=AS_OF), "b.json")
    result = run_cli("diff", "a.json", "b.json")
    assert result.exit_code == 0
    assert result.stdout.startswith("0 new failures, 0 fixed")


def test_diff_refuses_what_is_not_a_findings_document(run_cli, workdir: Path) -> None:
    (workdir / "a.json").write_text('{"findings": []}')
    (workdir / "b.json").write_text("[1, 2")
    result = run_cli("diff", "a.json", "b.json")
    assert result.exit_code == 2
    assert "a.json: not a capcheck findings document" in result.stderr
    (workdir / "a.json").write_text('{"schema_version": "2.1", "tool": {}, "findings": []}')
    result = run_cli("diff", "a.json", "b.json")
    assert result.exit_code == 2 and "b.json:1: malformed JSON" in result.stderr


def test_diff_refuses_other_capcheck_documents_naming_them(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]]
) -> None:
    evidence = copy_fixture("evidence/mixed")
    _findings(run_cli, check_argv(evidence, as_of=AS_OF), "findings.json")
    args = check_argv(evidence, as_of=AS_OF)
    assert run_cli("baseline", "create", *args[1:], "-o", "base.json").exit_code == 0
    assert run_cli(*args, "-f", "sarif", "-o", "log.sarif").exit_code == 1
    Path("diff.json").write_text(run_cli("diff", "findings.json", "findings.json", "-f", "json").stdout)
    for name, what in (
        ("base.json", "a capcheck baseline"),
        ("log.sarif", "a SARIF log"),
        ("diff.json", "a diff"),
    ):
        for argv in (["findings.json", name], [name, "findings.json"]):
            result = run_cli("diff", *argv)
            assert result.exit_code == 2, (name, result.stdout)
            assert result.stdout == ""
            assert f"  {name}: {what} (from 'capcheck " in result.stderr
            assert "not a findings document" in result.stderr
            assert result.stderr.startswith("capcheck: usage error: 1 problem\n")


def test_diff_text_neutralises_control_characters(run_cli, workdir: Path) -> None:
    finding = {
        "rule_id": "COMM-001",
        "status": "fail",
        "severity": "high",
        "area": "COMM",
        "message": "owner \x1b[2Jcleared\x07",
        "fingerprint": "f" * 32,
        "evidence": {"kind": "supplier-contracts", "record_id": "C-\x1b[31m1"},
    }
    (workdir / "old.json").write_text(json.dumps({"schema_version": "2.1", "tool": {}, "findings": []}))
    (workdir / "new.json").write_text(json.dumps({"schema_version": "2.1", "tool": {}, "findings": [finding]}))
    out = run_cli("diff", "old.json", "new.json").stdout
    assert "\x1b" not in out and "\x07" not in out
    assert "owner \u241b[2Jcleared\u2407" in out


def _hostile_diff(workdir: Path, n: int = 1, message: str = "x") -> None:
    findings = [
        {
            "rule_id": "COMM-001",
            "status": "fail",
            "severity": "high",
            "area": "COMM",
            "message": message,
            "fingerprint": f"{i:032x}",
            "evidence": {"kind": "supplier-contracts", "record_id": f"C-{i}", "file": "c.json", "line": i + 1},
        }
        for i in range(n)
    ]
    (workdir / "old.json").write_text(json.dumps({"schema_version": "2.1", "tool": {}, "findings": []}))
    (workdir / "new.json").write_text(json.dumps({"schema_version": "2.1", "tool": {}, "findings": findings}))


def test_diff_markdown_neutralises_mentions_lines_and_controls(run_cli, workdir: Path) -> None:
    # The defect: diff's own Markdown escaper left @mentions live and passed newlines, ESC, CR and BEL through.
    _hostile_diff(workdir, message="ping @org/security\n# Forged heading\n```\ncode\x1b[2J\r\x07")
    out = run_cli("diff", "old.json", "new.json", "-f", "markdown").stdout
    assert "@\u200borg/security" in out and "@org" not in out
    assert not any(line.startswith(("# ", "```")) for line in out.splitlines())
    assert "\x1b" not in out and "\r" not in out and "\x07" not in out
    [item] = [line for line in out.splitlines() if line.startswith("- **COMM")]
    assert item.endswith("ping @\u200borg/security \\# Forged heading \\`\\`\\` code\u241b\\[2J \u2407")


def test_diff_markdown_fits_a_pr_comment(run_cli, workdir: Path) -> None:
    # The defect: the comment had no cap (5.5 MB from a large register); GitHub refuses more than 65,536 characters.
    _hostile_diff(workdir, n=2_000, message="contract has no exit plan " * 10)
    result = run_cli("diff", "old.json", "new.json", "-f", "markdown")
    assert result.exit_code == 1
    out = result.stdout
    assert len(out) <= 65_000
    listed = sum(1 for line in out.splitlines() if line.startswith("- **COMM-001**"))
    assert listed > 100
    assert f"truncated: {2_000 - listed} more findings, see the full report" in out
    assert "| 2000 | 0 | 0 | 0 | 0 |" in out  # the counts are of everything
    unlimited = run_cli("diff", "old.json", "new.json", "-f", "markdown", "--markdown-limit", "0").stdout
    assert len(unlimited) > 65_536
    assert sum(1 for line in unlimited.splitlines() if line.startswith("- **COMM-001**")) == 2_000


def _finding(**changes: object) -> dict:
    base = {"rule_id": "COMM-001", "status": "fail", "severity": "high", "fingerprint": "f" * 32}
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            json.dumps({"schema_version": "2.1", "tool": {}, "findings": [_finding(rule_id=None)]}),
            "new.json: /findings/0/rule_id: 'rule_id' is missing",
        ),
        (
            json.dumps({"schema_version": "2.1", "tool": {}, "findings": [_finding(severity=3)]}),
            "new.json: /findings/0/severity: 'severity' is not a string: 3",
        ),
        (
            json.dumps({"schema_version": "2.1", "tool": {}, "findings": [_finding(message=["x"])]}),
            "new.json: /findings/0/message: 'message' must be",
        ),
        (
            json.dumps({"schema_version": "2.1", "tool": {}, "findings": [_finding(evidence={"line": "x"})]}),
            "new.json: /findings/0/evidence/line: 'line' must be an integer or null, not 'x'",
        ),
        (
            json.dumps({"schema_version": "2.1", "tool": {}, "findings": [7]}),
            "new.json: /findings/0: each finding must be an object",
        ),
        (
            json.dumps({"schema_version": "2.1", "tool": {}, "findings": [_finding(severity="urgent")]}),
            "new.json: /findings/0/severity: 'severity' is 'urgent', not one of info, low, medium, high, critical",
        ),
        ('{"schema_version": "2.1", "tool": {}, "tool": {}, "findings": []}', "new.json: /tool: duplicate key 'tool'"),
        (
            '{"schema_version": "2.1", "tool": {}, "findings": [' + "9" * 5000 + "]}",
            "new.json:1: an integer of 5000 digits (at most 4300)",
        ),
        (
            '{"schema_version": "2.1", "tool": {}, "findings": ' + "[" * 100_000 + "]" * 100_000 + "}",
            "new.json:1: nested more than 64 levels deep",
        ),
        ('{"schema_version": "2.1", "tool": {}, "findings": [NaN]}', "new.json:1: 'NaN' is not an allowed number"),
    ],
)
def test_a_malformed_findings_document_is_a_located_error(run_cli, workdir: Path, content: str, expected: str) -> None:
    (workdir / "old.json").write_text(json.dumps({"schema_version": "2.1", "tool": {}, "findings": []}))
    (workdir / "new.json").write_text(content)
    result = run_cli("diff", "old.json", "new.json")
    assert result.exit_code == 2
    assert expected in result.stderr and "internal error" not in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_findings_document_is_refused_without_blocking(run_cli, workdir: Path) -> None:
    (workdir / "old.json").write_text(json.dumps({"schema_version": "2.1", "tool": {}, "findings": []}))
    os.mkfifo(workdir / "new.json")
    result = run_cli("diff", "old.json", "new.json")
    assert result.exit_code == 2
    assert "new.json: not a regular file (a pipe, socket or device), not a findings file" in result.stderr


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (
            "3.0",
            "new.json: /schema_version: version 3.0 of the findings document format is newer than this capcheck "
            "reads (1.x to 2.x, current 2.2): use the capcheck that wrote it, or a newer one",
        ),
        ("0.9", "new.json: /schema_version: version 0.9 of the findings document format is older than this capcheck"),
        (None, "new.json: /schema_version: missing: the version of the findings document format (1.x to 2.x"),
        (2.1, "new.json: /schema_version: not a version of the findings document format (1.x to 2.x, e.g. '2.2'): 2.1"),
    ],
)
def test_a_findings_document_of_a_format_diff_does_not_read_is_refused(
    run_cli, workdir: Path, version: object, expected: str
) -> None:
    """A future document's findings may mean something else: diffing it as 2.1 reported a diff that meant nothing."""
    (workdir / "old.json").write_text(json.dumps({"schema_version": "2.1", "tool": {}, "findings": []}))
    doc: dict[str, object] = {"tool": {}, "findings": [_finding()]}
    if version is not None:
        doc["schema_version"] = version
    (workdir / "new.json").write_text(json.dumps(doc))
    result = run_cli("diff", "old.json", "new.json")
    assert result.exit_code == 2 and result.stdout == ""
    assert expected in result.stderr


@pytest.mark.parametrize("version", ["1.0", "2.0", "2.1", "2.7"])
def test_older_and_newer_minor_findings_documents_are_read(run_cli, workdir: Path, version: str) -> None:
    (workdir / "old.json").write_text(json.dumps({"schema_version": version, "tool": {}, "findings": []}))
    (workdir / "new.json").write_text(json.dumps({"schema_version": "2.1", "tool": {}, "findings": [_finding()]}))
    result = run_cli("diff", "old.json", "new.json")
    assert result.exit_code == 1, result.stderr
    assert result.stdout.startswith("1 new failure, 0 fixed")


@pytest.mark.parametrize(
    "change", [{"status": "pass"}, {"severity": "low"}, {"rule_id": "COMM-002"}, {"status": "waived"}]
)
def test_one_fingerprint_twice_with_different_findings_is_refused_naming_both(
    run_cli, workdir: Path, change: dict[str, str]
) -> None:
    """Keyed by fingerprint, the second finding silently replaced the first: a failure listed again as passing
    (or at a lower severity) was reported fixed (or its severity changed) from one and the same document."""
    findings = [_finding(fingerprint="a" * 32), _finding(), _finding(**change)]
    (workdir / "old.json").write_text(json.dumps({"schema_version": "2.1", "tool": {}, "findings": [_finding()]}))
    (workdir / "new.json").write_text(json.dumps({"schema_version": "2.1", "tool": {}, "findings": findings}))
    result = run_cli("diff", "old.json", "new.json")
    assert result.exit_code == 2 and result.stdout == ""
    assert (
        f"new.json: /findings/2: fingerprint '{'f' * 32}' is also that of /findings/1: the two disagree"
        in result.stderr
    )


def test_one_fingerprint_twice_from_a_rule_reporting_a_record_twice_is_read_as_one(run_cli, workdir: Path) -> None:
    # What capcheck itself writes when a plugin rule yields two failures for one record: same rule, status and
    # severity, another message. The diff reads them as the one finding their fingerprint names.
    findings = [_finding(message="no owner"), _finding(message="no exit plan")]
    (workdir / "old.json").write_text(json.dumps({"schema_version": "2.1", "tool": {}, "findings": findings}))
    (workdir / "new.json").write_text(json.dumps({"schema_version": "2.1", "tool": {}, "findings": findings[:1]}))
    result = run_cli("diff", "old.json", "new.json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("0 new failures, 0 fixed, 0 changed severity, 0 newly waived, 1 persisting")
