"""NHS DSPT status exports (the portal's published status list, as CSV) read as ``dspt-assessments``.

The Data Security and Protection Toolkit portal publishes each organisation's status as a table:
``Code`` (the ODS code), ``Organisation Name``, ``Status`` ("22/23 Standards Met", "Not Published"),
``Date Of Publication`` (dd/mm/yyyy), ``Primary Sector`` and, in NHS England's snapshots, an
unnamed index column, the integrated care board and map coordinates. No ``id`` column, UK dates and
an edition inside the status text: the plain CSV loader cannot read it, so this loader claims such a
file by its header (whatever the file is called) and maps each row to one record:

* ``id`` and ``org_code``: the ODS code; ``organisation``: the name; ``org_type`` from the sector;
* ``status`` ("standards-met" ...) and ``edition`` ("22/23") split from the status text, which is
  kept whole in ``status_text``; ``published_on`` as an ISO date;
* ``relationship``: the export does not say whose assessments these are, so every row is taken as a
  ``partner`` (a note of the document says so); the DSPT rules treat the row whose code is the
  organisation profile's ``org_code`` as the organisation's own (GOV-006), not a partner's.

Columns the kind has no field for (coordinates, regional codes) are not kept. A status or date the
loader cannot read stops the run with the file, row and column.

The export as a user's spreadsheet software saves it again is read too, each difference named in a note:
semicolon- or tab-separated (Excel in a language with decimal commas), Windows-1252 text (Excel's "CSV"
on Windows; a file that is not UTF-8 is read as cp1252 when every byte is one of its characters), UTF-16
text with its byte-order mark (Excel's "Unicode Text", PowerShell's default), ISO
dates (``2023-06-30``, a time of day after a date dropped) and Excel serial day numbers (``45107``, a
date column saved unformatted).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from capcheck.core.errors import EvidenceError, Problem
from capcheck.core.hookspecs import hookimpl
from capcheck.core.loading import Document, Enricher, LoadContext, Loader, SourceFile, decode_text, fixed_kinds
from capcheck.core.side_inputs import shorten

__all__ = ["KIND", "claims_dspt", "fill_from_status_text", "load_dspt", "parse_status"]

#: The kind the records belong to.
KIND = "dspt-assessments"
#: The columns that make a CSV a DSPT status export (compared without case or surrounding spaces).
COLUMNS = ("code", "organisation name", "status", "date of publication")
#: The most problems one file reports before it stops reading.
MAX_PROBLEMS = 100
#: Status text (without its edition) -> the kind's status.
STATUSES: Mapping[str, str] = {
    "standards exceeded": "standards-exceeded",
    "standards met": "standards-met",
    "approaching standards": "approaching-standards",
    "standards not met": "standards-not-met",
    "not published": "not-published",
    # The 2018/19 and 2019/20 editions' lower bar, withdrawn on 1 March 2021 for Approaching Standards (which
    # asks more): the standards were not met. Portal exports still list it for organisations that have not
    # published since (1,191 of 64,201 rows in the real September 2022 export).
    "entry level": "standards-not-met",
}
#: The note on records whose status text said "Entry Level" (read as standards-not-met).
ENTRY_LEVEL_NOTE = (
    "with the status 'Entry Level' (2018/19 and 2019/20 only, withdrawn on 1 March 2021, below Approaching"
    " Standards) read as standards-not-met; status_text keeps the published text"
)
#: ``Primary Sector`` -> the kind's ``org_type``, first match (a word in the text) wins.
SECTORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), org_type)
    for pattern, org_type in (
        (r"\bcommissioning support\b|\bcsu\b", "csu"),
        (r"\bintegrated care board\b|\bicb\b|\bccg\b", "icb"),
        (r"\btrust\b", "nhs-trust"),
        (r"\barm'?s[- ]length\b", "arms-length-body"),
        (r"\blocal authority\b|\bcouncil\b", "local-authority"),
        (r"\bgp\b|\bgeneral practice\b", "gp-practice"),
        (r"\bcompany\b|\bcommercial\b|\bsupplier\b", "company"),
    )
)
_STATUS = re.compile(r"\s*(?:([0-9]{2})/([0-9]{2})\s+)?(.+?)\s*\Z")
_DATE = re.compile(r"\s*([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?\s*\Z")
_ISO_DATE = re.compile(r"\s*([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?\s*\Z")
#: An Excel serial day number of a date from 1954 to 2119 (a five-digit whole number): a date column saved with
#: the "General" format. Other numbers are not dates.
_SERIAL = re.compile(r"\s*[2-7][0-9]{4}\s*\Z")
_EXCEL_EPOCH = date(1899, 12, 30)
#: The separators a saved-again export may use, in the order they are tried on the header line.
DELIMITERS = (",", ";", "\t", "|")
#: The names of the separators, for the note saying which one a file uses.
_DELIMITER_NAMES = {";": "semicolon", "\t": "tab", "|": "vertical bar"}


def _split(first: str, delimiter: str) -> list[str] | None:
    try:
        return [name.strip().lower() for name in next(csv.reader([first], delimiter=delimiter))]
    except (csv.Error, StopIteration):
        return None


def _delimiter(first: str) -> str | None:
    """The separator with which ``first`` (a header line) names every DSPT column, or None."""
    for delimiter in DELIMITERS:
        header = _split(first, delimiter)
        if header is not None and "id" not in header and all(column in header for column in COLUMNS):
            return delimiter
    return None


def claims_dspt(head: bytes) -> bool:
    """Whether a CSV file's first row is a DSPT status export's header (Code, Organisation Name, Status,
    Date Of Publication, separated by commas, semicolons, tabs or bars), and it has no ``id`` column (a
    capcheck register of the kind has one)."""
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    text = (
        head[: len(head) // 2 * 2].decode("utf-16", errors="replace") if utf16 else head.decode("utf-8-sig", "replace")
    )
    return _delimiter(text.split("\n", 1)[0].rstrip("\r")) is not None


def _text(source: SourceFile) -> tuple[str, str | None]:
    """The file's text and, when it is not UTF-8 but Windows-1252 or UTF-16, the note saying so."""
    if source.data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text", PowerShell's default
        try:
            return source.data.decode("utf-16"), "UTF-16 text (its byte-order mark says so)"
        except UnicodeDecodeError as exc:
            line = source.data[: exc.start].decode("utf-16", "replace").count("\n") + 1
            raise source.fail(
                f"not UTF-16 text after its byte-order mark (byte offset {exc.start})", line=line
            ) from None
    try:
        return decode_text(source), None
    except EvidenceError:
        data = source.data.removeprefix(b"\xef\xbb\xbf")  # a BOM before cp1252 text: Excel's mix-ups
        if b"\x00" in data:
            raise  # not text at all: decode_text's located problem
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise source.fail(
                f"neither UTF-8 nor Windows-1252 (cp1252) text: byte 0x{data[exc.start]:02x} at offset {exc.start}"
                " is in neither; save the file as UTF-8",
                line=data.count(b"\n", 0, exc.start) + 1,
            ) from None
        return text, "not UTF-8: read as Windows-1252 (cp1252), the encoding Excel saves CSV in on Windows"


def parse_status(text: str) -> tuple[str | None, str] | None:
    """``("22/23", "standards-met")`` from "22/23 Standards Met"; ``(None, "not-published")`` from
    "Not Published"; None when the text is not a DSPT status or the edition's years are not consecutive."""
    match = _STATUS.match(text)
    if match is None:
        return None
    first, second, words = match.groups()
    status = STATUSES.get(" ".join(words.lower().split()))
    if status is None:
        return None
    if first is None:
        return None, status
    if int(second) != (int(first) + 1) % 100:
        return None
    return f"{first}/{second}", status


def _date(text: str) -> str | None:
    if _SERIAL.match(text):  # a date cell Excel wrote out unformatted: days since 1899-12-30
        return (_EXCEL_EPOCH + timedelta(days=int(text))).isoformat()
    match = _DATE.match(text)
    if match is not None:
        day, month, year = (int(part) for part in match.groups())
    else:
        match = _ISO_DATE.match(text)
        if match is None:
            return None
        year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _org_type(sector: str) -> str:
    for pattern, org_type in SECTORS:
        if pattern.search(sector):
            return org_type
    return "other"


class _Row:
    """Maps one row to a record, collecting located problems."""

    def __init__(self, source: SourceFile, columns: Mapping[str, int], problems: list[Problem]) -> None:
        self.source = source
        self.columns = columns
        self.problems = problems
        #: How many dates were Excel serial day numbers (said in a note).
        self.serials = 0

    def cell(self, row: Sequence[str], column: str) -> str | None:
        index = self.columns.get(column)
        if index is None or index >= len(row):
            return None
        value = row[index].strip()
        return value or None

    def problem(self, message: str, line: int, index: int, column: str) -> None:
        self.problems.append(
            self.source.problem(f"column {column!r}: {message}", line=line, pointer=f"/records/{index}")
        )

    def record(self, row: Sequence[str], line: int, index: int, names: Mapping[str, str]) -> dict[str, Any]:
        record: dict[str, Any] = {"relationship": "partner"}
        code = self.cell(row, "code")
        if code is not None:
            record["id"] = record["org_code"] = code
        else:
            self.problem("no ODS code: every organisation needs its code", line, index, names["code"])
        name = self.cell(row, "organisation name")
        if name is not None:
            record["organisation"] = name
        else:
            self.problem("no organisation name", line, index, names["organisation name"])
        status_text = self.cell(row, "status")
        parsed = parse_status(status_text) if status_text is not None else None
        if status_text is None:
            self.problem("no status", line, index, names["status"])
        elif parsed is None:
            self.problem(
                f"{shorten(status_text)} is not a DSPT status (an edition such as 22/23 and Standards Exceeded, "
                "Standards Met, Approaching Standards or Standards Not Met; or Not Published)",
                line,
                index,
                names["status"],
            )
        else:
            record["status_text"] = status_text
            edition, record["status"] = parsed
            if edition is not None:
                record["edition"] = edition
        published = self.cell(row, "date of publication")
        if published is not None:
            iso = _date(published)
            if iso is None:
                self.problem(
                    f"{shorten(published)} is not a date (dd/mm/yyyy or yyyy-mm-dd)",
                    line,
                    index,
                    names["date of publication"],
                )
            else:
                record["published_on"] = iso
                if _SERIAL.match(published):
                    self.serials += 1
        sector = self.cell(row, "primary sector")
        if sector is not None:
            record["org_type"] = _org_type(sector)
        board = self.cell(row, "integrated care board")
        if board is not None:
            record["integrated_care_board"] = board
        return record


def load_dspt(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Read a DSPT status export: one ``dspt-assessments`` record per organisation (row).

    :raises EvidenceError: a row without a code, name or status, a status that is not a DSPT status, or
        a date that is neither dd/mm/yyyy nor ISO; each problem names the file, line, record and column.
    """
    text, encoding_note = _text(source)
    delimiter = _delimiter(text.split("\n", 1)[0].rstrip("\r")) or ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        raw = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise source.fail(f"not a DSPT status export: {exc or 'the file is empty'}", line=1) from None
    header = [name.strip() for name in raw]
    columns: dict[str, int] = {}
    names: dict[str, str] = {}
    for position, name in enumerate(header):
        low = name.lower()
        # NHS England's snapshots call it "Integrated Care Board (where available, from ODS)".
        key = "integrated care board" if low.startswith("integrated care board") else low
        if key and key not in columns:
            columns[key] = position
            names[key] = name
    problems: list[Problem] = []
    mapper = _Row(source, columns, problems)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    line = reader.line_num + 1
    try:
        for row in reader:
            row_line, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            records.append(mapper.record(row, row_line, len(records), names))
            lines.append(row_line)
            if len(problems) >= MAX_PROBLEMS:
                break
    except csv.Error as exc:
        problems.append(source.problem(f"malformed CSV: {exc}", line=reader.line_num))
    if problems:
        raise EvidenceError(problems)
    editions = sorted({r["edition"] for r in records if "edition" in r})
    notes = [
        "DSPT status export: every organisation is taken as a partner (relationship); the row with the "
        "organisation profile's org_code, if any, is judged as your own",
    ]
    dropped = [name for name in header if name and name.lower() not in (*COLUMNS, "primary sector")]
    dropped = [name for name in dropped if not name.lower().startswith("integrated care board")]
    if dropped:
        notes.append(f"columns not kept (no field of {KIND}): {', '.join(dropped)}")
    if not header[0]:
        notes.append("the first, unnamed column (a row index) is not kept")
    if delimiter != ",":
        notes.append(f"{_DELIMITER_NAMES[delimiter]}-separated")
    if encoding_note is not None:
        notes.append(encoding_note)
    entry_level = _entry_level(records)
    if entry_level:
        notes.append(f"{entry_level} {ENTRY_LEVEL_NOTE}")
    if mapper.serials:
        dates = "1 date" if mapper.serials == 1 else f"{mapper.serials} dates"
        notes.append(f"{dates} of publication written as Excel serial day numbers (45107 is 2023-06-30)")

    def locate(index: int) -> int | None:
        return lines[index] if index < len(lines) else None

    return [
        Document(
            kind=KIND,
            records=records,
            locate=locate,
            rows=True,
            records_line=1,
            source=f"NHS DSPT status export; editions {', '.join(editions) or 'none'}",
            notes=tuple(notes),
        )
    ]


def fill_from_status_text(doc: Document, context: LoadContext) -> None:
    """Give ``dspt-assessments`` records that record only the published ``status_text`` ("22/23 Standards
    Met") their ``status`` and ``edition`` from it, as the export's loader does: a workbook or register
    mapped with ``Status = "status_text"`` keeps the edition a value map to ``status`` would lose. A value the
    record gives is never replaced; a text that is not a DSPT status is left for validation to name."""
    del context  # no options
    filled: list[dict[str, Any]] = []
    for record in doc.records:
        if type(record) is not dict or "status" in record or not isinstance(record.get("status_text"), str):
            continue
        parsed = parse_status(record["status_text"])
        if parsed is None:
            continue
        edition, record["status"] = parsed
        if edition is not None and "edition" not in record:
            record["edition"] = edition
        filled.append(record)
    if filled:
        records = "1 record" if len(filled) == 1 else f"{len(filled)} records"
        doc.notes = (*doc.notes, f"status and edition read from status_text for {records}")
    entry_level = _entry_level(filled)  # only those filled here: the export's loader notes its own
    if entry_level:
        doc.notes = (*doc.notes, f"{entry_level} {ENTRY_LEVEL_NOTE}")


def _entry_level(records: Sequence[Any]) -> str | None:
    """How many records' status text was 'Entry Level' ("3 records"), or None."""
    count = sum(
        1
        for r in records
        if type(r) is dict
        and r.get("status") == "standards-not-met"
        and isinstance(r.get("status_text"), str)
        and r["status_text"].lower().rstrip().endswith("entry level")
    )
    return None if not count else "1 record" if count == 1 else f"{count} records"


@hookimpl
def capcheck_enrichers() -> Sequence[Enricher]:
    """The DSPT status-text enricher: status and edition from the published status text."""
    return [
        Enricher(
            name="dspt-status-text",
            enrich=fill_from_status_text,
            kinds=(KIND,),
            description="fills in dspt-assessments' status and edition from the published status_text",
        )
    ]


@hookimpl
def capcheck_loaders() -> Sequence[Loader]:
    """The DSPT export loader: claims a ``.csv`` file by its header."""
    return [
        Loader(
            name="dspt",
            extensions=(".csv",),
            load=load_dspt,
            description="NHS DSPT published status export (CSV), recognised by its header",
            claims=claims_dspt,
            kinds_of=fixed_kinds(KIND),
        )
    ]
