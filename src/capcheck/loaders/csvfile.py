"""The built-in CSV evidence loader: one record per row, cells typed by the kind's schema.

The kind is the file's stem (``it-assets.csv``) unless the config's ``csv_kinds`` maps the
file name to a kind. Cells are typed from the schema's property types: ``integer``,
``number``, ``boolean`` (true/false, yes/no, 1/0), ``array`` (items separated by ``;``) and
``string``. An empty cell (or one of only spaces) means the field is absent, except in a list column,
where it is the empty list. A number cell may group thousands with commas (``1,234,567``) but nothing
else: ``2,5`` or ``1,2,3`` is refused as ambiguous. Columns the schema does not declare are kept as strings.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from typing import Any

from capcheck.errors import EvidenceError, Problem
from capcheck.hookspecs import hookimpl
from capcheck.loaders import Document, LoadContext, Loader, SourceFile, decode_text
from capcheck.side_inputs import elide, shorten

__all__ = ["ARRAY_SEPARATOR", "cell_converter", "load_csv"]

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


def load_csv(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Parse a CSV evidence file: header row, an ``id`` column, one record per row."""
    kind_id = context.kind_for_file(source.path)
    kind = context.kinds.get(kind_id)
    if kind is None:
        known = ", ".join(sorted(context.kinds)) or "none"
        raise source.fail(
            f"unknown evidence kind {kind_id!r} (from the file name; known kinds: {known}); "
            "rename the file or map it with csv_kinds in the config",
            line=1,
        )
    # The text is decoded line by line as the reader asks for it (not held whole: a str of a large
    # file costs up to four times its bytes); a bad byte is then located by decoding it all once.
    stream = io.TextIOWrapper(io.BytesIO(source.data), encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.reader(stream, strict=True)
    nul = b"\x00" in source.data
    try:
        header = next(reader)
    except StopIteration:
        raise source.fail("the file is empty: expected a header row with an 'id' column", line=1) from None
    except csv.Error as exc:
        raise source.fail(f"malformed CSV: {exc}", line=1) from None
    except UnicodeDecodeError:
        decode_text(source)
        raise
    if nul and any("\x00" in name for name in header):
        raise source.fail("a NUL character in the header row", line=1)
    header = [h.strip() for h in header]
    problems: list[Problem] = []
    if "id" not in header:
        raise source.fail("no 'id' column in the header row", line=1)
    seen: set[str] = set()
    for name in header:
        if not name:
            raise source.fail("a column in the header row has no name", line=1)
        if name in seen:
            raise source.fail(f"column {shorten(name)} appears twice in the header row", line=1)
        seen.add(name)
    types = kind.field_types
    converters = [(name, cell_converter(types.get(name, "string"))) for name in header]
    # An empty cell of a list column is the empty list: a CSV cell cannot say "no items" otherwise, and a
    # column left out of the file (the field absent) must stay distinguishable from it.
    lists = frozenset(name for name in header if types.get(name, "string").startswith("array:"))
    width = len(header)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    line = reader.line_num + 1
    try:
        for row in reader:
            row_line = line
            line = reader.line_num + 1
            if not row:
                continue  # a blank line
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
            for (name, convert), cell in zip(converters, row, strict=False):
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
                    record[name] = convert(cell)
                except ValueError as exc:
                    problems.append(source.problem(elide(str(exc)), line=row_line, pointer=f"/records/{index}/{name}"))
            records.append(record)
            lines.append(row_line)
            if len(problems) >= MAX_PROBLEMS:
                break
    except csv.Error as exc:
        problems.append(source.problem(f"malformed CSV: {exc}", line=reader.line_num))
    except UnicodeDecodeError:
        decode_text(source)  # raises the located problem
        raise
    if problems:
        raise EvidenceError(problems)

    def locate(index: int) -> int | None:
        return lines[index] if index < len(lines) else None

    return [Document(kind=kind_id, records=records, locate=locate, rows=True, records_line=1)]


@hookimpl
def capcheck_loaders() -> Sequence[Loader]:
    """The CSV loader."""
    return [Loader(name="csv", extensions=(".csv",), load=load_csv, description="CSV register, one record a row")]
