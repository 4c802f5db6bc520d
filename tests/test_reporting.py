"""core/reporting.py's helpers for streaming reporters: the findings' statuses without the findings, and the
first few of many."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from capcheck.app.runner import CheckRequest, run_check
from capcheck.core.models import RunResult, Severity
from capcheck.core.outcomes import Findings
from capcheck.core.reporting import FirstFew, finding_runs

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
