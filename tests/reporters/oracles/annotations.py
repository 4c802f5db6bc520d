"""The oracle: the annotations reporter helpers as it rendered before it streamed (main at b9f0b91), kept verbatim.

The streaming writer is held byte-identical to it (tests/reporters/test_streaming.py).

What the CI annotation formats (``github``, ``azure-devops``, ``gitlab``) report, and in which order.

A CI annotation is a failure someone should fix: ``fail`` and ``error`` findings only. Waived and
baselined failures are accepted, skips are not failures, passes are not problems: the other formats list
them. Annotations are ordered most important first (errors, then failures most severe first, then the
review order of areas, then the one order of findings), so that a runner that shows only the first few
shows the ones that matter; :func:`capped` keeps the first ``cap`` of each level and counts the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import groupby
from typing import NamedTuple

from capcheck.builtins.reporters.text import summary_line, verdict_line
from capcheck.core.escaping.ci import defuse
from capcheck.core.models import Finding, RunResult, Status
from capcheck.core.reporting import document_file, finding_subject
from capcheck.core.wording import plural

__all__ = ["Place", "annotated", "area_groups", "capped", "closing_lines", "place"]


def annotated(result: RunResult) -> list[Finding]:
    """The errors and failures of a result, most important first."""
    order = {a.id: (a.order, a.id) for a in result.areas}
    findings = [f for f in result.findings if f.status in (Status.ERROR, Status.FAIL)]
    return sorted(
        findings,
        key=lambda f: (f.status is not Status.ERROR, -f.severity.rank, order.get(f.area, (1000, f.area)), f.sort_key()),
    )


def capped(findings: Sequence[Finding], level: Callable[[Finding], str], cap: int) -> tuple[list[Finding], int]:
    """The first ``cap`` findings of each ``level`` (0: all), in order, and how many were left out."""
    if cap <= 0:
        return list(findings), 0
    seen: dict[str, int] = {}
    kept: list[Finding] = []
    for f in findings:
        lv = level(f)
        seen[lv] = seen.get(lv, 0) + 1
        if seen[lv] <= cap:
            kept.append(f)
    return kept, len(findings) - len(kept)


class Place(NamedTuple):
    """Where an annotation points: the file on disk and the line (None: the run, not a file), and what it is
    about for the message (the record; with the sheet and row for a workbook's sheet)."""

    file: str | None
    line: int | None
    subject: str


def place(f: Finding) -> Place:
    """Where a finding's annotation points. A spreadsheet's sheet (``register.xlsx!Assets``) is the workbook,
    a file the CI system can open, with the sheet and row named in the message instead of a line."""
    ev = f.evidence
    subject = finding_subject(f)
    if ev is None or ev.file is None:
        return Place(None, None, subject)
    path, part = document_file(ev.file)
    if part is not None:
        return Place(path, None, f"{subject} (sheet {part}, row {ev.line or '?'})")
    return Place(path, ev.line or 1, subject)


def _log_line(f: Finding) -> str:
    """A finding as a plain log line: it starts with ``- ``, so no runner reads it as a command."""
    ev = f.evidence
    where = ev.location() if ev is not None else "-"
    subject = defuse(finding_subject(f))
    return f"- {defuse(where)}: {defuse(f.rule_id)} {f.severity.value} {subject}: {defuse(f.message)}"


def area_groups(result: RunResult, findings: Sequence[Finding]) -> Iterator[tuple[str, list[str]]]:
    """Every finding as a plain log line, grouped per area in review order: (the group's title, its lines).

    The title is not escaped (each format escapes it for its group command); the lines are defused.
    """
    titles = {a.id: a.title for a in result.areas}
    order = {a.id: (a.order, a.id) for a in result.areas}
    for area, in_area in groupby(sorted(findings, key=lambda f: order.get(f.area, (1000, f.area))), lambda f: f.area):
        listed = list(in_area)
        title = f"{area} {titles.get(area, '')}".rstrip() + f": {plural(len(listed), 'failure')}"
        yield title, [_log_line(f) for f in listed]


def closing_lines(result: RunResult) -> list[str]:
    """The end of a CI log: the counts, the gate failures and the verdict, as the text report ends."""
    return [
        defuse(summary_line(result)),
        *(f"Gate: {defuse(message)}" for message in result.gate_failures),
        verdict_line(result, color=False),
    ]
