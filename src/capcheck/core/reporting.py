"""Reporters: the :class:`Reporter` type and the atomic writer every output goes through.

A reporter renders a finished :class:`~capcheck.core.models.RunResult` to a string; one that can also
*write* it to a byte stream, piece by piece (``Reporter.write``), is streamed to its file or to
standard output, so that a large report is never held whole. Reporters are plugins
(``capcheck_reporters``); the built-in ones live in this package, one module each.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import stat
import tempfile
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable
from urllib.parse import quote

from capcheck.core.escaping.markdown import DEFAULT_LIMIT as DEFAULT_MARKDOWN_LIMIT
from capcheck.core.models import Finding, RunResult, Severity, Status
from capcheck.core.outcomes import Findings, RuleOutcomes, Span, Spans

if TYPE_CHECKING:  # annotations only: the scorecard is imported when a run computes one
    from capcheck.assessment.scorecard import AreaScore

__all__ = [
    "ATTENTION",
    "DEFAULT_OSCAL_MAX_OBSERVATIONS",
    "DEFAULT_SARIF_MAX_RESULTS",
    "DEFAULT_TEXT_LIMIT",
    "KERNEL_COPY_BYTES",
    "MAX_LOG_VALUE",
    "ByteStream",
    "CopyingStream",
    "FindingRun",
    "FirstFew",
    "RenderOptions",
    "Reporter",
    "block_findings",
    "copy_range",
    "cut_value",
    "document_file",
    "finding_runs",
    "finding_subject",
    "first_sentence",
    "is_stream_path",
    "made_chunks",
    "render_by",
    "scorecard_rows",
    "segment_chunks",
    "stream_atomic",
    "subject_label",
    "uri_path",
    "verdict_word",
    "write_atomic",
    "write_segment",
]

#: The most SARIF results by default: GitHub code scanning stores and shows only the 5,000 most severe
#: results of a run (and rejects a run of more than 25,000), so more only makes the upload bigger.
DEFAULT_SARIF_MAX_RESULTS = 5000
#: The most OSCAL observations a rule lists by default: each rule's finding counts every record, and OSCAL
#: tools load a document whole (compliance-trestle holds 18,000 observations in 431 MB).
DEFAULT_OSCAL_MAX_OBSERVATIONS = 1000
#: The most failing rules the text report details by default (each with a few records): the example's
#: 66 failing rules would otherwise fill 400 lines; the rest are named, one line per severity.
DEFAULT_TEXT_LIMIT = 7
#: How much a finding's status asks of its reader, most first: errors (the check is incomplete) and new
#: failures, then accepted failures (waived, baselined), skips, passes. With severity, most severe first
#: within each, the order a report that shows a few of many puts first (HTML's table) or keeps (SARIF's cap).
ATTENTION: dict[Status, int] = {
    Status.ERROR: 0,
    Status.FAIL: 1,
    Status.WAIVED: 2,
    Status.BASELINED: 2,
    Status.SKIP: 3,
    Status.PASS: 4,
}
#: The most characters of one value from the evidence (a record id, a finding's message) on a line of a log read
#: by people: the text report and the GitHub and Azure logs. GitHub shows at most 4,096 characters of an
#: annotation; a record id of 10 MB made the text report three 10 MB lines, and the GitHub log 63 MB.
MAX_LOG_VALUE = 1000
#: The end of a sentence or clause in a remediation.
_SENTENCE_END = re.compile(r"(?<=[.;])\s")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.")


def document_file(path: str) -> tuple[str, str | None]:
    """A document shown as ``file!part`` (a workbook's sheet) as (the file on disk, the part); else (path, None).

    Only when ``path`` is not itself a file and the part before ``!`` is: a file name may contain ``!``.
    Formats that point a viewer at a file (SARIF, the CI annotations) point at the workbook.
    """
    head, sep, part = path.partition("!")
    try:
        if sep and head and not os.path.lexists(path) and os.path.isfile(head):
            return head, part
    except ValueError:  # a NUL in the name: not a path on disk
        pass
    return path, None


def uri_path(path: str) -> str:
    """A relative URI for a path (what SARIF and OSCAL point at an evidence file with); an undecodable byte in
    a file name (``\\udcff``) becomes ``%FF``."""
    try:
        raw = path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that stands for no byte: percent-encode its code units
        raw = path.encode("utf-8", "surrogatepass")
    return quote(raw, safe="/")


def first_sentence(text: str) -> str:
    """A remediation's first sentence (or clause), whole: the one-line fix the text and CI formats show.

    It ends at a full stop or semicolon followed by a space, outside parentheses and not after an
    abbreviation (``e.g.``, ``i.e.``, ``etc.``)."""
    text = text.strip()
    first = text
    for match in _SENTENCE_END.finditer(text):
        head = text[: match.start()]
        if head.count("(") == head.count(")") and not head.endswith(_ABBREVIATIONS):
            first = head
            break
    first = first.rstrip(";")
    return first if first.endswith((".", "!", "?")) else first + "."


def cut_value(value: str, limit: int = MAX_LOG_VALUE) -> str:
    """``value`` cut to ``limit`` characters (:data:`MAX_LOG_VALUE`), saying how many more the JSON report has."""
    more = len(value) - limit
    return value if more <= 0 else f"{value[:limit]}\u2026 ({more:,} more characters: the JSON report has it whole)"


def finding_subject(finding: Finding) -> str:
    """What a finding is about, for people: the record id, the group's label (``all KIND records`` for a
    rule judging a whole register at once), or the evidence kind it lacked. Not escaped.

    Every human-readable format names a finding with it (text, Markdown, HTML, JUnit, CI annotations);
    the data formats keep the group's value (``all``) as it is."""
    ev = finding.evidence
    return subject_label(ev.kind if ev is not None else None, ev.record_id if ev is not None else None, finding.group)


def subject_label(kind: str | None, record_id: str | None, group: str | None) -> str:
    """:func:`finding_subject` from its parts, for what names a finding without being one (a baseline's
    entry): the record id, else the group's label (``all KIND records`` for the whole register), else
    ``KIND evidence`` (``evidence`` with no kind). Not escaped."""
    if record_id is not None:
        return record_id
    if group == "all":
        return f"all {kind} records" if kind else "all records"
    if group is not None:
        return group
    return f"{kind} evidence" if kind else "evidence"


#: The statuses of a record some rule judged (a waived or baselined failure was judged, then accepted).
_JUDGED = ("pass", "fail", "waived", "baselined")


def verdict_word(result: RunResult) -> str:
    """The run's verdict in one word, the same in every report: ``FAILED`` (exit 1), ``INCOMPLETE``
    (exit 2), ``PASSED``, or ``NOT JUDGED`` for an exit 0 run in which no rule judged any record (every
    rule lacked the evidence it reads: "passed" would claim what nobody checked; gate on it with
    ``--min-level``)."""
    code = result.exit_code
    if code == 1:
        return "FAILED"
    if code == 2:
        return "INCOMPLETE"
    by_status = result.summary.by_status
    return "PASSED" if any(by_status.get(status) for status in _JUDGED) else "NOT JUDGED"


def scorecard_rows(result: RunResult) -> tuple[AreaScore, ...]:
    """The maturity scorecard's rows of a result, one per area (empty when the result has no scorecard)."""
    return () if result.scorecard is None else result.scorecard.rows


@dataclass(frozen=True, slots=True)
class FindingRun:
    """Consecutive findings of one rule, as their statuses: what a streaming reporter counts or ranks
    before it writes (``findings[start + i]`` is the finding of ``statuses[i]``)."""

    rule_id: str
    area: str
    severity: Severity
    #: Each finding's status, in the findings' order.
    statuses: Sequence[Status]
    #: The index of the first of them in the findings.
    start: int


def finding_runs(findings: Sequence[Finding]) -> Iterator[FindingRun]:
    """The findings as runs of one rule each, in order, without making them when they are a run's lazy
    :class:`~capcheck.core.outcomes.Findings` (one run per rule: its statuses read from the compact rows);
    any other sequence gives one run per finding."""
    if isinstance(findings, Findings):
        start = 0
        for block in findings.blocks:
            statuses = block.statuses()
            yield FindingRun(block.rule_id, block.area, block.severity, statuses, start)
            start += len(statuses)
        return
    for i, f in enumerate(findings):
        yield FindingRun(f.rule_id, f.area, f.severity, (f.status,), i)


def block_findings(findings: Findings, block: RuleOutcomes) -> Iterator[Finding]:
    """The findings of one of ``findings.blocks`` (one rule's), made as they are read: what a reporter's
    ``segment`` writes from (:attr:`Reporter.segment`)."""
    start = 0
    for other in findings.blocks:
        if other is block:
            return findings.between(start, start + block.size)
        start += other.size
    raise ValueError(f"the block of {block.rule_id} is not one of these findings'")


def made_chunks(made: bytes | Iterable[bytes]) -> Iterable[bytes]:
    """What a reporter's ``segment`` returned (:attr:`Reporter.segment`) as the chunks to write, in order: the bytes
    alone, or each chunk of an iterable of them."""
    return (made,) if isinstance(made, bytes) else made


def segment_chunks(made: bytes | Span) -> Iterable[bytes]:
    """A block's segment (``RuleOutcomes.segments``) as the bytes to copy: itself, or its file's, a piece at a time."""
    return made.chunks() if isinstance(made, Span) else (made,)


def write_segment(stream: ByteStream, made: bytes | Span, skip: int = 0) -> int:
    """Write a block's segment (``RuleOutcomes.segments``) to ``stream`` as it is, less its first ``skip`` bytes;
    return how many bytes were written. A segment kept in a file goes file to file in the kernel when ``stream``
    can take it so (a :class:`CopyingStream`: an output file being written), else a piece at a time: what a
    reporter that copies segments unchanged (JSON, CSV) writes them with."""
    if isinstance(made, bytes):
        data = made[skip:] if skip else made
        stream.write(data)
        return len(data)
    written = 0
    copier = stream if isinstance(stream, CopyingStream) else None
    for span in made.spans if isinstance(made, Spans) else (made,):
        cut = min(skip, span.length)
        skip -= cut
        length = span.length - cut
        if not length:
            continue
        if copier is not None and span.file is not None:
            copier.copy_from(span.file.fileno(), span.offset + cut, length)
        else:
            first = True
            for data in span.chunks():
                if first and cut:
                    data = data[cut:]
                first = False
                stream.write(data)
        written += length
    return written


_T = TypeVar("_T")


class FirstFew(Generic[_T]):
    """The first ``n`` of the items added by ``key`` (what ``sorted(items, key=key)[:n]`` gives: equal keys
    keep the order they came in), holding no more than ``n``; ``n`` None keeps them all. ``count`` is how
    many were added. For a reporter that shows a few of many findings, read once."""

    def __init__(self, n: int | None, key: Callable[[_T], Any]) -> None:
        self.n = n
        self.key = key
        self.count = 0
        self._keys: list[Any] = []
        self._items: list[_T] = []
        self._sorted = True

    def add(self, item: _T) -> None:
        """Count an item, and keep it if it is among the first ``n`` so far."""
        self.count += 1
        n = self.n
        if n is None:
            self._items.append(item)
            self._sorted = False
            return
        if n <= 0:
            return
        key = self.key(item)
        keys = self._keys
        if len(keys) >= n and not key < keys[-1]:
            return  # an equal key sorts after the kept ones
        at = bisect_right(keys, key)
        keys.insert(at, key)
        self._items.insert(at, item)
        if len(keys) > n:
            keys.pop()
            self._items.pop()

    def items(self) -> list[_T]:
        """The kept items, in key order."""
        if not self._sorted:  # all of them kept: sorted when first asked for after an add
            self._items.sort(key=self.key)
            self._sorted = True
        return self._items


@dataclass(frozen=True)
class RenderOptions:
    """How to render: ``color`` only for a terminal; ``base_dir`` for relative URIs; ``markdown_limit``
    the longest Markdown output in characters (``--markdown-limit``; 0 for no limit); ``sarif_max_results``
    the most SARIF results (``--sarif-max-results``; 0 for no limit); ``sarif_category`` the SARIF run's
    ``automationDetails.id`` category (``--sarif-category``; None: ``capcheck/``); ``oscal_max_observations`` the
    most OSCAL observations per rule (``--oscal-max-observations``; 0 for no limit).

    The display options change what the text report *shows*, never the result, the exit code or another
    format: ``layout`` ``grouped`` (by rule, the default), ``compact`` (one line per finding, ``--compact``)
    or ``quiet`` (the summary only, ``--quiet``); ``show`` the statuses listed (``--show``; None: failures,
    errors and skips, and passes when the run lists them); ``min_severity`` the lowest severity listed
    (``--min-severity``; errors are always listed); ``limit`` the most failing rules detailed (``--limit``;
    0 for every rule and record); ``width`` the terminal's columns; ``debug`` is ``--debug``: the grouped
    layout then shows a rule error's traceback line by line, each line escaped (without it a newline in a
    message is shown as a visible character, so that no value can start a line of its own).

    ``unwritten`` names the outputs of the run that could not be written before this one (``--report sarif``;
    standard output is written last, knowing them): the run exits 2 whatever the checks found, and the reports
    for people (text, the CI logs) say so in their verdict line. Nothing else reads it: a data format's
    ``exit_code`` is the checks' own, as in the reports written before the failure."""

    color: bool = False
    base_dir: Path | None = None
    markdown_limit: int = DEFAULT_MARKDOWN_LIMIT
    sarif_max_results: int = DEFAULT_SARIF_MAX_RESULTS
    sarif_category: str | None = None
    oscal_max_observations: int = DEFAULT_OSCAL_MAX_OBSERVATIONS
    layout: str = "grouped"
    show: frozenset[str] | None = None
    min_severity: Severity | None = None
    limit: int = DEFAULT_TEXT_LIMIT
    width: int = 100
    debug: bool = False
    unwritten: tuple[str, ...] = ()


class ByteStream(Protocol):
    """Where a streaming reporter writes: anything with ``write(bytes)`` (a file, ``sys.stdout.buffer``)."""

    def write(self, data: bytes, /) -> object:
        """Write every byte of ``data`` (or raise ``OSError``)."""


@runtime_checkable
class CopyingStream(ByteStream, Protocol):
    """A byte stream into a file that can also copy bytes from another file without reading them into the process
    (the atomic writer's temporary file: :func:`stream_atomic`): :func:`write_segment` copies a segment kept in a
    file with it."""

    def copy_from(self, fd: int, offset: int, length: int, /) -> None:
        """Write ``length`` bytes of the file open as ``fd`` from ``offset`` (or raise ``OSError``)."""


#: What a streaming reporter's ``write`` is.
Writer = Callable[[RunResult, RenderOptions, ByteStream], None]


@dataclass(frozen=True)
class Reporter:
    """An output format, chosen with ``--format NAME`` or ``--report NAME=PATH``."""

    name: str
    render: Callable[[RunResult, RenderOptions], str]
    description: str = ""
    #: The usual file extension of this format (``.sarif``), for docs and defaults.
    extension: str = ".txt"
    #: Optional: write the same output as ``render`` returns, UTF-8 encoded, to a byte stream in
    #: pieces (the findings one chunk at a time), so that a large report is never held whole. When
    #: set, the CLI streams the output with it; ``render`` must still work (tests and callers use it).
    write: Writer | None = None
    #: Optional: what ``write`` writes for one rule's findings, made apart from the rest, so that a check split
    #: over processes (:mod:`capcheck.app.parallel`) has it made where the rule's records are. ``write`` then
    #: uses ``block.segments[name]`` when the block has it. The bytes must be what ``write`` would write for the
    #: block, whatever the other blocks (a test holds the JSON reporter's so). It returns them whole, or (plugin
    #: API 1.5) as an iterable of chunks written one after another (a generator: a block of a million findings is
    #: then never held whole, nor copied to be joined; :func:`made_chunks`).
    segment: Callable[[Findings, RuleOutcomes], bytes | Iterable[bytes]] | None = None


def render_by(write: Writer) -> Callable[[RunResult, RenderOptions], str]:
    """The ``render`` of a streaming reporter: what its ``write`` writes, as a string.

    ``render_csv = render_by(write_csv)``; ``Reporter(name=..., render=render_by(write_x), write=write_x)``.
    The bytes are decoded strictly: a ``write`` that writes anything but UTF-8 fails here, as it would fail
    every reader of its file."""

    def render(result: RunResult, options: RenderOptions) -> str:
        out = io.BytesIO()
        write(result, options, out)
        return out.getvalue().decode("utf-8")

    # Named as the module binds it (``render_csv = render_by(write_csv)``): importable by that name, so
    # picklable, and so named in a traceback.
    name = "render_" + write.__name__.removeprefix("write_")
    render.__name__ = name
    render.__qualname__ = name
    render.__module__ = write.__module__
    render.__doc__ = f"What :func:`{write.__name__}` writes, as a string (:func:`capcheck.core.reporting.render_by`)."
    return render


#: Bytes gathered before each write to the temporary file.
_FLUSH_BYTES = 1 << 20


class _FileSink:
    """A byte stream over a file descriptor: pieces gathered to about a megabyte, each written whole."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._parts: list[bytes] = []
        self._size = 0

    def write(self, data: bytes, /) -> int:
        if len(data) >= _FLUSH_BYTES:  # a big piece is written as it is, not copied into a join
            self.flush()
            _write_all(self._fd, data)
            return len(data)
        self._parts.append(data)
        self._size += len(data)
        if self._size >= _FLUSH_BYTES:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._parts:
            data = b"".join(self._parts)
            self._parts, self._size = [], 0
            _write_all(self._fd, data)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    from capcheck.core.process import write_all

    write_all(fd, data)


class _CopyingSink(_FileSink):
    """A :class:`_FileSink` over a regular file, which copies other files' bytes in the kernel (:func:`copy_range`)."""

    def copy_from(self, fd: int, offset: int, length: int, /) -> None:
        self.flush()
        copy_range(fd, offset, length, self._fd)


#: The errors that say a way of copying in the kernel does not work for these files (another file system, a file
#: system or kernel without it, a system call a sandbox refuses): the next way is tried, down to read and write.
_UNSUPPORTED = frozenset({errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EPERM})
#: The most bytes one copying call is asked for (a signal is handled between two).
_COPY_BYTES = 64 << 20
#: A range at least this long is copied in the kernel; a shorter one is read and written through one buffer, which
#: cost less here (session 9, high failure, the same process alternating: 3x100k, ranges of about 15 MB, 202 MB in
#: all: 0.16 s and 0.06 CPU s read and written against 0.23 s and 0.10 s copy_file_range; 3x1M, ranges of about
#: 150 MB, 2 GB: 3.7-7.1 s and 1.7-2.6 CPU s against 2.2-2.8 s and 0.9-1.1 s; docs/performance.md).
KERNEL_COPY_BYTES = 64 << 20


def copy_range(src: int, offset: int, length: int, dst: int) -> None:
    """Write ``length`` bytes of the file open as ``src``, from ``offset``, to ``dst`` at its position; from
    :data:`KERNEL_COPY_BYTES` on without reading them into the process where the system can: ``copy_file_range``
    (Linux; the file systems may share blocks or copy in the page cache), else ``sendfile``; else (and for a
    shorter range) read and written through one buffer. ``src``'s position is left as it was. Raises ``OSError`` if
    ``src`` ends before ``length`` bytes or ``dst`` cannot take them."""
    end = offset + length
    ways = (getattr(os, "copy_file_range", None), getattr(os, "sendfile", None))
    for way in ways if length >= KERNEL_COPY_BYTES else ():
        if way is None:
            continue
        try:
            while offset < end:
                if way is os.sendfile:
                    copied = os.sendfile(dst, src, offset, min(_COPY_BYTES, end - offset))
                else:
                    copied = os.copy_file_range(src, dst, min(_COPY_BYTES, end - offset), offset)
                if not copied:
                    raise OSError(errno.EIO, f"{end - offset} bytes missing in the file copied from")
                offset += copied
            return
        except OSError as exc:
            if exc.errno not in _UNSUPPORTED:
                raise
    buffer = bytearray(min(1 << 20, length))  # one buffer for every piece: no fresh pages for each (they cost here)
    view = memoryview(buffer)
    while offset < end:
        got = os.preadv(src, [view[: min(len(buffer), end - offset)]], offset)
        if not got:
            raise OSError(errno.EIO, f"{end - offset} bytes missing in the file copied from")
        _write_all(dst, view[:got])
        offset += got


#: Directories whose entries are devices and descriptors (``/dev/stdout``, ``/dev/fd/3``, ``/proc/self/fd/1``),
#: never files to replace, even where the entry leads to a regular file (``-o /dev/stdout > out.json``).
_STREAM_DIRS = (Path("/dev"), Path("/proc"))


def is_stream_path(path: Path) -> bool:
    """Whether ``path`` is written to as a stream rather than replaced: it exists and is not a regular file
    or a directory (a device, a FIFO, a socket; symlinks followed), or it leads to a regular file through a
    descriptor: a symlink in ``/dev`` (``/dev/stdout``) or an entry of ``/proc`` (``/dev/fd/3``). A plain file
    in ``/dev/shm`` is replaced like any other."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if stat.S_ISDIR(mode):
        return False
    if not stat.S_ISREG(mode):
        return True
    where = Path(os.path.realpath(path.parent if str(path.parent) else "."))
    if where.is_relative_to(_STREAM_DIRS[1]):
        return True
    return where.is_relative_to(_STREAM_DIRS[0]) and os.path.islink(path)


def _stream_direct(path: Path, write: Callable[[ByteStream], object]) -> None:
    """Write to an existing stream path in place: no temporary file, no rename (nothing to make atomic).

    Appending, so that ``/dev/stdout`` redirected with ``>>`` keeps what the file held; a FIFO's open
    waits for its reader, as any writer's does."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_CLOEXEC", 0))
    try:
        sink = _FileSink(fd)
        write(sink)
        sink.flush()
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file in the same directory, then rename.

    A reader never sees a half-written file, and a failure leaves any previous file intact. Every
    byte is written or an ``OSError`` is raised (a short write is never taken for a whole one), and
    the temporary file is removed on any failure, an interrupt included.
    """
    data = text.encode("utf-8")
    stream_atomic(path, lambda stream: stream.write(data))


def _held(path: Path) -> int | None:
    """The file a rename over ``path`` replaces, opened (not followed if a link), or None: held open, its blocks and
    cached pages are freed when it is closed, not by the rename (0.43 s for a 2 GB report replaced). POSIX only: on
    Windows a file held open cannot be replaced."""
    if os.name != "posix":
        return None
    try:
        return os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | os.O_NONBLOCK)
    except OSError:  # none, a link, or unreadable: the rename frees it, as before
        return None


def _close_at_the_end(fd: int) -> None:
    from capcheck.core.process import close_at_the_end

    close_at_the_end(fd)


def stream_atomic(path: Path, write: Callable[[ByteStream], object]) -> None:
    """Like :func:`write_atomic`, the content written by ``write(stream)`` in pieces (a streaming reporter).

    Whatever ``write`` raises, the temporary file is removed and the previous file left intact.

    A path that is not a file to replace (:func:`is_stream_path`: ``/dev/null``, ``/dev/stdout``,
    ``/dev/fd/N`` from a shell's process substitution, a FIFO) is written to directly: renaming a
    temporary file over it would put a regular file in its place (as root, over ``/dev/null``).
    """
    if is_stream_path(path):
        _stream_direct(path, write)
        return
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        try:
            # mkstemp makes the file private (0600); give it the mode a plain open() would, or keep the old file's.
            try:
                mode = os.stat(path).st_mode & 0o7777
            except FileNotFoundError:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.chmod(tmp, mode)
            sink = _CopyingSink(fd)
            write(sink)
            sink.flush()
            os.fsync(fd)
        finally:
            os.close(fd)
        old = _held(path)
        os.replace(tmp, path)
        if old is not None:
            _close_at_the_end(old)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
