"""The Markdown reporter: headline, tables, scorecard and its notes, capped failures, escaped evidence."""

from __future__ import annotations

import dataclasses
import re

import pytest

from capcheck.builtins.reporters.markdown import MAX_FIXED, MAX_LISTED, render_markdown
from capcheck.builtins.reporters.text import render_text
from capcheck.core.escaping.markdown import COMMENT_LIMIT, md_escape
from capcheck.core.escaping.terminal import terminal
from capcheck.core.models import EvidenceRef, Finding, RunResult, Severity, Status, Summary
from capcheck.core.reporting import RenderOptions

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("|")]


def test_headline_and_tables(default_result: RunResult, options: RenderOptions) -> None:
    text = render_markdown(default_result, options)
    assert text.splitlines()[0] == "## \u274c capcheck: FAILED"
    assert "### Findings by severity" in text
    assert "| critical |" in text
    assert "### By capability area" in text
    for area in default_result.summary.by_area:
        assert f"`{area}`" in text
    total = default_result.summary.by_status
    cells = " | ".join(f"**{total[s]}**" for s in ("fail", "waived", "baselined", "error", "skip", "pass"))
    assert f"| **total** | {cells} |" in text
    assert "| Severity | Failed | Waived | Baselined | Errors | Skipped | Passed |" in text
    assert "### Waivers" not in text and "**Baseline**" not in text and "Accepted failures" not in text
    assert "counted, not listed" in text
    assert "### Scorecard" in text  # the run computed a maturity scorecard
    assert "| INFRA IT infrastructure | 1 | below expectations |" in text


def test_incomplete_headline(full_result: RunResult, options: RenderOptions) -> None:
    text = render_markdown(full_result, options)
    assert "INCOMPLETE" in text.splitlines()[0]
    assert "**error**" in text and "`DATA-901`" in text


def test_every_table_row_has_the_header_column_count(full_result: RunResult, options: RenderOptions) -> None:
    """Evidence with pipes cannot add cells: every row of a table has as many cells as its header."""
    text = render_markdown(full_result, options)
    width = None
    for line in text.splitlines():
        if not line.startswith("|"):
            width = None
            continue
        cells = len(_UNESCAPED_PIPE.findall(line)) - 1
        if width is None:
            width = cells
        assert cells == width, line


def test_hostile_values_are_escaped(full_result: RunResult, options: RenderOptions) -> None:
    text = render_markdown(full_result, options)
    assert "<script" not in text and "</script" not in text
    assert "<img" not in text
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;\\|=HYPERLINK" in text
    assert "\\[link\\](http://evil.example)" in text
    assert "\\*bold\\*" in text and "\\_it\\_" in text and "\\`tick\\`" in text
    assert "\x07" not in text and "\x1b" not in text


def test_scorecard(scorecard_result: RunResult, options: RenderOptions) -> None:
    text = render_markdown(scorecard_result, options)
    assert "### Scorecard" in text
    assert "| COMM Commercial capability | 2 | basic | 0/0/0/0 | 0/0 | 1 of 4 criteria achieved |" in text
    assert "| INFRA IT infrastructure | 1 | below expectations | 0/0/2/0 |" in text
    assert "Governance &lt;b&gt;" in text and "cap &lt;i&gt;" in text


@pytest.mark.parametrize("empty", [True, False])
def test_no_scorecard_section_without_rows(empty: bool, scorecard_result: RunResult, options: RenderOptions) -> None:
    assert scorecard_result.scorecard is not None
    card = dataclasses.replace(scorecard_result.scorecard, rows=()) if empty else None
    text = render_markdown(dataclasses.replace(scorecard_result, scorecard=card), options)
    assert "### Scorecard" not in text


def _failures(
    n: int, message: str = "contract {i} has no exit plan", pad: str = "", file: str = "c.json"
) -> tuple[Finding, ...]:
    """``n`` failing COMM-004 findings; ``pad`` lengthens each record id."""
    return tuple(
        Finding(
            rule_id="COMM-004",
            rule_version="1.0.0",
            status=Status.FAIL,
            severity=Severity.HIGH,
            area="COMM",
            title="High-value contracts have an exit plan",
            message=message.format(i=i),
            remediation="Write one.",
            evidence=EvidenceRef(kind="supplier-contracts", record_id=f"CON-{i:03}{pad}", file=file, line=i + 1),
            fingerprint=f"{i:032x}",
        )
        for i in range(n)
    )


def test_failures_are_capped(default_result: RunResult, options: RenderOptions) -> None:
    findings = _failures(MAX_LISTED + 7)
    summary = Summary()
    for f in findings:
        summary.add(f.status, f.severity, f.area)
    text = render_markdown(dataclasses.replace(default_result, findings=findings, summary=summary), options)
    assert f"### Failures and errors ({MAX_LISTED + 7})" in text
    assert "truncated: 7 more findings, see the full report" in text
    listed = [row for row in _table_rows(text) if "`COMM-004`" in row]
    assert len(listed) == MAX_LISTED


def test_failures_are_listed_most_important_first_and_the_cap_counts_what_it_left_out(
    default_result: RunResult, options: RenderOptions
) -> None:
    """An error and a critical failure in areas late in the review's order (DELIV, INFRA: after COMM) are
    listed before the high failures; what the cap leaves out is counted by status and severity."""
    high = _failures(MAX_LISTED + 2)
    low = tuple(dataclasses.replace(f, severity=Severity.LOW, fingerprint="l" + f.fingerprint) for f in high[:3])
    late = dataclasses.replace(high[0], area="INFRA", rule_id="INFRA-001", fingerprint="c" * 32)
    findings = (
        *high,
        *low,
        dataclasses.replace(late, severity=Severity.CRITICAL),
        dataclasses.replace(
            late, area="DELIV", rule_id="DELIV-001", status=Status.ERROR, severity=Severity.MEDIUM, fingerprint="e" * 32
        ),
    )
    text = render_markdown(dataclasses.replace(default_result, findings=findings), options)
    rows = [r.split(" | ")[:3] for r in _table_rows(text) if r.startswith(("| fail |", "| **error** |"))]
    assert rows[:3] == [
        ["| **error**", "medium", "`DELIV-001`"],
        ["| fail", "critical", "`INFRA-001`"],
        ["| fail", "high", "`COMM-004`"],
    ]
    assert len(rows) == MAX_LISTED
    headings = re.findall(r"^#### (.*)$", text, re.M)
    assert headings == ["Errors in medium rules (1)", "Critical failures (1)", f"High failures ({MAX_LISTED + 2})"]
    assert "truncated: 7 more findings, see the full report (`--format json`, `html` or `csv`). " in text
    assert "Left out: 4 high failures, 3 low failures." in text


def test_empty(empty_result: RunResult, options: RenderOptions) -> None:
    text = render_markdown(empty_result, options)
    assert "NOT JUDGED" in text.splitlines()[0]
    assert "### Failures" not in text


def _section(text: str, heading: str) -> str:
    """The lines from ``heading`` up to the next heading of the same or a higher level, or a collapsed block."""
    level = heading.split(" ", 1)[0]
    out: list[str] = []
    for line in text.splitlines():
        if out and line.startswith("#") and len(line.split(" ", 1)[0]) <= len(level):
            break
        if out and (line.startswith("<details>") or line.startswith("**Baseline**")):
            break
        if out or line == heading:
            out.append(line)
    return "\n".join(out)


def test_counts_include_waived_and_baselined(governed_result: RunResult, options: RenderOptions) -> None:
    text = render_markdown(governed_result, options)
    total = governed_result.summary.by_status
    assert total["waived"] == 3 and total["baselined"] == 2
    cells = " | ".join(f"**{total[s]}**" for s in ("fail", "waived", "baselined", "error", "skip", "pass"))
    assert f"| **total** | {cells} |" in text
    comm = governed_result.summary.by_area["COMM"]
    row = next(line for line in text.splitlines() if line.startswith("| `COMM` "))
    assert row.endswith(f"| {comm['fail']} | 2 | 0 | {comm['error']} | {comm['skip']} | {comm['pass']} |")
    assert "3 waived and 2 baselined accepted" in text.splitlines()[2]


def test_waivers_section_lists_expiring_unused_and_expired(governed_result: RunResult, options: RenderOptions) -> None:
    text = render_markdown(governed_result, options)
    section = _section(text, "### Waivers")
    assert "3 of 5 waivers applied to 3 failures; 1 expiring; 1 unused; 1 expired." in section
    rows = {line.split(" | ")[0]: line for line in _table_rows(section)[2:]}
    assert set(rows) == {"| **expiring**", "| **unused**", "| **expired**"}
    assert "INFRA-004 | CI-002 | RISK-200 | Head of Infrastructure | 2026-10-31 |" in rows["| **expired**"]
    assert "expired 25 days ago" in rows["| **expired**"]
    assert "waivers.yaml:31" in rows["| **expired**"]
    assert "RSK-9\\*" in rows["| **unused**"]
    assert "expires in 15 days" in rows["| **expiring**"]
    assert "RISK-101" not in section  # active waivers are counted, not listed


def test_baseline_line_and_fixed_entries(governed_result: RunResult, options: RenderOptions) -> None:
    text = render_markdown(governed_result, options)
    baseline = governed_result.baseline
    assert baseline is not None
    line = next(line for line in text.splitlines() if line.startswith("**Baseline**"))
    assert f": 3 known failures matched, {baseline.new_failures} new, 2 fixed since the baseline" in line
    assert "| GOV-002 | RSK-777 | risk RSK-777 has no linked controls |" in text
    assert "&lt;img src=x onerror=alert(4)&gt; \\| \\*old\\*" in text
    assert "<img" not in text


def test_fixed_entries_are_capped(governed_result: RunResult, options: RenderOptions) -> None:
    fixed = [
        {"fingerprint": f"{i:032x}", "rule_id": "GOV-002", "record_id": f"RSK-{i:03}", "message": "gone"}
        for i in range(MAX_FIXED + 4)
    ]
    assert governed_result.baseline is not None
    baseline = dataclasses.replace(governed_result.baseline, fixed=tuple(fixed))
    text = render_markdown(dataclasses.replace(governed_result, baseline=baseline), options)
    assert len([row for row in _table_rows(text) if row.startswith("| GOV-002 | RSK-")]) == MAX_FIXED
    assert "truncated: 4 more, see the full report" in text
    assert f"{MAX_FIXED + 4} fixed since the baseline" in text


def test_accepted_failures_are_not_among_failures_to_fix(governed_result: RunResult, options: RenderOptions) -> None:
    text = render_markdown(governed_result, options)
    failures = _section(text, f"### Failures and errors ({governed_result.summary.by_status['fail']})")
    assert failures, "the failures section is headed with the count of failures only"
    assert "CON-001 | contract worth GBP 2,000,000" not in failures  # COMM-004 CON-001 is waived
    assert "`GOV-001`" not in failures  # baselined
    accepted = text[text.index("<details><summary>Accepted failures: 5 waived or baselined") :]
    accepted = accepted[: accepted.index("</details>")]
    assert "| waived | high | `COMM-004` |" in accepted
    assert "waiver RISK-101 (Director of Commercial), expires 2027-06-30" in accepted
    assert "| baselined | high | `GOV-001` |" in accepted


def test_hostile_waiver_is_escaped(governed_result: RunResult, options: RenderOptions) -> None:
    text = render_markdown(governed_result, options)
    assert "<script" not in text and "</script" not in text and "<b>" not in text
    assert "+RISK-102 &lt;b&gt;" in text
    assert "@security-team" not in text


def test_governed_tables_keep_their_shape(governed_result: RunResult, options: RenderOptions) -> None:
    test_every_table_row_has_the_header_column_count(governed_result, options)


def test_report_stays_under_the_markdown_limit(default_result: RunResult, options: RenderOptions) -> None:
    # Hostile text escapes to several times its length: 50 listed findings go over GitHub's limit.
    findings = _failures(MAX_LISTED, message="&<@|" * 200, pad="&" * 120, file="&" * 300)
    result = dataclasses.replace(default_result, findings=findings)
    unlimited = render_markdown(result, dataclasses.replace(options, markdown_limit=0))
    assert len(unlimited) > COMMENT_LIMIT
    text = render_markdown(result, options)
    assert options.markdown_limit == 65_000
    assert len(text) <= 65_000
    listed = len([row for row in _table_rows(text) if "`COMM-004`" in row])
    assert 0 < listed < MAX_LISTED
    assert f"truncated: {MAX_LISTED - listed} more findings, see the full report" in text
    small = render_markdown(result, dataclasses.replace(options, markdown_limit=20_000))
    assert len(small) <= 20_000 and "truncated: " in small


def _notes_listed(text: str) -> list[str]:
    """The items of the Markdown report's "Notes" list."""
    lines = text.splitlines()
    start = lines.index("**Notes:**") + 2
    end = lines.index("", start)
    return [line.removeprefix("- ") for line in lines[start:end]]


def test_scorecard_notes_are_listed_escaped_in_the_text_reports_order(
    scorecard_result: RunResult, options: RenderOptions, hostile_note: str
) -> None:
    assert scorecard_result.scorecard is not None
    notes = ("the second note, listed first", *scorecard_result.scorecard.notes, "a note listed last")
    result = dataclasses.replace(
        scorecard_result, scorecard=dataclasses.replace(scorecard_result.scorecard, notes=notes)
    )
    text = render_markdown(result, options)
    assert _notes_listed(text) == [md_escape(n) for n in notes]
    said = [line.removeprefix("  Note: ") for line in render_text(result, options).splitlines() if "Note: " in line]
    assert said == [terminal(n) for n in notes]  # the text report's wording and order
    assert text.index("| INFRA IT infrastructure") < text.index("**Notes:**")  # under the scorecard table
    assert hostile_note in notes
    hostile = md_escape(hostile_note)
    assert "&lt;/script&gt;&lt;script&gt;" in hostile and "\\*bold\\*" in hostile and "\\[link\\]" in hostile
    assert "@\u200borg" in hostile and not _UNESCAPED_PIPE.search(hostile)
    assert "<script" not in text and "\x1b" not in text and "\x07" not in text and "\u241b" in text


def test_scorecard_notes_count_toward_the_limit_and_what_is_cut_is_said(
    scorecard_result: RunResult, options: RenderOptions
) -> None:
    assert scorecard_result.scorecard is not None
    notes = tuple(
        f"note {i:03}: " + "the declared estate understates the register " * 8 for i in range(MAX_LISTED + 10)
    )
    result = dataclasses.replace(
        scorecard_result, scorecard=dataclasses.replace(scorecard_result.scorecard, notes=notes)
    )
    unlimited = render_markdown(result, dataclasses.replace(options, markdown_limit=0))
    listed = _notes_listed(unlimited)
    assert listed[:-1] == [md_escape(n) for n in notes[:MAX_LISTED]]
    assert listed[-1].startswith("\u2026 truncated: 10 more notes, see the full report")
    limit = 10_000
    assert len(unlimited) > limit
    text = render_markdown(result, dataclasses.replace(options, markdown_limit=limit))
    assert len(text) <= limit
    listed = _notes_listed(text)
    shown = len(listed) - 1
    assert 0 < shown < MAX_LISTED and listed[:-1] == [md_escape(n) for n in notes[:shown]]
    assert listed[-1].startswith(f"\u2026 truncated: {len(notes) - shown} more notes, see the full report")


def test_outputs_not_written_make_the_headline_incomplete(default_result: RunResult, options: RenderOptions) -> None:
    before = render_markdown(default_result, options).splitlines()
    assert before[0] == "## \u274c capcheck: FAILED" and "(exit 1)." in before[2]
    after = render_markdown(default_result, dataclasses.replace(options, unwritten=("--report sarif",))).splitlines()
    assert after[0] == "## \u26a0\ufe0f capcheck: INCOMPLETE"
    assert after[2].startswith("1 output not written (--report sarif); the checks: FAILED, failures at or above")
    assert "(exit 2)." in after[2] and after[3:] == before[3:]
