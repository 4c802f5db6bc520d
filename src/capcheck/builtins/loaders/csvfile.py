"""The built-in CSV evidence loader: one record per row, cells typed by the kind's schema.

The kind is the file's stem (``it-assets.csv``) unless the config's ``csv_kinds`` maps the
file name to a kind. Cells are typed from the schema's property types: ``integer``,
``number``, ``boolean`` (true/false, yes/no, 1/0), ``array`` (items separated by ``;``) and
``string``. An empty cell (or one of only spaces) means the field is absent, except in a list column,
where it is the empty list. A number cell may group thousands with commas (``1,234,567``) but nothing
else: ``2,5`` or ``1,2,3`` is refused as ambiguous. Columns the schema does not declare are kept as strings.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from capcheck.core.errors import EvidenceError, Problem
from capcheck.core.hookspecs import hookimpl
from capcheck.core.loading import (
    HEAD_BYTES,
    ByteRange,
    Document,
    LineTable,
    LoadContext,
    Loader,
    RangeError,
    SourceFile,
    decode_text,
    file_stamp,
    open_regular,
    read_range,
)
from capcheck.core.mapping import FileMapping, MappingValueError, SkipCounter
from capcheck.core.side_inputs import elide, shorten
from capcheck.core.wording import did_you_mean

__all__ = ["ARRAY_SEPARATOR", "cell_converter", "divide_csv", "load_csv", "load_csv_range"]

#: The separator of list items inside one CSV cell.
ARRAY_SEPARATOR = ";"
#: The most problems one CSV file reports before it stops reading.
MAX_PROBLEMS = 100

_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})


def _boolean(cell: str) -> bool:
    low = cell.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"{cell!r} is not a boolean (true/false, yes/no, 1/0)")


#: A number cell: digits with an optional fraction and exponent; a comma only as a thousands separator
#: with groups of three (``1,234,567.5``). ``2,5`` (a decimal comma?) and ``1,2,3`` are ambiguous.
_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")
_INTEGER = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)\Z")


def _numeric_text(cell: str, pattern: re.Pattern[str], what: str) -> str:
    """The cell without thousands separators, or ValueError saying why it is not ``what``."""
    text = cell.strip()
    if not any(c.isdigit() for c in text) or pattern.match(text) is None or not text.isascii():
        if "," in text and pattern.match(text.replace(",", "")) is not None:
            raise ValueError(
                f"{cell!r} is ambiguous: a comma is accepted only as a thousands separator between groups of "
                "three digits (1,234,567); write the number without it, with '.' for a decimal point"
            )
        if what == "a number" and text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise ValueError(f"{cell!r} is not a finite number")
        raise ValueError(f"{cell!r} is not {what}")
    return text.replace(",", "")


def _number(cell: str) -> int | float:
    text = _numeric_text(cell, _NUMBER, "a number")
    if _INTEGER.match(text):
        return int(text)
    value = float(text)  # the pattern admits no nan or inf, but an exponent can overflow
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"{cell!r} is not a finite number")
    return value


def _integer(cell: str) -> int:
    return int(_numeric_text(cell, _INTEGER, "a whole number"))


_SCALARS: dict[str, Callable[[str], Any]] = {
    "string": lambda cell: cell,
    "integer": _integer,
    "number": _number,
    "boolean": _boolean,
}


def cell_converter(field_type: str) -> Callable[[str], Any]:
    """The function typing one text cell as ``field_type`` (a kind's field type); ValueError says why not."""
    if field_type.startswith("array:"):
        item = _SCALARS.get(field_type[6:], _SCALARS["string"])
        return lambda cell: [item(part.strip()) for part in cell.split(ARRAY_SEPARATOR) if part.strip()]
    return _SCALARS.get(field_type, _SCALARS["string"])


def csv_kind(path: Path, context: LoadContext) -> str:
    """The kind a CSV file holds: its ``[[mapping]]``'s, else the ``csv_kinds`` mapping's, else the file's stem."""
    mapping = context.mapping_for(path)
    return mapping.kind if mapping is not None and mapping.kind else context.kind_for_file(path)


def kinds_of_csv(path: Path, head: bytes, context: LoadContext) -> frozenset[str]:
    """The CSV loader's peek (``Loader.kinds_of``): one document, of the kind the file's name or mapping says."""
    return frozenset({csv_kind(path, context)})


@dataclass(frozen=True)
class _Header:
    """A CSV file's header, read: what typing its rows needs."""

    kind_id: str
    mapping: FileMapping | None
    encoding: str
    delimiter: str
    #: The line of the header row (its last line, should a title or the header hold a quoted line break).
    line: int
    header: list[str]
    #: (field, typing, the mapping's conversion or None, the column as the file names it), one per column.
    converters: list[tuple[str, Callable[[str], Any], Callable[[Any], Any] | None, str]]
    lists: frozenset[str]
    skips: list[tuple[int, int]]
    trim: bool


def _reader(data: bytes, encoding: str, delimiter: str) -> Any:
    """A strict ``csv.reader`` over ``data``, decoded line by line as it is read (not held whole: a str of a large
    file costs up to four times its bytes); a bad byte raises ``UnicodeDecodeError`` as it is met."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="strict", newline="")
    return csv.reader(stream, strict=True, delimiter=delimiter)


def _read_header(source: SourceFile, context: LoadContext, data: bytes) -> tuple[_Header, Any]:
    """Read the header of a CSV file whose first bytes are ``data`` (all of them, or its first bytes for a range):
    the header and the reader, positioned at the first data row.

    :raises EvidenceError: the kind is unknown, or the header (or its mapping) is wrong, located.
    """
    mapping = context.mapping_for(source.path)
    kind_id = csv_kind(source.path, context)
    kind = context.kinds.get(kind_id)
    if kind is None:
        known = ", ".join(sorted(context.kinds)) or "none"
        hint = did_you_mean(kind_id, context.kinds)
        raise source.fail(
            f"unknown evidence kind {kind_id!r}{hint} (from the file name; known kinds: {known}); "
            "rename the file, or map it in the config (csv_kinds, or a [[mapping]]: capcheck inspect FILE suggests one)"
            if mapping is None or not mapping.kind
            else f"unknown evidence kind {kind_id!r}{hint} (from {mapping.source}; known kinds: {known})",
            line=1,
        )
    encoding = mapping.encoding if mapping is not None and mapping.encoding else "utf-8-sig"
    delimiter = mapping.delimiter if mapping is not None and mapping.delimiter else ","
    reader = _reader(data, encoding, delimiter)
    try:
        header = next(reader)
        if mapping is not None and mapping.header_row:
            for _ in range(mapping.header_row - 1):  # title rows above the header
                header = next(reader)
    except StopIteration:
        if mapping is not None and mapping.header_row and data.strip():
            raise source.fail(
                f"no row {mapping.header_row} (the header_row of {mapping.source})", line=reader.line_num
            ) from None
        raise source.fail("the file is empty: expected a header row with an 'id' column", line=1) from None
    except csv.Error as exc:
        raise source.fail(f"malformed CSV: {exc}", line=1) from None
    except UnicodeDecodeError:
        _bad_encoding(source, encoding)
        raise
    header_line = reader.line_num
    if b"\x00" in data and any("\x00" in name for name in header):
        raise source.fail("a NUL character in the header row", line=header_line)
    columns = [h.strip() for h in header]
    header = [mapping.header_name(h) for h in columns] if mapping is not None else columns
    if mapping is not None:
        unmapped = mapping.header_problems(columns) + mapping.set_problems(header)
        if unmapped:
            raise EvidenceError([source.problem(elide(m), line=header_line) for m in unmapped])
    needed = mapping.id_fields() if mapping is not None and mapping.id else ("id",)
    for name in needed:
        if name not in header:
            raise source.fail(
                f"no {name!r} column in the header row"
                + (f" (named by {mapping.source} id {mapping.id!r})" if mapping is not None and mapping.id else "")
                + _separator_hint(columns, delimiter),
                line=header_line,
            )
    seen: set[str] = set()
    for name in header:
        if not name:
            raise source.fail("a column in the header row has no name", line=header_line)
        if name in seen:
            raise source.fail(f"column {shorten(name)} appears twice in the header row", line=header_line)
        seen.add(name)
    plan = mapping.plan(kind) if mapping is not None else None
    skips: list[tuple[int, int]] = []
    if mapping is not None:
        for number, rule in enumerate(mapping.skip_rows):
            if rule.field not in header:
                raise source.fail(
                    f"no {rule.field!r} column in the header row (named by {mapping.source} skip_rows {number + 1})",
                    line=header_line,
                )
            skips.append((number, header.index(rule.field)))
    types = kind.field_types
    converters = [
        (name, cell_converter(types.get(name, "string")), plan.converter(name) if plan is not None else None, column)
        for name, column in zip(header, columns, strict=True)
    ]
    # An empty cell of a list column is the empty list: a CSV cell cannot say "no items" otherwise, and a
    # column left out of the file (the field absent) must stay distinguishable from it.
    lists = frozenset(name for name in header if types.get(name, "string").startswith("array:"))
    trim = plan is not None and plan.trim
    found = _Header(kind_id, mapping, encoding, delimiter, header_line, header, converters, lists, skips, trim)
    return found, reader


def _read_rows(
    source: SourceFile, head: _Header, reader: Any, offset: int, counter: SkipCounter | None
) -> tuple[list[dict[str, Any]], list[int], list[Problem]]:
    """Type the rows ``reader`` gives: the records, each one's line (the reader's line and ``offset``), and the
    problems found (at most :data:`MAX_PROBLEMS`). A bad byte raises ``UnicodeDecodeError``."""
    mapping, skips, trim, lists, nul = head.mapping, head.skips, head.trim, head.lists, b"\x00" in source.data
    converters, width = head.converters, len(head.header)
    problems: list[Problem] = []
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    line = reader.line_num + 1 + offset
    try:
        for row in reader:
            row_line = line
            line = reader.line_num + 1 + offset
            if not row:
                continue  # a blank line
            if skips:
                assert mapping is not None and counter is not None
                skipped = next((n for n, c in skips if mapping.skip_rows[n](row[c] if c < len(row) else "")), None)
                if skipped is not None:
                    counter.add(skipped, row_line)
                    continue
            index = len(records)
            if len(row) != width:
                problems.append(
                    source.problem(
                        f"row has {len(row)} cells but the header has {width}",
                        line=row_line,
                        pointer=f"/records/{index}",
                    )
                )
            record: dict[str, Any] = {}
            for (name, convert, mapped, column), cell in zip(converters, row, strict=False):
                if trim:
                    cell = cell.strip()
                if cell == "" or cell.isspace():
                    if name in lists:
                        record[name] = []  # a blank list cell: no items
                    continue  # a blank cell: the field is absent
                if nul and "\x00" in cell:
                    problems.append(
                        source.problem(
                            f"a NUL character in column {shorten(name)}"
                            f" (at character {cell.index(chr(0)) + 1} of the cell)",
                            line=row_line,
                            pointer=f"/records/{index}/{name}",
                        )
                    )
                    continue
                try:
                    if mapped is None:
                        record[name] = convert(cell)
                        continue
                    value = mapped(cell)
                    if value is cell:  # no mapping step took it: typed as any cell
                        value = convert(cell)
                    if value is not None:
                        record[name] = value
                except MappingValueError as exc:
                    problems.append(
                        source.problem(
                            f"{elide(str(exc))} (column {shorten(column)})",
                            line=row_line,
                            pointer=f"/records/{index}/{name}",
                        )
                    )
                except ValueError as exc:
                    problems.append(source.problem(elide(str(exc)), line=row_line, pointer=f"/records/{index}/{name}"))
            if mapping is not None and mapping.completes:
                try:
                    mapping.complete(record)
                except MappingValueError as exc:
                    problems.append(source.problem(elide(str(exc)), line=row_line, pointer=f"/records/{index}"))
            records.append(record)
            lines.append(row_line)
            if len(problems) >= MAX_PROBLEMS:
                break
    except csv.Error as exc:
        problems.append(source.problem(f"malformed CSV: {exc}", line=reader.line_num + offset))
    return records, lines, problems


def load_csv(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Parse a CSV evidence file: header row, an ``id`` column, one record per row.

    A config mapping for the file (:mod:`capcheck.core.mapping`) may name the kind, the encoding, the header
    row, renames, value conversions, the id and rows to skip; it is applied here, cell by cell.
    """
    head, reader = _read_header(source, context, source.data)
    mapping = head.mapping
    counter = SkipCounter(mapping) if mapping is not None else None
    try:
        records, lines, problems = _read_rows(source, head, reader, 0, counter)
    except UnicodeDecodeError:
        _bad_encoding(source, head.encoding)  # raises the located problem
        raise
    if problems:
        raise EvidenceError(problems)
    doc = Document(kind=head.kind_id, records=records, locate=LineTable(lines), rows=True, records_line=head.line)
    if mapping is not None and counter is not None:
        doc.notes = counter.notes()
        doc.mapping = mapping.manifest(counter.total)
    return [doc]


def _separator_hint(columns: Sequence[str], delimiter: str) -> str:
    """For a header read as one column that another separator splits (Excel's ";" in much of Europe), what
    to say; else nothing."""
    if len(columns) != 1:
        return ""
    for other in (",", ";", "\t", "|"):
        if other != delimiter and other in columns[0]:
            shown = json.dumps(other)
            return f": the header is one column with {shown} in it; a [[mapping]] with delimiter = {shown} reads it"
    return ""


def _bad_encoding(source: SourceFile, encoding: str) -> None:
    """Raise the located problem of a file that is not text in ``encoding`` (UTF-8 by default)."""
    if encoding == "utf-8-sig":
        try:
            decode_text(source)
        except EvidenceError as exc:
            [problem] = exc.problems
            if not problem.message.startswith("not valid UTF-8"):
                raise  # a NUL byte: not text at all
            raise source.fail(
                problem.message + ', or give its encoding in a [[mapping]] (encoding = "cp1252";'
                " capcheck inspect FILE suggests one)",
                line=problem.line,
            ) from None
        return
    try:
        source.data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise source.fail(
            f"not {encoding} text: byte 0x{source.data[exc.start]:02x} at offset {exc.start} has no character"
            " in that encoding (the config mapping's 'encoding')",
            line=source.data.count(b"\n", 0, exc.start) + 1,
        ) from None


# ---------------------------------------------------------------- ranges: one register divided over processes

#: Encodings in which a newline byte is always a newline (never part of another character), by codec name.
_CUTTABLE = frozenset({"utf-8", "utf-8-sig", "ascii", "iso8859-1", "iso8859-15", "cp1252"})
#: How many bytes are read at each cut point to find the next line.
_WINDOW = 1 << 16


def _data_start(path: Path, head_bytes: bytes, context: LoadContext) -> tuple[_Header, int] | None:
    """From a CSV file's first bytes: its header and the byte where its data rows start, or None when ranges
    cannot be cut in it (a header problem, which a whole load reports; a header not whole in those bytes; a
    mapping that skips rows, whose counts are the file's; an encoding in which a newline byte may be part of
    another character; a carriage return alone ending a header line, which the reader counts as a line)."""
    mapping = context.mapping_for(path)
    if mapping is not None and mapping.skip_rows:
        return None
    encoding = mapping.encoding if mapping is not None and mapping.encoding else "utf-8-sig"
    try:
        if codecs.lookup(encoding).name not in _CUTTABLE:
            return None
        head, _reader_at = _read_header(SourceFile(path, path.as_posix(), head_bytes), context, head_bytes)
    except (EvidenceError, LookupError, UnicodeDecodeError):
        return None
    start = 0
    for _ in range(head.line):
        start = head_bytes.find(b"\n", start) + 1
        if not start:
            return None  # the header's last line does not end within the first bytes
    if head_bytes.count(b"\r", 0, start) != head_bytes.count(b"\r\n", 0, start):
        return None
    return head, start


def divide_csv(path: Path, size: int, parts: int, context: LoadContext) -> list[ByteRange] | None:
    """Where a CSV register can be cut (``Loader.divide``): at line starts after its header, near ``size / parts``
    apart; None when :func:`_data_start` says ranges cannot be cut in it, or it has no data row. A line break
    inside a quoted cell is found when the ranges are loaded (:func:`load_csv_range`)."""
    if parts < 1:
        return None
    with open_regular(path) as stream:
        stamp = file_stamp(stream)
        if stamp[0] != size:
            return None
        found = _data_start(path, stream.read(HEAD_BYTES), context)
        if found is None or found[1] >= size:
            return None
        starts = [found[1]]
        for part in range(1, parts):
            target = starts[0] + (size - starts[0]) * part // parts
            if target < starts[-1]:
                continue
            stream.seek(target)
            cut = stream.read(_WINDOW).find(b"\n")
            if cut >= 0 and starts[-1] < target + cut + 1 < size:
                starts.append(target + cut + 1)
    ends = [*starts[1:], size]
    return [ByteRange(start, end, *stamp) for start, end in zip(starts, ends, strict=True)]


def load_csv_range(path: Path, span: ByteRange, context: LoadContext) -> Sequence[Document]:
    """Load one range of a CSV register (``Loader.load_range``), from :func:`divide_csv`: its header read from the
    file's first bytes, its rows typed as :func:`load_csv` types them, its lines the file's (the newlines before
    it counted), its first record's index the count of lines since the header's, which holds because every range
    but the last must have one record a line (no blank line, no quoted line break, no carriage return alone).
    Raises :class:`RangeError` when it does not, and for any problem a whole load reports."""
    read = read_range(path, span)
    found = _data_start(path, read.head, context)
    if found is None:
        raise RangeError("the header is not as divided")
    head, data_start = found
    data = read.data
    last = span.end == span.size
    if span.start < data_start or (not last and not data.endswith(b"\n")):
        raise RangeError("not a range of whole lines")
    source = SourceFile(path, path.as_posix(), data)
    # A BOM only starts the file: a range decodes one as the character it is, as a whole load does past the start.
    encoding = "utf-8" if codecs.lookup(head.encoding).name == "utf-8-sig" else head.encoding
    reader = _reader(data, encoding, head.delimiter)
    counter = SkipCounter(head.mapping) if head.mapping is not None else None
    try:
        records, lines, problems = _read_rows(source, head, reader, read.newlines, counter)
    except UnicodeDecodeError:
        raise RangeError("a byte is not text in the file's encoding") from None
    if problems:
        raise RangeError("the range holds a problem a whole load locates")
    if not last and (reader.line_num != len(records) or data.count(b"\n") != len(records)):
        raise RangeError("the rows do not each hold one line")
    doc = Document(
        kind=head.kind_id,
        records=records,
        locate=LineTable(lines),
        rows=True,
        records_line=head.line,
        first=read.newlines - head.line,
    )
    if head.mapping is not None and counter is not None:
        doc.notes = counter.notes()
        doc.mapping = head.mapping.manifest(counter.total)
    return [doc]


@hookimpl
def capcheck_loaders() -> Sequence[Loader]:
    """The CSV loader."""
    return [
        Loader(
            name="csv",
            extensions=(".csv",),
            load=load_csv,
            description="CSV register, one record a row",
            applies_mapping=True,
            kinds_of=kinds_of_csv,
            divide=divide_csv,
            load_range=load_csv_range,
        )
    ]
