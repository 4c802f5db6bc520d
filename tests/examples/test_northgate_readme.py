"""The Northgate example's README shows what capcheck prints on its evidence, not what it once printed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "northgate-health-digital"


def test_the_criteria_excerpt_is_what_frameworks_evidence_prints(run_cli: Any) -> None:
    readme = (EXAMPLE / "README.md").read_text()
    block = re.search(r"The criteria view behind.*?```text\n(.*?)```", readme, re.S)
    assert block, "the README lost its criteria excerpt"
    shown = [line for line in block.group(1).splitlines() if line and line != "..."]
    result = run_cli("frameworks", "caf-4.0", "--evidence", str(EXAMPLE / "evidence"), "--as-of", "2026-11-25")
    assert result.exit_code == 0, result.stderr
    printed = result.stdout.splitlines()
    missing = [line for line in shown if line not in printed]
    assert not missing, f"README lines capcheck no longer prints: {missing}"


def test_the_scorecard_section_gives_the_counts_and_criteria_check_prints(run_cli: Any) -> None:
    readme = (EXAMPLE / "README.md").read_text()
    section = readme.split("## What the scorecard says", 1)[1].split("\n## ", 1)[0]
    result = run_cli("check", str(EXAMPLE / "evidence"), "--as-of", "2026-11-25")
    assert result.exit_code == 1, result.stderr
    summary = re.search(r"^Summary: (\d+) failed .* (\d+) passed", result.stdout, re.M)
    assert summary, result.stdout
    failed, passed = (int(n) for n in summary.groups())
    assert f"({failed:,} failing findings, {passed:,} passing)" in " ".join(section.split())
    printed = dict(re.findall(r"^  ([A-Z]+) +#.* (\d+/\d+/\d+/\d+) +\d+/\d+ ", result.stdout, re.M))
    rows = re.findall(r"^\| ([A-Z, ]+) \| ([\d/, ]+) \|", section, re.M)
    assert len(rows) >= 9, "the README lost its table of criteria per area"
    shown = {a: c for areas, counts in rows for a, c in zip(areas.split(", "), counts.split(", "), strict=True)}
    assert shown == printed
