"""Evidence loaders: the loader type, what a loader returns, and helpers loaders share.

A loader reads one file's bytes and returns :class:`Document` values: the kind, the records
(plain dicts), the file's metadata and a way to find each record's line. It does not validate
records against their kind's schema nor check ids: :mod:`capcheck.core.evidence` does that for every
loader alike. A loader reports bad input by raising :class:`capcheck.core.errors.EvidenceError` with
located problems.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from capcheck.core.errors import EvidenceError, Problem, elide
from capcheck.core.side_inputs import decode_strict, shorten

if TYPE_CHECKING:
    from capcheck.core.kinds import EvidenceKind
    from capcheck.core.mapping import FileMapping

__all__ = [
    "HEAD_BYTES",
    "MAX_DEPTH",
    "ByteRange",
    "Document",
    "Enricher",
    "LineTable",
    "LoadContext",
    "Loader",
    "RangeBytes",
    "RangeError",
    "SourceFile",
    "choose_loader",
    "decode_text",
    "file_stamp",
    "fixed_kinds",
    "from_envelope",
    "loader_extension",
    "normalise_values",
    "open_regular",
    "peek_failure",
    "peek_file",
    "peek_kinds",
    "read_range",
]

#: The deepest nesting of objects and arrays accepted in evidence (records are shallow).
MAX_DEPTH = 64

#: Top-level keys of an evidence document (JSON, YAML, TOML).
ENVELOPE_KEYS = frozenset({"kind", "records", "schema_version", "source", "collected_on"})


@dataclass(frozen=True)
class SourceFile:
    """An evidence file's bytes and the name it is shown under in messages and findings."""

    path: Path
    display: str
    data: bytes

    def problem(self, message: str, *, line: int | None = None, pointer: str | None = None) -> Problem:
        """A problem located in this file."""
        return Problem(message, path=self.display, line=line, pointer=pointer)

    def fail(self, message: str, *, line: int | None = None, pointer: str | None = None) -> EvidenceError:
        """An :class:`EvidenceError` for one problem in this file (raise it)."""
        return EvidenceError([self.problem(message, line=line, pointer=pointer)])


@dataclass(frozen=True)
class LoadContext:
    """What a loader may need beyond the file: the registered kinds, the CSV kind mapping, the mappings."""

    kinds: Mapping[str, EvidenceKind]
    #: Maps a file name or glob (``assets-*.csv``) to a kind id, for files not named by kind.
    kind_map: Mapping[str, str] = field(default_factory=dict)
    #: The config's ``[[mapping]]`` tables, in order (:mod:`capcheck.core.mapping`).
    mappings: Sequence[FileMapping] = ()
    #: Config values for loaders and enrichers, by config key (``endoflife_products`` ...).
    options: Mapping[str, Any] = field(default_factory=dict)
    #: True when the loader's ``combine`` will be given this file's documents with those of the other files
    #: it reads (:class:`Loader`): the loader may then leave to ``combine`` what other files may settle.
    together: bool = False

    def mapping_for(self, path: Path, sheet: str | None = None) -> FileMapping | None:
        """The first mapping for this file (and sheet: one naming the sheet, else one for the whole file)."""
        if sheet is not None:
            for mapping in self.mappings:
                if mapping.sheet is not None and mapping.matches(path, sheet):
                    return mapping
        for mapping in self.mappings:
            if mapping.sheet is None and mapping.matches(path):
                return mapping
        return None

    def kind_for_file(self, path: Path) -> str:
        """The kind a file with no ``kind`` key holds: from the mapping, else the file's stem."""
        for pattern, kind in self.kind_map.items():
            if fnmatch(path.name, pattern) or fnmatch(path.as_posix(), pattern):
                return kind
        return path.stem


@dataclass
class Document:
    """One evidence document as a loader read it, before validation.

    A loader that *derives* records from another structure (an OCDS award becomes a contract)
    says where each record really is with ``pointers``, and tells the reader what it left out
    or assumed with ``notes``.
    """

    kind: str
    records: list[Any]
    #: The line of record ``i`` (1-based), or None where the format cannot say. Called lazily.
    locate: Callable[[int], int | None]
    schema_version: str | None = None
    source: str | None = None
    collected_on: str | None = None
    #: For CSV: record ``i`` is data row ``i + 1``. None for other formats.
    rows: bool = False
    #: The line of the ``records`` key, for problems about the list as a whole.
    records_line: int | None = None
    #: The JSON Pointer of record ``i`` in the file's own structure (``/releases/17/awards/0``), one
    #: per record; None (the default) means the envelope's ``/records/{i}``. Findings, schema errors
    #: and duplicate-id problems use it. A problem in a record's field appends the field's path *in
    #: the derived record* (``/releases/17/awards/0/start_date``): it names the record's field, which
    #: is the source's field only when the loader kept the name.
    pointers: Sequence[str] | None = None
    #: What the loader wants the reader to know about this file, one sentence each ("12 awards not
    #: mapped: no value"). Shown in the text report and the findings document's evidence list.
    notes: tuple[str, ...] = ()
    #: The name the document is shown under, where one file holds several (a workbook's sheet:
    #: ``register.xlsx!Assets``); None means the file's own name.
    display: str | None = None
    #: The mapping applied to the document, as the findings document records it (``source``, ``sha256``,
    #: ``skipped_rows``); None when none was.
    mapping: dict[str, Any] | None = None
    #: Fields of the kind that the source *format* cannot carry (an OCDS award has no contract owner):
    #: rules that need one of them report insufficient evidence (a ``skip``) for this document's records
    #: instead of failing them, and the kind's schema does not require them here. A field missing from a
    #: register that could have held it stays an undetermined ``fail``.
    not_provided: frozenset[str] = frozenset()
    #: The index in the file's records of this document's first record: non-zero for a document loaded from a range
    #: of the file (``Loader.load_range``). Record ``i`` is the file's record ``first + i``: at ``/records/{first + i}``
    #: (``pointers``, when given, are the file's own already), CSV data row ``first + i + 1``; ``locate(i)`` gives
    #: the line in the file.
    first: int = 0

    def pointer(self, index: int) -> str:
        """The JSON Pointer of record ``index``: from ``pointers``, else ``/records/{first + index}``."""
        pointers = self.pointers
        if pointers is not None and 0 <= index < len(pointers):
            return pointers[index]
        return f"/records/{self.first + index}"


class LineTable:
    """A ``Document.locate`` from a table of each record's line (0 where it has none): plain data, so a
    document's places can be sent to another process (:meth:`capcheck.core.evidence.EvidenceSet.without_records`)."""

    __slots__ = ("lines",)

    def __init__(self, lines: Sequence[int]) -> None:
        self.lines = lines

    def __call__(self, index: int) -> int | None:
        lines = self.lines
        return (lines[index] or None) if 0 <= index < len(lines) else None

    def __reduce__(self) -> tuple[Any, ...]:
        return (LineTable, (self.lines,))


class ByteRange(NamedTuple):
    """Bytes ``start`` to ``end`` of a file, holding whole records (``Loader.divide``), and the file's size and
    modification time (ns) when it was divided: a range read from a file that no longer has both raises
    :class:`RangeError`, so that ranges loaded in different processes all come from one version of the file."""

    start: int
    end: int
    size: int
    mtime_ns: int


class RangeError(Exception):
    """A range of a file cannot be loaded alone (``Loader.load_range``): it is not whole records in the layout its
    loader assumed (a record cut in two, records sharing a line, a quoted line break in a CSV cell), the file changed
    since it was divided, or the range holds a problem that only a load of the whole file locates as one process
    does. Not a located problem: the caller loads the file whole, which reports the real problem, if any."""


@dataclass(frozen=True)
class RangeBytes:
    """What :func:`read_range` read of a file for one range."""

    #: The first :data:`HEAD_BYTES` bytes (all of them when the file is shorter).
    head: bytes
    #: The range's own bytes (empty when a ``frame`` was asked for: see :attr:`framed`).
    data: bytes
    #: The last bytes of the file, as many as asked (its envelope's end).
    tail: bytes
    #: How many newlines (``\n``) come before the range: its first line is ``newlines + 1``.
    newlines: int
    #: With a ``frame``: its first bytes, the range's, and its last bytes, in one buffer the range was read into.
    framed: bytearray | None = None


#: How many bytes of a file are read at a time to count the newlines before a range.
_COUNT_BLOCK = 1 << 20


def read_range(path: Path, span: ByteRange, *, tail: int = 0, frame: tuple[bytes, bytes] | None = None) -> RangeBytes:
    """Read what loading one range of a file alone needs (``Loader.load_range``): the file's first bytes, the
    range's bytes, its last ``tail`` bytes, and the newlines before the range, counted block by block at C speed
    (no other process's help is needed to number lines).

    :param frame: bytes to put before and after the range's (a parser's envelope around them): ``framed`` then holds
        the three, the range read straight into it (``data`` is empty), so that a range of hundreds of megabytes is
        not copied once more (into fresh memory, which is what costs) to be framed.

    :raises RangeError: the file is not as it was divided (its size or modification time differ, before or after
        reading), or the range is not within it.
    :raises OSError: the file cannot be read.
    """
    start, end, size, mtime_ns = span
    with open_regular(path) as stream:
        if file_stamp(stream) != (size, mtime_ns):
            raise RangeError(f"{path.as_posix()} changed since it was divided")
        if not 0 <= start <= end <= size:
            raise RangeError(f"bytes {start} to {end} are not within the file's {size}")
        head = stream.read(HEAD_BYTES)
        newlines = head.count(b"\n", 0, start)
        if start > len(head):
            stream.seek(len(head))
            left = start - len(head)
            block = bytearray(_COUNT_BLOCK)  # one buffer, read into again and again: no fresh pages a block
            while left > 0:
                got = _read_into(stream, memoryview(block)[: min(left, _COUNT_BLOCK)])
                if not got:
                    raise RangeError(f"{path.as_posix()} ended before byte {start}")
                newlines += block.count(b"\n", 0, got)
                left -= got
        stream.seek(start)
        data, framed = b"", None
        if frame is None:
            data = stream.read(end - start)
            got = len(data)
        else:
            before, after = frame
            framed = bytearray(len(before) + end - start + len(after))
            framed[: len(before)] = before
            with memoryview(framed)[len(before) : len(before) + end - start] as view:
                got = 0
                while got < len(view) and (n := _read_into(stream, view[got:])):
                    got += n
            framed[len(framed) - len(after) :] = after
        last = b""
        if tail:
            stream.seek(max(0, size - tail))
            last = stream.read(tail)
        if got != end - start or file_stamp(stream) != (size, mtime_ns):
            raise RangeError(f"{path.as_posix()} changed while it was read")
    return RangeBytes(head, data, last, newlines, framed)


def _read_into(stream: BinaryIO, view: memoryview) -> int:
    """Read into ``view`` what the stream gives at once (``readinto``; a ``BinaryIO`` opened by :func:`open_regular`
    is a buffered reader, which has it); how many bytes."""
    return int(stream.readinto(view))  # type: ignore[attr-defined]  # BinaryIO does not declare readinto


def file_stamp(stream: BinaryIO) -> tuple[int, int]:
    """An open file's size and modification time in nanoseconds: what a :class:`ByteRange` records of it."""
    info = os.fstat(stream.fileno())
    return info.st_size, info.st_mtime_ns


LoadFunction = Callable[[SourceFile, LoadContext], Sequence[Document]]
#: A cheap look at a file before it is loaded: its path, its first :data:`HEAD_BYTES` bytes (the whole file when
#: shorter) and the load context, to the exact set of kinds its documents will have, or None (see ``Loader.kinds_of``).
KindsFunction = Callable[[Path, bytes, LoadContext], frozenset[str] | None]
#: Every file's documents, as loaded, to each file's final documents (one sequence per file, in order).
CombineFunction = Callable[[Sequence[tuple[SourceFile, Sequence[Document]]], LoadContext], Sequence[Sequence[Document]]]
#: Where a file can be cut: its path, its size, how many parts are wanted and the load context, to byte ranges of
#: whole records (see ``Loader.divide``), or None.
DivideFunction = Callable[[Path, int, int, LoadContext], list[ByteRange] | None]
#: One range of a file loaded alone: its path, the range (from ``Loader.divide``) and the load context, to documents.
LoadRangeFunction = Callable[[Path, ByteRange, LoadContext], Sequence[Document]]


#: How many leading bytes of a file a loader's ``claims`` test sees.
HEAD_BYTES = 65536


@dataclass(frozen=True)
class Loader:
    """A reader of one evidence file type, chosen by extension (``.json``), or by content.

    A loader with ``claims`` recognises its files by their content: for a file whose name ends with
    one of its ``extensions``, ``claims(head)`` (the first :data:`HEAD_BYTES` bytes) is asked first,
    before the extension's own loader, so that an NHS DSPT export named ``trusts.csv`` is read as one
    without a flag. Such a loader does not take the extension from the loader registered for it.
    """

    name: str
    extensions: tuple[str, ...]
    load: LoadFunction
    description: str = ""
    #: True when the loader applies the config's mappings itself, cell by cell (CSV, spreadsheets);
    #: otherwise a matching mapping is applied to the records it returns.
    applies_mapping: bool = False
    #: Content recognition: whether the file (its first bytes) is this loader's format. None: by extension only.
    claims: Callable[[bytes], bool] | None = None
    #: For a format whose units span files (one OCDS contracting process's releases, published in several
    #: packages): called once, after every file is loaded (with ``LoadContext.together``), with the documents of
    #: all the files read by loaders sharing this function, in walk order; returns each file's documents, or
    #: raises :class:`EvidenceError` with located problems. None: each file is complete on its own.
    combine: CombineFunction | None = None
    #: A cheap peek (:func:`peek_kinds`): given the file's path, first :data:`HEAD_BYTES` bytes (all of them when the
    #: file is shorter) and the load context, the exact set of kinds the file's documents will have once loaded
    #: (before any ``[[mapping]]`` sets another, which :func:`peek_kinds` applies for a loader without
    #: ``applies_mapping``), or None when that cannot be told cheaply and for certain. Never a guess: a wrong set
    #: would place the file with the wrong rules. Only a file that loads without a problem is held to it (a file
    #: that cannot be loaded stops the run wherever it is read). None (the field): every file is "cannot tell".
    kinds_of: KindsFunction | None = None
    #: Where a file of this format can be cut for :attr:`load_range` (a check dividing one register over processes):
    #: given the file's path, its size, a number of parts (1 or more) and the load context, at most that many byte
    #: ranges (:class:`ByteRange`) that cover every record of the file in order, each of whole records, found by
    #: reading the file's first and last bytes and a small window at each cut (never the whole file); or None when
    #: the file's layout or its mapping does not allow it. None (the field): files are always loaded whole.
    divide: DivideFunction | None = None
    #: Load one range from :attr:`divide` alone (in any process, in any order): the documents ``load`` gives, but
    #: holding only the range's records, with ``Document.first`` their index in the file and ``locate`` the file's
    #: own lines, so that the documents of every range of one division, taken in order, give exactly the records,
    #: lines, pointers and rows ``load`` gives, and the same problems once validated. Raises :class:`RangeError`
    #: when it cannot (then the caller loads the file whole); the guarantee holds only when every range of the
    #: division was loaded without one.
    load_range: LoadRangeFunction | None = None


#: What an enricher does to one loaded document, in place (records, notes).
EnrichFunction = Callable[["Document", LoadContext], None]


@dataclass(frozen=True)
class Enricher:
    """Completes loaded documents of some kinds before they are validated, from reference data.

    Called on every document of its ``kinds`` (all kinds when empty), after the loader and any
    mapping, before schema validation and indexing: the bundled end-of-life snapshot fills in an
    asset's end of life this way. It must leave a value the register gives untouched, say what it
    filled in (a field naming its source, a note on the document), never open a path evidence names, and
    never change a document's ``kind`` (files are placed by the kinds :func:`peek_kinds` says they hold).
    """

    name: str
    enrich: EnrichFunction
    kinds: tuple[str, ...] = ()
    description: str = ""


def loader_extension(path: Path, extensions: Iterable[str]) -> str | None:
    """The registered extension a file name ends with, the longest first (``.ocds.json`` before
    ``.json``), so a plugin can claim a compound extension; None if no loader reads it."""
    name = path.name.lower()
    for ext in sorted(extensions, key=len, reverse=True):
        if name.endswith(ext) and len(name) > len(ext):
            return ext
    return None


def choose_loader(
    path: Path,
    shown: str,
    head: bytes,
    loaders: Mapping[str, Loader],
    content_loaders: Sequence[Loader],
    context: LoadContext,
) -> Loader:
    """The loader that reads the file: the first content loader whose ``claims`` takes its first bytes (``head``,
    :data:`HEAD_BYTES` of them), else the loader for its extension. A file a ``[[mapping]]`` names is read as the user
    mapped it, by extension, not recognised by content. Loading and :func:`peek_kinds` both choose with this.

    :raises EvidenceError: a content test raised (a plugin's bug), located in the file (``shown``), naming the loader.
    :raises KeyError: no loader reads the extension.
    """
    if context.mapping_for(path) is None:
        for candidate in content_loaders:
            claims = candidate.claims
            if claims is None or loader_extension(path, candidate.extensions) is None:
                continue
            try:
                claimed = claims(head)
            except (Exception, SystemExit) as exc:  # a loader plugin's own bug: name it, with the file it failed on
                failure = f"the {candidate.name!r} loader's content test failed: {type(exc).__name__}: {exc}"
                raise EvidenceError([Problem(failure, path=shown)]) from exc
            if claimed:
                return candidate
    return loaders[loader_extension(path, loaders) or path.suffix.lower()]


def fixed_kinds(*kinds: str) -> KindsFunction:
    """The peek (``Loader.kinds_of``) of a loader whose every file it loads gives one document of each of ``kinds``,
    whatever its content (an adapter whose format fixes them: an SBOM's components are ``it-assets``)."""
    answer = frozenset(kinds)

    def kinds_of(path: Path, head: bytes, context: LoadContext) -> frozenset[str]:
        return answer

    return kinds_of


def peek_kinds(
    files: Iterable[Path],
    *,
    loaders: Mapping[str, Loader],
    content_loaders: Sequence[Loader] = (),
    context: LoadContext,
) -> dict[Path, frozenset[str] | None]:
    """Each file's kinds before it is loaded: the exact set of kinds its documents will have once loaded (and mapped),
    or None where its loader cannot tell cheaply (no ``Loader.kinds_of``, or it says None).

    Only the first :data:`HEAD_BYTES` bytes of each file are read (a loader's peek may look further into the file
    itself, as the workbook one does). ``files`` are the paths :func:`capcheck.core.evidence.find_evidence_files`
    gives, as they are given to the loaders (a mapping or ``kind_map`` may match the path as written), and
    ``context`` the one loading gets. The loader is chosen as loading chooses it (:func:`choose_loader`); a
    ``[[mapping]]`` that names a kind sets it for every document of a loader that leaves mappings to capcheck.
    Anything that goes wrong (an unreadable file, a content test or a peek that raises) is None here: loading
    reports it. Enrichers are not consulted: they complete records and never change a document's kind. Kinds are
    not all that binds files: the files of a loader with ``combine`` (OCDS) are read together, whatever their kinds
    (:func:`choose_loader` says which loader reads a file), and a file is read whole by one loader.
    """
    out: dict[Path, frozenset[str] | None] = {}
    for path in files:
        try:
            with open_regular(path) as stream:
                head = stream.read(HEAD_BYTES)
        except (OSError, ValueError):
            out[path] = None
            continue
        out[path] = _peek_one(path, head, loaders, content_loaders, context)
    return out


def open_regular(path: Path) -> BinaryIO:
    """The file open for reading (binary, buffered), if it is a regular file: opened without waiting (a FIFO swapped
    in for the file after the walk would wait for a writer) and refused (``OSError``) unless regular."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"not a regular file: {path}")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _peek_one(
    path: Path, head: bytes, loaders: Mapping[str, Loader], content_loaders: Sequence[Loader], context: LoadContext
) -> frozenset[str] | None:
    """One file's :func:`peek_kinds` answer, from its first bytes."""
    return peek_file(path, head, loaders, content_loaders, context)[1]


def peek_file(
    path: Path, head: bytes, loaders: Mapping[str, Loader], content_loaders: Sequence[Loader], context: LoadContext
) -> tuple[Loader | None, frozenset[str] | None]:
    """One file's loader (None where none can be chosen: loading says why) and its :func:`peek_kinds` answer, from
    its first bytes (``head``, :data:`HEAD_BYTES` of them)."""
    try:
        loader = choose_loader(path, path.as_posix(), head, loaders, content_loaders, context)
    except (Exception, SystemExit):  # a plugin's bug, or no loader: loading says which, with the file
        return None, None
    found, _why = _ask_peek(loader, path, head, context)
    if found is None:
        return loader, None
    mapping = None if loader.applies_mapping else context.mapping_for(path)
    if mapping is not None and mapping.kind is not None and found:
        return loader, frozenset({mapping.kind})  # apply_to_document sets it on every document
    return loader, found


def _ask_peek(
    loader: Loader, path: Path, head: bytes, context: LoadContext
) -> tuple[frozenset[str] | None, str | None]:
    """The loader's ``kinds_of`` answer for a file, and why there is none when its peek failed (it raised, or
    returned what the contract does not allow): None and None when it has no peek or says None."""
    kinds_of = loader.kinds_of
    if kinds_of is None:
        return None, None
    try:
        found = kinds_of(path, head, context)
    except (Exception, SystemExit) as exc:  # a plugin's bug: peek_failure says it, loading reports the file
        return None, f"raised {type(exc).__name__}: {elide(str(exc))}"
    if found is None:
        return None, None
    if type(found) is not frozenset or not all(type(kind) is str for kind in found):
        return None, f"returned {elide(repr(found))}, not None or a frozenset of kind names"
    return found, None


def peek_failure(
    path: Path, head: bytes, loaders: Mapping[str, Loader], content_loaders: Sequence[Loader], context: LoadContext
) -> str | None:
    """Why the peek of the file's loader (``Loader.kinds_of``) failed, for a message: ``the 'parquet' loader's
    kinds_of raised KeyError: 'kind'``; None when it answered, or said None (it cannot tell: not a failure), or the
    file has no loader (loading says so). :func:`peek_kinds` takes a failure as None, silently: a split check then
    runs in one process, and ``capcheck validate`` says why (docs/plugins.md)."""
    try:
        loader = choose_loader(path, path.as_posix(), head, loaders, content_loaders, context)
    except (Exception, SystemExit):  # a plugin's bug, or no loader: loading says which, with the file
        return None
    _found, why = _ask_peek(loader, path, head, context)
    return None if why is None else f"the {loader.name!r} loader's kinds_of {why}"


def decode_text(source: SourceFile) -> str:
    """The file's text as UTF-8, a leading BOM dropped; a bad byte or a raw NUL byte is a located problem."""
    return decode_strict(source.data, source)


def from_envelope(
    source: SourceFile,
    doc: Any,
    locate: Callable[[int], int | None],
    *,
    key_line: Callable[[str], int | None] = lambda key: None,
) -> Document:
    """Check a parsed JSON/YAML/TOML document's top level and return it as a :class:`Document`.

    The top level must be ``{"kind": str, "records": [...]}`` with optional ``schema_version``,
    ``source`` and ``collected_on`` (an ISO date).
    """
    problems: list[Problem] = []
    if not isinstance(doc, dict):
        raise source.fail(
            f"the top level must be an object with 'kind' and 'records', not {_type_name(doc)}",
            line=1,
            pointer="",
        )
    if "kind" not in doc and "records" not in doc:
        for key, what in (
            # capcheck's own side inputs and outputs, which users keep beside their registers
            ("waivers", "a waivers file"),
            ("capcheck_baseline", "a capcheck baseline"),
            ("findings", "a capcheck findings document (check --format json)"),
            ("cases", "a rule case file"),
            ("rule", "a declarative rule file"),
            ("area", "an areas file"),
            ("framework", "a framework file"),
            ("products", "end-of-life product data (endoflife.date)"),
            ("assessment-rules", "a cyber assessment framework's structure (the NCSC CAF's objectives and outcomes)"),
            ("$schema", "a JSON Schema"),
        ):
            if key in doc:
                hints = {
                    "waivers": " (name it with --waivers or the config's 'waivers', outside the evidence directory)",
                    "capcheck_baseline": " (name it with --baseline or the config's 'baseline', outside the"
                    " evidence directory)",
                    "cases": " (run it with capcheck test)",
                    "rule": " (give rule files with --rules)",
                    # the research copy of endoflife.date: capcheck bundles its own dated snapshot
                    "products": " (capcheck bundles a dated snapshot and fills in assets' end of life from it;"
                    " tools/refresh_endoflife.py refreshes it)",
                    # WebCAF's CAF (YAML, or the JSON research copies hold): criteria, which capcheck bundles
                    "assessment-rules": " (capcheck bundles CAF 4.0 as the framework caf-4.0, its outcomes cited by"
                    " the rules: capcheck frameworks caf-4.0)",
                }
                hint = hints.get(key, "")
                raise source.fail(f"this is {what}, not evidence{hint}", line=key_line(key) or 1, pointer="")
    kind = doc.get("kind")
    records = doc.get("records")
    if not isinstance(kind, str) or not kind:
        problems.append(
            source.problem(
                'missing \'kind\': name the evidence kind, e.g. "kind": "it-assets"'
                if kind is None
                else f"'kind' must be a string, not {_type_name(kind)}",
                line=key_line("kind") or 1,
                pointer="/kind",
            )
        )
    if not isinstance(records, list):
        problems.append(
            source.problem(
                "missing 'records': the records must be a list under 'records'"
                if records is None
                else f"'records' must be a list, not {_type_name(records)}",
                line=key_line("records") or 1,
                pointer="/records",
            )
        )
    for key in sorted(set(doc) - ENVELOPE_KEYS):
        problems.append(
            source.problem(
                f"unknown top-level key {shorten(key)} (allowed: {', '.join(sorted(ENVELOPE_KEYS))})",
                line=key_line(key),
                pointer="/" + _escape(str(key)),
            )
        )
    meta: dict[str, str | None] = {}
    for key in ("schema_version", "source", "collected_on"):
        value = doc.get(key)
        if value is None:
            meta[key] = None
            continue
        if key == "collected_on" and isinstance(value, date | datetime):
            value = value.isoformat()[:10]
        if not isinstance(value, str):
            # An unquoted 1.10 is the number 1.1 by the time it is here: say to quote it, never guess the text.
            hint = ": quote it (YAML and TOML read 1.0 unquoted as a number)" if type(value) in (int, float) else ""
            problems.append(source.problem(f"'{key}' must be a string{hint}", line=key_line(key), pointer=f"/{key}"))
            continue
        if key == "collected_on":
            try:
                date.fromisoformat(value)
            except ValueError:
                problems.append(
                    source.problem(
                        f"'collected_on' must be an ISO date (YYYY-MM-DD), not {shorten(value)}",
                        line=key_line(key),
                        pointer="/collected_on",
                    )
                )
        meta[key] = value
    if problems:
        raise EvidenceError(problems)
    assert isinstance(kind, str) and isinstance(records, list)
    return Document(
        kind=kind,
        records=records,
        locate=locate,
        schema_version=meta["schema_version"],
        source=meta["source"],
        collected_on=meta["collected_on"],
        records_line=key_line("records"),
    )


def normalise_values(source: SourceFile, value: Any, pointer: str = "", depth: int = 0) -> Any:
    """Make parsed YAML/TOML values JSON-like, in place where possible, and reject hostile ones.

    Dates and times become ISO strings (as they are in JSON evidence); NaN and infinities are
    rejected; nesting deeper than :data:`MAX_DEPTH` is rejected.
    """
    if depth > MAX_DEPTH:
        raise source.fail(f"nested more than {MAX_DEPTH} levels deep", pointer=pointer)
    if isinstance(value, dict):
        for key in list(value):
            if not isinstance(key, str):
                raise source.fail(f"keys must be strings, not {_type_name(key)}", pointer=pointer)
            value[key] = normalise_values(source, value[key], f"{pointer}/{_escape(key)}", depth + 1)
        return value
    if isinstance(value, list):
        for i, item in enumerate(value):
            value[i] = normalise_values(source, item, f"{pointer}/{i}", depth + 1)
        return value
    if isinstance(value, float) and not math.isfinite(value):
        raise source.fail(f"{value} is not an allowed number", pointer=pointer)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    raise source.fail(f"unsupported value of type {_type_name(value)}", pointer=pointer)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _type_name(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    for t, name in names.items():
        if type(value) is t:
            return name
    if isinstance(value, int | float):
        return "a number"
    return type(value).__name__
