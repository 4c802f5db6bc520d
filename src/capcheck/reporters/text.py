"""The built-in text reporter: findings grouped by area, then severity, and a summary line.

Colour is used only when writing to a terminal (``RenderOptions.color``). Every value that comes
from evidence, waivers, the baseline or plugins goes through :func:`capcheck.escaping.terminal.terminal`:
control characters are shown (``␛[2J``), never obeyed, and each finding stays on one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import TYPE_CHECKING

from capcheck.escaping.terminal import terminal
from capcheck.hookspecs import hookimpl
from capcheck.models import Finding, RunResult, Severity, Status
from capcheck.reporters import RenderOptions, Reporter
from capcheck.wording import plural

if TYPE_CHECKING:  # annotations only: the result carries these
    from capcheck.criteria import CriterionResult
    from capcheck.scorecard import AreaScore, Scorecard
    from capcheck.waivers import WaiverState

__all__ = ["render_text"]

_STATUS_LABEL = {
    Status.FAIL: "FAIL",
    Status.ERROR: "ERROR",
    Status.SKIP: "SKIP",
    Status.PASS: "PASS",
}
_STATUS_COLOUR = {Status.FAIL: "31", Status.ERROR: "35", Status.SKIP: "33", Status.PASS: "32"}
_SEVERITY_COLOUR = {
    Severity.CRITICAL: "1;31",
    Severity.HIGH: "31",
    Severity.MEDIUM: "33",
    Severity.LOW: "36",
    Severity.INFO: "2",
}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _finding_line(f: Finding, color: bool) -> str:
    label = _paint(f"{_STATUS_LABEL.get(f.status, f.status.value.upper()):5}", _STATUS_COLOUR.get(f.status, "0"), color)
    where = ""
    if f.evidence is not None:
        ev = f.evidence
        loc = terminal(ev.location())
        if ev.record_id is not None:
            where = f"{loc} [{terminal(ev.record_id)}]"
        elif f.group is not None:
            where = f"{loc} [{terminal(ev.kind)}: {terminal(f.group)}]"
        else:
            where = loc
    return f"    {label} {terminal(f.rule_id)}  {where}: {terminal(f.message)}"


_LEVEL_COLOUR = {1: "31", 2: "33", 3: "36", 4: "32", 5: "1;32"}


_CRITERION_LABEL = {
    "achieved": "achieved",
    "partially-achieved": "partial",
    "not-achieved": "NOT ACHIEVED",
    "not-assessed": "not assessed",
}
#: The most profile gaps the text lists; the rest are counted.
_MAX_GAPS = 10
_CRITERION_COLOUR = {"achieved": "32", "partially-achieved": "33", "not-achieved": "31", "not-assessed": "2"}


def _scorecard_note(row: AreaScore) -> str:
    """Why an area's level is what it is: the binding cap, else the basis (with the figures)."""
    return row.cap or row.basis


def _scorecard_lines(card: Scorecard, color: bool) -> list[str]:
    out = [
        _paint("Scorecard", "1", color) + " (levels from framework criteria and evidence coverage; docs/scorecard.md)"
    ]
    out.append(f"  {'area':<7} {'level':<26} {'criteria A/P/N/-':>16}  {'rules':>5}  why")
    for row in card.rows:
        level = row.level
        label = terminal(f"{level} {row.name}" if level is not None else row.name)
        bar = ("#" * level + "." * (5 - level)) if level is not None else "-----"
        painted = _paint(f"{bar} {label:<20}", _LEVEL_COLOUR.get(level, "2") if level is not None else "2", color)
        counts = row.counts()
        crit = "/".join(
            str(counts.get(k, 0)) for k in ("achieved", "partially-achieved", "not-achieved", "not-assessed")
        )
        judged = f"{row.rules_judged}/{row.rules}"
        note = terminal(_scorecard_note(row))
        out.append(f"  {terminal(row.area):<7} {painted} {crit:>16}  {judged:>5}  {note}".rstrip())
    for flag in card.organisation.flags:
        out.append(f"  Organisation: {terminal(flag)} (caps every area at 2)")
    for note in card.notes:
        out.append(f"  Note: {terminal(note)}")
    org_type = card.organisation.type
    if org_type:
        gaps = card.gaps
        verdict = "met" if card.profile_met else f"not met: {len(gaps)} of {len(card.expected)} criteria below it"
        out.append(f"  Profile ({terminal(org_type)}): {verdict}")
        for gap in gaps[:_MAX_GAPS]:
            expected = gap.expected.value if gap.expected else None
            out.append(
                f"    gap {terminal(gap.ref)}: {gap.status.value}, expected {expected}"
                f" ({', '.join(gap.areas) or 'no area'})"
            )
        if len(gaps) > _MAX_GAPS:
            out.append(
                f"    ... and {len(gaps) - _MAX_GAPS} more gaps (the JSON, Markdown and HTML reports list them all)"
            )
    return out


def _criteria_lines(criteria: Sequence[CriterionResult], color: bool) -> list[str]:
    """The per-criterion view: each criterion's status with the rules and attestation behind it."""
    if not criteria:
        return []
    out = ["", _paint("Criteria", "1", color) + " (CAF-style roll-up of rules and attestations)"]
    for c in criteria:
        status = c.status.value
        label = _paint(f"{_CRITERION_LABEL.get(status, status):<12}", _CRITERION_COLOUR.get(status, "0"), color)
        behind = c.behind()
        title = terminal(c.title)[:50]
        out.append(f"  {label} {terminal(c.ref):<30} {title:<50} {terminal('; '.join(behind))}".rstrip())
    return out


_WAIVER_NOTE = {
    "expired": "expired on {expires}: it no longer applies",
    "unused": "matched no failure: remove it, or fix its rule or records",
    "expiring": "expires on {expires} ({days_left} days)",
}


def _waiver_lines(report: Sequence[WaiverState] | None, color: bool) -> list[str]:
    if not report:
        return []
    active = sum(1 for w in report if w.state in ("active", "expiring"))
    matched = sum(w.matched for w in report)
    out = [f"Waivers: {active} of {len(report)} applied to {plural(matched, 'failure')}"]
    for w in report:
        note = _WAIVER_NOTE.get(w.state)
        if note:
            label = _paint(f"{w.state:<8}", "33" if w.state != "expired" else "31", color)
            waiver = w.waiver
            where = f"{waiver.file}:{waiver.line}" if waiver.line else waiver.file
            text = note.format(expires=waiver.expires.isoformat(), days_left=w.days_left)
            out.append(
                f"  {label} {terminal(where)} {terminal(waiver.rule)} {terminal(waiver.ticket)}: {terminal(text)}"
            )
    return out


def _note_lines(result: RunResult, color: bool) -> list[str]:
    """What loaders said about their files (``Document.notes``), one line per note."""
    notes = [(e.path, note) for e in result.evidence for note in e.notes]
    if not notes:
        return []
    return ["", _paint("Notes", "1", color), *(f"  {terminal(path)}: {terminal(note)}" for path, note in notes)]


def render_text(result: RunResult, options: RenderOptions) -> str:
    """Render the result for people: grouped findings and a one-line summary."""
    color = options.color
    lines: list[str] = []
    records = sum(f.records for f in result.evidence)
    lines.append(
        f"capcheck {terminal(result.tool_version)} · as of {result.as_of.isoformat()} · "
        f"{plural(len(result.evidence), 'evidence file')}, {plural(records, 'record')} · "
        f"{plural(len(result.rules), 'rule')}"
    )
    titles = {a.id: a.title for a in result.areas}
    order = {a.id: (a.order, a.id) for a in result.areas}
    findings = sorted(result.findings, key=lambda f: (order.get(f.area, (1000, f.area)), f.sort_key()))
    for area, in_area in groupby(findings, key=lambda f: f.area):
        lines.append("")
        lines.append(_paint(terminal(f"{area}  {titles.get(area, '')}".rstrip()), "1", color))
        for severity, in_sev in groupby(in_area, key=lambda f: f.severity):
            lines.append("  " + _paint(severity.value, _SEVERITY_COLOUR[severity], color))
            lines.extend(_finding_line(f, color) for f in in_sev)
    scorecard = result.scorecard
    if scorecard is not None and scorecard.rows:
        lines.extend(_criteria_lines(scorecard.criteria, color))
        lines.append("")
        lines.extend(_scorecard_lines(scorecard, color))
    lines.extend(_note_lines(result, color))
    s = result.summary
    failed = s.by_status["fail"]
    by_sev = ", ".join(
        f"{s.by_severity[sev.value]} {sev.value}" for sev in reversed(Severity) if s.by_severity[sev.value]
    )
    lines.append("")
    lines.append(
        f"Summary: {failed} failed"
        + (f" ({by_sev})" if by_sev else "")
        + "".join(f", {s.by_status[k]} {k}" for k in ("waived", "baselined") if s.by_status.get(k))
        + f", {plural(s.by_status['error'], 'error')}, {s.by_status['skip']} skipped, {s.by_status['pass']} passed"
        + ("" if result.include_passed or not s.by_status["pass"] else " (use --include-passed to list them)")
    )
    lines.extend(_waiver_lines(result.waivers, color))
    baseline = result.baseline
    if baseline is not None:
        lines.append(
            f"Baseline {terminal(baseline.file)}: {plural(baseline.matched, 'known failure')} baselined, "
            f"{baseline.new_failures} new, {len(baseline.fixed)} fixed since the baseline"
        )
    code = result.exit_code
    threshold = result.fail_on.value if result.fail_on else "never"
    for message in result.gate_failures:
        lines.append(f"Gate: {terminal(message)}")
    if code == 2:
        verdict = _paint("INCOMPLETE", "35", color) + " - a rule raised an error; the check is incomplete (exit 2)"
    elif code == 1 and result.gate_failures:
        verdict = _paint("FAILED", "31", color) + " - an area is below its minimum maturity level (exit 1)"
    elif code == 1:
        verdict = _paint("FAILED", "31", color) + f" - failures at or above '{threshold}' (exit 1)"
    else:
        verdict = _paint("PASSED", "32", color) + f" - no failures at or above '{threshold}' (exit 0)"
    lines.append(f"Result: {verdict}")
    return "\n".join(lines) + "\n"


@hookimpl
def capcheck_reporters() -> Sequence[Reporter]:
    """The text reporter."""
    return [Reporter(name="text", render=render_text, description="grouped findings for people", extension=".txt")]
