"""The oracle: the markdown reporter as it rendered before it streamed (main at 372a027), kept verbatim.

The streaming writer is held byte-identical to it (tests/reporters/test_streaming.py). Changed since, as the
writer was: the failures and errors are listed most important first (errors, then failures critical to info;
within one, by area in the review's order), headed by status and severity, and the cap's note counts what it
left out by severity (branch mdorder).

The built-in Markdown reporter: a pull-request comment or GitHub job summary.

GitHub-flavoured Markdown: a headline result, a status-by-severity table, a per-area table, the
scorecard (when a scorecard has been computed), the waivers that need attention (expiring, unused,
expired) and the baseline's matched / new / fixed counts, then the failures and errors grouped by
area, capped at :data:`MAX_LISTED`. Waived and baselined failures are counted, and listed apart
(collapsed), never among the failures to fix.

Evidence values (record ids, groups, messages) are untrusted:
:func:`capcheck.core.escaping.markdown.md_escape` neutralises Markdown and HTML in them, keeps them on
one line (so they cannot break a table), reveals control characters and stops ``@mentions``. The
whole report stays under ``RenderOptions.markdown_limit`` characters (``--markdown-limit``, default
65,000 against GitHub's 65,536): lists are shortened until it fits, each ending with a
"truncated: N more findings, see the full report" line.
"""

from __future__ import annotations

from collections import Counter

from capcheck.core.escaping.markdown import fit_comment, md_escape, truncated_line
from capcheck.core.models import Finding, RunResult, Severity, Status
from capcheck.core.reporting import RenderOptions, finding_subject, scorecard_rows, subject_label, verdict_word
from capcheck.core.wording import plural

__all__ = ["MAX_FIXED", "MAX_LISTED", "render_markdown"]

#: The most failing findings listed; the rest are counted.
MAX_LISTED = 50
#: Longest message shown in full; longer ones are cut.
MAX_MESSAGE = 300
#: The most fixed baseline entries listed; the rest are counted.
MAX_FIXED = 20


def _code(value: str) -> str:
    """A trusted identifier (rule id, area id) in a code span."""
    return f"`{value}`"


_ICON = {"PASSED": "\u2705", "FAILED": "\u274c", "INCOMPLETE": "\u26a0\ufe0f", "NOT JUDGED": "\u2754"}


def _headline(result: RunResult) -> list[str]:
    code = result.exit_code
    word = verdict_word(result)
    icon = _ICON[word]
    threshold = result.fail_on.value if result.fail_on else "never"
    s = result.summary.by_status
    if code == 2:
        why = f"{plural(s['error'], 'rule error')}: the check is incomplete"
    elif code == 1 and result.gate_failures:
        why = "an area is below its minimum maturity level"
    elif code == 1:
        why = f"failures at or above **{threshold}**"
    elif word == "NOT JUDGED":
        why = f"no rule judged any record ({s['skip']} skipped: no evidence they could judge)"
    elif result.fail_on is None:
        why = "**--fail-on never**: failures are reported, none fails the run"
    else:
        why = f"no failures at or above **{threshold}**"
    accepted = [f"{s[k]} {k}" for k in ("waived", "baselined") if s.get(k)]
    if accepted:
        why += f"; {' and '.join(accepted)} accepted"
    records = sum(e.records for e in result.evidence)
    return [
        f"## {icon} capcheck: {word}",
        "",
        f"{why} (exit {code}). capcheck {md_escape(result.tool_version)}, as of {result.as_of.isoformat()}: "
        f"{plural(len(result.rules), 'rule')} over {plural(len(result.evidence), 'evidence file')} "
        f"({plural(records, 'record')}).",
    ]


#: The status columns of the count tables, in order.
_TABLE_STATUSES = (Status.FAIL, Status.WAIVED, Status.BASELINED, Status.ERROR, Status.SKIP, Status.PASS)
_STATUS_HEADING = {
    Status.FAIL: "Failed",
    Status.WAIVED: "Waived",
    Status.BASELINED: "Baselined",
    Status.ERROR: "Errors",
    Status.SKIP: "Skipped",
    Status.PASS: "Passed",
}


def _counts_table(result: RunResult) -> list[str]:
    listed: dict[tuple[str, str], int] = {}
    for f in result.findings:
        key = (f.status.value, f.severity.value)
        listed[key] = listed.get(key, 0) + 1
    statuses = _TABLE_STATUSES
    lines = [
        "| Severity | " + " | ".join(_STATUS_HEADING[st] for st in statuses) + " |",
        "|---|" + "--:|" * len(statuses),
    ]
    for sev in reversed(Severity):
        cells = []
        for st in statuses:
            if st is Status.PASS and not result.include_passed:
                cells.append("\u2013")
            else:
                cells.append(str(listed.get((st.value, sev.value), 0)))
        lines.append(f"| {sev.value} | " + " | ".join(cells) + " |")
    total = [f"**{result.summary.by_status[st.value]}**" for st in statuses]
    lines.append("| **total** | " + " | ".join(total) + " |")
    return lines


def _area_table(result: RunResult) -> list[str]:
    titles = {a.id: a.title for a in result.areas}
    order = {a.id: (a.order, a.id) for a in result.areas}
    by_area = result.summary.by_area
    if not by_area:
        return []
    lines = [
        "| Area | " + " | ".join(_STATUS_HEADING[st] for st in _TABLE_STATUSES) + " |",
        "|---|" + "--:|" * len(_TABLE_STATUSES),
    ]
    for area in sorted(by_area, key=lambda a: order.get(a, (1000, a))):
        c = by_area[area]
        name = f"{_code(area)} {md_escape(titles.get(area, ''))}".rstrip()
        lines.append(f"| {name} | " + " | ".join(str(c.get(st.value, 0)) for st in _TABLE_STATUSES) + " |")
    return lines


_CRITERIA_KEYS = ("achieved", "partially-achieved", "not-achieved", "not-assessed")


def _scorecard(result: RunResult) -> list[str]:
    rows = scorecard_rows(result)
    if not rows:
        return []
    lines = ["| Area | Level | Name | Criteria A/P/N/\u2013 | Rules judged | Why |", "|---|---|---|---|---|---|"]
    unruled = [r for r in rows if r.status == "no-rules"]
    for r in rows:
        if r.status == "no-rules":
            continue
        area = md_escape(r.area, 40)
        if r.title:
            area += f" {md_escape(r.title, 80)}"
        counts = r.counts()
        crit = "/".join(str(counts.get(k, 0)) for k in _CRITERIA_KEYS)
        cells = [
            area,
            "\u2013" if r.level is None else md_escape(r.level, 20),
            md_escape(r.name, 80),
            crit,
            f"{r.rules_judged}/{r.rules}",
            md_escape(r.cap or r.basis, MAX_MESSAGE),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if unruled:
        names = ", ".join(md_escape(r.area, 40) for r in unruled)
        lines += ["", f"_No rules ran for {names}._"]
    card = result.scorecard
    if card is None:
        return lines
    lines += [""] + [
        f"- **Organisation:** {md_escape(f, MAX_MESSAGE)} (caps every area at 2)" for f in card.organisation.flags
    ]
    org_type = card.organisation.type
    if org_type:
        gaps = card.gaps
        verdict = "met" if card.profile_met else f"not met ({len(gaps)} gaps: the improvement plan starts here)"
        lines += ["", f"**Profile ({md_escape(org_type, 40)}):** {verdict}"]
        if gaps:
            lines += ["", "| Criterion | Title | Expected | Status | Areas |", "|---|---|---|---|---|"]
            for g in gaps:
                expected = g.expected.value if g.expected else None
                lines.append(
                    f"| {md_escape(g.ref, 60)} | {md_escape(g.title, 120)} | {md_escape(expected, 30)} "
                    f"| {md_escape(g.status.value, 30)} | {md_escape(', '.join(g.areas), 120)} |"
                )
    return lines


def _criteria(result: RunResult, most: int) -> list[str]:
    """The per-criterion view, collapsed: status, rules and attestation behind each criterion (at most ``most``)."""
    criteria = result.scorecard.criteria if result.scorecard is not None else ()
    if not criteria:
        return []
    lines = [
        f"<details><summary>Criteria ({len(criteria)}), rolled up CAF-style</summary>",
        "",
        "| Criterion | Title | Status | Behind it |",
        "|---|---|---|---|",
    ]
    for c in criteria[:most]:
        behind = c.behind()
        lines.append(
            f"| {md_escape(c.ref, 60)} | {md_escape(c.title, 120)} | {md_escape(c.status.value, 30)} "
            f"| {md_escape('; '.join(behind), MAX_MESSAGE)} |"
        )
    if len(criteria) > most:
        lines.append(f"| \u2026 | | | truncated: {len(criteria) - most} more criteria, see the full report |")
    return [*lines, "", "</details>"]


def _where(f: Finding) -> str:
    ev = f.evidence
    if ev is None:
        return ""
    parts = [md_escape(ev.location(), 200)]
    if ev.record_id is not None or f.group is not None:
        parts.append(md_escape(finding_subject(f), 120))
    return " \u00b7 ".join(parts)


_ATTENTION = {"error": 0, "fail": 1}
_NOUN = {"error": "error", "fail": "failure"}


def _failures(result: RunResult, most: int) -> list[str]:
    order = {a.id: (a.order, a.id) for a in result.areas}
    bad = [f for f in result.findings if f.status in (Status.FAIL, Status.ERROR)]
    if not bad:
        return []
    bad.sort(
        key=lambda f: (
            _ATTENTION[f.status.value],
            -f.severity.rank,
            order.get(f.area, (1000, f.area)),
            f.sort_key(),
        )
    )
    groups = Counter((f.status.value, f.severity.value) for f in bad)
    lines = [
        f"### Failures and errors ({len(bad)})",
        "",
        "_Most important first: errors, then failures from critical to info, each by area in the review's order._",
    ]
    current = None
    for f in bad[:most]:
        group = (f.status.value, f.severity.value)
        if group != current:
            current = group
            heading = (
                f"Errors in {f.severity.value} rules"
                if f.status is Status.ERROR
                else f"{f.severity.value.capitalize()} failures"
            )
            lines += [
                "",
                f"#### {heading} ({groups[group]})",
                "",
                "| Status | Severity | Rule | Location | Message |",
                "|---|---|---|---|---|",
            ]
        status = "**error**" if f.status is Status.ERROR else "fail"
        message = md_escape(f.message, MAX_MESSAGE)
        lines.append(f"| {status} | {f.severity.value} | {_code(f.rule_id)} | {_where(f)} | {message} |")
    if len(bad) > most:
        left = Counter((f.status.value, f.severity.value) for f in bad[most:])
        named = ", ".join(
            f"{n} {sev} {_NOUN[st]}{'' if n == 1 else 's'}"
            for (st, sev), n in sorted(left.items(), key=lambda x: (_ATTENTION[x[0][0]], -Severity(x[0][1]).rank))
        )
        lines += ["", f"{truncated_line(len(bad) - most)} Left out: {named}."]
    return lines


_WAIVER_NOTE = {
    "expiring": "expires in {days_left} days: renew it through governance, or fix the failure",
    "unused": "matched no failure: remove it, or correct its rule or records",
    "expired": "expired {ago} days ago: it no longer applies, its failures count again",
}


def _waivers(result: RunResult, most: int) -> list[str]:
    """The waiver report: one summary line, then the waivers that need attention."""
    report = result.waivers
    if not report:
        return []
    applied = sum(1 for w in report if w.state in ("active", "expiring"))
    matched = sum(w.matched for w in report)
    states = {state: sum(1 for w in report if w.state == state) for state in _WAIVER_NOTE}
    lines = [
        "### Waivers",
        "",
        f"{applied} of {plural(len(report), 'waiver')} applied to {plural(matched, 'failure')}"
        + "".join(f"; {n} {state}" for state, n in states.items() if n)
        + ".",
    ]
    attention = [w for w in report if w.state in _WAIVER_NOTE]
    if not attention:
        return lines
    order = list(_WAIVER_NOTE)
    attention.sort(key=lambda w: (order.index(w.state), w.waiver.expires.isoformat(), w.waiver.rule))
    lines += [
        "",
        "| State | Rule | Records | Ticket | Approved by | Expires | Reason | Waiver | Note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for w in attention[:most]:
        days = w.days_left
        note = _WAIVER_NOTE[w.state].format(days_left=days, ago=-days)
        waiver = w.waiver
        where = f"{waiver.file}:{waiver.line}" if waiver.line else waiver.file
        cells = [
            f"**{w.state}**",
            md_escape(waiver.rule, 20),
            md_escape(", ".join(waiver.records), 120),
            md_escape(waiver.ticket, 80),
            md_escape(waiver.approved_by, 80),
            md_escape(waiver.expires.isoformat(), 20),
            md_escape(waiver.reason, MAX_MESSAGE),
            md_escape(where, 200),
            note,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if len(attention) > most:
        lines += ["", f"\u2026 truncated: {len(attention) - most} more waivers, see the full report."]
    return lines


def _baseline(result: RunResult, most: int) -> list[str]:
    """The baseline line: matched, new and fixed, then the fixed entries (capped, collapsed)."""
    report = result.baseline
    if report is None:
        return []
    fixed = report.fixed
    lines = [
        f"**Baseline** {md_escape(report.file, 200)}: "
        f"{plural(report.matched, 'known failure')} matched, "
        f"{report.new_failures} new, {len(fixed)} fixed since the baseline "
        f"({report.entries} in the file)."
    ]
    if fixed:
        lines += [
            "",
            f"<details><summary>Fixed since the baseline: {len(fixed)} (remove them with "
            "<code>capcheck baseline create</code>)</summary>",
            "",
            "| Rule | Record / group | Message |",
            "|---|---|---|",
        ]
        for e in fixed[:most]:
            key = subject_label(e.get("kind"), e.get("record_id"), e.get("group"))
            rule = md_escape(e.get("rule_id"), 20)
            lines.append(f"| {rule} | {md_escape(key, 120)} | {md_escape(e.get('message'), MAX_MESSAGE)} |")
        if len(fixed) > most:
            lines.append(f"| \u2026 | | truncated: {len(fixed) - most} more, see the full report |")
        lines += ["", "</details>"]
    return lines


def _accepted(result: RunResult, most: int) -> list[str]:
    """Waived and baselined failures: counted, not to fix now; listed collapsed, for review."""
    order = {a.id: (a.order, a.id) for a in result.areas}
    accepted = [f for f in result.findings if f.status in (Status.WAIVED, Status.BASELINED)]
    if not accepted:
        return []
    accepted.sort(key=lambda f: (order.get(f.area, (1000, f.area)), f.sort_key()))
    lines = [
        f"<details><summary>Accepted failures: {len(accepted)} waived or baselined (they do not fail the run)"
        "</summary>",
        "",
        "| Status | Severity | Rule | Location | Accepted by |",
        "|---|---|---|---|---|",
    ]
    for f in accepted[:most]:
        w = f.waiver
        if f.status is Status.WAIVED and w is not None:
            by = (
                f"waiver {md_escape(w.ticket, 80)} ({md_escape(w.approved_by, 80)}), "
                f"expires {md_escape(w.expires.isoformat(), 20)}"
            )
        else:
            by = "baseline"
        lines.append(f"| {f.status.value} | {f.severity.value} | {_code(f.rule_id)} | {_where(f)} | {by} |")
    if len(accepted) > most:
        lines.append(f"| \u2026 | | | | truncated: {len(accepted) - most} more findings, see the full report |")
    lines += ["", "</details>"]
    return lines


def _skips(result: RunResult, most: int) -> list[str]:
    skips = [f for f in result.findings if f.status is Status.SKIP]
    if not skips:
        return []
    lines = [
        f"<details><summary>Skipped: {plural(len(skips), 'finding')} could not be evaluated</summary>",
        "",
        "| Rule | Location | Reason |",
        "|---|---|---|",
    ]
    for f in skips[:most]:
        lines.append(f"| {_code(f.rule_id)} | {_where(f)} | {md_escape(f.message, MAX_MESSAGE)} |")
    if len(skips) > most:
        lines.append(f"| \u2026 | | truncated: {len(skips) - most} more findings, see the full report |")
    lines += ["", "</details>"]
    return lines


def render_markdown(result: RunResult, options: RenderOptions) -> str:
    """Render the result as a GitHub-flavoured Markdown report, under ``options.markdown_limit`` characters."""
    return fit_comment(lambda most: _render(result, most), MAX_LISTED, options.markdown_limit)


def _render(result: RunResult, most: int) -> str:
    """The report listing at most ``most`` items per list (fixed baseline entries: at most :data:`MAX_FIXED`)."""
    lines = _headline(result)
    if result.gate_failures:
        lines += ["", *(f"- **Gate:** {md_escape(m, MAX_MESSAGE)}" for m in result.gate_failures)]
    lines += ["", "### Findings by severity", "", *_counts_table(result)]
    areas = _area_table(result)
    if areas:
        lines += ["", "### By capability area", "", *areas]
    card = _scorecard(result)
    if card:
        lines += ["", "### Scorecard", "", *card]
    criteria = _criteria(result, most)
    if criteria:
        lines += ["", *criteria]
    waivers = _waivers(result, most)
    if waivers:
        lines += ["", *waivers]
    baseline = _baseline(result, min(most, MAX_FIXED))
    if baseline:
        lines += ["", *baseline]
    failures = _failures(result, most)
    if failures:
        lines += ["", *failures]
    accepted = _accepted(result, most)
    if accepted:
        lines += ["", *accepted]
    skips = _skips(result, most)
    if skips:
        lines += ["", *skips]
    if not result.include_passed and result.summary.by_status["pass"]:
        lines += ["", f"_{result.summary.by_status['pass']} passing findings are counted, not listed._"]
    return "\n".join(lines) + "\n"
