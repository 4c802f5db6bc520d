"""The CI formats: GitHub workflow commands, Azure Pipelines logging commands, the GitLab Code Quality report.

A runner obeys some lines of a job's log; the tests read the output the way each runner does (its own
unescaping) and check that evidence values come back as text, never as a command, a property or a line.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capcheck.builtins.reporters.azure import MAX_PER_TYPE, render_azure
from capcheck.builtins.reporters.github import MAX_PER_LEVEL, append_step_summary, render_github
from capcheck.builtins.reporters.gitlab import render_gitlab
from capcheck.core.escaping.ci import defuse
from capcheck.core.models import EvidenceRef, RunResult, Severity, Status
from capcheck.core.reporting import RenderOptions, first_sentence

HOSTILE_ID = "A-1\n::add-mask::secret\r\n##vso[task.setvariable variable=x]1"
HOSTILE_MESSAGE = "m%0A::warning file=x::forged, a:b ##[error]old ##vso[task.complete result=Succeeded]done"
HOSTILE_FILE = "ev,il:file;x].json"
HOSTILE_TITLE = "Title, with: colons::and ; semicolons ] brackets"

#: What a line of each format may start with: the reporter's own text, never a value's.
GITHUB_LINE = re.compile(
    r"^(capcheck:? |::(error|warning|notice) |::group::|::endgroup::$|- |Summary: |Gate: |Result: )"
)
AZURE_LINE = re.compile(
    r"^(capcheck:? |##vso\[task\.logissue |##\[group\]|##\[endgroup\]$|- |Summary: |Gate: |Result: )"
)


def _hostile(result: RunResult) -> RunResult:
    f = next(f for f in result.findings if f.status is Status.FAIL)
    ev = EvidenceRef(kind="supplier-contracts", record_id=HOSTILE_ID, file=HOSTILE_FILE, line=7)
    bad = dataclasses.replace(f, evidence=ev, message=HOSTILE_MESSAGE, title=HOSTILE_TITLE, severity=Severity.CRITICAL)
    return dataclasses.replace(result, findings=(bad, *result.findings))


def _github_unescape(text: str, prop: bool) -> str:
    """The runner's unescaping (actions/runner ``ActionCommand``): data, and properties."""
    if prop:
        text = text.replace("%3A", ":").replace("%2C", ",")
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _github_commands(text: str) -> list[tuple[str, dict[str, str], str]]:
    """Each ``::command props::data`` line as the runner reads it."""
    out = []
    for line in text.splitlines():
        m = re.match(r"^::([a-z-]+)(?: ([^:]*))?::(.*)$", line)
        if m:
            props = dict(p.split("=", 1) for p in m.group(2).split(",")) if m.group(2) else {}
            data = _github_unescape(m.group(3), prop=False)
            out.append((m.group(1), {k: _github_unescape(v, prop=True) for k, v in props.items()}, data))
    return out


def test_github_annotations_carry_hostile_values_as_text(default_result: RunResult, options: RenderOptions) -> None:
    text = render_github(_hostile(default_result), options)
    for line in text.splitlines():
        assert GITHUB_LINE.match(line), line
        assert "##" not in line  # the older ##[command] form is read anywhere in a line
    [(command, props, data)] = [c for c in _github_commands(text) if c[1].get("file") == HOSTILE_FILE]
    assert command == "error" and props["line"] == "7"  # the file name, with , and :, survived whole
    assert props["title"].endswith(f" {HOSTILE_TITLE}")  # rule id and title, commas and colons intact
    message, fix = data.split("\nFix: ")  # the only newline is the reporter's own
    assert "\n" not in message and "\r" not in message
    assert "%0A::warning file=x::forged" in message  # a literal %0A in evidence stays literal
    assert "::add-mask::secret" in message and message.startswith("A-1\u240a::add-mask::secret\u240d\u240a")
    assert "#%23vso[" in message and "#%23[error]" in message
    bad = next(f for f in default_result.findings if f.status is Status.FAIL)
    assert fix == first_sentence(bad.remediation)


def test_github_groups_every_failure_per_area(default_result: RunResult, options: RenderOptions) -> None:
    text = render_github(default_result, options)
    groups = re.findall(r"^::group::(\S+) .*: (\d+) failures?$", text, re.M)
    failing = [f for f in default_result.findings if f.status in (Status.FAIL, Status.ERROR)]
    assert sum(int(n) for _, n in groups) == len(failing)
    order = {a.id: a.order for a in default_result.areas}
    assert [area for area, _ in groups] == sorted((area for area, _ in groups), key=order.__getitem__)
    assert text.count("::group::") == text.count("::endgroup::")
    assert text.rstrip().endswith("Result: FAILED - failures at or above 'low' (exit 1)")


def _many(result: RunResult, n: int) -> RunResult:
    """``result`` with ``n`` more high failures of one rule, and one critical last in the input order."""
    f = next(f for f in result.findings if f.status is Status.FAIL)
    extra = [
        dataclasses.replace(
            f,
            severity=Severity.HIGH,
            evidence=EvidenceRef(kind="k", record_id=f"R-{i:03}", file="x.json", line=i + 1),
            fingerprint=f"{i:032}",
        )
        for i in range(n)
    ]
    last = dataclasses.replace(
        f, severity=Severity.CRITICAL, evidence=EvidenceRef(kind="k", record_id="Z-999", file="x.json", line=999)
    )
    return dataclasses.replace(result, findings=(*extra, last))


def test_github_annotations_are_capped_most_severe_first(default_result: RunResult, options: RenderOptions) -> None:
    text = render_github(_many(default_result, 30), options)
    errors = [c for c in _github_commands(text) if c[0] == "error"]
    assert len(errors) == MAX_PER_LEVEL
    assert errors[0][1]["line"] == "999"  # the critical one first, though it came last
    assert f"capcheck: {31 - MAX_PER_LEVEL} more failures not annotated" in text
    assert len(re.findall(r"^- x\.json:", text, re.M)) == 31  # every one still in the log


def test_azure_issues_carry_hostile_values_as_text(default_result: RunResult, options: RenderOptions) -> None:
    text = render_azure(_hostile(default_result), options)
    for line in text.splitlines():
        assert AZURE_LINE.match(line), line
        assert line.count("##") == (1 if line.startswith("##") else 0)  # the agent reads ##vso[ anywhere
    [issue] = [line for line in text.splitlines() if "sourcepath=ev,il:file%3Bx%5D.json;" in line]
    m = re.match(r"^##vso\[task\.logissue ([^\]]*)\](.*)$", issue)
    assert m is not None
    props = dict(p.split("=", 1) for p in m.group(1).split(";"))

    def unescape(value: str) -> str:  # azure-pipelines-task-lib's unescape
        for raw, ch in (("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%3B", ";"), ("%AZP25", "%")):
            value = value.replace(raw, ch)
        return value

    assert props["type"] == "error" and unescape(props["sourcepath"]) == HOSTILE_FILE
    message = unescape(m.group(2))
    assert "\n" not in message and "%0A::warning" in message and "#%23vso[task.complete" in message


def test_azure_issues_are_capped_per_type(default_result: RunResult, options: RenderOptions) -> None:
    text = render_azure(_many(default_result, MAX_PER_TYPE + 5), options)
    assert text.count("##vso[task.logissue type=error;") == MAX_PER_TYPE
    assert "capcheck: 6 more failures not raised as issues" in text


GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def test_gitlab_report_is_code_quality_json(governed_result: RunResult, options: RenderOptions) -> None:
    issues = json.loads(render_gitlab(_hostile(governed_result), options))
    counts = governed_result.summary.by_status
    assert len(issues) == counts["fail"] + counts["error"] + 1  # accepted failures, skips and passes left out
    for issue in issues:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in GITLAB_SEVERITIES
        assert isinstance(issue["location"]["path"], str) and issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    assert issues[0]["severity"] == "blocker" and issues[0]["location"] == {"path": HOSTILE_FILE, "lines": {"begin": 7}}
    assert HOSTILE_ID in issues[0]["description"] and HOSTILE_MESSAGE in issues[0]["description"]


def test_gitlab_fingerprints_are_stable_and_unique(default_result: RunResult, options: RenderOptions) -> None:
    f = next(f for f in default_result.findings if f.status is Status.FAIL)
    twice = dataclasses.replace(default_result, findings=(f, dataclasses.replace(f, message="again")))
    issues = json.loads(render_gitlab(twice, options))
    assert issues[0]["fingerprint"] == f.fingerprint  # the finding's own identity: not the line
    assert issues[1]["fingerprint"] != f.fingerprint


def test_step_summary_is_appended_when_github_asks(
    governed_result: RunResult, options: RenderOptions, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    append_step_summary(governed_result, options, {"GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text()
    assert text.startswith("earlier step\n## \u274c capcheck: FAILED")
    append_step_summary(governed_result, options, {})  # not in a workflow: nothing to write, no error


@pytest.mark.parametrize("fmt", ["github", "GitHub"])
def test_the_github_format_writes_the_job_summary_from_the_command_line(run_cli: Any, workdir: Path, fmt: str) -> None:
    evidence = Path(__file__).parent / "fixtures" / "evidence"
    env = {"GITHUB_STEP_SUMMARY": str(workdir / "summary.md")}
    result = run_cli("check", str(evidence), "--as-of", "2026-11-25", "-f", fmt, env=env)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1].startswith("::error file=")
    assert (workdir / "summary.md").read_text().startswith("## \u274c capcheck: FAILED")
    plain = run_cli("check", str(evidence), "--as-of", "2026-11-25", "--report", "gitlab=gl.json", env=env)
    assert plain.exit_code == 1
    assert (workdir / "summary.md").read_text().count("capcheck: FAILED") == 1  # only the github format writes it
    assert json.loads((workdir / "gl.json").read_text())


def test_an_unwritable_step_summary_is_exit_2(run_cli: Any, workdir: Path) -> None:
    evidence = Path(__file__).parent / "fixtures" / "evidence"
    env = {"GITHUB_STEP_SUMMARY": str(workdir / "missing" / "summary.md")}
    result = run_cli("check", str(evidence), "--as-of", "2026-11-25", "-f", "github", env=env)
    assert result.exit_code == 2
    assert "missing/summary.md: cannot write" in result.stderr


def test_every_ci_format_lists_only_failures(full_result: RunResult, options: RenderOptions) -> None:
    failing = [f for f in full_result.findings if f.status in (Status.FAIL, Status.ERROR)]
    assert any(f.status is Status.ERROR for f in failing)
    github = [c for c in _github_commands(render_github(full_result, options)) if c[0] != "group"]
    assert len(github) == min(len(failing), len(github))
    assert len(json.loads(render_gitlab(full_result, options))) == len(failing)
    errors = [f for f in failing if f.status is Status.ERROR]
    assert json.loads(render_gitlab(full_result, options))[0]["check_name"] == errors[0].rule_id


_PIECES = [
    "\n",
    "\r",
    "\r\n",
    "%",
    "%0A",
    "%25",
    "::",
    ",",
    ":",
    ";",
    "]",
    "[",
    "##",
    "##vso[",
    "##[error]",
    "=",
    "\x1b[2J",
]
hostile = st.lists(st.one_of(st.sampled_from(_PIECES), st.characters()), min_size=1, max_size=12).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(record=hostile, message=hostile, file=hostile, title=hostile)
def test_no_value_forges_a_ci_command(
    default_result: RunResult, options: RenderOptions, record: str, message: str, file: str, title: str
) -> None:
    f = next(f for f in default_result.findings if f.status is Status.FAIL)
    ev = EvidenceRef(kind="k", record_id=record, file=file, line=3)
    result = dataclasses.replace(
        default_result, findings=(dataclasses.replace(f, evidence=ev, message=message, title=title),)
    )
    harmless = dataclasses.replace(
        default_result,
        findings=(dataclasses.replace(f, evidence=dataclasses.replace(ev, record_id="r", file="f"), message="m"),),
    )
    for render, line_start in ((render_github, GITHUB_LINE), (render_azure, AZURE_LINE)):
        text = render(result, options)
        assert text.count("\n") == render(harmless, options).count("\n")  # no value started a line
        for line in text.splitlines():
            assert line_start.match(line), line
            assert line.count("##") == (1 if line.startswith("##") else 0)
            assert "\r" not in line and "\x1b" not in line
    [(_, props, data)] = [c for c in _github_commands(render_github(result, options)) if c[0] == "error"]
    assert set(props) == {"file", "line", "title"}  # no value added a property
    assert props["line"] == "3" and props["file"] == defuse(file)  # the runner reads back the value, shown safe
    assert data.startswith(defuse(record) + ": ")


def test_a_sheets_findings_point_at_the_workbook(
    default_result: RunResult, options: RenderOptions, tmp_path: Path
) -> None:
    workbook = tmp_path / "register.xlsx"
    workbook.write_bytes(b"PK")  # a file on disk: the sheet is part of it
    f = next(f for f in default_result.findings if f.status is Status.FAIL)
    ev = EvidenceRef(kind="it-assets", record_id="CI-9", file=f"{workbook}!Assets", line=4)
    result = dataclasses.replace(default_result, findings=(dataclasses.replace(f, evidence=ev),))
    [(_, props, data)] = [c for c in _github_commands(render_github(result, options)) if c[0] == "error"]
    assert props["file"] == str(workbook) and "line" not in props  # GitHub cannot place a line in a workbook
    assert data.startswith("CI-9 (sheet Assets, row 4): ")
    [issue] = json.loads(render_gitlab(result, options))
    assert issue["location"] == {"path": str(workbook), "lines": {"begin": 1}}
    azure = render_azure(result, options)
    assert f"sourcepath={workbook};code=" in azure and "linenumber" not in azure


def test_gitlab_fingerprint_of_a_finding_without_one_hashes_any_message(
    default_result: RunResult, options: RenderOptions
) -> None:
    """A finding built by hand has no fingerprint: the one made from rule and message hashes a lone surrogate too."""
    f = next(f for f in default_result.findings if f.status is Status.FAIL)
    bare = dataclasses.replace(f, fingerprint="", message="lost \ud800")
    [issue] = json.loads(render_gitlab(dataclasses.replace(default_result, findings=(bare,)), options))
    assert len(issue["fingerprint"]) == 32 and "lost \\ud800" in issue["description"]
    plain = dataclasses.replace(bare, message="lost")  # a message UTF-8 can encode: the value it always had
    expected = hashlib.sha256(f"{f.rule_id}\x1flost".encode()).hexdigest()[:32]
    assert (
        json.loads(render_gitlab(dataclasses.replace(default_result, findings=(plain,)), options))[0]["fingerprint"]
        == expected
    )


@pytest.mark.parametrize("fmt", ["github", "azure-devops"])
def test_the_ci_logs_verdict_gives_the_exit_2_of_outputs_not_written(
    fmt: str, default_result: RunResult, options: RenderOptions
) -> None:
    """A CI log written to standard output after a --report file failed said "(exit 1)" of a run exiting 2."""
    from capcheck.app.config import Config
    from capcheck.app.runner import load_registry

    render = load_registry(Config()).reporters[fmt].render
    assert render(default_result, options).splitlines()[-1].endswith("(exit 1)")
    last = render(default_result, dataclasses.replace(options, unwritten=("--report sarif",))).splitlines()[-1]
    assert last.startswith("Result: INCOMPLETE - 1 output not written (--report sarif); the checks: FAILED")
    assert last.endswith("(exit 2)")


def test_a_report_not_written_makes_the_job_summary_and_log_say_exit_2(run_cli: Any, workdir: Path) -> None:
    """The job summary and the log, written after the --report files, said "FAILED ... (exit 1)" of a run that
    exits 2 because a report could not be written; they now give the run's exit, the checks' verdict after it."""
    evidence = Path(__file__).parent / "fixtures" / "evidence"
    env = {"GITHUB_STEP_SUMMARY": str(workdir / "summary.md")}
    argv = ["check", str(evidence), "--as-of", "2026-11-25", "-f", "github", "--report", "sarif=missing/x.sarif"]
    result = run_cli(*argv, env=env)
    assert result.exit_code == 2
    summary = (workdir / "summary.md").read_text().splitlines()
    assert summary[0] == "## \u26a0\ufe0f capcheck: INCOMPLETE"
    assert summary[2].startswith(
        "1 output not written (--report sarif); the checks: FAILED, failures at or above **low** (exit 2)."
    )
    assert result.stdout.splitlines()[-1].startswith("Result: INCOMPLETE - 1 output not written (--report sarif)")
    assert "(exit 1)" not in result.stdout
