"""A streaming ``.xlsx``/``.xlsm`` reader (stdlib ``zipfile`` and expat): a worksheet's rows one at a time.

python-calamine reads a whole sheet into memory (its ``Range``, a dense grid) before the first row can be had,
so a workbook's reading memory grows with its cell grid. This reader decompresses
the sheet's XML a chunk at a time and hands each row over as it is parsed: beyond the rows a caller keeps,
memory holds the shared-strings table (the workbook's distinct texts, which records share rather than copy),
the cell styles and one chunk. It gives the values python-calamine gives (``to_python(skip_empty_area=False)``):
``""`` for an empty or error cell, ``float`` for a number, ``bool``, ``str``, and for a number whose style is a
date format a ``date`` (a whole day), ``datetime``, ``time`` (under one day) or ``timedelta`` (``[h]:mm``
formats). A row is a list from column A to its last value (calamine pads every row to the sheet's width).

Every part is parsed by expat with DOCTYPE declarations refused (:mod:`~capcheck.builtins.loaders.xmlparse`:
so no entity can be declared, let alone expanded: what defusedxml's ``forbid_dtd`` does), and a member is
read no further than its declared size.
"""

from __future__ import annotations

import io
import math
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO, Any, NoReturn
from xml.parsers import expat

from capcheck.builtins.loaders.xmlparse import guarded_parser

__all__ = ["SheetPart", "WorkbookError", "XlsxStream", "date_format"]

_MAIN = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main")
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_DOCUMENT = "/officeDocument"
_CHUNK = 1 << 16
#: Excel's last row: a row number beyond it would make the reader produce that many blank rows before it.
_LAST_ROW = 1_048_576
#: Built-in number formats that are dates or times (ECMA-376 18.8.30), and the duration one (``[h]:mm:ss``).
_BUILTIN_DATES = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 47})
_BUILTIN_DURATIONS = frozenset({46})
_EPOCH = datetime(1899, 12, 30)
#: Date cells remembered by their serial (cleared when full: a bound, however many distinct dates a sheet has).
_SEEN_DATES = 1 << 16
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")

_DATE, _DURATION = 1, 2


class WorkbookError(Exception):
    """The workbook cannot be read; the message says why (the caller names the file)."""


@dataclass(frozen=True)
class SheetPart:
    """A sheet of the workbook: its name, whether it is visible, and its part in the archive (``""`` for a
    chart or dialog sheet, which holds no cells)."""

    name: str
    visible: bool
    part: str


def date_format(code: str) -> int:
    """Whether a number format code shows a date or time (1), a duration (2, ``[h]:mm``) or neither (0).

    The first section only; text in quotes, escaped or skipped characters and bracketed colours or
    conditions are not format tokens. The rule python-calamine applies, so both readers type a cell alike.
    """
    escaped = quoted = am = hms = False
    brackets = 0
    prev = " "
    for ch in code:
        if escaped:
            escaped = False
        elif ch in "_\\*":
            escaped = True
        elif quoted:
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == ";":
            return 0
        elif ch == "[":
            brackets += 1
        elif ch == "]" and brackets == 1 and hms:
            return _DURATION
        elif ch == "]":
            brackets = max(brackets - 1, 0)
        elif ch in "aA" and not am and brackets == 0:
            am = True
        elif brackets == 0 and ch in ("pm/PM" if am else "dmhysDMHYS"):
            return _DATE
        elif not (hms and ch.lower() == prev.lower()):
            hms = prev == "[" and ch in "mhsMHS"
        prev = ch
    return 0


def _unescape(text: str) -> str:
    """``_x000D_`` and friends: the characters XML cannot carry, as Excel escapes them in text."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _parser(part: str, *, namespaces: bool = True) -> Any:
    """An expat parser for ``part``, text buffered, DTDs refused; with ``namespaces``, names are ``uri local``."""

    def refuse(_line: int) -> NoReturn:
        raise WorkbookError(f"{part}: declares a DOCTYPE (refused: it could declare entities)")

    return guarded_parser(refuse, namespaces=namespaces, buffer_size=_CHUNK)


def _feed(parser: Any, stream: Any, part: str) -> None:
    try:
        while chunk := stream.read(_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise WorkbookError(f"{part}: not well-formed XML ({exc})") from None
    except (LookupError, ValueError) as exc:  # an encoding declared that expat hands Python, which cannot read it
        raise WorkbookError(f"{part}: not well-formed XML (its declared encoding cannot be read: {exc})") from None


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


class XlsxStream:
    """An open ``.xlsx``/``.xlsm`` archive: its worksheets, and each one's rows as a stream."""

    def __init__(self, data: bytes | IO[bytes]) -> None:
        """Open the archive: its bytes, or a file open for reading (the workbook's sheet list, read alone)."""
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise WorkbookError(str(exc)) from None
        self._names = {info.filename for info in self._zip.infolist()}
        book = self._office_document()
        rels = self._relationships(book)
        self.is_1904 = False
        self.sheets: list[SheetPart] = []
        self._read_workbook(book, rels)
        strings = next((t for t, kind in rels.values() if kind.endswith("/sharedStrings")), None)
        styles = next((t for t, kind in rels.values() if kind.endswith("/styles")), None)
        self._strings_part = strings
        self._strings: list[str] | None = None
        self._styles_part = styles
        self._formats: list[int] | None = None  # read with the first sheet's rows: the sheet list needs none

    def _open(self, part: str) -> Any:
        if part not in self._names:
            raise WorkbookError(f"no part {part} in the archive")
        try:
            return self._zip.open(part)
        except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError) as exc:
            raise WorkbookError(f"{part}: {exc}") from None

    def _parse(
        self, part: str, start: Callable[[str, dict[str, str]], None], end: Any = None, text: Any = None
    ) -> None:
        parser = _parser(part)
        parser.StartElementHandler = start
        if end is not None:
            parser.EndElementHandler = end
        if text is not None:
            parser.CharacterDataHandler = text
        with self._open(part) as stream:
            try:
                _feed(parser, stream, part)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a damaged or truncated member
                raise WorkbookError(f"{part}: {exc}") from None

    def _office_document(self) -> str:
        found: list[str] = []

        def start(name: str, attrs: dict[str, str]) -> None:
            if _local(name) == "Relationship" and attrs.get("Type", "").endswith(_OFFICE_DOCUMENT):
                found.append(attrs.get("Target", ""))

        if "_rels/.rels" in self._names:
            self._parse("_rels/.rels", start)
        target = found[0].lstrip("/") if found else "xl/workbook.xml"
        return target

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """A part's relationships: id -> (target part, type)."""
        folder, name = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", name + ".rels")
        found: dict[str, tuple[str, str]] = {}

        def start(tag: str, attrs: dict[str, str]) -> None:
            if tag == f"{_PACKAGE_RELS} Relationship" or _local(tag) == "Relationship":
                target = attrs.get("Target", "")
                if attrs.get("TargetMode") == "External":
                    return
                path = (
                    target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
                )
                found[attrs.get("Id", "")] = (path, attrs.get("Type", ""))

        if rels_part in self._names:
            self._parse(rels_part, start)
        return found

    def _read_workbook(self, part: str, rels: dict[str, tuple[str, str]]) -> None:
        def start(tag: str, attrs: dict[str, str]) -> None:
            local = _local(tag)
            if local == "workbookPr":
                self.is_1904 = attrs.get("date1904", "") in ("1", "true")
            elif local == "sheet":
                rid = next((v for k, v in attrs.items() if _local(k) == "id"), "")
                target, kind = rels.get(rid, ("", ""))
                if not kind.endswith("/worksheet"):
                    target = ""  # a chart sheet or dialog sheet: listed, but it holds no cells
                state = attrs.get("state", "visible")
                self.sheets.append(SheetPart(attrs.get("name", ""), state == "visible", target))

        self._parse(part, start)
        # Excel names each sheet once (whatever the case) and gives each its own part. A 46 KB workbook listing
        # one 0.5 MB sheet part 2,000 times (the expanded-size cap counts a part once) was read 2,000 times:
        # 56 CPU s and 2.2 GB, to report 12,000 duplicate ids.
        names: dict[str, int] = {}
        parts: dict[str, int] = {}
        for index, sheet in enumerate(self.sheets):
            first = names.setdefault(sheet.name.casefold(), index)
            if first != index:
                other = self.sheets[first].name
                raise WorkbookError(
                    f"two sheets are named {other!r}: each sheet has a name of its own"
                    if other == sheet.name
                    else f"sheets {other!r} and {sheet.name!r} have one name (Excel ignores case): each has its own"
                )
            first = parts.setdefault(sheet.part, index) if sheet.part else index
            if first != index:
                other = self.sheets[first].name
                raise WorkbookError(
                    f"sheets {other!r} and {sheet.name!r} are one part ({sheet.part}): each has its own"
                )

    def _read_styles(self, part: str) -> list[int]:
        """Per cell style (``s``), whether its number format is a date (1), a duration (2) or neither (0)."""
        custom: dict[int, int] = {}
        formats: list[int] = []
        in_xfs = [False]

        def start(tag: str, attrs: dict[str, str]) -> None:
            local = _local(tag)
            if local == "numFmt":
                code = attrs.get("numFmtId", "")
                if code.isdigit():
                    custom[int(code)] = date_format(attrs.get("formatCode", ""))
            elif local == "cellXfs":
                in_xfs[0] = True
            elif local == "xf" and in_xfs[0]:
                try:
                    number = int(attrs.get("numFmtId", "0"))
                except ValueError:
                    number = 0
                if number in custom:
                    formats.append(custom[number])
                else:
                    formats.append(
                        _DATE if number in _BUILTIN_DATES else _DURATION if number in _BUILTIN_DURATIONS else 0
                    )

        def end(tag: str) -> None:
            if _local(tag) == "cellXfs":
                in_xfs[0] = False

        self._parse(part, start, end)
        return formats

    def _shared_strings(self) -> list[str]:
        """The shared-strings table (read once, at the first sheet's rows)."""
        if self._strings is not None:
            return self._strings
        strings: list[str] = []
        part = self._strings_part
        if part is None or part not in self._names:
            self._strings = strings
            return strings
        text: list[str] = []
        piece: list[str] = []
        collect = phonetic = preserve = False
        si = t = rph = ""

        def root(tag: str, attrs: dict[str, str]) -> None:
            nonlocal si, t, rph
            prefix = _main_prefix(tag, attrs, "sst", part)
            si, t, rph = prefix + "si", prefix + "t", prefix + "rPh"
            parser.StartElementHandler = start

        def start(tag: str, attrs: dict[str, str]) -> None:
            nonlocal collect, phonetic, preserve
            if tag == t:
                if not phonetic:
                    collect = True
                    preserve = attrs.get("xml:space") == "preserve"
                    piece.clear()
            elif tag == si:
                text.clear()
            elif tag == rph:
                phonetic = True

        def end(tag: str) -> None:
            nonlocal collect, phonetic
            if tag == t:
                if collect:
                    collect = False
                    value = "".join(piece)
                    text.append(value if preserve else value.strip(" \t\r\n"))
            elif tag == si:
                strings.append(_unescape("".join(text)))
            elif tag == rph:
                phonetic = False

        def data(chars: str) -> None:
            if collect:
                piece.append(chars)

        parser = _parser(part, namespaces=False)
        parser.StartElementHandler = root
        parser.EndElementHandler = end
        parser.CharacterDataHandler = data
        with self._open(part) as stream:
            try:
                _feed(parser, stream, part)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a damaged or truncated member
                raise WorkbookError(f"{part}: {exc}") from None
        self._strings = strings  # only once whole: a table that failed fails every sheet that needs it
        return strings

    def rows(self, sheet: SheetPart) -> Iterator[list[Any]]:
        """The sheet's rows from row 1, each a list of cell values from column A (``""`` where empty).

        Rows are yielded as the XML is parsed, a chunk at a time; a row the sheet leaves out (blank) is an
        empty list, and a row ends at its last cell (the caller treats missing cells as empty)."""
        if not sheet.part:
            return
        strings = self._shared_strings()
        if self._formats is None:
            self._formats = self._read_styles(self._styles_part) if self._styles_part is not None else []
        dated = {str(style): form for style, form in enumerate(self._formats) if form}
        is_1904 = self.is_1904
        part = sheet.part
        done: list[list[Any] | int] = []  # rows parsed, not yet handed over (an int: that many blank rows)
        row: list[Any] = []
        columns: dict[str, int] = {}
        seen: dict[tuple[str | None, str], Any] = {}  # date cells' values by style and serial
        # The parse state, in closure cells: the handlers run once per element (this is the hot loop).
        row_no = column = 0
        kind = "n"
        style: str | None = None
        raw = ""
        pieces: list[str] | None = None
        collect = 0  # where text goes: 1 the <v> text, 2 the inline string's current piece, 0 nowhere
        phonetic = keep = False
        c = v = t = row_tag = is_tag = rph = ""

        def root(tag: str, attrs: dict[str, str]) -> None:
            nonlocal c, v, t, row_tag, is_tag, rph
            prefix = _main_prefix(tag, attrs, "worksheet", part)
            c, v, t, row_tag, is_tag, rph = (prefix + n for n in ("c", "v", "t", "row", "is", "rPh"))
            parser.StartElementHandler = start

        def start(tag: str, attrs: dict[str, str]) -> None:
            nonlocal row_no, column, kind, style, raw, pieces, collect, phonetic, keep
            if tag == c:
                ref = attrs.get("r")
                if ref is None:
                    column = len(row)
                else:
                    letters = ref.rstrip("0123456789")
                    found = columns.get(letters)
                    if found is None:
                        found = columns[letters] = _column(letters, ref, part)
                    column = found
                kind = attrs.get("t", "n")
                style = attrs.get("s")
                raw = ""
                pieces = None
            elif tag == v:
                collect = 1
                raw = ""
            elif tag == row_tag:
                ref = attrs.get("r")
                number = int(ref) if ref is not None and ref.isdigit() else row_no + 1
                if number <= row_no or number > _LAST_ROW:
                    where = f"comes after row {row_no}" if number <= row_no else f"is beyond the last ({_LAST_ROW})"
                    raise WorkbookError(f"{part}: row {number} {where}")
                if number > row_no + 1:  # rows the sheet leaves out: counted, made as they are handed over
                    done.append(number - row_no - 1)
                row_no = number
            elif tag == t:
                if not phonetic:
                    collect = 2
                    keep = attrs.get("xml:space") == "preserve"
                    if pieces is None:
                        pieces = []
                    pieces.append("")
            elif tag == is_tag:
                pieces = []
            elif tag == rph:
                phonetic = True

        def end(tag: str) -> None:
            nonlocal collect, phonetic
            if tag == c:
                if kind == "s":
                    try:
                        value: Any = strings[int(raw)] if raw else ""
                    except (ValueError, IndexError):
                        raise WorkbookError(f"{part}: shared string {raw!r} is not in the table") from None
                elif kind == "n" and style not in dated:
                    try:
                        value = float(raw) if raw else ""
                    except ValueError:
                        raise WorkbookError(f"{part}: {raw!r} is not a number") from None
                elif kind == "n" and (value := seen.get((style, raw))) is not None:
                    pass  # a date cell seen before (registers repeat their dates)
                else:
                    value = _value(kind, raw, pieces, dated.get(style or "", 0), is_1904, part)
                    if kind == "n":
                        if len(seen) >= _SEEN_DATES:
                            seen.clear()
                        seen[style, raw] = value
                if value == "":
                    return  # an empty cell (styled, or an error): the row is padded only up to a value
                width = len(row)
                if column == width:
                    row.append(value)
                elif column > width:
                    row.extend([""] * (column - width))
                    row.append(value)
                else:
                    row[column] = value
            elif tag == v:
                collect = 0
            elif tag == t:
                if collect and not keep:
                    assert pieces is not None
                    pieces[-1] = pieces[-1].strip(" \t\r\n")  # as in the shared strings
                collect = 0
            elif tag == row_tag:
                done.append(row.copy())
                row.clear()
            elif tag == rph:
                phonetic = False

        def data(chars: str) -> None:
            nonlocal raw
            if collect == 1:
                raw += chars
            elif collect:
                assert pieces is not None
                pieces[-1] += chars

        parser = _parser(part, namespaces=False)
        parser.StartElementHandler = root
        parser.EndElementHandler = end
        parser.CharacterDataHandler = data
        with self._open(part) as stream:
            try:
                while chunk := stream.read(_CHUNK):
                    parser.Parse(chunk, False)
                    if done:
                        yield from _rows(done)
                        done.clear()
                parser.Parse(b"", True)
            except expat.ExpatError as exc:
                raise WorkbookError(f"{part}: not well-formed XML ({exc})") from None
            except (LookupError, ValueError) as exc:  # as in _feed: an encoding declared that Python cannot read
                raise WorkbookError(
                    f"{part}: not well-formed XML (its declared encoding cannot be read: {exc})"
                ) from None
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise WorkbookError(f"{part}: {exc}") from None
        yield from _rows(done)


def _main_prefix(tag: str, attrs: dict[str, str], expected: str, part: str) -> str:
    """The prefix (``""`` or ``"x:"``) a part's root element gives SpreadsheetML's names, checking that the
    root is ``expected`` in that namespace (parts are parsed without namespace processing: it is faster)."""
    prefix, _, local = tag.rpartition(":")
    namespace = attrs.get(f"xmlns:{prefix}" if prefix else "xmlns")
    if local != expected or namespace not in _MAIN:
        raise WorkbookError(f"{part}: the root element is {tag!r}, not a SpreadsheetML {expected}")
    return f"{prefix}:" if prefix else ""


def _rows(done: list[list[Any] | int]) -> Iterator[list[Any]]:
    for item in done:
        if type(item) is int:
            for _ in range(item):
                yield []  # a new list each time: the caller may extend a row
        else:
            yield item  # type: ignore[misc]  # not an int: a row


def _column(letters: str, ref: str, part: str) -> int:
    """The 0-based column of a cell reference's letters (``AB`` is 27)."""
    if not letters or len(letters) > 3 or not letters.isascii() or not letters.isalpha():
        raise WorkbookError(f"{part}: {ref!r} is not a cell reference")
    column = 0
    for ch in letters.upper():
        column = column * 26 + ord(ch) - 64
    if column > 16384:
        raise WorkbookError(f"{part}: {ref!r} is beyond the last column (XFD)")
    return column - 1


def _value(kind: str, raw: str, pieces: list[str] | None, form: int, is_1904: bool, part: str) -> Any:
    """A cell's value from its type (``t``), its ``<v>`` text, its inline string's pieces and its number
    format (a date, a duration or neither)."""
    if kind == "inlineStr":
        return _unescape("".join(pieces)) if pieces else ""
    if not raw:
        return ""
    if kind == "n":
        try:
            number = float(raw)
        except ValueError:
            raise WorkbookError(f"{part}: {raw!r} is not a number") from None
        return _as_date(number, form, is_1904) if form else number
    if kind == "b":
        return raw != "0"
    if kind == "str":
        return _unescape(raw)
    if kind == "d":
        return _iso_date(raw)
    return ""  # "e": an error cell (#N/A, #DIV/0!) reads as empty, as python-calamine reads it


def _round(value: float) -> int:
    """Half away from zero, as Rust's ``f64::round`` (Python's ``round`` goes half to even: a millisecond apart)."""
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def _as_date(number: float, form: int, is_1904: bool) -> Any:
    """A date-formatted number as python-calamine gives it (a plain float where it is out of range): to the
    millisecond, days counted from 1899-12-30 (1904-01-01 in the 1904 system), serials before 60 (Excel's
    phantom 1900-02-29) a day later."""
    try:
        if form == _DURATION:
            return timedelta(milliseconds=_round(number * 86_400_000))
        shifted = number + 1462 if is_1904 else number
        if shifted < 60:
            shifted += 1
        ms = _round(shifted * 86_400_000)
        if number < 1.0:  # a time of day, whatever day it falls on (before year 1 too)
            return (_EPOCH + timedelta(milliseconds=ms % 86_400_000)).time()
        moment = _EPOCH + timedelta(milliseconds=ms)
    except (OverflowError, ValueError):
        return number
    if number.is_integer():
        return moment.date()
    return moment


def _iso_date(text: str) -> Any:
    try:
        if "T" in text:
            return datetime.fromisoformat(text)
        if ":" in text:
            return datetime.fromisoformat(f"2000-01-01T{text}").time()
        return date.fromisoformat(text)
    except ValueError:
        return text
