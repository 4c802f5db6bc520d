"""``Reporter.segment``: a rule's text made apart (in a split check, where its records are) and copied by the writer
into the report, the same bytes as the writer makes itself (tests/test_parallel.py holds it for split checks)."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterator
from datetime import date
from functools import partial
from pathlib import Path

import pytest

from capcheck.builtins.reporters import csv, json, junit, sarif
from capcheck.core.models import RunResult, Status
from capcheck.core.outcomes import Findings, Span
from capcheck.core.reporting import RenderOptions, Reporter, made_chunks, stream_atomic

ROOT = Path(__file__).resolve().parents[2]
REPORTERS = {r.name: r for module in (json, sarif, junit, csv) for r in module.capcheck_reporters()}
RESULTS = ["full_result", "default_result", "governed_result"]
#: Where a SARIF log's paths are relative to (the command line's: the working directory), or none; no cap or the
#: default one (the fixture's results are fewer).
OPTIONS = [RenderOptions(), RenderOptions(base_dir=ROOT, sarif_max_results=0)]


def _written(reporter: Reporter, result: RunResult, options: RenderOptions) -> bytes:
    assert reporter.write is not None
    out = io.BytesIO()
    reporter.write(result, options, out)
    return out.getvalue()


def _apart(result: RunResult) -> tuple[RunResult, Findings]:
    """``result`` with its findings' blocks copied (their segments the test's own), and those findings."""
    findings = result.findings
    assert isinstance(findings, Findings)
    blocks = [dataclasses.replace(b, segments={}) for b in findings.blocks]
    copy = Findings(blocks, findings.evidence, [a.id for a in result.areas])
    return dataclasses.replace(result, findings=copy), copy


class _Piecemeal(Span):
    """A segment in a file, read a few bytes at a time: a hole may straddle two reads."""

    def chunks(self, size: int = 7) -> Iterator[bytes]:
        return super().chunks(size)


def _segmented(
    result: RunResult, name: str, tmp_path: Path | None = None, change: Callable[[bytes], bytes] = bytes
) -> tuple[RunResult, dict[str, bytes]]:
    """``result`` with each block's ``name`` segment (``change``d), in memory or (``tmp_path``) a file's spans."""
    segment = REPORTERS[name].segment
    assert segment is not None
    result, findings = _apart(result)
    made = {block.rule_id: change(b"".join(made_chunks(segment(findings, block)))) for block in findings.blocks}
    if tmp_path is None:
        for block in findings.blocks:
            block.segments[name] = made[block.rule_id]
        return result, made
    path = tmp_path / "segments"
    with path.open("wb") as out:
        for block in findings.blocks:
            block.segments[name] = _Piecemeal(str(path), out.tell(), len(made[block.rule_id]))
            out.write(made[block.rule_id])
    file = path.open("rb")  # read by the writer, closed by the garbage collector as a split check's parent's is
    for block in findings.blocks:
        span = block.segments[name]
        assert isinstance(span, Span)
        span.attach(file)
    return result, made


@pytest.mark.parametrize("name", list(REPORTERS))
@pytest.mark.parametrize("which", RESULTS)
@pytest.mark.parametrize("options", OPTIONS, ids=["plain", "based"])
@pytest.mark.parametrize("in_file", [False, True], ids=["bytes", "span"])
def test_each_rule_s_segment_copied_by_the_writer_is_what_it_writes(
    name: str, which: str, options: RenderOptions, in_file: bool, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Every status (errors, skips, listed passes), waived and baselined failures, hostile values; the segments
    in memory and in a file read a few bytes at a time."""
    result: RunResult = request.getfixturevalue(which)
    reporter = REPORTERS[name]
    segmented, _ = _segmented(result, name, tmp_path if in_file else None)
    assert _written(reporter, segmented, options) == _written(reporter, result, options)


@pytest.mark.parametrize("name", ["json", "csv"])
@pytest.mark.parametrize("which", RESULTS)
def test_segments_copied_into_an_output_file_are_what_it_writes(
    name: str, which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Into an output file (the atomic writer's), a segment kept in a file is copied by the kernel
    (``write_segment``), the JSON document's first without its comma: the file holds what the writer writes."""
    result: RunResult = request.getfixturevalue(which)
    reporter = REPORTERS[name]
    assert reporter.write is not None
    segmented, _ = _segmented(result, name, tmp_path)
    stream_atomic(tmp_path / "report", partial(reporter.write, segmented, RenderOptions()))
    assert (tmp_path / "report").read_bytes() == _written(reporter, result, RenderOptions())


@pytest.mark.parametrize("name", list(REPORTERS))
def test_the_writer_copies_the_segments(name: str, governed_result: RunResult) -> None:
    """What a rule's segment holds is what the report holds for the rule (a mark added to each shows in it)."""
    marked, made = _segmented(governed_result, name, change=lambda data: data + b"<!MARK!>")
    text = _written(REPORTERS[name], marked, RenderOptions(sarif_max_results=0))
    assert text.count(b"<!MARK!>") == len(made) > 3


def test_csv_rows_are_the_rules_segments_one_after_another(governed_result: RunResult) -> None:
    _, made = _segmented(governed_result, "csv")
    findings = governed_result.findings
    assert isinstance(findings, Findings)
    joined = b"".join(made[block.rule_id] for block in findings.blocks)
    text = _written(REPORTERS["csv"], governed_result, RenderOptions())
    assert text == text.split(b"\n", 1)[0] + b"\n" + joined


@pytest.mark.parametrize("limit", [1, 3])
def test_a_capped_sarif_log_copies_no_segment(limit: int, full_result: RunResult) -> None:
    """A cap keeps the most severe results of every rule's: a rule's text made before it was known is not used."""
    marked, _ = _segmented(full_result, "sarif", change=lambda data: data + b"<!MARK!>")
    options = RenderOptions(sarif_max_results=limit)
    text = _written(REPORTERS["sarif"], marked, options)
    assert b"<!MARK!>" not in text
    assert text == _written(REPORTERS["sarif"], full_result, options)


@pytest.mark.parametrize("name", ["sarif", "junit"])
def test_a_segment_listing_passes_the_report_does_not_list_is_not_copied(name: str, full_result: RunResult) -> None:
    """A block's passes are listed in its segment; a report of the same blocks that lists none leaves it unused."""
    assert full_result.include_passed
    marked, _ = _segmented(full_result, name, change=lambda data: data + b"<!MARK!>")
    findings = marked.findings
    assert isinstance(findings, Findings)
    with_passes = sum(any(o.status is Status.PASS for o in b.rows) for b in findings.blocks)
    assert 0 < with_passes < len(findings.blocks)
    hidden = dataclasses.replace(marked, include_passed=False)
    options = RenderOptions(sarif_max_results=0)
    text = _written(REPORTERS[name], hidden, options)
    assert text.count(b"<!MARK!>") == len(findings.blocks) - with_passes
    unmarked = dataclasses.replace(full_result, include_passed=False)
    assert text.replace(b"<!MARK!>", b"") == _written(REPORTERS[name], unmarked, options)


def test_holes_are_filled_from_the_run(governed_result: RunResult) -> None:
    """What a SARIF or JUnit segment cannot know where it is made (the rule's index, the artifacts' locations, the
    baseline's file and states) is a hole; the reports differ only there, once filled."""
    findings = governed_result.findings
    assert isinstance(findings, Findings)
    baselined = next(b for b in findings.blocks if any(o.status is Status.BASELINED for o in b.rows))
    xml = b"".join(junit.junit_segment(findings, baselined))
    assert b'<skipped message="\x00">' in xml and xml.count(b"\x00") == sum(
        o.status is Status.BASELINED for o in baselined.rows
    )
    holes = [h for b in findings.blocks for h in b"".join(sarif.sarif_segment(findings, b)).split(b"\x00")[1::2]]
    assert {hole[:1] for hole in holes} == {b"R", b"F", b"N", b"W"}  # rule, file, failure's and waived's state
    assert bytes.fromhex(holes[0][1:].decode()).decode() == findings.blocks[0].rule_id
    assert b'"baselineState": "unchanged"' in b"".join(sarif.sarif_segment(findings, baselined))  # the same in any run


@pytest.fixture(scope="module")
def large_result(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """INFRA-001 over 7,000 assets at high failure: a block of more findings than any built-in segment's chunk."""
    from capcheck.app.runner import CheckRequest, run_check
    from capcheck.core.models import Severity
    from generator import load_generator

    generate = load_generator()
    out = tmp_path_factory.mktemp("large")
    records = generate.generate_records("it-assets", 7000, 2017, "high-failure")
    generate.write_json(out / "it-assets.json", "it-assets", records, 2017)
    return run_check(
        CheckRequest(paths=[out], as_of=date(2026, 11, 25), fail_on=Severity.LOW, jobs=1, select=["INFRA-001"])
    )


@pytest.mark.parametrize("name", list(REPORTERS))
def test_a_large_block_s_segment_comes_in_chunks(name: str, large_result: RunResult) -> None:
    """A block of thousands of findings is made a chunk at a time, never joined whole (in a split check at 1M records
    a register, one rule's text was hundreds of megabytes, three copies of it in fresh memory); the chunks are the
    bytes the writer writes for the block."""
    segment = REPORTERS[name].segment
    assert segment is not None
    result, findings = _apart(large_result)
    (block,) = findings.blocks
    assert len(block.rows) > 2048  # the largest chunk of rows (JSON's, CSV's)
    chunks = list(made_chunks(segment(findings, block)))
    assert len(chunks) >= 2
    assert all(chunks)  # none empty
    block.segments[name] = b"".join(chunks)
    assert _written(REPORTERS[name], result, RenderOptions(sarif_max_results=0)) == _written(
        REPORTERS[name], large_result, RenderOptions(sarif_max_results=0)
    )


def test_a_segment_given_whole_is_written_as_one_chunk() -> None:
    """A plugin reporter's ``segment`` written before plugin API 1.5 returns bytes: they are one chunk, not bytes
    iterated one at a time."""
    assert list(made_chunks(b"abc")) == [b"abc"]
    assert list(made_chunks(iter([b"a", b"bc"]))) == [b"a", b"bc"]
