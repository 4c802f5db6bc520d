"""The built-in Markdown reporter: a pull-request comment or GitHub job summary.

GitHub-flavoured Markdown: a headline result, a status-by-severity table, a per-area table, the
scorecard (when a scorecard has been computed) with its notes, the waivers that need attention (expiring, unused,
expired) and the baseline's matched / new / fixed counts, then the failures and errors most important
first (errors, then failures from critical to info, each by area in the review's order), capped at
:data:`MAX_LISTED` with what was left out counted by severity. Waived and baselined failures are
counted, and listed apart (collapsed), never among the failures to fix.

Evidence values (record ids, groups, messages) are untrusted:
:func:`capcheck.core.escaping.markdown.md_escape` neutralises Markdown and HTML in them, keeps them on
one line (so they cannot break a table), reveals control characters and stops ``@mentions``. The
whole report stays under ``RenderOptions.markdown_limit`` characters (``--markdown-limit``, default
65,000 against GitHub's 65,536): lists are shortened until it fits, each ending with a
"truncated: N more findings, see the full report" line (the scorecard's notes: "N more notes").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, islice, pairwise

from capcheck.core.escaping.markdown import fit_comment, md_escape, truncated_line
from capcheck.core.hookspecs import hookimpl
from capcheck.core.models import Finding, RunResult, Severity, Status
from capcheck.core.outcomes import Findings
from capcheck.core.reporting import (
    ATTENTION,
    ByteStream,
    FindingRun,
    FirstFew,
    RenderOptions,
    Reporter,
    finding_runs,
    finding_subject,
    scorecard_rows,
    subject_label,
    verdict_word,
)
from capcheck.core.wording import plural

__all__ = ["MAX_FIXED", "MAX_LISTED", "render_markdown", "write_markdown"]

#: The most failing findings listed; the rest are counted.
MAX_LISTED = 50
#: Longest message shown in full; longer ones are cut.
MAX_MESSAGE = 300
#: The most fixed baseline entries listed; the rest are counted.
MAX_FIXED = 20


def _code(value: str) -> str:
    """A trusted identifier (rule id, area id) in a code span."""
    return f"`{value}`"


#: The verdict's icon, by :func:`~capcheck.core.reporting.verdict_word`.
_ICON = {"PASSED": "\u2705", "FAILED": "\u274c", "INCOMPLETE": "\u26a0\ufe0f", "NOT JUDGED": "\u2754"}


def _headline(result: RunResult, unwritten: Sequence[str] = ()) -> list[str]:
    """The verdict and what it rests on; ``unwritten`` (``RenderOptions.unwritten``): the outputs the run could
    not write, which make it exit 2 whatever the checks found (the checks' verdict is said after them)."""
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
    if unwritten:
        names = ", ".join(md_escape(option) for option in unwritten)
        why = f"{plural(len(unwritten), 'output')} not written ({names}); the checks: {word}, {why}"
        code, word, icon = 2, "INCOMPLETE", _ICON["INCOMPLETE"]
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


def _counts_table(result: RunResult, listed: dict[tuple[str, str], int]) -> list[str]:
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


def _scorecard(result: RunResult, most: int) -> list[str]:
    """The scorecard table, then the organisation's flags, the scorecard's notes (at most ``most``, as the
    text report words and orders them) and the profile's verdict and gaps."""
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
    lines += _notes(card.notes, most, blank=bool(lines[-1]))
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


def _notes(notes: Sequence[str], most: int, blank: bool) -> list[str]:
    """The scorecard's notes (what an auditor must see beside the levels) as a list of at most ``most``,
    what was left out counted; ``blank`` puts a blank line before it."""
    if not notes:
        return []
    lines = [*([""] if blank else []), "**Notes:**", "", *(f"- {md_escape(n)}" for n in notes[:most])]
    if len(notes) > most:
        lines.append(
            f"- \u2026 truncated: {plural(len(notes) - most, 'more note')}, see the full report (`--format json`, "
            "`text` or `html`)."
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


#: What the findings of each status are called in the failures' headings and in the note of what was left out.
_NOUN = {Status.ERROR: "error", Status.FAIL: "failure"}


def _heading(status: Status, severity: Severity) -> str:
    """A group of the failures section: ``Critical failures``, ``Errors in high rules``."""
    if status is Status.ERROR:
        return f"Errors in {severity.value} rules"
    return f"{severity.value.capitalize()} failures"


def _failures(bad: _Few, counts: dict[tuple[str, str], int], most: int) -> list[str]:
    """The failures and errors, most important first (:data:`~capcheck.core.reporting.ATTENTION`, then
    severity; within one, the review's order of areas): a heading per status and severity, and what the cap
    left out counted by status and severity."""
    if not bad.count:
        return []
    lines = [
        f"### Failures and errors ({bad.count})",
        "",
        "_Most important first: errors, then failures from critical to info, each by area in the review's order._",
    ]
    current = None
    shown: Counter[tuple[Status, Severity]] = Counter()
    for f in bad.items[:most]:
        group = (f.status, f.severity)
        shown[group] += 1
        if group != current:
            current = group
            n = counts.get((f.status.value, f.severity.value), 0)
            lines += [
                "",
                f"#### {_heading(f.status, f.severity)} ({n})",
                "",
                "| Status | Severity | Rule | Location | Message |",
                "|---|---|---|---|---|",
            ]
        status = "**error**" if f.status is Status.ERROR else "fail"
        message = md_escape(f.message, MAX_MESSAGE)
        lines.append(f"| {status} | {f.severity.value} | {_code(f.rule_id)} | {_where(f)} | {message} |")
    if bad.count > most:
        left = [
            plural(n - shown[(status, sev)], f"{sev.value} {_NOUN[status]}")
            for status in (Status.ERROR, Status.FAIL)
            for sev in reversed(Severity)
            if (n := counts.get((status.value, sev.value), 0)) > shown[(status, sev)]
        ]
        lines += ["", f"{truncated_line(bad.count - most)} Left out: {', '.join(left)}."]
    return lines


_WAIVER_NOTE = {
    "expiring": "expires in {days_left} days: renew it through governance, or fix the failure",
    "unused": "matched no failure: remove it, or correct its rule or records",
    "expired": "expired {ago} days ago: it no longer applies, its failures count again",
    "future": "approved after the as-of date: not in force yet, its failures count",
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


def _accepted(accepted: _Few, most: int) -> list[str]:
    """Waived and baselined failures: counted, not to fix now; listed collapsed, for review."""
    if not accepted.count:
        return []
    lines = [
        f"<details><summary>Accepted failures: {accepted.count} waived or baselined (they do not fail the run)"
        "</summary>",
        "",
        "| Status | Severity | Rule | Location | Accepted by |",
        "|---|---|---|---|---|",
    ]
    for f in accepted.items[:most]:
        w = f.waiver
        if f.status is Status.WAIVED and w is not None:
            by = (
                f"waiver {md_escape(w.ticket, 80)} ({md_escape(w.approved_by, 80)}), "
                f"expires {md_escape(w.expires.isoformat(), 20)}"
            )
        else:
            by = "baseline"
        lines.append(f"| {f.status.value} | {f.severity.value} | {_code(f.rule_id)} | {_where(f)} | {by} |")
    if accepted.count > most:
        lines.append(f"| \u2026 | | | | truncated: {accepted.count - most} more findings, see the full report |")
    lines += ["", "</details>"]
    return lines


def _skips(skips: _Few, most: int) -> list[str]:
    if not skips.count:
        return []
    lines = [
        f"<details><summary>Skipped: {plural(skips.count, 'finding')} could not be evaluated</summary>",
        "",
        "| Rule | Location | Reason |",
        "|---|---|---|",
    ]
    for f in skips.items[:most]:
        lines.append(f"| {_code(f.rule_id)} | {_where(f)} | {md_escape(f.message, MAX_MESSAGE)} |")
    if skips.count > most:
        lines.append(f"| \u2026 | | truncated: {skips.count - most} more findings, see the full report |")
    lines += ["", "</details>"]
    return lines


@dataclass(frozen=True)
class _Few:
    """The first findings of a list (at most :data:`MAX_LISTED`, in the order listed), and how many it has."""

    items: list[Finding]
    count: int


@dataclass(frozen=True)
class _Listed:
    """What the report lists of the findings, gathered once: counts by (status, severity), the failures and
    errors (most important first: errors, then failures critical to info), the accepted failures (area by
    area) and the skips (in order)."""

    counts: dict[tuple[str, str], int]
    bad: _Few
    accepted: _Few
    skips: _Few


def _gather(result: RunResult) -> _Listed:
    """The counts from the findings' statuses. A run's findings are in area order, each area's in the one
    order, so the first of each list are found by their statuses and only they are made; other findings
    are read once, the first of each list kept."""
    order = {a.id: (a.order, a.id) for a in result.areas}
    findings = result.findings
    runs = list(finding_runs(findings))
    counts: dict[tuple[str, str], int] = {}
    for run in runs:
        for status, n in Counter(run.statuses).items():
            key = (status.value, run.severity.value)
            counts[key] = counts.get(key, 0) + n
    ranks = [order.get(run.area, (1000, run.area)) for run in runs]
    if isinstance(findings, Findings) and all(a <= b for a, b in pairwise(ranks)):
        return _from_statuses(findings, runs, counts)

    def area(f: Finding) -> tuple[int, str]:
        return order.get(f.area, (1000, f.area))

    bad: FirstFew[Finding] = FirstFew(
        MAX_LISTED, lambda f: (ATTENTION[f.status], -f.severity.rank, area(f), f.sort_key())
    )
    accepted: FirstFew[Finding] = FirstFew(MAX_LISTED, lambda f: (area(f), f.sort_key()))
    skips: FirstFew[Finding] = FirstFew(MAX_LISTED, lambda f: 0)  # the same key: in the findings' order
    for f in findings:
        status = f.status
        if status in (Status.FAIL, Status.ERROR):
            bad.add(f)
        elif status in _ACCEPTED:
            accepted.add(f)
        elif status is Status.SKIP:
            skips.add(f)
    return _Listed(counts, *(_Few(few.items(), few.count) for few in (bad, accepted, skips)))


_ACCEPTED = (Status.WAIVED, Status.BASELINED)


def _from_statuses(findings: Findings, runs: Sequence[FindingRun], counts: dict[tuple[str, str], int]) -> _Listed:
    """:func:`_gather` for a run's findings: the indices of the first of each list from the statuses."""
    most = MAX_LISTED
    accepted: list[int] = []
    skips: list[int] = []
    # A run's failures (or errors) are one segment in the findings' order, and the runs come area by area:
    # sorting the segments (stable) by status and severity lists the failures most important first.
    segments: list[tuple[int, int, int, list[int]]] = []
    for n, run in enumerate(runs):
        start = run.start
        failures: list[int] = []
        errors: list[int] = []
        for k, status in enumerate(run.statuses):
            if status is Status.FAIL:
                if len(failures) < most:  # no more of one segment can be listed
                    failures.append(start + k)
            elif status is Status.ERROR:
                if len(errors) < most:
                    errors.append(start + k)
            elif status in _ACCEPTED:
                if len(accepted) < most:
                    accepted.append(start + k)
            elif status is Status.SKIP and len(skips) < most:
                skips.append(start + k)
        rank = -run.severity.rank
        segments += [(ATTENTION[s], rank, n, ix) for s, ix in ((Status.ERROR, errors), (Status.FAIL, failures)) if ix]
    segments.sort(key=lambda seg: seg[:3])
    bad = list(islice(chain.from_iterable(ix for *_, ix in segments), most))

    def total(*statuses: Status) -> int:
        return sum(n for (status, _), n in counts.items() if status in {s.value for s in statuses})

    return _Listed(
        counts,
        _Few(list(findings.picked(bad)), total(Status.FAIL, Status.ERROR)),
        _Few(list(findings.picked(accepted)), total(*_ACCEPTED)),
        _Few(list(findings.picked(skips)), total(Status.SKIP)),
    )


def render_markdown(result: RunResult, options: RenderOptions) -> str:
    """Render the result as a GitHub-flavoured Markdown report, under ``options.markdown_limit`` characters."""
    listed = _gather(result)
    unwritten = options.unwritten
    return fit_comment(lambda most: _render(result, listed, most, unwritten), MAX_LISTED, options.markdown_limit)


def write_markdown(result: RunResult, options: RenderOptions, stream: ByteStream) -> None:
    """Write the Markdown report (at most ``options.markdown_limit`` characters: it is made whole, then
    written; the findings are read once, not once per list and per attempt to fit)."""
    stream.write(render_markdown(result, options).encode("utf-8"))


def _render(result: RunResult, listed: _Listed, most: int, unwritten: Sequence[str] = ()) -> str:
    """The report listing at most ``most`` items per list (fixed baseline entries: at most :data:`MAX_FIXED`)."""
    lines = _headline(result, unwritten)
    if result.gate_failures:
        lines += ["", *(f"- **Gate:** {md_escape(m, MAX_MESSAGE)}" for m in result.gate_failures)]
    lines += ["", "### Findings by severity", "", *_counts_table(result, listed.counts)]
    areas = _area_table(result)
    if areas:
        lines += ["", "### By capability area", "", *areas]
    card = _scorecard(result, most)
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
    failures = _failures(listed.bad, listed.counts, most)
    if failures:
        lines += ["", *failures]
    accepted = _accepted(listed.accepted, most)
    if accepted:
        lines += ["", *accepted]
    skips = _skips(listed.skips, most)
    if skips:
        lines += ["", *skips]
    if not result.include_passed and result.summary.by_status["pass"]:
        lines += ["", f"_{result.summary.by_status['pass']} passing findings are counted, not listed._"]
    return "\n".join(lines) + "\n"


@hookimpl
def capcheck_reporters() -> Sequence[Reporter]:
    """The Markdown reporter."""
    return [
        Reporter(
            name="markdown",
            render=render_markdown,
            write=write_markdown,
            description="GitHub-flavoured Markdown for PR comments and job summaries",
            extension=".md",
        )
    ]
