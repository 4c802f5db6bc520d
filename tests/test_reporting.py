"""core/reporting.py's helpers for streaming reporters: the findings' statuses without the findings, and the
first few of many."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import io
import os
import shutil
import stat
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capcheck.app.runner import CheckRequest, run_check
from capcheck.core import reporting
from capcheck.core.models import RunResult, Severity
from capcheck.core.outcomes import Findings, Span, Spans
from capcheck.core.reporting import (
    ByteStream,
    FirstFew,
    RenderOptions,
    copy_range,
    finding_runs,
    is_stream_path,
    stream_atomic,
    verdict_word,
    write_atomic,
    write_segment,
)

EVIDENCE = Path(__file__).parent / "reporters" / "fixtures" / "evidence"
WAIVERS = Path(__file__).parent / "reporters" / "fixtures" / "waivers.yaml"


def _governed() -> RunResult:
    request = CheckRequest(paths=[EVIDENCE], as_of=date(2026, 11, 25), fail_on=Severity.LOW, waivers=WAIVERS)
    return run_check(dataclasses.replace(request, include_passed=True))


def test_finding_runs_are_the_findings_statuses_in_order() -> None:
    result = _governed()
    findings = result.findings
    assert isinstance(findings, Findings)
    runs = list(finding_runs(findings))
    assert len(runs) < len(findings)  # one run per rule, not per finding
    assert [s for run in runs for s in run.statuses] == [f.status for f in findings]
    for run in runs:
        assert run.start == sum(len(r.statuses) for r in runs[: runs.index(run)])
        made = findings[run.start : run.start + len(run.statuses)]
        assert {(f.rule_id, f.area, f.severity) for f in made} == {(run.rule_id, run.area, run.severity)}
    # Any other sequence: one run per finding, the same statuses.
    plain = list(finding_runs(tuple(findings)))
    assert [(r.rule_id, tuple(r.statuses), r.start) for r in plain] == [
        (f.rule_id, (f.status,), i) for i, f in enumerate(findings)
    ]


@given(items=st.lists(st.tuples(st.integers(0, 5), st.integers()), max_size=60), n=st.none() | st.integers(0, 8))
def test_first_few_is_the_head_of_the_stable_sort(items: list[tuple[int, int]], n: int | None) -> None:
    few: FirstFew[tuple[int, int]] = FirstFew(n, key=lambda item: item[0])  # ties: the order they came in
    for item in items:
        few.add(item)
    expected = sorted(items, key=lambda item: item[0])
    assert few.items() == (expected if n is None else expected[:n])
    assert few.count == len(items)
    few.add((0, 0))  # added after being read: still in order
    again = sorted([*items, (0, 0)], key=lambda item: item[0])
    assert few.items() == (again if n is None else again[:n])


# Outputs that are not files to replace: renaming a temporary file over them would put a regular file in their
# place (run as root, `-o /dev/null` replaced the system's /dev/null). These tests use a FIFO and a symlink to
# /dev/null in tmp_path, so that the code before the fix replaced only those, never a device.


def test_a_fifo_output_is_written_to_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader first, so the writer's open does not wait
    try:
        write_atomic(fifo, '{"a": 1}\n')
        assert os.read(reader, 1024) == b'{"a": 1}\n'
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["report.fifo"]  # no temporary file left


def test_a_symlink_to_a_device_is_written_through_and_kept(tmp_path: Path) -> None:
    link = tmp_path / "null"
    link.symlink_to(os.devnull)
    write_atomic(link, "discarded\n")
    assert os.path.islink(link) and os.readlink(link) == os.devnull
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_dev_and_proc_entries_are_streams_and_ordinary_paths_are_not(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_text("{}")
    (tmp_path / "link.json").symlink_to(tmp_path / "old.json")
    assert not is_stream_path(tmp_path / "old.json")
    assert not is_stream_path(tmp_path / "link.json")  # a symlink to a file is replaced, never followed
    assert not is_stream_path(tmp_path / "new.json")
    assert not is_stream_path(tmp_path)
    assert is_stream_path(Path(os.devnull))
    if Path("/proc/self/fd").is_dir():  # /dev/stdout leads to fd 1, a regular file when redirected to one
        assert is_stream_path(Path("/proc/self/fd/1")) or not os.path.exists("/proc/self/fd/1")
    if Path("/dev/shm").is_dir():  # a plain file there is replaced like any other (it was appended to)
        shm = Path(tempfile.mkdtemp(dir="/dev/shm")) / "report.json"
        try:
            shm.write_text("old\n")
            assert not is_stream_path(shm)
            write_atomic(shm, "new\n")
            assert shm.read_text() == "new\n"
        finally:
            shutil.rmtree(shm.parent)


def _check(paths: list[Path], **changes: object) -> RunResult:
    request = CheckRequest(paths=paths, as_of=date(2026, 11, 25), fail_on=Severity.LOW)
    return run_check(dataclasses.replace(request, **changes))


def test_a_run_that_judged_nothing_is_not_judged_not_passed(tmp_path: Path) -> None:
    """Registers holding no record: every rule skips, the run exits 0, and no report calls that a pass."""
    (tmp_path / "it-assets.json").write_text('{"kind": "it-assets", "records": []}\n', encoding="utf-8")
    result = _check([tmp_path])
    assert result.exit_code == 0 and result.summary.by_status["skip"] > 0
    assert verdict_word(result) == "NOT JUDGED"
    from capcheck.builtins.reporters.markdown import render_markdown
    from capcheck.builtins.reporters.text import verdict_line

    assert verdict_line(result, color=False).startswith("Result: NOT JUDGED - no rule judged any record (")
    assert "NOT JUDGED" in render_markdown(result, RenderOptions()).splitlines()[0]


def test_judged_records_make_it_a_pass_and_failures_still_fail() -> None:
    # --fail-on never over a rule that judged two records (one failing): exit 0, a pass, not "not judged"
    judged = _check([EVIDENCE], select=["GOV-001"], fail_on=None)
    assert judged.exit_code == 0 and judged.summary.by_status["pass"] == 1
    assert verdict_word(judged) == "PASSED"
    failing = _check([EVIDENCE])  # 24 failures at or above low, beside 62 skips
    assert failing.exit_code == 1 and verdict_word(failing) == "FAILED"


def test_render_by_is_what_write_writes_named_as_bound() -> None:
    """One helper for every streaming reporter's ``render`` (each built-in reporter repeated a BytesIO wrapper):
    the text is the written bytes decoded, the function is importable by the name its module binds (so it
    pickles, as a worker process's result would need), and bytes that are not UTF-8 fail, not pass."""
    import importlib
    import pickle

    from capcheck.app.config import Config
    from capcheck.app.runner import load_registry
    from capcheck.core.reporting import render_by

    result = _governed()
    options = RenderOptions()
    streaming = [r for r in load_registry(Config()).reporters.values() if r.write is not None]
    assert len(streaming) >= 10
    for reporter in streaming:
        assert reporter.write is not None
        out: list[bytes] = []
        reporter.write(result, options, _Collect(out))
        assert reporter.render(result, options) == b"".join(out).decode("utf-8"), reporter.name
        module = importlib.import_module(reporter.render.__module__)
        assert getattr(module, reporter.render.__qualname__) is reporter.render, reporter.name
    from capcheck.builtins.reporters.csv import render_csv

    assert pickle.loads(pickle.dumps(render_csv)) is render_csv

    def write_latin1(result: RunResult, options: RenderOptions, stream: ByteStream) -> None:
        stream.write("caf\u00e9".encode("latin-1"))

    render = render_by(write_latin1)
    assert render.__name__ == "render_latin1"
    try:
        render(result, options)
    except UnicodeDecodeError:
        pass
    else:  # pragma: no cover - the assertion's message
        raise AssertionError("a write of Latin-1 bytes was rendered")


class _Collect:
    def __init__(self, parts: list[bytes]) -> None:
        self.parts = parts

    def write(self, data: bytes, /) -> int:
        self.parts.append(data)
        return len(data)


# --- Segments copied file to file ---------------------------------------------------------------------------------


def _segment_file(tmp_path: Path, data: bytes) -> tuple[Path, int]:
    path = tmp_path / "segments"
    path.write_bytes(data)
    return path, os.open(path, os.O_RDONLY)


def _copied(tmp_path: Path, fd: int, offset: int, length: int) -> bytes:
    out = tmp_path / "out"
    with out.open("wb") as dst:
        dst.write(b"<")
        dst.flush()
        copy_range(fd, offset, length, dst.fileno())
        dst.write(b">")
    return out.read_bytes()


DATA = bytes(range(256)) * 4099  # a little over a megabyte: more than one read of the last way


@pytest.mark.parametrize(
    "refused",
    [(), ("copy_file_range",), ("copy_file_range", "sendfile")],
    ids=["copy_file_range", "sendfile", "read-write"],
)
@pytest.mark.parametrize("code", [errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP])
def test_copy_range_copies_the_range_whatever_way_the_system_allows(
    refused: tuple[str, ...], code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each way the kernel refuses as not supported here falls to the next, down to reading and writing; the bytes
    are the range asked for, written at the output's position, and the source's position is not moved."""
    monkeypatch.setattr(reporting, "KERNEL_COPY_BYTES", 0)
    _, fd = _segment_file(tmp_path, DATA)
    calls: list[str] = []
    for name in ("copy_file_range", "sendfile"):
        real = getattr(os, name)

        def way(*args: object, _name: str = name, _real: object = real) -> int:
            calls.append(_name)
            if _name in refused:
                raise OSError(code, os.strerror(code))
            return _real(*args)  # type: ignore[operator, no-any-return]  # the real os function

        monkeypatch.setattr(os, name, way)
    try:
        assert _copied(tmp_path, fd, 1000, len(DATA) - 2000) == b"<" + DATA[1000:-1000] + b">"
        assert os.lseek(fd, 0, os.SEEK_CUR) == 0
    finally:
        os.close(fd)
    assert calls[: len(refused) + 1] == ["copy_file_range", "sendfile"][: len(refused) + 1]


def test_copy_range_raises_what_is_not_a_missing_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk is the output's error, never taken for a way the system lacks (nothing else is tried)."""
    monkeypatch.setattr(reporting, "KERNEL_COPY_BYTES", 0)
    _, fd = _segment_file(tmp_path, DATA)

    def full(*_: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "copy_file_range", full)
    monkeypatch.setattr(os, "sendfile", lambda *_: pytest.fail("tried after a full disk"))
    try:
        with pytest.raises(OSError) as raised:
            _copied(tmp_path, fd, 0, 10)
        assert raised.value.errno == errno.ENOSPC
    finally:
        os.close(fd)


@pytest.mark.parametrize("refused", [0, 1, 2])
def test_copy_range_says_when_the_source_is_short(
    refused: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reporting, "KERNEL_COPY_BYTES", 0)
    _, fd = _segment_file(tmp_path, b"0123456789")
    for name in ("copy_file_range", "sendfile")[:refused]:
        monkeypatch.setattr(os, name, lambda *_: (_ for _ in ()).throw(OSError(errno.ENOSYS, "no")))
    try:
        with pytest.raises(OSError, match="5 bytes missing"):
            _copied(tmp_path, fd, 5, 10)
    finally:
        os.close(fd)


@pytest.mark.parametrize("skip", [0, 1, 3, 4, 9])
@pytest.mark.parametrize("into", ["file", "memory"])
def test_write_segment_writes_the_spans_less_their_first_bytes(skip: int, into: str, tmp_path: Path) -> None:
    """A segment in one span or several, into an output file (copied in the kernel) or any other stream (read and
    written): the same bytes, the first ``skip`` left out even where they span two files' ranges."""
    path, fd = _segment_file(tmp_path, b"abcdefghij")
    file = os.fdopen(fd, "rb")
    first, second = Span(str(path), 1, 3), Span(str(path), 6, 4)  # "bcd", "ghij"
    for span in (first, second):
        span.attach(file)
    try:
        for made, text in ((first, b"bcd"), (Spans([first, second]), b"bcdghij"), (b"xyz", b"xyz")):
            if into == "memory":
                out = io.BytesIO()
                assert write_segment(out, made, skip) == len(text[skip:])
                assert out.getvalue() == text[skip:]
            else:
                target = tmp_path / "report"
                stream_atomic(target, lambda stream, made=made: write_segment(stream, made, skip))  # type: ignore[misc]
                assert target.read_bytes() == text[skip:]
    finally:
        file.close()


def test_the_atomic_stream_copies_segments_in_the_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An output file takes a segment kept in a file without reading it into the process, after what was written
    before it, once it is :data:`KERNEL_COPY_BYTES` long (a shorter one is read and written, which costs less)."""
    monkeypatch.setattr(reporting, "KERNEL_COPY_BYTES", len(DATA))
    path, fd = _segment_file(tmp_path, DATA)
    file = os.fdopen(fd, "rb")
    span = Span(str(path), 0, len(DATA))
    span.attach(file)
    copied: list[int] = []
    real = os.copy_file_range

    def counted(src: int, dst: int, count: int, *args: int) -> int:
        copied.append(count)
        return real(src, dst, count, *args)

    monkeypatch.setattr(os, "copy_file_range", counted)
    monkeypatch.setattr(os, "pread", lambda *_: pytest.fail("read into the process"))

    def write(stream: ByteStream) -> None:
        stream.write(b"head")
        write_segment(stream, span)
        stream.write(b"tail")

    try:
        stream_atomic(tmp_path / "report", write)
    finally:
        file.close()
    assert (tmp_path / "report").read_bytes() == b"head" + DATA + b"tail"
    assert sum(copied) == len(DATA)


def _holding(name: Path) -> list[int]:
    """This process's descriptors open on the deleted file once at ``name``."""
    held = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{fd}") == f"{name} (deleted)":
                held.append(int(fd))
    return held


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc/self/fd (Linux)")
@pytest.mark.parametrize("teardown", [True, False])
def test_a_replaced_output_is_freed_at_the_end_of_a_process_without_teardown(
    teardown: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console script leaves the old report's blocks and pages to be freed when it ends (in the background, once
    handed off); a library caller frees them at once, as the rename did."""
    from capcheck.core import process

    monkeypatch.setattr(process, "_KEPT", None if teardown else [])
    target = tmp_path / "report.json"
    target.write_bytes(b"old" * 1000)
    stream_atomic(target, lambda stream: stream.write(b"new"))
    held = _holding(target)
    for fd in held:
        os.close(fd)
    assert target.read_bytes() == b"new"
    assert len(held) == (0 if teardown else 1)


def test_a_range_shorter_than_the_kernel_copy_bound_is_read_and_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One byte short of :data:`KERNEL_COPY_BYTES`: read and written through the process, never copy_file_range."""
    monkeypatch.setattr(reporting, "KERNEL_COPY_BYTES", len(DATA) - 999)
    monkeypatch.setattr(os, "copy_file_range", lambda *_: pytest.fail("copied in the kernel"))
    monkeypatch.setattr(os, "sendfile", lambda *_: pytest.fail("copied in the kernel"))
    _, fd = _segment_file(tmp_path, DATA)
    try:
        assert _copied(tmp_path, fd, 999, len(DATA) - 1000) == b"<" + DATA[999:-1] + b">"
    finally:
        os.close(fd)
