"""The built-in HTML reporter: one self-contained page that works offline.

No external scripts, fonts, stylesheets or images: the CSS and a small vanilla script are inline,
and a Content-Security-Policy allows exactly those two (by hash) and nothing remote. The page has
summary cards, a per-area chart (the scorecard when one was computed, with why each level and the
scorecard's notes, else counts by status as inline SVG), a findings table listing the most important
first (:data:`~capcheck.core.reporting.ATTENTION`, then severity, then the findings' order), filterable
by status, severity, area and rule plus a free-text search,
sortable by column (filters and sort live in the URL fragment, e.g. ``report.html#status=fail&area=COMM``,
so a view can be bookmarked or shared), the governed waivers with their states and the baseline summary
(when the run used them), the evidence manifest and the rules that ran. A waived finding's row
shows its waiver (ticket, approver, expiry, reason).

Every value that comes from evidence or from plugins is HTML-escaped with
:func:`capcheck.core.escaping.html.esc` (``html.escape``, quotes included; hidden characters revealed).
At scale (20,000 findings) a table of every row takes seconds to lay out, so the findings also travel
as one JSON data block (``<script type="application/json">``, never run; ``< > &`` written as
``\\u`` escapes so no value can end it, hidden characters revealed as in the markup), and the script
renders only the rows on show, with ``textContent``. Without a script the first :data:`PAGE` rows are
there as markup. The page is written as it is made (:func:`write_html`): the table's order comes from the
findings' statuses, only the listed findings are made, each once, and the data block goes out a chunk of
rows at a time.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import TYPE_CHECKING, Any

import orjson

from capcheck.core.escaping.controls import reveal
from capcheck.core.escaping.html import esc
from capcheck.core.escaping.json import json_safe
from capcheck.core.hookspecs import hookimpl
from capcheck.core.models import STATUS_ORDER, Finding, RuleInfo, RunResult, Severity, Status
from capcheck.core.outcomes import Findings
from capcheck.core.reporting import (
    ATTENTION,
    ByteStream,
    FindingRun,
    RenderOptions,
    Reporter,
    finding_runs,
    finding_subject,
    render_by,
    subject_label,
    verdict_word,
)
from capcheck.core.wording import plural

if TYPE_CHECKING:  # annotations only: the result carries these
    from capcheck.assessment.scorecard import AreaScore, Scorecard

__all__ = ["MAX_FIXED", "MAX_ROWS", "PAGE", "render_html", "write_html"]

#: The most findings put in the table, the most important; the rest are counted by status and severity (use
#: JSON or CSV for everything).
MAX_ROWS = 20_000
#: The most fixed baseline entries listed; the rest are counted.
MAX_FIXED = 500

_CSS = """
:root{--fg:#1b1f24;--muted:#57606a;--bg:#fff;--panel:#f6f8fa;--line:#d0d7de;
--fail:#cf222e;--error:#8250df;--skip:#bf8700;--pass:#1a7f37;--info:#0969da;--waived:#1b7c83;--baselined:#6e7781}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#8d96a0;--bg:#0d1117;--panel:#161b22;
--line:#30363d;--fail:#f85149;--error:#a371f7;--skip:#d29922;--pass:#3fb950;--info:#58a6ff;--waived:#39c5cf;
--baselined:#8c959f}}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--fg);background:var(--bg)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.meta{color:var(--muted);margin:0 0 18px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:12px 16px;min-width:120px}
.card .note{max-width:230px}
.card .n{font-size:26px;font-weight:600}.card .l{color:var(--muted);font-size:12px;text-transform:uppercase}
.card.result .n{font-size:20px}
.r-passed{border-left:6px solid var(--pass)}.r-failed{border-left:6px solid var(--fail)}
.r-incomplete{border-left:6px solid var(--error)}
.sev-list{margin:4px 0 0;padding:0;list-style:none;font-size:12px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--panel);position:sticky;top:0}
td.num,th.num{text-align:right}
td.msg{min-width:260px;max-width:520px;overflow-wrap:anywhere}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
td code,.nowrap{white-space:nowrap}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:11px;font-weight:600;color:#fff}
.st-fail{background:var(--fail)}.st-error{background:var(--error)}.st-skip{background:var(--skip)}
.st-pass{background:var(--pass)}.st-waived{background:var(--waived)}.st-baselined{background:var(--baselined)}
.accepted{margin-top:4px;padding-left:8px;border-left:3px solid var(--waived);color:var(--muted);font-size:12px}
.accepted.baselined{border-left-color:var(--baselined)}
.ws-active{color:var(--pass)}.ws-expiring{color:var(--skip);font-weight:600}.ws-unused{color:var(--muted);font-weight:600}
.ws-expired{color:var(--fail);font-weight:700}
.sv-critical{font-weight:700;color:var(--fail)}.sv-high{color:var(--fail)}.sv-medium{color:var(--skip)}
.sv-low{color:var(--info)}.sv-info{color:var(--muted)}
.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:end;margin:0 0 10px}
.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted)}
.filters select,.filters input,.filters button{font:inherit;padding:4px 6px;color:var(--fg);
background:var(--bg);border:1px solid var(--line);border-radius:6px}
.filters input{min-width:240px}
#shown{color:var(--muted);margin:0 0 8px}
svg text{fill:var(--fg);font-size:12px}svg .sub{fill:var(--muted)}
.b-fail{fill:var(--fail)}.b-error{fill:var(--error)}.b-skip{fill:var(--skip)}.b-pass{fill:var(--pass)}
.b-waived{fill:var(--waived)}.b-baselined{fill:var(--baselined)}
.b-level{fill:var(--info)}.b-track{fill:var(--panel);stroke:var(--line)}
.legend span{margin-right:14px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
.l-fail{background:var(--fail)}.l-error{background:var(--error)}.l-skip{background:var(--skip)}
.l-pass{background:var(--pass)}.l-waived{background:var(--waived)}.l-baselined{background:var(--baselined)}
details summary{cursor:pointer}
.note{color:var(--muted)}
[hidden]{display:none!important}
.scroll{overflow-x:auto;max-width:100%}
#chart-svg{max-width:100%;height:auto}
th button.sort{all:unset;cursor:pointer;font-weight:600}
th button.sort:focus-visible{outline:2px solid var(--info)}
th[aria-sort=ascending] button.sort::after{content:" \\25B2"}
th[aria-sort=descending] button.sort::after{content:" \\25BC"}
button.more{margin-top:8px;font:inherit;padding:4px 10px;color:var(--fg);background:var(--panel);
border:1px solid var(--line);border-radius:6px;cursor:pointer}
@media (max-width:700px){body{padding:12px}td.msg{min-width:180px}.filters input{min-width:0}}
""".strip()

_JS = """
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var table = document.getElementById("findings-table");
  var source = document.getElementById("findings-data");
  if (!form || !table || !source) { return; }
  var keys = ["status", "severity", "area", "rule"];
  var data = JSON.parse(source.textContent);
  var rows = data.rows;
  var C = data.columns;
  var rank = data.rank;
  var titles = data.titles;
  var tbody = table.tBodies[0];
  var shown = document.getElementById("shown");
  var more = document.getElementById("more");
  var PAGE = data.page;
  var limit = PAGE;
  var matches = [];
  var texts = null;
  var sortColumn = "";
  var sortDirection = 1;
  var sortKeys = {};
  var timer = 0;
  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (o) { return o.value === value; });
  }
  function readHash() {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    keys.forEach(function (k) {
      var value = params.get(k) || "";
      form.elements[k].value = hasOption(form.elements[k], value) ? value : "";
    });
    form.elements.q.value = params.get("q") || "";
    var sort = params.get("sort") || "";
    sortDirection = sort.charAt(0) === "-" ? -1 : 1;
    sortColumn = sort.replace(/^-/, "");
    if (!Object.prototype.hasOwnProperty.call(SORTS, sortColumn)) { sortColumn = ""; sortDirection = 1; }
  }
  function writeHash() {
    var params = new URLSearchParams();
    keys.forEach(function (k) { if (form.elements[k].value) { params.set(k, form.elements[k].value); } });
    if (form.elements.q.value) { params.set("q", form.elements.q.value); }
    if (sortColumn) { params.set("sort", (sortDirection < 0 ? "-" : "") + sortColumn); }
    var hash = params.toString();
    var url = window.location.pathname + window.location.search + (hash ? "#" + hash : "");
    try { window.history.replaceState(null, "", url); } catch (e) { window.location.hash = hash; }
  }
  function text(r) {
    var parts = [r[C.status], r[C.severity], r[C.area], r[C.rule], titles[r[C.rule]], r[C.kind], r[C.record] || "",
      r[C.subject] || "", r[C.location], r[C.pointer] || "", r[C.message]];
    var a = r[C.accepted];
    if (a) { parts = parts.concat(a); }
    return parts.join("\\n").toLowerCase();
  }
  var SORTS = {
    status: function (r) { return rank.status[r[C.status]]; },
    severity: function (r) { return -rank.severity[r[C.severity]]; },
    area: function (r) { return rank.area[r[C.area]]; },
    rule: function (r) { return r[C.rule]; },
    record: function (r) { return r[C.record] || r[C.subject] || r[C.kind]; },
    // By file, then by line as a number ("x.yaml:25" after "x.yaml:6"); a file's location without a line first.
    location: function (r) {
      var s = r[C.location] || "";
      var m = /^(.*):([0-9]+)$/.exec(s);
      return m ? m[1] + "\\u0000" + ("0000000000" + m[2]).slice(-10) : s + "\\u0000";
    },
    message: function (r) { return r[C.message]; }
  };
  function sortKey(column) {
    if (!sortKeys[column]) { sortKeys[column] = rows.map(SORTS[column]); }
    return sortKeys[column];
  }
  function filter() {
    var want = keys.map(function (k) { return form.elements[k].value; });
    var cols = [C.status, C.severity, C.area, C.rule];
    var q = form.elements.q.value.trim().toLowerCase();
    if (q && !texts) { texts = rows.map(text); }
    matches = [];
    for (var i = 0; i < rows.length; i += 1) {
      var r = rows[i];
      var ok = true;
      for (var k = 0; k < 4 && ok; k += 1) { ok = !want[k] || r[cols[k]] === want[k]; }
      if (ok && q) { ok = texts[i].indexOf(q) !== -1; }
      if (ok) { matches.push(i); }
    }
    if (sortColumn) {
      var key = sortKey(sortColumn);
      var d = sortDirection;
      matches.sort(function (a, b) {
        var x = key[a];
        var y = key[b];
        return x < y ? -d : x > y ? d : a - b;
      });
    }
  }
  function el(tag, cls, value) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (value !== undefined && value !== null) { e.textContent = value; }
    return e;
  }
  function cell(tr, cls) { return tr.appendChild(el("td", cls)); }
  function accepted(a) {
    var div;
    if (a[0] === "waived") {
      div = el("div", "accepted waiver", "Waived: ");
      div.appendChild(el("span", "mono", a[1]));
      div.appendChild(document.createTextNode(", approved by " + a[2] + (a[3] ? " on " + a[3] : "") +
        ", expires " + a[4] + ". "));
      div.appendChild(el("span", "reason", a[5]));
    } else {
      div = el("div", "accepted baselined", "Baselined: a known failure recorded in ");
      div.appendChild(el("span", "mono", a[1] || "the baseline"));
      div.appendChild(document.createTextNode("."));
    }
    return div;
  }
  function row(r) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-status", r[C.status]);
    tr.setAttribute("data-severity", r[C.severity]);
    tr.setAttribute("data-area", r[C.area]);
    tr.setAttribute("data-rule", r[C.rule]);
    tr.setAttribute("data-fingerprint", r[C.fingerprint]);
    cell(tr).appendChild(el("span", "badge st-" + r[C.status], r[C.status]));
    cell(tr, "sv-" + r[C.severity]).textContent = r[C.severity];
    cell(tr).textContent = r[C.area];
    var code = cell(tr).appendChild(el("code", "", r[C.rule]));
    code.title = titles[r[C.rule]];
    var td = cell(tr);
    if (r[C.record] !== null) {
      td.appendChild(el("span", "mono", r[C.record]));
    } else if (r[C.subject] !== null) {
      td.textContent = r[C.subject];
    } else {
      td.textContent = r[C.kind];
    }
    td = cell(tr);
    if (r[C.location] !== null) {
      td.appendChild(el("span", "mono", r[C.location]));
      if (r[C.row] !== null) {
        td.appendChild(document.createTextNode(" "));
        td.appendChild(el("span", "note", "row " + r[C.row]));
      }
      if (r[C.pointer] !== null) {
        td.appendChild(document.createTextNode(" "));
        td.appendChild(el("span", "note mono", r[C.pointer]));
      }
    }
    td = cell(tr, "msg");
    td.textContent = r[C.message];
    if (r[C.accepted]) { td.appendChild(accepted(r[C.accepted])); }
    return tr;
  }
  function render() {
    var fragment = document.createDocumentFragment();
    var n = Math.min(limit, matches.length);
    for (var i = 0; i < n; i += 1) { fragment.appendChild(row(rows[matches[i]])); }
    tbody.replaceChildren(fragment);
    var label = matches.length + " of " + rows.length + " findings shown";
    if (n < matches.length) {
      label = matches.length + " of " + rows.length + " findings match; the first " + n + " are listed";
    }
    shown.textContent = label;
    more.hidden = n >= matches.length;
    Array.prototype.forEach.call(table.tHead.querySelectorAll("th[data-sort]"), function (th) {
      var column = th.getAttribute("data-sort");
      th.setAttribute("aria-sort", column !== sortColumn ? "none" : sortDirection > 0 ? "ascending" : "descending");
    });
  }
  function apply() {
    var t = performance.now();
    limit = PAGE;
    filter();
    render();
    shown.setAttribute("data-ms", (performance.now() - t).toFixed(1));
    document.body.setAttribute("data-filtered", "true");
  }
  function changed(event) {
    window.clearTimeout(timer);
    if (event && event.target === form.elements.q) {
      timer = window.setTimeout(function () { apply(); writeHash(); }, 120);
      return;
    }
    apply();
    writeHash();
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  // Reset shows the table as it opened: no filter, no search and no column's sort (the findings' own order).
  // The form's controls are put back after this event, so the table follows once they are.
  form.addEventListener("reset", function () {
    sortColumn = "";
    sortDirection = 1;
    window.setTimeout(changed, 0);
  });
  window.addEventListener("hashchange", function () { readHash(); apply(); });
  more.addEventListener("click", function () { limit += PAGE; render(); });
  table.tHead.addEventListener("click", function (e) {
    var th = e.target.closest("th[data-sort]");
    if (!th) { return; }
    var column = th.getAttribute("data-sort");
    if (column === sortColumn) { sortDirection = -sortDirection; } else { sortColumn = column; sortDirection = 1; }
    apply();
    writeHash();
  });
  readHash();
  apply();
  document.body.setAttribute("data-ready-ms", performance.now().toFixed(1));
  // The search text of every row, built once the first page is shown, so that typing finds it ready.
  window.setTimeout(function () { if (!texts) { texts = rows.map(text); } }, 0);
})();
""".strip()


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


#: Nothing remote: only the inline style and script above (by hash) and a data: favicon.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {_csp_hash(_CSS)}; script-src {_csp_hash(_JS)}; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)

#: The verdict's card style, by :func:`~capcheck.core.reporting.verdict_word` (nothing judged is no pass: the
#: incomplete run's colour).
_VERDICT_CLASS = {
    "PASSED": "r-passed",
    "FAILED": "r-failed",
    "INCOMPLETE": "r-incomplete",
    "NOT JUDGED": "r-incomplete",
}


def _accepted_card(result: RunResult, status: Status) -> str:
    """The Waived or Baselined card: the count, and what needs attention."""
    n = result.summary.by_status.get(status.value, 0)
    note = ""
    if status is Status.WAIVED:
        report = result.waivers
        if report:
            applied = sum(1 for w in report if w.state in ("active", "expiring"))
            states = ", ".join(
                f"{k} {state}"
                for state in ("expiring", "unused", "expired", "future")
                if (k := sum(1 for w in report if w.state == state))
            )
            note = f"{applied} of {len(report)} waivers applied" + (f"; {states}" if states else "")
        else:
            note = "no waivers file"
    else:
        baseline = result.baseline
        note = "no baseline" if baseline is None else f"{baseline.new_failures} new, {len(baseline.fixed)} fixed"
    label = "Waived" if status is Status.WAIVED else "Baselined"
    return (
        f'<div class="card" id="card-{status.value}"><div class="l">{label}</div><div class="n">{n}</div>'
        f'<div class="note">{esc(note)}</div></div>'
    )


def _cards(result: RunResult) -> str:
    code = result.exit_code
    word = verdict_word(result)
    cls = _VERDICT_CLASS[word]
    threshold = result.fail_on.value if result.fail_on else "never"
    s = result.summary.by_status
    sev = result.summary.by_severity
    sev_items = "".join(
        f'<li><span class="sv-{x.value}">{x.value}</span>: {sev[x.value]}</li>' for x in reversed(Severity)
    )
    cards = [
        f'<div class="card result {cls}"><div class="l">Result (exit {code})</div><div class="n" id="verdict">'
        f'{word}</div><div class="note">fail on: {esc(threshold)}</div></div>',
        f'<div class="card"><div class="l">Failed</div><div class="n">{s["fail"]}</div>'
        f'<ul class="sev-list">{sev_items}</ul></div>',
        _accepted_card(result, Status.WAIVED),
        _accepted_card(result, Status.BASELINED),
        f'<div class="card"><div class="l">Errors</div><div class="n">{s["error"]}</div></div>',
        f'<div class="card"><div class="l">Skipped</div><div class="n">{s["skip"]}</div></div>',
        f'<div class="card"><div class="l">Passed</div><div class="n">{s["pass"]}</div>'
        + ("" if result.include_passed or not s["pass"] else '<div class="note">counted, not listed</div>')
        + "</div>",
        f'<div class="card"><div class="l">Evidence</div><div class="n">{len(result.evidence)}</div>'
        f'<div class="note">{sum(e.records for e in result.evidence)} records</div></div>',
        f'<div class="card"><div class="l">Rules</div><div class="n">{len(result.rules)}</div></div>',
    ]
    gate = "".join(f"<li>{esc(m)}</li>" for m in result.gate_failures)
    gate_html = f'<div id="gate" class="note"><strong>Gate failed:</strong><ul>{gate}</ul></div>' if gate else ""
    return '<section class="cards" aria-label="Summary">' + "".join(cards) + "</section>" + gate_html


_LABEL_W = 300


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


_BAR_W = 460
_ROW_H = 26


def _scorecard_chart(rows: Sequence[AreaScore]) -> str:
    levels = [float(r.level) for r in rows if r.level is not None]
    top = max([5.0, *levels])
    height = _ROW_H * len(rows) + 8
    parts = [
        f'<svg id="chart-svg" role="img" aria-label="Scorecard by area" width="{_LABEL_W + _BAR_W + 260}" '
        f'height="{height}" viewBox="0 0 {_LABEL_W + _BAR_W + 260} {height}">'
    ]
    for i, r in enumerate(rows):
        y = 4 + i * _ROW_H
        level = r.level
        width = 0 if level is None else max(0.0, min(1.0, level / top)) * _BAR_W
        label = f"{r.area} {r.title}".strip()
        shown = r.name[:28] if level is None else f"{level} {r.name}"[:28]
        tip = f"{label}: {shown}" + (f" ({r.cap})" if r.cap else "")
        parts.append(
            f'<g class="row"><title>{esc(tip)}</title>'
            f'<text x="0" y="{y + 16}">{esc(_clip(label, 40))}</text>'
            f'<rect class="b-track" x="{_LABEL_W}" y="{y + 3}" width="{_BAR_W}" height="16" rx="3"/>'
            f'<rect class="b-level" x="{_LABEL_W}" y="{y + 3}" width="{width:.1f}" height="16" rx="3"/>'
            f'<text class="sub" x="{_LABEL_W + _BAR_W + 8}" y="{y + 16}">{esc(shown)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


_ACCEPTED = (Status.WAIVED, Status.BASELINED)


def _area_chart(result: RunResult) -> str:
    titles = {a.id: a.title for a in result.areas}
    order = {a.id: (a.order, a.id) for a in result.areas}
    by_area = result.summary.by_area
    areas = sorted(by_area, key=lambda a: order.get(a, (1000, a)))
    if not areas:
        return '<p class="note">No findings.</p>'
    statuses = (Status.FAIL, Status.WAIVED, Status.BASELINED, Status.ERROR, Status.SKIP, Status.PASS)
    height = _ROW_H * len(areas) + 8
    width_total = _LABEL_W + _BAR_W + 200
    parts = [
        '<p class="legend">' + "".join(f'<span><i class="l-{s.value}"></i>{s.value}</span>' for s in statuses) + "</p>",
        f'<svg id="chart-svg" role="img" aria-label="Findings by area" width="{width_total}" height="{height}" '
        f'viewBox="0 0 {width_total} {height}">',
    ]
    for i, area in enumerate(areas):
        counts = by_area[area]
        total = sum(counts.get(s.value, 0) for s in statuses)
        y = 4 + i * _ROW_H
        label = f"{area} {titles.get(area, '')}".strip()
        summary = ", ".join(
            f"{counts.get(s.value, 0)} {s.value}" for s in statuses if counts.get(s.value) or s not in _ACCEPTED
        )
        parts.append(f'<g class="row"><title>{esc(label)}: {esc(summary)}</title>')
        parts.append(f'<text x="0" y="{y + 16}">{esc(_clip(label, 40))}</text>')
        parts.append(f'<rect class="b-track" x="{_LABEL_W}" y="{y + 3}" width="{_BAR_W}" height="16" rx="3"/>')
        x = float(_LABEL_W)
        for s in statuses:
            n = counts.get(s.value, 0)
            if not n or not total:
                continue
            w = n / total * _BAR_W
            parts.append(f'<rect class="b-{s.value}" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="16"/>')
            x += w
        parts.append(f'<text class="sub" x="{_LABEL_W + _BAR_W + 8}" y="{y + 16}">{esc(summary)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def _scorecard_why(card: Scorecard) -> str:
    """Why each area has its level (binding cap or basis), organisation flags, the scorecard's notes (as the
    text report words and orders them) and the profile's gaps."""
    items = "".join(
        f"<li><strong>{esc(r.area)}</strong> {esc(r.name)}: {esc(r.cap or r.basis)}</li>"
        for r in card.rows
        if r.status != "no-rules"
    )
    out = f'<ul class="why">{items}</ul>'
    flags = card.organisation.flags
    out += "".join(f'<p class="note">Organisation: {esc(f)} (caps every area at 2)</p>' for f in flags)
    out += "".join(f'<p class="note">Note: {esc(n)}</p>' for n in card.notes)
    org_type = card.organisation.type
    if org_type:
        gaps = card.gaps
        verdict = "met" if card.profile_met else f"not met, {len(gaps)} gaps (the improvement plan starts here)"
        out += f'<p class="note">Profile ({esc(org_type)}): {esc(verdict)}</p>'
        if gaps:
            out += (
                '<table id="gaps-table"><thead><tr><th>Criterion</th><th>Title</th><th>Expected</th><th>Status</th>'
                "<th>Areas</th></tr></thead><tbody>"
                + "".join(
                    f"<tr><td><code>{esc(g.ref)}</code></td><td>{esc(g.title)}</td>"
                    f"<td>{esc(g.expected.value if g.expected else None)}</td>"
                    f"<td>{esc(g.status.value)}</td><td>{esc(', '.join(g.areas))}</td></tr>"
                    for g in gaps
                )
                + "</tbody></table>"
            )
    return out


def _criteria(card: Scorecard) -> str:
    """The per-criterion view: each criterion's status with the rules and attestation behind it."""
    criteria = card.criteria
    if not criteria:
        return ""
    rows = []
    for c in criteria:
        behind = c.behind()
        status = c.status.value
        rows.append(
            f'<tr data-criterion="{esc(status)}"><td><code>{esc(c.ref)}</code></td>'
            f"<td>{esc(c.title)}</td>"
            f"<td>{esc(status)}</td><td>{esc(', '.join(c.areas))}</td>"
            f'<td class="msg">{esc("; ".join(behind))}</td></tr>'
        )
    return (
        f'<section id="criteria"><h2>Criteria ({len(criteria)})</h2>'
        '<p class="note">Rolled up CAF-style: a failing high or critical rule makes its criterion not achieved; '
        "lower failures partially achieved; nothing judged, not assessed.</p>"
        '<table id="criteria-table"><thead><tr><th>Criterion</th><th>Title</th><th>Status</th><th>Areas</th>'
        f"<th>Behind it</th></tr></thead><tbody>{''.join(rows)}</tbody></table></section>"
    )


def _chart(result: RunResult) -> str:
    card = result.scorecard
    if card is not None and card.rows:
        return (
            '<section id="chart"><h2>Scorecard</h2>'
            + _scorecard_chart(card.rows)
            + _scorecard_why(card)
            + "</section>"
            + _criteria(card)
        )
    return '<section id="chart"><h2>Findings by area</h2>' + _area_chart(result) + "</section>"


def _select(name: str, label: str, values: Sequence[tuple[str, str]]) -> str:
    options = '<option value="">all</option>' + "".join(
        f'<option value="{esc(v)}">{esc(text)}</option>' for v, text in values
    )
    return f'<label>{esc(label)}<select name="{name}" id="f-{name}">{options}</select></label>'


def _accepted_note(f: Finding, baseline_file: str) -> str:
    """What accepted a waived or baselined failure, under its message."""
    w = f.waiver
    if f.status is Status.WAIVED and w is not None:
        approved = f" on {esc(w.approved_on.isoformat())}" if w.approved_on else ""
        return (
            '<div class="accepted waiver">Waived: <span class="mono">'
            f"{esc(w.ticket)}</span>, approved by {esc(w.approved_by)}{approved}, "
            f'expires {esc(w.expires.isoformat())}. <span class="reason">{esc(w.reason)}</span></div>'
        )
    if f.status is Status.BASELINED:
        return (
            '<div class="accepted baselined">Baselined: a known failure recorded in '
            f'<span class="mono">{esc(baseline_file or "the baseline")}</span>.</div>'
        )
    return ""


def _finding_row(f: Finding, baseline_file: str = "") -> str:
    ev = f.evidence
    record = ""
    location = ""
    if ev is not None:
        if ev.record_id is not None:
            record = f'<span class="mono">{esc(ev.record_id)}</span>'
        else:  # a group's label (all KIND records for a whole register), or the kind it lacked
            record = esc(finding_subject(f))
        location = f'<span class="mono">{esc(ev.location())}</span>'
        if ev.row is not None:
            location += f' <span class="note">row {ev.row}</span>'
        if ev.pointer is not None:
            location += f' <span class="note mono">{esc(ev.pointer)}</span>'
    return (
        f'<tr data-status="{esc(f.status.value)}" data-severity="{esc(f.severity.value)}" '
        f'data-area="{esc(f.area)}" data-rule="{esc(f.rule_id)}" data-fingerprint="{esc(f.fingerprint)}">'
        f'<td><span class="badge st-{esc(f.status.value)}">{esc(f.status.value)}</span></td>'
        f'<td class="sv-{esc(f.severity.value)}">{esc(f.severity.value)}</td>'
        f"<td>{esc(f.area)}</td>"
        f'<td><code title="{esc(f.title)}">{esc(f.rule_id)}</code></td>'
        f"<td>{record}</td><td>{location}</td>"
        f'<td class="msg">{esc(f.message)}{_accepted_note(f, baseline_file)}</td></tr>'
    )


#: The findings' fields in the page's data block, in the order of each row's array.
_COLUMNS = (
    "status", "severity", "area", "rule", "kind", "record", "subject",
    "location", "row", "pointer", "message", "accepted", "fingerprint",
)  # fmt: skip
#: How many rows are in the table at first (the rest come with "Show more"): layout time grows with rows.
PAGE = 200


def _text(value: str | None) -> str | None:
    """An untrusted value for the data block: hidden characters revealed, as ``esc`` does for markup."""
    return None if value is None else reveal(value, keep="\t\n")


def _accepted_data(f: Finding, baseline_file: str) -> list[str | None] | None:
    w = f.waiver
    if f.status is Status.WAIVED and w is not None:
        approved = w.approved_on.isoformat() if w.approved_on else None
        return ["waived", _text(w.ticket), _text(w.approved_by), approved, w.expires.isoformat(), _text(w.reason)]
    if f.status is Status.BASELINED:
        return ["baselined", _text(baseline_file) or None]
    return None


def _finding_data(f: Finding, baseline_file: str) -> list[Any]:
    ev = f.evidence
    return [
        f.status.value,
        f.severity.value,
        _text(f.area),
        _text(f.rule_id),
        _text(ev.kind) if ev is not None else "",
        _text(ev.record_id) if ev is not None else None,
        _text(finding_subject(f)) if ev is not None and ev.record_id is None else None,
        _text(ev.location()) if ev is not None else None,
        ev.row if ev is not None else None,
        _text(ev.pointer) if ev is not None else None,
        _text(f.message),
        _accepted_data(f, baseline_file),
        f.fingerprint,
    ]


def _data(value: Any) -> str:
    """``value`` as the data block's JSON: compact, ``< > &`` as ``\\u`` escapes, a lone surrogate (an
    undecodable byte in a file name) as its escape text. Each value is encoded alone, so the block's parts
    (its head, a chunk of rows) encode to the pieces of the whole."""
    try:
        encoded = orjson.dumps(value)
    except orjson.JSONEncodeError:  # a lone surrogate
        encoded = orjson.dumps(json_safe(value))
    return encoded.decode("utf-8").replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


#: Data rows encoded at a time.
_CHUNK = 1024


@dataclass(frozen=True, slots=True)
class _Listed:
    """The findings the page lists, most important first (:data:`ATTENTION`, then severity, then the
    findings' order), worked out from their statuses: each is made once, when it is written."""

    #: How many are listed (at most :data:`MAX_ROWS`).
    count: int
    #: Each listed rule's title, in the order the rules first come (the last one given, as a dict fills).
    titles: dict[str, str | None]
    #: What was left out: (status, severity, how many), the most important first.
    left_out: list[tuple[Status, Severity, int]]
    #: The listed findings, in order, made as they are read.
    findings: Iterator[Finding]


def _listed(findings: Sequence[Finding], runs: Sequence[FindingRun], cap: int) -> _Listed:
    """The first ``cap`` findings most important first: a run's findings of one attention class are one
    segment, already in the findings' order, so sorting the segments (stable, by run) sorts the findings."""
    keyed: list[tuple[int, int, int, FindingRun, Sequence[int]]] = []
    for n, run in enumerate(runs):
        statuses = run.statuses
        classes = sorted({ATTENTION[s] for s in set(statuses)})
        for c in classes:
            positions: Sequence[int] = (
                range(len(statuses)) if len(classes) == 1 else [i for i, s in enumerate(statuses) if ATTENTION[s] == c]
            )
            keyed.append((c, -run.severity.rank, n, run, positions))
    keyed.sort(key=lambda k: k[:3])
    lazy = isinstance(findings, Findings)
    blocks = findings.blocks if isinstance(findings, Findings) else ()
    room = cap
    chosen: list[tuple[FindingRun, Sequence[int]]] = []
    titles: dict[str, str | None] = {}
    for _, _, n, run, positions in keyed:
        if room <= 0:
            break
        taken = positions[:room]
        room -= len(taken)
        chosen.append((run, taken))
        titles[run.rule_id] = _text(blocks[n].title if lazy else findings[run.start].title)
    left: Counter[tuple[Status, Severity]] = Counter()
    if room <= 0:
        for run in runs:
            for s, k in Counter(run.statuses).items():  # at C speed: a rule's rows are mostly of one status
                left[(s, run.severity)] += k
        for run, taken in chosen:
            left.subtract((run.statuses[i], run.severity) for i in taken)
    left_out = sorted(
        ((s, sev, k) for (s, sev), k in left.items() if k > 0),
        key=lambda x: (ATTENTION[x[0]], -x[1].rank, STATUS_ORDER.index(x[0])),
    )
    indices = (run.start + i for run, taken in chosen for i in taken)
    made = findings.picked(indices) if isinstance(findings, Findings) else (findings[i] for i in indices)
    return _Listed(cap - max(room, 0), titles, left_out, made)


#: What a finding of each status is called in the page's note of what was left out.
_NOUN = {
    Status.ERROR: "error",
    Status.FAIL: "failure",
    Status.WAIVED: "waived failure",
    Status.BASELINED: "baselined failure",
    Status.SKIP: "skip",
    Status.PASS: "pass",
}


def _write_findings(result: RunResult, stream: ByteStream) -> None:
    """The findings section: filters from the findings' statuses, the first :data:`PAGE` rows as markup and
    the first :data:`MAX_ROWS` in the data block, the findings read once, each made as it is written."""
    findings = result.findings
    total = len(findings)
    runs = list(finding_runs(findings))
    # Every status is offered, so a shared link (#status=waived) means the same in every report.
    statuses = list(STATUS_ORDER)
    present = {run.severity for run in runs}
    severities = [s for s in reversed(Severity) if s in present]
    titles = {a.id: a.title for a in result.areas}
    review = {a.id: i for i, a in enumerate(result.areas)}
    areas = sorted({run.area for run in runs}, key=lambda a: (review.get(a, len(review)), a))
    rules = sorted({run.rule_id for run in runs})
    filters = (
        '<form id="filters" class="filters" role="search" autocomplete="off">'
        + _select("status", "Status", [(s.value, s.value) for s in statuses])
        + _select("severity", "Severity", [(s.value, s.value) for s in severities])
        + _select("area", "Area", [(a, f"{a} {titles.get(a, '')}".strip()) for a in areas])
        + _select("rule", "Rule", [(r, r) for r in rules])
        + '<label>Search<input type="search" name="q" id="f-q" placeholder="record, message, file..."></label>'
        + '<button type="reset">Reset</button></form>'
    )
    plan = _listed(findings, runs, MAX_ROWS)
    del runs
    count = plan.count
    listed = plan.findings
    baseline_file = result.baseline.file if result.baseline is not None else ""
    # Without a script the first page is there as markup; the script renders every page from the data block.
    page = list(islice(listed, PAGE))
    rows = "".join(_finding_row(f, baseline_file) for f in page)
    left_out = ", ".join(plural(k, f"{sev.value} {_NOUN[s]}") for s, sev, k in plan.left_out)
    more = (
        f'<p class="note" id="left-out">Only the {count} most important of {total} findings are in this page; '
        f"left out: {left_out}. The JSON and CSV reports list every finding (--format json, --format csv).</p>"
        if left_out
        else ""
    )
    order = (
        '<p class="note" id="order">Most important first: errors, then failures from critical to info, then '
        "waived and baselined failures, skips and passes, each most severe first and then by area in the "
        "review's order. Click a column's header to sort by it.</p>"
    )
    passed_note = (
        f'<p class="note">{result.summary.by_status["pass"]} passing findings are counted, not listed '
        "(run with --include-passed to list them).</p>"
        if not result.include_passed and result.summary.by_status["pass"]
        else ""
    )
    first = min(PAGE, count)
    shown = (
        f"{count} of {count} findings shown"
        if first == count
        else f"{count} of {count} findings match; the first {first} are listed"
    )
    headers = "".join(
        f'<th data-sort="{key}" aria-sort="none"><button type="button" class="sort">{label}</button></th>'
        for key, label in (
            ("status", "Status"),
            ("severity", "Severity"),
            ("area", "Area"),
            ("rule", "Rule"),
            ("record", "Record / group"),
            ("location", "Location"),
            ("message", "Message"),
        )
    )
    head = {
        "columns": {name: i for i, name in enumerate(_COLUMNS)},
        "rank": {
            "status": {s.value: i for i, s in enumerate(STATUS_ORDER)},
            "severity": {s.value: s.rank for s in Severity},
            "area": {a: i for i, a in enumerate(areas)},
        },
        # A rule's title once, not on every row: the block is most of the page's bytes.
        "titles": plan.titles,
    }
    stream.write(
        (
            f'<section id="findings"><h2>Findings ({total})</h2>{filters}'
            f'<p id="shown">{shown}</p>{more}{passed_note}{order}'
            f'<div class="scroll"><table id="findings-table"><thead><tr>{headers}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>"
            f'<button type="button" id="more" class="more"{"" if first < count else " hidden"}>'
            f'Show {PAGE} more</button><script type="application/json" id="findings-data">'
            # The data block's head is the dict without its closing brace; the rows follow a chunk at a time.
            + _data(head)[:-1]
            + ',"rows":['
        ).encode("utf-8")
    )
    data = (_finding_data(f, baseline_file) for f in chain(page, listed))
    written = False
    while chunk := list(islice(data, _CHUNK)):
        stream.write((("," if written else "") + _data(chunk)[1:-1]).encode("utf-8"))
        written = True
    # The page size, defined once: the markup's first page and the script's pages are the same size.
    stream.write(f'],"page":{PAGE}}}</script></section>'.encode())


_STATE_ORDER = {"expired": 0, "future": 1, "expiring": 2, "unused": 3, "active": 4}
_STATE_NOTE = {
    "active": "applied",
    "expiring": "applied; expires within the warning window: renew it, or fix the failure",
    "unused": "matched no failure: remove it, or correct its rule or records",
    "expired": "past its expiry: no longer applies, its failures count again",
    "future": "approved after the as-of date: not in force yet, its failures count",
}


def _waivers(result: RunResult) -> str:
    report = result.waivers
    if not report:
        return ""
    ordered = sorted(report, key=lambda w: (_STATE_ORDER.get(w.state, 9), w.waiver.expires.isoformat(), w.waiver.rule))
    rows = []
    for w in ordered:
        state = w.state
        waiver = w.waiver
        where = f"{waiver.file}:{waiver.line}" if waiver.line else waiver.file
        approved_on = waiver.approved_on.isoformat() if waiver.approved_on else ""
        rows.append(
            f'<tr data-state="{esc(state)}"><td class="ws-{esc(state)}" title="{esc(_STATE_NOTE.get(state, ""))}">'
            f"{esc(state)}</td><td><code>{esc(waiver.rule)}</code></td>"
            f'<td class="mono">{esc(", ".join(waiver.records))}</td><td class="mono nowrap">{esc(waiver.ticket)}</td>'
            f'<td>{esc(waiver.approved_by)}</td><td class="nowrap">{esc(approved_on)}</td>'
            f'<td class="nowrap">{esc(waiver.expires.isoformat())}</td><td class="num">{esc(w.days_left)}</td>'
            f'<td class="num">{esc(w.matched)}</td><td class="msg">{esc(waiver.reason)}</td>'
            f'<td class="mono">{esc(where)}</td></tr>'
        )
    applied = sum(1 for w in report if w.state in ("active", "expiring"))
    matched = sum(w.matched for w in report)
    return (
        f'<section id="waivers"><h2>Waivers ({len(report)})</h2>'
        f'<p class="note">{applied} of {len(report)} waivers applied to {matched} failures. Expired waivers no longer '
        "apply; unused ones matched no failure.</p>"
        '<table id="waivers-table"><thead><tr><th>State</th><th>Rule</th><th>Records</th><th>Ticket</th>'
        '<th>Approved by</th><th>Approved on</th><th>Expires</th><th class="num">Days left</th>'
        '<th class="num">Matched</th><th>Reason</th><th>Waiver</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _baseline(result: RunResult) -> str:
    report = result.baseline
    if report is None:
        return ""
    fixed = report.fixed
    summary = (
        f'<p id="baseline-summary"><span class="mono">{esc(report.file)}</span>: '
        f"{report.entries} known failures recorded; {report.matched} matched "
        f"(reported as baselined or waived), <strong>{report.new_failures} new</strong>, "
        f"{len(fixed)} fixed since the baseline.</p>"
    )
    table = ""
    if fixed:
        rows = "".join(
            f"<tr><td><code>{esc(e.get('rule_id'))}</code></td><td>{esc(e.get('severity') or '')}</td>"
            f'<td class="mono">{esc(subject_label(e.get("kind"), e.get("record_id"), e.get("group")))}</td>'
            f'<td class="msg">{esc(e.get("message") or "")}</td><td class="mono">{esc(e.get("fingerprint"))}</td></tr>'
            for e in fixed[:MAX_FIXED]
        )
        more = (
            f'<p class="note">Only the first {MAX_FIXED} of {len(fixed)} fixed entries are listed.</p>'
            if len(fixed) > MAX_FIXED
            else ""
        )
        table = (
            f"<details><summary>Fixed since the baseline ({len(fixed)}): refresh the baseline with "
            "<code>capcheck baseline create</code></summary>"
            '<table id="baseline-fixed"><thead><tr><th>Rule</th><th>Severity</th><th>Record / group</th>'
            f"<th>Message (when recorded)</th><th>Fingerprint</th></tr></thead><tbody>{rows}</tbody></table>"
            f"{more}</details>"
        )
    return f'<section id="baseline"><h2>Baseline</h2>{summary}{table}</section>'


def _notes(notes: Sequence[str]) -> str:
    """The loader's notes on a file, as a list under its source (nothing when there are none)."""
    if not notes:
        return ""
    return '<ul class="notes">' + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>"


def _evidence(result: RunResult) -> str:
    rows = "".join(
        f'<tr><td class="mono">{esc(e.path)}</td><td>{esc(e.format)}</td><td>{esc(e.kind)}</td>'
        f'<td class="num">{e.records}</td><td class="mono">{esc(e.sha256)}</td>'
        f"<td>{esc(e.source or '')}{_notes(e.notes)}</td><td>{esc(e.collected_on or '')}</td></tr>"
        for e in result.evidence
    )
    return (
        f'<section id="evidence"><h2>Evidence ({len(result.evidence)} files)</h2>'
        '<table id="evidence-table"><thead><tr><th>Path</th><th>Format</th><th>Kind</th><th class="num">Records</th>'
        "<th>SHA-256</th><th>Source</th><th>Collected on</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _reference(text: str) -> str:
    """A rule's reference: a link when it is an http(s) URL (opened without access to this page), else text."""
    if re.fullmatch(r"https?://[^\s<>\"']+", text):
        return f'<a href="{esc(text)}" rel="noopener noreferrer" target="_blank">{esc(text)}</a>'
    match = re.search(r"https?://[^\s<>\"']+", text)
    if match is None:
        return esc(text)
    url = match.group(0).rstrip(".,;:)")
    head, tail = text[: match.start()], text[match.start() + len(url) :]
    return f'{esc(head)}<a href="{esc(url)}" rel="noopener noreferrer" target="_blank">{esc(url)}</a>{esc(tail)}'


def _rule_row(info: RuleInfo) -> str:
    source = info.source
    parts = (source.name, source.version, source.path) if source is not None else ()
    src = " ".join(p for p in parts if p)
    detail = ""
    if info.description:
        refs = "".join(f"<li>{_reference(r)}</li>" for r in info.references)
        detail = (
            f"<details><summary>{esc(info.title)}</summary><p>{esc(info.description)}</p>"
            + (f"<p><strong>Why:</strong> {esc(info.rationale)}</p>" if info.rationale else "")
            + (f"<p><strong>Fix:</strong> {esc(info.remediation)}</p>" if info.remediation else "")
            + (f"<ul>{refs}</ul>" if refs else "")
            + "</details>"
        )
    title = detail or esc(info.title)
    severity = info.severity.value
    return (
        f"<tr><td><code>{esc(info.id)}</code></td><td>{title}</td><td>{esc(info.area)}</td>"
        f'<td class="sv-{esc(severity)}">{esc(severity)}</td>'
        f"<td>{esc(info.version)}</td><td>{esc(', '.join(info.kinds))}</td>"
        f'<td class="mono">{esc(src)}</td></tr>'
    )


def _rules(result: RunResult) -> str:
    rules = sorted(result.rules, key=lambda r: r.id)
    rows = "".join(_rule_row(r) for r in rules)
    return (
        f'<section id="rules"><h2>Rules that ran ({len(rules)})</h2>'
        '<table id="rules-table"><thead><tr><th>Id</th><th>Title</th><th>Area</th><th>Severity</th>'
        "<th>Version</th><th>Kinds</th><th>Source</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _timestamp(value: Any) -> str:
    return str(value.isoformat(timespec="seconds").replace("+00:00", "Z"))


def write_html(result: RunResult, options: RenderOptions, stream: ByteStream) -> None:
    """Write the result as one self-contained HTML page, the findings' data block a chunk at a time."""
    word = verdict_word(result)
    head = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CONTENT_SECURITY_POLICY)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<link rel="icon" href="data:,">'
        f"<title>capcheck report: {word} (as of {result.as_of.isoformat()})</title>"
        f"<style>{_CSS}</style></head>"
    )
    stream.write(
        (
            head + "<body><header><h1>capcheck report</h1>"
            f'<p class="meta">As of <strong>{result.as_of.isoformat()}</strong> \u00b7 capcheck '
            f"{esc(result.tool_version)} \u00b7 run {esc(_timestamp(result.started))} to "
            f"{esc(_timestamp(result.finished))}</p></header><main>" + _cards(result) + _chart(result)
        ).encode("utf-8")
    )
    _write_findings(result, stream)
    stream.write(
        (
            _waivers(result)
            + _baseline(result)
            + _evidence(result)
            + _rules(result)
            + '</main><footer><p class="note">Generated by capcheck. This page loads nothing from the network.</p>'
            f"</footer><script>{_JS}</script></body></html>\n"
        ).encode("utf-8")
    )


#: Render the result as one self-contained HTML page (the text :func:`write_html` writes).
render_html = render_by(write_html)


@hookimpl
def capcheck_reporters() -> Sequence[Reporter]:
    """The HTML reporter."""
    return [
        Reporter(
            name="html",
            render=render_html,
            write=write_html,
            description="self-contained offline HTML report with filters and charts",
            extension=".html",
        )
    ]
