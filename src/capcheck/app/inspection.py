"""``capcheck inspect``: what capcheck sees in a file, and a first mapping for it.

For a CSV file or a workbook it reads the raw rows (no kind needed): the encoding, each sheet with its
row count, the header row it detects (the first row as wide as the table whose cells are all text, below
any title rows), and each column with an inferred type and sample values. It then ranks the registered
kinds by how well the columns match their fields (name similarity, with types that fit) and writes the
closest kind's mapping as a ``[[mapping]]`` table ready to paste into ``capcheck.toml``. For a JSON, YAML
or TOML evidence file the columns are the records' keys.

Nothing here changes how a file is loaded: the suggestion is a starting point for a person to check.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from capcheck.core.errors import EvidenceError, Problem, elide
from capcheck.core.mapping import DELIMITERS, NUMBER_STYLES, date_fields, parse_number
from capcheck.core.wording import plural

if TYPE_CHECKING:
    from capcheck.core.kinds import EvidenceKind
    from capcheck.core.loading import Loader

__all__ = ["Column", "Inspection", "KindMatch", "Table", "inspect_file", "render_text"]

#: Values per column read to infer its type and take samples (row counts cover every row).
SAMPLE_ROWS = 2000
#: Rows above the header searched for it.
HEADER_SEARCH_ROWS = 30
#: How many kinds are suggested.
TOP_KINDS = 3
#: The least name similarity (0..1) for a column to match a field.
MIN_SIMILARITY = 0.72

_BOOLEAN_WORDS = frozenset({"true", "false", "yes", "no", "y", "n"})
_TEXT_DATE_FORMATS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("%d/%m/%Y", re.compile(r"\d{1,2}/\d{1,2}/\d{4}\Z")),
    ("%d-%m-%Y", re.compile(r"\d{1,2}-\d{1,2}-\d{4}\Z")),
    ("%d.%m.%Y", re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}\Z")),
    ("%d %b %Y", re.compile(r"\d{1,2} [A-Za-z]{3} \d{4}\Z")),
    ("%d %B %Y", re.compile(r"\d{1,2} [A-Za-z]{4,9} \d{4}\Z")),
    ("%d-%b-%Y", re.compile(r"\d{1,2}-[A-Za-z]{3}-\d{4}\Z")),
)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?\Z")
_TIME_AFTER = re.compile(r"[ T]+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?\Z")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?\Z")


@dataclass
class Column:
    """One column as seen: its header, inferred type, how many cells hold a value, samples."""

    header: str
    letter: str | None
    type: str = "empty"
    filled: int = 0
    samples: list[str] = field(default_factory=list)
    #: Distinct values when there are few (an enumeration), else empty.
    distinct: list[str] = field(default_factory=list)
    #: For a text date column, the format that reads every value (``%d/%m/%Y``); for a formatted number
    #: column, its style (``1,234.5``).
    format: str | None = None
    padded: bool = False
    #: Every value (of those sampled) differs from the others: it could be the id.
    unique: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        out: dict[str, Any] = {"header": self.header, "type": self.type, "filled": self.filled, "samples": self.samples}
        if self.letter is not None:
            out["column"] = self.letter
        if self.format is not None:
            out["format"] = self.format
        if self.distinct:
            out["distinct"] = self.distinct
        if self.padded:
            out["padded"] = True
        return out


@dataclass
class KindMatch:
    """How well a table matches a kind: the columns matched to its fields, the required fields missing."""

    kind: str
    score: float
    matched: list[tuple[str, str]]
    missing: list[str]

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "kind": self.kind,
            "score": round(self.score, 3),
            "matched": [{"column": c, "field": f} for c, f in self.matched],
            "missing_required": self.missing,
        }


@dataclass
class Table:
    """One register in the file: a sheet, or the file itself."""

    name: str | None
    visible: bool
    rows: int
    header_row: int | None
    columns: list[Column]
    kinds: list[KindMatch] = field(default_factory=list)
    mapping: str = ""
    #: Rows with a value in at most a quarter of the columns (a "Total" row, a note): (column, first value).
    sparse: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        out: dict[str, Any] = {
            "rows": self.rows,
            "header_row": self.header_row,
            "columns": [c.as_dict() for c in self.columns],
            "kinds": [k.as_dict() for k in self.kinds],
            "suggested_mapping": self.mapping,
        }
        if self.name is not None:
            out = {"sheet": self.name, "visible": self.visible, **out}
        return out


@dataclass
class Inspection:
    """What capcheck sees in one file."""

    path: str
    format: str
    tables: list[Table]
    encoding: str | None = None
    #: A CSV file's separator.
    delimiter: str | None = None
    kind: str | None = None
    #: The config mapping already in force for the file (``capcheck.toml:[[mapping]] 1``), if any.
    mapped_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``capcheck inspect --format json``)."""
        out: dict[str, Any] = {"path": self.path, "format": self.format}
        if self.encoding is not None:
            out["encoding"] = self.encoding
        if self.delimiter is not None:
            out["delimiter"] = self.delimiter
        if self.kind is not None:
            out["kind"] = self.kind
        if self.mapped_by is not None:
            out["mapped_by"] = self.mapped_by
        out["tables"] = [t.as_dict() for t in self.tables]
        return out


def inspect_file(
    path: Path,
    shown: str,
    data: bytes,
    *,
    kinds: Mapping[str, EvidenceKind],
    loaders: Mapping[str, Loader],
    content_loaders: Sequence[Loader] = (),
) -> Inspection:
    """Inspect one file's bytes (``shown`` is its name in messages and in the suggested ``files``).

    A file a content loader claims (a DSPT export, an OCDS package, an SBOM: ``check`` reads it by its
    content) is shown as that loader reads it; pass no ``content_loaders`` for a file a mapping names.

    :raises EvidenceError: a file capcheck cannot read at all (not a workbook, malformed CSV ...).
    """
    suffix = path.suffix.lower()
    claimant = _claimant(path, shown, data, content_loaders)
    if claimant is not None:
        result = _records_inspection(path, shown, data, kinds, {suffix: claimant})
    elif suffix == ".csv":
        encoding, delimiter, rows = _csv_rows(shown, data)
        tables = [_table(None, True, rows)]
        result = Inspection(shown, "csv", tables, encoding=encoding, delimiter=delimiter)
    elif suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        result = Inspection(shown, suffix[1:], _workbook_tables(shown, data))
    else:
        result = _records_inspection(path, shown, data, kinds, loaders)
    for table in result.tables:
        if not table.visible:
            continue  # never read as evidence: nothing to suggest
        table.kinds = rank_kinds(table.columns, kinds)
        # an adapter's records need no mapping, and one naming the file would turn the adapter off
        if table.kinds and claimant is None:
            table.mapping = suggest_mapping(result, table, kinds[table.kinds[0].kind])
    return result


def _claimant(path: Path, shown: str, data: bytes, content_loaders: Sequence[Loader]) -> Loader | None:
    """The content loader ``check`` would read the file with (the first that claims its first bytes), if any."""
    from capcheck.core.evidence import loader_extension
    from capcheck.core.loading import HEAD_BYTES

    head = data[:HEAD_BYTES]
    for candidate in content_loaders:
        if candidate.claims is None or loader_extension(path, candidate.extensions) is None:
            continue
        try:
            if candidate.claims(head):
                return candidate
        except (Exception, SystemExit) as exc:  # a loader plugin's own bug: name it, with the file it failed on
            message = f"the {candidate.name!r} loader's content test failed: {type(exc).__name__}: {elide(str(exc))}"
            raise EvidenceError(Problem(message, path=shown)) from None
    return None


# ---------------------------------------------------------------- reading raw rows


def _csv_rows(shown: str, data: bytes) -> tuple[str, str, list[list[Any]]]:
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    if "\x00" in text:
        raise EvidenceError(Problem("a NUL byte: not a CSV text file", path=shown))
    delimiter = _delimiter(text)
    try:
        rows: list[list[Any]] = list(csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter))
    except csv.Error as exc:
        raise EvidenceError(Problem(f"malformed CSV: {exc}", path=shown)) from None
    return encoding, delimiter, rows


def _delimiter(text: str) -> str:
    """The separator of a CSV text: the one of :data:`~capcheck.core.mapping.DELIMITERS` that splits the first lines
    into the most cells, as evenly (a title row above the header has fewer); a comma when none does."""
    lines = [line for line in text.splitlines()[:HEADER_SEARCH_ROWS] if line.strip()]
    best, best_score = ",", 0
    for candidate in DELIMITERS:
        counts = [line.count(candidate) for line in lines]
        widest = max(counts, default=0)
        score = widest * sum(1 for c in counts if c == widest)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _workbook_tables(shown: str, data: bytes) -> list[Table]:
    from capcheck.builtins.loaders.xlsxfile import check_expansion, open_workbook
    from capcheck.builtins.loaders.xlsxreader import WorkbookError
    from capcheck.core.loading import SourceFile

    source = SourceFile(Path(shown), shown, data)
    check_expansion(source)
    book = open_workbook(source)  # what the loader reads: the same values, and .xlsx sheets streamed
    tables = []
    for name, visible in book.sheets:
        try:
            rows = list(book.rows(name))
        except WorkbookError as exc:  # a damaged sheet
            raise EvidenceError(Problem(f"cannot read the sheet: {elide(str(exc))}", path=f"{shown}!{name}")) from None
        # A row ends at its last value: the rows the header is looked for in are padded to the sheet's width,
        # so a column with values but no title is seen (the rest are not: a far-out cell must not cost a grid).
        width = max((len(r) for r in rows), default=0)
        for row in rows[:HEADER_SEARCH_ROWS]:
            row.extend([""] * (width - len(row)))
        tables.append(_table(name, visible, rows))
    return tables


def _records_inspection(
    path: Path, shown: str, data: bytes, kinds: Mapping[str, EvidenceKind], loaders: Mapping[str, Loader]
) -> Inspection:
    from capcheck.core.evidence import loader_extension
    from capcheck.core.loading import LoadContext, SourceFile

    ext = loader_extension(path, loaders)
    if ext is None:
        readable = ", ".join(sorted(loaders))
        raise EvidenceError(
            Problem(f"cannot read {path.suffix or 'extension-less'} files (readable: {readable})", path=shown)
        )
    loader = loaders[ext]
    documents = loader.load(SourceFile(path, shown, data), LoadContext(kinds=kinds))
    tables = []
    kind = None
    for doc in documents:
        kind = doc.kind
        headers: dict[str, None] = {}
        for record in doc.records:
            if isinstance(record, dict):
                headers.update(dict.fromkeys(record))
        rows: list[list[Any]] = [list(headers)]
        rows += [[r.get(h) for h in headers] if isinstance(r, dict) else [] for r in doc.records]
        table = _table(None, True, rows, header_at=0)
        table.header_row = None  # records have keys, not a header row
        tables.append(table)
    return Inspection(shown, loader.name, tables, kind=kind)


# ---------------------------------------------------------------- header and column types


def _empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _header_index(rows: Sequence[Sequence[Any]]) -> int | None:
    """The header: among the first rows, the first as wide as the widest whose cells are all text (not numbers
    or dates: a data row), below any title rows (one cell, or fewer cells than the table has columns)."""
    head = rows[:HEADER_SEARCH_ROWS]
    widths = [sum(1 for c in row if not _empty(c)) for row in head]
    if not widths or max(widths) == 0:
        return None
    widest = max(widths)
    for index, row in enumerate(head):
        filled = [c for c in row if not _empty(c)]
        if len(filled) >= max(2, widest * 0.6) and all(
            isinstance(c, str) and not _PLAIN_NUMBER.match(c.strip()) for c in filled
        ):
            return index
    return next(i for i, w in enumerate(widths) if w)


def _table(name: str | None, visible: bool, rows: list[list[Any]], header_at: int | None = None) -> Table:
    if header_at is None:
        header_at = _header_index(rows)
    if header_at is None:
        return Table(name, visible, 0, None, [])
    from capcheck.builtins.loaders.xlsxfile import column_letters

    header = rows[header_at]
    body = [r for r in rows[header_at + 1 :] if not all(_empty(c) for c in r)]
    columns = []
    letters = name is not None  # a sheet's columns have letters
    for index, cell in enumerate(header):
        title = "" if _empty(cell) else str(cell).strip()
        values = [r[index] for r in body[:SAMPLE_ROWS] if index < len(r) and not _empty(r[index])]
        if not title and not values:
            continue
        column = Column(title, column_letters(index) if letters else None)
        column.filled = sum(1 for r in body if index < len(r) and not _empty(r[index]))
        _infer(column, values)
        columns.append(column)
    table = Table(name, visible, len(body), header_at + 1, columns)
    named = [i for i, c in enumerate(header) if not _empty(c)]
    if len(named) >= 4:
        for row in body:
            filled = [i for i in named if i < len(row) and not _empty(row[i])]
            if filled and len(filled) <= len(named) // 4:
                table.sparse.append((str(header[filled[0]]).strip(), _display(row[filled[0]]).strip()))
    return table


def _infer(column: Column, values: list[Any]) -> None:
    shown: list[str] = []
    for value in values:
        text = _display(value)
        if text not in shown:
            shown.append(text)
    column.samples = shown[:3]
    distinct = {_display(v).strip() for v in values}
    column.unique = len(distinct) == len(values)
    if 0 < len(distinct) <= 12:
        column.distinct = sorted(distinct)
    column.padded = any(isinstance(v, str) and v != v.strip() for v in values)
    if not values:
        return
    texts = [v.strip() for v in values if isinstance(v, str)]
    if all(isinstance(v, bool) for v in values) or (
        len(texts) == len(values) and all(t.lower() in _BOOLEAN_WORDS for t in texts)
    ):
        column.type = "boolean"
    elif all(isinstance(v, date | datetime) for v in values):
        column.type = "date"
    elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        column.type = "integer" if all(float(v).is_integer() for v in values) else "number"
    elif (fmt := _date_format(values)) is not None:
        column.type, column.format = "date", fmt or None
    elif len(texts) == len(values) and all(_PLAIN_NUMBER.match(t.replace(",", "")) for t in texts):
        column.type = "integer" if all("." not in t for t in texts) else "number"
    elif len(texts) == len(values) and any(not _PLAIN_NUMBER.match(t) for t in texts) and (style := _style(texts)):
        column.type, column.format = "number", style
    elif all(isinstance(v, list | tuple) for v in values):  # a JSON, YAML or TOML record's list
        column.type = "list"
    elif all(isinstance(v, dict) for v in values):
        column.type = "object"
    else:
        column.type = "text"


def _date_format(values: list[Any]) -> str | None:
    """For a column of dates (date cells, ISO text, or text in one format), the mapping's format for it:
    ``""`` when none is needed, ``%d/%m/%Y``, or ``%d/%m/%Y|iso`` where some are ISO; None if not dates."""
    if not all(isinstance(v, str | date) for v in values):
        return None
    texts = [v.strip() for v in values if isinstance(v, str)]
    other = [t for t in texts if not _ISO.match(t)]
    if not other:
        return "iso" if any(len(t) > 10 for t in texts) else ""
    fmt = _text_date_format(other)
    if fmt is None:
        return None
    return fmt if len(other) == len(values) else f"{fmt}|iso"


def _text_date_format(texts: list[str]) -> str | None:
    if not texts:
        return None
    bare = [_TIME_AFTER.sub("", t) for t in texts]
    for fmt, shape in _TEXT_DATE_FORMATS:
        if all(shape.match(t) for t in bare):
            if fmt.startswith("%d/%m") and any(int(t.split("/")[1]) > 12 for t in bare):
                fmt = "%m/%d/%Y"  # a month above 12 in the middle: a US date
            try:
                for t in bare:
                    datetime.strptime(t, fmt)
            except ValueError:
                continue
            return fmt
    return None


def _style(texts: list[str]) -> str | None:
    """The first number style that reads every text (currency, thousands, k/m suffixes), or None."""
    for style in ("1,234.5", "1.234,5", "1 234,5"):
        thousands, decimal = NUMBER_STYLES[style]
        if all(parse_number(t, thousands, decimal) is not None for t in texts):
            return style
    return None


def _display(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ") if value.time() != time(0) else value.date().isoformat()
    if isinstance(value, date | time | timedelta):
        return str(value)
    if isinstance(value, list | tuple | dict):  # as the file writes it, not Python's repr (['CTL-001'])
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


# ---------------------------------------------------------------- kinds


def _norm(name: str) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", name.lower()))


def _choice(value: str, enum: Sequence[Any]) -> str | None:
    """The choice of an enumeration a register's value reads as: the same words (``Production`` for
    ``production``), else the longest choice its words end with (``22/23 Standards Met`` for ``standards-met``)."""
    words = _norm(value)
    choices = [e for e in enum if isinstance(e, str) and _norm(e)]
    exact = next((e for e in choices if _norm(e) == words), None)
    if exact is not None:
        return exact
    ending = [e for e in choices if words.endswith("_" + _norm(e))]
    return max(ending, key=len) if ending else None


def _fits(column: Column, field_type: str, is_date: bool, enum: Any = None) -> bool:
    if column.type == "empty":
        return True
    if isinstance(enum, list):  # some of its values must read as the field's choices
        return any(_choice(v, enum) is not None for v in column.distinct)
    if is_date:
        return column.type in ("date", "text")
    if field_type in ("integer", "number"):
        return column.type in ("integer", "number")
    if field_type == "boolean":
        return column.type == "boolean"
    if column.type in ("list", "object"):
        return field_type.startswith("array") if column.type == "list" else field_type == "object"
    return column.type != "boolean" or field_type.startswith("array")


#: Words that say little about which field a column is ("Date of publication" is published_on).
_FILLER = frozenset({"a", "an", "and", "at", "by", "date", "for", "in", "of", "on", "the", "to"})


def _stems(name: str) -> set[str]:
    """A name's words cut to five letters (``publication`` and ``published`` agree), filler words left out."""
    words = [w for w in name.split("_") if w]
    kept = [w for w in words if w not in _FILLER] or words
    return {w[:5] for w in kept}


def _similarity(header: str, field_name: str) -> float:
    a, b = _norm(header), field_name.lower()
    if not a:
        return 0.0
    if a == b:
        return 1.0
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    words_a, words_b = _stems(a), _stems(b)
    shared = len(words_a & words_b)
    # "Supplier name" for supplier (the field's words all there), "Start" for start_date (the header's)
    score = max(ratio, 0.9 * shared / len(words_b), 0.8 * shared / len(words_a))
    if "".join(w[0] for w in b.split("_") if w) == a.replace("_", "") and len(a) >= 2:
        score = max(score, 0.85)  # an acronym: "EoL" for end_of_life
    if len(a) >= 3 and b.startswith(a):
        score = max(score, 0.8)  # an abbreviation: "Env" for environment
    if len(b) >= 4 and a.endswith(b):
        score = max(score, 0.75)  # "Hostname" for name
    return score


def rank_kinds(columns: Sequence[Column], kinds: Mapping[str, EvidenceKind], top: int = TOP_KINDS) -> list[KindMatch]:
    """The ``top`` kinds whose fields the columns match best (best first, ties by kind id)."""
    out = []
    for kind_id, kind in kinds.items():
        types = kind.field_types
        dates = date_fields(kind)
        props = kind.schema.get("properties", {})
        enums = {f: spec.get("enum") for f, spec in props.items() if isinstance(spec, Mapping)}
        pairs = sorted(
            (
                (_similarity(c.header, f), c.header, f)
                for c in columns
                for f in types
                if _fits(c, types[f], f in dates, enums.get(f))
            ),
            key=lambda p: (-p[0], p[1], p[2]),
        )
        used_columns: set[str] = set()
        used_fields: set[str] = set()
        matched: list[tuple[str, str]] = []
        total = 0.0
        for score, header, name in pairs:
            if score < MIN_SIMILARITY or header in used_columns or name in used_fields:
                continue
            used_columns.add(header)
            used_fields.add(name)
            matched.append((header, name))
            total += score
        required = [f for f in kind.required if f != "id"]  # a mapping's id key can always make the id
        missing = [f for f in required if f not in used_fields]
        found_required = len(required) - len(missing)
        score = (total + 2 * found_required) / (len(columns) + 2 * len(required) or 1)
        order = {c.header: i for i, c in enumerate(columns)}
        matched.sort(key=lambda m: order[m[0]])
        out.append(KindMatch(kind_id, score, matched, missing))
    out.sort(key=lambda m: (-m.score, m.kind))
    return [m for m in out[:top] if m.matched]


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _toml_key(value: str) -> str:
    return value if re.fullmatch(r"[A-Za-z0-9_-]+", value) else _toml_string(value)


def suggest_mapping(result: Inspection, table: Table, kind: EvidenceKind) -> str:
    """A ``[[mapping]]`` table reading ``table`` as ``kind``, as TOML text with comments for a person to check."""
    match = next(m for m in table.kinds if m.kind == kind.id)
    field_of = dict(match.matched)
    props = kind.schema.get("properties", {})
    lines = [f"# {result.path}{'!' + table.name if table.name else ''} as {kind.id}: check every line", "[[mapping]]"]
    lines.append(f"files = {_toml_string(Path(result.path).name)}")
    if table.name is not None:
        lines.append(f"sheet = {_toml_string(table.name)}")
    from capcheck.builtins.loaders.xlsxfile import sheet_kind

    natural = result.kind or (sheet_kind(table.name) if table.name is not None else Path(result.path).stem)
    if natural != kind.id:
        lines.append(f"kind = {_toml_string(kind.id)}")
    essential = len(lines)
    if result.encoding not in (None, "utf-8-sig"):
        lines.append(f"encoding = {_toml_string(result.encoding or '')}  # not UTF-8: check accented letters and £")
    if result.delimiter not in (None, ","):
        lines.append(f"delimiter = {_toml_string(result.delimiter or '')}")
    if table.header_row not in (None, 1):
        lines.append(f"header_row = {table.header_row}")
    if any(c.padded for c in table.columns):
        lines.append("trim = true  # some values have leading or trailing spaces")
    status_text = _dspt_status_text(kind, table, field_of)
    if status_text is not None:  # "22/23 Standards Met": status and edition are read from the whole text
        field_of[status_text] = "status_text"
    derived = _dspt_derived(kind, field_of)
    suggested = {f: _suggested_value(props, f) for f in match.missing if f not in derived}
    missing = [f for f in suggested if suggested[f] is None]
    constants = {f: v for f, v in suggested.items() if v is not None}
    if constants:
        given = ", ".join(f"{_toml_key(f)} = {_toml_string(v)}" for f, v in constants.items())
        lines.append(f"set = {{ {given} }}  # not in the file: the same for every row (check it)")
    for name in missing:
        spec = props.get(name, {}) if isinstance(props, Mapping) else {}
        enum = spec.get("enum") if isinstance(spec, Mapping) else None
        if isinstance(enum, list) and enum:
            shown = ", ".join(_toml_string(str(e)) for e in enum)
            lines.append(f'# set = {{ {_toml_key(name)} = "..." }}  # required, not in the file: one of {shown}')
    if "id" not in field_of.values():
        candidates = [c for c in table.columns if c.filled == table.rows and c.header and c.unique]
        # one named like an identifier (Asset Tag, Code, Ref) before any other (a name, a census code)
        unique = next((c for c in candidates if _ID_WORDS & set(_norm(c.header).split("_"))), None) or next(
            iter(candidates), None
        )
        if unique is not None:
            # the id key names fields after rename: a renamed column by its field
            named = field_of.get(unique.header, unique.header)
            lines.append(f'id = {_toml_string(named)}  # or a template from columns: "{{a}}-{{b}}"')
        else:
            lines.append('# id = "{column_a}-{column_b}"  # no column holds a unique id: name one, or a template')
    if table.sparse:
        skips: dict[str, list[str]] = {}
        for header, value in table.sparse:
            skips.setdefault(field_of.get(header, header), []).append(value)
        entries = [
            f"{{ field = {_toml_string(f)}, equals = [{', '.join(map(_toml_string, dict.fromkeys(v)))}] }}"
            for f, v in skips.items()
        ]
        lines.append(f"skip_rows = [{', '.join(entries)}]  # {plural(len(table.sparse), 'row')} with few values")
    renames = [(c, field_of[c]) for c, _ in match.matched if c != field_of[c]]
    unnamed = [c for c in table.columns if not c.header]
    # an exported index: a CSV needs every column named, a sheet every column with values
    if len(unnamed) == 1 and (table.name is None or unnamed[0].filled):
        renames.insert(0, ("", "row"))
    if renames:
        lines.append("[mapping.rename]")
        lines.extend(f"{_toml_key(c)} = {_toml_string(f)}" for c, f in renames)
    values: list[str] = []
    dates: list[str] = []
    numbers: list[str] = []
    by_header = {c.header: c for c in table.columns}
    for header, _ in match.matched:
        name = field_of[header]
        column = by_header[header]
        spec = props.get(name, {}) if isinstance(props, Mapping) else {}
        enum = spec.get("enum") if isinstance(spec, Mapping) else None
        if isinstance(enum, list) and column.distinct:
            pairs = []
            unknown = []
            for value in column.distinct:
                target = _choice(value, enum)
                if target is None:
                    unknown.append(value)
                elif target != value:
                    pairs.append(f"{_toml_string(value)} = {_toml_string(target)}")
            if pairs or unknown:
                todo = "" if not unknown else "  # map too: " + ", ".join(_toml_string(u) for u in unknown)
                values.append(f"{_toml_key(name)} = {{ {', '.join(pairs)} }}{todo}")
        if column.type == "date" and column.format is not None:  # "iso": date-times to their date
            formats = (column.format or "").split("|")
            shown = _toml_string(formats[0]) if len(formats) == 1 else "[" + ", ".join(map(_toml_string, formats)) + "]"
            dates.append(f"{_toml_key(name)} = {shown}")
        if column.type == "number" and column.format is not None:
            numbers.append(f"{_toml_key(name)} = {_toml_string(column.format)}")
    for title, entries in (("values", values), ("dates", dates), ("numbers", numbers)):
        if entries:
            lines.append(f"[mapping.{title}]")
            lines.extend(entries)
    unmatched = [c.header for c in table.columns if c.header and c.header not in field_of]
    if unmatched:
        lines.append("# not matched (kept as extra fields): " + ", ".join(_toml_string(u) for u in unmatched))
    if missing:
        lines.append(f"# required by {kind.id} and not found: " + ", ".join(missing))
    if len(lines) == essential and "id" in field_of.values():
        return ""  # read as it is: nothing to map
    return "\n".join(lines) + "\n"


#: Words that name a column holding identifiers.
_ID_WORDS = frozenset({"id", "code", "ref", "reference", "tag", "number", "no", "key"})


def _suggested_value(props: Any, name: str) -> str | None:
    """The value a kind's schema suggests for a required field registers commonly leave out
    (``x-capcheck-suggested-value``: a DSPT status list says nothing of whose assessments they are)."""
    spec = props.get(name) if isinstance(props, Mapping) else None
    value = spec.get("x-capcheck-suggested-value") if isinstance(spec, Mapping) else None
    return value if isinstance(value, str) else None


def _dspt_derived(kind: EvidenceKind, field_of: Mapping[str, str]) -> frozenset[str]:
    """Required fields the DSPT enricher fills in from a column read as ``status_text``: not to be ``set`` (one
    status for every row) nor reported missing."""
    from capcheck.builtins.loaders.dspt import KIND

    return frozenset({"status"}) if kind.id == KIND and "status_text" in field_of.values() else frozenset()


def _dspt_status_text(kind: EvidenceKind, table: Table, field_of: Mapping[str, str]) -> str | None:
    """The column matched to a DSPT status whose values carry the edition ("22/23 Standards Met"), if any:
    read as ``status_text``, the DSPT enricher gives the status and the edition, a value map only the status."""
    from capcheck.builtins.loaders.dspt import KIND, parse_status

    if kind.id != KIND:
        return None
    header = next((h for h, f in field_of.items() if f == "status"), None)
    column = next((c for c in table.columns if c.header == header), None)
    if column is None or not column.distinct:
        return None
    parsed = [parse_status(v) for v in column.distinct]
    if all(p is not None for p in parsed) and any(p is not None and p[0] is not None for p in parsed):
        return header
    return None


# ---------------------------------------------------------------- text


def render_text(result: Inspection) -> str:
    """The terminal rendering: every value from the file escaped for the terminal."""
    from capcheck.core.escaping.terminal import terminal

    def esc(value: str, limit: int = 40) -> str:
        text = terminal(value)
        return text if len(text) <= limit else text[: limit - 1] + "…"

    lines = [f"{esc(result.path, 200)}: {result.format}" + (f", encoding {result.encoding}" if result.encoding else "")]
    if result.delimiter not in (None, ","):
        lines[0] += f", separator {result.delimiter!r}"
    if result.kind is not None:
        lines[0] += f", kind {esc(result.kind)}"
    if result.mapped_by is not None:
        lines.append(f"(what the file holds as written; {esc(result.mapped_by, 200)} maps it when capcheck reads it)")
    for table in result.tables:
        lines.append("")
        where = f"sheet {esc(table.name)!r}" if table.name is not None else "records" if result.kind else "table"
        hidden = "" if table.visible else " (hidden: read only when a [[mapping]] names the sheet)"
        header = f", header at row {table.header_row}" if table.header_row else ""
        lines.append(f"{where}{hidden}: {plural(table.rows, 'data row')}{header}")
        if not table.columns:
            continue
        width = min(28, max(len(esc(c.header)) for c in table.columns) + 4)
        lines.append(f"  {'column':<{width}} {'type':<18} {'filled':>7}  samples")
        for column in table.columns:
            letter = f"{column.letter} " if column.letter else ""
            # cut to the column's width, so that a long header does not push the type out of line
            name = letter + esc(column.header or "(no name)", width - len(letter) - 1)
            kind = column.type + (f" {column.format}" if column.format else "")
            samples = ", ".join(repr(esc(s, 24)) for s in column.samples)
            padded = "  (spaces around values)" if column.padded else ""
            lines.append(f"  {name:<{width}} {kind:<18} {column.filled:>7}  {samples}{padded}")
        if table.kinds:
            lines.append("  closest kinds:")
            for match in table.kinds:
                missing = ", ".join(match.missing) or "none"
                matched = plural(len(match.matched), "column")
                lines.append(f"    {match.kind:<26} {matched} matched; required fields missing: {missing}")
            if not table.mapping:
                read_as = result.kind or table.kinds[0].kind
                lines.append(f"  no mapping needed: capcheck reads it as {read_as} as it is")
                continue
            lines.append("  suggested mapping (paste into capcheck.toml, then check it):")
            lines.extend("    " + terminal(line) for line in table.mapping.splitlines())
    return "\n".join(lines) + "\n"
