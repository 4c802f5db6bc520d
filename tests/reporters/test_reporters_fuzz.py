"""Property tests over every reporter and ``diff``'s formats: no evidence value escapes its medium.

Hypothesis builds hostile strings from pieces no hand-written list covers in combination (ESC
sequences, OSC titles, CR/LF, NUL, DEL, C1 CSI, bidi overrides, lone surrogates, XML-invalid
characters, formula prefixes, mentions, headings, fences, ``</script>``, entities, quotes) and puts
them everywhere evidence reaches a report: messages, record ids, groups, file names, pointers,
waiver fields, loader notes, the baseline, gate messages; for ``diff``, every field of both
findings documents. Each output must parse in its format, carry no raw control character beyond its
own line breaks and tabs, hold no live formula cell, ``@mention`` or CI command (``##``), and keep every
value on its line (the output has exactly as many lines as the same result with harmless values).
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capcheck.app.diff import diff_documents, render_diff
from capcheck.app.runner import CheckRequest, run_check
from capcheck.assessment.baseline import BaselineReport
from capcheck.assessment.waivers import Waiver, WaiverState
from capcheck.builtins.reporters.azure import render_azure
from capcheck.builtins.reporters.csv import COLUMNS, render_csv
from capcheck.builtins.reporters.github import render_github
from capcheck.builtins.reporters.gitlab import render_gitlab
from capcheck.builtins.reporters.html import render_html
from capcheck.builtins.reporters.json import render_json
from capcheck.builtins.reporters.junit import render_junit
from capcheck.builtins.reporters.markdown import render_markdown
from capcheck.builtins.reporters.sarif import render_sarif
from capcheck.builtins.reporters.text import render_text
from capcheck.core.escaping.controls import INVISIBLE
from capcheck.core.escaping.csv import FORMULA_START, csv_cell
from capcheck.core.models import EvidenceFileInfo, EvidenceRef, Finding, RunResult, Severity, Status
from capcheck.core.reporting import RenderOptions

#: Examples per property: enough to mix the pieces, small enough for a ~10 s run in all.
EXAMPLES = 40
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_PIECES = [
    "\x1b[2J",
    "\x1b]0;pwned\x07",
    "\x1b[31m",
    "\r",
    "\n",
    "\r\n",
    "\t",
    "\x00",
    "\x08",
    "\x7f",
    "\x85",
    "\x9b31m",
    "\u202e",
    "\u2028",
    "\u200d",
    "\ud800",
    "\udcff",
    "\ufffe",
    "=1+1",
    "+SUM(1)",
    "-2",
    "@team",
    "@org/sec",
    "\uff1dcmd",
    " ",
    '"',
    "'",
    ",",
    "# heading",
    "```",
    "`",
    "|",
    "*",
    "_",
    "~",
    "$",
    "[x](http://evil.example)",
    "</script>",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<details>",
    "&amp;",
    "]]>",
    "\\",
    "é",
    "東京",
    "\U0001f600",
]
#: Invisible characters that disguise a value (a list of its own: the golden files' hostile values take these
#: after the others, so adding them changed no earlier piece).
_INVISIBLE_PIECES = ["\u200b", "\ufeff", "\U000e0041"]
FIXTURES = Path(__file__).parent / "fixtures"
OPTIONS = RenderOptions(base_dir=Path.cwd())


@functools.cache
def _governed() -> RunResult:
    """The fixture run with waivers and a baseline (as ``governed_result``; not a fixture, so that
    Hypothesis does not print it with every failing example)."""
    request = CheckRequest(
        paths=[FIXTURES / "evidence"],
        as_of=date(2026, 11, 25),
        fail_on=Severity.LOW,
        waivers=FIXTURES / "waivers.yaml",
        baseline=FIXTURES / "baseline.json",
    )
    return run_check(request)


hostile = st.lists(
    st.one_of(st.sampled_from([*_PIECES, *_INVISIBLE_PIECES]), st.characters()), min_size=1, max_size=10
).map("".join)
values = st.lists(hostile, min_size=8, max_size=8)


def _result(v: list[str]) -> RunResult:
    """The governed fixture run with ``v`` wherever evidence, waivers or the baseline reach a report."""
    base = _governed()
    rule = next(r for r in base.rules if r.id == "COMM-004")

    # The expiry and approval dates are typed dates now: fuzzed text cannot reach a report through them.
    waiver = Waiver(
        index=0,
        rule=v[5],
        records=(v[0],),
        reason=v[6],
        approved_by=v[4],
        ticket=v[3],
        expires=date(2026, 11, 28),
        approved_on=date(2026, 1, 1),
        file=v[7],
        line=2,
    )

    def finding(status: Status, i: int) -> Finding:
        ev = EvidenceRef(kind="supplier-contracts", record_id=v[i % 8], file=v[(i + 1) % 8], line=3, pointer=v[2])
        return Finding(
            rule_id="COMM-004",
            rule_version=rule.version,
            status=status,
            severity=Severity.HIGH,
            area="COMM",
            title=rule.title,
            message=v[(i + 2) % 8],
            remediation="fix it",
            evidence=ev,
            related=(EvidenceRef(kind="supplier-contracts", record_id=v[i % 8], file=v[3], line=1),),
            group=v[(i + 3) % 8],
            fingerprint=f"{i:032x}",
            waiver=waiver if status is Status.WAIVED else None,
        )

    findings = tuple(finding(s, i) for i, s in enumerate(Status))
    evidence = (
        EvidenceFileInfo(
            path=v[0], format="json", kind="supplier-contracts", records=1, sha256="0" * 64, notes=(v[1],)
        ),
    )
    waiver_report = tuple(WaiverState(waiver, state, 1, 3) for state in ("active", "expiring", "unused", "expired"))
    fixed = ({"rule_id": "GOV-002", "record_id": v[1], "message": v[2], "fingerprint": "f" * 32, "kind": "k"},)
    baseline = BaselineReport(file=v[4], entries=1, matched=0, new_failures=1, fixed=fixed)
    return dataclasses.replace(
        base,
        findings=findings,
        evidence=evidence,
        include_passed=True,
        gate_failures=(v[5],),
        waivers=waiver_report,
        baseline=baseline,
    )


_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_INVISIBLE = re.compile(f"[{INVISIBLE}]")


def _controls(text: str, allowed: str = "\n") -> set[str]:
    """The raw control, surrogate, separator, bidi and invisible characters in ``text`` other than ``allowed``
    (Markdown's own zero width space after ``@``, which keeps a mention from notifying, is not a value's)."""
    hidden = ("Cc", "Cs", "Zl", "Zp")
    text = text.replace("@\u200b", "@")
    return {
        ch
        for ch in text
        if ch not in allowed and (unicodedata.category(ch) in hidden or ch in _BIDI or _INVISIBLE.match(ch))
    }


def _same_lines(render: Callable[[RunResult, RenderOptions], str], v: list[str]) -> tuple[str, int]:
    """The hostile rendering, and the line count of the same result with harmless values."""
    return render(_result(v), OPTIONS), render(_result(["x"] * 8), OPTIONS).count("\n")


@FUZZ
@given(v=values)
def test_text(v: list[str]) -> None:
    text, lines = _same_lines(render_text, v)
    assert not _controls(text)
    assert text.count("\n") == lines  # no value started a line of its own
    text.encode("utf-8")


_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)")
_OWN_MARKDOWN_TAGS = {"details", "summary", "code"}


def _check_markdown(text: str, limit: int) -> None:
    assert not _controls(text)
    assert {m.group(1) for m in _TAG.finditer(text)} <= _OWN_MARKDOWN_TAGS
    assert all(text[i + 1 : i + 2] == "\u200b" for i, ch in enumerate(text) if ch == "@"), "a live @mention"
    assert "```" not in text
    assert len(text) <= limit
    text.encode("utf-8")


@FUZZ
@given(v=values)
def test_markdown(v: list[str]) -> None:
    text, lines = _same_lines(render_markdown, v)
    _check_markdown(text, OPTIONS.markdown_limit)
    assert text.count("\n") == lines  # no value started a heading, list, fence or table row


@FUZZ
@given(v=values)
def test_csv(v: list[str]) -> None:
    result = _result(v)
    text = render_csv(result, OPTIONS)
    assert not _controls(text, allowed="\n\r\t")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == len(result.findings) + 1
    assert all(len(row) == len(COLUMNS) for row in rows)
    for row in rows[1:]:
        for cell in row:
            assert not cell.lstrip(" \t\r\n\"'\u00a0\u3000").startswith(FORMULA_START) or cell.startswith("'"), cell
    messages = [row[COLUMNS.index("message")] for row in rows[1:]]
    assert messages == [csv_cell(f.message) for f in result.findings]  # round-trips, nothing split or lost


@FUZZ
@given(v=values)
def test_json(v: list[str]) -> None:
    result = _result(v)
    text = render_json(result, OPTIONS)
    assert not _controls(text)
    doc = json.loads(text)
    assert len(doc["findings"]) == len(result.findings)
    if not any("\ud800" <= ch <= "\udfff" for ch in "".join(v)):
        assert [f["message"] for f in doc["findings"]] == [f.message for f in result.findings]


@FUZZ
@given(v=values)
def test_sarif(v: list[str]) -> None:
    text = render_sarif(_result(v), OPTIONS)
    assert not _controls(text)
    doc = json.loads(text)
    for res in doc["runs"][0]["results"]:
        assert not re.search(r"(?<!\\)\[", res["message"]["text"])  # no embedded link forged


@FUZZ
@given(v=values)
def test_junit(v: list[str]) -> None:
    result = _result(v)
    text = render_junit(result, OPTIONS)
    assert not _controls(text, allowed="\n\t")
    root = ET.fromstring(text.encode("utf-8"))
    assert len(root.findall(".//testcase[@classname='capcheck.COMM.COMM-004']")) == len(result.findings)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


@FUZZ
@given(v=values)
def test_html(v: list[str]) -> None:
    text = render_html(_result(v), OPTIONS)
    assert not _controls(text, allowed="\n\t")
    assert text.count("<script") == text.count("</script") == 2  # only the report's own script and its data block
    parser = _Tags()
    parser.feed(text)
    assert parser.tags.count("script") == 2 and "img" not in parser.tags and "details" in parser.tags
    assert parser.handlers == []
    text.encode("utf-8")


@FUZZ
@given(v=values)
def test_ci_logs(v: list[str]) -> None:
    for render in (render_github, render_azure):
        text, lines = _same_lines(render, v)
        assert not _controls(text)
        assert text.count("\n") == lines  # no value started a line (a command) of its own
        assert text.count("##") == render(_result(["x"] * 8), OPTIONS).count("##")  # a command anywhere in a line


@FUZZ
@given(v=values)
def test_gitlab(v: list[str]) -> None:
    result = _result(v)
    text = render_gitlab(result, OPTIONS)
    assert not _controls(text)
    issues = json.loads(text)
    assert len(issues) == sum(f.status in (Status.FAIL, Status.ERROR) for f in result.findings)
    assert len({i["fingerprint"] for i in issues}) == len(issues)


# --- diff ---------------------------------------------------------------------------------------


def _document(v: list[str], status: str, offset: int) -> dict[str, Any]:
    findings = [
        {
            "rule_id": v[(i + offset) % 8],
            "status": status,
            "severity": v[(i + 1) % 8] if i else "high",
            "area": v[2],
            "message": v[(i + 3) % 8],
            "fingerprint": f"{i:032x}",
            "group": v[4],
            "evidence": {"kind": v[5], "record_id": v[(i + 6) % 8], "file": v[7], "line": 2},
        }
        for i in range(4)
    ]
    return {"tool": {"name": "capcheck"}, "as_of": v[1], "findings": findings}


def _diff(v: list[str]) -> dict[str, Any]:
    old = _document(v, "fail", 0)
    new = _document(v, "waived", 1)
    new["findings"] += [
        {**f, "fingerprint": "e" * 31 + str(i), "status": "fail"} for i, f in enumerate(old["findings"])
    ]
    return diff_documents(old, new)


@FUZZ
@given(v=values)
def test_diff_text(v: list[str]) -> None:
    text = render_diff(_diff(v), "text")
    assert not _controls(text)
    assert text.count("\n") == render_diff(_diff(["x"] * 8), "text").count("\n")


@FUZZ
@given(v=values)
def test_diff_markdown(v: list[str]) -> None:
    text = render_diff(_diff(v), "markdown")
    _check_markdown(text, 65_000)
    assert text.count("\n") == render_diff(_diff(["x"] * 8), "markdown").count("\n")


@FUZZ
@given(v=values)
def test_diff_json(v: list[str]) -> None:
    text = render_diff(_diff(v), "json")
    assert not _controls(text)
    assert json.loads(text)["counts"]["new"] == 4
