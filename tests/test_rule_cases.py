"""Every built-in rule's behaviour, as data: one case file per rule in tests/rule_cases/, run through
``capcheck test`` (with capcheck installed, the pytest plugin also collects each case as its own item)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from capcheck.cli import cli

CASES = Path(__file__).parent / "rule_cases"
#: The floor for the pack's coverage (cases both ways, every condition branch true and false): every branch of
#: every built-in rule is exercised both ways; a new rule's cases must do the same (the failure lists what is not).
MIN_COVERAGE = "100"


def test_the_pack_cases_pass_and_every_builtin_rule_has_passing_and_failing_cases() -> None:
    result = CliRunner().invoke(
        cli, ["test", str(CASES), "--require-tests", "--coverage", "--min-coverage", MIN_COVERAGE, "-f", "json"]
    )
    doc = json.loads(result.stdout)
    failed = [f"{c['location']}: {m}" for f in doc["files"] for c in f["cases"] for m in c["mismatches"]]
    assert not failed, "\n".join(failed)
    gaps = [
        f"{r['rule']} {n['pointer']} ({n['condition']}): never {'true' if not n['true'] else 'false'}"
        for r in doc["coverage"]["rules"]
        for n in r["nodes"]
        if not (n["true"] and n["false"])
    ]
    assert doc["gate_failures"] == [], "condition branches no case exercises both ways:\n" + "\n".join(gaps)
    rules = doc["coverage"]["rules"]
    missing = [r["rule"] for r in rules if not (r["has_pass"] and r["has_fail"])]
    assert not missing, f"rules without both a passing and a failing case: {missing}"
    assert result.exit_code == 0, result.stderr
