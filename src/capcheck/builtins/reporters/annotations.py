"""What the CI annotation formats (``github``, ``azure-devops``, ``gitlab``) report, and in which order.

A CI annotation is a failure someone should fix: ``fail`` and ``error`` findings only. Waived and
baselined failures are accepted, skips are not failures, passes are not problems: the other formats list
them. Annotations are ordered most important first (errors, then failures most severe first, then the
review order of areas, then the one order of findings), so that a runner that shows only the first few
shows the ones that matter; :meth:`Annotated.capped` keeps the first ``cap`` of each level.

:class:`Annotated` works that order out from the findings' statuses (:func:`finding_runs`) before any
finding is made, so that the writers read a run's findings once and make only those they write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import NamedTuple

from capcheck.builtins.reporters.text import summary_line, verdict_line
from capcheck.core.escaping.ci import defuse
from capcheck.core.models import Finding, RunResult, Severity, Status
from capcheck.core.outcomes import Findings
from capcheck.core.reporting import FindingRun, cut_value, document_file, finding_runs, finding_subject
from capcheck.core.wording import plural

__all__ = ["Annotated", "Place", "Segment", "annotated", "closing_lines", "log_line", "place"]


def annotated(result: RunResult) -> list[Finding]:
    """The errors and failures of a result, most important first."""
    order = {a.id: (a.order, a.id) for a in result.areas}
    findings = [f for f in result.findings if f.status in (Status.ERROR, Status.FAIL)]
    return sorted(
        findings,
        key=lambda f: (f.status is not Status.ERROR, -f.severity.rank, order.get(f.area, (1000, f.area)), f.sort_key()),
    )


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
    subject = cut_value(finding_subject(f))
    if ev is None or ev.file is None:
        return Place(None, None, subject)
    path, part = document_file(ev.file)
    if part is not None:
        return Place(path, None, f"{subject} (sheet {part}, row {ev.line or '?'})")
    return Place(path, ev.line or 1, subject)


def log_line(f: Finding) -> str:
    """A finding as a plain log line: it starts with ``- ``, so no runner reads it as a command."""
    ev = f.evidence
    where = ev.location() if ev is not None else "-"
    subject, message = cut_value(finding_subject(f)), cut_value(f.message)
    line = f"- {where}: {f.rule_id} {f.severity.value} {subject}: {message}"
    # Most lines have nothing to defuse: defusing is per character and `##` cannot span the separators.
    if line.isprintable() and "##" not in line:
        return line
    return f"- {defuse(where)}: {defuse(f.rule_id)} {f.severity.value} {defuse(subject)}: {defuse(message)}"


def closing_lines(result: RunResult, unwritten: Sequence[str] = ()) -> list[str]:
    """The end of a CI log: the counts, the gate failures and the verdict, as the text report ends (``unwritten``:
    the outputs this run could not write, ``RenderOptions.unwritten``)."""
    return [
        defuse(summary_line(result)),
        *(f"Gate: {defuse(message)}" for message in result.gate_failures),
        verdict_line(result, color=False, unwritten=unwritten),
    ]


#: A level of annotation (``error``, ``warning``, ``notice``) from a finding's status and severity.
Level = Callable[[Status, Severity], str]


@dataclass(frozen=True, slots=True)
class Segment:
    """Consecutive annotated findings of one rule, status, severity and area: counted before any is made."""

    rule_id: str
    status: Status
    severity: Severity
    area: str
    #: How many findings.
    count: int
    #: The first ``n`` of them (None: all), made as they are read.
    made: Callable[[int | None], Iterator[Finding]]


def _run_segment(findings: Findings, start: int, positions: Sequence[int], status: Status, run: FindingRun) -> Segment:
    """A segment of a run's findings: those at ``positions`` (each of ``status``) in ``run``."""

    def made(n: int | None) -> Iterator[Finding]:
        chosen = positions if n is None else positions[:n]
        if not chosen:
            return iter(())
        low, high = chosen[0], chosen[-1] + 1
        if len(chosen) * 2 >= high - low:  # most of the span: one pass, the few others made and dropped
            span = findings.between(start + low, start + high)
            return span if len(chosen) == high - low else (f for f in span if f.status is status)
        return (findings[start + i] for i in chosen)

    return Segment(run.rule_id, status, run.severity, run.area, len(positions), made)


def _list_segment(listed: list[Finding]) -> Segment:
    """A segment of findings already made (a result built by hand)."""
    f = listed[0]
    return Segment(
        f.rule_id, f.status, f.severity, f.area, len(listed), lambda n: iter(listed if n is None else listed[:n])
    )


class Annotated:
    """The errors and failures of a result in :func:`annotated`'s order, as segments worked out from the
    findings' statuses: a run's findings are made only when a segment is read, each once.

    Findings that are not a run's lazy :class:`~capcheck.core.outcomes.Findings` (a result built by hand)
    are made and sorted by :func:`annotated` as they are."""

    def __init__(self, result: RunResult) -> None:
        order = {a.id: (a.order, a.id) for a in result.areas}
        self.area_key: Callable[[str], tuple[int, str]] = lambda area: order.get(area, (1000, area))
        self.result = result
        planned = self._planned(result.findings)
        #: Whether the findings are a run's, made from its rows (each fingerprint then names its rule).
        self.lazy = planned is not None
        self.segments = (
            planned
            if planned is not None
            else [_list_segment(list(g)) for _, g in groupby(annotated(result), _segment_of)]
        )
        self.total = sum(s.count for s in self.segments)

    def _planned(self, findings: Sequence[Finding]) -> list[Segment] | None:
        """The segments of a run's findings in order, or None when they cannot be ordered by rule alone."""
        if not isinstance(findings, Findings):
            return None
        keyed: list[tuple[tuple[bool, int, tuple[int, str], str], Sequence[int], Status, FindingRun]] = []
        for run in finding_runs(findings):
            statuses = run.statuses
            for status in (Status.ERROR, Status.FAIL):
                found = statuses.count(status)  # at C speed; a rule's rows are mostly of one status
                if not found:
                    continue
                positions: Sequence[int] = (
                    range(found) if found == len(statuses) else [i for i, s in enumerate(statuses) if s is status]
                )
                key = (status is not Status.ERROR, -run.severity.rank, self.area_key(run.area), run.rule_id)
                keyed.append((key, positions, status, run))
        keys = [k for k, *_ in keyed]
        if len(set(keys)) < len(keys):  # one rule in two blocks: its rows interleave, only a sort can tell
            return None
        # A rule's rows are in Finding.sort_key order, and the key above is that order's start: sorting the
        # segments by it is sorting the findings (stable, as `sorted` is over the findings' order).
        keyed.sort(key=lambda item: item[0])
        return [_run_segment(findings, run.start, positions, status, run) for _, positions, status, run in keyed]

    def findings(self) -> Iterator[Finding]:
        """Every annotated finding, in order, made as read."""
        for segment in self.segments:
            yield from segment.made(None)

    def capped(self, level: Level, cap: int) -> list[Finding]:
        """The first ``cap`` findings of each level (0: all), in order; ``total`` less their number were left out."""
        if cap <= 0:
            return list(self.findings())
        seen: dict[str, int] = {}
        kept: list[Finding] = []
        for segment in self.segments:
            lv = level(segment.status, segment.severity)
            room = cap - seen.get(lv, 0)
            if room > 0:
                kept.extend(segment.made(min(room, segment.count)))
                seen[lv] = seen.get(lv, 0) + min(room, segment.count)
        return kept

    def area_groups(self) -> Iterator[tuple[str, Iterator[str]]]:
        """Every annotated finding as a plain log line (:func:`log_line`), grouped per area in review order:
        (the group's title, its lines, made as read). The title is not escaped (each format escapes it for
        its group command); the lines are defused."""
        titles = {a.id: a.title for a in self.result.areas}
        in_order = sorted(self.segments, key=lambda s: self.area_key(s.area))  # stable: each area's in order
        for area, group in groupby(in_order, lambda s: s.area):
            segments = list(group)
            count = sum(s.count for s in segments)
            title = f"{area} {titles.get(area, '')}".rstrip() + f": {plural(count, 'failure')}"
            yield title, (log_line(f) for s in segments for f in s.made(None))


def _segment_of(f: Finding) -> tuple[str, Status, Severity, str]:
    return f.rule_id, f.status, f.severity, f.area
