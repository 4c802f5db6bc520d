"""A check split over processes: each loads some registers and judges the rules that read them.

A check's work is loading (parsing, validating and indexing each evidence file) and judging (running
each rule over the records of the kinds it declares). Neither releases Python's global lock, so one
process uses one core, however many the machine has (docs/performance.md, "Where it stands").

Here the work is divided by *kinds*: a rule sees only the kinds it declares (``kinds``, ``any_of``,
``reads``: :meth:`~capcheck.core.evidence.EvidenceSet.only`), so kinds that no rule reads together
can be loaded and judged in different processes with the same outcomes as in one. The kinds are
grouped (two kinds one rule reads, or one file holds, are in one group), the groups are given to
``jobs`` parts by size (the largest first, each to the part with least to do), and each part but the
first runs in a child forked after start-up: it loads its files, judges its rules, and sends back what
the parent needs to write the findings: the rules' compact outcomes and counts, where each record is
(:meth:`~capcheck.core.evidence.EvidenceSet.without_records`) and the scorecard's facts about each kind
— never the records themselves. The parent judges the first part itself, merges the parts in the order
one process would have made them (files in walk order, rules in selection order, problems by file), and
goes on as a check in one process does: waivers, baseline, scorecard, reports.

A check is split only where that is safe and worth it: on a platform with ``fork`` (Linux), with more
than one core, evidence of at least :data:`MIN_SPLIT_BYTES`, every file's kinds known before it is read
(:func:`~capcheck.core.loading.peek_kinds`), and at least two groups. Otherwise it runs in one process, as before.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from capcheck.core.engine import StatusCounts
from capcheck.core.errors import CapcheckError, EvidenceError, Problem
from capcheck.core.evidence import EvidenceSet
from capcheck.core.models import display_path
from capcheck.core.outcomes import RuleOutcomes
from capcheck.core.rules import Rule

__all__ = ["MIN_SPLIT_BYTES", "Part", "PartResult", "WorkerFailed", "can_fork", "plan", "run_parts", "usable_cores"]

#: Evidence smaller than this is checked in one process: forking and merging would cost more than they save.
MIN_SPLIT_BYTES = 8 << 20


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform says, else the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether checks may be split over forked processes here: Linux only (macOS's frameworks are not
    safe to use after ``fork``; Windows has none)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


@dataclass(frozen=True)
class Part:
    """One process's share of a check: the files it loads and the rules it judges (positions in the
    walked files and in the selected rules), and the bytes it reads."""

    files: tuple[int, ...]
    rules: tuple[int, ...]
    size: int


def plan(
    rules: Sequence[Rule],
    kinds_of: Sequence[frozenset[str]],
    sizes: Sequence[int],
    jobs: int,
    together: Iterable[Iterable[int]] = (),
) -> list[Part] | None:
    """Divide a check into at most ``jobs`` parts, or None when it cannot be divided (one group, or one job).

    :param kinds_of: the kinds each evidence file holds (:func:`~capcheck.core.loading.peek_kinds`), by position.
    :param sizes: each file's size in bytes.
    :param together: files that must be read in one process whatever their kinds (a combining loader's: OCDS).

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
    for files in together:
        union([_file_key(i) for i in files])
    runnable: list[tuple[int, list[str]]] = []
    for j, r in enumerate(rules):
        meta = r.meta
        if any(k not in present for k in meta.required_kinds):
            continue
        if meta.any_of and not any(k in present for k in meta.any_of):
            continue
        seen = [k for k in meta.seen_kinds if k in present]
        union(seen)
        runnable.append((j, seen))
    groups: dict[str, tuple[list[int], list[int], list[int]]] = {}  # group -> (files, rules, [bytes])
    for i in range(len(kinds_of)):
        files, _, size = groups.setdefault(find(_file_key(i)), ([], [], [0]))
        files.append(i)
        size[0] += sizes[i]
    for j, seen in runnable:  # its seen kinds are present, so in a group with files
        groups[find(seen[0])][1].append(j)
    n = min(jobs, len(groups))
    if n < 2:
        return None
    # The largest group first, each to the part with the least bytes so far (ties: the earlier part).
    order = sorted(groups.values(), key=lambda g: (-g[2][0], g[0][:1]))
    parts: list[tuple[list[int], list[int], int]] = [([], [], 0) for _ in range(n)]
    for files, judged, size in order:
        at = min(range(n), key=lambda p: (parts[p][2], p))
        parts[at] = (parts[at][0] + files, parts[at][1] + judged, parts[at][2] + size[0])
    return sorted(
        (Part(tuple(sorted(f)), tuple(sorted(r)), s) for f, r, s in parts if f or r),
        key=lambda p: -p.size,
    )


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
    facts: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


class WorkerFailed(CapcheckError):
    """A process judging part of the check failed without a report: killed (out of memory), or a bug."""

    kind = "internal error"


Work = Callable[[Part], PartResult]


def run_parts(parts: Sequence[Part], work: Work) -> list[PartResult]:
    """Run ``work`` on each part: the first in this process, the others in children forked now; return their
    results in the parts' order. A child that raised is re-raised here (a :class:`CapcheckError` as itself, any
    other exception as :class:`WorkerFailed` with its traceback); one that died says how."""
    children: list[tuple[int, int]] = []  # (pid, read end of its pipe)
    try:
        for part in parts[1:]:
            children.append(_fork(part, work))
        results = [work(parts[0])]
        for pid, fd in children:
            results.append(_collect(pid, fd))
        children.clear()
        return results
    finally:
        for pid, fd in children:  # stopped early (an error here, Ctrl-C): no child is left running
            _stop(pid, fd)


def _fork(part: Part, work: Work) -> tuple[int, int]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: judge the part, send the result, and end without running the parent's clean-up
        code = 0
        try:
            os.close(read)
            try:
                payload: Any = ("done", work(part))
            except CapcheckError as exc:
                payload = ("raised", exc)
            except BaseException as exc:
                payload = ("failed", f"{type(exc).__name__}: {exc}", "".join(traceback.format_exception(exc)))
            try:
                data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:
                data = pickle.dumps(("failed", f"cannot send the result: {type(exc).__name__}: {exc}", ""))
            with os.fdopen(write, "wb") as out:
                out.write(data)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write)
    return pid, read


def _collect(pid: int, fd: int) -> PartResult:
    with os.fdopen(fd, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        if os.WIFSIGNALED(status):
            signal_no = os.WTERMSIG(status)
            why = f"was killed by signal {signal_no}" + (" (out of memory?)" if signal_no == 9 else "")
        else:
            why = f"exited with status {os.waitstatus_to_exitcode(status)}"
        raise WorkerFailed([Problem(f"a process judging part of the check {why}; run with --jobs 1")])
    payload = pickle.loads(data)
    if payload[0] == "done":
        result: PartResult = payload[1]
        return result
    if payload[0] == "raised":
        raise payload[1]
    raise WorkerFailed([Problem(f"a process judging part of the check failed: {payload[1]}\n{payload[2]}".rstrip())])


def _stop(pid: int, fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


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


def judged_in_order(results: Sequence[PartResult]) -> Mapping[int, tuple[RuleOutcomes, StatusCounts]]:
    """Each judged rule's block and counts, by the rule's position."""
    return {j: (block, counts) for result in results for j, block, counts in result.judged}


def raise_problems(problems: Sequence[Problem]) -> None:
    """Raise the merged load problems as one :class:`EvidenceError`, as one process would have."""
    if problems:
        raise EvidenceError(list(problems))
