"""Governed waivers: validation (exit 2 with file, line and pointer), matching, states, the run's outcome."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capcheck.assessment.waivers import Waiver, load_waivers
from capcheck.core.errors import ConfigError

AS_OF = "2025-04-01"

GOOD = """\
waivers:
  - rule: INFRA-004
    records: ["AST-00*"]
    reason: "Both gateways are behind the new WAF until the March patch window"
    approved_by: Chief Information Security Officer
    ticket: RISK-101
    approved_on: 2025-03-01
    expires: 2025-04-20
  - rule: GOV
    records: [RSK-002]
    reason: "Controls for this risk are being designed in the Q2 programme"
    approved_by: Head of Governance
    ticket: RISK-102
    expires: 2025-12-31
  - rule: COMM-004
    records: [CON-999]
    reason: "A contract that does not exist: this waiver should be reported unused"
    approved_by: Commercial Director
    ticket: EX-7
    expires: 2025-12-31
  - rule: COMM-003
    records: [CON-003]
    reason: "An old waiver that has run out and must stop applying"
    approved_by: Commercial Director
    ticket: EX-1
    expires: 2025-03-31
"""


def _write(workdir: Path, name: str, text: str) -> Path:
    path = workdir / name
    path.write_text(text)
    return path


def test_waived_failures_do_not_fail_the_run_and_carry_the_waiver(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path
) -> None:
    evidence = copy_fixture("evidence/mixed")
    waivers = _write(workdir, "waivers.yaml", GOOD)
    rules = ("INFRA-004", "GOV-002", "COMM-003")
    plain = run_cli(*check_argv(evidence, rules=rules, as_of=AS_OF), "-f", "json")
    assert plain.exit_code == 1
    result = run_cli(*check_argv(evidence, rules=rules, as_of=AS_OF), "--waivers", waivers, "-f", "json")
    doc = json.loads(result.stdout)
    waived = {f["evidence"]["record_id"]: f for f in doc["findings"] if f["status"] == "waived"}
    assert set(waived) == {"AST-002", "AST-003", "RSK-002"}
    assert waived["RSK-002"]["waiver"]["ticket"] == "RISK-102"
    assert waived["AST-002"]["waiver"]["pointer"] == "/waivers/0"
    # the expired waiver no longer applies: COMM-003 on CON-003 and GOV-002 on RSK-003 still fail the run
    failing = {(f["rule_id"], f["evidence"]["record_id"]) for f in doc["findings"] if f["status"] == "fail"}
    assert failing == {("COMM-003", "CON-003"), ("GOV-002", "RSK-003")}
    assert result.exit_code == 1
    states = {w["ticket"]: w["state"] for w in doc["waivers"]}
    assert states == {"RISK-101": "expiring", "RISK-102": "active", "EX-7": "unused", "EX-1": "expired"}
    assert doc["summary"]["by_status"]["waived"] == 3


def test_a_run_whose_only_failures_are_waived_passes(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path
) -> None:
    evidence = copy_fixture("evidence/mixed")
    waivers = _write(workdir, "waivers.yaml", GOOD)
    result = run_cli(*check_argv(evidence, rules=("INFRA-004",), as_of=AS_OF), "--waivers", waivers)
    assert result.exit_code == 0, result.stdout
    assert "expiring" in result.stdout and "RISK-101" in result.stdout


def test_the_text_report_flags_unused_and_expired_waivers(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path
) -> None:
    evidence = copy_fixture("evidence/mixed")
    waivers = _write(workdir, "waivers.yaml", GOOD)
    out = run_cli(*check_argv(evidence, as_of=AS_OF), "--waivers", waivers).stdout
    assert "unused   waivers.yaml:15 COMM-004 EX-7" in out
    assert "expired  waivers.yaml:21 COMM-003 EX-1: expired on 2025-03-31" in out


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("    ticket: RISK-102\n", ""),
            "waivers.yaml:9: /waivers/1: incomplete waiver: 'ticket' is a required property",
        ),
        (
            ("    expires: 2025-12-31\n", "    expires: 31/12/2025\n"),
            "/waivers/1/expires: '31/12/2025' is not a 'date'",
        ),
        (
            ("  - rule: GOV\n", "  - rule: gov\n"),
            "waivers.yaml:9: /waivers/1/rule: 'gov' is not a rule id, id prefix or area (did you mean 'GOV'?): "
            "write one as INFRA-001, INFRA-00 or INFRA (a plugin's after its namespace: acme.INFRA-101)",
        ),
        (
            ("  - rule: GOV\n", "  - rule: GOV-0O1\n"),
            "/waivers/1/rule: 'GOV-0O1' is not a rule id, id prefix or area: write one as INFRA-001",
        ),
        (
            ("    approved_by: Head of Governance\n", "    aproved_by: Head of Governance\n"),
            "waivers.yaml:9: /waivers/1/aproved_by: unknown key 'aproved_by' (did you mean 'approved_by'?)",
        ),
        (("    records: [RSK-002]\n", "    records: []\n"), "/waivers/1/records: [] should be non-empty"),
    ],
)
def test_an_incomplete_or_invalid_waiver_is_exit_2_with_file_and_pointer(
    run_cli,
    copy_fixture,
    check_argv: Callable[..., list[str]],
    workdir: Path,
    change: tuple[str, str],
    expected: str,
) -> None:
    evidence = copy_fixture("evidence/mixed")
    waivers = _write(workdir, "waivers.yaml", GOOD.replace(*change, 1))
    result = run_cli(*check_argv(evidence, as_of=AS_OF), "--waivers", waivers)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_a_waiver_longer_than_the_maximum_is_refused(workdir: Path) -> None:
    path = _write(workdir, "waivers.yaml", GOOD)
    with pytest.raises(ConfigError) as info:
        load_waivers(path, as_of=date(2025, 4, 1), max_days=200)
    # RISK-102 has no approved_on: it is measured from the as-of date, 274 days
    assert [str(p) for p in info.value.problems] == [
        "waivers.yaml:9: /waivers/1/expires: the waiver runs 274 days from 2025-04-01; "
        "the longest allowed is 200 (config waiver_max_days)",
        "waivers.yaml:15: /waivers/2/expires: the waiver runs 274 days from 2025-04-01; "
        "the longest allowed is 200 (config waiver_max_days)",
    ]


def test_toml_waivers_and_the_config_key(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path
) -> None:
    evidence = copy_fixture("evidence/mixed")
    _write(
        workdir,
        "exceptions.toml",
        '[[waivers]]\nrule = "INFRA-004"\nrecords = ["AST-002", "AST-003"]\n'
        'reason = "Behind the WAF until the patch window"\napproved_by = "CISO"\nticket = "RISK-101"\n'
        "expires = 2025-06-30\n",
    )
    _write(workdir, "capcheck.toml", 'waivers = "exceptions.toml"\n')
    result = run_cli(*check_argv(evidence, rules=("INFRA-004",), as_of=AS_OF), "-f", "json")
    doc = json.loads(result.stdout)
    assert result.exit_code == 0
    assert [w["state"] for w in doc["waivers"]] == ["active"]
    assert doc["waivers"][0]["line"] == 1


def test_a_hostile_or_broken_waivers_file(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path
) -> None:
    evidence = copy_fixture("evidence/mixed")
    _write(workdir, "bad.yaml", "waivers: !!python/object/apply:os.system ['echo hacked']\n")
    result = run_cli(*check_argv(evidence, as_of=AS_OF), "--waivers", "bad.yaml")
    assert result.exit_code == 2
    assert "bad.yaml" in result.stderr and "malformed YAML" in result.stderr
    missing = run_cli(*check_argv(evidence, as_of=AS_OF), "--waivers", "nowhere.yaml")
    assert missing.exit_code == 2 and "nowhere.yaml: no such waivers file" in missing.stderr


# --- hostile waivers files --------------------------------------------------------------------------

ONE = (
    "waivers:\n  - rule: INFRA-004\n    records: [AST-001]\n    reason: Behind the WAF until patched\n"
    "    approved_by: CISO\n    ticket: T-1\n    expires: {expires}\n"
)


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_waivers(path, as_of=date(2025, 4, 1))
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "w.yaml",
            ONE.format(expires="2027-02-30").encode(),
            "w.yaml:7: malformed YAML: '2027-02-30' is not a valid date",
        ),
        (
            "w.yaml",
            ONE.format(expires="'2027-02-30'").encode(),
            "w.yaml:2: /waivers/0/expires: '2027-02-30' is not a 'date'",
        ),
        ("w.toml", b"[[waivers]]\nexpires = 2027-02-30\n", "w.toml:2: malformed TOML: Invalid date or datetime"),
        ("w.yaml", b"waivers:\n  - rule: " + b"9" * 5000 + b"\n", "w.yaml:2: malformed YAML: '99999"),
        ("w.toml", b"x = " + b"9" * 5000 + b"\n", "w.toml:1: an integer of 5000 digits (at most 4300)"),
        (
            "w.yaml",
            b"waivers: " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
            "w.yaml:1: malformed YAML: while increasing",
        ),
        ("w.yaml", b"waivers: " + b"[" * 70 + b"]" * 70 + b"\n", "w.yaml:1: nested more than 64 levels deep"),
        ("w.toml", b"x = " + b"[" * 100_000 + b"]" * 100_000 + b"\n", "w.toml: nested more than 64 levels deep"),
        ("w.yaml", b"waivers: []\nwaivers: []\n", "w.yaml:2: malformed YAML: duplicate key 'waivers'"),
        ("w.yaml", b"waivers: [caf\xe9]\n", "w.yaml:1: not valid UTF-8 (byte 0xe9 at offset 13)"),
    ],
)
def test_hostile_waivers_files_are_located_errors(workdir: Path, name: str, content: bytes, expected: str) -> None:
    (workdir / name).write_bytes(content)
    [problem] = _problems(workdir / name)
    assert problem.startswith(expected)
    assert len(problem) < 300


def test_a_yaml_alias_bomb_is_refused_at_the_first_alias_and_nothing_is_expanded(workdir: Path) -> None:
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 6)]
    (workdir / "w.yaml").write_text("\n".join(levels) + "\nwaivers: *a5\n")
    assert _problems(workdir / "w.yaml") == [
        "w.yaml:2: YAML aliases (*name) are not allowed in a waivers file: write the values out"
    ]


def test_a_long_value_in_a_schema_error_is_cut(workdir: Path) -> None:
    (workdir / "w.yaml").write_text("waivers: " + "x" * 100_000 + "\n")
    [problem] = _problems(workdir / "w.yaml")
    assert problem.startswith("w.yaml: /waivers: 'xxx") and problem.endswith("is not of type 'array'")
    assert len(problem) < 300


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_or_a_huge_file_is_refused_without_reading(workdir: Path) -> None:
    import os

    os.mkfifo(workdir / "pipe.yaml")
    assert _problems(workdir / "pipe.yaml") == [
        "pipe.yaml: not a regular file (a pipe, socket or device), not a waivers file"
    ]
    with (workdir / "huge.yaml").open("wb") as fh:
        fh.truncate(4 << 30)
    assert _problems(workdir / "huge.yaml") == ["huge.yaml: larger than the 16 MiB limit for a waivers file"]


@pytest.mark.parametrize(
    ("as_of", "status"), [("2025-04-19", "waived"), ("2025-04-20", "waived"), ("2025-04-21", "fail")]
)
def test_a_waiver_applies_on_its_expiry_day_and_not_the_day_after(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path, as_of: str, status: str
) -> None:
    # RISK-101 expires on 2025-04-20: the expiry day is the waiver's last day (pinned: a one-day shift fails).
    evidence = copy_fixture("evidence/mixed")
    waivers = _write(workdir, "waivers.yaml", GOOD)
    result = run_cli(*check_argv(evidence, rules=("INFRA-004",), as_of=as_of), "--waivers", waivers, "-f", "json")
    doc = json.loads(result.stdout)
    statuses = {f["evidence"]["record_id"]: f["status"] for f in doc["findings"] if f["status"] != "pass"}
    assert statuses["AST-002"] == status
    state = {w["ticket"]: w["state"] for w in doc["waivers"]}["RISK-101"]
    assert state == ("expired" if status == "fail" else "expiring")


# --- gaming the waivers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "status", "state"),
    [("2025-02-28", "fail", "future"), ("2025-03-01", "waived", "active"), ("2025-03-02", "waived", "active")],
)
def test_a_waiver_applies_from_its_approval_day_not_before(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path, as_of: str, status: str, state: str
) -> None:
    # RISK-101 was approved on 2025-03-01. Before that day it was not in force: applying it would let a waiver
    # "approved" next year hide today's failures, and run for waiver_max_days after that.
    evidence = copy_fixture("evidence/mixed")
    waivers = _write(workdir, "waivers.yaml", GOOD)
    result = run_cli(*check_argv(evidence, rules=("INFRA-004",), as_of=as_of), "--waivers", waivers, "-f", "json")
    doc = json.loads(result.stdout)
    statuses = {f["evidence"]["record_id"]: f["status"] for f in doc["findings"] if f["status"] != "pass"}
    assert statuses["AST-002"] == status
    [risk101] = [w for w in doc["waivers"] if w["ticket"] == "RISK-101"]
    assert (risk101["state"], risk101["matched"]) == (state, 0 if status == "fail" else 3)
    assert result.exit_code == (1 if status == "fail" else 0)


def test_a_waiver_approved_after_the_as_of_date_is_shown_as_not_yet_in_force(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path
) -> None:
    evidence = copy_fixture("evidence/mixed")
    waivers = _write(workdir, "waivers.yaml", GOOD)
    args = (*check_argv(evidence, rules=("INFRA-004",), as_of="2025-02-01"), "--waivers", waivers)
    text = run_cli(*args).stdout
    assert "future   waivers.yaml:2 INFRA-004 RISK-101: approved on 2025-03-01: not in force yet" in text
    markdown = run_cli(*args, "-f", "markdown").stdout
    assert "| **future** | INFRA-004 | AST-00\\* | RISK-101 |" in markdown
    html = run_cli(*args, "-f", "html").stdout
    assert '<tr data-state="future"><td class="ws-future" title="approved after the as-of date' in html


def test_a_waiver_expiring_before_its_approval_is_refused(workdir: Path) -> None:
    path = _write(workdir, "waivers.yaml", GOOD.replace("    expires: 2025-04-20\n", "    expires: 2025-02-28\n"))
    with pytest.raises(ConfigError) as info:
        load_waivers(path, as_of=date(2025, 4, 1))
    assert [str(p) for p in info.value.problems] == [
        "waivers.yaml:2: /waivers/0/expires: the waiver expires on 2025-02-28, before it was approved (2025-03-01)"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            (
                '    reason: "Controls for this risk are being designed in the Q2 programme"\n',
                '    reason: "          ."\n',
            ),
            "waivers.yaml:9: /waivers/1/reason: says too little: a reason needs at least 10 characters besides spaces",
        ),
        (
            ("    approved_by: Head of Governance\n", '    approved_by: "   "\n'),
            "waivers.yaml:9: /waivers/1/approved_by: names nobody: at least 2 characters besides spaces",
        ),
        (
            ("    ticket: RISK-102\n", '    ticket: " "\n'),
            "waivers.yaml:9: /waivers/1/ticket: is blank",
        ),
        (
            ("    records: [RSK-002]\n", '    records: [RSK-002, "  "]\n'),
            "waivers.yaml:9: /waivers/1/records/1: is blank",
        ),
    ],
)
def test_a_blank_reason_approver_ticket_or_record_is_refused(
    workdir: Path, change: tuple[str, str], expected: str
) -> None:
    path = _write(workdir, "waivers.yaml", GOOD.replace(*change, 1))
    with pytest.raises(ConfigError) as info:
        load_waivers(path, as_of=date(2025, 4, 1))
    assert [str(p) for p in info.value.problems] == [expected]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("    approved_by: Head of Governance\n", "    approved_by: TBC\n"),
            'waivers.yaml:9: /waivers/1/approved_by: `approved_by` "TBC" is a placeholder: a waiver says who approved '
            "the exception",
        ),
        (
            ("    ticket: RISK-102\n", "    ticket: n/a\n"),
            'waivers.yaml:9: /waivers/1/ticket: `ticket` "n/a" is a placeholder: a waiver says which record governs it',
        ),
        (
            (
                '    reason: "Controls for this risk are being designed in the Q2 programme"\n',
                '    reason: "To be confirmed"\n',
            ),
            'waivers.yaml:9: /waivers/1/reason: `reason` "To be confirmed" is a placeholder: a waiver says why the '
            "failure is accepted",
        ),
        (
            ("    approved_by: Head of Governance\n", '    approved_by: "\\u0422\\u0412\\u0421"\n'),
            'waivers.yaml:9: /waivers/1/approved_by: `approved_by` "\u0422\u0412\u0421" is a placeholder: '
            "a waiver says who approved the exception",
        ),
    ],
)
def test_a_placeholder_as_approver_ticket_or_reason_is_refused(
    workdir: Path, change: tuple[str, str], expected: str
) -> None:
    # An exception approved by "TBC" under ticket "n/a" is one nobody approved: placeholders are missing here
    # as for the rules (a waiver's own schema only asked for a few characters).
    path = _write(workdir, "waivers.yaml", GOOD.replace(*change, 1))
    with pytest.raises(ConfigError) as info:
        load_waivers(path, as_of=date(2025, 4, 1))
    assert [str(p) for p in info.value.problems] == [expected]


@pytest.mark.parametrize(
    ("rule", "names", "does_not_name"),
    [
        ("INFRA", ["INFRA-001", "INFRA-1234"], ["INFRAX-001", "acme.INFRA-101", "INF-001"]),
        ("INFRA-00", ["INFRA-001", "INFRA-009"], ["INFRA-010", "INFRAX-001"]),
        ("INFRA-001", ["INFRA-001"], ["INFRA-002", "INFRAX-001"]),
        ("acme.INFRA", ["acme.INFRA-101"], ["acme.INFRAX-101", "INFRA-101"]),
    ],
)
def test_a_waiver_names_its_rule_area_or_id_prefix_as_select_does(
    rule: str, names: list[str], does_not_name: list[str]
) -> None:
    # An area waiver ("INFRA") accepted the failures of a plugin's area "INFRAX" as well.
    waiver = Waiver(0, rule, ("*",), "reason enough", "CTO", "T-1", date(2026, 1, 1), None, "w.yaml", 1)
    assert [r for r in names + does_not_name if waiver.names_rule(r)] == names


def _waiver(index: int, *records: str) -> Any:
    from capcheck.assessment.waivers import Waiver

    return Waiver(index, "INFRA", records, "reason given", "CTO", "R-1", date(2026, 1, 1), None, "w.yaml", None)


_PATTERNS = st.sampled_from(["A-1", "A-2", "B-1", "A-*", "?-1", "[AB]-2", "*", "B-[!1]", "A-1*", "a-1"])


@given(
    st.lists(st.lists(_PATTERNS, min_size=1, max_size=3), max_size=8),
    st.sampled_from(["A-1", "A-2", "B-1", "B-2", "C-9", "a-1", None]),
)
def test_the_first_waiver_naming_a_record_is_the_first_in_file_order(patterns: list[list[str]], key: Any) -> None:
    """Exact ids are looked up and globs tried in turn: the waiver found is the one trying each in order finds."""
    from capcheck.assessment.waivers import first_waiver_naming

    waivers = [_waiver(i, *records) for i, records in enumerate(patterns)]
    expected = next((w for w in waivers if w.names(key)), None)
    assert first_waiver_naming(waivers)(key) is expected


def test_many_waivers_against_many_failures_take_linear_time() -> None:
    """20,000 waivers of one area were each tried against each failure (4.6 s against 100 failures)."""
    import time

    from capcheck.assessment.waivers import first_waiver_naming

    waivers = [_waiver(i, f"NO-{i}") for i in range(20_000)] + [_waiver(20_000, "CI-*")]
    started = time.process_time()
    first = first_waiver_naming(waivers)
    found = [first(f"CI-{i}") for i in range(5_000)] + [first(f"NO-{i}") for i in range(5_000)]
    assert time.process_time() - started < 2
    assert found[0] is waivers[-1] and found[-1] is waivers[4_999]


# --- the documented limits, pinned at their boundaries (docs/ci.md, docs/configuration.md) ---------------------


@pytest.mark.parametrize(("as_of", "state"), [("2025-03-20", "active"), ("2025-03-21", "expiring")])
def test_a_waiver_is_expiring_within_30_days_of_its_end_by_default(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path, as_of: str, state: str
) -> None:
    # RISK-101 expires on 2025-04-20: 31 days left is active, 30 (waiver_warn_days' default) is expiring.
    evidence = copy_fixture("evidence/mixed")
    waivers = _write(workdir, "waivers.yaml", GOOD)
    result = run_cli(*check_argv(evidence, rules=("INFRA-004",), as_of=as_of), "--waivers", waivers, "-f", "json")
    [risk101] = [w for w in json.loads(result.stdout)["waivers"] if w["ticket"] == "RISK-101"]
    assert (risk101["state"], risk101["matched"]) == (state, 3)


@pytest.mark.parametrize(("expires", "refused"), [("2026-01-02", False), ("2026-01-03", True)])
def test_a_waiver_may_run_366_days_by_default_and_not_367(workdir: Path, expires: str, refused: bool) -> None:
    text = GOOD.replace(
        "approved_on: 2025-03-01\n    expires: 2025-04-20", f"approved_on: 2025-01-01\n    expires: {expires}"
    )
    path = _write(workdir, "waivers.yaml", text)
    if not refused:
        assert load_waivers(path, as_of=date(2025, 4, 1))[0].expires == date.fromisoformat(expires)
        return
    with pytest.raises(ConfigError) as info:
        load_waivers(path, as_of=date(2025, 4, 1))
    assert [str(p) for p in info.value.problems] == [
        "waivers.yaml:2: /waivers/0/expires: the waiver runs 367 days from 2025-01-01; "
        "the longest allowed is 366 (config waiver_max_days)"
    ]


# --- a waiver naming no rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("as_of", "refused"), [("2025-12-31", True), ("2026-01-01", False)])
def test_a_waiver_naming_no_rule_is_refused_before_evidence_until_it_expires(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]], workdir: Path, as_of: str, refused: bool
) -> None:
    """A typo in a waiver's rule could accept nothing: it was found only as 'unused', once the evidence had been
    judged. It is a config error at its line, before any evidence is read, while in force (the expiry day included:
    pinned); once expired it is left to the report, as the record of a rule since retired may be."""
    evidence = copy_fixture("evidence/mixed")
    broken = evidence / "zz-broken.json"
    broken.write_text("{")  # read, it would fail the run as evidence error
    text = GOOD.replace("  - rule: COMM-004\n", "  - rule: COMM-0004\n")  # waiver 3, expiring 2025-12-31
    waivers = _write(workdir, "waivers.yaml", text)
    result = run_cli(*check_argv(evidence, rules=("INFRA-004",), as_of=as_of), "--waivers", waivers)
    assert result.exit_code == 2
    if refused:
        assert result.stderr == (
            "capcheck: config error: 1 problem\n  waivers.yaml:15: /waivers/2/rule: waiver 3: rule 'COMM-0004' names "
            "no rule of this run (did you mean 'COMM-004'?): it could accept nothing (see 'capcheck rules list')\n"
        )
    else:
        assert "evidence error" in result.stderr and "zz-broken.json" in result.stderr
