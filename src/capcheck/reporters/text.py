"""The built-in text reporter: findings grouped by area, then severity, and a summary line.

Colour is used only when writing to a terminal (``RenderOptions.color``). Every value that comes
from evidence, waivers, the baseline or plugins goes through :func:`capcheck.escaping.terminal.terminal`:
control characters are shown (``␛[2J``), never obeyed, and each finding stays on one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from capcheck.escaping.terminal import terminal
from capcheck.hookspecs import hookimpl
from capcheck.models import Finding, RunResult, Severity, Status
from capcheck.reporters import RenderOptions, Reporter

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


def _scorecard_lines(rows: list[dict[str, object]], color: bool) -> list[str]:
    out = [_paint("Maturity scorecard", "1", color)]
    out.append(f"  {'area':<7} {'level':<22} {'score':>6}  {'rules':>5}  {'fail':>5}  {'pass':>5}  {'skip':>5}  note")
    for row in rows:
        level = row["level"]
        label = terminal(f"{level} {row['name']}" if level is not None else row["name"])
        bar = ("#" * int(level) + "." * (5 - int(level))) if isinstance(level, int) else "-----"
        painted = _paint(f"{bar} {label:<16}", _LEVEL_COLOUR.get(level, "2") if isinstance(level, int) else "2", color)
        score = f"{row['score']:.2f}" if isinstance(row["score"], float | int) else "-"
        judged = f"{row['rules_judged']}/{row['rules']}"
        note = terminal(row["cap"] or "")
        out.append(
            f"  {terminal(row['area']):<7} {painted} {score:>6}  {judged:>5}  {row['failed']:>5}  {row['passed']:>5}  "
            f"{row['skipped']:>5}  {note}".rstrip()
        )
    return out


_WAIVER_NOTE = {
    "expired": "expired on {expires}: it no longer applies",
    "unused": "matched no failure: remove it, or fix its rule or records",
    "expiring": "expires on {expires} ({days_left} days)",
}


def _waiver_lines(report: list[dict[str, object]] | None, color: bool) -> list[str]:
    if not report:
        return []
    active = sum(1 for w in report if w["state"] in ("active", "expiring"))
    out = [f"Waivers: {active} of {len(report)} applied to {sum(int(str(w['matched'])) for w in report)} failures"]
    for w in report:
        note = _WAIVER_NOTE.get(str(w["state"]))
        if note:
            label = _paint(f"{w['state']:<8}", "33" if w["state"] != "expired" else "31", color)
            where = f"{w['file']}:{w['line']}" if w.get("line") else w["file"]
            text = note.format(expires=w["expires"], days_left=w["days_left"])
            out.append(f"  {label} {terminal(where)} {terminal(w['rule'])} {terminal(w['ticket'])}: {terminal(text)}")
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
        f"{len(result.evidence)} evidence files, {records} records · {len(result.rules)} rules"
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
    scorecard = result.extras.get("scorecard")
    if scorecard:
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
        + f", {s.by_status['error']} errors, {s.by_status['skip']} skipped, {s.by_status['pass']} passed"
        + ("" if result.include_passed or not s.by_status["pass"] else " (use --include-passed to list them)")
    )
    lines.extend(_waiver_lines(result.extras.get("waivers"), color))
    baseline = result.extras.get("baseline")
    if baseline:
        lines.append(
            f"Baseline {terminal(baseline['file'])}: {baseline['matched']} known failures baselined, "
            f"{baseline['new_failures']} new, {len(baseline['fixed'])} fixed since the baseline"
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
