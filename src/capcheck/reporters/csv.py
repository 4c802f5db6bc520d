"""The built-in CSV reporter: one row per finding, for spreadsheets and ad-hoc analysis.

Columns (in this order): ``rule_id, rule_version, status, severity, area, title, message, kind,
record_id, file, line, row, pointer, group, fingerprint, remediation, waiver_ticket, waiver_expires,
waiver_approved_by``. Empty cells mean "not applicable" (a group finding has no record id, a JSON
file has no CSV row, only a ``waived`` finding has a waiver).

Evidence values are untrusted. A cell that a spreadsheet would run as a formula (one starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading ``'``, so it is shown as text.
Quoting follows RFC 4180 (the csv module); lines end with ``\\n``; the file is UTF-8 without a BOM.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from capcheck.hookspecs import hookimpl
from capcheck.models import Finding, RunResult, Status
from capcheck.reporters import RenderOptions, Reporter

__all__ = ["COLUMNS", "neutralise", "render_csv"]

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

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """A cell as text that no spreadsheet will evaluate as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _row(f: Finding) -> list[str]:
    ev = f.evidence
    w = f.waiver if f.status is Status.WAIVED else None
    cells: list[object] = [
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
        w.get("ticket") if w else None,
        w.get("expires") if w else None,
        w.get("approved_by") if w else None,
    ]
    return [neutralise(c) for c in cells]


def render_csv(result: RunResult, options: RenderOptions) -> str:
    """Render one CSV row per finding (in the findings' order), after a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    writer.writerows(_row(f) for f in result.findings)
    return buffer.getvalue()


@hookimpl
def capcheck_reporters() -> Sequence[Reporter]:
    """The CSV reporter."""
    return [
        Reporter(
            name="csv",
            render=render_csv,
            description="one row per finding for spreadsheets (formula injection neutralised)",
            extension=".csv",
        )
    ]
