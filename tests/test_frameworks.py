"""Frameworks as data: criteria, coverage by rules' criteria metadata, the CLI, and bad criteria refused."""

from __future__ import annotations

import json
from pathlib import Path

from capcheck.frameworks import bundled_frameworks, coverage


def test_bundled_frameworks_load_with_their_criteria() -> None:
    frameworks = {f.id: f for f in bundled_frameworks()}
    assert {"caf", "gds-ss", "tcop", "dora", "govs", "dspt"} <= set(frameworks)
    assert len(frameworks["caf"].criteria) == 41  # the CAF v4.0 contributing outcomes
    assert len(frameworks["gds-ss"].criteria) == 14
    assert {c.id for c in frameworks["caf"].criteria} >= {"A1.a", "B4.d", "D2.b"}


def test_coverage_maps_rules_to_criteria_and_the_rest_are_manual() -> None:
    caf = next(f for f in bundled_frameworks() if f.id == "caf")
    rows = {row.id: row for row in coverage(caf, {"X-001": ("caf:B4.d",), "X-002": ("caf:B4.d", "tcop:6")})}
    assert rows["B4.d"].rules == ("X-001", "X-002") and rows["B4.d"].mode == "automated"
    assert rows["A1.a"].rules == () and rows["A1.a"].mode == "manual"
    assert rows["B4.d"].as_dict()["id"] == "caf:B4.d"


def test_frameworks_cli(run_cli) -> None:
    listing = run_cli("frameworks")
    assert listing.exit_code == 0 and "caf" in listing.stdout
    doc = json.loads(run_cli("frameworks", "caf", "-f", "json").stdout)
    modes = {c["id"]: c["mode"] for c in doc["criteria"]}
    assert modes["caf:B4.d"] == "automated" and "manual" in modes.values()
    shown = run_cli("frameworks", "dora").stdout
    assert "dora:lead-time" in shown and "criteria automated" in shown
    unknown = run_cli("frameworks", "iso27001")
    assert unknown.exit_code == 2 and "unknown framework 'iso27001'" in unknown.stderr


def test_a_rule_naming_an_unknown_criterion_is_refused(run_cli, workdir: Path) -> None:
    rules = workdir / "rules"
    rules.mkdir()
    (rules / "COMM-950.toml").write_text(
        '[[rule]]\nid = "COMM-950"\ntitle = "Contracts have owners"\narea = "COMM"\nseverity = "low"\n'
        'kind = "supplier-contracts"\ndescription = "d"\nrationale = "r"\nremediation = "m"\n'
        'criteria = ["caf:Z9.z"]\nrequire = { field = "owner", exists = true }\n'
    )
    result = run_cli("rules", "list", "--rules", rules)
    assert result.exit_code == 2
    assert "unknown criterion 'caf:Z9.z'" in result.stderr
