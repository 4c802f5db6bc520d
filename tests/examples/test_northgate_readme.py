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
