"""The maturity scorecard: weighted pass rates, caps, insufficient evidence, the gate, and its config."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from pydantic import ValidationError

from capcheck.models import Area, Severity, Status, Summary
from capcheck.scorecard import ScorecardConfig, compute_scorecard, gate_failures

AREAS = [Area(id="COMM", title="Commercial", order=1), Area(id="INFRA", title="Infrastructure", order=2)]


def _summary(rows: dict[str, tuple[str, str, dict[str, int]]]) -> Summary:
    """rule id -> (area, severity, {status: count})."""
    summary = Summary()
    for rule_id, (area, severity, counts) in rows.items():
        for status, n in counts.items():
            summary.add(Status(status), Severity(severity), area, n, rule_id=rule_id)
    return summary


def _score(rows: dict[str, tuple[str, str, dict[str, int]]], config: ScorecardConfig | None = None) -> dict:
    summary = _summary(rows)
    by_area: dict[str, list[str]] = {}
    for rule_id, (area, _, _) in rows.items():
        by_area.setdefault(area, []).append(rule_id)
    return {row.area: row for row in compute_scorecard(summary, AREAS, by_area, config or ScorecardConfig())}


def test_levels_follow_the_severity_weighted_pass_rate() -> None:
    rows = _score(
        {
            "COMM-001": ("COMM", "low", {"pass": 10, "fail": 0}),  # 1.0, weight 1
            "COMM-002": ("COMM", "medium", {"pass": 5, "fail": 5}),  # 0.5, weight 2
        }
    )
    comm = rows["COMM"]
    assert comm.score == pytest.approx((1.0 * 1 + 0.5 * 2) / 3)
    assert (comm.level, comm.name, comm.status) == (2, "developing", "scored")
    assert comm.cap is None


def test_a_critical_failure_caps_the_level_however_good_the_rest() -> None:
    rows = _score(
        {
            "COMM-001": ("COMM", "low", {"pass": 1000}),
            "COMM-002": ("COMM", "critical", {"pass": 999, "fail": 1}),
        }
    )
    assert rows["COMM"].score > 0.99
    assert rows["COMM"].level == 2
    assert rows["COMM"].cap == "a critical failure caps the level at 2"


def test_waived_and_baselined_failures_still_count_as_failures() -> None:
    rows = _score({"COMM-001": ("COMM", "high", {"pass": 1, "waived": 1, "baselined": 2})})
    assert rows["COMM"].score == pytest.approx(0.25)
    assert rows["COMM"].failed == 3


def test_insufficient_evidence_is_never_a_good_score() -> None:
    rows = _score(
        {
            "INFRA-001": ("INFRA", "high", {"skip": 1}),
            "INFRA-002": ("INFRA", "high", {"skip": 3}),
            "INFRA-003": ("INFRA", "low", {"pass": 5}),
        }
    )
    infra = rows["INFRA"]
    assert (infra.level, infra.status, infra.name) == (None, "insufficient-evidence", "insufficient evidence")
    assert rows["COMM"].status == "no-rules"


def test_an_error_makes_the_area_incomplete() -> None:
    rows = _score({"COMM-001": ("COMM", "low", {"pass": 5}), "COMM-002": ("COMM", "low", {"error": 1})})
    assert (rows["COMM"].level, rows["COMM"].status) == (None, "incomplete")


def test_thresholds_weights_caps_and_coverage_are_configurable() -> None:
    rows = {
        "COMM-001": ("COMM", "high", {"pass": 9, "fail": 1}),
        "COMM-002": ("COMM", "low", {"skip": 1}),
    }
    default = _score(rows)["COMM"]
    assert (default.level, default.cap) == (3, "a high failure caps the level at 3")
    relaxed = _score(rows, ScorecardConfig(caps={}, thresholds=[0.2, 0.4, 0.6, 0.8]))["COMM"]
    assert relaxed.level == 5
    strict = _score(rows, ScorecardConfig(min_coverage=1.0))["COMM"]
    assert strict.status == "insufficient-evidence"


@pytest.mark.parametrize(
    "bad",
    [{"thresholds": [0.5, 0.4, 0.8, 0.9]}, {"thresholds": [0.5]}, {"caps": {"high": 7}}, {"weights": {"low": -1}}],
)
def test_bad_scorecard_config_is_refused(bad: dict) -> None:
    with pytest.raises(ValidationError):
        ScorecardConfig(**bad)


def test_the_gate_names_each_area_below_its_minimum() -> None:
    rows = _score(
        {"COMM-001": ("COMM", "low", {"pass": 1, "fail": 9}), "INFRA-001": ("INFRA", "low", {"skip": 1})}
    ).values()
    assert gate_failures(list(rows), {"*": 2}) == [
        "COMM: level 1 (initial) is below the minimum level 2",
        "INFRA: insufficient evidence, so it cannot meet the minimum level 2",
    ]
    assert gate_failures(list(rows), {"COMM": 1}) == []


def test_the_scorecard_and_the_gate_through_the_cli(
    run_cli, copy_fixture, check_argv: Callable[..., list[str]]
) -> None:
    evidence = copy_fixture("evidence/mixed")
    args = [*check_argv(evidence, as_of="2025-04-01"), "--fail-on", "never"]
    doc = json.loads(run_cli(*args, "-f", "json").stdout)
    levels = {row["area"]: row["level"] for row in doc["scorecard"]}
    assert len(levels) == 11 and levels["COMM"] is not None
    passing = run_cli(*args, "--min-level", "1")
    assert passing.exit_code == 0
    gated = run_cli(*args, "--min-level", "COMM=5")
    assert gated.exit_code == 1
    assert "Gate: COMM: level" in gated.stdout
    bad = run_cli(*args, "--min-level", "COMM=9")
    assert bad.exit_code == 2 and "--min-level takes N or AREA=N" in bad.stderr
    unknown = run_cli(*args, "--min-level", "NOPE=2")
    assert unknown.exit_code == 2 and "unknown area 'NOPE'" in unknown.stderr
    text = run_cli(*args).stdout
    assert "Maturity scorecard" in text and "COMM" in text
