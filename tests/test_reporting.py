"""core/reporting.py's helpers for streaming reporters: the findings' statuses without the findings, and the
first few of many."""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
import tempfile
from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from capcheck.app.runner import CheckRequest, run_check
from capcheck.core.models import RunResult, Severity
from capcheck.core.outcomes import Findings
from capcheck.core.reporting import FirstFew, RenderOptions, finding_runs, is_stream_path, verdict_word, write_atomic

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
    from capcheck.core.reporting import ByteStream, render_by

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
