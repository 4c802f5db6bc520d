"""The public rule-case harness reads case files like every side input: bounded, no aliases, located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from capcheck.errors import RuleFileError
from capcheck.testing import load_cases


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"rule: X\ncases: &c []\nmore: *c\n", "case.yaml:3: YAML aliases (*name) are not allowed in a rule case file"),
        (b"rule: X\nrule: Y\ncases: []\n", "case.yaml:2: malformed YAML: duplicate key 'rule'"),
        (b"rule: X\ncases: [{as_of: 2027-02-30}]\n", "case.yaml:2: malformed YAML: '2027-02-30' is not a valid date"),
    ],
)
def test_a_hostile_case_file_is_a_located_error(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes(content)
    with pytest.raises(RuleFileError) as info:
        load_cases(path)
    assert str(info.value).startswith(f"{tmp_path.as_posix()}/{expected}")
