"""A check split over processes: each loads some registers and judges the rules that read them.

A check's work is loading (parsing, validating and indexing each evidence file) and judging (running
each rule over the records of the kinds it declares). Neither releases Python's global lock, so one
process uses one core, however many the machine has (docs/performance.md, "Where it stands").

Here the work is divided by *kinds*: a rule sees only the kinds it declares (``kinds``, ``any_of``,
``reads``, and ``columns`` it reads whole: :meth:`~capcheck.core.evidence.EvidenceSet.only`), so kinds
whose records no rule reads together can be loaded and judged in different processes with the same
outcomes as in one. The kinds are grouped (kinds whose records one rule reads, or one file holds, are in one
group; a column read joins no groups, it is sent), the groups are given to ``jobs`` parts by cost (their bytes
weighed by the rules reading them: :data:`RULE_COST`; the costliest first, each to the part with least to do),
and each part but the first runs in a child forked after start-up: it loads its files, sends the columns other
parts' rules read, judges its rules, writes the reporters' bytes for them to a temporary file, and sends back
what the parent needs (below): the rules' compact outcomes and counts (without their rows when the parent
reads none), where each record is
(:meth:`~capcheck.core.evidence.EvidenceSet.without_records`) and the scorecard's facts about each kind —
never the records themselves. The parent judges the first part itself, merges the parts in the order one
process would have made them (files in walk order, rules in selection order, problems by file), and goes
on as a check in one process does: waivers, baseline, scorecard, reports. The children stay until the
scorecard is made, to count copies in their registers if it asks (:class:`Parts`).

What the parent reads of a part after the merge, and so what a part must send for it:

- the summary, ``--fail-on`` and the exit code, the console's summary line, the scorecard and its gate: each
  rule's counts by status (and the rule's severity and area, its block's constant fields), whether it judged
  nothing (every row a skip of no record: ``RuleOutcomes.skipped_whole``), and the facts of each kind
  (:class:`~capcheck.assessment.facts.KindFacts`; copies are asked of the part holding the records);
- the evidence list of every report, the scorecard's age cap, the progress line: the files (path, kind, format,
  records, hash, collected on, notes);
- a divided register's merge (repeated ids, the ranges joined): its ids, each range's;
- the order of the findings (``Findings``: blocks by area, severity and rule) and the reports' counts and ranks
  before their first byte (:func:`~capcheck.core.reporting.finding_runs`: JUnit's suites, SARIF's rules, errors
  and cap): each block's rows' statuses, in the findings' order;
- a reporter that made a block's text in the part (``Reporter.segment``: JSON, SARIF uncapped, JUnit, CSV): that
  text, in the part's segment file (:class:`SegmentFile`); a range of a divided register, joined with the others'
  only when their rows come in the ranges' order: the range's first and last row;
- everything else reads the rows themselves and the places of the records they name (ids, lines, pointers): a
  reporter that makes no text in the parts (text, Markdown, HTML, the CI formats, OSCAL), a capped SARIF log
  (it ranks every rule's rows), the error notifications of a SARIF log (an error row's message), waivers and a
  baseline (applied to the rows here, then reported), and a caller reading the findings (``run_check``'s result).

So a child sends its blocks' rows only when the parent reads them: :attr:`Segments.send_rows` (decided before the
parts are forked: ``CheckRequest.reports_only`` and every output's reporter making text in the parts, no waivers
and no baseline) is false, a block every reporter made text for and holding no error row is sent as an
:class:`~capcheck.core.outcomes.OutcomesElsewhere`: its statuses (one byte a row) and its text, which is all the
list above asks; reading its rows raises. Should a divided register's ranges, some sent so, not come in order
after all, the parent asks each child for its range's rows (the children answer questions until the scorecard
is made) and merges them as it does any others'. The places of the records are sent in every case (a row the
parent writes may name a record of another part's kind: a skip, a related record).

A check is split only where that is safe and worth it: on a platform with ``fork`` (Linux), with more
than one usable core (a container's CPU quota counted), evidence of at least :data:`MIN_SPLIT_BYTES` in
files of :data:`MIN_SPLIT_FILE_BYTES` on average (unless ``--jobs`` asks), every file's kinds known before it
is read (:func:`~capcheck.core.loading.peek_kinds`), at least two groups, and children that can be started.
Otherwise it runs in one process, as before. docs/performance.md ("Split over processes") has the design and
its measurements.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import pickle
import select
import signal
import struct
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

try:
    import fcntl
except ImportError:  # not on Windows, where nothing is split anyway
    fcntl = None  # type: ignore[assignment]

from capcheck.assessment.facts import Copies, Fields, KindFacts
from capcheck.core.engine import JUDGED, Evaluation, Judged, StatusCounts, add_rule, merge_blocks
from capcheck.core.errors import CapcheckError, EvidenceError, Problem
from capcheck.core.evidence import CannotJoin, EvidenceSet
from capcheck.core.loading import RangeError
from capcheck.core.models import Outcome, Status, Summary, display_path
from capcheck.core.outcomes import Findings, OutcomesElsewhere, RowsElsewhere, RuleOutcomes, Span, Spans
from capcheck.core.process import let_go_of_std_streams
from capcheck.core.reporting import made_chunks
from capcheck.core.rules import Rule

if TYPE_CHECKING:
    from capcheck.app.progress import Progress

__all__ = [
    "MAX_PARTS",
    "MIN_SPLIT_BYTES",
    "CannotSplit",
    "Part",
    "PartResult",
    "Parts",
    "Piece",
    "SegmentFile",
    "Segments",
    "Split",
    "Work",
    "WorkerFailed",
    "auto_jobs",
    "can_fork",
    "plan",
    "run_parts",
    "split_check",
    "usable_cores",
    "worth_splitting",
]

#: The most processes a check is split into, whatever ``--jobs`` asks (each holds its registers' records).
MAX_PARTS = 64
#: Evidence smaller than this is checked in one process: forking and merging would cost more than they save.
MIN_SPLIT_BYTES = 8 << 20
#: Evidence in files this small on average is checked in one process: each file's first bytes are read before
#: the split (about 0.3 ms a file), which many small files would not repay.
MIN_SPLIT_FILE_BYTES = 256 << 10


def worth_splitting(sizes: Sequence[int]) -> bool:
    """Whether evidence of files of these sizes is worth splitting (with ``--jobs auto``): at least
    :data:`MIN_SPLIT_BYTES` in all, in files of :data:`MIN_SPLIT_FILE_BYTES` or more on average."""
    total = sum(sizes)
    return total >= MIN_SPLIT_BYTES and total >= MIN_SPLIT_FILE_BYTES * len(sizes)


def usable_cores() -> int:
    """The cores this process may use: its CPU affinity where the platform says (else the machine's), less where a
    container's CPU quota allows fewer (cgroup v2 ``cpu.max``, v1 ``cpu.cfs_quota_us``: ``docker --cpus 1``)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    quota = cpu_quota()
    return max(1, min(cores, int(quota))) if quota is not None else cores


#: How much of a core the other processes must leave free (the 1-minute load average below the usable cores by at
#: least this much) for ``--jobs auto`` to split a check: on a machine already busy, a second process only waits
#: for a core, and the split's extra work makes the check slower (measured: 4.0-4.3 s against 3.5-3.7 s in one
#: process at a load of 2.4 on two cores, high failure 3x100k).
IDLE_CORE = 0.5


def auto_jobs() -> int:
    """How many processes ``--jobs auto`` uses: the usable cores (:func:`usable_cores`), or 1 when the machine is
    busy (its load average leaves less than :data:`IDLE_CORE` of a core free), as ``make --load-average`` does."""
    cores = usable_cores()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average here: the cores alone
        return cores
    return cores if cores - load >= IDLE_CORE else 1


#: Where a container's CPU quota is read (the cgroup file system as a container sees its own).
CGROUP = Path("/sys/fs/cgroup")


def cpu_quota(root: Path | None = None) -> float | None:
    """The CPUs a cgroup quota allows this process (``1.5`` for ``docker --cpus 1.5``), or None when unlimited or
    unknown."""
    root = CGROUP if root is None else root
    try:
        text = (root / "cpu.max").read_text().split()  # cgroup v2: "<quota> <period>" or "max <period>"
        quota, period = text[0], text[1]
    except (OSError, IndexError):
        try:  # cgroup v1
            quota = (root / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (root / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    try:
        q, p = int(quota), int(period)
    except ValueError:  # "max": no quota
        return None
    return q / p if q > 0 and p > 0 else None


def can_fork() -> bool:
    """Whether checks may be split over forked processes here: Linux only (macOS's frameworks are not
    safe to use after ``fork``; Windows has none), and only from a process running one thread (a lock
    another thread holds at the fork stays held in the child: a program that runs checks from threads runs
    each in its own one process)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


@dataclass(frozen=True)
class Piece:
    """A range of one register file's records that a part loads alone (``Loader.load_range``): the file's position
    among the walked files, and the bytes ``start`` to ``end`` (whole records, cut by ``Loader.divide``)."""

    file: int
    start: int
    end: int


@dataclass(frozen=True)
class Part:
    """One process's share of a check: the files it loads and the rules it judges (positions in the
    walked files and in the selected rules), and the bytes it reads."""

    files: tuple[int, ...]
    rules: tuple[int, ...]
    size: int
    #: The columns it sends, once its files are loaded: (to which part, ((kind, field), ...)).
    sends: tuple[tuple[int, tuple[tuple[str, str], ...]], ...] = ()
    #: The parts it receives columns from.
    receives: tuple[int, ...] = ()
    #: The files of :attr:`files` it loads a range of, not whole (at most one range of each).
    pieces: tuple[Piece, ...] = ()
    #: The rules of :attr:`rules` it judges over a range of records only (those of a piece's file): (rule, file).
    ranged: tuple[tuple[int, int], ...] = ()
    #: What it is placed by: its bytes weighed by the rules reading them (:data:`RULE_COST`).
    cost: float = field(default=0.0, compare=False)


#: Into how many ranges a register that may be divided is first cut (``Loader.divide``); each part then loads a run
#: of them. Finer cuts balance the parts better and cost a small read around each cut.
FINE_RANGES = 32
#: What judging a register's records with one rule costs, as a share of loading them: the parts are placed by their
#: bytes weighed by the rules reading them (a register four rules read weighs 1.4 times its bytes). A rule's cost
#: depends on how many findings it makes, which no one knows before judging: on the benchmark's high-failure
#: registers (3x1M, ten rules) placed by bytes alone the part holding the asset register (four rules) ended 2.3 s
#: after the other, weighed by 0.1 within 0.01 s, by 0.2 1.2 s the other way; on its typical registers (fewer
#: findings) 0.2 made the governance part the slower by 0.1-0.15 s CPU at 3x100k, 0.1 by about 0.1 s.
RULE_COST = 0.1
#: A range smaller than this is not given to a part of its own: loading and merging it would cost more than it saves.
MIN_PIECE_BYTES = 1 << 20


def plan(
    rules: Sequence[Rule],
    kinds_of: Sequence[frozenset[str]],
    sizes: Sequence[int],
    jobs: int,
    together: Iterable[Iterable[int]] = (),
    divide: Callable[[int], Sequence[tuple[int, int]] | None] | None = None,
) -> list[Part] | None:
    """Divide a check into at most ``jobs`` parts, or None when it cannot be divided (one group, or one job).

    :param kinds_of: the kinds each evidence file holds (:func:`~capcheck.core.loading.peek_kinds`), by position.
    :param sizes: each file's size in bytes.
    :param together: files that must be read in one process whatever their kinds (a combining loader's: OCDS).
    :param divide: the ranges of whole records a file may be loaded as (``Loader.divide``), or None where it may
        not; asked only of a file that is a group of its own, of one kind, read only by rules that judge each
        record alone (``per_record``).

    A rule that cannot run for want of evidence (a required kind absent, or every kind of its ``any_of``) is in
    no part: the parent gives its ``skip`` after the merge, as the engine does, without records.
    """
    group_of: dict[str, str] = {}  # union-find over kinds: kind -> a kind standing for its group

    def find(kind: str) -> str:
        root = kind
        while group_of.setdefault(root, root) != root:
            root = group_of[root]
        while group_of[kind] != root:  # path compression
            group_of[kind], kind = root, group_of[kind]
        return root

    def union(kinds: Iterable[str]) -> None:
        roots = sorted({find(k) for k in kinds})
        for other in roots[1:]:
            group_of[other] = roots[0]

    present = set().union(*kinds_of) if kinds_of else set()
    for i, kinds in enumerate(kinds_of):
        union([_file_key(i), *kinds])  # a workbook's sheets, or a file whose documents are of several kinds
    bound: set[int] = set()
    for files in together:
        files = list(files)
        bound.update(files)
        union([_file_key(i) for i in files])
    runnable: list[tuple[int, list[str], list[tuple[str, str]]]] = []
    for j, r in enumerate(rules):
        meta = r.meta
        if any(k not in present for k in meta.required_kinds):
            continue
        if meta.any_of and not any(k in present for k in meta.any_of):
            continue
        seen = [k for k in meta.record_kinds if k in present]
        columns = [(k, f) for k, f in meta.column_pairs if k in present]
        if not seen:  # it reads no records of a kind given: it is judged where its columns are
            seen, columns = sorted({k for k, _ in columns}), []
        union(seen)
        runnable.append((j, seen, columns))
    # Registers that may be loaded and judged as ranges of records: a file that is a group of its own, of one kind,
    # whose rules all judge each record alone and read no other kind's records (their columns are sent).
    ranges: dict[str, tuple[int, Sequence[tuple[int, int]]]] = {}
    if divide is not None:
        members: dict[str, list[int]] = {}
        for i in range(len(kinds_of)):
            members.setdefault(find(_file_key(i)), []).append(i)
        alone = {g: files[0] for g, files in members.items() if len(files) == 1 and len(kinds_of[files[0]]) == 1}
        per_record: dict[str, bool] = {}
        for j, seen, _ in runnable:
            group = find(seen[0])
            per_record[group] = per_record.get(group, True) and bool(
                getattr(rules[j].meta, "per_record", False) and len(seen) == 1
            )
        for group, i in alone.items():
            if i in bound or not per_record.get(group, True) or sizes[i] < 2 * MIN_PIECE_BYTES:
                continue
            cuts = divide(i)
            if cuts is not None and len(cuts) > 1:
                ranges[group] = (i, cuts)
    while True:
        parts = _assign(kinds_of, sizes, runnable, find, min(jobs, MAX_PARTS), ranges)
        if parts is None:
            return None
        holders = _holders(parts, find)
        exchanges = _exchanges(runnable, holders, find)
        # Columns go between the parent (the first part) and a child: the part every exchange involves, if one does,
        # is made the parent (a divided register's ranges in every part, reading a column one part holds).
        if exchanges:
            common = set.intersection(*({to, source} for _, _, to, source in exchanges))
            if common and 0 not in common:
                hub = min(common)
                parts = [parts[hub], *parts[:hub], *parts[hub + 1 :]]
                holders = _holders(parts, find)
                exchanges = _exchanges(runnable, holders, find)
        # Two children that would still need to exchange columns are joined instead (a column is relayed by no one),
        # and a register divided among children whose column another child reads is kept whole.
        apart = [(kind, other) for kind, other, to, source in exchanges if 0 not in (to, source)]
        if not apart:
            break
        for pair in apart:
            divided = [find(k) for k in pair if find(k) in ranges]
            if divided:
                for group in divided:
                    del ranges[group]
            else:
                union(pair)
    sends: dict[int, dict[int, set[tuple[str, str]]]] = {}
    for _, seen, columns in runnable:
        for kind, name in columns:
            for to in holders[find(seen[0])]:
                for source in holders[find(kind)]:
                    if to != source:
                        sends.setdefault(source, {}).setdefault(to, set()).add((kind, name))
    return [
        dataclasses.replace(
            part,
            sends=tuple((to, tuple(sorted(cols))) for to, cols in sorted(sends.get(p, {}).items())),
            receives=tuple(sorted(source for source, out in sends.items() if p in out)),
        )
        for p, part in enumerate(parts)
    ]


def _holders(parts: Sequence[Part], find: Callable[[str], str]) -> dict[str, list[int]]:
    """Each group's parts (several: a divided register's), by the group's standing kind."""
    holders: dict[str, list[int]] = {}
    for p, part in enumerate(parts):
        for i in part.files:
            holders.setdefault(find(_file_key(i)), []).append(p)
    return holders


def _exchanges(
    runnable: Sequence[tuple[int, list[str], list[tuple[str, str]]]],
    holders: Mapping[str, list[int]],
    find: Callable[[str], str],
) -> list[tuple[str, str, int, int]]:
    """The columns that pass between parts: (the reading rule's kind, the column's kind, to which part, from which)."""
    return [
        (seen[0], kind, to, source)
        for _, seen, columns in runnable
        for kind, _ in columns
        for to in holders[find(seen[0])]
        for source in holders[find(kind)]
        if to != source
    ]


def _assign(
    kinds_of: Sequence[frozenset[str]],
    sizes: Sequence[int],
    runnable: Sequence[tuple[int, list[str], list[tuple[str, str]]]],
    find: Callable[[str], str],
    jobs: int,
    ranges: Mapping[str, tuple[int, Sequence[tuple[int, int]]]] = {},
) -> list[Part] | None:
    """The groups (of files, and the rules reading them) given to at most ``jobs`` parts by cost, the costliest part
    first; None for fewer than two parts.

    A group's cost is its bytes weighed by the rules that read them (:data:`RULE_COST`). Whole groups go first, the
    costliest first, each to the part with the least cost so far. The registers that may be divided (``ranges``: a
    group's one file and its fine ranges) then fill the parts up to one level, as water would: each part below it
    takes a run of ranges (whole ones: at most one range's cost off), the least filled first.
    """
    groups: dict[str, tuple[list[int], list[int], list[int]]] = {}  # group -> (files, rules, [bytes])
    for i in range(len(kinds_of)):
        files, _, size = groups.setdefault(find(_file_key(i)), ([], [], [0]))
        files.append(i)
        size[0] += sizes[i]
    for j, seen, _ in runnable:  # its kinds are present, so in a group with files
        groups[find(seen[0])][1].append(j)
    weight = {g: 1 + RULE_COST * len(rules) for g, (_, rules, _) in groups.items()}
    whole = {g: v for g, v in groups.items() if g not in ranges}
    fine = sum(len(cuts) for _, cuts in ranges.values())
    n = min(jobs, len(whole) + fine)
    if n < 2:
        return None
    # The costliest group first, each to the part with the least cost so far (ties: the earlier part).
    order = sorted(whole, key=lambda g: (-whole[g][2][0] * weight[g], whole[g][0][:1]))
    parts: list[tuple[list[int], list[int], int, float]] = [([], [], 0, 0.0) for _ in range(n)]  # + bytes, cost
    for group in order:
        files, judged, size = whole[group]
        at = min(range(n), key=lambda p: (parts[p][3], p))
        held, rules, load, cost = parts[at]
        parts[at] = (held + files, rules + judged, load + size[0], cost + size[0] * weight[group])
    pieces: list[list[Piece]] = [[] for _ in range(n)]
    ranged: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    if ranges:
        runs = [(g, i, start, end) for g, (i, cuts) in sorted(ranges.items()) for start, end in cuts]
        poured = sum((end - start) * weight[g] for g, _, start, end in runs)
        level = _level(sorted(parts[p][3] for p in range(n)), poured)
        at = 0
        for k, p in enumerate(sorted(range(n), key=lambda p: (parts[p][3], p))):
            room = level - parts[p][3]
            taken: list[tuple[str, int, int, int]] = []
            last = k == n - 1  # the fullest part takes what is left
            while at < len(runs) and (last or room > (runs[at][3] - runs[at][2]) * weight[runs[at][0]] / 2):
                taken.append(runs[at])
                room -= (runs[at][3] - runs[at][2]) * weight[runs[at][0]]
                at += 1
            for group, i in dict.fromkeys((g, i) for g, i, _, _ in taken):
                mine = [(start, end) for g, _, start, end in taken if g == group]
                pieces[p].append(Piece(i, mine[0][0], mine[-1][1]))
                held, judged, load, cost = parts[p]
                rules = groups[group][1]
                taken_bytes = sum(e - s for s, e in mine)
                parts[p] = ([*held, i], judged + rules, load + taken_bytes, cost + taken_bytes * weight[group])
                ranged[p].extend((j, i) for j in rules)
    made = [
        Part(tuple(sorted(f)), tuple(sorted(r)), s, pieces=tuple(pieces[p]), ranged=tuple(sorted(ranged[p])), cost=c)
        for p, (f, r, s, c) in enumerate(parts)
        if f or r
    ]
    return sorted(made, key=lambda p: -p.cost) if len(made) > 1 else None


def _level(loads: Sequence[float], poured: float) -> float:
    """The level ``poured`` (cost) fills parts already holding ``loads`` (sorted) up to, as water would."""
    total = poured
    for k, load in enumerate(loads):
        above = loads[k + 1] if k + 1 < len(loads) else None
        total += load
        level = total / (k + 1)
        if above is None or level <= above:
            return level
    return total / len(loads)  # pragma: no cover - the loop returns at its last step


def _file_key(i: int) -> str:
    """A file's own member of the union of kinds (no kind id starts with a NUL), so that a file of no kind, or
    files bound by their loader, are grouped like kinds."""
    return f"\0{i}"


@dataclass
class PartResult:
    """What one part sends back: the places of its evidence (no records), each judged rule's compact outcomes
    and counts (by the rule's position), the scorecard's reading of its kinds, or its load problems."""

    evidence: EvidenceSet | None = None
    judged: list[tuple[int, RuleOutcomes, StatusCounts]] = field(default_factory=list)
    facts: dict[str, KindFacts] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: Of the rules judged over a range of their records, how each stopped (:attr:`Judged.stop`), by position.
    stops: dict[int, int] = field(default_factory=dict)
    #: Why the check must be made again in one process (a divided register that does not load as ranges, or has
    #: problems one process words and counts per file), or None.
    redo: str | None = None


class CannotSplit(Exception):
    """The children of a split check could not be started (raised before any part is judged)."""


class WorkerFailed(CapcheckError):
    """A process judging part of the check failed without a report: killed (out of memory), or a bug."""

    kind = "internal error"


#: What a part does: its result, and how it answers the parent's questions afterwards (None: it answers none).
Run = Callable[[Part], tuple[PartResult, "Callable[[Any], Any] | None"]]


class Parts:
    """The parts of a split check once judged: their results in the parts' order, and each part still able to
    answer questions about the records it holds (:meth:`ask`) until :meth:`close` (the children then end)."""

    def __init__(
        self,
        results: list[PartResult],
        answer: Callable[[Any], Any] | None,
        children: list[_Child],
        debug: bool = False,
    ) -> None:
        self.results = results
        self._answer = answer
        self._children = children
        self._debug = debug

    def ask(self, index: int, question: Any) -> Any:
        """What part ``index`` answers to ``question`` (its ``Work``'s answerer, run where its records are)."""
        if index == 0:
            if self._answer is None:
                raise WorkerFailed([Problem("the part judged here answers no questions")])
            return self._answer(question)
        child = self._children[index - 1]
        _send(child.ask, ("ask", question))
        payload = _receive(child)
        if payload[0] == "answer":
            return payload[1]
        raise _failure(payload, self._debug)

    def close(self) -> None:
        """End the children (each exits when its question pipe closes). Each is reaped when it has ended, not waited
        for here: a child's end (its memory given back) took 0.07 s of a 2.6 s check (:func:`reap`)."""
        children, self._children = self._children, []
        for child in children:
            with contextlib.suppress(OSError):
                os.close(child.ask)
            with contextlib.suppress(OSError):
                os.close(child.tell)
        _ending.extend(child.pid for child in children)
        reap(wait=False)

    def __enter__(self) -> Parts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Children told to end and not reaped yet (:meth:`Parts.close`).
_ending: list[int] = []


def reap(wait: bool = True) -> None:
    """Reap the children of earlier split checks that have ended (all of them, waiting, with ``wait``): the next split
    check reaps those of the last, and the interpreter's end the rest, so that none is left a zombie in a program
    that runs many checks. (The console script ends with ``os._exit``: its children are then reaped by the system.)"""
    for pid in list(_ending):
        try:
            done, _ = os.waitpid(pid, 0 if wait else os.WNOHANG)
        except ChildProcessError:  # reaped already (a SIGCHLD handler of the program's own)
            done = pid
        if done:
            _ending.remove(pid)


atexit.register(reap)


@dataclass(frozen=True)
class _Child:
    pid: int
    tell: int  # the child's messages to the parent (read end)
    ask: int  # the parent's questions to the child (write end)
    #: A message read while waiting for the child's columns, for :func:`_receive` to give next.
    stash: list[Any] = field(default_factory=list)


class _Channel:
    """How the parts of a split check send each other columns (:attr:`Part.sends`): one message on the pipe between
    the parent and a child, written by a thread (so that two parts sending each other never wait on each other)."""

    def __init__(
        self, outgoing: Mapping[int, int], incoming: Mapping[int, int], children: Mapping[int, _Child]
    ) -> None:
        self._out, self._in, self._children = outgoing, incoming, children
        self._got: dict[int, dict[tuple[str, str], frozenset[Any]]] = {}
        self._threads: list[threading.Thread] = []

    def send(self, to: int, columns: dict[tuple[str, str], frozenset[Any]]) -> None:
        thread = threading.Thread(target=_send, args=(self._out[to], ("columns", columns)), daemon=True)
        thread.start()
        self._threads.append(thread)

    def received(self, source: int) -> dict[tuple[str, str], frozenset[Any]]:
        """The columns part ``source`` sent; none when it stopped before sending them (the check then stops on
        what stopped it, and what was judged without them is never reported)."""
        if source not in self._got:
            payload = _read_message(self._in[source])
            if payload is not None and payload[0] == "columns":
                self._got[source] = payload[1]
            else:
                if payload is not None and source in self._children:
                    self._children[source].stash.append(payload)
                self._got[source] = {}
        return self._got[source]

    def others_busy(self) -> bool:
        """Whether a child has sent nothing yet that this process has not read (it is still working): what this
        process does meanwhile costs no time. False in a child."""
        waiting = [fd for i, fd in self._in.items() if i in self._children and not self._children[i].stash]
        if not waiting:
            return False
        ready, _, _ = select.select(waiting, [], [], 0)
        return len(ready) < len(waiting)

    def finish(self) -> None:
        """Wait until every column sent is written (before the part's result, on the same pipe)."""
        for thread in self._threads:
            thread.join()


#: The channel of the part being judged in this process (set for the parent's part and in each child).
_channel = _Channel({}, {}, {})


class _Elsewhere:
    """The kinds a part does not hold, as its rules see them: given or not (by their files' kinds), and the columns
    its rules declare of them, received from the parts holding them; and, of a register divided among parts
    (:attr:`Part.pieces`), the values the other parts' ranges hold."""

    def __init__(
        self,
        present: frozenset[str],
        sources: Mapping[tuple[str, str], Sequence[int]],
        channel: _Channel,
        shared: frozenset[str] = frozenset(),
    ) -> None:
        self._present, self._sources, self._channel, self._shared = present, sources, channel, shared
        self._values: dict[tuple[str, str], frozenset[Any]] = {}

    def has(self, kind: str) -> bool:
        return kind in self._present

    def shares(self, kind: str) -> bool:
        return kind in self._shared

    def values(self, kind: str, field: str) -> frozenset[Any]:
        got = self._values.get((kind, field))
        if got is None:
            # Not a column the plan sends here: none (the engine lets a rule ask only its declared ones).
            sources = self._sources.get((kind, field), ())
            got = frozenset().union(*(self._channel.received(s).get((kind, field), frozenset()) for s in sources))
            self._values[kind, field] = got
        return got


def run_parts(parts: Sequence[Part], work: Run, debug: bool = False) -> Parts:
    """Run ``work`` on each part: the first in this process, the others in children forked now. A child that
    raised is re-raised here (a :class:`CapcheckError` as itself, any other exception as :class:`WorkerFailed`
    with its traceback); one that died says how. Close what is returned (it is a context manager)."""
    reap(wait=False)
    children: list[_Child] = []
    results: list[PartResult] = []
    try:
        for part in parts[1:]:
            try:
                children.append(_fork(part, work))
            except OSError as exc:  # no process or pipe to be had (a process or memory limit): one process will do
                raise CannotSplit(f"{type(exc).__name__}: {exc}") from exc
        global _channel
        _channel = _Channel(
            {i + 1: c.ask for i, c in enumerate(children)},
            {i + 1: c.tell for i, c in enumerate(children)},
            {i + 1: c for i, c in enumerate(children)},
        )
        result, answer = work(parts[0])
        _channel.finish()
        results.append(result)
        for child in children:
            payload = _receive(child)
            if payload[0] != "done":
                raise _failure(payload, debug)
            results.append(payload[1])
        done = Parts(results, answer, children, debug)
        children = []
        return done
    finally:
        for child in children:  # stopped early (an error here, Ctrl-C): no child is left running
            _stop(child)


def _fork(part: Part, work: Run) -> _Child:
    tell_read, tell_write = _wide(*os.pipe())
    ask_read, ask_write = _wide(*os.pipe())
    pid = os.fork()
    if pid == 0:  # the child: judge the part, send the result, answer questions, and end without the parent's clean-up
        code = 0
        try:
            os.close(tell_read)
            os.close(ask_write)
            global _channel
            _channel = _Channel({0: tell_write}, {0: ask_read}, {})
            answer: Callable[[Any], Any] | None = None
            try:
                result, answer = work(part)
                payload: Any = ("done", result)
            except BaseException as exc:
                payload = _raised(exc)
            _channel.finish()
            _send(tell_write, payload)
            while (question := _read_message(ask_read)) is not None:
                if question[0] == "columns":  # sent for a rule that did not read them
                    continue
                try:
                    if answer is None:
                        raise RuntimeError("this part answers no questions")
                    payload = ("answer", answer(question[1]))
                except BaseException as exc:
                    payload = _raised(exc)
                _send(tell_write, payload)
        except BaseException:
            code = 1
        finally:
            try:
                let_go_of_std_streams()  # a reader of the command's output need not wait for this process's end
            finally:
                os._exit(code)
    os.close(tell_write)
    os.close(ask_read)
    return _Child(pid, tell_read, ask_write)


def _raised(exc: BaseException) -> tuple[Any, ...]:
    if isinstance(exc, KeyboardInterrupt):  # Ctrl-C (or a rule raising it): the user's, as in one process
        return ("interrupted",)
    if isinstance(exc, CapcheckError):
        return ("raised", exc)
    return ("failed", f"{type(exc).__name__}: {exc}", "".join(traceback.format_exception(exc)))


def _failure(payload: tuple[Any, ...], debug: bool = False) -> BaseException:
    """What a child's failure message raises here: Ctrl-C as Ctrl-C, capcheck's errors as themselves, a bug as
    :class:`WorkerFailed`, its traceback shown only with ``debug`` (``--debug``), as for a bug in one process."""
    if payload[0] == "interrupted":
        return KeyboardInterrupt()
    if payload[0] == "raised":
        raised: BaseException = payload[1]
        return raised
    if debug and payload[2]:
        return WorkerFailed(
            [Problem(f"a process judging part of the check failed: {payload[1]}\n{payload[2]}".rstrip())]
        )
    return WorkerFailed(
        [
            Problem(
                f"a process judging part of the check failed: {payload[1]} "
                "(run again with --debug for its traceback, and please report it; --jobs 1 checks in one process)"
            )
        ]
    )


_LENGTH = struct.Struct("<Q")


def _send(fd: int, payload: Any) -> None:
    """One message: its length, then the pickled payload (a payload that cannot be pickled is sent as a failure)."""
    try:
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # an unpicklable value in the result (a plugin's)
        data = pickle.dumps(("failed", f"cannot send the result: {type(exc).__name__}: {exc}", ""))
    for piece in (_LENGTH.pack(len(data)), data):  # apart: not a copy of the whole message
        view = memoryview(piece)
        while view:
            view = view[os.write(fd, view) :]


def _read_message(fd: int) -> Any | None:
    """The next message on ``fd``, or None at its end (the other side closed it, or died)."""
    head = _read_exactly(fd, _LENGTH.size)
    if head is None:
        return None
    body = _read_exactly(fd, _LENGTH.unpack(head)[0])
    return None if body is None else pickle.loads(body)


def _read_exactly(fd: int, n: int) -> bytearray | None:
    """``n`` bytes read from ``fd`` into one buffer (no pieces to join), or None at its end."""
    out = bytearray(n)
    view = memoryview(out)
    while view:
        got = os.readv(fd, [view])
        if not got:
            return None
        view = view[got:]
    return out


def _wide(read: int, write: int) -> tuple[int, int]:
    """A pipe made as wide as the system lets a process make it (Linux: up to 1 MiB), so that a large message
    crosses it in fewer writes and reads; as it is elsewhere."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setsize is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(write, setsize, 1 << 20)
    return read, write


def _receive(child: _Child) -> tuple[Any, ...]:
    """The child's next message (columns no rule here read aside); its death, said, if it ends without one."""
    payload = child.stash.pop(0) if child.stash else _read_message(child.tell)
    while payload is not None and payload[0] == "columns":
        payload = _read_message(child.tell)
    if payload is not None:
        return tuple(payload)
    _, status = os.waitpid(child.pid, 0)
    if os.WIFSIGNALED(status):
        signal_no = os.WTERMSIG(status)
        why = f"was killed by signal {signal_no}" + (" (out of memory?)" if signal_no == signal.SIGKILL else "")
    else:
        why = f"exited with status {os.waitstatus_to_exitcode(status)}"
    raise WorkerFailed([Problem(f"a process judging part of the check {why}; run with --jobs 1")])


def _stop(child: _Child) -> None:
    for fd in (child.tell, child.ask):
        with contextlib.suppress(OSError):
            os.close(fd)
    try:
        os.kill(child.pid, signal.SIGKILL)
        os.waitpid(child.pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


@dataclass(frozen=True)
class Segments:
    """What a process of a split check needs to make reporters' text for its rules: the reporters (name, segment),
    how waivers and the baseline are applied (as the parent will), and the areas' order."""

    reporters: Sequence[tuple[str, Callable[[Findings, RuleOutcomes], bytes | Iterable[bytes]]]]
    settle: Callable[[list[RuleOutcomes], Summary], object]
    area_order: tuple[str, ...]
    #: Whether the parent reads the rows of blocks whose text is made (a reporter that makes none, waivers, a
    #: baseline, a caller reading the findings: the module's docstring). When it does not, a child sends such a block
    #: without its rows (:class:`~capcheck.core.outcomes.OutcomesElsewhere`).
    send_rows: bool = True

    def make(
        self,
        evidence: EvidenceSet,
        judged: Sequence[tuple[int, RuleOutcomes, StatusCounts]],
        out: SegmentFile | None,
    ) -> dict[str, RuleOutcomes]:
        """Give each judged block its reporters' text, made from a copy settled as the parent will settle the block
        (which gets it unsettled, so that waivers and the baseline are counted once, there), written to ``out``.
        Returns the copies the text was made from (by rule id; those of blocks listing something), in order."""
        if not self.reporters or not judged or out is None:
            return {}
        copies = Evaluation(evidence)
        for _, block, counts in judged:
            add_rule(copies, dataclasses.replace(block, rows=list(block.rows), waivers=dict(block.waivers)), counts)
        self.settle(copies.outcomes, copies.summary)
        findings = Findings(copies.outcomes, evidence, self.area_order)
        made = {copy.rule_id: copy for copy in findings.blocks}  # a block listing nothing is not among them
        # Kept in a file, not in memory (a report of millions of findings is gigabytes). A file that cannot be
        # written (a full disk, a file size limit) costs only the head start: the reporter writes those blocks itself.
        try:
            with os.fdopen(out.fd, "wb", closefd=False) as stream:
                for _, block, _ in judged:
                    copy = made.get(block.rule_id)
                    if copy is not None:
                        for name, segment in self.reporters:
                            start = stream.tell()
                            for data in made_chunks(segment(findings, copy)):  # a chunk at a time: none held whole
                                stream.write(data)
                            block.segments[name] = Span(out.name, start, stream.tell() - start)
        except OSError:
            for _, block, _ in judged:
                block.segments.clear()
        return made


@dataclass(frozen=True)
class SegmentFile:
    """Where a part writes its reporters' text: a temporary file the parent made and unlinked before forking the
    children (which inherit it open), so that none is ever left behind, whatever ends a process."""

    fd: int
    #: Its name when it was made (for messages: it is unlinked at once).
    name: str

    @classmethod
    def make(cls) -> SegmentFile | None:
        """A new one, or None where none can be made (a full or read-only temporary directory: no head start)."""
        try:
            fd, name = tempfile.mkstemp(prefix="capcheck-segments-")
        except OSError:
            return None
        with contextlib.suppress(OSError):
            os.unlink(name)
        return cls(fd, name)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)


@dataclass(frozen=True)
class Work:
    """What every part of a split check does, the same in each process: load its files, judge its rules, make
    its kinds' scorecard facts and its rules' reporter text, and count copies when asked."""

    #: The evidence files, walked; and the kinds each was seen to hold before it was read.
    files: Sequence[Path]
    kinds_of: Sequence[frozenset[str]]
    #: Load some of the files (told of each, when given a progress display), some of them only a range of their
    #: records (by path: the bytes from start to end, ``Loader.load_range``, and whether to hash the whole file).
    load: Callable[[Sequence[Path], Progress | None, Mapping[Path, tuple[int, int, bool]]], EvidenceSet]
    #: Judge the rule at a position over an evidence set: its block and counts.
    judge: Callable[[int, EvidenceSet], tuple[RuleOutcomes, StatusCounts]]
    #: Judge the rule at a position over a range of its records (a divided register's: :attr:`Part.ranged`), not
    #: finalised (:func:`~capcheck.core.engine.evaluate_range`): the ranges' results merge into the whole's.
    judge_range: Callable[[int, EvidenceSet], Judged]
    #: How many rules are selected.
    rules: int
    facts: Callable[[EvidenceSet], dict[str, KindFacts]]
    copies: Callable[[Sequence[Mapping[str, Any]], Fields], int]
    #: The copy keys of some records (:func:`~capcheck.assessment.facts.copy_keys`): put together over the ranges of
    #: a divided register, they count its copies as :attr:`copies` counts them over all its records.
    copy_keys: Callable[[Sequence[Mapping[str, Any]], Fields], Copies]
    segments: Segments
    #: ``--debug``: a child's bug is shown with its traceback.
    debug: bool = False


@dataclass
class Split:
    """A check loaded and judged in parts: the merged evidence (places only), evaluation and scorecard facts, the
    scorecard's copies asked of the part holding the records, and the parts themselves, to close once the
    scorecard is made (a context manager)."""

    evidence: EvidenceSet
    evaluation: Evaluation
    facts: dict[str, KindFacts]
    parts: Parts
    #: The parts holding each kind's records (several: a register divided among them, in the order of its ranges).
    holders: dict[str, list[int]]
    work: Work

    def copies(self, kind: str, fields: Fields) -> int:
        """How many copies a kind holds, asked of the part holding its records (none, for a kind not given); of a
        register divided among parts, their records' copy keys put together (a copy may be in another range)."""
        holders = self.holders.get(kind)
        if not holders:
            return self.work.copies((), fields)
        if len(holders) == 1:
            count: int = self.parts.ask(holders[0], ("copies", kind, fields))
            return count
        found: list[Copies] = [self.parts.ask(h, ("copy keys", kind, fields)) for h in holders]
        return sum(c.usable for c in found) - len(frozenset().union(*(c.digests for c in found)))

    def __enter__(self) -> Split:
        return self

    def __exit__(self, *exc: object) -> None:
        self.parts.close()


def split_check(
    parts: Sequence[Part], work: Work, walk_problems: Sequence[Problem], progress: Progress | None
) -> Split | None:
    """Load and judge ``parts`` (from :func:`plan`), the first here, the others in children; merge them as one
    process would have made them. None when the children cannot be started: the caller then does it all here.

    :raises EvidenceError: the load problems of every part (and the walk's), in one process's order.
    """
    parent = os.getpid()
    if progress is not None:
        progress.files_found(len(work.files))

    present = frozenset().union(*work.kinds_of) if work.kinds_of else frozenset()
    sources: dict[int, dict[tuple[str, str], list[int]]] = {index: {} for index in range(len(parts))}
    for source, other in enumerate(parts):
        for to, columns in other.sends:
            for column in columns:
                sources[to].setdefault(column, []).append(source)
    # The first range of each divided register: its part hashes the whole file, as one process would.
    firsts: dict[int, int] = {}
    for part in parts:
        for pc in part.pieces:
            firsts[pc.file] = min(pc.start, firsts.get(pc.file, pc.start))
    # The kinds of the registers divided among parts, by part (each holds a range of their records).
    shared = {
        index: frozenset(k for pc in part.pieces for k in work.kinds_of[pc.file]) for index, part in enumerate(parts)
    }

    def stopped(part: Part) -> None:
        """A part that stops before judging still sends the columns it owes (empty): none waits for it in vain."""
        for to, _ in part.sends:
            _channel.send(to, {})

    def run(part: Part) -> tuple[PartResult, Callable[[Any], Any] | None]:
        here = progress if os.getpid() == parent else None  # children draw nothing on the terminal
        index = parts.index(part)
        pieces = {work.files[pc.file]: (pc.start, pc.end, pc.start == firsts[pc.file]) for pc in part.pieces}
        try:
            evidence = work.load([work.files[i] for i in part.files], here, pieces)
        except EvidenceError as exc:
            stopped(part)
            if pieces:  # one process says what is wrong, in its words and order (a file's problems counted once)
                return PartResult(redo="a divided register's part has load problems"), None
            return PartResult(problems=list(exc.problems)), None
        except RangeError as exc:
            stopped(part)
            return PartResult(redo=f"a range of records does not load alone: {exc}"), None
        except BaseException:
            stopped(part)
            raise
        loaded = evidence.kinds_by_file()
        changed = [
            Problem(
                f"holds {_kinds(loaded.get(n, set()))} evidence, but before it was read it was seen to hold "
                f"{_kinds(work.kinds_of[i])} (the file changed during the check, or its loader's kinds_of is "
                "wrong): check it again, or with --jobs 1",
                path=display_path(work.files[i]),
            )
            for n, i in enumerate(part.files)
            if loaded.get(n, set()) != work.kinds_of[i]
        ]
        if changed:
            stopped(part)
            return PartResult(problems=changed), None
        for to, columns in part.sends:  # before judging: the parts judging rules that read them wait for them
            _channel.send(to, {(kind, name): evidence.values(kind, name) for kind, name in columns})
        if part.receives:
            evidence.elsewhere = _Elsewhere(present, sources[index], _channel, shared[index])
        ranged = dict(part.ranged)
        judged: list[tuple[int, RuleOutcomes, StatusCounts]] = []
        stops: dict[int, int] = {}
        for j in part.rules:
            if j in ranged:  # over this part's range of its records: merged with the other ranges' by the parent
                done = work.judge_range(j, evidence)
                judged.append((j, done.block, done.counts))
                stops[j] = done.stop
            else:
                judged.append((j, *work.judge(j, evidence)))
        # A child's blocks are written there; the parent's too while a child is still at work (else by the
        # reporter, streamed: the same work, without holding the text), or when a rule's block here is one range
        # of its findings: the reporter copies the text of every range, or writes none of them.
        sent = judged
        if os.getpid() != parent or part.ranged or _channel.others_busy():
            made = work.segments.make(evidence, judged, segment_files[index])
            if os.getpid() != parent and not work.segments.send_rows:  # the parent reads the text alone
                reporters = len(work.segments.reporters)
                sent = [
                    (j, _to_send(block, made.get(block.rule_id), reporters, stops.get(j)), counts)
                    for j, block, counts in judged
                ]
        rows = {j: block.rows for j, block, _ in judged}

        def answer(question: tuple[str, Any, Fields]) -> Any:
            """The parent's question about this part's records: how many copies a kind holds (or, of a kind divided
            among parts, its records' copy keys, to be put together with the other parts'), for the scorecard; or
            the rows of a rule's block it was sent without (:func:`_merged_block`), as plain tuples."""
            asked, kind, fields = question
            if asked == "rows":
                return [tuple(row) for row in rows[kind]]
            if asked == "copy keys":
                return work.copy_keys(evidence.records(kind), fields)
            return work.copies(evidence.records(kind), fields)

        starts = {piece.file: piece.start for piece in part.pieces}
        return PartResult(evidence.without_records(part.files, starts), sent, work.facts(evidence), stops=stops), answer

    # Made and unlinked here, before the children are forked: each inherits its own open (docs: SegmentFile).
    segment_files = [SegmentFile.make() if work.segments.reporters else None for _ in parts]
    try:
        done = run_parts(parts, run, work.debug)
    except BaseException as exc:
        discard_segments(segment_files)
        if isinstance(exc, CannotSplit):
            return None
        raise
    try:
        results = done.results
        redo = next((r.redo for r in results if r.redo is not None), None)
        evidence = None
        if redo is None:
            raise_problems(merge_problems(work.files, results, walk_problems))
            try:
                evidence = EvidenceSet.merged(r.evidence for r in results if r.evidence is not None)
            except CannotJoin as exc:  # one process names each repeated id, where it is, and words the notes
                redo = str(exc)
        if evidence is None:
            discard_segments(segment_files)
            done.close()
            return None
        open_segments(results, segment_files)
    except BaseException:
        discard_segments(segment_files)
        done.close()
        raise
    evaluation = Evaluation(evidence)
    judged = judged_in_order(parts, results, lambda p, j: done.ask(p, ("rows", j, ())))
    if progress is not None:
        counted = set(parts[0].files)  # a divided register's file is one file, wherever its ranges were loaded
        for part, result in zip(parts[1:], results[1:], strict=True):  # the children's files, loaded meanwhile
            held = result.evidence.records_by_file() if result.evidence is not None else {}
            for i in part.files:
                if i in counted:
                    progress.records_loaded(held.get(i, 0))
                else:
                    progress.file_loaded(held.get(i, 0))
                    counted.add(i)
        progress.rules_found(work.rules)
    for j in range(work.rules):
        # A rule no part judged cannot run for want of evidence: its skip needs no records.
        block, counts = judged[j] if j in judged else work.judge(j, evidence)
        add_rule(evaluation, block, counts)
        if progress is not None:
            progress.rule_done(sum(counts.values()))
    facts: dict[str, KindFacts] = {}
    holders: dict[str, list[int]] = {}
    for i in _in_piece_order(parts):  # a divided register's facts combine over its ranges, in their order
        for kind, found in results[i].facts.items():
            facts[kind] = facts[kind].combine(found) if kind in facts else found
            holders.setdefault(kind, []).append(i)
    return Split(evidence, evaluation, facts, done, holders, work)


def _in_piece_order(parts: Sequence[Part]) -> list[int]:
    """The parts' positions, those holding ranges of a register in the order of their ranges (the others as they
    are: only a divided register's kinds are in several parts)."""
    return sorted(range(len(parts)), key=lambda p: min((pc.start for pc in parts[p].pieces), default=-1))


def open_segments(results: Sequence[PartResult], files: Sequence[SegmentFile | None]) -> None:
    """Give each segment the file it is in, opened (its part's :class:`SegmentFile`, by its name)."""
    opened = {f.name: os.fdopen(f.fd, "rb") for f in files if f is not None}
    for result in results:
        for _, block, _ in result.judged:
            for name, made in list(block.segments.items()):
                if isinstance(made, Span):
                    file = opened.get(made.path)
                    if file is None:  # not one of the parts' files: the reporter writes the block from its rows
                        if isinstance(block, OutcomesElsewhere):
                            raise RowsElsewhere(f"{block.rule_id}'s text is in {made.path}, not a part's file")
                        del block.segments[name]
                    else:
                        made.attach(file)


def discard_segments(files: Sequence[SegmentFile | None]) -> None:
    """Close the segment files of a split check that stops before writing a report (they are unlinked already)."""
    for file in files:
        if file is not None:
            file.close()


def _kinds(kinds: Iterable[str]) -> str:
    return " and ".join(repr(k) for k in sorted(kinds)) or "no"


def merge_problems(walked: Sequence[Path], results: Sequence[PartResult], first: Sequence[Problem]) -> list[Problem]:
    """Every part's load problems in the order one process gives them: the walk's first, then by file."""
    position = {display_path(path): i for i, path in enumerate(walked)}

    def file_of(problem: Problem) -> int:
        if problem.path is None:
            return len(walked)
        found = position.get(problem.path)
        if found is None:  # a workbook's sheet, shown as book.xlsx!Sheet
            found = position.get(problem.path.split("!", 1)[0], len(walked))
        return found

    problems = [p for result in results for p in result.problems]
    return [*first, *sorted(problems, key=file_of)]


def judged_in_order(
    parts: Sequence[Part],
    results: Sequence[PartResult],
    rows: Callable[[int, int], list[tuple[Any, ...]]] | None = None,
) -> Mapping[int, tuple[RuleOutcomes, StatusCounts]]:
    """Each judged rule's block and counts, by the rule's position. A rule judged over the ranges of a divided
    register (:attr:`Part.ranged`) is judged in several parts: their blocks are merged in the order of the ranges,
    into the block one process gives over all the records (:func:`~capcheck.core.engine.merge_blocks`).

    :param rows: the rows of rule ``j``'s block in part ``p`` (asked of the part), for a block sent without them
        (:class:`~capcheck.core.outcomes.OutcomesElsewhere`) whose ranges cannot be joined without them.
    """
    out: dict[int, tuple[RuleOutcomes, StatusCounts]] = {}
    ranged: dict[int, list[tuple[int, int, Judged]]] = {}
    for p, (part, result) in enumerate(zip(parts, results, strict=True)):
        over = dict(part.ranged)
        starts = {piece.file: piece.start for piece in part.pieces}
        for j, block, counts in result.judged:
            if j in over:
                ranged.setdefault(j, []).append((starts[over[j]], p, Judged(block, counts, result.stops[j])))
            else:
                out[j] = (block, counts)
    for j, blocks in ranged.items():
        blocks.sort(key=lambda b: b[0])
        joined = _joined_elsewhere([judged for _, _, judged in blocks])
        if joined is None:
            out[j] = _merged_block([_with_rows(judged, p, j, rows) for _, p, judged in blocks])
        else:
            out[j] = joined
    return out


def _to_send(block: RuleOutcomes, made: RuleOutcomes | None, reporters: int, stop: int | None) -> RuleOutcomes:
    """What a child sends of a block it made its reporters' text for (``made``: the copy the text was made from, in
    the findings' order), when the parent reads nothing else of it (:attr:`Segments.send_rows` false): the block
    without its rows (:class:`~capcheck.core.outcomes.OutcomesElsewhere`) when every reporter's text is made and
    no row is an error (a SARIF log words each error apart); the block itself otherwise. A block over a range of a
    divided register (``stop``: how its rule stopped there) goes without its rows only where the rule was judged and
    its rows are in the findings' order as the rule gave them (the ranges' text is then joined:
    :func:`_joined_elsewhere`)."""
    if made is None or not block.rows or len(block.segments) < reporters:
        return block
    statuses = made.statuses()
    if Status.ERROR in statuses or not all(isinstance(m, Span) for m in block.segments.values()):
        return block
    if stop is None:
        return OutcomesElsewhere(block, statuses)
    if stop != JUDGED or not block.ordered:
        return block
    return OutcomesElsewhere(block, statuses, (block.rows[0], block.rows[-1]))


def _joined_elsewhere(judged: Sequence[Judged]) -> tuple[RuleOutcomes, StatusCounts] | None:
    """One rule's blocks over consecutive ranges, some sent without their rows, joined without them: where each
    range was judged (no error, no kind missing), each listing range's rows are in the findings' order as are the
    ranges' (the last row of one before the first of the next, of one kind), none is an error, and each has the same
    reporters' text; what :func:`~capcheck.core.engine.merge_blocks` gives then. None where they cannot be (nothing
    is sent without rows, or the merge needs the rows)."""
    if not any(isinstance(j.block, OutcomesElsewhere) for j in judged) or any(j.stop != JUDGED for j in judged):
        return None
    listed = [j.block for j in judged if j.block.size]
    names = set(listed[0].segments)
    last: Outcome | None = None
    for block in listed:
        if isinstance(block, OutcomesElsewhere):
            ends = block.ends
        elif Status.ERROR in block.statuses():  # a SARIF log words each error apart, from its row
            return None
        else:
            ends = (block.rows[0], block.rows[-1])
        if ends is None or not block.ordered or set(block.segments) != names:
            return None
        if not all(isinstance(block.segments[name], Span) for name in names):
            return None
        head, default = ends[0], block.default_kind
        if last is not None and not (
            (last.kind or default) == (head.kind or default) and str(last.record_id) < str(head.record_id)
        ):
            return None
        last = ends[1]
    counts: StatusCounts = {}
    for j in judged:
        for status, n in j.counts.items():
            counts[status] = counts.get(status, 0) + n
    segments: dict[str, bytes | Span] = {
        name: Spans([cast(Span, block.segments[name]) for block in listed]) for name in names
    }
    return OutcomesElsewhere.joined(listed, segments), counts


def _with_rows(judged: Judged, part: int, j: int, rows: Callable[[int, int], list[tuple[Any, ...]]] | None) -> Judged:
    """A range's block with its rows: asked of the part that kept them, for a block sent without them."""
    block = judged.block
    if not isinstance(block, OutcomesElsewhere):
        return judged
    if rows is None:
        raise RowsElsewhere(f"the rows of {block.rule_id} are needed to join its ranges, and none can be asked")
    new = tuple.__new__
    whole = RuleOutcomes(
        block.rule_id,
        block.rule_version,
        block.severity,
        block.area,
        block.title,
        block.remediation,
        block.default_kind,
        [new(Outcome, row) for row in rows(part, j)],
        ordered=True,  # sent without its rows only when they were in order (_to_send)
        segments=block.segments,
    )
    return judged._replace(block=whole)


def _merged_block(judged: Sequence[Judged]) -> tuple[RuleOutcomes, StatusCounts]:
    """One rule's blocks over consecutive ranges as one block; the text the parts made for them joined, where the
    merged block's findings come in the ranges' order (ordered rows: each range's, then the next's), else dropped
    (the reporter then writes them from the rows)."""
    blocks = [(j.block, j.counts) for j in judged]
    block, counts = merge_blocks([j._replace(block=dataclasses.replace(j.block, segments={})) for j in judged])
    names = set.intersection(*(set(b.segments) for b, _ in blocks)) if blocks else set()
    if len(block.rows) == sum(len(b.rows) for b, _ in blocks) and (block.ordered or len(blocks) == 1):
        # The merge dropped no row (a range's skip for nothing in scope, or the rows beside an error), and the rows
        # come in the ranges' order: the ranges' text, one after the other, is the block's.
        for name in names:
            made = [b.segments[name] for b, _ in blocks]
            spans = [m for m in made if isinstance(m, Span)]
            if len(spans) == len(made):
                block.segments[name] = Spans(spans)
    return block, counts


def raise_problems(problems: Sequence[Problem]) -> None:
    """Raise the merged load problems as one :class:`EvidenceError`, as one process would have."""
    if problems:
        raise EvidenceError(list(problems))
