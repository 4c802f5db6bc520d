"""Every built-in rule's behaviour, as data: one case file per rule in tests/rule_cases/."""

from __future__ import annotations

from pathlib import Path

import pytest

from capcheck.config import Config
from capcheck.runner import load_registry
from capcheck.testing import case_files, load_cases, run_case_file

CASES = Path(__file__).parent / "rule_cases"


@pytest.mark.parametrize("path", case_files(CASES), ids=lambda p: p.stem)
def test_rule_case_file(path: Path) -> None:
    run_case_file(path)


def test_every_builtin_rule_has_passing_and_failing_cases() -> None:
    registry = load_registry(Config())
    covered: dict[str, set[str]] = {}
    for path in case_files(CASES):
        doc = load_cases(path)
        statuses = covered.setdefault(str(doc["rule"]), set())
        for case in doc["cases"]:
            statuses.update(str(s) for s in (case.get("expect") or {}).values())
    builtin = {r.meta.id for r in registry.rules.values() if r.source.type == "builtin"}
    missing = sorted(rule_id for rule_id in builtin if not {"pass", "fail"} <= covered.get(rule_id, set()))
    assert not missing, f"rules without both a passing and a failing case: {missing}"


def test_harness_reports_a_wrong_expectation(tmp_path: Path) -> None:
    case = tmp_path / "wrong.yaml"
    case.write_text(
        "rule: COMM-001\nas_of: 2026-11-25\ncases:\n  - name: wrong\n    evidence:\n      supplier-contracts:\n"
        "        - {id: C-1, title: A, supplier: S, value: 1, start_date: 2024-01-01, status: active}\n"
        "    expect: {C-1: pass}\n"
    )
    with pytest.raises(AssertionError, match="wrong.yaml:4: wrong: C-1: expected pass, got fail: contract C-1"):
        run_case_file(case)
