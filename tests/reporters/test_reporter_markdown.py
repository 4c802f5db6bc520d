"""The Markdown reporter: headline, tables, scorecard, capped failures, escaped evidence."""

from __future__ import annotations

import dataclasses
import re

import pytest

from capcheck.models import EvidenceRef, Finding, RunResult, Severity, Status, Summary
from capcheck.reporters import RenderOptions
from capcheck.reporters.markdown import MAX_LISTED, md_escape, render_markdown

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
    cells = " | ".join(f"**{total[s]}**" for s in ("fail", "error", "skip", "pass"))
    assert f"| **total** | {cells} |" in text
    assert "counted, not listed" in text
    assert "### Scorecard" in text  # the run computed a maturity scorecard
    assert "| INFRA IT infrastructure | 1 | initial |" in text


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


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a|b", "a\\|b"),
        ("`x`", "\\`x\\`"),
        ("<b>&", "&lt;b&gt;&amp;"),
        ("[a](b)", "\\[a\\](b)"),
        ("*_x_*", "\\*\\_x\\_\\*"),
        ("line\nbreak", "line break"),
        ("@team", "@\u200bteam"),
        ("back\\slash", "back\\\\slash"),
    ],
)
def test_md_escape(raw: str, escaped: str) -> None:
    assert md_escape(raw) == escaped


def test_scorecard(scorecard_result: RunResult, options: RenderOptions) -> None:
    text = render_markdown(scorecard_result, options)
    assert "### Scorecard" in text
    assert "| COMM Commercial capability | 2 | Developing | 0.40 |" in text
    assert "Defined &lt;b&gt;" in text


@pytest.mark.parametrize("card", [{"x": 1}, [{"area": "COMM"}], "text", [], None])
def test_unusable_scorecard_is_skipped(card: object, default_result: RunResult, options: RenderOptions) -> None:
    text = render_markdown(dataclasses.replace(default_result, extras={"scorecard": card}), options)
    assert "### Scorecard" not in text


def test_failures_are_capped(default_result: RunResult, options: RenderOptions) -> None:
    findings = tuple(
        Finding(
            rule_id="COMM-004",
            rule_version="1.0.0",
            status=Status.FAIL,
            severity=Severity.HIGH,
            area="COMM",
            title="High-value contracts have an exit plan",
            message=f"contract {i} has no exit plan",
            remediation="Write one.",
            evidence=EvidenceRef(kind="supplier-contracts", record_id=f"CON-{i:03}", file="c.json", line=i + 1),
            fingerprint=f"{i:032x}",
        )
        for i in range(MAX_LISTED + 7)
    )
    summary = Summary()
    for f in findings:
        summary.add(f.status, f.severity, f.area)
    text = render_markdown(dataclasses.replace(default_result, findings=findings, summary=summary), options)
    assert f"### Failures and errors ({MAX_LISTED + 7})" in text
    assert "and 7 more" in text
    listed = [row for row in _table_rows(text) if "`COMM-004`" in row]
    assert len(listed) == MAX_LISTED


def test_empty(empty_result: RunResult, options: RenderOptions) -> None:
    text = render_markdown(empty_result, options)
    assert "PASSED" in text.splitlines()[0]
    assert "### Failures" not in text
