"""Rule case files: read like every side input (bounded, no aliases, located errors) and validated against
schemas/rule-cases.schema.json, each problem said for a person."""

from __future__ import annotations

from pathlib import Path

import pytest

from capcheck.app.casefiles import load_case_file, load_cases
from capcheck.core.errors import RuleFileError

CONTRACT = "{id: C-1, title: A, supplier: S, value: 1, start_date: 2020-01-01, status: active, last_review: 2026-01-10}"


def _case_file(tmp_path: Path, case: str, *, rule: str = "COMM-002", name: str = "case.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        f"rule: {rule}\nas_of: 2026-11-25\ncases:\n  - name: one\n"
        f"    evidence:\n      supplier-contracts:\n        - {CONTRACT}\n{case}"
    )
    return path


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


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "    expect: {C-1: passed}\n",
            "case.yaml:8: /cases/0/expect/C-1: 'passed' is not a status: expect pass, fail, skip, error, or a table "
            "{status, severity, message}",
        ),
        (
            "    expected: {C-1: pass}\n",
            "case.yaml:8: /cases/0/expected: unknown key 'expected' (did you mean 'expect'?)",
        ),
        (
            "    expect: {C-1: {status: fail, severity: hihg}}\n",
            "case.yaml:8: /cases/0/expect/C-1/severity: 'hihg' is not one of ['info', 'low', 'medium', 'high', "
            "'critical']",
        ),
        ("    expect_skip: false\n", "case.yaml:8: /cases/0/expect_skip: True was expected"),
        ("", "case.yaml:4: /cases/0: a case needs 'expect' (record id -> status) or 'expect_skip: true'"),
    ],
)
def test_an_invalid_case_file_is_a_located_error_saying_what_is_allowed(
    tmp_path: Path, case: str, expected: str
) -> None:
    with pytest.raises(RuleFileError) as info:
        load_case_file(_case_file(tmp_path, case))
    assert f"{tmp_path.as_posix()}/{expected}" in [str(p) for p in info.value.problems]


def test_a_misspelt_key_in_an_expectation_table_is_named_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError) as info:
        load_case_file(_case_file(tmp_path, "    expect: {C-1: {status: fail, sevrity: high}}\n"))
    assert [f"{p.pointer}: {p.message}" for p in info.value.problems] == [
        "/cases/0/expect/C-1/sevrity: unknown key 'sevrity' (did you mean 'severity'?)"
    ]
