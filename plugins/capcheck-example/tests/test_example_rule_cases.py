"""The plugin's rules tested as data: one YAML case file per rule, through capcheck's real engine."""

from pathlib import Path

import pytest
from capcheck.testing import case_files, run_case_file

CASES = Path(__file__).parent / "cases"


@pytest.mark.parametrize("path", case_files(CASES), ids=lambda p: p.stem)
def test_rule_cases(path: Path, plugin_modules: tuple[str, ...]) -> None:
    run_case_file(path, plugins=plugin_modules)


def test_every_rule_has_a_case_file() -> None:
    from capcheck_example.checks import RULES

    declarative = {p.stem for p in (CASES.parent.parent / "src" / "capcheck_example" / "rules").glob("*.toml")}
    assert {p.stem for p in case_files(CASES)} == declarative | {r.id for r in RULES}
