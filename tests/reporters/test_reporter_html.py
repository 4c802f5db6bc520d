"""The HTML reporter: a self-contained page, escaped evidence, and filters that work in a real browser."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from capcheck.builtins.reporters.html import MAX_ROWS, render_html
from capcheck.builtins.reporters.text import render_text
from capcheck.core.escaping.controls import reveal
from capcheck.core.escaping.html import esc
from capcheck.core.models import Finding, RunResult
from capcheck.core.reporting import RenderOptions

#: The table's order, written out here: errors, new failures, accepted failures, skips, passes, the most
#: severe first within each, then the findings' own order.
_ATTENTION = {"error": 0, "fail": 1, "waived": 2, "baselined": 2, "skip": 3, "pass": 4}


def _in_table_order(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (_ATTENTION[f.status.value], -f.severity.rank))


class _Page(HTMLParser):
    """Collects elements, attributes, script and style bodies, and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._in: str | None = None
        self._attrs: dict[str, str | None] = {}
        self._buffer: list[str] = []
        self.raw: list[str] = []

    def feed(self, data: str) -> None:
        self.raw.append(data)
        super().feed(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in, self._attrs, self._buffer = tag, dict(attrs), []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            body = "".join(self._buffer)
            if tag == "script":
                self.scripts.append((self._attrs, body))
            else:
                self.styles.append(body)
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self._buffer.append(data)
        else:
            self.text.append(data)


class _Cells(HTMLParser):
    """The text of each cell of the findings table's body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self._table = False
        self._body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") == "findings-table"
        elif tag == "tbody" and self._table:
            self._body = True
        elif tag == "td" and self._body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.cells.append("".join(self._cell))
            self._cell = None
        elif tag == "tbody":
            self._body = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


def _rows(page: _Page) -> list[dict[str, str | None]]:
    return [attrs for tag, attrs in page.tags if tag == "tr" and "data-status" in attrs]


def _code(page: _Page) -> list[str]:
    """The page's executable scripts (data blocks are not code)."""
    return [body for attrs, body in page.scripts if attrs.get("type") != "application/json"]


def _data(page: _Page) -> dict[str, Any]:
    [body] = [body for attrs, body in page.scripts if attrs.get("type") == "application/json"]
    data: dict[str, Any] = json.loads(body)
    return data


def _data_rows(page: _Page) -> list[dict[str, Any]]:
    """The findings in the page's data block, as dicts by column name."""
    data = _data(page)
    names = sorted(data["columns"], key=data["columns"].get)
    return [dict(zip(names, row, strict=True)) for row in data["rows"]]


def test_self_contained(full_result: RunResult, options: RenderOptions) -> None:
    text = render_html(full_result, options)
    assert text.startswith("<!DOCTYPE html>")
    page = _parse(text)
    assert len(page.scripts) == 2  # the code and the findings' data block
    assert len(_code(page)) == 1
    for attrs, _ in page.scripts:
        assert "src" not in attrs
    assert len(page.styles) == 1
    for tag, attrs in page.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed") or (
            tag == "link" and attrs.get("href") == "data:,"
        ), tag
        for name, value in attrs.items():
            assert not name.startswith("on"), f"inline handler {name} on <{tag}>"
            if name in ("src", "href", "action", "srcset") and tag != "a":  # a link loads nothing unless followed
                assert not re.match(r"(?i)\s*(https?:|//)", value or ""), f"remote {name} on <{tag}>"
    assert "@import" not in page.styles[0] and "url(" not in page.styles[0]


def test_content_security_policy_allows_only_the_inline_code(full_result: RunResult, options: RenderOptions) -> None:
    page = _parse(render_html(full_result, options))
    csp = "content-security-policy"
    metas = [a for t, a in page.tags if t == "meta" and (a.get("http-equiv") or "").lower() == csp]
    assert len(metas) == 1
    policy = metas[0]["content"] or ""
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"

    def digest(body: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"

    assert directives["script-src"] == digest(_code(page)[0])
    assert directives["style-src"] == digest(page.styles[0])
    assert "http" not in policy


def test_sections_and_rows(full_result: RunResult, options: RenderOptions) -> None:
    page = _parse(render_html(full_result, options))
    ids = {a.get("id") for _, a in page.tags}
    for section in ("chart", "findings", "evidence", "rules", "filters", "findings-table", "chart-svg"):
        assert section in ids, section
    rows = _rows(page)
    assert len(rows) == len(full_result.findings)  # fewer than a page: all of them are markup too
    assert {r["data-status"] for r in rows} == {"fail", "error", "skip", "pass"}
    data_rows = _data_rows(page)
    assert _in_table_order(full_result.findings) != list(full_result.findings), "the orders must differ to test"
    for finding, row, data in zip(_in_table_order(full_result.findings), rows, data_rows, strict=True):
        assert row["data-rule"] == finding.rule_id == data["rule"]
        assert row["data-fingerprint"] == finding.fingerprint == data["fingerprint"]
        assert data["status"] == finding.status.value
        assert data["message"] == reveal(finding.message, keep="\t\n")  # hidden characters shown, as in markup
    selects = {a.get("name") for t, a in page.tags if t == "select"}
    assert selects == {"status", "severity", "area", "rule"}
    assert any(t == "input" and a.get("name") == "q" for t, a in page.tags)
    text = "".join(page.text)
    for ev in full_result.evidence:
        assert ev.sha256 in text and ev.path in text
    for rule in full_result.rules:
        assert rule.id in text
    assert "Scorecard" in text  # the run computed a maturity scorecard


def test_area_chart_without_scorecard(default_result: RunResult, options: RenderOptions) -> None:
    text = render_html(dataclasses.replace(default_result, scorecard=None), options)
    assert "<h2>Findings by area</h2>" in text
    page = _parse(text)
    bars = {a.get("class") for t, a in page.tags if t == "rect"}
    assert {"b-fail", "b-pass"} <= bars


def test_hostile_values_appear_only_escaped(
    full_result: RunResult, options: RenderOptions, hostile_contract_id: str
) -> None:
    text = render_html(full_result, options)
    assert "<script>alert(1)" not in text
    assert "</script><script>" not in text
    assert "<img" not in text
    assert text.count("<script") == 2 and text.count("</script>") == 2  # the code and the data block
    assert esc(hostile_contract_id) in text
    block = text[text.index('<script type="application/json"') :]
    block = block[: block.index("</script>")]
    assert "<" not in block.split(">", 1)[1] and "&" not in block  # no value can end or alter the block
    assert "\x07" not in text and "\x1b" not in text
    page = _parse(text)
    records = [a.get("data-status") for t, a in page.tags if t == "tr"]
    assert records  # parsed as a table, not swallowed by a broken-out script
    assert hostile_contract_id in "".join(page.text)  # the text a reader sees is the original value
    assert hostile_contract_id in [r["record"] for r in _data_rows(page)]  # and the script gets it as data


def test_scorecard_chart(scorecard_result: RunResult, options: RenderOptions) -> None:
    text = render_html(scorecard_result, options)
    assert "<h2>Scorecard</h2>" in text
    assert "Governance &lt;b&gt;" in text and "cap &lt;i&gt;" in text
    assert "Findings by area" not in text
    page = _parse(text)
    bars = [a for t, a in page.tags if t == "rect" and a.get("class") == "b-level"]
    assert len(bars) == 3


def test_scorecard_notes_are_shown_escaped_in_the_text_reports_order(
    scorecard_result: RunResult, options: RenderOptions, hostile_note: str
) -> None:
    assert scorecard_result.scorecard is not None
    notes = ("the second note, shown first", *scorecard_result.scorecard.notes, "a note shown last")
    assert hostile_note in notes
    result = dataclasses.replace(
        scorecard_result, scorecard=dataclasses.replace(scorecard_result.scorecard, notes=notes)
    )
    text = render_html(result, options)
    assert f'<p class="note">Note: {esc(hostile_note)}</p>' in text
    assert "<script>alert(1)" not in text and "</script><script>" not in text
    assert text.count("<script") == 2 and text.count("</script>") == 2  # the code and the data block
    assert "\x07" not in text and "\x1b" not in text
    page = _parse(text)
    shown = [t.removeprefix("Note: ") for t in page.text if t.startswith("Note: ")]
    assert shown == [reveal(n, keep="\t\n") for n in notes]  # the text a reader sees: each note, in order
    said = [line.removeprefix("  Note: ") for line in render_text(result, options).splitlines() if "Note: " in line]
    assert said == shown  # the text report's wording and order
    section = text[text.index('<section id="chart">') :]
    assert section.index("Note: ") < section.index("</section>")  # in the scorecard's section


def test_row_cap(default_result: RunResult, options: RenderOptions, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cap keeps the most important findings, wherever they come in the findings' order, and says what
    it left out, by status and severity."""
    import capcheck.builtins.reporters.html as module

    findings = list(default_result.findings)
    ranked = _in_table_order(findings)
    assert ranked[:2] != findings[:2], "the most important must not come first in the findings' order for this test"
    monkeypatch.setattr(module, "MAX_ROWS", 2)
    page = _parse(module.render_html(default_result, options))
    assert [r["data-fingerprint"] for r in _rows(page)] == [f.fingerprint for f in ranked[:2]]
    assert [r["fingerprint"] for r in _data_rows(page)] == [f.fingerprint for f in ranked[:2]]
    [note] = [t for t in page.text if t.startswith("Only the ")]
    assert note.startswith(f"Only the 2 most important of {len(findings)} findings are in this page; left out: ")
    left: dict[tuple[str, str], int] = {}
    for f in ranked[2:]:
        left[(f.severity.value, f.status.value)] = left.get((f.severity.value, f.status.value), 0) + 1
    said = re.findall(r"(\d+) (critical|high|medium|low|info) (failures?|skips?|errors?)", note)
    assert {(sev, noun.rstrip("s").replace("failure", "fail")): int(n) for n, sev, noun in said} == left
    assert "The JSON and CSV reports list every finding" in note
    assert MAX_ROWS >= 10_000


def test_the_most_severe_failures_come_first(
    default_result: RunResult, options: RenderOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader opening the page sees the errors and the most severe failures first, in the markup (no script)
    and in the data block the script pages through; within a severity the findings keep their order."""
    import capcheck.builtins.reporters.html as module

    monkeypatch.setattr(module, "PAGE", 3)
    page = _parse(module.render_html(default_result, options))
    rank = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
    keys = [(_ATTENTION[r["status"]], -rank[r["severity"]]) for r in _data_rows(page)]
    assert keys == sorted(keys) and len(set(keys)) >= 3
    most = max(f.severity.rank for f in default_result.findings if f.status.value == "fail")
    first = [f for f in default_result.findings if f.status.value == "fail" and f.severity.rank == most]
    n = min(3, len(first))
    assert [r["data-fingerprint"] for r in _rows(page)][:n] == [f.fingerprint for f in first[:n]]
    assert list(default_result.findings).index(first[0]) >= 3, "the most severe must not come first anyway"
    assert "Most important first: errors, then failures from critical to info" in "".join(page.text)


def test_markup_holds_the_first_page_and_the_data_block_every_row(
    default_result: RunResult, options: RenderOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a script a reader still sees the first page; the script pages through the data block."""
    import capcheck.builtins.reporters.html as module

    full = _parse(render_html(default_result, options))
    [more] = [a for t, a in full.tags if t == "button" and a.get("id") == "more"]
    assert "hidden" in more  # everything fits in one page: no "Show more"
    assert len(default_result.findings) > 3
    monkeypatch.setattr(module, "PAGE", 3)
    text = module.render_html(default_result, options)
    page = _parse(text)
    ranked = _in_table_order(default_result.findings)
    assert [r["data-fingerprint"] for r in _rows(page)] == [f.fingerprint for f in ranked[:3]]
    assert [r["fingerprint"] for r in _data_rows(page)] == [f.fingerprint for f in ranked]
    n = len(default_result.findings)
    assert f"{n} of {n} findings match; the first 3 are listed" in "".join(page.text)
    [more] = [a for t, a in page.tags if t == "button" and a.get("id") == "more"]
    assert "hidden" not in more


def test_data_block_reveals_hidden_characters_like_the_markup(empty_result: RunResult, options: RenderOptions) -> None:
    from capcheck.core.models import EvidenceRef, Finding, Severity, Status, Summary

    record = "C-1\u202e<b>&\x07"
    finding = Finding(
        rule_id="COMM-001", rule_version="1", status=Status.FAIL, severity=Severity.HIGH, area="COMM",
        title="T", message="m\u200b", remediation="r",
        evidence=EvidenceRef(kind="supplier-contracts", record_id=record, file="a.json", line=3),
        fingerprint="f" * 32,
    )  # fmt: skip
    result = dataclasses.replace(empty_result, findings=(finding,), summary=Summary())
    page = _parse(render_html(result, options))
    [row] = _data_rows(page)
    assert row["record"] == reveal(record, keep="\t\n") != record
    assert row["message"] == reveal("m\u200b", keep="\t\n")
    assert "".join(page.text).count(row["record"]) == 1  # the markup shows the same revealed text


def test_references_are_links_only_for_web_addresses(full_result: RunResult, options: RenderOptions) -> None:
    from capcheck.builtins.reporters.html import _reference

    link = _reference("https://www.ncsc.gov.uk/collection/caf")
    assert link == (
        '<a href="https://www.ncsc.gov.uk/collection/caf" rel="noopener noreferrer" target="_blank">'
        "https://www.ncsc.gov.uk/collection/caf</a>"
    )
    assert _reference("javascript:alert(1)") == "javascript:alert(1)"
    assert "<a" not in _reference("NCSC CAF v4.0, B4.d")
    mixed = _reference('See <https://example.org/x"onmouseover=1>, section 2.')
    assert 'href="https://example.org/x"' in mixed and "onmouseover" not in mixed.split(">")[0]
    page = _parse(render_html(full_result, options))
    links = [a for t, a in page.tags if t == "a"]
    assert links and all(a.get("rel") == "noopener noreferrer" for a in links)
    assert all((a.get("href") or "").startswith(("https://", "http://")) for a in links)


def test_empty(empty_result: RunResult, options: RenderOptions) -> None:
    page = _parse(render_html(empty_result, options))
    assert _rows(page) == []
    assert "NOT JUDGED" in "".join(page.text)


def test_lxml_parses_it(full_result: RunResult, options: RenderOptions) -> None:
    lxml_html = pytest.importorskip("lxml.html", reason="lxml is a test dependency")
    doc = lxml_html.document_fromstring(render_html(full_result, options))
    assert len(doc.xpath("//script[not(@type)]")) == 1
    assert len(doc.xpath("//script[@type='application/json']")) == 1
    assert len(doc.xpath("//table[@id='findings-table']/tbody/tr")) == len(full_result.findings)
    assert not doc.xpath("//img")


# ---------------------------------------------------------------------------------------------
# A real browser: Debian's chromium, headless
# ---------------------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium binary on PATH (apt-get install chromium) - browser tests not run"
)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


@needs_chromium
def test_renders_in_chromium(full_result: RunResult, options: RenderOptions, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(render_html(full_result, options), encoding="utf-8")
    shot = tmp_path / "report.png"
    proc = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,900", report.as_uri())
    assert shot.is_file(), proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000, "the screenshot is suspiciously small: blank page?"
    # A blank page compresses to almost nothing; a rendered report uses many distinct byte values.
    assert len(set(data[1000:20_000])) > 200


def _dump(tmp_path: Path, report: Path, fragment: str) -> _Page:
    proc = _chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", report.as_uri() + fragment)
    assert "<tbody>" in proc.stdout, proc.stderr[-2000:]
    assert 'data-ready-ms="' in proc.stdout, "the page's script did not run:\n" + proc.stderr[-2000:]
    return _parse(proc.stdout)


def _shown(page: _Page) -> str:
    [line] = [t for t in page.text if " findings " in t and " of " in t]
    return line


@needs_chromium
def test_filters_from_url_fragment_in_chromium(full_result: RunResult, options: RenderOptions, tmp_path: Path) -> None:
    """After the script runs the table holds exactly the matching rows, rendered from the data block."""
    report = tmp_path / "report.html"
    report.write_text(render_html(full_result, options), encoding="utf-8")
    total = len(full_result.findings)

    page = _dump(tmp_path, report, "")
    assert [r["data-fingerprint"] for r in _rows(page)] == [
        f.fingerprint for f in _in_table_order(full_result.findings)
    ]
    markup = _parse(report.read_text(encoding="utf-8"))
    assert _cells(page) == _cells(markup), "the script renders a row exactly as the markup does"

    page = _dump(tmp_path, report, "#status=fail")
    rows = _rows(page)
    n_fail = full_result.summary.by_status["fail"]
    assert len(rows) == n_fail and all(r["data-status"] == "fail" for r in rows)
    assert _shown(page) == f"{n_fail} of {total} findings shown"
    assert not [a for t, a in page.tags if t == "img"], "the hostile <img> was never created"

    page = _dump(tmp_path, report, "#area=INFRA&severity=critical&q=web-02")
    assert [(r["data-area"], r["data-rule"]) for r in _rows(page)] == [("INFRA", "INFRA-004")]

    page = _dump(tmp_path, report, "#status=nonsense")
    assert len(_rows(page)) == total, "an unknown filter value shows everything"


def _cells(page: _Page) -> list[str]:
    """The findings table's text, cell by cell (what a reader sees)."""
    parser = _Cells()
    parser.feed("".join(page.raw))
    return parser.cells


@needs_chromium
def test_sort_by_column_from_url_fragment_in_chromium(
    full_result: RunResult, options: RenderOptions, tmp_path: Path
) -> None:
    report = tmp_path / "report.html"
    report.write_text(render_html(full_result, options), encoding="utf-8")
    rank = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}

    page = _dump(tmp_path, report, "#sort=severity")  # most severe first
    severities = [rank[r["data-severity"] or ""] for r in _rows(page)]
    assert severities == sorted(severities, reverse=True) and len(set(severities)) > 1
    [th] = [a for t, a in page.tags if t == "th" and a.get("data-sort") == "severity"]
    assert th["aria-sort"] == "ascending"

    page = _dump(tmp_path, report, "#sort=-rule&status=fail")
    rules = [r["data-rule"] or "" for r in _rows(page)]
    assert rules == sorted(rules, reverse=True) and len(set(rules)) > 1
    assert all(r["data-status"] == "fail" for r in _rows(page))


@needs_chromium
def test_pages_of_a_large_report_in_chromium(
    default_result: RunResult, options: RenderOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond a page the table holds the first page of matches and says how many match."""
    import capcheck.builtins.reporters.html as module

    monkeypatch.setattr(module, "PAGE", 3)
    report = tmp_path / "report.html"
    report.write_text(module.render_html(default_result, options), encoding="utf-8")
    page = _dump(tmp_path, report, "")
    total = len(default_result.findings)
    assert total > 3
    assert len(_rows(page)) == 3  # the script pages by the reporter's PAGE, read from the data block
    assert _shown(page) == f"{total} of {total} findings match; the first 3 are listed"
    [more] = [a for t, a in page.tags if t == "button" and a.get("id") == "more"]
    assert "hidden" not in more


# ---------------------------------------------------------------------------------------------
# Waivers and the baseline
# ---------------------------------------------------------------------------------------------


def _text_of(text: str, start: str, end: str) -> str:
    """The raw HTML from ``start`` up to the next ``end``."""
    i = text.index(start)
    return text[i : text.index(end, i)]


def test_status_filter_offers_every_status(default_result: RunResult, options: RenderOptions) -> None:
    page = _parse(render_html(default_result, options))
    options_ = [a.get("value") for t, a in page.tags if t == "option"]
    for status in ("fail", "waived", "baselined", "error", "skip", "pass"):
        assert status in options_, status


def test_waived_and_baselined_rows(governed_result: RunResult, options: RenderOptions) -> None:
    text = render_html(governed_result, options)
    page = _parse(text)
    rows = _rows(page)
    assert len(rows) == len(governed_result.findings)
    statuses = [r["data-status"] for r in rows]
    assert statuses.count("waived") == 3 and statuses.count("baselined") == 2
    row = _text_of(text, '<tr data-status="waived" data-severity="high" data-area="COMM" data-rule="COMM-004"', "</tr>")
    assert '<span class="badge st-waived">waived</span>' in row
    assert 'Waived: <span class="mono">RISK-101</span>, approved by Director of Commercial on 2026-09-01' in row
    assert "expires 2027-06-30" in row
    assert "Exit plan drafted; the supplier&#x27;s step-in rights cover the gap" in row
    assert governed_result.baseline is not None
    baseline_file = governed_result.baseline.file
    row = _text_of(
        text, '<tr data-status="baselined" data-severity="high" data-area="GOV" data-rule="GOV-001"', "</tr>"
    )
    assert f'Baselined: a known failure recorded in <span class="mono">{esc(baseline_file)}</span>' in row


def test_cards_count_waived_and_baselined(governed_result: RunResult, options: RenderOptions) -> None:
    text = render_html(governed_result, options)
    waived = _text_of(text, '<div class="card" id="card-waived">', "</div></div>")
    assert '<div class="n">3</div>' in waived
    assert "3 of 5 waivers applied; 1 expiring, 1 unused, 1 expired" in waived
    baselined = _text_of(text, '<div class="card" id="card-baselined">', "</div></div>")
    assert governed_result.baseline is not None
    new = governed_result.baseline.new_failures
    assert '<div class="n">2</div>' in baselined and f"{new} new, 2 fixed" in baselined


def test_waivers_table_has_every_state(governed_result: RunResult, options: RenderOptions) -> None:
    text = render_html(governed_result, options)
    page = _parse(text)
    states = [a.get("data-state") for t, a in page.tags if t == "tr" and "data-state" in a]
    assert states == ["expired", "expiring", "unused", "active", "active"]  # what needs attention first
    table = _text_of(text, '<section id="waivers">', "</section>")
    assert "3 of 5 waivers applied to 3 failures" in table
    assert '<td class="ws-expired"' in table and "RISK-200" in table and "waivers.yaml:31" in table


def test_baseline_summary_and_fixed_entries(governed_result: RunResult, options: RenderOptions) -> None:
    text = render_html(governed_result, options)
    section = _text_of(text, '<section id="baseline">', "</section>")
    assert governed_result.baseline is not None
    new = governed_result.baseline.new_failures
    assert (
        f"5 known failures recorded; 3 matched (reported as baselined or waived), <strong>{new} new</strong>" in section
    )
    assert "2 fixed since the baseline" in section
    page = _parse(section)
    fixed = [a for t, a in page.tags if t == "tr"][1:]
    assert len(fixed) == 2
    assert "&lt;img src=x onerror=alert(4)&gt;" in section


def test_no_waiver_or_baseline_sections_without_them(default_result: RunResult, options: RenderOptions) -> None:
    text = render_html(default_result, options)
    assert 'id="waivers"' not in text and 'id="baseline"' not in text
    assert "no waivers file" in text and "no baseline" in text


def test_hostile_waiver_is_escaped(governed_result: RunResult, options: RenderOptions) -> None:
    text = render_html(governed_result, options)
    assert text.count("<script") == 2 and text.count("</script>") == 2  # the code and the data block
    assert "<script>alert(9)" not in text and "<img" not in text and "<b>" not in text
    assert esc("</script><script>alert(9)</script> | *owner*") in text
    assert esc("+RISK-102 <b>") in text
    page = _parse(text)
    seen = "".join(page.text)
    assert "</script><script>alert(9)</script>" in seen  # a reader sees the reason as written
    assert "=cmd|' /C calc'!A0" in seen


def test_governed_page_keeps_its_guarantees(governed_result: RunResult, options: RenderOptions) -> None:
    test_self_contained(governed_result, options)
    test_content_security_policy_allows_only_the_inline_code(governed_result, options)


def test_area_chart_shows_accepted_failures(governed_result: RunResult, options: RenderOptions) -> None:
    page = _parse(render_html(dataclasses.replace(governed_result, scorecard=None), options))
    bars = {a.get("class") for t, a in page.tags if t == "rect"}
    assert {"b-fail", "b-waived", "b-baselined", "b-pass"} <= bars


@needs_chromium
def test_waived_filter_in_chromium(governed_result: RunResult, options: RenderOptions, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(render_html(governed_result, options), encoding="utf-8")
    for status, n in (("waived", 3), ("baselined", 2)):
        page = _dump(tmp_path, report, f"#status={status}")
        visible = [r for r in _rows(page) if "hidden" not in r]
        assert len(visible) == n
        assert all(r["data-status"] == status for r in visible)
    page = _dump(tmp_path, report, "#q=RISK-101")  # the search reaches the waiver shown in the row
    visible = [r for r in _rows(page) if "hidden" not in r]
    assert [(r["data-rule"], r["data-status"]) for r in visible] == [("COMM-004", "waived")]
    assert not [a for t, a in page.tags if t in ("img", "b")], "no hostile markup was created"
