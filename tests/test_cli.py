"""The command line, in-process through click's runner: every command, exit codes 0/1/2, output files.

``check_argv(paths...)`` selects the pack's five Python rules and fixes ``--as-of``, so that results
do not move when the declarative pack grows.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from capcheck._version import __version__
from capcheck.app.config import Config
from capcheck.app.runner import load_registry
from capcheck.core.kinds import bundled_kinds
from capcheck.core.resources import load_schema

ANSI = re.compile(r"\x1b\[")


@pytest.fixture
def mixed(copy_fixture: Callable[..., Path]) -> Path:
    """``evidence/``: the mixed fixture (passes and failures for every Python rule)."""
    return copy_fixture("evidence/mixed", "evidence")


@pytest.fixture
def clean(copy_fixture: Callable[..., Path]) -> Path:
    """``clean/``: evidence on which every Python rule passes."""
    return copy_fixture("evidence/clean", "clean")


def findings_schema_validator() -> Any:
    schema = load_schema("findings")
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


# --- version and help ---------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(run_cli, flag: str) -> None:
    result = run_cli(flag)
    assert (result.exit_code, result.stdout) == (0, f"capcheck {__version__}\n")


def test_help_lists_every_command(run_cli) -> None:
    result = run_cli("--help")
    assert result.exit_code == 0
    for command in ("check", "rules", "kinds", "validate", "schema", "plugins"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), command


@pytest.mark.parametrize(
    ("command", "example"),
    [
        (["check"], "capcheck check "),
        (["diff"], "capcheck diff "),
        (["baseline", "create"], "capcheck baseline create "),
    ],
)
def test_help_lists_formats_exit_codes_and_two_examples(run_cli, command: list[str], example: str) -> None:
    from capcheck.app.config import Config
    from capcheck.app.runner import load_registry

    result = run_cli(*command, "--help")
    assert result.exit_code == 0
    help_text = result.stdout
    formats = sorted(load_registry(Config()).reporters) if command != ["diff"] else ["json", "markdown", "text"]
    listed = re.search(r"Formats[^:]*: (.*?)(?:\n\n|$)", help_text, re.S)
    assert listed is not None, help_text
    for name in formats:  # by name, not "text, json, ..."
        assert re.search(rf"\b{name}\b", listed.group(1)), name
    exit_codes = help_text.split("Exit codes:", 1)[1].split("Examples:", 1)[0]
    for code in ("0", "1", "2", "130", "143") if command != ["baseline", "create"] else ("0", "2", "130", "143"):
        assert re.search(rf"(^|\s){code} ", exit_codes), code
    assert help_text.split("Examples:", 1)[1].count(example) == 2


def test_the_builtin_formats_in_help_are_the_builtin_reporters() -> None:
    from capcheck.app.config import Config
    from capcheck.app.runner import load_registry
    from capcheck.cli import BUILTIN_FORMATS

    registry = load_registry(Config())
    builtin = {info.name for info in registry.plugins if info.origin == "builtin"}
    assert builtin  # the test below would pass on nothing
    formats = {name for name in registry.reporters if registry.owners[("reporter", name)] in builtin}
    assert set(BUILTIN_FORMATS) == formats


# --- choices in any case ----------------------------------------------------------------------------------


def test_format_fail_on_and_report_take_any_case(run_cli, mixed: Path, check_argv, workdir: Path) -> None:
    args = check_argv(mixed, rules=["COMM-003"])  # one medium failure
    result = run_cli(*args, "-f", "JSON", "--fail-on", "HIGH", "--report", "MarkDown=r.md")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["findings"][0]["rule_id"] == "COMM-003"
    assert (workdir / "r.md").read_text(encoding="utf-8").startswith("## ")
    assert run_cli(*args, "--fail-on", "Medium").exit_code == 1


def test_config_choices_take_any_case(run_cli, mixed: Path, check_argv, workdir: Path) -> None:
    (workdir / "capcheck.toml").write_text('fail_on = "CRITICAL"\nformat = "Json"\n[severity]\n"COMM-003" = "HIGH"\n')
    result = run_cli(*check_argv(mixed, rules=["COMM-003"]))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["findings"][0]["severity"] == "high"


def test_list_commands_take_any_case(run_cli) -> None:
    assert json.loads(run_cli("rules", "list", "-f", "JSON").stdout)
    assert run_cli("frameworks", "-f", "Json").stdout.startswith("[")
    assert json.loads(run_cli("schema", "FINDINGS").stdout)["title"]


def test_new_rule_takes_a_kind_in_any_case(run_cli, workdir: Path) -> None:
    result = run_cli("new", "rule", "--area", "comm", "--kind", "Supplier-Contracts", "--id", "COMM-900")
    assert result.exit_code == 0, result.stderr
    assert '\nkind = "supplier-contracts"\n' in (workdir / "rules" / "COMM-900.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ["CAF", "caf", "CAF-4.0", "Caf-4.0"])
def test_frameworks_by_any_case_or_family(run_cli, name: str) -> None:
    result = run_cli("frameworks", name, "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["id"] == "caf-4.0"


def test_a_family_with_two_editions_must_name_one(run_cli, workdir: Path) -> None:
    (workdir / "caf_plugin.py").write_text(
        "from pathlib import Path\n"
        "from capcheck.builtins.frameworks import load_framework\n"
        "from capcheck.core.hookspecs import hookimpl\n\n\n"
        "@hookimpl\n"
        "def capcheck_frameworks():\n"
        '    return [load_framework(Path(__file__).with_name("caf3.toml"))]\n'
    )
    (workdir / "caf3.toml").write_text(
        '[framework]\nid = "caf-3.2"\nedition = "3.2"\ntitle = "CAF 3.2"\n\n[[criterion]]\nid = "A1.a"\ntitle = "A"\n'
    )
    result = run_cli("frameworks", "CAF", "--plugin", "./caf_plugin.py")
    assert result.exit_code == 2
    assert "framework 'CAF' has several editions: name one of caf-3.2, caf-4.0" in result.stderr
    assert run_cli("frameworks", "CAF-3.2", "--plugin", "./caf_plugin.py").stdout.startswith("CAF 3.2")


# --- check: text ------------------------------------------------------------------------------------------


def test_check_text_lists_failures_and_exits_1(run_cli, mixed: Path, check_argv) -> None:
    result = run_cli(*check_argv(mixed))
    assert result.exit_code == 1
    assert result.stderr == ""
    out = result.stdout
    assert out.startswith(
        f"capcheck {__version__} · as of 2025-04-01 · 3 evidence files in evidence/ (20 records) · 5 rules\n"
    )
    # Each failing rule once, most severe first, with its title, counts and fix; its records beneath.
    headers = [line for line in out.splitlines() if line[:1].isupper() and "  · " in line]
    assert headers == [
        "CRITICAL INFRA-004  Internet-facing assets are patched within the patch window  · 2 failed",
        "HIGH     GOV-002  High risks are linked to controls that exist in the register  · 2 failed",
        "HIGH     COMM-004  High-value contracts have an exit plan  · 1 failed",
        "HIGH     INFRA-003  Each environment keeps end-of-life assets below the limit  · 1 failed, 1 skipped",
        "MEDIUM   COMM-003  Contract owners hold an accountable role in the governance register  · 1 failed",
    ]
    expected_block = [
        "HIGH     COMM-004  High-value contracts have an exit plan  · 1 failed",
        "    fix: Write and approve an exit plan for the contract and record exit_plan = true.",
        "    supplier-contracts.json:18  CON-002  contract worth GBP 1,200,000 with Widget Health Systems has no "
        "exit plan",
    ]
    assert "\n".join(expected_block) + "\n" in out
    assert "    it-assets.csv  test        SKIP insufficient evidence: only 2 test assets\n" in out
    assert "PASS" not in out
    assert "Summary: 7 failed (2 critical, 4 high, 1 medium), 0 errors, 1 skipped, 6 passed" in out
    assert out.rstrip().endswith("Result: FAILED - failures at or above 'low' (exit 1)")


def test_text_output_has_no_ansi_codes_when_not_a_terminal(run_cli, mixed: Path, check_argv) -> None:
    result = run_cli(*check_argv(mixed))
    assert not ANSI.search(result.stdout)


def test_include_passed_lists_passes(run_cli, mixed: Path, check_argv) -> None:
    result = run_cli(*check_argv(mixed), "--include-passed")
    compact = run_cli(*check_argv(mixed), "--include-passed", "--compact").stdout
    passes = [line for line in compact.splitlines() if " pass " in line]
    assert len(passes) == 6
    assert "evidence/supplier-contracts.json:7: COMM-004 high pass CON-001: High-value contracts have an exit plan" in (
        passes
    )
    # grouped under its rule, after the failures
    assert "CON-001  PASS High-value contracts have an exit plan" in result.stdout
    assert "--include-passed lists" not in result.stdout


def test_a_clean_check_exits_0(run_cli, clean: Path, check_argv) -> None:
    result = run_cli(*check_argv(clean))
    assert result.exit_code == 0, result.stdout
    assert "Summary: 0 failed, 0 errors, 0 skipped" in result.stdout
    assert "Result: PASSED - no failures at or above 'low' (exit 0)" in result.stdout


def test_fail_on_never_says_failures_are_only_reported(run_cli, mixed: Path, check_argv, tmp_path: Path) -> None:
    # "no failures at or above 'never'" read as "no failures" beside a list of them.
    result = run_cli(*check_argv(mixed), "--fail-on", "never", "--report", f"markdown={tmp_path / 'summary.md'}")
    assert result.exit_code == 0, result.stderr
    assert re.search(r"^Summary: [1-9]\d* failed", result.stdout, re.M)
    assert "Result: PASSED - --fail-on never: failures are reported, none fails the run (exit 0)" in result.stdout
    assert "at or above 'never'" not in result.stdout
    summary = (tmp_path / "summary.md").read_text()
    assert "**--fail-on never**: failures are reported, none fails the run" in summary
    assert "**never**" not in summary


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [(None, 1), ("info", 1), ("low", 1), ("medium", 1), ("high", 0), ("critical", 0), ("never", 0)],
)
def test_fail_on_thresholds(run_cli, mixed: Path, check_argv, fail_on: str | None, code: int) -> None:
    args = check_argv(mixed, rules=["COMM-003"])  # one medium failure
    result = run_cli(*args, *(["--fail-on", fail_on] if fail_on else []))
    assert result.exit_code == code
    assert "MEDIUM   COMM-003  " in result.stdout  # reported whatever the threshold


def test_fail_on_counts_the_overridden_severity(run_cli, mixed: Path, check_argv, workdir: Path) -> None:
    (workdir / "capcheck.toml").write_text('[severity]\n"COMM-003" = "critical"\n')
    result = run_cli(*check_argv(mixed, rules=["COMM-003"]), "--fail-on", "critical")
    assert result.exit_code == 1
    assert "\nCRITICAL COMM-003  " in result.stdout


def test_a_raising_rule_makes_the_check_incomplete(
    run_cli, mixed: Path, check_argv, copy_fixture: Callable[..., Path]
) -> None:
    copy_fixture("plugins/raising_rule_plugin.py")
    args = [*check_argv(mixed, rules=["COMM-902", "COMM-004"]), "--plugin", "./raising_rule_plugin.py"]
    result = run_cli(*args, "--fail-on", "never")
    assert result.exit_code == 2  # even with --fail-on never: the check is incomplete
    # The error comes first, whatever its severity: the check is incomplete.
    assert result.stdout.split("\n\n")[1].splitlines()[0].split()[1] == "COMM-902"
    assert (
        "    supplier-contracts.json  supplier-contracts evidence  the rule raised ZeroDivisionError: cannot share "
        "8780000 between 0 suppliers"
    ) in result.stdout
    assert "HIGH     COMM-004  " in result.stdout  # the other rule still ran
    assert "Result: INCOMPLETE" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    debug = run_cli(*args, "--debug")
    assert debug.exit_code == 2
    assert "Traceback (most recent call last)" in debug.stdout
    assert "in divides_by_zero" in debug.stdout


def test_control_characters_in_evidence_are_neutralised(run_cli, workdir: Path, check_argv) -> None:
    evil = "\u001b[2J\u001b[32mAll good\u001b[0m\r\nPASS  COMM-004 \u0007\u009b31m"
    contract = {
        "id": "CON-\u001b[31mX",
        "title": "t",
        "supplier": evil,
        "value": 2_000_000,
        "start_date": "2024-01-01",
        "status": "active",
    }
    (workdir / "contracts.json").write_text(json.dumps({"kind": "supplier-contracts", "records": [contract]}))
    result = run_cli(*check_argv("contracts.json", rules=["COMM-004"]))
    assert result.exit_code == 1
    out = result.stdout
    assert "\x1b" not in out and "\r" not in out and "\x07" not in out and "\x9b" not in out
    [line] = [line for line in out.splitlines() if line.startswith("    contracts.json:")]
    assert "has no exit plan" in line  # one line: the CR/LF did not start a forged one
    assert not any(line.startswith("PASS") for line in out.splitlines())


def test_bad_as_of_date(run_cli, clean: Path) -> None:
    result = run_cli("check", clean, "--as-of", "2025-02-30")
    assert result.exit_code == 2
    assert (
        result.stderr == "capcheck: usage error: 1 problem\n  --as-of must be a date as YYYY-MM-DD, not '2025-02-30'\n"
    )


def test_as_of_changes_the_verdict(run_cli, mixed: Path, check_argv) -> None:
    early = run_cli(*check_argv(mixed, rules=["INFRA-004"], as_of="2025-01-05"))
    late = run_cli(*check_argv(mixed, rules=["INFRA-004"], as_of="2025-04-01"))
    assert "AST-002" not in early.stdout  # patched 4 days before
    assert "it-assets.csv:3  AST-002  internet-facing api-01 last patched 90 days ago" in late.stdout


def test_no_evidence_given(run_cli) -> None:
    result = run_cli("check")
    assert result.exit_code == 2
    assert "no evidence given: name files or directories (or set 'paths' in the config)" in result.stderr


def test_unknown_format(run_cli, clean: Path) -> None:
    result = run_cli("check", clean, "--format", "yaml")
    assert result.exit_code == 2
    assert (
        "  --format: unknown format 'yaml' (formats: azure-devops, csv, github, gitlab, html, json, junit, markdown, "
        "oscal, sarif, text)\n" in result.stderr
    )


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("capcheck.toml", 'format = "yaml"\n', "capcheck.toml:1: /format"),
        ("pyproject.toml", '[tool.capcheck]\nformat = "yaml"\n', "pyproject.toml:2: /tool/capcheck/format"),
    ],
)
def test_an_unknown_format_from_the_config_names_the_file_and_key(
    run_cli, clean: Path, workdir: Path, name: str, text: str, where: str
) -> None:
    (workdir / name).write_text(text)
    result = run_cli("check", clean)
    assert result.exit_code == 2
    assert result.stderr.startswith("capcheck: config error: 1 problem\n")
    assert f"  {where}: unknown format 'yaml' (formats: azure-devops, csv, github, gitlab, html, json" in result.stderr
    assert run_cli("check", clean, "--format", "json", "--fail-on", "never").exit_code == 0  # the option wins


def test_unknown_fail_on_value_is_a_click_usage_error(run_cli, clean: Path) -> None:
    result = run_cli("check", clean, "--fail-on", "sometimes")
    assert result.exit_code == 2
    assert "Invalid value for '--fail-on'" in result.stderr


# --- check: JSON -----------------------------------------------------------------------------------------


def test_json_output_validates_against_the_findings_schema(run_cli, mixed: Path, check_argv) -> None:
    result = run_cli(*check_argv(mixed), "--format", "json", "--include-passed")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    findings_schema_validator().validate(doc)
    assert doc["as_of"] == "2025-04-01"
    assert doc["result"]["exit_code"] == 1 and doc["result"]["outcome"] == "failed"
    by_status = doc["summary"]["by_status"]
    assert {s: by_status[s] for s in ("error", "fail", "skip", "pass")} == {"error": 0, "fail": 7, "skip": 1, "pass": 6}
    assert len(doc["findings"]) == 14
    assert [e["path"] for e in doc["evidence"]] == [
        "evidence/governance-register.yaml",
        "evidence/it-assets.csv",
        "evidence/supplier-contracts.json",
    ]
    [con002] = [f for f in doc["findings"] if f["rule_id"] == "COMM-004" and f["status"] == "fail"]
    assert con002["evidence"] == {
        "kind": "supplier-contracts",
        "record_id": "CON-002",
        "file": "evidence/supplier-contracts.json",
        "line": 18,
        "pointer": "/records/1",
    }
    [ast003] = [f for f in doc["findings"] if f["rule_id"] == "INFRA-004" and f["evidence"]["record_id"] == "AST-003"]
    assert (ast003["evidence"]["line"], ast003["evidence"]["row"]) == (4, 3)


def test_the_schema_check_is_real(run_cli, mixed: Path, check_argv) -> None:
    doc = json.loads(run_cli(*check_argv(mixed), "--format", "json").stdout)
    doc["findings"][0]["status"] = "maybe"
    doc["as_of"] = "2025-02-30"
    errors = list(findings_schema_validator().iter_errors(doc))
    assert {e.json_path for e in errors} == {"$.findings[0].status", "$.as_of"}


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "northgate-health-digital" / "evidence"

#: The members the findings schema lets a document leave out, by object (docs/findings.md): everything else
#: is always written, so a missing one is a broken document.
OPTIONAL_MEMBERS = {
    "#": {"baseline", "waivers"},
    "#/settings": {"scorecard"},
    "#/evidence[]": {"schema_version", "source", "collected_on", "notes", "mapping"},
    "#/findings[]": {"evidence", "related", "group", "waiver"},
    "#/findings[]/evidence": {"record_id", "file", "line", "row", "pointer"},
    "#/findings[]/related[]": {"record_id", "file", "line", "row", "pointer"},
    "#/findings[]/waiver": {"approved_on"},
    "#/rules[]/source": {"distribution", "version", "path", "sha256"},
    "#/waivers[]": {"approved_on"},
    "#/baseline/fixed[]": {"severity", "kind", "record_id", "group", "message"},
}


def _members(doc: Any, schema: dict[str, Any], node: dict[str, Any], where: str) -> Iterator[tuple[str, list[Any]]]:
    """Each object of ``doc`` the schema gives a fixed set of members (``properties``): its place (as in
    OPTIONAL_MEMBERS) and its path in the document."""

    def walk(value: Any, node: dict[str, Any], where: str, path: list[Any]) -> Iterator[tuple[str, list[Any]]]:
        if "oneOf" in node:  # an object or null: the object's schema
            node = next(n for n in node["oneOf"] if n.get("type") != "null")
        while "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
        if isinstance(value, dict) and "properties" in node:
            yield where, path
            for key, item in value.items():
                if key in node["properties"]:
                    yield from walk(item, node["properties"][key], f"{where}/{key}", [*path, key])
        elif isinstance(value, dict) and isinstance(node.get("additionalProperties"), dict):
            for key, item in value.items():
                yield from walk(item, node["additionalProperties"], f"{where}/*", [*path, key])
        elif isinstance(value, list) and "items" in node:
            for i, item in enumerate(value):
                yield from walk(item, node["items"], f"{where}[]", [*path, i])

    return walk(doc, node, where, [])


def test_the_findings_schema_refuses_a_renamed_or_missing_member_anywhere(run_cli, workdir: Path) -> None:
    # A document with every block: waivers (an applied one), a baseline (a matched and a fixed entry),
    # attestations, passes listed. Each member of each fixed-shape object is renamed, then removed: the
    # schema must refuse the renamed one always, and the removed one unless it is documented as optional.
    (workdir / "waivers.yaml").write_text(
        "waivers:\n  - rule: INFRA-001\n    records: [CI-0101]\n    reason: Upgrade booked for January\n"
        "    approved_by: CTO\n    ticket: RISK-1\n    approved_on: 2026-11-01\n    expires: 2027-01-31\n"
    )
    args = ("check", EXAMPLE, "--as-of", "2026-11-25", "--select", "INFRA", "--select", "CYBER", "--include-passed")
    created = run_cli("baseline", "create", *args[1:8], "--output", "baseline.json")
    assert created.exit_code == 0, created.stderr
    baseline = json.loads((workdir / "baseline.json").read_text())
    gone = {"fingerprint": "0" * 32, "rule_id": "INFRA-001", "severity": "high", "kind": "it-assets"}
    baseline["findings"].append({**gone, "record_id": "CI-GONE", "group": None, "message": "since fixed"})
    (workdir / "baseline.json").write_text(json.dumps(baseline))
    result = run_cli(*args, "--waivers", "waivers.yaml", "--baseline", "baseline.json", "-f", "json")
    doc = json.loads(result.stdout)
    validator = findings_schema_validator()
    validator.validate(doc)
    assert doc["baseline"]["fixed"] and doc["waivers"][0]["state"] == "active"
    # One finding of each shape (and of each status) is enough to check, and keeps each validation quick.
    shapes = {(tuple(f), tuple(f["evidence"]), f["status"]): f for f in reversed(doc["findings"])}
    doc["findings"] = list(shapes.values())
    doc["rules"] = doc["rules"][:2]
    schema = validator.schema
    checked: set[str] = set()
    for where, path in _members(doc, schema, schema, "#"):
        if where in checked:  # one object of each place is enough (and keeps the test quick)
            continue
        checked.add(where)
        parent = doc
        for step in path:
            parent = parent[step]
        for key in list(parent):
            value = parent.pop(key)
            missing_ok = not list(validator.iter_errors(doc))
            parent[key + "_renamed"] = value
            renamed_ok = not list(validator.iter_errors(doc))
            del parent[key + "_renamed"]
            parent[key] = value
            assert not renamed_ok, f"{where}: {key} renamed is accepted"
            assert missing_ok == (key in OPTIONAL_MEMBERS.get(where, set())), f"{where}: {key} missing"
    assert {
        "#",
        "#/tool",
        "#/run",
        "#/settings",
        "#/settings/scorecard",
        "#/result",
        "#/rules[]",
        "#/rules[]/source",
    } <= checked
    assert {"#/summary", "#/summary/by_rule/*", "#/waivers[]", "#/baseline", "#/baseline/fixed[]"} <= checked
    assert {"#/findings[]/waiver", "#/criteria[]/attestation", "#/scorecard[]/coverage[]"} <= checked


def test_json_output_is_byte_identical_across_runs(run_cli, mixed: Path, check_argv) -> None:
    def run() -> str:
        out: str = run_cli(*check_argv(mixed), "--format", "json", "--include-passed").stdout
        return re.sub(r'"(started|finished)": "[^"]*"', r'"\1": "-"', out)

    first, second = run(), run()
    assert first == second
    assert first.count('"-"') == 2  # only the two timestamps were masked


def test_json_output_does_not_depend_on_the_order_or_repetition_of_the_paths(run_cli, mixed: Path, check_argv) -> None:
    def run(*paths: str) -> str:
        out: str = run_cli(*check_argv(*paths), "--format", "json", "--include-passed").stdout
        return re.sub(r'"(started|finished)": "[^"]*"', r'"\1": "-"', out)

    files = sorted(str(p.relative_to(mixed.parent)) for p in mixed.iterdir())
    assert len(files) == 3
    walked = run(str(mixed))
    assert run(*reversed(files)) == walked
    assert run(files[2], str(mixed), files[0]) == walked  # a file named twice is read once


def test_json_findings_are_sorted_and_fingerprints_unique(run_cli, mixed: Path, check_argv) -> None:
    doc = json.loads(run_cli(*check_argv(mixed), "--format", "json", "--include-passed").stdout)
    prints = [f["fingerprint"] for f in doc["findings"]]
    assert len(set(prints)) == len(prints)
    rank = {s: i for i, s in enumerate(["info", "low", "medium", "high", "critical"])}
    review = {a.id: (a.order, a.id) for a in load_registry(Config()).areas.values()}

    def order(f: dict[str, Any]) -> tuple[Any, ...]:
        ev = f.get("evidence", {})
        return (
            review[f["area"]],
            -rank[f["severity"]],
            f["rule_id"],
            ev.get("kind", ""),
            ev.get("record_id", ""),
            f.get("group", ""),
        )

    keys = [order(f) for f in doc["findings"]]
    assert keys == sorted(keys)
    assert next(f["rule_id"] for f in doc["findings"] if f["area"] == "INFRA") == "INFRA-004"  # critical first


# --- --output and --report: atomic files -------------------------------------------------------------------


def test_output_file_is_written_and_the_terminal_gets_one_line(run_cli, mixed: Path, check_argv, workdir: Path) -> None:
    result = run_cli(*check_argv(mixed), "--format", "json", "--output", "out/findings.json")
    assert result.stdout == ""
    assert result.exit_code == 2  # out/ does not exist
    assert "out/findings.json: cannot write" in result.stderr
    (workdir / "out").mkdir()
    result = run_cli(*check_argv(mixed), "--format", "json", "--output", "out/findings.json")
    assert result.exit_code == 1
    # The terminal still says how the run went, in one line.
    assert result.stdout == (
        "capcheck: FAILED - failures at or above 'low' (exit 1): 7 failed (2 critical, 4 high, 1 medium), "
        "0 errors, 1 skipped, 6 passed\n"
    )
    assert json.loads((workdir / "out" / "findings.json").read_text())["result"]["exit_code"] == 1
    assert sorted(p.name for p in (workdir / "out").iterdir()) == ["findings.json"]  # no temporary files left


def test_a_failed_render_leaves_the_previous_output(
    run_cli, mixed: Path, check_argv, workdir: Path, copy_fixture: Callable[..., Path]
) -> None:
    copy_fixture("plugins/failing_reporter_plugin.py")
    (workdir / "report.txt").write_text("yesterday's report\n")
    result = run_cli(
        *check_argv(mixed), "--plugin", "./failing_reporter_plugin.py", "--format", "boom", "--output", "report.txt"
    )
    assert result.exit_code == 2
    assert "capcheck: plugin error: 1 problem" in result.stderr
    assert (
        "reporter 'boom' (plugin './failing_reporter_plugin.py') failed: RuntimeError: the printer is on fire"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert (workdir / "report.txt").read_text() == "yesterday's report\n"
    assert sorted(p.name for p in workdir.iterdir() if p.is_file()) == ["failing_reporter_plugin.py", "report.txt"]


@pytest.mark.parametrize("to_file", [False, True], ids=["stdout", "--output"])
def test_a_failing_report_costs_no_other_and_the_exit_is_2_as_said(
    run_cli, mixed: Path, check_argv, workdir: Path, copy_fixture: Callable[..., Path], to_file: bool
) -> None:
    """Several reports, one reporter failing and one path unwritable: before, the reports after the failure
    were not written and standard output said "(exit 1)" of a run exiting 2 with no word of why it changed."""
    copy_fixture("plugins/failing_reporter_plugin.py")
    (workdir / "boom.txt").write_text("yesterday's report\n")
    main = ["--format", "json", "--output", "main.json"] if to_file else []
    result = run_cli(
        *check_argv(mixed),
        "--plugin",
        "./failing_reporter_plugin.py",
        *main,
        "--report",
        "boom=boom.txt",
        "--report",
        "sarif=missing/dir.sarif",
        "--report",
        "csv=after.csv",
    )
    assert result.exit_code == 2
    # Every other report is written, whole, and the failing one's previous file is kept.
    assert (workdir / "after.csv").read_text().startswith("rule_id,")
    assert (workdir / "boom.txt").read_text() == "yesterday's report\n"
    assert not (workdir / "missing").exists()
    if to_file:
        assert json.loads((workdir / "main.json").read_text())["summary"]["by_status"]["fail"] == 7
        assert result.stdout == ""  # the summary line would say exit 1
    else:  # standard output, written last, says the run's exit: before, "(exit 1)" above the INCOMPLETE line
        assert result.stdout.endswith(
            "Result: INCOMPLETE - 2 outputs not written (--report boom, --report sarif); "
            "the checks: FAILED - failures at or above 'low' (exit 2)\n"
        )
        assert "(exit 1)" not in result.stdout
    assert result.stderr.endswith(
        "capcheck: output error: 2 problems\n"
        "  boom.txt: --report boom: reporter 'boom' (plugin './failing_reporter_plugin.py') failed: "
        "RuntimeError: the printer is on fire\n"
        "  missing/dir.sarif: --report sarif: cannot write: No such file or directory\n"
        "capcheck: INCOMPLETE - 2 outputs of 4 not written (the others were written whole): exit 2, "
        "not the checks' exit 1\n"
    )
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in workdir.iterdir() if p.is_file() and p.name.startswith(".")) == []


@pytest.mark.parametrize(("returned", "shown"), [("None", "NoneType"), ("b'report'", "bytes")])
@pytest.mark.parametrize("to_file", [True, False])
def test_a_reporter_returning_no_text_is_named(
    run_cli, mixed: Path, check_argv, workdir: Path, returned: str, shown: str, to_file: bool
) -> None:
    """A render returning None was an internal error with --output ('NoneType' object is not callable) and
    printed nothing on standard output, exit 1; bytes were written to standard output as they were."""
    (workdir / "odd.py").write_text(
        "from capcheck import Reporter, hookimpl\n\n\n@hookimpl\ndef capcheck_reporters():\n"
        f"    return [Reporter(name='odd', render=lambda result, options: {returned})]\n"
    )
    (workdir / "report.txt").write_text("yesterday's report\n")
    output = ["--output", "report.txt"] if to_file else []
    result = run_cli(*check_argv(mixed), "--plugin", "./odd.py", "--format", "odd", *output)
    assert result.exit_code == 2
    assert result.stderr.endswith(
        f"capcheck: plugin error: 1 problem\n  reporter 'odd' (plugin './odd.py') returned {shown}, not str\n"
    )
    assert result.stdout == ""
    assert (workdir / "report.txt").read_text() == "yesterday's report\n"


def test_extra_reports(run_cli, mixed: Path, check_argv, workdir: Path) -> None:
    result = run_cli(*check_argv(mixed), "--report", "json=findings.json", "--report", "text=findings.txt")
    assert result.exit_code == 1
    assert result.stdout.startswith("capcheck ")  # the main output still goes to stdout
    assert json.loads((workdir / "findings.json").read_text())["summary"]["by_status"]["fail"] == 7
    text = (workdir / "findings.txt").read_text()
    assert "HIGH     COMM-004  " in text and not ANSI.search(text)


@pytest.mark.parametrize(
    ("spec", "message"),
    [("findings.json", "--report takes FORMAT=PATH, not 'findings.json'"), ("yaml=x.yaml", "unknown report format")],
)
def test_bad_report_specs(run_cli, clean: Path, spec: str, message: str) -> None:
    result = run_cli("check", clean, "--report", spec)
    assert result.exit_code == 2
    assert message in result.stderr


# --- bad evidence through the CLI ---------------------------------------------------------------------------

BAD = [
    ("bad/top-level-list.json", "top-level-list.json:1: /: the top level must be an object"),
    ("bad/missing-kind.json", "missing-kind.json:1: /kind: missing 'kind'"),
    ("bad/records-not-list.yaml", "records-not-list.yaml:2: /records: 'records' must be a list, not an object"),
    ("bad/record-not-object.json", "record-not-object.json: /records/0: each record must be an object"),
    ("bad/missing-id.toml", "missing-id.toml:10: /records/1/id: each record needs a non-empty string 'id'"),
    ("bad/non-string-id.yaml", "non-string-id.yaml:8: /records/1/id: each record needs a non-empty string 'id'"),
    ("bad/schema-invalid.json", "schema-invalid.json:7: /records/3/value: -5 is less than the minimum of 0"),
    ("bad/duplicate-ids.json", "duplicate-ids.json:6: /records/2/id: duplicate it-assets id 'AST-1'"),
    ("bad/dup-across", "dup-across/second.yaml:8: /records/1/id: duplicate it-assets id 'AST-1': already used at "),
    ("bad/unknown-kind.json", "unknown-kind.json: /kind: unknown evidence kind 'risk-log'"),
    ("bad/malformed.json", "malformed.json:4: malformed JSON: "),
    ("bad/malformed.yaml", "malformed.yaml:5: malformed YAML: "),
    ("bad/malformed.toml", "malformed.toml:5: malformed TOML: "),
    ("bad/latin1.json", "latin1.json:1: not valid UTF-8"),
    ("bad/latin1.yaml", "latin1.yaml:4: not valid UTF-8"),
    ("bad/billion-laughs.yaml", "billion-laughs.yaml:3: YAML aliases (*name) are not allowed"),
    ("bad/python-object.yaml", "python-object.yaml:4: malformed YAML: could not determine a constructor"),
    ("bad/empty.json", "empty.json:1: malformed JSON"),
    ("bad/empty.yaml", "empty.yaml:1: the file is empty"),
    ("bad/notes.txt", "notes.txt: cannot read .txt files as evidence"),
]


@pytest.mark.parametrize(("fixture", "expected"), BAD, ids=[b[0].split("/", 1)[1] for b in BAD])
def test_bad_evidence_exits_2_with_a_located_message(
    run_cli, copy_fixture: Callable[..., Path], fixture: str, expected: str
) -> None:
    path = copy_fixture(f"evidence/{fixture}")
    result = run_cli("check", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("capcheck: evidence error: ")
    assert f"\n  {expected}" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_csv_through_the_cli(run_cli, copy_fixture: Callable[..., Path], workdir: Path) -> None:
    copy_fixture("evidence/bad/unterminated-quote.csv", "exports/cmdb.csv")
    (workdir / "capcheck.toml").write_text('[csv_kinds]\n"cmdb.csv" = "it-assets"\n')
    result = run_cli("check", "exports")
    assert result.exit_code == 2
    assert "\n  exports/cmdb.csv:3: malformed CSV: " in result.stderr


def test_hostile_paths_through_the_cli(run_cli, workdir: Path) -> None:
    os.mkfifo(workdir / "pipe.json")
    (workdir / "empty-dir").mkdir()
    result = run_cli("check", "pipe.json", "empty-dir", "missing.yaml")
    assert result.exit_code == 2
    assert result.stderr == (
        "capcheck: evidence error: 3 problems\n"
        "  pipe.json: not a regular file (a pipe, socket or device)\n"
        "  empty-dir: no evidence files here (looked for .cdx.json, .csv, .json, .jsonl, .ocds.json, .ods, .spdx, "
        ".spdx.json, .toml, .xls, .xlsm, .xlsx, .xml, .yaml, .yml)\n"
        "  missing.yaml: no such file or directory\n"
    )


def test_many_problems_are_capped(run_cli, workdir: Path) -> None:
    for n in range(3):
        records = ",\n".join(f'{{"id": "A-{n}-{i}"}}' for i in range(60))
        (workdir / f"many-{n}.json").write_text('{"kind": "it-assets", "records": [\n' + records + "\n]}")
    result = run_cli("check", ".")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "capcheck: evidence error: 153 problems"  # 50 schema errors + 1 summary line per file
    assert len(lines) == 1 + 50 + 1
    assert lines[-1] == "  ... and 103 more"


def test_error_messages_show_control_characters_in_file_names(run_cli, workdir: Path) -> None:
    # The defect: a problem naming an evidence file printed its name raw, so an OSC sequence set the terminal title.
    (workdir / "x\x1b]0;owned\x07\rFAKE.csv").write_text("id\nA-1\n")
    result = run_cli("check", ".")
    assert result.exit_code == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr and "\r" not in result.stderr
    assert "\n  x\u241b]0;owned\u2407\u240dFAKE.csv:1: unknown evidence kind" in result.stderr


def test_markdown_limit(run_cli, mixed: Path, check_argv) -> None:
    full = run_cli(*check_argv(mixed), "--include-passed", "--format", "markdown")
    assert full.exit_code == 1 and "truncated" not in full.stdout
    capped = run_cli(*check_argv(mixed), "--include-passed", "--format", "markdown", "--markdown-limit", "2500")
    assert capped.exit_code == 1
    assert len(capped.stdout) <= 2500 < len(full.stdout)
    assert "truncated: " in capped.stdout
    for bad_limit in ("-1", "999"):
        bad = run_cli(*check_argv(mixed), "--format", "markdown", "--markdown-limit", bad_limit)
        assert bad.exit_code == 2 and "--markdown-limit" in bad.stderr
    smallest = run_cli(*check_argv(mixed), "--include-passed", "--format", "markdown", "--markdown-limit", "1000")
    assert smallest.exit_code == 1 and len(smallest.stdout) <= 1000


def test_sarif_max_results_and_category(run_cli, mixed: Path, check_argv, copy_fixture) -> None:
    full = json.loads(run_cli(*check_argv(mixed), "--include-passed", "--format", "sarif").stdout)["runs"][0]
    total = len(full["results"])
    assert total > 2
    # The default category: capcheck/ and a hash of the PATH arguments, stable between runs ...
    default_id = full["automationDetails"]["id"]
    assert re.fullmatch(r"capcheck/[0-9a-f]{12}/", default_id)
    again = json.loads(run_cli(*check_argv(mixed), "--format", "sarif").stdout)["runs"][0]
    assert again["automationDetails"]["id"] == default_id
    # ... and different for other paths.
    other = copy_fixture("evidence/mixed", "other")
    elsewhere = json.loads(run_cli(*check_argv(other), "--format", "sarif").stdout)["runs"][0]
    assert elsewhere["automationDetails"]["id"] != default_id
    capped = run_cli(
        *check_argv(mixed), "--include-passed", "-f", "sarif", "--sarif-max-results", "2", "--sarif-category", "estate"
    )
    assert capped.exit_code == 1
    run = json.loads(capped.stdout)["runs"][0]
    assert len(run["results"]) == 2
    assert run["automationDetails"]["id"] == "estate/"
    note = run["invocations"][0]["toolExecutionNotifications"][-1]
    assert note["properties"]["omittedResults"] == total - 2
    unlimited = run_cli(*check_argv(mixed), "--include-passed", "-f", "sarif", "--sarif-max-results", "0")
    assert len(json.loads(unlimited.stdout)["runs"][0]["results"]) == total
    for option, bad_value in (
        ("--sarif-max-results", "-1"),
        ("--sarif-max-results", "25001"),
        ("--sarif-category", "/"),
    ):
        bad = run_cli(*check_argv(mixed), "-f", "sarif", option, bad_value)
        assert bad.exit_code == 2 and option in bad.stderr and "Traceback" not in bad.stderr


# --- rules, kinds, schema, plugins, validate ---------------------------------------------------------------------


def test_rules_list_text(run_cli) -> None:
    result = run_cli("rules", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[-1] == f"{len(lines) - 1} rules"
    [comm4] = [line for line in lines if line.startswith("COMM-004 ")]
    assert re.match(r"COMM-004\s+high\s+supplier-contracts\s+High-value contracts have an exit plan$", comm4)


def test_rules_list_json_and_area_filter(run_cli) -> None:
    everything = json.loads(run_cli("rules", "list", "--format", "json").stdout)
    infra = json.loads(run_cli("rules", "list", "--format", "json", "--area", "infra").stdout)
    assert {"COMM-003", "COMM-004", "GOV-002", "INFRA-003", "INFRA-004"} <= {r["id"] for r in everything}
    assert [r["id"] for r in infra] == sorted(r["id"] for r in everything if r["area"] == "INFRA")
    assert {"INFRA-003", "INFRA-004"} <= {r["id"] for r in infra}
    [rule] = [r for r in everything if r["id"] == "INFRA-004"]
    assert rule["options"] == {"max_days": 14, "exempt_hosting": ["saas"]} and rule["severity"] == "critical"
    assert rule["per_record"] is True
    assert {r["id"]: r["per_record"] for r in infra}["INFRA-003"] is False
    assert rule["source"] == {
        "type": "builtin",
        "name": "capcheck.builtins.pack",
        "distribution": "capcheck",
        "version": __version__,
    }


def test_rules_list_unknown_area(run_cli) -> None:
    result = run_cli("rules", "list", "--area", "NOPE")
    assert result.exit_code == 2
    assert "--area: unknown area 'NOPE' (areas: " in result.stderr
    result = run_cli("rules", "list", "--area", "INFRE")
    assert result.exit_code == 2
    assert "--area: unknown area 'INFRE' (did you mean 'INFRA'?) (areas: " in result.stderr


def test_rules_list_unknown_selector_says_what_check_says(run_cli, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("evidence/clean", "evidence")
    listed = run_cli("rules", "list", "--select", "COMM-0O4", "--select", "INFRE", "--select", "zzzz")
    assert listed.exit_code == 2 and listed.stdout == ""
    assert listed.stderr == (
        "capcheck: usage error: 3 problems\n"
        "  --select: unknown rule id, area or tag 'COMM-0O4' (did you mean 'COMM-004'?) (see 'capcheck rules list')\n"
        "  --select: unknown rule id, area or tag 'INFRE' (did you mean 'INFRA'?) (see 'capcheck rules list')\n"
        "  --select: unknown rule id, area or tag 'zzzz' (see 'capcheck rules list')\n"
    )
    checked = run_cli("check", "evidence", "--select", "COMM-0O4", "--select", "INFRE", "--select", "zzzz")
    assert checked.exit_code == 2 and checked.stderr == listed.stderr


def test_rules_show(run_cli) -> None:
    result = run_cli("rules", "show", "infra-003")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("INFRA-003  Each environment keeps end-of-life assets below the limit\n")
    assert "severity: high" in out and "evidence kinds: it-assets" in out and "source: capcheck.builtins.pack" in out
    assert "\nper record: no\n" in out  # an aggregate: its share per environment needs every asset
    assert "\nper record: yes (each record judged alone)\n" in run_cli("rules", "show", "INFRA-004").stdout
    for heading in (
        "What it checks",
        "Why it matters",
        "How to fix",
        'Options (override in config: [options."INFRA-003"])',
    ):
        assert f"\n{heading}\n" in out
    assert "  max_ratio = 0.1\n" in out and "  min_assets = 3\n" in out


@pytest.mark.parametrize(
    ("rule_id", "problem"),
    [
        ("COMM-0O4", "unknown rule 'COMM-0O4' (did you mean 'COMM-004'?) (see 'capcheck rules list')"),
        ("infra-03", "unknown rule 'infra-03' (did you mean 'INFRA-003'?) (see 'capcheck rules list')"),
        ("ZZZZ-999", "unknown rule 'ZZZZ-999' (see 'capcheck rules list')"),
        ("COMM", "'COMM' selects {n} rules, not one: see 'capcheck rules list --select COMM'"),
    ],
)
def test_rules_show_unknown(run_cli, rule_id: str, problem: str) -> None:
    result = run_cli("rules", "show", rule_id)
    assert result.exit_code == 2 and result.stdout == ""
    n = sum(1 for r in load_registry(Config()).rules.values() if r.meta.area == "COMM")
    assert result.stderr == f"capcheck: usage error: 1 problem\n  {problem.format(n=n)}\n"


def test_kinds(run_cli) -> None:
    result = run_cli("kinds")
    assert result.exit_code == 0
    out = result.stdout
    for kind, title in [
        ("governance-register", "Governance register"),
        ("it-assets", "IT asset inventory"),
        ("supplier-contracts", "Supplier contracts register"),
    ]:
        assert re.search(rf"^{kind}\s+{title}$", out, re.M)
    assert "required: id, name, product, environment, criticality\n" in out
    # Every rule is listed under each kind it reads, by id (wrapped lines joined back).
    blocks = re.split(r"\n(?=\S)", out)
    listed = {b.split()[0]: set(re.findall(r"\b[A-Z]+-\d{3}\b", b)) for b in blocks}
    registry = load_registry(Config())
    for rule in registry.rules.values():
        for kind in rule.meta.kinds:
            assert rule.meta.id in listed[kind], (rule.meta.id, kind)
    for block in blocks:  # and only once
        ids = re.findall(r"\b[A-Z]+-\d{3}\b", block)
        assert len(ids) == len(set(ids)), block
    assert "attestations" in listed and not listed["attestations"]


@pytest.mark.parametrize(
    "name", ["findings", "rule", "rule-cases", "test-results", "it-assets", "baseline", "diff", "WAIVERS"]
)
def test_schema(run_cli, name: str) -> None:
    result = run_cli("schema", name)
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.validators.validator_for(schema).check_schema(schema)
    if name == "it-assets":
        assert schema["required"] == ["id", "name", "product", "environment", "criticality"]
    else:
        assert schema == load_schema(name.lower())


def test_schema_unknown(run_cli) -> None:
    result = run_cli("schema", "risk-log")
    assert result.exit_code == 2
    assert (
        "unknown schema 'risk-log' (findings, rule, rule-cases, test-results, waivers, baseline, diff, or a kind: "
        in (result.stderr)
    )
    assert ", it-assets, " in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("kinds", "--show", "it-asset"), "unknown evidence kind 'it-asset' (did you mean 'it-assets'?) (kinds: "),
        (("schema", "it-asset"), "unknown schema 'it-asset' (did you mean 'it-assets'?) (findings, rule, "),
        (("schema", "finding"), "unknown schema 'finding' (did you mean 'findings'?) (findings, rule, "),
        (("frameworks", "caff-4.0"), "unknown framework 'caff-4.0' (did you mean 'caf-4.0'?) (frameworks: "),
    ],
)
def test_a_misspelt_kind_schema_or_framework_gets_a_did_you_mean(run_cli, args: tuple[str, ...], expected: str) -> None:
    result = run_cli(*args)
    assert result.exit_code == 2
    assert expected in result.stderr


def test_plugins(run_cli) -> None:
    result = run_cli("plugins")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    for builtin in (
        "capcheck.builtins.areas",
        "capcheck.core.kinds",
        "capcheck.builtins.loaders.jsonfile",
        "capcheck.builtins.pack",
    ):
        assert builtin in names
    [kinds_line] = [line for line in result.stdout.splitlines() if line.startswith("capcheck.core.kinds ")]
    assert f"{len(bundled_kinds())} kinds" in kinds_line
    [pack_line] = [
        line for line in result.stdout.splitlines() if line.startswith("capcheck.builtins.declarative.toml_format ")
    ]
    assert " rules, " in pack_line  # the bundled TOML rule pack counts as the declarative plugin's
    # The origin is one column, also after the longest name (capcheck.builtins.declarative.toml_format).
    starts = {line.index(" builtin ") for line in result.stdout.splitlines()}
    assert len(starts) == 1, result.stdout


def test_validate_good_evidence(run_cli, mixed: Path) -> None:
    result = run_cli("validate", mixed)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "ok: 3 evidence files (20 records), 0 rule files (0 rules)\n"


def test_validate_bad_evidence(run_cli, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("evidence/bad/schema-invalid.json", "ev/contracts.json")
    copy_fixture("evidence/bad/duplicate-ids.json", "ev/assets.json")
    result = run_cli("validate", "ev")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "\n  ev/assets.json:6: /records/2/id: duplicate it-assets id 'AST-1'" in result.stderr
    assert "\n  ev/contracts.json:7: /records/3/value: -5 is less than the minimum of 0" in result.stderr


def test_validate_needs_a_path(run_cli) -> None:
    result = run_cli("validate")
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr


# --- outputs never overwrite inputs, and a failed write is exit 2 naming the output -------------------


@pytest.fixture
def inputs(mixed: Path, workdir: Path, copy_fixture: Callable[..., Path]) -> dict[str, Path]:
    """A check with one input of every sort: evidence, config, waivers, baseline, rule file, plugin file."""
    copy_fixture("rules/contract-currency.toml", "ours/contract-currency.toml")
    copy_fixture("plugins/sample_plugin.py", "ours/sample_plugin.py")
    (workdir / "waivers.yaml").write_text("waivers: []\n")
    (workdir / "capcheck.toml").write_text('rules = ["ours/contract-currency.toml"]\nwaivers = "waivers.yaml"\n')
    created = run_cli_baseline(workdir)
    return {
        "evidence": workdir / mixed / "it-assets.csv",
        "config": workdir / "capcheck.toml",
        "waivers": workdir / "waivers.yaml",
        "baseline": created,
        "rule file": workdir / "ours" / "contract-currency.toml",
        "plugin file": workdir / "ours" / "sample_plugin.py",
    }


def run_cli_baseline(workdir: Path) -> Path:
    from click.testing import CliRunner

    from capcheck.cli import cli

    result = CliRunner().invoke(cli, ["baseline", "create", "evidence", "--output", "base.json"])
    assert result.exit_code == 0, result.output
    return workdir / "base.json"


@pytest.mark.parametrize("what", ["evidence", "config", "waivers", "baseline", "rule file", "plugin file"])
@pytest.mark.parametrize("how", ["--output", "--report"])
def test_an_output_never_overwrites_an_input(
    run_cli, inputs: dict[str, Path], workdir: Path, what: str, how: str
) -> None:
    target = inputs[what]
    before = target.read_bytes()
    spelled = f"ours/../{target.relative_to(workdir).as_posix()}"  # another spelling of the same file
    out = ["--output", spelled] if how == "--output" else ["--report", f"json={spelled}"]
    result = run_cli(
        "check", "evidence", "--baseline", "base.json", "--plugin", "./ours/sample_plugin.py", "--format", "json", *out
    )
    assert result.exit_code == 2, result.stderr
    option = "--output" if how == "--output" else "--report json"
    assert result.stderr == (
        "capcheck: loaded plugin './ours/sample_plugin.py': file ours/sample_plugin.py, named by --plugin\n"
        "capcheck: warning: plugin './ours/sample_plugin.py' registers 1 id without a namespace (COMM-901), which "
        "capcheck's own ids may take later: put a namespace first, e.g. 'sample-plugin.COMM-901' "
        "(docs/plugins.md#namespaces)\n"
        "capcheck: output error: 1 problem\n"
        f"  {spelled}: {option} would overwrite an input of this check: refused\n"
    )
    assert result.stdout == ""  # nothing written, not even the main output
    assert target.read_bytes() == before


def test_an_output_reached_through_a_symlink_is_the_same_file(run_cli, mixed: Path, workdir: Path, check_argv) -> None:
    (workdir / "link.json").symlink_to(mixed / "supplier-contracts.json")
    result = run_cli(*check_argv(mixed), "--output", "link.json")
    assert result.exit_code == 2
    assert "link.json: --output would overwrite an input of this check: refused" in result.stderr


def test_two_outputs_to_one_file_are_refused(run_cli, mixed: Path, check_argv, workdir: Path) -> None:
    result = run_cli(*check_argv(mixed), "--output", "r.json", "--report", "sarif=./r.json")
    assert result.exit_code == 2
    assert "  r.json: --report sarif is also written by --output: refused\n" in result.stderr
    (workdir / "a.json").write_text("{}")
    (workdir / "b.json").symlink_to(workdir / "a.json")
    again = run_cli(*check_argv(mixed), "--report", "json=a.json", "--report", "json=b.json", "--report", "json=c.json")
    assert again.exit_code == 2
    assert (
        again.stderr
        == "capcheck: output error: 1 problem\n  b.json: --report json is also written by --report json: refused\n"
    )
    assert not (workdir / "c.json").exists()


def test_baseline_create_may_rewrite_its_baseline_but_no_other_input(run_cli, mixed: Path, workdir: Path) -> None:
    assert run_cli("baseline", "create", "evidence", "--output", "b.json").exit_code == 0
    (workdir / "capcheck.toml").write_text('baseline = "b.json"\n')
    assert run_cli("baseline", "create", "evidence", "--output", "b.json").exit_code == 0
    before = (mixed / "supplier-contracts.json").read_bytes()
    refused = run_cli("baseline", "create", "evidence", "--output", "evidence/supplier-contracts.json")
    assert refused.exit_code == 2
    assert (
        "evidence/supplier-contracts.json: --output would overwrite an input of this check: refused" in refused.stderr
    )
    assert (mixed / "supplier-contracts.json").read_bytes() == before


def test_baseline_create_into_a_missing_directory_is_exit_2_naming_the_file(
    run_cli, mixed: Path, workdir: Path
) -> None:
    result = run_cli("baseline", "create", "evidence", "--output", "missing/b.json")
    assert result.exit_code == 2
    assert (
        result.stderr
        == "capcheck: output error: 1 problem\n  missing/b.json: cannot write: No such file or directory\n"
    )
    assert not (workdir / "missing").exists()


def test_an_output_over_a_named_input_is_refused_before_the_check_runs(
    run_cli, copy_fixture: Callable[..., Path], mixed: Path
) -> None:
    """Known inputs are checked before any evidence is read: the bad file never gets its say."""
    bad = copy_fixture("evidence/bad/schema-invalid.json")
    result = run_cli("check", mixed / "supplier-contracts.json", bad, "-o", mixed / "supplier-contracts.json")
    assert result.exit_code == 2
    assert result.stderr == (
        "capcheck: output error: 1 problem\n"
        "  evidence/supplier-contracts.json: --output would overwrite an input of this check: refused\n"
    )


def test_an_interrupt_in_process_is_exit_130_not_a_result(run_cli, mixed: Path, workdir: Path, check_argv) -> None:
    (workdir / "interrupting.py").write_text(
        (Path(__file__).parent / "fixtures" / "plugins" / "raising_rule_plugin.py")
        .read_text()
        .replace("raise ZeroDivisionError", "raise KeyboardInterrupt")
    )
    result = run_cli(*check_argv(mixed, rules=["COMM-902"]), "--plugin", "./interrupting.py", "-o", "out.json")
    assert result.exit_code == 130
    assert result.stderr.endswith("capcheck: interrupted by SIGINT: nothing more was written\n")
    assert not (workdir / "out.json").exists()


@pytest.mark.parametrize("command", [["check", "--as-of", "2025-04-01"], ["baseline", "create"]])
def test_a_new_output_inside_an_evidence_directory_is_refused(
    run_cli, mixed: Path, workdir: Path, command: list[str]
) -> None:
    """The next check would read it as evidence; a hidden file, or another extension, is fine."""
    result = run_cli(*command, "evidence", "--output", "evidence/sub/../findings.json")
    assert result.exit_code == 2
    assert result.stderr == (
        "capcheck: output error: 1 problem\n  evidence/sub/../findings.json: --output is inside the evidence directory "
        "evidence: the next check would read it as evidence; write it elsewhere, or as a hidden file\n"
    )
    assert not (workdir / "evidence" / "findings.json").exists()
    assert run_cli(*command, "evidence", "--output", "evidence/.findings.json").exit_code in (0, 1)
    assert (workdir / "evidence" / ".findings.json").exists()


def test_shell_completion_scripts_are_produced_as_documented() -> None:
    # docs/configuration.md tells users to eval this: it must work for each shell it names.
    import subprocess
    import sys

    page = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text()
    for shell in ("bash", "zsh", "fish"):
        assert f"_CAPCHECK_COMPLETE={shell}_source capcheck" in page
        script = subprocess.run(
            [sys.executable, "-c", "from capcheck.cli import main; main()"],
            env={**os.environ, "_CAPCHECK_COMPLETE": f"{shell}_source"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert script.returncode == 0, script.stderr
        assert "_CAPCHECK_COMPLETE" in script.stdout and "capcheck" in script.stdout


@pytest.mark.parametrize("command", [["check"], ["baseline", "create"], ["validate"], ["test"]])
def test_an_empty_path_is_a_usage_error_not_the_working_directory(run_cli, workdir: Path, command: list[str]) -> None:
    """`capcheck check "$EVIDENCE"` with the variable unset checked the working directory, whatever it held."""
    (workdir / "it-assets.json").write_text('{"kind": "it-assets", "records": []}')
    result = run_cli(*command, "")
    assert result.exit_code == 2
    assert "an empty PATH (an unset variable?)" in result.stderr


def test_standard_output_redirected_into_the_evidence_directory_is_refused(mixed: Path, workdir: Path) -> None:
    # `capcheck check evidence -f json > evidence/findings.json`: the shell empties the file first, and the
    # check read it as evidence ("malformed JSON: Input is a zero-length, empty document").
    import subprocess
    import sys

    with (workdir / "evidence" / "findings.json").open("wb") as out:
        proc = subprocess.run(
            [sys.executable, "-c", "from capcheck.cli import main; main()", "check", "evidence", "-f", "json"],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=120,
        )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == (
        "capcheck: output error: 1 problem\n  evidence/findings.json: standard output is redirected into the "
        "evidence directory evidence: the check would read its own report as evidence; write it elsewhere, or "
        "with --output outside it\n"
    )
    assert (workdir / "evidence" / "findings.json").read_bytes() == b""


def test_a_profiled_check_ends_normally_so_the_profiler_reports(mixed: Path, workdir: Path) -> None:
    """The console script skips the interpreter's teardown (os._exit); under ``python -m cProfile -m capcheck``,
    how a plugin author finds a slow rule, that lost the profile: nothing was printed."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "cProfile", "-s", "tottime", "-m", "capcheck", "check", "evidence", "--as-of",
         "2026-11-25", "--quiet", "--no-progress"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )  # fmt: skip
    assert "Result: FAILED" in proc.stdout, proc.stderr  # (cProfile itself exits 0 whatever the code)
    assert re.search(r"\d+ function calls \(\d+ primitive calls\) in [\d.]+ seconds", proc.stdout), proc.stdout[-500:]


@pytest.mark.parametrize("standalone", [False, True])
def test_the_console_script_leaves_the_collector_paused_after_the_check(
    monkeypatch: pytest.MonkeyPatch, standalone: bool
) -> None:
    """As the console script (which ends with os._exit), the collector stays paused once the check is made: its
    first pass would walk every object the check made, for nothing. Called as a library, it is resumed."""
    import gc

    from capcheck import cli
    from capcheck.app import runner

    def run_check(request: Any, registry: Any, progress: Any = None) -> Any:
        was_enabled = gc.isenabled()  # as run_check does: paused for the run, resumed if it was running
        gc.disable()
        try:
            return "result"
        finally:
            if was_enabled:
                gc.enable()

    from capcheck.core import process

    handed: list[bool] = []
    monkeypatch.setattr(cli, "_STANDALONE", standalone)
    monkeypatch.setattr(runner, "run_check", run_check)
    monkeypatch.setattr(process, "hand_off", lambda: handed.append(True))  # never fork the test runner
    was = gc.isenabled()
    gc.enable()
    try:
        assert cli._run_to_the_end(None, None, None) == "result"  # type: ignore[arg-type]
        assert gc.isenabled() is (not standalone)
        assert handed == ([True] if standalone else [])  # the check is handed off by the console script alone
    finally:
        if was:
            gc.enable()
