"""Mapping as data: how a register's own columns and values become the records of a kind.

A mapping is a ``[[mapping]]`` table of the config, chosen per file glob (and, in a workbook, per
sheet). It says which kind the file holds, which header row to read, how to rename columns, and how
to convert values (value maps, date formats, number formats, trimming); which column or columns make
the id; and which rows to skip (each skipped row counted and reported). The CSV and spreadsheet
loaders apply it cell by cell as they read; for any other loader (JSON, YAML, TOML, plugins) it is
applied to the loaded records (:func:`apply_to_document`). Either way it runs before schema
validation, and a value it cannot convert is an evidence problem naming the mapping key, the column
and the cell or record.

The config's tables are read and validated by :mod:`capcheck.core.mapping_config`; the reference (every key, with
examples) is docs/bring-your-own-registers.md.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Any

from capcheck.core.dates import parse_date
from capcheck.core.errors import EvidenceError, Problem
from capcheck.core.side_inputs import elide, escape_token, shorten
from capcheck.core.wording import did_you_mean

if TYPE_CHECKING:
    from capcheck.core.kinds import EvidenceKind
    from capcheck.core.loading import Document, SourceFile

__all__ = [
    "DELIMITERS",
    "MAPPING_KEYS",
    "NUMBER_STYLES",
    "SKIP_KEYS",
    "FieldPlan",
    "FileMapping",
    "MappingValueError",
    "SkipCounter",
    "SkipRule",
    "apply_to_document",
    "date_fields",
    "parse_number",
    "template_names",
    "without_names",
]

#: Every key a ``[[mapping]]`` table may hold (docs/bring-your-own-registers.md documents each).
MAPPING_KEYS = (
    "files",
    "sheet",
    "kind",
    "header_row",
    "encoding",
    "delimiter",
    "trim",
    "id",
    "rename",
    "values",
    "dates",
    "numbers",
    "set",
    "skip_rows",
)
#: The keys of one ``skip_rows`` entry: ``field`` and one test.
SKIP_KEYS = ("field", "equals", "empty", "matches")
#: The separators a CSV mapping's ``delimiter`` may name (``"\t"`` for tab-separated exports).
DELIMITERS = (",", ";", "\t", "|")
#: How a number is written: the thousands separator and the decimal mark, shown by example.
NUMBER_STYLES = {"1,234.5": (",", "."), "1.234,5": (".", ","), "1 234,5": (" ", ","), "1234.5": ("", ".")}
#: The ``strftime`` directives a date format may use (those that read a date or a time of day).
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
    delimiter: str | None = None
    trim: bool = False
    id: str | None = None
    rename: Mapping[str, str] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    dates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    numbers: Mapping[str, str] = field(default_factory=dict)
    skip_rows: tuple[SkipRule, ...] = ()
    #: Fields every record gets, with one value (``relationship = "partner"``): what the register does not say.
    set: Mapping[str, Any] = field(default_factory=dict)
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

    def set_problems(self, fields: Sequence[str]) -> list[str]:
        """The ``set`` fields a table (or record) already has a column (key) for, after rename: a value given
        twice, which the mapping would otherwise silently overwrite or ignore."""
        have = set(fields)
        return [
            f"{self.source} set.{name}: the file has a column {name!r} too (after rename); set a field it lacks"
            for name in self.set
            if name in have
        ]

    @property
    def completes(self) -> bool:
        """Whether records need :meth:`complete` (the mapping sets fields or makes the id)."""
        return bool(self.set) or self.id is not None

    def complete(self, record: dict[str, Any]) -> None:
        """Give a converted record the ``set`` fields, then its ``id``; MappingValueError as :meth:`make_id`."""
        record.update(self.set)
        if self.id is not None:
            record["id"] = self.make_id(record)

    def header_name(self, name: str) -> str:
        """The field a header (or a JSON key) becomes."""
        return self.rename.get(name, name)

    def plan(self, kind: EvidenceKind) -> FieldPlan:
        """The conversions for records of ``kind``."""
        return FieldPlan(self, kind)

    def id_fields(self) -> tuple[str, ...]:
        """The columns the ``id`` key reads (one column, or the names in a template), after rename; a field
        ``set`` gives is no column."""
        if self.id is None:
            return ()
        names = _TEMPLATE.findall(self.id) or [self.id]
        return tuple(n for n in names if n not in self.set)

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
    """Counts skipped rows per ``skip_rows`` entry, and where they were, for the notes and the manifest: a row a
    mapping drops is evidence nobody judges, so the note names it (``unit`` is what the file's places are: a CSV
    file's or a JSON register's ``line``, a sheet's ``row``)."""

    #: How many places of skipped rows a note names per entry (then how many more there are).
    SHOWN = 10

    def __init__(self, mapping: FileMapping, unit: str = "line") -> None:
        self.mapping = mapping
        self.unit = unit
        self.counts = [0] * len(mapping.skip_rows)
        self.places: list[list[int]] = [[] for _ in mapping.skip_rows]

    def add(self, index: int, place: int | None = None) -> None:
        """Count one row skipped by entry ``index``, at line or row ``place`` (None: the file has no lines)."""
        self.counts[index] += 1
        if place is not None and len(shown := self.places[index]) < self.SHOWN:
            shown.append(place)

    @property
    def total(self) -> int:
        """How many rows were skipped."""
        return sum(self.counts)

    def notes(self) -> tuple[str, ...]:
        """One note per entry that skipped rows, with where they were: ``3 rows skipped by ... skip_rows 1 (status
        equals ...): lines 4, 9, 12``."""
        out = []
        for index, count in enumerate(self.counts):
            if count:
                rows = "1 row" if count == 1 else f"{count} rows"
                rule = self.mapping.skip_rows[index]
                places = self.places[index]
                where = ""
                if places:
                    more = count - len(places)
                    where = f": {self.unit}{'s' if count > 1 else ''} " + ", ".join(map(str, places))
                    where += f" and {more} more" if more else ""
                out.append(f"{rows} skipped by {self.mapping.source} skip_rows {index + 1} ({rule.shown}){where}")
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
    for key in ("sheet", "header_row", "encoding", "delimiter"):
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
            counter.add(rule, doc.locate(index))
            continue
        problems.extend(
            source.problem(elide(m), line=doc.locate(index), pointer=doc.pointer(index))
            for m in mapping.set_problems(list(out))
        )
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
        if mapping.completes:
            try:
                mapping.complete(out)
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


def template_names(template: str) -> list[str]:
    """The column names in braces in an ``id`` template (``"{org_code}-{edition}"``)."""
    return _TEMPLATE.findall(template)


def without_names(template: str) -> str:
    """The template with its ``{names}`` removed (what is left must hold no brace)."""
    return _TEMPLATE.sub("", template)


def _close(name: str, names: Sequence[str]) -> str:
    return did_you_mean(name, names)
