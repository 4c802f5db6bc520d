"""The text reporter: a report people read; every evidence, waiver and baseline value shown, never obeyed."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from capcheck.assessment.scorecard import AreaScore
from capcheck.assessment.sufficiency import KindCoverage
from capcheck.builtins.reporters.text import render_text
from capcheck.core.escaping.terminal import width
from capcheck.core.models import RunResult, Severity, Status
from capcheck.core.reporting import RenderOptions

OSC_TITLE = "\x1b]0;owned\x07"
HERE = Path(__file__).parent
EVIDENCE = HERE / "fixtures" / "evidence"
WAIVERS = HERE / "fixtures" / "waivers.yaml"
BASELINE = HERE / "fixtures" / "baseline.json"
AS_OF = "2026-11-25"
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "northgate-health-digital" / "evidence"


def _headers(text: str) -> list[str]:
    """The rule headers of a grouped report: ``SEVERITY RULE-ID  title  · counts``."""
    return [line for line in text.splitlines() if re.match(r"^[A-Z]+ +[A-Z]+-\d{3}  ", line)]


def test_waiver_ticket_and_file_reach_the_terminal_escaped(governed_result: RunResult, options: RenderOptions) -> None:
    # The defect: waiver tickets and file names were printed raw (ESC[2J, OSC window titles).
    assert governed_result.waivers is not None and governed_result.baseline is not None
    report = tuple(
        dataclasses.replace(
            w,
            waiver=dataclasses.replace(w.waiver, ticket=f"RISK-1\x1b[2J{OSC_TITLE}", file="waivers\rFAKE.yaml"),
            state="expiring",
        )
        for w in governed_result.waivers
    )
    baseline = dataclasses.replace(governed_result.baseline, file="base\x1b[31m.json")
    result = dataclasses.replace(governed_result, waivers=report, baseline=baseline)
    text = render_text(result, options)
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "RISK-1\u241b[2J\u241b]0;owned\u2407" in text
    assert "waivers\u240dFAKE.yaml:" in text
    assert "Baseline base\u241b[31m.json:" in text


@pytest.mark.parametrize("layout", ["grouped", "compact"])
def test_evidence_file_names_and_values_are_escaped(
    default_result: RunResult, options: RenderOptions, layout: str
) -> None:
    f = next(f for f in default_result.findings if f.status is Status.FAIL)
    assert f.evidence is not None
    ev = dataclasses.replace(f.evidence, file=f"ev/x{OSC_TITLE}.csv", line=7, record_id="A\nFAIL  forged")
    result = dataclasses.replace(default_result, findings=(dataclasses.replace(f, evidence=ev, message="m\x9b2J"),))
    text = render_text(result, dataclasses.replace(options, layout=layout))
    assert "\x1b" not in text and "\x9b" not in text
    if layout == "grouped":
        assert "    ev/x\u241b]0;owned\u2407.csv:7  A\u240aFAIL  forged  m\\x9b2J\n" in text
    else:
        assert f"ev/x\u241b]0;owned\u2407.csv:7: {f.rule_id} {f.severity.value} A\u240aFAIL  forged: m\\x9b2J\n" in text
    assert not any(line.startswith("FAIL") for line in text.splitlines())


def test_colour_codes_are_only_the_reporters_own(default_result: RunResult) -> None:
    text = render_text(default_result, RenderOptions(color=True))
    assert "\x1b[" in text  # colour is on; every ESC is ours and starts an SGR sequence
    assert text.count("\x1b") == text.count("\x1b[")


# --- the grouped layout ----------------------------------------------------------------------------


def test_failing_rules_come_once_each_most_severe_first_with_title_and_fix(
    default_result: RunResult, options: RenderOptions
) -> None:
    text = render_text(default_result, dataclasses.replace(options, limit=0))
    headers = _headers(text)
    failing = {f.rule_id for f in default_result.findings if f.status is Status.FAIL}
    ids = [h.split()[1] for h in headers]
    assert set(ids) >= failing and len(ids) == len(set(ids))  # each rule once
    severities = {s.value for s in Severity}
    ranks = [Severity(h.split()[0].lower()).rank for h in headers if h.split()[0].lower() in severities]
    assert ranks == sorted(ranks, reverse=True)  # most severe first
    info = {r.id: r for r in default_result.rules}
    for rule_id in failing:
        [header] = [h for h in headers if h.split()[1] == rule_id]
        assert f"{rule_id}  {info[rule_id].title}  · " in header
        fix = re.split(r"(?<=[.;])\s", info[rule_id].remediation)[0].rstrip(";.")
        assert text.count(f"    fix: {fix}") == 1  # the fix shown once per rule, whatever its records


def test_records_sit_beneath_their_rule_with_paths_relative_to_the_evidence_root(
    default_result: RunResult, options: RenderOptions
) -> None:
    text = render_text(default_result, options)
    root = EVIDENCE.relative_to(Path.cwd()).as_posix() if EVIDENCE.is_relative_to(Path.cwd()) else EVIDENCE.as_posix()
    assert f"evidence files in {root}/ (" in text.splitlines()[0]  # the root is said once
    block = text.split("\nHIGH     GOV-002  ", 1)[1].split("\n\n", 1)[0].splitlines()
    assert block[2] == "    governance-register.yaml:16  RSK-002  risk scored 16 has no linked controls"
    assert f"{root}/governance-register.yaml" not in text


def test_evidence_sharing_only_the_file_system_s_root_is_shown_whole(
    default_result: RunResult, options: RenderOptions
) -> None:
    """Files under /work and /tmp were "2 evidence files in // (...)" in the header."""
    moved = [
        dataclasses.replace(info, path=f"/{top}/{Path(info.path).name}")
        for top, info in zip(("srv", "tmp", "work"), default_result.evidence, strict=False)
    ]
    text = render_text(dataclasses.replace(default_result, evidence=tuple(moved)), options)
    header = text.splitlines()[0]
    assert f"· {len(moved)} evidence files (" in header and "//" not in header


def test_the_limit_details_the_most_severe_rules_and_names_the_rest(
    default_result: RunResult, options: RenderOptions
) -> None:
    one = render_text(default_result, dataclasses.replace(options, limit=1))
    everything = render_text(default_result, dataclasses.replace(options, limit=0))
    assert len(_headers(one)) == 1 and _headers(one)[0].startswith("CRITICAL INFRA-004")
    rest = {h.split()[1] for h in _headers(everything)[1:]}
    more = one.split("more rules (--limit N details more; --compact lists every finding):\n", 1)[1].split("\n\n")[0]
    assert {m.group(1) for m in re.finditer(r"([A-Z]+-\d{3}) \(\d+[^)]*\)", more)} == rest
    # Without a limit every listed finding has its line.
    listed = [f for f in default_result.findings if f.status is Status.FAIL]
    assert sum(1 for f in listed if f.evidence and f.evidence.line and f":{f.evidence.line}  " in everything) == len(
        [f for f in listed if f.evidence and f.evidence.line]
    )


def test_skips_for_absent_evidence_are_one_line_per_kind_with_what_to_do(
    default_result: RunResult, options: RenderOptions
) -> None:
    text = render_text(default_result, options)
    missing = {
        f.evidence.kind
        for f in default_result.findings
        if f.status is Status.SKIP and f.evidence is not None and f.evidence.file is None
    }
    assert missing  # the fixture gives 3 kinds of the many the pack reads
    block = text.split("\nNot checked: ", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    assert [line.split()[0] for line in block] == sorted(missing)
    roles = next(line for line in block if line.split()[0] == "roles")
    assert "add it ('capcheck schema roles'), or narrow --select" in roles
    workforce = next(line for line in block if line.split()[0] == "workforce-plan")
    assert workforce.endswith("or --ignore WORK")  # every WORK rule needs it: leave the area out
    assert "insufficient evidence: no 'roles' evidence was given" not in text


def test_accepted_failures_are_counted_and_listed_only_when_asked(
    governed_result: RunResult, options: RenderOptions
) -> None:
    text = render_text(governed_result, options)
    assert "Not listed: 3 waived, 2 baselined" in text
    assert "WAIVED" not in text and "BASELINED" not in text
    shown = render_text(governed_result, dataclasses.replace(options, show=frozenset({"waived", "baselined"})))
    assert shown.count("WAIVED ") + shown.count("BASELINED ") + shown.count("  waived") >= 1
    assert "Not listed: 19 failed" in shown  # what the choice hid is said
    waived = [f for f in governed_result.findings if f.status is Status.WAIVED]
    assert all(f.evidence is not None and f.evidence.record_id in shown for f in waived)


def test_min_severity_lists_only_what_is_that_severe(default_result: RunResult, options: RenderOptions) -> None:
    text = render_text(default_result, dataclasses.replace(options, min_severity=Severity.HIGH, limit=0))
    assert {h.split()[0] for h in _headers(text)} <= {"CRITICAL", "HIGH", "SKIP"}
    medium = {r.id for r in default_result.rules if r.severity.rank < Severity.HIGH.rank}
    assert not {h.split()[1] for h in _headers(text)} & medium
    assert "Not listed: " in text


def test_compact_is_one_line_per_finding(default_result: RunResult, options: RenderOptions) -> None:
    text = render_text(default_result, dataclasses.replace(options, layout="compact"))
    listed = [f for f in default_result.findings if f.status is Status.FAIL]
    finding = re.compile(r"^\S+: [A-Z]+-\d{3} (critical|high|medium|low|info) ")
    lines = [line for line in text.splitlines() if finding.match(line)]
    assert len(lines) == len(listed) + sum(
        1 for f in default_result.findings if f.status is Status.SKIP and f.evidence is not None and f.evidence.file
    )
    assert lines[0].split()[2] == "critical"


def test_quiet_is_the_summary_only(governed_result: RunResult, options: RenderOptions) -> None:
    text = render_text(governed_result, dataclasses.replace(options, layout="quiet"))
    assert text.startswith("Summary: 19 failed (1 critical, 10 high, 4 medium, 4 low), 3 waived, 2 baselined")
    assert text.rstrip().endswith("Result: FAILED - failures at or above 'low' (exit 1)")
    assert "fix:" not in text and "Scorecard" not in text


# --- the scorecard ---------------------------------------------------------------------------------


def _row(area: str, title: str, level: int | None, rules: int, note: str, judged: int | None = None) -> AreaScore:
    status = "scored" if level else ("no-rules" if not rules else "insufficient-evidence")
    return AreaScore(area, title, level, status, rules, rules if judged is None else judged, 0, 0, 0, 0, basis=note)


def test_scorecard_shows_the_selected_areas_in_aligned_columns(
    scorecard_result: RunResult, options: RenderOptions
) -> None:
    assert scorecard_result.scorecard is not None
    rows = (
        _row("COMM", "Commercial", 2, 8, "wide 商業 value"),
        _row("DATA", "データ", None, 3, "カード"),  # wide characters: two columns each
        _row("ROLE", "Role clarity", None, 0, ""),
        _row("WORK", "Workforce", None, 5, "no workforce-plan evidence was given", judged=0),
    )
    result = dataclasses.replace(scorecard_result, scorecard=dataclasses.replace(scorecard_result.scorecard, rows=rows))
    text = render_text(result, options)
    table = text.split("\nScorecard ", 1)[1].splitlines()[1:4]
    assert table[0].split()[0] == "area" and [line.split()[0] for line in table[1:]] == ["COMM", "DATA"]
    ends = {width(line.split("  8/8  ")[0] if "8/8" in line else line.split("  3/3  ")[0]) for line in table[1:]}
    assert len(ends) == 1  # the rules column ends at the same column whatever the labels hold
    assert "(no rule selected for ROLE)" in text
    assert "(nothing judged for WORK: no evidence their rules read)" in text  # one line, not a row of dashes
    assert not any(line.split()[:1] in (["ROLE"], ["WORK"]) for line in text.split("\nScorecard ", 1)[1].splitlines())


def test_an_area_judged_nothing_says_why_given_evidence_or_an_error(
    scorecard_result: RunResult, options: RenderOptions
) -> None:
    # An SBOM's INFRA rules and a raising rule's area were said to have "no evidence their rules read".
    assert scorecard_result.scorecard is not None
    given = KindCoverage(kind="it-assets", present=True, records=167, usable=0, declared=None)
    rows = (
        dataclasses.replace(_row("INFRA", "IT", None, 6, "", judged=0), coverage=(given,)),
        dataclasses.replace(_row("GOV", "Governance", None, 1, "", judged=0), errors=1),
        _row("WORK", "Workforce", None, 5, "no workforce-plan evidence was given", judged=0),
    )
    result = dataclasses.replace(scorecard_result, scorecard=dataclasses.replace(scorecard_result.scorecard, rows=rows))
    text = render_text(result, options)
    assert "(nothing judged for INFRA: the evidence given had no record their rules could judge)" in text
    assert "(nothing judged for GOV: a rule raised an error)" in text
    assert "(nothing judged for WORK: no evidence their rules read)" in text


def test_the_criteria_view_is_shown_when_asked(scorecard_result: RunResult, options: RenderOptions) -> None:
    assert "\nCriteria (" not in render_text(scorecard_result, options)
    card = scorecard_result.scorecard
    assert card is not None
    criteria = tuple(c for row in card.rows for c in row.criteria)
    result = dataclasses.replace(scorecard_result, scorecard=dataclasses.replace(card, criteria=criteria))
    shown = render_text(result, dataclasses.replace(options, show=frozenset({"criteria"})))
    assert "\nCriteria (" in shown and "x:1" in shown
    assert _headers(shown) == _headers(render_text(result, options))  # criteria adds a view, hides nothing


# --- through the command line: display flags change the display only ------------------------------


DISPLAY_FLAGS = [
    ["--quiet"],
    ["--compact"],
    ["--show", "waived,baselined"],
    ["--show", "PASS", "--show", "fail"],
    ["--min-severity", "CRITICAL"],
    ["--limit", "0"],
]


def _check(run_cli: Any, *extra: str, env: dict[str, str] | None = None) -> Any:
    args = ["check", str(EVIDENCE), "--as-of", AS_OF, "--waivers", str(WAIVERS)]
    return run_cli(*args, "--baseline", str(BASELINE), *extra, env=env)


def _document(path: Path) -> dict[str, Any]:
    doc = json.loads(path.read_text())
    doc.pop("run")  # start and finish times
    return dict(doc)


@pytest.mark.parametrize("flags", DISPLAY_FLAGS, ids=lambda f: " ".join(f))
def test_display_flags_never_change_the_exit_code_or_machine_outputs(
    run_cli: Any, workdir: Path, flags: list[str]
) -> None:
    plain = _check(run_cli, "--report", "json=plain.json", "--report", "sarif=plain.sarif")
    shown = _check(run_cli, *flags, "--report", "json=shown.json", "--report", "sarif=shown.sarif")
    assert shown.exit_code == plain.exit_code == 1
    assert _document(workdir / "shown.json") == _document(workdir / "plain.json")
    for log in ("plain.sarif", "shown.sarif"):
        doc = json.loads((workdir / log).read_text())
        doc["runs"][0]["invocations"][0].pop("startTimeUtc")
        doc["runs"][0]["invocations"][0].pop("endTimeUtc")
        (workdir / log).write_text(json.dumps(doc))
    assert (workdir / "shown.sarif").read_text() == (workdir / "plain.sarif").read_text()
    assert shown.stdout != plain.stdout  # and the display did change


def test_show_rejects_what_it_does_not_know(run_cli: Any, workdir: Path) -> None:
    result = _check(run_cli, "--show", "fail,failed")
    assert result.exit_code == 2
    assert "'failed' is not one of fail, error, skip, waived, baselined, pass, criteria" in result.stderr


@pytest.mark.parametrize(
    ("env", "coloured"),
    [
        ({}, False),  # not a terminal
        ({"FORCE_COLOR": "1"}, True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),  # NO_COLOR wins
        ({"NO_COLOR": "1"}, False),
    ],
)
def test_colour_only_on_a_terminal_or_when_forced(
    run_cli: Any, workdir: Path, env: dict[str, str], coloured: bool
) -> None:
    full = {"FORCE_COLOR": "", "NO_COLOR": "", **env}
    result = _check(run_cli, env=full)
    assert ("\x1b[" in result.stdout) is coloured
    written = _check(run_cli, "-o", "report.txt", env=full)
    assert "\x1b" not in (workdir / "report.txt").read_text()  # never in a file
    assert written.stdout.startswith("capcheck: ")


def test_the_examples_report_fits_a_screen(run_cli: Any) -> None:
    result = run_cli("check", str(EXAMPLE), "--as-of", "2026-11-25")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    # it was 1,348 lines; 3 of these are the Notes block (the two asset files' end of life filled in from the
    # bundled snapshot), which a reader must not miss
    assert len(lines) <= 83
    assert lines[2].startswith("CRITICAL ")  # the first thing read is the most severe rule
    assert lines[-2].startswith("Summary: ") and lines[-1].startswith("Result: FAILED")


def test_the_readme_sample_is_what_capcheck_prints(run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"What it prints \(.*?```text\n(.*?)```", readme, re.S)
    assert block, "the README lost its sample output"
    monkeypatch.chdir(ROOT)  # the README runs it from the repository's root
    printed = run_cli("check", "examples/northgate-health-digital/evidence", "--as-of", "2026-11-25").stdout
    lines = printed.splitlines()
    assert f"What it prints ({len(lines)} lines;" in readme
    missing = [line for line in block.group(1).splitlines() if line != "..." and line not in lines]
    assert not missing, f"README lines capcheck no longer prints: {missing}"


def test_a_rule_that_raised_comes_first_labelled_error(full_result: RunResult, options: RenderOptions) -> None:
    text = render_text(full_result, options)
    headers = _headers(text)
    errors = {f.rule_id for f in full_result.findings if f.status is Status.ERROR}
    assert errors and {h.split()[1] for h in headers[: len(errors)]} == errors
    assert all(h.startswith("ERROR    ") for h in headers[: len(errors)])
    block = text.split(headers[0], 1)[1].split("\n\n", 1)[0]
    assert "fix:" not in block  # the fix is for the rule's failures, not for its crash
    assert text.rstrip().endswith("(exit 2)")


def test_a_rule_with_nothing_in_scope_of_a_given_kind_is_not_reported_as_missing_evidence(run_cli: Any) -> None:
    result = run_cli("check", str(EXAMPLE), "--as-of", "2026-11-25", "--select", "INFRA")
    # INFRA-006 judges SBOM components; the example's assets name no system: nothing in its scope
    assert "INFRA-006  Software components of a system are within vendor support  · 1 skipped" in result.stdout
    assert "Not checked" not in result.stdout  # it-assets was given: not "no evidence of 1 kind"


def test_the_reporters_doc_excerpt_is_what_capcheck_prints(
    run_cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    doc = (ROOT / "docs" / "reporters.md").read_text()
    block = re.search(r"## Text \(`text`\).*?```text\n(.*?)```", doc, re.S)
    assert block, "docs/reporters.md lost its text excerpt"
    full = run_cli("check", str(EXAMPLE), "--as-of", "2026-11-25").stdout
    assert f"the example organisation's report is {len(full.splitlines())} lines" in doc
    # The excerpt is of a run without the roles registers, to show the "Not checked" lines.
    shutil.copytree(EXAMPLE, tmp_path / "evidence", ignore=shutil.ignore_patterns("roles.*"))
    monkeypatch.chdir(tmp_path)
    printed = run_cli("check", "evidence", "--as-of", "2026-11-25").stdout.splitlines()
    missing = [
        line
        for line in block.group(1).splitlines()
        if line != "…"
        and not (line.endswith(" …") and any(p.startswith(line[:-1]) for p in printed))
        and line not in printed
    ]
    assert not missing, f"docs/reporters.md lines capcheck no longer prints: {missing}"


@pytest.mark.parametrize("layout", ["grouped", "compact", "quiet"])
@pytest.mark.parametrize("which", ["default_result", "full_result"])
def test_outputs_not_written_make_the_verdict_exit_2(
    which: str, layout: str, request: pytest.FixtureRequest, options: RenderOptions
) -> None:
    """The report written last to standard output knows the outputs that could not be written: its last line
    said "(exit 1)" above the closing INCOMPLETE line of a run exiting 2. It now gives the run's exit, the checks'
    own verdict after it; without failed outputs it is the checks' verdict, as before."""
    result: RunResult = request.getfixturevalue(which)
    options = dataclasses.replace(options, layout=layout)
    before = render_text(result, options).splitlines()[-1]
    assert before.endswith(f"(exit {result.exit_code})")
    unwritten = ("--report sarif", "--report junit")
    last = render_text(result, dataclasses.replace(options, unwritten=unwritten)).splitlines()[-1]
    checks = before.removeprefix("Result: ").removesuffix(f" (exit {result.exit_code})")
    assert last == (
        f"Result: INCOMPLETE - 2 outputs not written (--report sarif, --report junit); the checks: {checks} (exit 2)"
    )
