"""Mapping as data: how a register's own columns and values become the records of a kind.

A mapping is a ``[[mapping]]`` table of the config, chosen per file glob (and, in a workbook, per
sheet). It says which kind the file holds, which header row to read, how to rename columns, and how
to convert values (value maps, date formats, number formats, trimming); which column or columns make
the id; and which rows to skip (each skipped row counted and reported). The CSV and spreadsheet
loaders apply it cell by cell as they read; for any other loader (JSON, YAML, TOML, plugins) it is
applied to the loaded records (:func:`apply_to_document`). Either way it runs before schema
validation, and a value it cannot convert is an evidence problem naming the mapping key, the column
and the cell or record.

The reference (every key, with examples) is docs/bring-your-own-registers.md.
"""

from __future__ import annotations

import codecs
import contextlib
import difflib
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Any

import re2

from capcheck.dates import parse_date
from capcheck.errors import ConfigError, EvidenceError, Problem
from capcheck.side_inputs import elide, escape_token, shorten

if TYPE_CHECKING:
    from capcheck.kinds import EvidenceKind
    from capcheck.loaders import Document, SourceFile

__all__ = [
    "MAPPING_KEYS",
    "NUMBER_STYLES",
    "FieldPlan",
    "FileMapping",
    "MappingValueError",
    "SkipCounter",
    "SkipRule",
    "apply_to_document",
    "check_mappings",
    "compile_mappings",
    "date_fields",
    "parse_number",
]

#: Every key a ``[[mapping]]`` table may hold (docs/bring-your-own-registers.md documents each).
MAPPING_KEYS = (
    "files",
    "sheet",
    "kind",
    "header_row",
    "encoding",
    "trim",
    "id",
    "rename",
    "values",
    "dates",
    "numbers",
    "skip_rows",
)
#: The keys of one ``skip_rows`` entry: ``field`` and one test.
SKIP_KEYS = ("field", "equals", "empty", "matches")
#: How a number is written: the thousands separator and the decimal mark, shown by example.
NUMBER_STYLES = {"1,234.5": (",", "."), "1.234,5": (".", ","), "1 234,5": (" ", ","), "1234.5": ("", ".")}
#: The ``strftime`` directives a date format may use (those that read a date or a time of day).
_DATE_DIRECTIVES = frozenset("dmyYbBaAjHIMSpfz%")
_TIME_DIRECTIVES = frozenset("HIMSpfz")
#: A time of day after a date (``01/03/2024 14:22``), dropped when the format reads a date only.
_TRAILING_TIME = re.compile(r"[ T]+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?(?:\s*[AaPp][Mm])?\Z")
#: Excel's day 0 (serial 1 is 1900-01-01; Excel's fictitious 1900-02-29 makes 1899-12-30 right from March 1900).
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_MAX = 2_958_465  # 9999-12-31
_CURRENCY = re.compile(r"^(?:[£$€¥]|GBP|USD|EUR)\s*|\s*(?:[£$€¥]|GBP|USD|EUR)$", re.IGNORECASE)
_SUFFIXES = {"k": 3, "m": 6, "mn": 6, "bn": 9, "b": 9}
_SUFFIX = re.compile(r"(?i)\s*(k|mn|m|bn|b)\Z")
#: Numbers a mapping reads are below this: larger ones are no register's value, and huge integers cannot be written out.
_MAX_NUMBER = Decimal(10) ** 18
_TEMPLATE = re.compile(r"\{([^{}]*)\}")
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_OPTIONS.never_capture = True


class MappingValueError(ValueError):
    """A value a mapping cannot convert; the message names the mapping key and the value."""


@dataclass(frozen=True)
class SkipRule:
    """One ``skip_rows`` entry: rows whose ``field`` passes the test are skipped (and counted)."""

    field: str
    test: Callable[[str], bool]
    shown: str

    def __call__(self, value: Any) -> bool:
        return self.test(_as_text(value))


@dataclass(frozen=True)
class FileMapping:
    """One validated ``[[mapping]]`` table."""

    number: int
    #: Where it is written: ``capcheck.toml:[[mapping]] 2``; the manifest and messages use it.
    source: str
    files: tuple[str, ...]
    base: Path | None = None
    sheet: str | None = None
    kind: str | None = None
    header_row: int | None = None
    encoding: str | None = None
    trim: bool = False
    id: str | None = None
    rename: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    dates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    numbers: Mapping[str, str] = field(default_factory=dict)
    skip_rows: tuple[SkipRule, ...] = ()
    #: SHA-256 of the table's canonical JSON (sorted keys): the manifest records it.
    sha256: str = ""

    def matches(self, path: Path, sheet: str | None = None) -> bool:
        """Whether this mapping is for ``path`` (and, when it names one, for ``sheet``)."""
        if self.sheet is not None and (sheet is None or sheet.strip().casefold() != self.sheet.strip().casefold()):
            return False
        names = {path.name, path.as_posix()}
        if self.base is not None:
            with contextlib.suppress(ValueError, OSError):  # a file outside the config's directory
                names.add(path.resolve().relative_to(self.base.resolve()).as_posix())
        return any(fnmatch(name, pattern) for pattern in self.files for name in names)

    def manifest(self, skipped: int) -> dict[str, Any]:
        """The findings document's record of this mapping on one file."""
        return {"source": self.source, "sha256": self.sha256, "skipped_rows": skipped}

    def header_problems(self, columns: Sequence[str]) -> list[str]:
        """What the mapping names that a table's header lacks (``columns`` as written): a column to rename, or a
        field to convert, that is not there. A misspelt name would otherwise leave a column unmapped silently."""
        problems = []
        written = set(columns)
        fields = {self.header_name(c) for c in columns}
        for name in self.rename:
            if name not in written:
                problems.append(f"{self.source} rename: no column {name!r} in the header{_close(name, columns)}")
        for key, table in (("values", self.values), ("dates", self.dates), ("numbers", self.numbers)):
            for name in table:
                if name != "*" and name not in fields:
                    problems.append(
                        f"{self.source} {key}.{name}: no column {name!r} (after rename){_close(name, sorted(fields))}"
                    )
        return problems

    def header_name(self, name: str) -> str:
        """The field a header (or a JSON key) becomes."""
        return self.rename.get(name, name)

    def plan(self, kind: EvidenceKind) -> FieldPlan:
        """The conversions for records of ``kind``."""
        return FieldPlan(self, kind)

    def id_fields(self) -> tuple[str, ...]:
        """The fields the ``id`` key reads (one column, or the names in a template)."""
        if self.id is None:
            return ()
        names = _TEMPLATE.findall(self.id)
        return tuple(names) if names else (self.id,)

    def make_id(self, record: Mapping[str, Any]) -> str:
        """The id of a converted record; MappingValueError when a field it needs is empty."""
        assert self.id is not None
        names = _TEMPLATE.findall(self.id)
        if not names:
            value = record.get(self.id)
            if value is None or value == "":
                raise MappingValueError(f"mapping id {self.id!r}: the column is empty")
            return _as_text(value)

        def part(match: re.Match[str]) -> str:
            value = record.get(match.group(1))
            if value is None or value == "":
                raise MappingValueError(f"mapping id {self.id!r}: {match.group(1)} is empty")
            return _as_text(value)

        return _TEMPLATE.sub(part, self.id)


class FieldPlan:
    """One mapping's conversions for one kind: which fields have a value map, a date or a number format."""

    def __init__(self, mapping: FileMapping, kind: EvidenceKind) -> None:
        self.mapping = mapping
        self.trim = mapping.trim
        self._types = kind.field_types
        self._dates = date_fields(kind)
        self._cache: dict[str, Callable[[Any], Any] | None] = {}

    def converter(self, name: str) -> Callable[[Any], Any] | None:
        """The conversion of field ``name`` (None when the mapping converts nothing in it).

        It returns the field's value (None for absent), or raises :class:`MappingValueError`.
        """
        if name in self._cache:
            return self._cache[name]
        m = self.mapping
        steps: list[Callable[[Any], tuple[bool, Any]]] = []
        values = m.values.get(name)
        if values is not None:
            steps.append(_value_map(name, values))
        formats = m.dates.get(name) or (m.dates.get("*") if name in self._dates else None)
        if formats:
            key = f"dates.{name}" if name in m.dates else "dates.*"
            steps.append(_date_step(key, formats))
        field_type = self._types.get(name, "string")
        style = m.numbers.get(name) or (m.numbers.get("*") if field_type in ("number", "integer") else None)
        if style is not None:
            key = f"numbers.{name}" if name in m.numbers else "numbers.*"
            steps.append(_number_step(key, style, integer=field_type == "integer"))
        convert: Callable[[Any], Any] | None = None
        if steps:

            def convert(value: Any) -> Any:
                for step in steps:
                    done, out = step(value)
                    if done:
                        return out
                return value

        self._cache[name] = convert
        return convert

    def skip(self, record: Mapping[str, Any]) -> int | None:
        """The 0-based ``skip_rows`` entry a row (raw values by field) matches, or None."""
        for index, rule in enumerate(self.mapping.skip_rows):
            if rule(record.get(rule.field)):
                return index
        return None


class SkipCounter:
    """Counts skipped rows per ``skip_rows`` entry, for the notes and the manifest."""

    def __init__(self, mapping: FileMapping) -> None:
        self.mapping = mapping
        self.counts = [0] * len(mapping.skip_rows)

    def add(self, index: int) -> None:
        """Count one row skipped by entry ``index``."""
        self.counts[index] += 1

    @property
    def total(self) -> int:
        """How many rows were skipped."""
        return sum(self.counts)

    def notes(self) -> tuple[str, ...]:
        """One note per entry that skipped rows: ``3 rows skipped by ... skip_rows 1 (status equals ...)``."""
        out = []
        for index, count in enumerate(self.counts):
            if count:
                rows = "1 row" if count == 1 else f"{count} rows"
                rule = self.mapping.skip_rows[index]
                out.append(f"{rows} skipped by {self.mapping.source} skip_rows {index + 1} ({rule.shown})")
        return tuple(out)


def date_fields(kind: EvidenceKind) -> frozenset[str]:
    """The fields of ``kind`` whose schema says ``"format": "date"``."""
    props = kind.schema.get("properties", {})
    if not isinstance(props, Mapping):
        return frozenset()
    return frozenset(name for name, spec in props.items() if isinstance(spec, Mapping) and spec.get("format") == "date")


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _value_map(name: str, values: Mapping[str, Any]) -> Callable[[Any], tuple[bool, Any]]:
    def step(value: Any) -> tuple[bool, Any]:
        if isinstance(value, str):
            key = value.strip().casefold()
            if key in values:
                return True, values[key]
        return False, value

    return step


def _date_step(key: str, formats: tuple[str, ...]) -> Callable[[Any], tuple[bool, Any]]:
    shown = formats[0] if len(formats) == 1 else ", ".join(formats)

    def step(value: Any) -> tuple[bool, Any]:
        if isinstance(value, datetime):
            return True, value.date().isoformat()
        if isinstance(value, date):
            return True, value.isoformat()
        for fmt in formats:
            parsed = _parse_date(fmt, value)
            if parsed is not None:
                return True, parsed.isoformat()
        raise MappingValueError(
            f"mapping {key} {json.dumps(shown, ensure_ascii=False)}: {_quoted(value)} is not a date"
        )

    return step


def _parse_date(fmt: str, value: Any) -> date | None:
    if fmt == "excel":
        if isinstance(value, bool):
            return None
        number: float
        if isinstance(value, int | float):
            number = float(value)
        else:
            try:
                number = float(str(value).strip())
            except ValueError:
                return None
        if not 1 <= number <= _EXCEL_MAX:
            return None
        return _EXCEL_EPOCH + timedelta(days=int(number))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if fmt == "iso":
        return parse_date(text)
    if not any(f"%{d}" in fmt for d in _TIME_DIRECTIVES):
        text = _TRAILING_TIME.sub("", text)
    try:
        return datetime.strptime(text, fmt).date()
    except ValueError:
        return None


def _number_step(key: str, style: str, *, integer: bool) -> Callable[[Any], tuple[bool, Any]]:
    thousands, decimal = NUMBER_STYLES[style]

    def step(value: Any) -> tuple[bool, Any]:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise MappingValueError(f"mapping {key} {style!r}: {_quoted(value)} is not a number")
        if isinstance(value, int | float):
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        else:
            parsed = parse_number(value, thousands, decimal)
            if parsed is None:
                raise MappingValueError(f"mapping {key} {style!r}: {_quoted(value)} is not a number")
            number = parsed
        if not number.is_finite():
            raise MappingValueError(f"mapping {key} {style!r}: {_quoted(value)} is not a finite number")
        if abs(number) >= _MAX_NUMBER:
            raise MappingValueError(f"mapping {key} {style!r}: {_quoted(value)} is too large (18 digits at most)")
        if number == number.to_integral_value():
            return True, int(number)
        if integer:
            raise MappingValueError(f"mapping {key} {style!r}: {_quoted(value)} is not a whole number")
        return True, float(number)

    return step


def parse_number(text: str, thousands: str, decimal: str) -> Decimal | None:
    """A formatted number (currency, thousands, ``k``/``m``/``bn``, accounting brackets), or None if it is not one."""
    s = text.strip().replace("\u00a0", " ")
    negative = False
    if s.startswith("(") and s.endswith(")"):  # accounting: (1,200) is -1200
        negative, s = True, s[1:-1].strip()
    if s[:1] in "+-" and s[:1]:
        negative, s = negative ^ (s[0] == "-"), s[1:].strip()
    s = _CURRENCY.sub("", s)
    if s[:1] == "-":  # -£5 and £-5 both read
        negative, s = not negative, s[1:].strip()
    exponent = 0
    suffix = _SUFFIX.search(s)
    if suffix is not None and s[: suffix.start()][-1:].isdigit():
        exponent = _SUFFIXES[suffix.group(1).lower()]
        s = s[: suffix.start()]
    if thousands:
        whole, _, fraction = s.partition(decimal)
        groups = whole.split(thousands)
        if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
            return None
        s = "".join(groups) + ("." + fraction if fraction or s.endswith(decimal) else "")
    elif decimal != ".":
        s = s.replace(decimal, ".")
    if not re.fullmatch(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", s):
        return None
    try:
        number = Decimal(s).scaleb(exponent)
    except InvalidOperation:
        return None
    return -number if negative else number


def _quoted(value: Any) -> str:
    if isinstance(value, str):
        return shorten(value)
    return f"{type(value).__name__} {shorten(_as_text(value))}"


# ---------------------------------------------------------------- applying to loaded records


def apply_to_document(
    source: SourceFile, doc: Document, mapping: FileMapping, kinds: Mapping[str, EvidenceKind]
) -> None:
    """Apply ``mapping`` to a document whose loader read records whole (JSON, YAML, TOML, a plugin's).

    Keys are renamed, values converted, the id made, rows skipped (counted in a note and the manifest);
    records skipped keep the others at their own pointers and lines. Changes ``doc`` in place.

    :raises EvidenceError: every value the mapping cannot convert, located by record and field.
    """
    for key in ("sheet", "header_row", "encoding"):
        if getattr(mapping, key) is not None:
            raise source.fail(f"{mapping.source}: '{key}' applies to CSV files and spreadsheets, not to this file")
    if mapping.kind is not None:
        doc.kind = mapping.kind
    kind = kinds.get(doc.kind)
    if kind is None:
        return  # validation names the unknown kind
    plan = mapping.plan(kind)
    counter = SkipCounter(mapping)
    problems: list[Problem] = []
    records: list[Any] = []
    kept: list[int] = []
    for index, record in enumerate(doc.records):
        if type(record) is not dict:
            records.append(record)  # validation says it is not an object
            kept.append(index)
            continue
        out: dict[str, Any] = {}
        for key, value in record.items():
            name = mapping.header_name(key)
            if name in out and name != key:
                problems.append(
                    source.problem(
                        f"{mapping.source} rename: {shorten(key)} becomes {shorten(name)},"
                        " which the record already has",
                        line=doc.locate(index),
                        pointer=doc.pointer(index) + "/" + escape_token(key),
                    )
                )
            if mapping.trim and isinstance(value, str):
                value = value.strip()
            out[name] = value
        rule = plan.skip(out)
        if rule is not None:
            counter.add(rule)
            continue
        for name in list(out):
            convert = plan.converter(name)
            if convert is None or out[name] is None or out[name] == "":
                continue
            try:
                converted = convert(out[name])
            except MappingValueError as exc:
                problems.append(
                    source.problem(
                        f"{elide(str(exc))} (column {shorten(name)})",
                        line=doc.locate(index),
                        pointer=doc.pointer(index) + "/" + escape_token(name),
                    )
                )
                continue
            if converted is None:
                del out[name]
            else:
                out[name] = converted
        if mapping.id is not None:
            try:
                out["id"] = mapping.make_id(out)
            except MappingValueError as exc:
                problems.append(source.problem(elide(str(exc)), line=doc.locate(index), pointer=doc.pointer(index)))
        records.append(out)
        kept.append(index)
    if problems:
        raise EvidenceError(problems)
    if counter.total:
        old_pointer, old_locate = doc.pointer, doc.locate
        doc.pointers = [old_pointer(i) for i in kept]
        doc.locate = lambda i: old_locate(kept[i]) if i < len(kept) else None
    doc.records = records
    doc.notes = (*doc.notes, *counter.notes())
    doc.mapping = mapping.manifest(counter.total)


# ---------------------------------------------------------------- reading the config


def compile_mappings(
    tables: Sequence[Any], *, shown: str = "<config>", text: str = "", prefix: str = "", base: Path | None = None
) -> tuple[FileMapping, ...]:
    """Validate the config's ``mapping`` tables and compile them, in order.

    :param shown: the config file as shown in messages; ``text``: its text (to find each table's line);
        ``prefix``: the tables' pointer prefix (``/tool/capcheck`` in pyproject.toml); ``base``: the
        directory globs are relative to.
    :raises ConfigError: every problem, each with the config file, the table's (or key's) line and pointer.
    """
    problems: list[Problem] = []
    out: list[FileMapping] = []
    lines = _table_lines(text)
    for number, table in enumerate(tables, start=1):
        start = lines[number - 1] if number <= len(lines) else None
        end = lines[number] if number < len(lines) else None
        fail = _TableProblems(problems, number, shown, text, prefix, start, end)
        compiled = _compile_table(table, number, shown, base, fail)
        if compiled is not None:
            out.append(compiled)
    if problems:
        raise ConfigError(problems)
    return tuple(out)


@dataclass
class _TableProblems:
    """Collects one ``[[mapping]]`` table's problems, each with the line of the table or of its key."""

    problems: list[Problem]
    number: int
    shown: str
    text: str
    prefix: str
    start: int | None
    end: int | None
    count: int = 0

    def __call__(self, message: str, key: str | None = None) -> None:
        pointer = f"{self.prefix}/mapping/{self.number - 1}"
        if key is not None:
            pointer += "".join("/" + escape_token(k) for k in key.split(".", 1))
        line = _key_line(self.text, self.start, self.end, key.split(".")[0]) if key is not None else self.start
        self.problems.append(
            Problem(f"[[mapping]] {self.number}: {message}", path=self.shown, line=line, pointer=pointer)
        )
        self.count += 1


def check_mappings(tables: Sequence[Any], *, shown: str, text: str, prefix: str) -> None:
    """Validate the config's ``mapping`` tables at config load (see :func:`compile_mappings`)."""
    compile_mappings(tables, shown=shown, text=text, prefix=prefix)


_TABLE_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*(?:tool[ \t]*\.[ \t]*capcheck[ \t]*\.[ \t]*)?mapping[ \t]*\]\]", re.M)


def _table_lines(text: str) -> list[int]:
    return [text.count("\n", 0, m.start()) + 1 for m in _TABLE_HEADER.finditer(text)]


def _key_line(text: str, start: int | None, end: int | None, key: str) -> int | None:
    if start is None:
        return None
    lines = text.splitlines()
    stop = (end - 1) if end is not None else len(lines)
    name = re.escape(key)
    pattern = re.compile(
        rf"^[ \t]*(?:{name}|\"{name}\")[ \t]*=|^[ \t]*\[[ \t]*(?:tool\.capcheck\.)?mapping\.{name}[ \t]*\]"
    )
    for number in range(start, stop + 1):
        if number - 1 < len(lines) and pattern.match(lines[number - 1]):
            return number
    return start


def _close(name: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _did_you_mean(key: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"


def _compile_table(table: Any, number: int, shown: str, base: Path | None, fail: _TableProblems) -> FileMapping | None:
    if not isinstance(table, dict):
        fail("a mapping must be a table")
        return None
    before = fail.count
    for key in table:
        if key not in MAPPING_KEYS:
            fail(f"unknown key {shorten(key)} ({_did_you_mean(str(key), MAPPING_KEYS)})", str(key))
    files = table.get("files")
    if isinstance(files, str):
        files = [files]
    if not isinstance(files, list) or not files or not all(isinstance(f, str) and f for f in files):
        fail("'files' is required: a file name or glob, or a list of them (files = \"registers/*.xlsx\")", "files")
        files = []
    sheet = _optional(table, "sheet", str, "a sheet name", fail)
    kind = _optional(table, "kind", str, "a kind id", fail)
    header_row = table.get("header_row")
    if header_row is not None and (type(header_row) is not int or not 1 <= header_row <= 1_000_000):
        fail(f"'header_row' must be a row number from 1, not {shorten(header_row)}", "header_row")
        header_row = None
    encoding = _optional(table, "encoding", str, "an encoding name", fail)
    if encoding is not None:
        try:
            info = codecs.lookup(encoding)
            if not info._is_text_encoding:  # the codec registry's only text/bytes marker
                raise LookupError
        except LookupError:
            fail(f"unknown text encoding {shorten(encoding)} (e.g. utf-8, utf-8-sig, cp1252, latin-1)", "encoding")
    trim = table.get("trim", False)
    if type(trim) is not bool:
        fail(f"'trim' must be true or false, not {shorten(trim)}", "trim")
        trim = False
    id_ = _optional(table, "id", str, 'a column name or a template ("{org_code}-{edition}")', fail)
    if id_ is not None and ("{" in id_ or "}" in id_):
        rest = _TEMPLATE.sub("", id_)
        if "{" in rest or "}" in rest or any(not n.strip() for n in _TEMPLATE.findall(id_)):
            fail(f"'id' {shorten(id_)} is not a template: name columns in braces, \"{{org_code}}-{{edition}}\"", "id")
    rename = _string_table(table, "rename", fail)
    targets: dict[str, str] = {}
    for header, target in rename.items():
        if target in targets:
            fail(f"rename: {shorten(targets[target])} and {shorten(header)} both become {shorten(target)}", "rename")
        targets[target] = header
    values: dict[str, dict[str, Any]] = {}
    raw_values = table.get("values", {})
    if not isinstance(raw_values, dict):
        fail("'values' must be a table of fields, each a table of value -> value", "values")
        raw_values = {}
    for name, spec in raw_values.items():
        if not isinstance(spec, dict) or not spec:
            fail(f'values.{name} must be a table of value -> value ("Y" = true)', f"values.{name}")
            continue
        folded: dict[str, Any] = {}
        for given, to in spec.items():
            if not isinstance(to, str | bool | int | float):
                fail(f"values.{name}.{given}: a value must be a string, number or boolean", f"values.{name}")
            key = given.strip().casefold()
            if key in folded:
                fail(
                    f"values.{name}: {shorten(given)} is given twice (values match case-insensitively)",
                    f"values.{name}",
                )
            folded[key] = to
        values[name] = folded
    dates: dict[str, tuple[str, ...]] = {}
    raw_dates = table.get("dates", {})
    if not isinstance(raw_dates, dict):
        fail("'dates' must be a table of field (or \"*\") -> format", "dates")
        raw_dates = {}
    for name, spec in raw_dates.items():
        formats = [spec] if isinstance(spec, str) else spec
        if not isinstance(formats, list) or not formats or not all(isinstance(f, str) for f in formats):
            fail(f"dates.{name} must be a format or a list of formats", f"dates.{name}")
            continue
        for fmt in formats:
            problem = _date_format_problem(fmt)
            if problem:
                fail(f"dates.{name}: {problem}", f"dates.{name}")
        dates[name] = tuple(formats)
    numbers: dict[str, str] = {}
    raw_numbers = table.get("numbers", {})
    if not isinstance(raw_numbers, dict):
        fail("'numbers' must be a table of field (or \"*\") -> style", "numbers")
        raw_numbers = {}
    for name, style in raw_numbers.items():
        if style not in NUMBER_STYLES:
            fail(
                f"numbers.{name}: {shorten(style)} is not a number style"
                f" (one of: {', '.join(map(json.dumps, NUMBER_STYLES))})",
                f"numbers.{name}",
            )
            continue
        numbers[name] = style
    skips: list[SkipRule] = []
    raw_skips = table.get("skip_rows", [])
    if not isinstance(raw_skips, list):
        fail('\'skip_rows\' must be a list of tables ({ field = "status", equals = "Total" })', "skip_rows")
        raw_skips = []
    for index, spec in enumerate(raw_skips, start=1):
        rule = _skip_rule(spec, index, fail)
        if rule is not None:
            skips.append(rule)
    if fail.count > before:
        return None
    canonical = json.dumps(table, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return FileMapping(
        number=number,
        source=f"{shown}:[[mapping]] {number}",
        files=tuple(files),
        base=base,
        sheet=sheet,
        kind=kind,
        header_row=header_row,
        encoding=encoding,
        trim=trim,
        id=id_,
        rename=rename,
        values=values,
        dates=dates,
        numbers=numbers,
        skip_rows=tuple(skips),
        sha256=hashlib.sha256(canonical.encode()).hexdigest(),
    )


def _optional(table: Mapping[str, Any], key: str, kind: type, what: str, fail: Callable[..., None]) -> Any:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        fail(f"{key!r} must be {what}, not {shorten(value)}", key)
        return None
    return value


def _string_table(table: Mapping[str, Any], key: str, fail: Callable[..., None]) -> dict[str, str]:
    value = table.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) and v.strip() for v in value.values()):
        fail(f'{key!r} must be a table of column -> field ("Asset Tag" = "id")', key)
        return {}
    return {str(k).strip(): v.strip() for k, v in value.items()}


def _date_format_problem(fmt: str) -> str | None:
    if fmt in ("excel", "iso"):
        return None
    directives = re.findall(r"%(.)", fmt)
    if not directives:
        return f'{shorten(fmt)} is not a date format: use strftime directives ("%d/%m/%Y"), "excel" or "iso"'
    bad = [d for d in directives if d not in _DATE_DIRECTIVES]
    if bad:
        return f"{shorten(fmt)}: %{bad[0]} is not a date or time directive"
    if not {"d", "j"} & set(directives) and "Y" not in directives and "y" not in directives:
        return f"{shorten(fmt)} reads no day or year"
    return None


def _skip_rule(spec: Any, index: int, fail: Callable[..., None]) -> SkipRule | None:
    key = "skip_rows"
    if not isinstance(spec, dict):
        fail(f'skip_rows {index} must be a table ({{ field = "status", equals = "Total" }})', key)
        return None
    for name in spec:
        if name not in SKIP_KEYS:
            fail(f"skip_rows {index}: unknown key {shorten(name)} ({_did_you_mean(str(name), SKIP_KEYS)})", key)
            return None
    target = spec.get("field")
    if not isinstance(target, str) or not target:
        fail(f"skip_rows {index}: 'field' (the column, after rename) is required", key)
        return None
    tests = [k for k in ("equals", "empty", "matches") if k in spec]
    if len(tests) != 1:
        fail(f"skip_rows {index}: give exactly one of equals, empty, matches", key)
        return None
    test = tests[0]
    value = spec[test]
    if test == "equals":
        wanted = [value] if isinstance(value, str) else value
        if not isinstance(wanted, list) or not all(isinstance(w, str) for w in wanted) or not wanted:
            fail(f"skip_rows {index}: 'equals' must be a string or a list of strings", key)
            return None
        folded = frozenset(w.strip().casefold() for w in wanted)
        shown = f"{target} equals " + ", ".join(json.dumps(w, ensure_ascii=False) for w in wanted)
        return SkipRule(target, lambda text: text.strip().casefold() in folded, shown)
    if test == "empty":
        if value is not True:
            fail(f"skip_rows {index}: 'empty' must be true", key)
            return None
        return SkipRule(target, lambda text: not text.strip(), f"{target} empty")
    if not isinstance(value, str) or not value:
        fail(f"skip_rows {index}: 'matches' must be a regular expression", key)
        return None
    try:
        pattern = re2.compile(value, _RE2_OPTIONS)
    except re2.error as exc:
        cause = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        fail(f"skip_rows {index}: bad regular expression {shorten(value)}: {cause} (RE2 syntax)", key)
        return None
    return SkipRule(target, lambda text: pattern.search(text) is not None, f"{target} matches {json.dumps(value)}")
