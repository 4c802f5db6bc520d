"""Baselines: record today's failures; later only new failures fail; fixed ones are listed; moves don't matter."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

AS_OF = "2025-04-01"


def _baseline(run_cli, evidence: Path, check_argv: Callable[..., list[str]], out: str = "base.json") -> dict:
    args = check_argv(evidence, as_of=AS_OF)
    args[0:1] = ["baseline", "create"]
    result = run_cli(*args, "--output", out)
    assert result.exit_code == 0, result.stderr
    assert "failures recorded in" in result.stdout
    return json.loads(Path(out).read_text())


def test_known_failures_are_baselined_and_the_run_passes(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]]
) -> None:
    evidence = copy_fixture("evidence/mixed")
    base = _baseline(run_cli, evidence, check_argv)
    assert base["capcheck_baseline"] == "1.0"
    assert len(base["findings"]) == 7
    result = run_cli(*check_argv(evidence, as_of=AS_OF), "--baseline", "base.json", "-f", "json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 0
    assert doc["summary"]["by_status"]["fail"] == 0
    assert doc["summary"]["by_status"]["baselined"] == 7
    assert doc["baseline"] == {
        "file": "base.json",
        "entries": 7,
        "matched": 7,
        "new_failures": 0,
        "fixed": [],
        "waived_matched": [],
    }


def test_new_failures_fail_and_fixed_ones_are_listed(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]]
) -> None:
    evidence = copy_fixture("evidence/mixed")
    _baseline(run_cli, evidence, check_argv)
    contracts = evidence / "supplier-contracts.json"
    doc = json.loads(contracts.read_text())
    for record in doc["records"]:
        if record["id"] == "CON-002":
            record["exit_plan"] = True  # fixes COMM-004 on CON-002
        if record["id"] == "CON-001":
            record["owner"] = "nobody-in-the-register"  # a new COMM-003 failure
    contracts.write_text(json.dumps(doc, indent=2))
    result = run_cli(*check_argv(evidence, as_of=AS_OF), "--baseline", "base.json", "-f", "json")
    out = json.loads(result.stdout)
    assert result.exit_code == 1
    failing = [(f["rule_id"], f["evidence"]["record_id"]) for f in out["findings"] if f["status"] == "fail"]
    assert failing == [("COMM-003", "CON-001")]
    assert [(e["rule_id"], e["record_id"]) for e in out["baseline"]["fixed"]] == [("COMM-004", "CON-002")]
    text = run_cli(*check_argv(evidence, as_of=AS_OF), "--baseline", "base.json").stdout
    assert "6 known failures baselined, 1 new, 1 fixed since the baseline" in text


def test_reordering_records_and_editing_unrelated_fields_keeps_the_match(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]]
) -> None:
    evidence = copy_fixture("evidence/mixed")
    _baseline(run_cli, evidence, check_argv)
    contracts = evidence / "supplier-contracts.json"
    doc = json.loads(contracts.read_text())
    doc["records"].reverse()
    for record in doc["records"]:
        record["title"] = record["title"] + " (renamed)"
    contracts.write_text(json.dumps(doc, indent=4))
    result = run_cli(*check_argv(evidence, as_of=AS_OF), "--baseline", "base.json", "-f", "json")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["baseline"]["matched"] == 7


def test_a_broken_baseline_is_exit_2(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path
) -> None:
    evidence = copy_fixture("evidence/mixed")
    (workdir / "base.json").write_text('{"findings": []}')
    result = run_cli(*check_argv(evidence, as_of=AS_OF), "--baseline", "base.json")
    assert result.exit_code == 2
    assert "base.json: /: not a capcheck baseline" in result.stderr
    (workdir / "base.json").write_text("{not json")
    result = run_cli(*check_argv(evidence, as_of=AS_OF), "--baseline", "base.json")
    assert result.exit_code == 2 and "base.json:1: malformed JSON" in result.stderr


def test_no_baseline_overrides_the_config(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path
) -> None:
    evidence = copy_fixture("evidence/mixed")
    _baseline(run_cli, evidence, check_argv)
    (workdir / "capcheck.toml").write_text('baseline = "base.json"\n')
    assert run_cli(*check_argv(evidence, as_of=AS_OF)).exit_code == 0  # the config's baseline applies
    assert run_cli(*check_argv(evidence, as_of=AS_OF), "--no-baseline").exit_code == 1
    both = run_cli(*check_argv(evidence, as_of=AS_OF), "--no-baseline", "--baseline", "base.json")
    assert both.exit_code == 2 and "contradict" in both.stderr


def test_a_configured_baseline_not_yet_created_is_empty_with_a_note(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path
) -> None:
    evidence = copy_fixture("evidence/mixed")
    (workdir / "capcheck.toml").write_text('baseline = "ci/base.json"\n')
    first = run_cli(*check_argv(evidence, as_of=AS_OF), "-f", "json")
    assert first.exit_code == 1  # every failure is new
    assert json.loads(first.stdout)["summary"]["by_status"]["fail"] == 7
    assert "capcheck: note: the config's baseline ci/base.json does not exist yet" in first.stderr
    assert "capcheck baseline create -o ci/base.json" in first.stderr
    (workdir / "ci").mkdir()
    _baseline(run_cli, evidence, check_argv, out="ci/base.json")
    second = run_cli(*check_argv(evidence, as_of=AS_OF))
    assert second.exit_code == 0 and "note" not in second.stderr
    # Named on the command line, a missing file is a typo until shown otherwise.
    typo = run_cli(*check_argv(evidence, as_of=AS_OF), "--baseline", "ci/bsae.json")
    assert typo.exit_code == 2 and "ci/bsae.json: no such baseline file" in typo.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b'{"capcheck_baseline": "1.0", "capcheck_baseline": "1.0", "findings": []}',
            "base.json: /capcheck_baseline: duplicate key",
        ),
        (b'{"capcheck_baseline": "1.0", "findings": [' + b"1" * 5000 + b"]}", "base.json:1: an integer of 5000 digits"),
        (b'{"findings": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "base.json:1: nested more than 64 levels deep"),
        (b'{"capcheck_baseline": "caf\xe9"}', "base.json:1: not valid UTF-8 (byte 0xe9 at offset 26)"),
    ],
)
def test_a_hostile_baseline_is_a_located_error(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path, content: bytes, expected: str
) -> None:
    evidence = copy_fixture("evidence/mixed")
    (workdir / "base.json").write_bytes(content)
    result = run_cli(*check_argv(evidence, as_of=AS_OF), "--baseline", "base.json")
    assert result.exit_code == 2
    assert expected in result.stderr and "internal error" not in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_or_sparse_huge_baseline_is_refused_without_reading(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path
) -> None:
    evidence = copy_fixture("evidence/mixed")
    os.mkfifo(workdir / "pipe.json")
    result = run_cli(*check_argv(evidence, as_of=AS_OF), "--baseline", "pipe.json")
    assert result.exit_code == 2 and "pipe.json: not a regular file" in result.stderr
    with (workdir / "huge.json").open("wb") as fh:
        fh.truncate(5 << 30)
    result = run_cli(*check_argv(evidence, as_of=AS_OF), "--baseline", "huge.json")
    assert result.exit_code == 2 and "huge.json: larger than the 256 MiB limit for a baseline file" in result.stderr


def test_a_created_baseline_follows_its_published_schema(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]]
) -> None:
    import jsonschema

    base = _baseline(run_cli, copy_fixture("evidence/mixed"), check_argv)
    printed = run_cli("schema", "baseline")
    assert printed.exit_code == 0
    schema = json.loads(printed.stdout)
    assert schema["title"] == "capcheck baseline file"
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(base)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["findings"][0].pop("fingerprint"), "base.json: /findings/0: 'fingerprint' is a required property"),
        (
            lambda d: d["findings"][1].update(fingerprint="not-hex"),
            "base.json: /findings/1/fingerprint: 'not-hex' does not match",
        ),
        (lambda d: d["findings"][0].update(owner="x"), "base.json: /findings/0: Additional properties are not allowed"),
        (
            lambda d: d.update(capcheck_baseline="2.0"),
            "base.json: /capcheck_baseline: version 2.0 of the baseline format is newer than this capcheck reads "
            "(1.x, current 1.0): use the capcheck that wrote it, or a newer one",
        ),
        (
            lambda d: d.update(capcheck_baseline="0.9"),
            "base.json: /capcheck_baseline: version 0.9 of the baseline format is older than this capcheck reads (1.x)",
        ),
        (lambda d: d.update(capcheck_baseline="1.x"), "base.json: /capcheck_baseline: not a version of the baseline"),
        (lambda d: d.update(capcheck_baseline="1.0.1"), "base.json: /capcheck_baseline: '1.0.1' does not match"),
        (lambda d: d.update(as_of="2025-02-30"), "base.json: /as_of: '2025-02-30' is not a 'date'"),
    ],
)
def test_a_baseline_against_its_schema_is_a_located_error(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path, edit, expected: str
) -> None:
    """A hand-edited baseline that would quietly match nothing stops the run instead."""
    evidence = copy_fixture("evidence/mixed")
    base = _baseline(run_cli, evidence, check_argv)
    edit(base)
    (workdir / "base.json").write_text(json.dumps(base))
    result = run_cli(*check_argv(evidence, as_of=AS_OF), "--baseline", "base.json")
    assert result.exit_code == 2, result.stdout
    assert expected in result.stderr and "internal error" not in result.stderr


def test_a_baseline_listing_a_fingerprint_twice_names_both_entries(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path
) -> None:
    evidence = copy_fixture("evidence/mixed")
    base = _baseline(run_cli, evidence, check_argv)
    first = base["findings"][0]
    base["findings"].insert(2, {**first, "message": "the same failure, said again"})
    (workdir / "base.json").write_text(json.dumps(base))
    result = run_cli(*check_argv(evidence, as_of=AS_OF), "--baseline", "base.json")
    assert result.exit_code == 2
    assert (
        f"base.json: /findings/2: fingerprint {first['fingerprint']!r} is also that of /findings/0: "
        "one entry per fingerprint" in result.stderr
    )


def test_baseline_create_refuses_a_rule_that_reports_a_record_twice(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path
) -> None:
    """A plugin rule may report one record twice (two failures, one fingerprint): the baseline written once
    had both entries, and the next `check --baseline` refused the file capcheck had just written. The engine
    now makes such a rule one error naming the record, and no baseline is written over an error."""
    evidence = copy_fixture("evidence/mixed")
    (workdir / "twice.py").write_text(TWICE_PLUGIN)
    argv = [*check_argv(evidence, rules=["acme."], as_of=AS_OF), "--plugin", "./twice.py"]
    created = run_cli("baseline", "create", *argv[1:], "-o", "base.json")
    assert created.exit_code == 2
    # Worded from the finding: the rule raised nothing (it was "a rule raised an error ... (see --debug)").
    assert (
        "capcheck: usage error: 1 problem\n  a rule gave an error finding: acme.COMM-901: the rule yielded two "
        "outcomes for record"
    ) in created.stderr
    assert created.stderr.endswith("; the check is incomplete: no baseline written\n")
    assert "raised" not in created.stderr
    assert not (workdir / "base.json").exists()
    result = run_cli(*argv)
    assert result.exit_code == 2
    assert "the rule yielded two outcomes for record" in result.stdout


TWICE_PLUGIN = """
from capcheck import hookimpl, rule


@rule(id="acme.COMM-901", title="Contracts are reported twice", area="COMM", severity="high",
      kinds=["supplier-contracts"], description="Reports the first contract twice.",
      rationale="To test one fingerprint.", remediation="None needed.")
def twice(evidence, ctx):
    first = evidence.records("supplier-contracts")[0]
    yield ctx.failed(first, "one")
    yield ctx.failed(first, "two")


@hookimpl
def capcheck_rules():
    return [twice]
"""


@pytest.mark.parametrize("keep", [("rule_id", "kind", "record_id", "group"), ("rule_id", "record_id"), ("rule_id",)])
def test_an_entry_relabelled_to_hide_another_failure_is_refused(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path, keep: tuple[str, ...]
) -> None:
    """One failure's fingerprint under another failure's rule and record: a reviewer reads the harmless labels,
    capcheck matched the fingerprint, and the other failure passed unnamed."""
    evidence = copy_fixture("evidence/mixed")
    base = _baseline(run_cli, evidence, check_argv)
    hidden, shown = next(
        (a, b) for a in base["findings"] for b in base["findings"] if a["rule_id"] != b["rule_id"] and a["record_id"]
    )
    forged = {k: v for k, v in shown.items() if k in keep} | {"fingerprint": hidden["fingerprint"]}
    base["findings"] = [forged]
    (workdir / "base.json").write_text(json.dumps(base))
    result = run_cli(*check_argv(evidence, as_of=AS_OF), "--baseline", "base.json")
    assert result.exit_code == 2, result.stdout
    assert f"base.json: fingerprint {hidden['fingerprint']} is that of {hidden['rule_id']} " in result.stderr
    assert f"not of the finding the entry names ({shown['rule_id']} " in result.stderr


def test_waived_failures_are_left_out_of_a_new_baseline_and_fail_when_the_waiver_expires(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path
) -> None:
    # docs/ci.md: "Waived failures are left out of a new baseline: a waiver governs them, and when it expires
    # they fail again." AST-002 fails INFRA-004; the waiver accepts it until 2025-04-20.
    evidence = copy_fixture("evidence/mixed")
    (workdir / "waivers.yaml").write_text(
        "waivers:\n  - rule: INFRA-004\n    records: [AST-002]\n    reason: Behind the WAF until the April patch\n"
        "    approved_by: CISO\n    ticket: RISK-1\n    approved_on: 2025-03-01\n    expires: 2025-04-20\n"
    )
    args = check_argv(evidence, as_of=AS_OF)
    args[0:1] = ["baseline", "create"]
    assert run_cli(*args, "--waivers", "waivers.yaml", "--output", "base.json").exit_code == 0
    entries = {(e["rule_id"], e["record_id"]) for e in json.loads((workdir / "base.json").read_text())["findings"]}
    assert ("INFRA-004", "AST-002") not in entries and ("INFRA-004", "AST-003") in entries
    assert len(entries) == 6  # the seven failures less the waived one

    def status(as_of: str) -> str:
        check = [*check_argv(evidence, as_of=as_of), "--waivers", "waivers.yaml", "--baseline", "base.json"]
        result = run_cli(*check, "-f", "json")
        [finding] = [f for f in json.loads(result.stdout)["findings"] if f["evidence"].get("record_id") == "AST-002"]
        return str(finding["status"])

    assert status("2025-04-20") == "waived"  # the waiver's last day
    assert status("2025-04-21") == "fail"  # expired: not hidden by the baseline either (a new failure)
