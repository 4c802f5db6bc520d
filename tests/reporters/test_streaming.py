"""The streaming writers (SARIF, JUnit, text, Markdown, HTML, the CI formats): one output whichever way
the findings come.

A run's findings are lazy (:class:`~capcheck.core.outcomes.Findings`: compact blocks a writer reads one
run at a time); a plugin's or a hand-built result's are plain values, which the writers take another path
through. Both must give the same bytes, for the example, the fixture runs and lazy findings with hostile
values (Hypothesis), at every display option that changes the output, and at any chunk size; the bytes
themselves are pinned by the golden files (``test_golden.py``).
"""

from __future__ import annotations

import dataclasses
import functools
import io
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_reporters_fuzz import values

from capcheck.app.config import Config
from capcheck.app.runner import CheckRequest, load_registry, load_request_evidence, run_check
from capcheck.builtins.reporters import azure, github, gitlab, html, junit, markdown, sarif, text
from capcheck.core import outcomes
from capcheck.core.engine import evaluate
from capcheck.core.models import Outcome, RunResult, Severity, Status
from capcheck.core.outcomes import Findings
from capcheck.core.reporting import ByteStream, RenderOptions, stream_atomic
from capcheck.core.rules import rule

HERE = Path(__file__).parent
EVIDENCE = HERE / "fixtures" / "evidence"
EXAMPLE = HERE.parent.parent / "examples" / "northgate-health-digital" / "evidence"
AS_OF = date(2026, 11, 25)

Writer = Callable[[RunResult, RenderOptions, ByteStream], None]

#: (name, the streaming writer).
REPORTERS: list[tuple[str, Writer]] = [
    ("sarif", sarif.write_sarif),
    ("junit", junit.write_junit),
    ("text", text.write_text),
    ("markdown", markdown.write_markdown),
    ("html", html.write_html),
    ("github", github.write_github),
    ("azure-devops", azure.write_azure),
    ("gitlab", gitlab.write_gitlab),
]
IDS = [name for name, _ in REPORTERS]

#: Display options that change what a format writes.
OPTIONS = [
    RenderOptions(base_dir=Path.cwd()),
    RenderOptions(sarif_max_results=3, limit=0, layout="compact", markdown_limit=2000),
    RenderOptions(sarif_max_results=1, limit=2, show=frozenset({"fail", "waived", "pass", "criteria"}), debug=True),
    RenderOptions(sarif_max_results=0, layout="quiet", min_severity=Severity.HIGH, color=True, markdown_limit=0),
]


def written(write: Writer, result: RunResult, options: RenderOptions) -> bytes:
    out = io.BytesIO()
    write(result, options, out)
    return out.getvalue()


def materialised(result: RunResult) -> RunResult:
    """``result`` with its findings as plain values (a plugin's result), in the same order."""
    return dataclasses.replace(result, findings=tuple(result.findings))


def same(write: Writer, result: RunResult, options: RenderOptions) -> None:
    """A run's lazy findings and the same findings as plain values: the same bytes."""
    assert isinstance(result.findings, Findings), "a run's findings are lazy"
    assert written(write, result, options) == written(write, materialised(result), options)


@functools.cache
def _run(paths: tuple[Path, ...], **kwargs: Any) -> RunResult:
    return run_check(CheckRequest(paths=list(paths), as_of=AS_OF, fail_on=Severity.LOW, **kwargs))


@pytest.mark.parametrize(("name", "write"), REPORTERS, ids=IDS)
@pytest.mark.parametrize("options", OPTIONS)
def test_the_fixture_runs(
    name: str,
    write: Writer,
    options: RenderOptions,
    full_result: RunResult,
    default_result: RunResult,
    governed_result: RunResult,
    scorecard_result: RunResult,
) -> None:
    for result in (full_result, default_result, governed_result, scorecard_result):
        same(write, result, options)


@pytest.mark.parametrize(("name", "write"), REPORTERS, ids=IDS)
@pytest.mark.parametrize("options", OPTIONS[:3])
def test_the_example(name: str, write: Writer, options: RenderOptions) -> None:
    result = _run((EXAMPLE,), include_passed=True)
    assert len(result.findings) > 100
    same(write, result, options)


FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- lazy findings (a run's) with hostile values ---------------------------------------------------------

#: Statuses a generated rule gives its outcomes (passes are listed by the fixture run).
_STATUSES = [Status.FAIL, Status.FAIL, Status.ERROR, Status.SKIP, Status.PASS]


@functools.cache
def _evidence() -> Any:
    return load_request_evidence(load_registry(Config()), CheckRequest(paths=[EVIDENCE]))


def _lazy(base: RunResult, v: list[str], statuses: list[int]) -> RunResult:
    """``base`` with the findings of three generated rules (three areas, three severities): their
    messages, record ids and groups are ``v``'s hostile values, their statuses ``statuses`` (their
    titles and fixes are hostile too, but fixed: rule metadata refuses a lone surrogate; a title's
    colon, comma, semicolon and bracket end a CI property unless escaped)."""
    evidence = _evidence()
    records = [r["id"] for r in evidence.records("supplier-contracts")]
    # A lone surrogate names no finding: the fingerprint (UTF-8) refuses one in a record id or group.
    names = [re.sub("[\ud800-\udfff]", "?", value) for value in v]

    def check(n: int) -> Callable[[Any, Any], Iterator[Outcome]]:
        def outcomes(evidence: Any, ctx: Any) -> Iterator[Outcome]:
            # One outcome per record or group (the engine makes a second one an error): numbered apart.
            for i, pick in enumerate(statuses):
                record = records[i] if (i + n) % 3 and i < len(records) else f"{names[i % len(v)]} #{i}"
                group = f"{names[(i + 1) % len(v)]} #{i}" if (i + n) % 4 == 0 else None
                status = _STATUSES[(pick + n) % len(_STATUSES)]
                yield Outcome(status, "supplier-contracts", None if group else record, v[(i + n) % len(v)], group=group)

        return outcomes

    rules = [
        rule(id=f"{area}-99{n}", area=area, title=f"Generated <b>|{n}`\x1b[2J: a, b; c]", severity=severity,
             kinds=["supplier-contracts"], description="d", rationale="r", remediation="fix &amp; \u202e it. Then")(
            check(n))
        for n, (area, severity) in enumerate([("COMM", "high"), ("GOV", "low"), ("INFRA", "critical")])
    ]  # fmt: skip
    evaluation = evaluate(rules, evidence, as_of=AS_OF, include_passed=True)
    order = tuple(a.id for a in sorted(base.areas, key=lambda a: (a.order, a.id)))
    findings = Findings(evaluation.outcomes, evidence, order)
    return dataclasses.replace(base, findings=findings, summary=evaluation.summary, include_passed=True)


@pytest.mark.parametrize(("name", "write"), REPORTERS, ids=IDS)
@FUZZ
@given(v=values, statuses=st.lists(st.integers(0, 4), min_size=1, max_size=30), pick=st.integers(0, len(OPTIONS) - 1))
def test_lazy_findings_with_hostile_values(
    name: str, write: Writer, v: list[str], statuses: list[int], pick: int
) -> None:
    # The same findings as plain values (a plugin's result) take the other path: the same bytes.
    same(write, _lazy(_run((EVIDENCE,)), v, statuses), OPTIONS[pick])


@pytest.mark.parametrize(("module", "write"), [(sarif, REPORTERS[0][1]), (junit, REPORTERS[1][1]),
                                               (text, REPORTERS[2][1]), (html, REPORTERS[4][1]),
                                               (github, REPORTERS[5][1]), (azure, REPORTERS[6][1]),
                                               (gitlab, REPORTERS[7][1])],
                         ids=[*IDS[:3], *IDS[4:]])  # fmt: skip
def test_chunks_join_at_any_size(
    module: Any, write: Writer, full_result: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = RenderOptions(sarif_max_results=0, layout="compact")
    expected = {written(write, r, options) for r in (full_result, materialised(full_result))}
    assert len(expected) == 1
    for size in (1, 2, 7):
        monkeypatch.setattr(module, "_CHUNK", size)
        assert written(write, full_result, options) in expected
        assert written(write, materialised(full_result), options) in expected


# -- atomic writes ---------------------------------------------------------------------------------------


class _Breaking:
    """A stream that passes ``after`` writes on, then fails (a full disk, a crash mid-report)."""

    def __init__(self, stream: ByteStream, after: int) -> None:
        self.stream = stream
        self.after = after

    def write(self, data: bytes) -> object:
        if self.after <= 0:
            raise OSError(28, "No space left on device")
        self.after -= 1
        return self.stream.write(data)


@pytest.mark.parametrize(("name", "write"), REPORTERS, ids=IDS)
def test_a_write_that_fails_midway_leaves_the_previous_file(
    name: str, write: Writer, full_result: RunResult, tmp_path: Path
) -> None:
    options = RenderOptions(sarif_max_results=0, layout="compact")
    target = tmp_path / f"report.{name}"
    target.write_text("previous")
    writes = io.BytesIO()
    counter = _Counting(writes)
    write(full_result, options, counter)
    assert counter.writes >= (1 if name == "markdown" else 2)  # the streaming ones write in pieces
    for after in sorted({0, counter.writes // 2, counter.writes - 1}):
        with pytest.raises(OSError, match="No space"):
            stream_atomic(target, lambda stream, after=after: write(full_result, options, _Breaking(stream, after)))
        assert target.read_text() == "previous"
        assert os.listdir(tmp_path) == [target.name]
    stream_atomic(target, lambda stream: write(full_result, options, stream))
    assert target.read_bytes() == writes.getvalue()


class _Counting:
    def __init__(self, stream: io.BytesIO) -> None:
        self.stream = stream
        self.writes = 0

    def write(self, data: bytes) -> object:
        self.writes += 1
        return self.stream.write(data)


# -- HTML's caps, the CI formats' caps and job summary, each finding made once ---------------------------

#: The streaming writers of the formats that keep a few of many (the rows in a page, annotations per level).
_CAPPED = [r for r in REPORTERS if r[0] in ("html", "github", "azure-devops", "gitlab")]


@pytest.mark.parametrize(("rows", "page"), [(50, 7), (3, 200), (1, 1)])
def test_html_caps_on_lazy_findings(rows: int, page: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's rows capped below the run's findings (MAX_ROWS) and the first page of markup (PAGE) at
    other sizes, the data block split into chunks of 2: the same bytes from lazy findings as from values."""
    monkeypatch.setattr(html, "MAX_ROWS", rows)
    monkeypatch.setattr(html, "PAGE", page)
    monkeypatch.setattr(html, "_CHUNK", 2)
    result = _run((EXAMPLE,), include_passed=True)
    assert len(result.findings) > rows
    same(html.write_html, result, RenderOptions())


def _made(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str | None]]:
    """Count the findings a run's lazy findings make from here on, by rule and fingerprint."""
    made: Counter[tuple[str, str | None]] = Counter()
    real = outcomes.Finding

    def counting(*fields: Any) -> Any:
        f = real(*fields)
        made[(f.rule_id, f.fingerprint)] += 1
        return f

    monkeypatch.setattr(outcomes, "Finding", counting)
    return made


@pytest.mark.parametrize(("name", "write"), _CAPPED, ids=[r[0] for r in _CAPPED])
def test_each_finding_is_made_once(name: str, write: Writer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run's findings are read once: HTML makes only the findings it lists (MAX_ROWS), a CI format the
    failures and errors (the few annotated ones, at most the cap per level, are made twice)."""
    result = _run((EXAMPLE,), include_passed=True)
    assert isinstance(result.findings, Findings)
    failing = Counter((f.rule_id, f.fingerprint) for f in result.findings if f.status in (Status.FAIL, Status.ERROR))
    monkeypatch.setattr(html, "MAX_ROWS", 40)
    made = _made(monkeypatch)
    write(result, RenderOptions(), io.BytesIO())
    if name == "html":
        assert sum(made.values()) == 40
        return
    assert all(made[key] >= n for key, n in failing.items())  # every failure is in the log or report
    twice = sum(made[key] - n for key, n in failing.items() if made[key] > n)  # the annotations, then the log
    cap = {"github": 3 * github.MAX_PER_LEVEL, "azure-devops": 2 * azure.MAX_PER_TYPE, "gitlab": 0}[name]
    assert twice == cap == 0 or 0 < twice <= cap
    # A rule's failures mostly side by side are read in one pass, the few other rows between made and dropped.
    others = sum(n for key, n in made.items() if key not in failing)
    assert others <= sum(failing.values()) // 2


def test_github_caps_annotations_per_level_and_appends_the_job_summary(tmp_path: Path) -> None:
    """The example fails more than ten times at each level: ten of each are annotated, the most severe
    first; the Markdown report is appended to ``$GITHUB_STEP_SUMMARY`` as the job summary."""
    result = _run((EXAMPLE,))
    text = github.render_github(result, RenderOptions())
    for level in ("error", "warning"):
        assert sum(line.startswith(f"::{level} ") for line in text.splitlines()) == github.MAX_PER_LEVEL
    same(github.write_github, result, RenderOptions())
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n")
    github.append_step_summary(result, RenderOptions(), {github.STEP_SUMMARY: str(summary)})
    report = markdown.render_markdown(result, RenderOptions())
    assert report.startswith("## ") and report.endswith("\n")
    assert summary.read_text() == "# earlier step\n" + report


@pytest.mark.parametrize(("name", "write"), _CAPPED[1:], ids=[r[0] for r in _CAPPED[1:]])
def test_a_rule_in_two_blocks_is_sorted(name: str, write: Writer) -> None:
    """A run whose findings hold one rule's block twice (its rows interleave in the findings' order): the CI
    formats cannot order them by rule alone, and sort the findings, as they sort plain values."""
    base = _lazy(_run((EVIDENCE,)), ["a", "b", "c", "d", "e", "f", "g", "h"], [0, 1, 2, 0, 1, 0])
    findings = base.findings
    assert isinstance(findings, Findings)
    twice = Findings([*findings.blocks, findings.blocks[0]], findings.evidence, [a.id for a in base.areas])
    same(write, dataclasses.replace(base, findings=twice), RenderOptions())
