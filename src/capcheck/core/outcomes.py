"""Compact outcomes, kept from evaluation until output, and the lazy findings made from them.

The engine keeps, per rule, the :class:`~capcheck.core.models.Outcome` tuples its rule yielded (every
non-pass, and passes only with ``--include-passed``) in a :class:`RuleOutcomes` block, beside the
rule's constant fields (id, version, severity, area, title, remediation) held once. Waivers and the
baseline change a row's status in place (:mod:`capcheck.assessment.waivers`, :mod:`capcheck.assessment.baseline`); the
summary and the scorecard only count. Nothing per outcome is built until a reporter asks:
:class:`Findings` is the result's lazy, re-iterable, sorted sequence of
:class:`~capcheck.core.models.Finding` values, each made (evidence location, fingerprint) when it is
reached, and :meth:`Findings.json_forms` gives the JSON form of each without making a ``Finding``
at all, for the streaming JSON writer.

The one order of findings (areas in the review's order, then
:meth:`~capcheck.core.models.Finding.sort_key`: area, severity high first, rule, kind, record id, group,
status, message) is kept by sorting the blocks by their constant prefix (area, severity, rule)
and each block's rows by the rest: by record id alone when it decides (one kind, no groups, ids
distinct), else by the whole remainder.

A process of a split check that has made every requested reporter's text for a block sends the parent an
:class:`OutcomesElsewhere` instead (:mod:`capcheck.app.parallel`): the block's constant fields, how many rows it
has and their statuses in the findings' order, and that text; its rows stay where they were made. Anything
that reads its rows raises :class:`RowsElsewhere`, so a reader the parent did not foresee fails loudly.
"""

from __future__ import annotations

import hashlib
import os
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter, lt
from typing import TYPE_CHECKING, Any, BinaryIO, overload

from capcheck.core.models import EvidenceRef, Finding, Outcome, Severity, Status, fingerprint_bytes

if TYPE_CHECKING:  # annotations only: these modules import models, which must not import them back
    from capcheck.assessment.waivers import Waiver
    from capcheck.core.evidence import EvidenceSet

__all__ = [
    "Findings",
    "OutcomesElsewhere",
    "RowsElsewhere",
    "RuleOutcomes",
    "Span",
    "Spans",
    "fingerprint_prefix",
    "group_file",
    "in_order",
    "row_fingerprint",
    "row_fingerprints",
]

_PASS = Status.PASS
_SKIP = Status.SKIP
_KIND = itemgetter(1)
_RECORD_ID = itemgetter(2)
_GROUP = itemgetter(5)


class Span:
    """A reporter's bytes for one block, kept in a file rather than in memory: ``length`` bytes at ``offset`` of
    the file at ``path`` (a process of a split check wrote them there: :mod:`capcheck.app.parallel`). Pickled
    without the open file; :meth:`attach` gives it one, after which the path may be unlinked."""

    __slots__ = ("file", "length", "offset", "path")

    def __init__(self, path: str, offset: int, length: int) -> None:
        self.path, self.offset, self.length = path, offset, length
        self.file: BinaryIO | None = None

    def __getstate__(self) -> tuple[str, int, int]:
        return (self.path, self.offset, self.length)

    def __setstate__(self, state: tuple[str, int, int]) -> None:
        self.path, self.offset, self.length = state
        self.file = None

    def attach(self, file: BinaryIO) -> None:
        """Read from ``file`` (the file at :attr:`path`, opened)."""
        self.file = file

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        """The bytes, ``size`` at a time."""
        if self.file is None:
            raise RuntimeError(f"the segment in {self.path} was never opened")
        fd, at, end = self.file.fileno(), self.offset, self.offset + self.length
        while at < end:
            data = os.pread(fd, min(size, end - at), at)
            if not data:
                raise OSError(f"{self.path}: {end - at} bytes missing")
            at += len(data)
            yield data


class Spans(Span):
    """A reporter's bytes for one block written in several places, one after another: the blocks of one rule judged
    over ranges of a register in several processes, each :class:`Span` already opened (:meth:`Span.attach`)."""

    __slots__ = ("spans",)

    def __init__(self, spans: Sequence[Span]) -> None:
        super().__init__(spans[0].path if spans else "", 0, sum(span.length for span in spans))
        self.spans = list(spans)

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        for span in self.spans:
            yield from span.chunks(size)


@dataclass(eq=False)
class RuleOutcomes:
    """One rule's listed outcomes, compact: its constant fields once, then one ``Outcome`` per row.

    A row's status is the outcome's (``waived`` and ``baselined`` rows are outcomes re-made with
    that status); the waiver that accepted a row is in ``waivers``, by the row's position.
    """

    rule_id: str
    rule_version: str
    severity: Severity
    area: str
    title: str
    remediation: str
    #: The kind of an outcome that names none: the rule's first kind.
    default_kind: str
    rows: list[Outcome] = field(default_factory=list)
    #: Row position -> the waiver that accepted it (its row's status is ``waived``).
    waivers: dict[int, Waiver] = field(default_factory=dict)
    #: Whether ``rows`` is in the findings' order (statuses changed since make it False).
    ordered: bool = False
    #: A reporter's text for this block, made in the process that held its records (by reporter name; see
    #: ``Reporter.segment`` and :mod:`capcheck.app.parallel`). What the reporter would write for the block as it
    #: is once waivers and the baseline are applied; never read for a block changed otherwise.
    segments: dict[str, bytes | Span] = field(default_factory=dict)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with its rows as plain tuples (a process of a split check sends blocks to another): a named
        tuple pickles and unpickles about three times slower."""
        state = dict(self.__dict__)
        state["rows"] = [tuple(row) for row in self.rows]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        new = tuple.__new__
        state["rows"] = [new(Outcome, row) for row in state["rows"]]
        self.__dict__.update(state)

    @property
    def size(self) -> int:
        """How many rows the block lists (also of a block whose rows are elsewhere: :class:`OutcomesElsewhere`)."""
        return len(self.rows)

    def statuses(self) -> list[Status]:
        """Each row's status, in the rows' order (also of a block whose rows are elsewhere)."""
        return [o.status for o in self.rows]

    def skipped_whole(self) -> bool:
        """Whether the rule judged nothing: it lists rows, each a skip of no record and no group (also of a block whose
        rows are elsewhere; :func:`~capcheck.core.engine.judged_nothing`)."""
        rows = self.rows
        return bool(rows) and all(o.status is _SKIP and o.record_id is None and o.group is None for o in rows)

    def block_key(self) -> tuple[str, int, str]:
        """The part of :meth:`Finding.sort_key` every row of the block shares."""
        return (self.area, -self.severity.rank, self.rule_id)

    def kind_of(self, outcome: Outcome) -> str:
        """The kind a row's finding names."""
        return outcome.kind or self.default_kind

    def set_status(self, position: int, status: Status, waiver: Waiver | None = None) -> None:
        """Change one row's status (a failure waived or baselined); the summary is the caller's to recount."""
        row = self.rows[position]
        self.rows[position] = Outcome._make((status, *row[1:]))  # _replace runs Python code per field
        if waiver is not None:
            self.waivers[position] = waiver
        self.ordered = False

    def fingerprint(self, outcome: Outcome) -> str:
        """The row's stable identity (:func:`capcheck.core.models.fingerprint`)."""
        return row_fingerprint(fingerprint_prefix(self.rule_id, self.kind_of(outcome)), outcome)

    def fingerprints(self, rows: Sequence[Outcome]) -> list[str]:
        """:meth:`fingerprint` of each of ``rows`` (rows of this block), in one pass (:func:`row_fingerprints`)."""
        return row_fingerprints(self.rule_id, self.default_kind, rows)

    def sort(self) -> None:
        """Put the rows in the findings' order (stable: equal rows keep the order the rule gave)."""
        if self.ordered:
            return
        self.ordered = True
        rows = self.rows
        if len(rows) < 2:
            return
        default, title = self.default_kind, self.title
        ids = list(map(_RECORD_ID, rows))
        uniform = _uniform(rows, default)
        if uniform and _increasing(ids):
            return  # in order already (rules mostly yield in file order, and files are often in id order)
        decides = uniform and None not in ids and len(set(ids)) == len(ids)
        del ids

        def remainder(o: Outcome) -> tuple[str, str, str, str, str]:
            # A pass without a message says the rule's title, and sorts by what it says.
            return (o.kind or default, o.record_id or "", o.group or "", o.status._value_, o.message or _said(o, title))

        # The record id decides when kind and group are the same for every row and ids differ.
        key: Callable[[Outcome], Any] = _RECORD_ID if decides else remainder
        if not self.waivers:
            rows.sort(key=key)  # in place: no list of positions
            return
        order = sorted(range(len(rows)), key=lambda i: key(rows[i]))
        self.rows = [rows[i] for i in order]
        moved = self.waivers  # a waiver is kept by its row's position: it moves with the row
        self.waivers = {new: moved[old] for new, old in enumerate(order) if old in moved}


class RowsElsewhere(RuntimeError):
    """The rows of a block were read where they are not (:class:`OutcomesElsewhere`): a reader of the result that
    the process which kept them did not foresee (it decides before the check which readers there are)."""


#: The statuses a row of an :class:`OutcomesElsewhere` may have, by their code (one byte a row).
_CODES = tuple(Status)
_CODE = {status: code for code, status in enumerate(_CODES)}


class OutcomesElsewhere(RuleOutcomes):
    """A rule's block whose rows stayed in the process that judged them (a split check's child:
    :mod:`capcheck.app.parallel`), sent because every reporter the run writes has made its text for them there
    (:attr:`segments`) and nothing else in the run reads them: its constant fields, :attr:`size`, the rows'
    statuses in the findings' order (:meth:`statuses`, one byte a row) and, when its rows were in the findings'
    order as the rule gave them (:attr:`ordered`), its first and last row (:attr:`ends`), so that the ranges of a
    divided register can be joined. It is never settled (no waivers or baseline) nor sorted (its rows are in order).

    Reading :attr:`rows` (or anything made from them: a finding, a fingerprint) raises :class:`RowsElsewhere`.
    """

    def __init__(
        self,
        block: RuleOutcomes,
        statuses: Sequence[Status],
        ends: tuple[Outcome, Outcome] | None = None,
    ) -> None:
        """``block``'s constant fields and segments, and ``statuses``: its rows' in the findings' order.

        :param ends: its first and last row, given where ``block`` was in the findings' order as the rule gave it.
        """
        self.__dict__.update(
            rule_id=block.rule_id,
            rule_version=block.rule_version,
            severity=block.severity,
            area=block.area,
            title=block.title,
            remediation=block.remediation,
            default_kind=block.default_kind,
            waivers={},
            ordered=True,
            segments=block.segments,
        )
        #: Each row's status, one byte a row (its position in ``Status``), in the findings' order.
        self.codes = bytes(map(_CODE.__getitem__, statuses))
        #: The first and last row, where the rows were in the findings' order as the rule gave them; else None.
        self.ends = ends
        self.skipped = block.skipped_whole()

    @classmethod
    def joined(cls, blocks: Sequence[RuleOutcomes], segments: dict[str, bytes | Span]) -> OutcomesElsewhere:
        """One rule's blocks over consecutive ranges of its records (some here, some elsewhere, each in the findings'
        order and the ranges in it too: the caller checks), as one block whose rows are elsewhere, with ``segments``.
        """
        joined = cls(blocks[0], ())
        joined.codes = b"".join(
            b.codes if isinstance(b, OutcomesElsewhere) else cls(b, b.statuses()).codes for b in blocks
        )
        joined.segments = segments
        joined.skipped = all(b.skipped_whole() for b in blocks)
        return joined

    @property
    def rows(self) -> list[Outcome]:
        raise RowsElsewhere(
            f"the rows of {self.rule_id} stayed in the process that judged them (only its reporters' text was sent)"
        )

    @rows.setter
    def rows(self, rows: list[Outcome]) -> None:
        raise RowsElsewhere(f"the rows of {self.rule_id} stayed in the process that judged them: none can be set")

    @property
    def size(self) -> int:
        return len(self.codes)

    def statuses(self) -> list[Status]:
        codes = _CODES
        return [codes[c] for c in self.codes]

    def skipped_whole(self) -> bool:
        return self.skipped

    def sort(self) -> None:
        """Nothing to do: its statuses came in the findings' order."""

    def set_status(self, position: int, status: Status, waiver: Waiver | None = None) -> None:
        raise RowsElsewhere(f"the rows of {self.rule_id} stayed in the process that judged them: none can be settled")

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return f"<OutcomesElsewhere {self.rule_id}: {self.size} rows>"


def in_order(rows: Sequence[Outcome], default_kind: str, ids: list[str | None]) -> bool:
    """Whether a block's ``rows`` (their record ids ``ids``) are in the findings' order as they are: one kind,
    no groups, ids strictly increasing. The engine asks as it keeps a rule's rows (ids increasing are distinct:
    one outcome per record) and marks such a block :attr:`RuleOutcomes.ordered`, so its sort asks no more."""
    return _uniform(rows, default_kind) and _increasing(ids)


def _uniform(rows: Sequence[Outcome], default_kind: str) -> bool:
    """Whether every row is of one kind (an outcome naming none is of ``default_kind``) and none is a group's."""
    return len({k or default_kind for k in set(map(_KIND, rows))}) == 1 and not any(map(_GROUP, rows))


def _increasing(ids: list[str | None]) -> bool:
    """Whether the record ids are strictly increasing (so distinct, none missing), compared at C speed."""
    try:
        return all(map(lt, ids, islice(ids, 1, None)))  # type: ignore[arg-type]  # a None raises: not increasing
    except TypeError:
        return False


def group_file(evidence: EvidenceSet, kind: str, related: Sequence[EvidenceRef]) -> str | None:
    """The file a group's (or a whole kind's) finding names: where its related records of the kind are
    (the first of them when they span several files; each related record names its own), else the
    kind's file when it came from one file; None when it came from several and no record says which."""
    for ref in related:
        if ref.kind == kind and ref.file is not None:
            return ref.file
    return evidence.sole_file(kind)


def _locator(evidence: EvidenceSet, kind: str) -> Callable[[str | None], EvidenceRef]:
    """For one kind, record id -> its ``EvidenceRef`` (``EvidenceSet.ref``; no record id: the kind's
    first file), the kind's file and document looked up once."""
    one = evidence.places(kind)
    if one is None:
        first = evidence.sole_file(kind)
        return lambda record_id: (
            evidence.ref(kind, record_id) if record_id is not None else EvidenceRef(kind=kind, file=first)
        )
    first, ids, locate, pointer, rows = evidence.sole_file(kind), one.ids, one.locate, one.pointer, one.rows

    def ref(record_id: str | None) -> EvidenceRef:
        if record_id is None:
            return EvidenceRef(kind, None, first)
        index = ids.get(record_id)
        if index is None:
            return EvidenceRef(kind, record_id)
        row = one.first + index + 1 if rows else None  # (first: a range of the file's records loaded alone)
        return EvidenceRef(kind, record_id, one.file, locate(index), row, pointer(index))

    return ref


def _said(outcome: Outcome, title: str) -> str:
    """What a row without a message says: the rule's title for a pass, else nothing."""
    return title if outcome.status is _PASS else ""


def fingerprint_prefix(rule_id: str, kind: str) -> str:
    """What :func:`row_fingerprint` hashes first: the rule and the kind, joined once per rule and kind."""
    return f"{rule_id}\x1f{kind}\x1f"


def row_fingerprint(prefix: str, outcome: Outcome) -> str:
    """:func:`capcheck.core.models.fingerprint` of a row, its rule and kind given as :func:`fingerprint_prefix`."""
    key = f"{prefix}{outcome.record_id or ''}\x1f{outcome.group or ''}"
    return hashlib.sha256(fingerprint_bytes(key)).hexdigest()[:32]


def row_fingerprints(rule_id: str, default_kind: str, rows: Sequence[Outcome]) -> list[str]:
    """:func:`row_fingerprint` of each of a rule's rows (``default_kind`` for a row naming none), in one pass.

    When the rows share a kind and name no group (what most rules yield), each key is built as bytes, the
    prefix encoded once: hashing costs the hash alone, no Python call per row. A plain ``encode()`` is
    :func:`~capcheck.core.models.fingerprint_bytes` for any id it can encode; an id it cannot (a lone
    surrogate, from a plugin) sends the rule's rows row by row, through ``fingerprint_bytes``.
    """
    kinds = set(map(_KIND, rows))
    kind = default_kind if kinds <= {None, default_kind} else next(iter(kinds)) if len(kinds) == 1 else None
    if kind is not None and not any(map(_GROUP, rows)):
        prefix = fingerprint_bytes(fingerprint_prefix(rule_id, kind))
        sha256 = hashlib.sha256
        try:
            return [sha256(prefix + (r or "").encode() + b"\x1f").hexdigest()[:32] for r in map(_RECORD_ID, rows)]
        except UnicodeEncodeError:
            pass  # a lone surrogate: rare, and never from evidence
    return [row_fingerprint(fingerprint_prefix(rule_id, o.kind or default_kind), o) for o in rows]


class Findings(Sequence[Finding]):
    """The findings of a run, in the one deterministic order, made when they are read.

    A sequence (``len``, iteration, indexing, slicing) of :class:`~capcheck.core.models.Finding`: it is
    re-iterable, and each pass makes the findings again, so reading a million of them holds one at
    a time. Equal to any sequence of the same findings in the same order.
    """

    __slots__ = ("_blocks", "_evidence", "_starts")

    def __init__(self, blocks: Sequence[RuleOutcomes], evidence: EvidenceSet, area_order: Sequence[str] = ()) -> None:
        """``area_order``: the areas in the review's order (``Area.order``); others follow, by id."""
        for block in blocks:
            block.sort()
        rank = {area: i for i, area in enumerate(area_order)}
        last = len(rank)
        self._blocks = sorted((b for b in blocks if b.size), key=lambda b: (rank.get(b.area, last), *b.block_key()))
        self._evidence = evidence
        starts, total = [], 0
        for block in self._blocks:
            starts.append(total)
            total += block.size
        starts.append(total)
        self._starts = starts

    @property
    def blocks(self) -> tuple[RuleOutcomes, ...]:
        """The rules' blocks, in order, each's rows in order: for writers that encode rows themselves."""
        return tuple(self._blocks)

    @property
    def evidence(self) -> EvidenceSet:
        """The evidence the rows name (for their locations)."""
        return self._evidence

    def __len__(self) -> int:
        return self._starts[-1]

    def __iter__(self) -> Iterator[Finding]:
        for block in self._blocks:
            yield from self._block_findings(block, range(len(block.rows)))

    @overload
    def __getitem__(self, index: int) -> Finding: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Finding, ...]: ...

    def __getitem__(self, index: int | slice) -> Finding | tuple[Finding, ...]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return tuple(self.between(start, stop))
            return tuple(self[i] for i in range(start, stop, step))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("findings index out of range")
        b = bisect_right(self._starts, index) - 1
        block = self._blocks[b]
        position = index - self._starts[b]
        return next(self._block_findings(block, (position,)))

    def between(self, start: int, stop: int) -> Iterator[Finding]:
        """The findings ``start`` to ``stop`` (``self[start:stop]``), made as they are read: a streaming
        reporter's one pass over a rule's findings, without a tuple of them or a look-up per finding."""
        start, stop = max(start, 0), min(stop, len(self))
        if start >= stop:
            return
        starts = self._starts
        b = bisect_right(starts, start) - 1
        while start < stop:
            block, first = self._blocks[b], starts[b]
            end = min(stop, starts[b + 1])
            yield from self._block_findings(block, range(start - first, end - first))
            start = end
            b += 1

    def picked(self, indices: Iterable[int]) -> Iterator[Finding]:
        """The findings at ``indices``, in that order, made as they are read and none between them (what
        ``findings[i] for i in indices`` gives, the set-up done once per run of indices in one rule's block):
        a reporter listing some of the findings in another order than theirs."""
        starts, n = self._starts, len(self)
        block, first, end = -1, 0, 0
        positions: list[int] = []
        for index in indices:
            if not 0 <= index < n:
                raise IndexError("findings index out of range")
            if not first <= index < end:
                if positions:
                    yield from self._block_findings(self._blocks[block], positions)
                    positions = []
                block = bisect_right(starts, index) - 1
                first, end = starts[block], starts[block + 1]
            positions.append(index - first)
        if positions:
            yield from self._block_findings(self._blocks[block], positions)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Findings | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a sequence compared by value is not hashable

    def __repr__(self) -> str:
        return f"<Findings: {len(self)}>"

    def _block_findings(self, block: RuleOutcomes, positions: Iterable[int]) -> Iterator[Finding]:
        evidence = self._evidence

        def group(kind: str, related: tuple[EvidenceRef, ...]) -> EvidenceRef:
            return EvidenceRef(kind=kind, file=group_file(evidence, kind, related))

        refs: dict[str, Callable[[str | None], EvidenceRef]] = {}
        prefixes: dict[str, str] = {}
        rule_id, version, severity, area, title = (
            block.rule_id,
            block.rule_version,
            block.severity,
            block.area,
            block.title,
        )
        remediation = block.remediation
        rows, waivers = block.rows, block.waivers
        for position in positions:
            o = rows[position]
            kind = o.kind or block.default_kind
            prefix = prefixes.get(kind)
            if prefix is None:
                prefix = prefixes[kind] = fingerprint_prefix(rule_id, kind)
            locate = refs.get(kind)
            if locate is None:
                locate = refs[kind] = _locator(evidence, kind)
            status = o.status
            related = tuple(evidence.ref(k, i) for k, i in o.related) if o.related else ()
            # Positional, in the field order: a frozen dataclass's keyword __init__ costs more per finding.
            yield Finding(
                rule_id,
                version,
                status,
                severity,
                area,
                title,
                o.message or (title if status is _PASS else ""),
                remediation,
                locate(o.record_id) if o.record_id is not None or not related else group(kind, related),
                related,
                o.group,
                row_fingerprint(prefix, o),
                waivers.get(position) if waivers else None,
            )

    def json_forms(self) -> Iterator[dict[str, Any]]:
        """Each finding's JSON form (:meth:`Finding.as_dict`), in order, made straight from the rows:
        the same dictionaries as ``[f.as_dict() for f in self]`` (a test holds them equal), without a
        ``Finding`` or ``EvidenceRef`` per row."""
        places: dict[str, Callable[[str | None], dict[str, Any]]] = {}
        for block in self._blocks:
            for position in range(len(block.rows)):
                yield self.json_form(block, position, places)

    def json_form(
        self, block: RuleOutcomes, position: int, places: dict[str, Callable[[str | None], dict[str, Any]]]
    ) -> dict[str, Any]:
        """The JSON form of one row of ``block`` (``places``: a cache of :meth:`EvidenceSet.place` by kind)."""

        def place(kind: str) -> Callable[[str | None], dict[str, Any]]:
            found = places.get(kind)
            if found is None:
                found = places[kind] = self._evidence.place(kind)
            return found

        o = block.rows[position]
        kind = o.kind or block.default_kind
        status = o.status._value_
        out: dict[str, Any] = {
            "rule_id": block.rule_id,
            "rule_version": block.rule_version,
            "status": status,
            "severity": block.severity._value_,
            "area": block.area,
            "title": block.title,
            "message": o.message or (block.title if status == "pass" else ""),
            "evidence": place(kind)(o.record_id),
        }
        if o.related:
            out["related"] = [place(k)(i) for k, i in o.related]
            if o.record_id is None:  # a group's finding names the file of its related records of the kind
                refs = [self._evidence.ref(k, i) for k, i in o.related]
                out["evidence"] = EvidenceRef(kind=kind, file=group_file(self._evidence, kind, refs)).as_dict()
        if o.group is not None:
            out["group"] = o.group
        out["remediation"] = block.remediation
        out["fingerprint"] = row_fingerprint(fingerprint_prefix(block.rule_id, kind), o)
        waiver = block.waivers.get(position) if block.waivers else None
        if waiver is not None:
            out["waiver"] = waiver.echo()
        return out
