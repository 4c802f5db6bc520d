"""The built-in CSV reporter: one row per finding, for spreadsheets and ad-hoc analysis.

Columns (in this order): ``rule_id, rule_version, status, severity, area, title, message, kind,
record_id, file, line, row, pointer, group, fingerprint, remediation, waiver_ticket, waiver_expires,
waiver_approved_by``. Empty cells mean "not applicable" (a group finding has no record id, a JSON
file has no CSV row, only a ``waived`` finding has a waiver).

Evidence values are untrusted: every cell goes through :func:`capcheck.core.escaping.csv.csv_line`, so a
cell a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, also after leading blanks or
quotes, or starting with a tab or carriage return) gets a leading ``'`` and is shown as text, and a
cell with a comma, quote, carriage return or line feed is quoted (RFC 4180). Lines end with ``\\n``;
the file is UTF-8 without a BOM.

A row depends on its finding alone, so one rule's rows can be written apart (:func:`csv_segment`, made by the
process of a split check that holds the rule's records) and copied into the file in their place.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from capcheck.core.escaping.csv import csv_line
from capcheck.core.hookspecs import hookimpl
from capcheck.core.models import Finding, RunResult, Status
from capcheck.core.outcomes import Findings, RuleOutcomes
from capcheck.core.reporting import ByteStream, RenderOptions, Reporter, block_findings, render_by, write_segment

__all__ = ["COLUMNS", "csv_segment", "render_csv", "write_csv"]

#: The reporter's name, under which a rule's block keeps its rows made elsewhere (``RuleOutcomes.segments``).
SEGMENT = "csv"

#: Rows encoded and written at a time: a run's findings are made as they are read, so the file is
#: written without holding them all (or their text) at once.
_CHUNK = 2048

#: The header row.
COLUMNS: tuple[str, ...] = (
    "rule_id",
    "rule_version",
    "status",
    "severity",
    "area",
    "title",
    "message",
    "kind",
    "record_id",
    "file",
    "line",
    "row",
    "pointer",
    "group",
    "fingerprint",
    "remediation",
    "waiver_ticket",
    "waiver_expires",
    "waiver_approved_by",
)


def _row(f: Finding) -> list[object]:
    ev = f.evidence
    w = f.waiver if f.status is Status.WAIVED else None
    return [
        f.rule_id,
        f.rule_version,
        f.status.value,
        f.severity.value,
        f.area,
        f.title,
        f.message,
        ev.kind if ev else None,
        ev.record_id if ev else None,
        ev.file if ev else None,
        ev.line if ev else None,
        ev.row if ev else None,
        ev.pointer if ev else None,
        f.group,
        f.fingerprint,
        f.remediation,
        w.ticket if w else None,
        w.expires.isoformat() if w else None,
        w.approved_by if w else None,
    ]


def write_csv(result: RunResult, options: RenderOptions, stream: ByteStream) -> None:
    """Write the header row, then one row per finding in the findings' order, a chunk at a time; a rule's rows
    made where its records are (``RuleOutcomes.segments``) are copied (in the kernel, into an output file)."""
    stream.write(csv_line(COLUMNS).encode("utf-8"))
    findings = result.findings
    if not isinstance(findings, Findings):
        _write_rows(findings, stream)
        return
    start = 0
    for block in findings.blocks:
        stop = start + block.size
        made = block.segments.get(SEGMENT)
        if made is None:
            _write_rows(findings.between(start, stop), stream)
        else:
            write_segment(stream, made)
        start = stop


def _write_rows(findings: Iterable[Finding], stream: ByteStream) -> None:
    rows = iter(findings)
    while chunk := list(islice(rows, _CHUNK)):
        stream.write(_rows(chunk))


def _rows(findings: Iterable[Finding]) -> bytes:
    return "".join(csv_line(_row(f)) for f in findings).encode("utf-8")


def csv_segment(findings: Findings, block: RuleOutcomes) -> Iterator[bytes]:
    """One rule's rows, as :func:`write_csv` writes them in the file, made apart (``Reporter.segment``), a chunk of
    rows at a time."""
    rows = block_findings(findings, block)
    while chunk := list(islice(rows, _CHUNK)):
        yield _rows(chunk)


#: Render one CSV row per finding (in the findings' order), after a header row (what :func:`write_csv` writes).
render_csv = render_by(write_csv)


@hookimpl
def capcheck_reporters() -> Sequence[Reporter]:
    """The CSV reporter."""
    return [
        Reporter(
            name="csv",
            render=render_csv,
            write=write_csv,
            segment=csv_segment,
            description="one row per finding for spreadsheets (formula injection neutralised)",
            extension=".csv",
        )
    ]
