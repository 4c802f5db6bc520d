"""The built-in spreadsheet loader (``.xlsx``, ``.xlsm``, ``.xls``, ``.ods``): each sheet is a register.

A sheet's kind is its name as a kind id (case-insensitive, spaces and underscores as hyphens:
``IT Assets`` holds ``it-assets``). A workbook with one visible sheet not named like a kind holds the
kind its file name says, as a CSV file does (the config's ``csv_kinds`` mapping, else the file's stem).
Visible sheets not named like a kind are listed in a note, never dropped silently; hidden sheets (lookup
lists, scratch work) are skipped and listed in a note too.

The header row is the first row whose cells include ``id`` and another field of the kind (title rows above it are
skipped). Below it each non-empty row is a record; a merged cell's value is in its top-left cell
(the others are empty). Typed cells become the schema's types: a date cell is an ISO date
(``2026-01-31``, or a date-time where it has a time of day), a number cell in a string field is its
text (``1042``, not ``1042.0``), text cells are typed like CSV cells (:mod:`capcheck.builtins.loaders.csvfile`).
A record is located by sheet and row (``register.xlsx!Assets:6``), a bad cell by its reference
(``register.xlsx!Assets!J6``).

An ``.xlsx``/``.xlsm`` sheet is streamed a row at a time (:mod:`capcheck.builtins.loaders.xlsxreader`), so
reading it takes memory for the records kept, not for the sheet's cell grid; ``.xls`` and ``.ods`` are read
by python-calamine (Rust), a sheet whole. docs/performance.md has the measurements behind the choice.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from capcheck.builtins.loaders.csvfile import MAX_PROBLEMS, cell_converter
from capcheck.builtins.loaders.xlsxreader import WorkbookError, XlsxStream
from capcheck.core.dates import is_date
from capcheck.core.errors import EvidenceError, Problem
from capcheck.core.hookspecs import hookimpl
from capcheck.core.loading import Document, LoadContext, Loader, SourceFile, open_regular
from capcheck.core.mapping import MappingValueError, SkipCounter, date_fields
from capcheck.core.side_inputs import elide, shorten
from capcheck.core.wording import did_you_mean

if TYPE_CHECKING:
    from capcheck.core.kinds import EvidenceKind
    from capcheck.core.mapping import FileMapping

__all__ = ["Workbook", "check_expansion", "column_letters", "load_workbook", "open_workbook", "sheet_kind"]


def sheet_kind(name: str) -> str:
    """The kind id a sheet name reads as: lower case, spaces and underscores as hyphens."""
    return "-".join(name.strip().lower().replace("_", " ").split())


def column_letters(index: int) -> str:
    """The spreadsheet column of 0-based ``index``: 0 is ``A``, 25 ``Z``, 26 ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and (cell == "" or cell.isspace()))


def _number_text(value: float) -> str:
    """A number cell's text: ``1042`` for a whole number (Excel stores every number as a float)."""
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


def _date_text(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    return value.isoformat()


class _Cell:
    """Types one column's cells for one field of the kind."""

    def __init__(self, field_type: str, date_field: bool) -> None:
        self.field_type = field_type
        self.date_field = date_field
        self.text = cell_converter(field_type)

    def __call__(self, cell: Any) -> Any:
        if self.date_field and self.field_type == "string" and (type(cell) is date or type(cell) is datetime):
            return _date_text(cell)  # a date cell in a date field: always a date (the common case, without checks)
        if type(cell) is bool and self.field_type == "boolean":
            return cell
        value = self._value(cell)
        if self.date_field and isinstance(value, str) and not is_date(value.strip()):
            shown = shorten(cell) if isinstance(cell, str) else f"a {type(cell).__name__} cell ({value})"
            raise ValueError(f"{shown} is not a date (YYYY-MM-DD, or a date cell)")
        return value

    def _value(self, cell: Any) -> Any:
        kind = self.field_type
        if isinstance(cell, bool):
            if kind in ("boolean", "array:boolean"):
                return cell if kind == "boolean" else [cell]
            return self.text("true" if cell else "false")
        if isinstance(cell, int | float):
            if not math.isfinite(cell):
                raise ValueError(f"{cell} is not a finite number")
            if kind == "number":
                return int(cell) if float(cell).is_integer() and abs(cell) < 2**53 else float(cell)
            if kind == "integer" and not float(cell).is_integer():
                raise ValueError(f"{cell!r} is not a whole number")
            return self.text(_number_text(float(cell)))
        if isinstance(cell, date):  # a datetime is a date too
            if kind not in ("string", "array:string"):
                raise ValueError(
                    f"a date cell ({_date_text(cell)}) where {kind.replace('array:', 'a list of ')} is expected"
                )
            return self.text(_date_text(cell))
        if isinstance(cell, time | timedelta):
            raise ValueError(f"a time-of-day or duration cell ({cell}) is not an evidence value")
        if not isinstance(cell, str):
            raise ValueError(f"unsupported cell value of type {type(cell).__name__}")
        return self.text(cell)


def _is_header(row: list[Any], kind: EvidenceKind, mapping: FileMapping | None, needed: set[str]) -> int:
    """2 if the row names the id columns and another field of the kind, 1 if it names the id columns only
    (a title row may say "id" alone), else 0."""
    names = {c.strip() for c in row if isinstance(c, str)}
    if mapping is not None:
        names = {mapping.header_name(n) for n in names}
    if not needed <= names:
        return 0
    fields = kind.declared_fields
    others = names - needed - {"id", ""}
    return 2 if others and (fields is None or others & fields) else 1


def _header_row(
    rows: Callable[[], Iterator[list[Any]]], kind: EvidenceKind, mapping: FileMapping | None = None
) -> tuple[int, list[Any], Iterator[list[Any]]] | int:
    """The first row naming ``id`` and another field of the kind, else the first row naming ``id``: its
    index, its cells and the rows below it. With a mapping, names are read after its ``rename``, and the
    columns its ``id`` names stand for ``id``. Without such a row, how many rows the sheet has (to its last
    non-empty one).

    ``rows`` gives the sheet's rows from the top: it is called again only when no row is a full header
    (the sheet is read to its end first), so a streamed sheet is not held in memory to look back."""
    needed = set(mapping.id_fields()) if mapping is not None and mapping.id else {"id"}
    first: int | None = None
    height = 0
    stream = rows()
    for index, row in enumerate(stream):
        if not all(_empty(c) for c in row):
            height = index + 1
        found = _is_header(row, kind, mapping, needed)
        if found == 2:
            return index, row, stream
        if found and first is None:
            first = index
    if first is None:
        return height
    stream = rows()
    for index, row in enumerate(stream):
        if index == first:
            return index, row, stream
    raise AssertionError("the sheet changed between two reads")  # pragma: no cover


def _nth_row(rows: Callable[[], Iterator[list[Any]]], at: int) -> tuple[int, list[Any], Iterator[list[Any]]] | int:
    """Row ``at`` (0-based), its cells and the rows below it; or how many rows the sheet has."""
    height = 0
    stream = rows()
    for index, row in enumerate(stream):
        if index == at:
            return index, row, stream
        if not all(_empty(c) for c in row):
            height = index + 1
    return height


def _load_sheet(
    source: SourceFile,
    sheet_name: str,
    rows: Callable[[], Iterator[list[Any]]],
    kind_id: str,
    kind: EvidenceKind,
    mapping: FileMapping | None = None,
) -> Document:
    shown = f"{source.display}!{sheet_name}"

    def cell_problem(message: str, row: int, column: int | None = None) -> Problem:
        where = f"{shown}!{column_letters(column)}{row}" if column is not None else shown
        return Problem(message, path=where, line=None if column is not None else row)

    if mapping is not None and mapping.header_row is not None:
        found = _nth_row(rows, mapping.header_row - 1)
        if isinstance(found, int):
            raise EvidenceError(
                [cell_problem(f"no row {mapping.header_row} (the header_row of {mapping.source})", found or 1)]
            )
        if all(_empty(cell) for cell in found[1]):  # a blank (perhaps only styled) row names no column
            raise EvidenceError(
                [cell_problem(f"row {mapping.header_row} is empty (the header_row of {mapping.source})", found[0] + 1)]
            )
    else:
        found = _header_row(rows, kind, mapping)
    if isinstance(found, int):
        if mapping is not None and mapping.id:
            raise EvidenceError(
                [cell_problem(f"no header row with the columns {mapping.source} id {mapping.id!r} names", 1)]
            )
        raise EvidenceError([cell_problem("no header row with an 'id' column", 1)])
    header_at, header_cells, below = found
    header: list[str | None] = []
    seen: set[str] = set()
    # A mapping's rename of "" names an unnamed column inside the table (an exported index in column A).
    unnamed = mapping.rename.get("") if mapping is not None else None
    last = max((c for c, cell in enumerate(header_cells) if not _empty(cell)), default=-1)
    for column, cell in enumerate(header_cells):
        if _empty(cell) and (unnamed is None or column > last):
            header.append(None)  # an unnamed column: its cells must stay empty (checked below)
            continue
        if _empty(cell):
            assert unnamed is not None
            name = unnamed
        else:
            name = (
                cell.strip()
                if isinstance(cell, str)
                else _number_text(float(cell))
                if isinstance(cell, float)
                else str(cell)
            )
            if mapping is not None:
                name = mapping.header_name(name)
        if name in seen:
            raise EvidenceError(
                [cell_problem(f"column {shorten(name)} appears twice in the header row", header_at + 1, column)]
            )
        seen.add(name)
        header.append(name)
    if mapping is not None:
        written = [
            c.strip() if isinstance(c, str) else _number_text(float(c)) if isinstance(c, float) else str(c)
            for c in header_cells
            if not _empty(c)
        ]
        if unnamed is not None and any(_empty(c) for c in header_cells[: last + 1]):
            written.append("")  # the unnamed column "" renames is there
        unmapped = mapping.header_problems(written) + mapping.set_problems([n for n in header if n is not None])
        if unmapped:
            raise EvidenceError([cell_problem(elide(m), header_at + 1) for m in unmapped])
    plan = mapping.plan(kind) if mapping is not None else None
    counter = SkipCounter(mapping, "row") if mapping is not None else None
    skips: list[tuple[int, int]] = []
    if mapping is not None:
        for number, rule in enumerate(mapping.skip_rows):
            if rule.field not in header:
                raise EvidenceError(
                    [
                        cell_problem(
                            f"no {rule.field!r} column in the header row"
                            f" (named by {mapping.source} skip_rows {number + 1})",
                            header_at + 1,
                        )
                    ]
                )
            skips.append((number, header.index(rule.field)))
        if mapping.id:
            missing = [n for n in mapping.id_fields() if n not in header]
            if missing:
                raise EvidenceError(
                    [
                        cell_problem(
                            f"no {missing[0]!r} column in the header row (named by {mapping.source} id {mapping.id!r})",
                            header_at + 1,
                        )
                    ]
                )
    if "id" not in header and (mapping is None or (not mapping.id and "id" not in mapping.set)):
        # Checked here, not only per record: a header without ids and no rows under it is not an empty register.
        raise EvidenceError([cell_problem("no 'id' column in the header row", header_at + 1)])
    trim = plan is not None and plan.trim
    types = kind.field_types
    dates = date_fields(kind)
    cells: list[_Cell | None] = [
        None if name is None else _Cell(types.get(name, "string"), name in dates) for name in header
    ]
    mapped = [None if name is None or plan is None else plan.converter(name) for name in header]
    lists = [name is not None and types.get(name, "string").startswith("array:") for name in header]
    # Columns whose text cells are kept as they are (what _Cell does for them, without the call per cell).
    plain = [
        name is not None and types.get(name, "string") == "string" and name not in dates and step is None
        for name, step in zip(header, mapped, strict=True)
    ]
    width = len(header)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    for row_no, row in enumerate(below, start=header_at + 2):
        if all(_empty(c) for c in row):
            continue  # a blank row (empty trailing rows, spacing)
        if skips:
            assert mapping is not None and counter is not None
            skipped = next((n for n, c in skips if mapping.skip_rows[n](row[c] if c < len(row) else None)), None)
            if skipped is not None:
                counter.add(skipped, row_no)
                continue
        record: dict[str, Any] = {}
        for column, cell in enumerate(row):
            if type(cell) is str and column < width and plain[column]:  # the common cell: text in a text field
                if trim:
                    cell = cell.strip()
                if cell and not cell.isspace():
                    record[header[column]] = cell  # type: ignore[index]  # plain columns have a name
                continue
            field = header[column] if column < width else None
            if trim and isinstance(cell, str):
                cell = cell.strip()
            if field is None:
                if not _empty(cell):
                    problems.append(cell_problem("a value in a column with no name in the header row", row_no, column))
                continue
            if _empty(cell):
                if lists[column]:
                    record[field] = []  # a blank list cell: no items
                continue
            convert = cells[column]
            assert convert is not None
            try:
                step = mapped[column]
                if step is None:
                    record[field] = convert(cell)
                    continue
                value = step(cell)
                if value is cell:  # no mapping step took it: typed as any cell
                    value = convert(cell)
                if value is not None:
                    record[field] = value
            except ValueError as exc:  # a MappingValueError names the mapping key
                problems.append(cell_problem(elide(str(exc)), row_no, column))
        if mapping is not None and mapping.completes:
            try:
                mapping.complete(record)
            except MappingValueError as exc:
                problems.append(cell_problem(elide(str(exc)), row_no))
        records.append(record)
        lines.append(row_no)
        if len(problems) >= MAX_PROBLEMS:
            break
    if problems:
        raise EvidenceError(problems)

    def locate(index: int) -> int | None:
        return lines[index] if index < len(lines) else None

    doc = Document(kind=kind_id, records=records, locate=locate, rows=False, records_line=header_at + 1, display=shown)
    if mapping is not None and counter is not None:
        doc.notes = counter.notes()
        doc.mapping = mapping.manifest(counter.total)
    return doc


#: The most a zipped workbook (.xlsx, .xlsm, .ods) may expand to: its parts are read whole, and a small
#: archive can declare gigabytes of XML (a zip bomb). Far above any register (a 50,000-row sheet is ~20 MB).
MAX_EXPANDED_BYTES = 1 << 30
#: The most a zipped workbook, or one of its parts, may expand to per byte stored, beyond
#: :data:`RATIO_GRACE_BYTES`: Apache POI's default bound (its ``ZipSecureFile`` minimum inflate ratio, 0.01).
#: Real workbooks' XML compresses 4 to 13 times; 1 GB of ``<c/>`` elements compresses into 1 MB and took 86
#: CPU s to parse, of tiny shared strings into 2.5 MB and 53 s. Under the bound a part's parse costs at most
#: about 9 CPU s per MB stored.
MAX_EXPANSION_RATIO = 100
#: Parts (and workbooks) expanding to less than this are not held to :data:`MAX_EXPANSION_RATIO`.
RATIO_GRACE_BYTES = 1 << 20


def check_expansion(source: SourceFile) -> None:
    """Refuse a zipped workbook declaring more than :data:`MAX_EXPANDED_BYTES` expanded, or a workbook or part
    expanding more than :data:`MAX_EXPANSION_RATIO` times what it stores (a zip bomb)."""
    if not source.data.startswith(b"PK"):
        return  # not a zip archive (.xls is an OLE file): calamine says what it is
    try:
        with zipfile.ZipFile(io.BytesIO(source.data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise source.fail(f"not a readable workbook: {elide(str(exc))}") from None
    if (problem := expansion_problem(infos, len(source.data))) is not None:
        raise source.fail(problem)


def expansion_problem(infos: Sequence[zipfile.ZipInfo], stored_bytes: int) -> str | None:
    """Why an archive of these parts, ``stored_bytes`` long, is not read (None: it may be): it declares more than
    :data:`MAX_EXPANDED_BYTES` expanded, or it or a part expands more than :data:`MAX_EXPANSION_RATIO` times."""
    expanded = sum(info.file_size for info in infos)
    if expanded > MAX_EXPANDED_BYTES:
        return f"the workbook expands to {expanded >> 20} MB, more than {MAX_EXPANDED_BYTES >> 20} MB (not read)"
    # The whole as well as each part: parts whose stored bytes overlap (one stretch of the archive declared as
    # several parts' data) each look compressed no further than their declared stored size says.
    for name, size, stored in [
        *((f"its part {elide(info.filename, 80)}", info.file_size, info.compress_size) for info in infos),
        ("the workbook", expanded, stored_bytes),
    ]:
        if size > RATIO_GRACE_BYTES and size > MAX_EXPANSION_RATIO * stored:
            return (
                f"{name} expands {size // max(stored, 1):,} times over ({_size(stored)} stored, "
                f"{_size(size)} expanded), more than {MAX_EXPANSION_RATIO} times: a zip bomb? (not read)"
            )
    return None


def _size(size: int) -> str:
    return f"{size / (1 << 20):,.1f} MB" if size >= 1 << 20 else f"{size / 1024:,.1f} KB"


class Workbook(Protocol):
    """A workbook as the loader reads it: its sheets in order, and a sheet's rows."""

    #: (name, visible) of each sheet, in workbook order.
    sheets: list[tuple[str, bool]]

    def rows(self, name: str) -> Iterator[list[Any]]:
        """The sheet's rows from row 1, a row ending at its last value (missing cells are empty)."""
        ...  # pragma: no cover


class _Book:
    """A workbook's sheets, read by python-calamine (``.xls``, ``.ods``): a sheet whole, then its rows."""

    def __init__(self, source: SourceFile) -> None:
        # Imported here: only .xls and .ods need it (about 1 ms of every start-up otherwise).
        from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

        try:
            self._book = CalamineWorkbook.from_filelike(io.BytesIO(source.data))
        except CalamineError as exc:
            raise source.fail(f"not a readable workbook: {elide(str(exc))}") from None
        except Exception as exc:  # anything else the native reader raises on a damaged file: still this file's problem
            raise source.fail(f"not a readable workbook: {type(exc).__name__}: {elide(str(exc))}") from None
        self.sheets = [(m.name, m.visible == SheetVisibleEnum.Visible) for m in self._book.sheets_metadata]
        self._rows: tuple[str, list[list[Any]]] | None = None

    def rows(self, name: str) -> Iterator[list[Any]]:
        """The sheet's rows from row 1 (read once, kept for a second look for the header)."""
        if self._rows is None or self._rows[0] != name:
            try:
                self._rows = (name, self._book.get_sheet_by_name(name).to_python(skip_empty_area=False))
            except Exception as exc:  # CalamineError, or anything else the native reader raises on a damaged sheet
                raise WorkbookError(elide(str(exc))) from None
        return iter(self._rows[1])


class _StreamedBook:
    """A ``.xlsx``/``.xlsm`` workbook's sheets, each streamed a row at a time (:mod:`.xlsxreader`)."""

    def __init__(self, source: SourceFile) -> None:
        try:
            self._book = XlsxStream(source.data)
        except WorkbookError as exc:
            raise source.fail(f"not a readable workbook: {elide(str(exc))}") from None
        self.sheets = [(s.name, s.visible) for s in self._book.sheets]
        self._parts = {s.name: s for s in self._book.sheets}

    def rows(self, name: str) -> Iterator[list[Any]]:
        """The sheet's rows from row 1, parsed as they are asked for."""
        return self._book.rows(self._parts[name])


def open_workbook(source: SourceFile) -> Workbook:
    """The workbook's sheets and their rows: an Office Open XML workbook (a zip archive with a
    ``[Content_Types].xml``: ``.xlsx``, ``.xlsm``) streamed, anything else (``.xls``, ``.ods``) read by
    python-calamine. A damaged workbook raises this file's :class:`EvidenceError`; a damaged sheet, found as
    its rows are read, raises :class:`WorkbookError`."""
    if source.data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(source.data)) as archive:  # readable: check_expansion opened it
            if "[Content_Types].xml" in archive.namelist() and "content.xml" not in archive.namelist():
                return _StreamedBook(source)
    return _Book(source)


def _choose_sheets(
    source: SourceFile, sheets: Sequence[tuple[str, bool]], context: LoadContext
) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """Which sheets a workbook's documents come from, with their kinds, from its (name, visible) sheets: the chosen
    (name, kind) pairs, the visible sheets not named like a kind and the hidden sheets (both left out, in notes).
    Loading and the peek (:func:`kinds_of_workbook`) both choose with this.

    :raises EvidenceError: a mapping naming a sheet that is not there or not named like a kind, or no sheet to read.
    """
    names = [name for name, _ in sheets]
    visible = [name for name, shown in sheets if shown]
    hidden: list[str] = []
    chosen: list[tuple[str, str]] = []
    unnamed: list[str] = []
    problems: list[Problem] = []
    folded = {name.strip().casefold() for name in names}
    for m in context.mappings:  # a mapping naming a sheet the workbook lacks would do nothing, silently
        if m.sheet is not None and m.matches(source.path, m.sheet) and m.sheet.strip().casefold() not in folded:
            listed = ", ".join(shorten(name) for name in names) or "none"
            problems.append(
                source.problem(f"{m.source} names the sheet {m.sheet!r}, which is not here (sheets: {listed})")
            )
    for name, shown in sheets:
        mapping = context.mapping_for(source.path, name)
        named = mapping is not None and mapping.sheet is not None  # a mapping for this sheet: read, even if hidden
        if not shown and not named:
            hidden.append(name)
            continue
        kind_id = mapping.kind if mapping is not None and mapping.kind else sheet_kind(name)
        if kind_id in context.kinds or (mapping is not None and mapping.kind):
            chosen.append((name, kind_id))  # an unknown kind a mapping names: validation names it
        elif named and len(visible) > 1:
            assert mapping is not None
            problems.append(
                source.problem(
                    f"{mapping.source} names the sheet {name!r}, which is not named like a kind: give it a kind"
                )
            )
        else:
            unnamed.append(name)
    if problems:
        raise EvidenceError(problems)
    if not chosen and len(visible) == 1 and unnamed == visible:
        kind_id = context.kind_for_file(source.path)
        if kind_id not in context.kinds:
            known = ", ".join(sorted(context.kinds)) or "none"
            raise source.fail(
                f"unknown evidence kind {kind_id!r}{did_you_mean(kind_id, context.kinds)} (from the file name; "
                f"its one sheet {shorten(visible[0])} "
                f"is not named like a kind either; known kinds: {known}); rename the sheet or the file, "
                "or map it in the config (csv_kinds, or a [[mapping]]: capcheck inspect FILE suggests one)"
            )
        chosen, unnamed = [(visible[0], kind_id)], []
    if not chosen:
        known = ", ".join(sorted(context.kinds)) or "none"
        listed = ", ".join(shorten(n) for n in visible) or "none"
        raise source.fail(
            f"no visible sheet is named like an evidence kind (sheets: {listed}; known kinds: {known}); "
            "name a sheet in a [[mapping]] of the config (capcheck inspect FILE suggests one)"
        )
    return chosen, unnamed, hidden


def load_workbook(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Read every visible sheet named like a kind (or the only sheet, kind from the file name)."""
    check_expansion(source)
    book = open_workbook(source)
    chosen, unnamed, hidden = _choose_sheets(source, book.sheets, context)
    problems: list[Problem] = []
    notes: list[str] = []
    if unnamed:
        notes.append("sheets not named like an evidence kind, not read: " + ", ".join(shorten(n) for n in unnamed))
    if hidden:
        notes.append("hidden sheets, not read: " + ", ".join(shorten(n) for n in hidden))
    documents: list[Document] = []
    for name, kind_id in chosen:
        try:
            kind = context.kinds.get(kind_id)
            if kind is None:
                mapping = context.mapping_for(source.path, name)
                raise EvidenceError(
                    [
                        Problem(
                            f"unknown evidence kind {kind_id!r}{did_you_mean(kind_id, context.kinds)}"
                            f" (from {mapping.source if mapping else 'the sheet'};"
                            f" known kinds: {', '.join(sorted(context.kinds)) or 'none'})",
                            path=f"{source.display}!{name}",
                        )
                    ]
                )
            doc = _load_sheet(
                source, name, partial(book.rows, name), kind_id, kind, context.mapping_for(source.path, name)
            )
        except WorkbookError as exc:  # a damaged sheet, found as it is read
            problems.append(Problem(f"cannot read the sheet: {elide(str(exc))}", path=f"{source.display}!{name}"))
            continue
        except EvidenceError as exc:
            problems.extend(exc.problems)
            continue
        doc.notes = (*(notes if not documents else ()), *doc.notes)
        documents.append(doc)
    if problems:
        raise EvidenceError(problems)
    return documents


def kinds_of_workbook(path: Path, head: bytes, context: LoadContext) -> frozenset[str] | None:
    """The spreadsheet loader's peek (``Loader.kinds_of``): for an ``.xlsx``/``.xlsm`` workbook, the kinds of the
    sheets it will read, chosen as loading chooses them from the sheet list (the archive's directory and its
    workbook part are read from the file, not its sheets); None for ``.xls`` and ``.ods`` (python-calamine reads
    them whole) and for a workbook loading would refuse."""
    if not head.startswith(b"PK"):
        return None  # an .xls (OLE) file, or not a workbook
    try:
        with open_regular(path) as stream:
            with zipfile.ZipFile(stream) as archive:  # closing it leaves the stream open
                names = set(archive.namelist())
                # A part the peek reads (the workbook's) could be a zip bomb as well as a sheet: loading refuses
                # such a workbook; the peek leaves it to loading without reading it (200 MB of styles took 32 s).
                refused = expansion_problem(archive.infolist(), path.stat().st_size)
            if refused is not None or "[Content_Types].xml" not in names or "content.xml" in names:
                return None  # an OpenDocument spreadsheet (or another archive): python-calamine's
            sheets = [(sheet.name, sheet.visible) for sheet in XlsxStream(stream).sheets]
        chosen, _unnamed, _hidden = _choose_sheets(SourceFile(path, path.as_posix(), b""), sheets, context)
    except (EvidenceError, WorkbookError, zipfile.BadZipFile, ValueError, OSError):
        return None  # loading says what is wrong
    return frozenset(kind for _name, kind in chosen)


@hookimpl
def capcheck_loaders() -> Sequence[Loader]:
    """The spreadsheet loader."""
    return [
        Loader(
            name="xlsx",
            extensions=(".xlsx", ".xlsm", ".xls", ".ods"),
            load=load_workbook,
            description="spreadsheet workbook (xlsx, xlsm, xls, ods), one register a sheet",
            applies_mapping=True,
            kinds_of=kinds_of_workbook,
        )
    ]
