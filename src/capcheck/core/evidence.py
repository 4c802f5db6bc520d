"""The evidence set: records by kind and id, with provenance (file, line, pointer) and hashes.

:func:`load_evidence` finds evidence files under the given paths, reads each with the loader
for its extension, validates every record against its kind's schema, checks ids, and returns
an :class:`EvidenceSet`. Every problem is collected and raised together as one
:class:`~capcheck.core.errors.EvidenceError`, each with its file, line and JSON pointer.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import stat
from array import array
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache
from operator import eq, itemgetter, methodcaller
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from capcheck.core.errors import EvidenceError, PluginError, Problem
from capcheck.core.joins import join_key
from capcheck.core.kinds import EvidenceKind
from capcheck.core.loading import (
    HEAD_BYTES,
    ByteRange,
    Document,
    Enricher,
    LineTable,
    LoadContext,
    Loader,
    RangeError,
    SourceFile,
    choose_loader,
    loader_extension,
    open_regular,
)
from capcheck.core.lookalikes import drawn_as_nothing, is_plain_ascii
from capcheck.core.mapping import FileMapping, apply_to_document
from capcheck.core.models import EvidenceFileInfo, EvidenceRef, display_path
from capcheck.core.side_inputs import Named, elide, read_bounded, shorten, version_problem
from capcheck.core.wording import did_you_mean

if TYPE_CHECKING:
    from capcheck.app.progress import Progress

__all__ = [
    "ColumnSource",
    "EvidenceSet",
    "IdsRepeated",
    "RecordPlaces",
    "RecordsElsewhere",
    "UndeclaredKind",
    "evidence_extensions",
    "evidence_from_records",
    "find_evidence_files",
    "load_evidence",
    "load_evidence_files",
    "loader_extension",
]

#: Files bigger than this are refused (bounded memory); the config key max_file_mb changes it.
DEFAULT_MAX_FILE_MB = 1024
#: The most schema errors reported per file before the rest are only counted.
MAX_ERRORS_PER_FILE = 50
#: File names never read as evidence when a directory is walked.
IGNORED_NAMES = frozenset({"pyproject.toml", "capcheck.toml", "package.json"})

Record = Mapping[str, Any]


@dataclass
class _LoadedFile:
    info: EvidenceFileInfo
    document: Document
    #: The position of the file it came from among the files loaded (a workbook gives several documents).
    origin: int = 0
    #: For a range of a register's records loaded alone (a check split over processes), the byte the range starts at.
    piece: int | None = None


class _KindTable:
    """The records of one kind, in file order, with each record's file and index in it."""

    __slots__ = ("_ids", "_packed", "_values", "records", "segment_files", "segment_starts")

    def __init__(self) -> None:
        self.records: list[Record] = []
        self._ids: dict[str, int] = {}
        #: The ids as another process sent them (:meth:`__getstate__`), until they are first asked for.
        self._packed: tuple[bytes, array[int] | None] | None = None
        self.segment_starts: list[int] = []
        self.segment_files: list[int] = []
        self._values: dict[str, frozenset[Any]] = {}

    @property
    def ids(self) -> dict[str, int]:
        """Each record's position by its id (of a table another process sent, made when first asked for)."""
        if self._packed is not None:
            import orjson

            keys, positions = self._packed
            ids = orjson.loads(keys)
            self._ids = dict(zip(ids, range(len(ids)) if positions is None else positions, strict=True))
            self._packed = None
        return self._ids

    @ids.setter
    def ids(self, ids: dict[str, int]) -> None:
        self._ids, self._packed = ids, None

    def id_items(self) -> tuple[Collection[str], Iterable[int]]:
        """The ids and their positions, in order, without making the dictionary of ids another process sent."""
        if self._packed is None:
            return self._ids.keys(), self._ids.values()
        import orjson

        keys, positions = self._packed
        ids: list[str] = orjson.loads(keys)
        return ids, range(len(ids)) if positions is None else positions

    def __getstate__(self) -> tuple[Any, ...]:
        """Pickled (a process of a split check sends where its records are) with its ids as one JSON array and their
        positions (none when they are the array's own, as they nearly always are), not a dictionary: of a million
        ids, 0.01 s to write and 0.05 s to read, not 0.2 and 0.45 s, and the receiving process makes the dictionary
        only if it looks an id up (a divided register's joined ids, a row it writes): it does not when the
        reporters' text was made where the records are."""
        packed, ids = self._packed, self._ids
        if packed is None and ids:
            import orjson

            try:
                own = all(map(eq, ids.values(), itertools.count()))  # at C speed, and no list of them
                packed = (orjson.dumps(list(ids)), None if own else array("q", ids.values()))
            except (orjson.JSONEncodeError, OverflowError):  # an id JSON cannot hold (a plugin's): the dictionary
                packed = None
        return (
            self.records,
            ids if packed is None else {},
            packed,
            self.segment_starts,
            self.segment_files,
            self._values,
        )

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.records, self._ids, self._packed, self.segment_starts, self.segment_files, self._values = state

    def origin(self, position: int) -> tuple[int, int]:
        seg = bisect_right(self.segment_starts, position) - 1
        return self.segment_files[seg], position - self.segment_starts[seg]

    def values(self, field: str) -> frozenset[Any]:
        cached = self._values.get(field)
        if cached is None:
            out: set[Any] = set()
            try:  # at C speed when no value is a list or an object (they are unhashable: TypeError)
                out.update(map(methodcaller("get", field), self.records))
                out.discard(None)
            except TypeError:
                out = set()
                for record in self.records:
                    value = record.get(field)
                    if isinstance(value, list):
                        out.update(v for v in value if not isinstance(v, dict | list))
                    elif value is not None and not isinstance(value, dict):
                        out.add(value)
            cached = self._values[field] = frozenset(out)
        return cached


@dataclass(frozen=True, slots=True)
class RecordPlaces:
    """Where the records of one kind are, when one file holds them all (:meth:`EvidenceSet.places`).

    Record ``ids[record_id]`` is at ``locate(i)`` (its line, found lazily; None where the format
    cannot say) and ``pointer(i)`` in ``file``; with ``rows`` (CSV) it is data row ``i + 1``.
    ``pointers`` is None when every pointer is the envelope's ``/records/{i}``.
    """

    kind: str
    file: str
    ids: Mapping[str, int]
    locate: Callable[[int], int | None]
    pointer: Callable[[int], str]
    rows: bool
    pointers: Sequence[str] | None = None
    #: The position of the first record among its file's (a range of them loaded alone: ``Document.first``): record
    #: ``i`` is the file's ``first + i``, its data row ``first + i + 1``, its pointer ``/records/{first + i}``.
    first: int = 0


class EvidenceSet:
    """All loaded evidence, indexed by kind and record id. Records are read-only mappings.

    Rules receive this: ``records(kind)`` in file order, ``get(kind, id)``, ``values(kind,
    field)`` for joins, and ``has(kind)`` to test whether a kind was given at all.
    """

    def __init__(self, files: Sequence[_LoadedFile], tables: Mapping[str, _KindTable]) -> None:
        self._files = list(files)
        self._tables = dict(tables)
        #: Where the kinds this set does not hold are, in a check split over processes (their presence and the
        #: columns rules declare of them); None: this set holds every kind given.
        self.elsewhere: ColumnSource | None = None

    @property
    def files(self) -> tuple[EvidenceFileInfo, ...]:
        """Every evidence file read, in the order read (the walk order, whatever the order of the paths)."""
        return tuple(f.info for f in self._files)

    def kinds(self) -> list[str]:
        """The kinds present, sorted."""
        return sorted(self._tables)

    def records(self, kind: str) -> Sequence[Record]:
        """The records of ``kind`` in file order (empty if none were given)."""
        table = self._tables.get(kind)
        return table.records if table else ()

    def count(self, kind: str) -> int:
        """How many records of ``kind`` there are."""
        table = self._tables.get(kind)
        return len(table.records) if table else 0

    def get(self, kind: str, record_id: str) -> Record | None:
        """The record of ``kind`` with this id, or None."""
        table = self._tables.get(kind)
        if table is None:
            return None
        position = table.ids.get(record_id)
        return None if position is None else table.records[position]

    def __iter__(self) -> Iterator[tuple[str, Record]]:
        for kind in self.kinds():
            for record in self._tables[kind].records:
                yield kind, record

    def ref(self, kind: str, record_id: str | None) -> EvidenceRef:
        """Where a record is: file, line (and CSV row), JSON pointer. Lines are found lazily.

        The pointer is the loader's (``Document.pointers``) for a derived record, else ``/records/{i}``.
        """
        table = self._tables.get(kind)
        if table is None or record_id is None:
            return EvidenceRef(kind=kind, record_id=record_id)
        position = table.ids.get(record_id)
        if position is None:
            return EvidenceRef(kind=kind, record_id=record_id)
        file_no, index = table.origin(position)
        loaded = self._files[file_no]
        doc = loaded.document
        return EvidenceRef(
            kind=kind,
            record_id=record_id,
            file=loaded.info.path,
            line=doc.locate(index),
            row=doc.first + index + 1 if doc.rows else None,
            pointer=doc.pointer(index),
        )

    def declares_not_provided(self, kind: str) -> bool:
        """Whether any document of ``kind`` declares fields its source cannot carry (``Document.not_provided``)."""
        return any(f.info.kind == kind and f.document.not_provided for f in self._files)

    def not_provided(self, kind: str, record_id: str | None) -> tuple[str, frozenset[str]]:
        """The fields the record's source format cannot carry (``Document.not_provided``), with the name
        of the loader that read it (``"ocds"``); no fields for a record of an ordinary register."""
        table = self._tables.get(kind)
        position = table.ids.get(record_id) if table is not None and record_id is not None else None
        if table is None or position is None:
            return "", frozenset()
        loaded = self._files[table.origin(position)[0]]
        return loaded.info.format, loaded.document.not_provided

    def places(self, kind: str) -> RecordPlaces | None:
        """Where the records of ``kind`` are, when one file holds them all (else None): for writers that
        place many findings, with the file and document looked up once, not per finding."""
        table = self._tables.get(kind)
        if table is None or len(table.segment_files) != 1:
            return None
        loaded = self._files[table.segment_files[0]]
        doc = loaded.document
        return RecordPlaces(
            kind, loaded.info.path, table.ids, doc.locate, doc.pointer, doc.rows, doc.pointers, doc.first
        )

    def place(self, kind: str) -> Callable[[str | None], dict[str, Any]]:
        """For one kind, a function from a record id to the JSON form of where it is.

        ``place(kind)(record_id)`` equals ``ref(kind, record_id).as_dict()``, and for no record id
        the kind's file when one file holds it (:meth:`sole_file`). Lines are still found lazily,
        one scan per file, on the first record asked for.
        """
        file = self.sole_file(kind)

        def nowhere(record_id: str | None) -> dict[str, Any]:
            if record_id is not None:
                return {"kind": kind, "record_id": record_id}
            return {"kind": kind} if file is None else {"kind": kind, "file": file}

        one = self.places(kind)
        if one is None:
            table = self._tables.get(kind)
            known: Mapping[str, int] = table.ids if table is not None else {}

            def any_file(record_id: str | None) -> dict[str, Any]:
                if record_id is None or record_id not in known:
                    return nowhere(record_id)
                return self.ref(kind, record_id).as_dict()

            return any_file
        path, ids, locate, pointer, rows, first = one.file, one.ids, one.locate, one.pointer, one.rows, one.first

        def one_file(record_id: str | None) -> dict[str, Any]:
            position = ids.get(record_id) if record_id is not None else None
            if position is None:
                return nowhere(record_id)
            out: dict[str, Any] = {"kind": kind, "record_id": record_id, "file": path}
            line = locate(position)
            if line is not None:
                out["line"] = line
            if rows:
                out["row"] = first + position + 1
            out["pointer"] = pointer(position)
            return out

        return one_file

    def sole_file(self, kind: str) -> str | None:
        """The file that holds ``kind`` when one file does, else None (none, or several: a finding about
        the kind as a whole then names no file, rather than one of them at random)."""
        files = {f.info.path for f in self._files if f.info.kind == kind}
        return files.pop() if len(files) == 1 else None

    def kind_file(self, kind: str) -> str | None:
        """The first file that holds ``kind`` (for findings about a kind as a whole)."""
        for loaded in self._files:
            if loaded.info.kind == kind:
                return loaded.info.path
        return None

    def only(self, kinds: Iterable[str], columns: Iterable[tuple[str, str]] = ()) -> EvidenceSet:
        """This evidence as a rule declaring ``kinds`` (whose records it reads) and ``columns`` (``(kind, field)``
        of kinds it reads only as whole columns) sees it: the same records of those kinds, those columns
        (from :attr:`elsewhere` when their kind is held by another process), and :class:`UndeclaredKind` raised
        on asking anything else, given or not: what a rule does may not depend on evidence it does not declare.
        ``kinds()`` and iteration give the declared kinds that were given. Nothing is copied."""
        return _Only(self, frozenset(kinds), frozenset(columns))

    def has(self, kind: str) -> bool:
        """Whether any evidence of ``kind`` was given (even a file with no records; held elsewhere included)."""
        return kind in self._tables or (self.elsewhere is not None and self.elsewhere.has(kind))

    def values(self, kind: str, field: str) -> frozenset[Any]:
        """Every value of ``field`` across the records of ``kind`` (list items flattened); cached. A kind held by
        another process (:attr:`elsewhere`) is asked of it."""
        table = self._tables.get(kind)
        elsewhere = self.elsewhere
        if table is not None:
            if elsewhere is not None and elsewhere.shares(kind):  # a register whose other ranges are elsewhere
                return table.values(field) | elsewhere.values(kind, field)
            return table.values(field)
        return elsewhere.values(kind, field) if elsewhere is not None else frozenset()

    def records_by_file(self) -> dict[int, int]:
        """How many records each loaded file holds, by its position (its origin: :meth:`without_records`)."""
        out: dict[int, int] = {}
        for f in self._files:
            out[f.origin] = out.get(f.origin, 0) + f.info.records
        return out

    def kinds_by_file(self) -> dict[int, set[str]]:
        """The kinds each loaded file's documents have, by the file's position among the files loaded (a file
        that gave no document is absent)."""
        out: dict[int, set[str]] = {}
        for f in self._files:
            out.setdefault(f.origin, set()).add(f.info.kind)
        return out

    def without_records(
        self, origins: Sequence[int] | None = None, pieces: Mapping[int, int] | None = None
    ) -> EvidenceSet:
        """Where this evidence is, without its records: files, record ids, lines and pointers, small and
        picklable, for a process that writes findings about records another process holds
        (:mod:`capcheck.app.parallel`). Everything but ``records``, ``get`` and ``values`` answers as here;
        those raise :class:`RecordsElsewhere`.

        :param origins: each loaded file's position in a larger list of files (by its position in the files
            this set loaded), so that :meth:`merged` can put the files of several sets in one order.
        :param pieces: of the files loaded as a range of their records, the byte each range starts at (by the
            file's position in the larger list), so that :meth:`merged` joins the ranges of a file in their order.
        """
        files = []
        for f in self._files:
            origin = f.origin if origins is None else origins[f.origin]
            piece = pieces.get(origin) if pieces is not None else None
            files.append(_LoadedFile(f.info, _placed(f.document), origin, piece))
        tables: dict[str, _KindTable] = {}
        for kind, table in self._tables.items():
            placed = tables[kind] = _KindTable()
            placed.records = _Elsewhere(kind, len(table.records))  # type: ignore[assignment]  # len() only
            placed.ids = table.ids
            placed.segment_starts = table.segment_starts
            placed.segment_files = table.segment_files
        return EvidenceSet(files, tables)

    @classmethod
    def merged(cls, parts: Iterable[EvidenceSet]) -> EvidenceSet:
        """One evidence set from sets that each loaded different files, whose kinds they do not share
        (from :meth:`without_records`, with ``origins``): files in the order of their origins, as one
        load of them all would have put them. Ranges of one register's records loaded apart (``pieces``) are
        joined, in the order of their bytes, into the file one load would have made of them.

        :raises IdsRepeated: a record id of a joined register is in two of its ranges (or two ids differ only in
            case or spacing): one load of the file names each, where it is.
        :raises CannotJoin: the ranges carry loader notes (or mappings) of their own.
        """
        parts = list(parts)
        order = sorted(
            (f.origin, -1 if f.piece is None else f.piece, p, n)
            for p, part in enumerate(parts)
            for n, f in enumerate(part._files)
        )
        new_no: dict[tuple[int, int], int] = {}
        files: list[_LoadedFile] = []
        offsets: dict[tuple[int, int], int] = {}  # a range's file -> how many of the file's records come before it
        joined: list[list[_LoadedFile]] = []
        for origin, _start, p, n in order:
            f = parts[p]._files[n]
            if f.piece is not None and joined and joined[-1][0].origin == origin and joined[-1][0].piece is not None:
                offsets[p, n] = sum(g.info.records for g in joined[-1])
                joined[-1].append(f)
            else:
                offsets[p, n] = 0
                joined.append([f])
            new_no[p, n] = len(joined) - 1
        files = [_joined(group) if len(group) > 1 else group[0] for group in joined]
        held: dict[str, list[tuple[int, int, _KindTable]]] = {}  # kind -> (its first record's place, part, table)
        for p, part in enumerate(parts):
            for kind, table in part._tables.items():
                n = table.segment_files[0] if table.segment_files else 0
                held.setdefault(kind, []).append((offsets.get((p, n), 0), p, table))
        tables: dict[str, _KindTable] = {}
        for kind, found in held.items():
            found.sort(key=lambda t: t[0])  # a divided register's ranges in their order in the file
            for offset, p, table in found:
                moved = _KindTable()
                moved.records = table.records
                moved._ids, moved._packed = table._ids, table._packed  # not unpacked unless an id is looked up
                moved.segment_starts = table.segment_starts
                moved.segment_files = [new_no[p, n] for n in table.segment_files]
                if kind in tables:
                    earlier = tables[kind]
                    if earlier.segment_files != moved.segment_files or len(moved.segment_files) != 1:
                        raise ValueError(f"evidence sets to merge share the kind {kind!r}")
                    moved = _join_ranges(kind, earlier, moved, offset)
                tables[kind] = moved
        return cls(files, dict(sorted(tables.items())))


class CannotJoin(ValueError):
    """Ranges of one register's records, loaded apart, cannot be joined into what one load of the file gives
    (:meth:`EvidenceSet.merged`): the caller loads the file whole."""


class IdsRepeated(CannotJoin):
    """Ranges of one register's records, loaded apart, share a record id (or two of their ids differ only in case
    or spacing): :meth:`EvidenceSet.merged` cannot join them, and one load of the file says where each is."""


def _joined(pieces: Sequence[_LoadedFile]) -> _LoadedFile:
    """The ranges of one file's records (placed: :func:`_placed`), in order, as the one file they are."""
    first = pieces[0]
    docs = [f.document for f in pieces]
    if any(f.info.notes or f.document.notes for f in pieces) or any(
        f.info.mapping != first.info.mapping for f in pieces
    ):
        # A loader's notes count what it did to a file ("3 rows skipped"): a range's say so of the range alone.
        raise CannotJoin(f"the ranges of {first.info.path} carry notes of their own, which one load words for the file")
    lines = array("I")
    for doc in docs:
        table = doc.locate
        lines.extend(table.lines if isinstance(table, LineTable) else (table(i) or 0 for i in range(len(doc.records))))
    if all(doc.pointers is None for doc in docs):
        pointers: list[str] | None = None
    else:
        pointers = [doc.pointer(i) for doc, f in zip(docs, pieces, strict=True) for i in range(f.info.records)]
    digest = next((f.info.sha256 for f in pieces if f.info.sha256), "")
    info = replace(first.info, records=sum(f.info.records for f in pieces), sha256=digest)
    return _LoadedFile(info, replace(first.document, locate=LineTable(lines), pointers=pointers, first=0), first.origin)


def _join_ranges(kind: str, earlier: _KindTable, later: _KindTable, offset: int) -> _KindTable:
    """The kind's table of a register joined from two ranges of its records (``later`` the next range, its records'
    positions moved by ``offset``: how many come before it)."""
    ids = dict(earlier.ids)
    before = len(ids)
    keys, positions = later.id_items()  # (a range another process sent: no dictionary of its own made)
    ids.update(zip(keys, map(offset.__add__, positions), strict=True))
    if len(ids) != before + len(keys) or (_may_be_one(ids) and len(set(map(join_key, ids))) != len(ids)):
        raise IdsRepeated(f"a {kind} record id is in two ranges of the register (or differs only in case or spacing)")
    out = _KindTable()
    out.records = _Elsewhere(kind, len(earlier.records) + len(later.records))  # type: ignore[assignment]  # len() only
    out.ids = ids
    out.segment_starts = earlier.segment_starts
    out.segment_files = earlier.segment_files
    return out


class UndeclaredKind(LookupError):
    """A rule read a kind of evidence it does not declare (:meth:`EvidenceSet.only`); ``columns`` names the columns
    it declares of that kind when it read more of it than those."""

    def __init__(self, kind: str, columns: tuple[str, ...] = ()) -> None:
        super().__init__(kind)
        self.kind = kind
        self.columns = columns


class ColumnSource(Protocol):
    """Where a rule's declared columns of kinds held elsewhere are read (another process: capcheck.app.parallel)."""

    def has(self, kind: str) -> bool:
        """Whether evidence of ``kind`` was given (wherever it is)."""
        ...

    def values(self, kind: str, field: str) -> frozenset[Any]:
        """``EvidenceSet.values(kind, field)`` of the evidence holding ``kind`` (of a register divided by ranges of
        records, of the ranges held elsewhere)."""
        ...

    def shares(self, kind: str) -> bool:
        """Whether other ranges of the records of ``kind``, which this evidence also holds, are elsewhere."""
        ...


class _Only(EvidenceSet):
    """An evidence set as a rule sees it: the records of the kinds it declares, the columns it declares of the
    kinds it reads only as columns, and :class:`UndeclaredKind` raised on asking anything else (whether another
    kind was given must not change what the rule does)."""

    def __init__(
        self,
        whole: EvidenceSet,
        seen: frozenset[str],
        columns: frozenset[tuple[str, str]],
    ) -> None:
        super().__init__(whole._files, {k: t for k, t in whole._tables.items() if k in seen})
        self._whole = whole
        self._declared = seen
        self._columns = columns
        self._column_kinds = frozenset(k for k, _ in columns)

    def _seen(self, kind: str) -> None:
        if kind not in self._declared:
            raise UndeclaredKind(kind, tuple(sorted(f"{k}.{f}" for k, f in self._columns if k == kind)))

    def has(self, kind: str) -> bool:
        if kind in self._column_kinds and kind not in self._declared:
            return self._whole.has(kind)
        self._seen(kind)
        return super().has(kind)

    def records(self, kind: str) -> Sequence[Record]:
        self._seen(kind)
        return super().records(kind)

    def count(self, kind: str) -> int:
        self._seen(kind)
        return super().count(kind)

    def get(self, kind: str, record_id: str) -> Record | None:
        self._seen(kind)
        return super().get(kind, record_id)

    def values(self, kind: str, field: str) -> frozenset[Any]:
        if (kind, field) in self._columns and kind not in self._declared:
            return self._whole.values(kind, field)
        self._seen(kind)
        return super().values(kind, field)

    def __iter__(self) -> Iterator[tuple[str, Record]]:
        for kind in self.kinds():
            for record in self.records(kind):
                yield kind, record


class RecordsElsewhere(RuntimeError):
    """Records were asked of an evidence set that only says where they are (:meth:`EvidenceSet.without_records`)."""


class _Elsewhere(Sequence[Record]):
    """The records of a kind held by another process: their number, and nothing else."""

    __slots__ = ("kind", "n")

    def __init__(self, kind: str, n: int) -> None:
        self.kind, self.n = kind, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: Any) -> Any:
        raise RecordsElsewhere(f"the records of {self.kind!r} are held by another process")

    def __iter__(self) -> Iterator[Record]:
        raise RecordsElsewhere(f"the records of {self.kind!r} are held by another process")


def _placed(doc: Document) -> Document:
    """``doc`` without its records, its lines a table (:class:`~capcheck.core.loading.LineTable`), its
    pointers a list: plain data that another process can be sent."""
    n = len(doc.records)
    locate = doc.locate
    if not isinstance(locate, LineTable):
        locate = LineTable([locate(i) or 0 for i in range(n)])
    pointers = doc.pointers if doc.pointers is None or type(doc.pointers) is list else list(doc.pointers)
    return replace(doc, records=[], locate=locate, pointers=pointers)


def find_evidence_files(paths: Iterable[Path], extensions: Iterable[str]) -> tuple[list[Path], list[Problem]]:
    """Expand files and directories (walked in sorted order) into evidence files.

    The files come in one order whatever the order of ``paths``: the order a walk of their common
    directory would give (a directory's files, then its subdirectories, each sorted), and a file
    named twice (by two arguments, or by a directory and a path inside it) comes once. The order of
    the PATH arguments never reaches the findings: which file an aggregate finding names, the order
    of its related records, which of two clashing ids is the duplicate.

    A missing path, a file type no loader reads, a pipe or device, or a directory holding no
    evidence file is a problem. Hidden files and directories are skipped while walking; symlinked
    directories inside the path are walked (each directory once), symlinked files inside it are read, and
    a symbolic link (to a directory or a file) leading outside it is a problem.
    """
    exts = tuple(sorted(set(extensions)))
    files: list[Path] = []
    problems: list[Problem] = []
    #: Each file's device and inode (from the stat that found it), so one file reached by two paths comes once.
    identities: list[tuple[int, int]] = []
    for path in paths:
        shown = path.as_posix()
        try:
            info = path.stat()
            mode = info.st_mode
        except FileNotFoundError:
            problems.append(Problem("no such file or directory", path=shown))
            continue
        except OSError as exc:
            problems.append(Problem(f"cannot read: {exc.strerror}", path=shown))
            continue
        if stat.S_ISDIR(mode):
            before = len(problems)
            found = _walk(path, exts, problems, identities)
            if not found and len(problems) == before:
                problems.append(Problem(f"no evidence files here (looked for {', '.join(exts)})", path=shown))
            files.extend(found)
        elif stat.S_ISREG(mode):
            if loader_extension(path, exts) is None:
                problems.append(
                    Problem(
                        f"cannot read {path.suffix or 'extension-less'} files as evidence "
                        f"(readable: {', '.join(exts)})",
                        path=shown,
                    )
                )
            else:
                files.append(path)
                identities.append((info.st_dev, info.st_ino))
        else:
            problems.append(Problem("not a regular file (a pipe, socket or device)", path=shown))
    return _in_walk_order(files, identities), problems


def _in_walk_order(files: list[Path], identities: list[tuple[int, int]]) -> list[Path]:
    """``files`` without repeats, in the order a sorted walk gives: in each directory its files (by
    name), then its subdirectories (by name). Paths are compared as absolute, not resolved, paths:
    a symbolic link is placed where it is, as the walk places it. A file reached again by another path (a
    symbolic link to a file also walked or named, a hard link, ``dir/link/x.json``) comes once, first where
    the walk order places it: read twice, its records clashed with themselves, under one shown name."""
    keyed: dict[tuple[tuple[int, str], ...], int] = {}
    for i, path in enumerate(files):
        parts = Path(os.path.abspath(path)).parts
        key = (*((1, part) for part in parts[:-1]), (0, parts[-1]))
        keyed.setdefault(key, i)
    ordered = [keyed[key] for key in sorted(keyed)]
    if len(set(identities)) == len(identities):  # no file reached twice (the usual case): asked once
        return [files[i] for i in ordered]
    seen: set[tuple[int, int]] = set()
    unique: list[Path] = []
    for i in ordered:
        identity = identities[i]
        if identity not in seen:
            if identity[1]:  # inode 0: a file system without file ids (some on Windows) tells nothing apart
                seen.add(identity)
            unique.append(files[i])
    return unique


def _walk(root: Path, exts: tuple[str, ...], problems: list[Problem], identities: list[tuple[int, int]]) -> list[Path]:
    """The evidence files under ``root`` in walk order; each one's device and inode appended to ``identities``."""
    found: list[Path] = []

    def unreadable(exc: OSError) -> None:  # a directory that cannot be listed is never skipped silently
        where = Path(exc.filename).as_posix() if exc.filename else root.as_posix()
        problems.append(Problem(f"cannot read directory: {exc.strerror or exc}", path=where))

    # A symlinked directory inside the root is walked (it was skipped silently, leaving its registers unjudged);
    # one leading outside is a problem, never crawled (`evidence/x -> /` would walk the machine). Each directory
    # is walked once, by device and inode, so a loop ends and a second link to one directory adds nothing.
    # A symlinked file is read when it leads inside the root too, and one leading outside is a problem, not
    # read: the walk reads only what is in the directory named (a file elsewhere is read when named itself).
    inside = os.path.realpath(root)
    prefix = inside.rstrip(os.sep) + os.sep

    def outside(link: str) -> bool:
        target = os.path.realpath(link)
        return target != inside and not target.startswith(prefix)

    visited: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable, followlinks=True):
        try:
            here = os.stat(dirpath)
        except OSError as exc:  # gone since it was listed
            unreadable(exc)
            dirnames[:] = []
            continue
        if (here.st_dev, here.st_ino) in visited:
            dirnames[:] = []
            continue
        visited.add((here.st_dev, here.st_ino))
        keep: list[str] = []
        for name in sorted(d for d in dirnames if not d.startswith(".")):
            link = os.path.join(dirpath, name)
            if not (os.path.islink(link) and outside(link)):
                keep.append(name)
            else:
                problems.append(
                    Problem(
                        f"a symbolic link to a directory outside {root.as_posix()}: not walked (name it as a PATH "
                        "to check it)",
                        path=Path(link).as_posix(),
                    )
                )
        dirnames[:] = keep
        for name in sorted(filenames):
            if name.startswith(".") or name in IGNORED_NAMES:
                continue
            candidate = Path(dirpath, name)
            if loader_extension(candidate, exts) is None:
                continue
            try:
                info = candidate.stat()
                mode = info.st_mode
            except OSError as exc:  # a dangling symbolic link, or a file that went away
                problems.append(Problem(f"cannot read: {exc.strerror}", path=candidate.as_posix()))
                continue
            if stat.S_ISREG(mode):
                if os.path.islink(candidate) and outside(str(candidate)):
                    problems.append(
                        Problem(
                            f"a symbolic link to a file outside {root.as_posix()}: not read (name it as a PATH to "
                            "check it)",
                            path=candidate.as_posix(),
                        )
                    )
                    continue
                found.append(candidate)
                identities.append((info.st_dev, info.st_ino))
            elif not stat.S_ISDIR(mode):  # named like evidence but never read: say so, never skip it silently
                problems.append(Problem("not a regular file (a pipe, socket or device)", path=candidate.as_posix()))
    return found


def _read(path: Path, shown: str, max_bytes: int) -> SourceFile:
    # The size is checked on the open file before anything is read, so an oversized file costs
    # nothing; a file that is not regular (a FIFO swapped in after the walk) is refused, not waited on.
    data = read_bounded(
        path, Named(shown, EvidenceError), what="evidence file", limit=max_bytes, cap="(config max_file_mb)"
    )
    return SourceFile(path=path, display=shown, data=data)


def load_evidence(
    paths: Iterable[Path],
    *,
    loaders: Mapping[str, Loader],
    kinds: Mapping[str, EvidenceKind],
    kind_map: Mapping[str, str] | None = None,
    max_file_mb: int = DEFAULT_MAX_FILE_MB,
    mappings: Sequence[FileMapping] = (),
    content_loaders: Sequence[Loader] = (),
    enrichers: Sequence[Enricher] = (),
    options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> EvidenceSet:
    """Read, validate and index the evidence under ``paths``; raise EvidenceError on any problem.

    :param loaders: loaders by lower-case extension (``".json"``).
    :param content_loaders: loaders that recognise a file by its content (``Loader.claims``), asked in
        order before the extension's loader, unless a mapping names the file.
    :param enrichers: the plugins' enrichers (``capcheck_enrichers``), run on each document of their kinds
        after loading and mapping, before validation (the bundled end-of-life snapshot is one).
    :param options: config values loaders and enrichers read (``LoadContext.options``).
    :param kinds: the registered kinds by id.
    :param kind_map: CSV file name (or glob) to kind id.
    :param mappings: the config's ``[[mapping]]`` tables (:mod:`capcheck.core.mapping`), first match wins.
    :param progress: told how many files there are and when each is loaded.
    """
    files, problems = find_evidence_files(paths, evidence_extensions(loaders, content_loaders))
    if progress is not None:
        progress.files_found(len(files))
    return load_evidence_files(
        files,
        problems,
        loaders=loaders,
        kinds=kinds,
        kind_map=kind_map,
        max_file_mb=max_file_mb,
        mappings=mappings,
        content_loaders=content_loaders,
        enrichers=enrichers,
        options=options,
        progress=progress,
    )


def evidence_extensions(loaders: Mapping[str, Loader], content_loaders: Sequence[Loader] = ()) -> set[str]:
    """The file extensions some loader reads (what :func:`find_evidence_files` looks for)."""
    return {*loaders, *(ext.lower() for c in content_loaders for ext in c.extensions)}


def load_evidence_files(
    files: Sequence[Path],
    problems: list[Problem],
    *,
    loaders: Mapping[str, Loader],
    kinds: Mapping[str, EvidenceKind],
    kind_map: Mapping[str, str] | None = None,
    max_file_mb: int = DEFAULT_MAX_FILE_MB,
    mappings: Sequence[FileMapping] = (),
    content_loaders: Sequence[Loader] = (),
    enrichers: Sequence[Enricher] = (),
    options: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    ranges: Mapping[Path, tuple[ByteRange, bool]] | None = None,
) -> EvidenceSet:
    """Read, validate and index ``files`` (found by :func:`find_evidence_files`, in its order), as
    :func:`load_evidence` does; ``problems`` (the walk's) come first in the error raised.

    :param ranges: files of which only a range of records is loaded (a check split over processes: its parts
        load ranges of one register), by path: the range's first and last byte (``Loader.divide``), and whether
        this process hashes the whole file (one range's does). Each is loaded by its loader's ``load_range``.
    :raises RangeError: a file's range does not load alone (its loader has no ``load_range``, a mapping applies to
        it, or its bytes are not whole records in the layout its loader cut them in): the caller loads it whole.
    """
    ranges = ranges or {}
    context = LoadContext(
        kinds=kinds, kind_map=dict(kind_map or {}), mappings=tuple(mappings), options=dict(options or {})
    )
    builder = _Builder(kinds, problems)
    max_bytes = max_file_mb << 20
    shown_names = [display_path(path) for path in files]
    together = replace(context, together=True)
    # A file read by a loader that combines its files (Loader.combine) waits for the others it reads, and so does
    # every file after the first such, so that files and their problems stay in walk order.
    waiting: list[_Waiting] = []

    def settle(file: _Waiting) -> None:
        """Enrich a file's loaded documents and index them."""
        source, documents = file.source, file.documents
        try:
            for doc in documents:
                for enricher in enrichers:
                    if not enricher.kinds or doc.kind in enricher.kinds:
                        enricher.enrich(doc, context)
        except EvidenceError as exc:
            problems.extend(exc.problems)
            return
        except (Exception, SystemExit) as exc:  # an enricher plugin's own bug: name it, with the file it failed on
            problems.append(
                Problem(f"the {enricher.name!r} enricher failed: {type(exc).__name__}: {exc}", path=source.display)
            )
            return
        name = file.loader.name if file.loader is not None else "?"
        for doc in documents:
            builder.add(source, doc, name, file.sha256, file.index)
        if progress is not None:
            progress.file_loaded(sum(len(doc.records) for doc in documents))

    # Reading a file and hashing it release the GIL: a worker thread reads the next file and hashes
    # the current one while this thread parses and validates it (GIL-holding work), so on two cores
    # both cost next to nothing. Only one file is read ahead: at most one more file's bytes are held.
    def read(i: int) -> SourceFile:
        """A file's bytes; of a file loaded as a range, its head only (its loader reads the range)."""
        if files[i] in ranges:
            return _read_head(files[i], shown_names[i])
        return _read(files[i], shown_names[i], max_bytes)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="capcheck-read") as pool:
        reading = pool.submit(read, 0) if files else None
        for i in range(len(files)):
            shown = shown_names[i]
            this_read, reading = reading, None
            assert this_read is not None
            found: list[Problem] = []
            try:
                source = this_read.result()
            except EvidenceError as exc:
                found.extend(exc.problems)
                source = None
            except (OSError, MemoryError) as exc:
                found.append(Problem(f"cannot read: {type(exc).__name__}: {exc}", path=shown))
                source = None
            span = ranges.get(files[i])
            digest = None
            if source is not None:
                if span is None:
                    digest = pool.submit(_sha256, source.data)
                else:  # one range's process hashes the whole file; the others leave it to that one
                    digest = pool.submit(_sha256_file, source.path) if span[1] else pool.submit(str)
            if i + 1 < len(files):
                reading = pool.submit(read, i + 1)
            file: _Waiting | None = None
            if source is not None and digest is not None:
                if span is not None:
                    file = _load_range(source, span[0], loaders, content_loaders, context, found)
                else:
                    file = _load_file(source, loaders, content_loaders, context, together, kinds, found)
                if file is not None:
                    file.sha256 = digest.result()
                    file.index = i
            combines = file is not None and file.loader is not None and file.loader.combine is not None
            if waiting or combines:
                if file is not None and not combines:  # its loader is done with the bytes: do not hold them
                    file.source = replace(file.source, data=b"")
                waiting.append(file or _Waiting(problems=found))
            else:
                problems.extend(found)
                if file is not None:
                    settle(file)
    _combine(waiting, together, kinds)
    for file in waiting:
        problems.extend(file.problems)
        if file.loader is not None:
            settle(file)
    return builder.finish()


def _returned(documents: object) -> str:
    """What a loader returned instead of a list of documents, for its error."""
    if isinstance(documents, list | tuple):
        odd = next(d for d in documents if not isinstance(d, Document))
        return f"a {type(documents).__name__} holding a {type(odd).__name__}, not only Document values"
    return f"a {type(documents).__name__}, not a list of Document values"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open_regular(path) as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _read_head(path: Path, shown: str) -> SourceFile:
    """A file's first :data:`HEAD_BYTES` (what chooses its loader), for a file loaded as a range of its records."""
    with open_regular(path) as stream:
        return SourceFile(path=path, display=shown, data=stream.read(HEAD_BYTES))


def _load_range(
    source: SourceFile,
    span: ByteRange,
    loaders: Mapping[str, Loader],
    content_loaders: Sequence[Loader],
    context: LoadContext,
    problems: list[Problem],
) -> _Waiting | None:
    """Load a range of one file's records (``source`` holds its head only) with its loader's ``load_range``.

    :raises RangeError: the range does not load alone (see :func:`load_evidence_files`).
    """
    path, shown = source.path, source.display
    loader: Loader | None = None
    try:
        loader = choose_loader(path, shown, source.data, loaders, content_loaders, context)
        if loader.load_range is None or loader.combine is not None:
            raise RangeError(f"the {loader.name!r} loader loads no range of a file's records")
        if not loader.applies_mapping and context.mapping_for(path) is not None:
            raise RangeError("a mapping applies to the file: it is mapped whole")
        documents = loader.load_range(path, span, context)
        if not isinstance(documents, list | tuple) or not all(isinstance(d, Document) for d in documents):
            raise source.fail(f"the {loader.name!r} loader returned {_returned(documents)}")
        if any(not callable(d.locate) for d in documents):
            raise source.fail(f"the {loader.name!r} loader gave a Document whose locate is not a function")
        _guard_locates(documents, loader.name, shown)
    except RangeError:
        raise
    except (Exception, SystemExit) as exc:
        problems.extend(_load_problems(exc, loader, shown))
        return None
    return _Waiting(source, loader, documents, "", None, problems)


#: The source of a file that could not be read.
_NO_SOURCE = SourceFile(Path(), "", b"")


@dataclass
class _Waiting:
    """A file as its loader read it, its problems, and what indexing it needs."""

    source: SourceFile = _NO_SOURCE
    loader: Loader | None = None
    documents: Sequence[Document] = ()
    sha256: str = ""
    #: A mapping to apply once the loader's ``combine`` has made the file's final documents.
    mapping: FileMapping | None = None
    problems: list[Problem] = field(default_factory=list)
    #: The file's position among the files loaded.
    index: int = 0


def _load_file(
    source: SourceFile,
    loaders: Mapping[str, Loader],
    content_loaders: Sequence[Loader],
    context: LoadContext,
    together: LoadContext,
    kinds: Mapping[str, EvidenceKind],
    problems: list[Problem],
) -> _Waiting | None:
    """Read one file with its loader (and its mapping, unless the loader combines its files); None on a problem."""
    path, shown = source.path, source.display
    loader: Loader | None = None
    try:
        loader = choose_loader(path, shown, source.data[:HEAD_BYTES], loaders, content_loaders, context)
        combines = loader.combine is not None
        documents = loader.load(source, together if combines else context)
        if not isinstance(documents, list | tuple) or not all(isinstance(d, Document) for d in documents):
            raise source.fail(f"the {loader.name!r} loader returned {_returned(documents)}")
        if any(not callable(d.locate) for d in documents):  # called lazily, by a reporter: fail here
            raise source.fail(
                f"the {loader.name!r} loader gave a Document whose locate is not a function "
                "(record index -> line, or None where the format cannot say: lambda i: None)"
            )
        _guard_locates(documents, loader.name, shown)
        mapping = None if loader.applies_mapping else context.mapping_for(path)
        if mapping is not None and not combines:  # a loader reading whole records: the mapping applies to them
            for doc in documents:
                apply_to_document(source, doc, mapping, kinds)
            mapping = None
    except (Exception, SystemExit) as exc:
        problems.extend(_load_problems(exc, loader, shown))
        return None
    return _Waiting(source, loader, documents, "", mapping, problems)


def _load_problems(exc: BaseException, loader: Loader | None, shown: str) -> list[Problem]:
    """What a file's load that raised says: the file's own located problems (a locate function that failed is the
    loader's: :func:`_guard_locates`), a file that could not be read, or a loader plugin's own bug, named with the
    file it failed on."""
    if isinstance(exc, EvidenceError | PluginError):
        return list(exc.problems)
    if isinstance(exc, OSError | MemoryError | RecursionError):
        return [Problem(f"cannot read: {type(exc).__name__}: {exc}", path=shown)]
    name = loader.name if loader is not None else "?"
    return [Problem(f"the {name!r} loader failed: {type(exc).__name__}: {exc}", path=shown)]


def _guard_locates(documents: Sequence[Document], loader: str, shown: str) -> None:
    """Each document's ``locate`` made to fail as the loader's located error.

    ``locate`` is called lazily: for a problem while the file is validated, and for each finding as a
    report is written. A loader plugin's ``locate`` that raised was an "internal error" (or blamed the
    reporter that asked), and one that answered with something other than a line number put it in every
    report as it was (``"line": line 3`` in the findings document is not JSON). Now either is a
    :class:`PluginError` naming the loader, the file and the record: a problem of the file at load time,
    exit 2 at report time (the report is not finished: a file output is not written).

    A ``locate`` of capcheck's own modules (every built-in loader's: the suite tests their lines) is left as
    it is: the check is a call more per record placed (11 ms of CPU per 300,000, doubling what placing costs).
    """
    for doc in documents:
        if not (getattr(doc.locate, "__module__", None) or "").startswith("capcheck."):
            doc.locate = _checked_locate(doc.locate, loader, doc.display or shown)


def _checked_locate(locate: Callable[[int], int | None], loader: str, shown: str) -> Callable[[int], int | None]:
    def checked(index: int) -> int | None:
        try:
            line = locate(index)
        except Exception as exc:  # the loader plugin's own bug: name it, with the file and record
            raise PluginError(
                Problem(
                    f"the {loader!r} loader failed to give the line of record {index}: {type(exc).__name__}: {exc}",
                    path=shown,
                )
            ) from exc
        if line is None or (type(line) is int and line > 0):
            return line
        raise PluginError(
            Problem(
                f"the {loader!r} loader gave {shorten(line)} as the line of record {index}: "
                "a line is a whole number from 1, or None where the format cannot say",
                path=shown,
            )
        )

    return checked


def _combine(waiting: Sequence[_Waiting], together: LoadContext, kinds: Mapping[str, EvidenceKind]) -> None:
    """Hand the files of each combining loader (``Loader.combine``) to it together; its problems go to the files'
    own, and a file whose group failed is not indexed."""
    groups: dict[Any, list[_Waiting]] = {}
    for file in waiting:
        if file.loader is not None and file.loader.combine is not None:
            groups.setdefault(file.loader.combine, []).append(file)
    for combine, group in groups.items():
        try:
            combined = combine([(file.source, file.documents) for file in group], together)
            if len(combined) != len(group):
                raise ValueError(f"gave documents for {len(combined)} files, not {len(group)}")
            guarded = {id(doc.locate) for file in group for doc in file.documents}
            for file, documents in zip(group, combined, strict=True):
                name = file.loader.name if file.loader is not None else "?"
                _guard_locates([d for d in documents if id(d.locate) not in guarded], name, file.source.display)
        except (EvidenceError, PluginError) as exc:  # PluginError: a locate function failed (_guard_locates)
            by_file = {file.source.display: file for file in group}
            for problem in exc.problems:
                by_file.get(problem.path or "", group[-1]).problems.append(problem)
            combined = [() for _file in group]
            for file in group:
                file.loader = None
        except (Exception, SystemExit) as exc:  # a loader plugin's own bug: name it
            name = group[0].loader.name if group[0].loader is not None else "?"
            group[-1].problems.append(
                Problem(f"the {name!r} loader failed to combine its files: {type(exc).__name__}: {exc}")
            )
            combined = [() for _file in group]
            for file in group:
                file.loader = None
        for file, documents in zip(group, combined, strict=True):
            file.documents = documents
            if file.mapping is not None and file.loader is not None:
                try:
                    for doc in documents:
                        apply_to_document(file.source, doc, file.mapping, kinds)
                except (EvidenceError, PluginError) as exc:
                    file.problems.extend(exc.problems)
                    file.loader = None


def evidence_from_records(
    records: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    kinds: Mapping[str, EvidenceKind],
    name: str = "<memory>",
) -> EvidenceSet:
    """An evidence set from in-memory records by kind, validated like files are.

    Used by the rule test harness (:mod:`capcheck.testing`) and by tools that build evidence in
    code. Each kind is treated as one document named ``<name>/<kind>``.
    """
    builder = _Builder(kinds, [])
    for kind_id in sorted(records):
        shown = f"{name}/{kind_id}"
        source = SourceFile(path=Path(shown), display=shown, data=b"")
        doc = Document(kind=kind_id, records=[dict(r) for r in records[kind_id]], locate=lambda i: None)
        builder.add(source, doc, "memory", "")
    return builder.finish()


class _Builder:
    """Validates documents and indexes their records into an evidence set, collecting problems."""

    def __init__(self, kinds: Mapping[str, EvidenceKind], problems: list[Problem]) -> None:
        self.kinds = kinds
        self.loaded: list[_LoadedFile] = []
        self.tables: dict[str, _KindTable] = {}
        #: Shared with the caller, so that problems stay in the order of the files.
        self.problems = problems

    def add(self, source: SourceFile, doc: Document, fmt: str, digest: str, origin: int = 0) -> None:
        """Validate one document; index its records if it is valid."""
        if doc.display is not None:  # one of several documents in the file (a workbook's sheet)
            source = replace(source, display=doc.display)
        try:  # a loader plugin's locate may fail as a problem is placed (_guard_locates)
            file_problems = _validate(source, doc, self.kinds)
        except PluginError as exc:
            file_problems = exc.problems
        if file_problems:
            self.problems.extend(file_problems)
            return
        file_no = len(self.loaded)
        info = EvidenceFileInfo(
            path=source.display,
            format=fmt,
            kind=doc.kind,
            records=len(doc.records),
            sha256=digest,
            schema_version=doc.schema_version,
            source=doc.source,
            collected_on=doc.collected_on,
            notes=tuple(doc.notes),
            mapping=doc.mapping,
        )
        self.loaded.append(_LoadedFile(info=info, document=doc, origin=origin))
        table = self.tables.get(doc.kind)
        if table is None:
            table = self.tables[doc.kind] = _KindTable()
        try:
            self.problems.extend(_index(table, doc, file_no, self.loaded))
        except PluginError as exc:
            self.problems.extend(exc.problems)

    def finish(self) -> EvidenceSet:
        """The evidence set, or an EvidenceError with every problem found."""
        for kind in sorted(self.tables):
            self.problems.extend(_invisible_ids(kind, self.tables[kind], self.loaded))
            self.problems.extend(_same_ids(kind, self.tables[kind], self.loaded))
        if self.problems:
            raise EvidenceError(self.problems)
        return EvidenceSet(self.loaded, self.tables)


def _validator_without(kind: EvidenceKind, optional: frozenset[str]) -> Any:
    """The kind's records validator with ``optional`` no longer required: fields the document's source
    format cannot carry (``Document.not_provided``). Compiled once per kind and set of fields."""
    key = (id(kind), optional)
    cached = _RELAXED.get(key)
    if cached is not None and cached[0] is kind:
        return cached[1]
    schema = dict(kind.schema)
    schema["required"] = [f for f in kind.required if f not in optional]
    relaxed = EvidenceKind(id=kind.id, title=kind.title, description=kind.description, schema=schema)
    validator = relaxed.records_validator
    _RELAXED[key] = (kind, validator)
    return validator


#: Relaxed validators by kind (identity: a plugin may register another schema under the same id) and
#: the fields no longer required (see _validator_without).
_RELAXED: dict[tuple[int, frozenset[str]], tuple[EvidenceKind, Any]] = {}


@cache
def _shape_validator() -> Any:
    """Every record is an object with a non-empty string ``id``, whatever its kind's schema says."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "array",
            "items": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "minLength": 1}}},
        }
    )


def _shape_implied(schema: Mapping[str, Any]) -> bool:
    """Whether a kind's schema itself requires what the shape validator checks (an object with a
    non-empty string ``id``), written plainly at its top level: then one pass validates both (the
    bundled kinds all say so). Anything less plain keeps the separate shape pass."""
    id_schema = schema.get("properties", {}).get("id") if isinstance(schema.get("properties"), dict) else None
    required = schema.get("required")
    return (
        schema.get("type") == "object"
        and isinstance(required, list)
        and "id" in required
        and isinstance(id_schema, dict)
        and id_schema.get("type") == "string"
        and type(id_schema.get("minLength")) is int
        and id_schema["minLength"] >= 1
    )


#: Strings longer than this are cut (for messages only) when an invalid file's errors are listed.
_CLIP_CHARS = 4096


@cache
def _short_strings() -> Any:
    """Every string in a list of records, at any depth, is at most ``_CLIP_CHARS`` characters."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": {
                "value": {
                    "anyOf": [
                        {"type": "string", "maxLength": _CLIP_CHARS},
                        {"type": ["number", "boolean", "null"]},
                        {"type": "array", "items": {"$ref": "#/$defs/value"}},
                        {"type": "object", "additionalProperties": {"$ref": "#/$defs/value"}},
                    ]
                }
            },
            "type": "array",
            "items": {"$ref": "#/$defs/value"},
        }
    )


def _clip(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= _CLIP_CHARS else value[:_CLIP_CHARS] + "…"
    if isinstance(value, dict):
        return {k: _clip(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clip(v) for v in value]
    return value


def _validate(source: SourceFile, doc: Document, kinds: Mapping[str, EvidenceKind]) -> list[Problem]:
    """The document's problems: unknown kind, bad loader output, records that are not objects with an
    id, schema errors. Each is located at the record's pointer (``Document.pointer``) and line; a
    schema error inside a record appends its path in the record to the record's pointer."""
    kind = kinds.get(doc.kind)
    if kind is None:
        known = ", ".join(sorted(kinds)) or "none"
        hint = did_you_mean(doc.kind, kinds) if isinstance(doc.kind, str) else ""
        return [
            source.problem(f"unknown evidence kind {shorten(doc.kind)}{hint} (known kinds: {known})", pointer="/kind")
        ]
    if doc.schema_version is not None and doc.schema_version != kind.schema_version:
        wrong = _check_version(doc, kind)
        if wrong is not None:
            return [source.problem(wrong, pointer="/schema_version")]
    records = doc.records
    pointers = doc.pointers
    if pointers is not None:
        # A bug in the loader, not in the file: say so rather than point at the wrong place.
        if len(pointers) != len(records):
            return [
                source.problem(
                    f"the loader gave {len(pointers)} record pointers for {len(records)} records (one per record)"
                )
            ]
        for index, given in enumerate(pointers):
            if not isinstance(given, str) or given[:1] not in ("", "/"):
                return [source.problem(f"the loader gave record {index} the pointer {given!r}, not a JSON Pointer")]
    problems: list[Problem] = []
    try:
        validator = (
            _validator_without(kind, doc.not_provided & set(kind.required))
            if doc.not_provided & set(kind.required)
            else kind.records_validator
        )
    except Exception as exc:  # a plugin's kind whose schema does not compile
        raise PluginError(
            Problem(f"the schema of evidence kind {kind.id!r} does not compile: {type(exc).__name__}: {exc}")
        ) from exc
    if (_shape_implied(kind.schema) or _shape_validator().is_valid(records)) and validator.is_valid(records):
        return problems  # the common case: one or two compiled passes, no Python loop over the records
    # Shape and ids first: their messages are clearer than a schema's.
    for index, record in enumerate(records):
        if type(record) is not dict:
            problems.append(
                source.problem("each record must be an object", line=doc.locate(index), pointer=doc.pointer(index))
            )
        elif type(record.get("id")) is not str or not record["id"]:
            problems.append(
                source.problem(
                    "each record needs a non-empty string 'id'",
                    line=doc.locate(index),
                    pointer=doc.pointer(index) + "/id",
                )
            )
        if len(problems) >= MAX_ERRORS_PER_FILE:
            return problems
    if problems:
        return problems
    count = 0
    # jsonschema-rs builds every error (with a copy of its instance) before the first is read, and
    # its messages quote values: a record holding a huge string is validated for messages as a
    # copy with long strings cut, so the error path costs no more memory than the file did.
    if not _short_strings().is_valid(records):
        records = [r if _short_strings().is_valid([r]) else _clip(r) for r in records]
    for error, offset in _errors_by_batch(validator, records):
        count += 1
        if count > MAX_ERRORS_PER_FILE:
            continue
        path = list(error.instance_path)
        record_index = path[0] + offset if path and isinstance(path[0], int) else None
        tokens = ["/" + str(p).replace("~", "~0").replace("/", "~1") for p in path]
        pointer: str | None
        if record_index is not None:
            pointer = doc.pointer(record_index) + "".join(tokens[1:])
        elif pointers is None:
            pointer = "/records" + "".join(tokens)
        else:
            pointer = None  # derived records: the list as a whole is not in the file
        problems.append(
            source.problem(
                f"{elide(_schema_message(error))} (kind {shorten(doc.kind)})",
                line=doc.locate(record_index) if record_index is not None else doc.records_line,
                pointer=pointer,
            )
        )
    if count > MAX_ERRORS_PER_FILE:
        problems.append(source.problem(f"... and {count - MAX_ERRORS_PER_FILE} more schema errors in this file"))
    return problems


def _check_version(doc: Document, kind: EvidenceKind) -> str | None:
    """Why the document's ``schema_version`` is not one the kind's schema judges, or None.

    Another major is refused (its records follow a schema capcheck does not have, so they would be judged
    against the wrong one); a newer minor is read, with a note that fields it added are not judged.
    """
    version = doc.schema_version
    current = kind.schema_version
    major = current.split(".", 1)[0]
    wrong = version_problem(
        version,
        current=current,
        oldest_major=int(major),
        what=f"{kind.id} schema",
        newer=f"export the register as version {major}.x, or use a capcheck (or plugin) that has its schema",
    )
    if wrong is not None:
        return wrong
    assert version is not None
    if _minor(version) > _minor(current):
        doc.notes = (
            *doc.notes,
            f"follows version {version} of the {kind.id} schema; this capcheck has {current}: "
            "fields added since are read, and no rule judges them",
        )
    return None


def _minor(version: str) -> int:
    """The minor of a version (0 where it gives none); a patch adds no field."""
    parts = version.split(".")
    return int(parts[1]) if len(parts) > 1 else 0


#: Records validated per call when a file's schema errors are listed (see :func:`_errors_by_batch`).
_ERROR_BATCH = 256


def _errors_by_batch(validator: Any, records: Sequence[Any]) -> Iterator[tuple[Any, int]]:
    """Each schema error of ``records`` with the index its batch starts at. jsonschema-rs builds every error
    of a call, each with a copy of its record, before the first is read: over a whole file, 300,000 records
    missing four fields each took 2.8 GB for a 6 MB CSV. A batch at a time, memory stays that of one batch;
    every error is still counted (for "... and N more")."""
    for start in range(0, len(records), _ERROR_BATCH):
        for error in validator.iter_errors(records[start : start + _ERROR_BATCH]):
            yield error, start


#: An enumeration's choices named in full up to this many (a plugin's kind may have long ones).
_CHOICES_SHOWN = 12


def _schema_message(error: Any) -> str:
    """jsonschema-rs's message for a schema error, but an enumeration's choices in full (it names two and
    counts the rest, "or 2 other candidates", hiding the values a register has to use) and a blank value
    said to be blank (not that it "does not match \\S")."""
    import json

    import jsonschema_rs

    if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Enum):
        options = list(error.kind.options)
        shown = ", ".join(json.dumps(o, ensure_ascii=False) for o in options[:_CHOICES_SHOWN])
        more = f" and {len(options) - _CHOICES_SHOWN} more" if len(options) > _CHOICES_SHOWN else ""
        return f"{json.dumps(error.instance, ensure_ascii=False)} is not one of {shown}{more}"
    if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Format) and error.kind.format == "date":
        # UK registers write 14/03/2026: say the form wanted and what converts the register's own
        return (
            f"{json.dumps(error.instance, ensure_ascii=False)} is not a date (YYYY-MM-DD; a [[mapping]] converts"
            " other formats: capcheck inspect FILE)"
        )
    if isinstance(error.kind, jsonschema_rs.ValidationErrorKind.Pattern) and error.kind.pattern == r"\S":
        # the schemas' "not blank" (docs/evidence.md): say so rather than quote the regular expression
        return f"{json.dumps(error.instance, ensure_ascii=False)} is blank: give a value, or leave the field out"
    return str(error.message)


#: How many records repeating another file's ids are listed one by one before the rest are summed up.
MAX_LISTED_REPEATS = 5

#: White space that ``str.split`` splits ASCII text at, other than the space itself.
_ASCII_SPACES = ("\t", "\n", "\v", "\f", "\r", "\x1c", "\x1d", "\x1e", "\x1f")


def _may_be_one(ids: Iterable[str]) -> bool:
    """Whether two of ``ids`` (distinct strings) may be one id up to case and spacing (:func:`join_key`);
    False proves they are not, at C speed (about 5 ms of CPU per 100,000 ids loaded: one copy of their text),
    for the usual ids: ASCII without spacing to normalise, and no two letters' cases mixed across them
    (``AST-001``, ``ocds-b5fd17-1``)."""
    joined = "\x00".join(ids)
    if not joined.isascii() or any(c in joined for c in _ASCII_SPACES):
        return True
    if " " in joined and (
        "  " in joined or "\x00 " in joined or " \x00" in joined or joined[:1] == " " or joined[-1:] == " "
    ):
        return True
    # Each id is its own spacing's normal form; with no lower-case letter (or no upper-case one) in any,
    # two distinct ids fold to two distinct keys.
    return joined != joined.upper() and joined != joined.lower()


def _at_id(table: _KindTable, files: Sequence[_LoadedFile], position: int, message: str) -> list[Problem]:
    """``message`` as a problem at the id of the record at ``position`` of a kind's table (its file, line and
    pointer), after any problem its loader's ``locate`` raised placing it."""
    file_no, index = table.origin(position)
    doc = files[file_no].document
    found: list[Problem] = []
    try:
        line = doc.locate(index)
    except PluginError as exc:
        found.extend(exc.problems)
        line = None
    found.append(Problem(message, path=files[file_no].info.path, line=line, pointer=doc.pointer(index) + "/id"))
    return found


def _invisible_ids(kind: str, table: _KindTable, files: Sequence[_LoadedFile]) -> list[Problem]:
    """A problem for each record whose id shows nothing (:func:`~capcheck.core.lookalikes.drawn_as_nothing`: zero
    width spaces, Braille blanks, controls): the schemas' "not blank" (a character that is not white space) lets
    it through, yet no reader can tell it from an empty id, nor one such record from another. Printable ASCII ids
    (nearly all) are cleared by one C-speed test of them all; the first ``MAX_ERRORS_PER_FILE`` are listed."""
    ids = table.ids
    joined = "".join(ids)
    if joined.isascii() and joined.isprintable():  # each id holds a character that is not white space (schema)
        return []
    problems: list[Problem] = []
    blank = 0
    for record_id, position in ids.items():
        if is_plain_ascii(record_id) or not drawn_as_nothing(record_id):
            continue
        blank += 1
        if blank > MAX_ERRORS_PER_FILE:
            continue
        problems += _at_id(
            table,
            files,
            position,
            f"{kind} id {elide(ascii(record_id))} shows nothing (only characters drawn as nothing, such as zero "
            "width spaces or Braille blanks): give the record an id people can read",
        )
    if blank > MAX_ERRORS_PER_FILE:
        problems.append(
            Problem(f"... {blank} {kind} ids in all show nothing (the first {MAX_ERRORS_PER_FILE} are listed)")
        )
    return problems


def _same_ids(kind: str, table: _KindTable, files: Sequence[_LoadedFile]) -> list[Problem]:
    """A problem for each record whose id is another's but for case or spacing (``SVC-1``, ``svc-1``,
    ``SVC-1 ``): joins (:func:`join_key`) take them for one, so one of the two would be found where either
    is named, and a register's count would hold one item twice. Each is at the later record, naming the
    first spelling and where it is; the first ``MAX_ERRORS_PER_FILE`` are listed."""
    if not _may_be_one(table.ids) or len(set(map(join_key, table.ids))) == len(table.ids):
        return []
    first: dict[str, tuple[str, int]] = {}
    problems: list[Problem] = []
    same = 0
    for record_id, position in table.ids.items():
        earlier = first.setdefault(join_key(record_id), (record_id, position))
        if earlier[1] == position:
            continue
        same += 1
        if same > MAX_ERRORS_PER_FILE:
            continue
        prev_file, prev_index = table.origin(earlier[1])
        problems += _at_id(
            table,
            files,
            position,
            f"duplicate {kind} id {shorten(record_id)}: {shorten(earlier[0])} at "
            f"{files[prev_file].info.path} {files[prev_file].document.pointer(prev_index)} differs only in "
            "case or spacing, and ids are matched as text is across registers (case and spacing ignored): "
            "give the record one id",
        )
    if same > MAX_ERRORS_PER_FILE:
        problems.append(
            Problem(
                f"... {same} {kind} ids in all differ from another only in case or spacing (the first "
                f"{MAX_ERRORS_PER_FILE} are listed)"
            )
        )
    return problems


def _positions(ids: Iterable[str], positions: range) -> dict[str, int]:
    """Each id's position (a later use of an id keeps the later: the caller compares lengths).

    The dict starts with a key that is not a string, removed at once: CPython then keeps each key's hash in the
    table, where a dict of strings alone reads it from the key itself every time the table grows. Growing to a
    million ids read each id again (scattered in memory) at each doubling: 0.52-0.67 CPU s against 0.38-0.42
    (supplier-contracts, 1M records). The dict is the same otherwise (same keys, values and order), 8 bytes an id
    larger: the hash kept.
    """
    table: dict[Any, int] = {0: 0}
    table.update(zip(ids, positions, strict=True))
    del table[0]
    return table


def _index(table: _KindTable, doc: Document, file_no: int, files: Sequence[_LoadedFile]) -> list[Problem]:
    problems: list[Problem] = []
    start = len(table.records)
    table.segment_starts.append(start)
    table.segment_files.append(file_no)
    records = doc.records
    # The common case at C speed: ids unique in the file and new to the kind. Only when that fails is
    # the file walked record by record, to name each duplicate (the first use of an id keeps it).
    fresh = _positions(map(itemgetter("id"), records), range(start, start + len(records)))
    # (Views on both sides: isdisjoint then walks the smaller, not all of ``fresh``.)
    if len(fresh) == len(records) and (not table.ids or table.ids.keys().isdisjoint(fresh.keys())):
        if table.ids:
            table.ids.update(fresh)
        else:
            table.ids = fresh
        table.records.extend(records)
        return problems
    ids = table.ids
    repeated: dict[int, int] = {}  # earlier file -> how many of this file's ids it already used
    for index, record in enumerate(records):
        record_id = record["id"]
        if record_id in ids:
            prev_file, prev_index = table.origin(ids[record_id])
            repeated[prev_file] = repeated.get(prev_file, 0) + 1
            if repeated[prev_file] > MAX_LISTED_REPEATS and prev_file != file_no:
                continue  # counted in the summary below
            problems.append(
                Problem(
                    f"duplicate {doc.kind} id {shorten(record_id)}: already used at "
                    f"{files[prev_file].info.path} {files[prev_file].document.pointer(prev_index)}",
                    path=files[file_no].info.path,
                    line=doc.locate(index),
                    pointer=doc.pointer(index) + "/id",
                )
            )
            continue
        ids[record_id] = start + index
    for prev_file, count in repeated.items():
        if count > MAX_LISTED_REPEATS and prev_file != file_no:
            # Two exports or snapshots of one register (the DSPT status list of October and of November):
            # one summary, with what to do, instead of a duplicate for each of its rows.
            problems.append(
                Problem(
                    f"... {count} of the {len(records)} {doc.kind} records here have ids already used in "
                    f"{files[prev_file].info.path} (the first {MAX_LISTED_REPEATS} are listed above): if the two "
                    "files are exports or snapshots of the same register, give only one of them (the latest); "
                    "if they are different records, make their ids differ (a [[mapping]] id template, such as "
                    '"{org_code}-{edition}")',
                    path=files[file_no].info.path,
                )
            )
    table.records.extend(doc.records)
    return problems
