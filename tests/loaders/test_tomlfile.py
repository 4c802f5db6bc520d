"""The TOML loader: ``[[records]]`` tables, their lines, dates as strings, malformed input."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest


def test_records_tables_have_their_header_lines(load, copy_fixture: Callable[..., Path]) -> None:
    evidence = load(copy_fixture("evidence/formats/records.toml"))
    assert evidence.ref("it-assets", "AST-1").line == 4
    assert evidence.ref("it-assets", "AST-2").line == 13


def test_toml_dates_become_iso_strings(load, copy_fixture: Callable[..., Path]) -> None:
    evidence = load(copy_fixture("evidence/formats/records.toml"))
    record = evidence.get("it-assets", "AST-1")
    assert record is not None and record["end_of_life"] == "2026-04-01"


def test_missing_id_names_the_records_table(load, copy_fixture: Callable[..., Path]) -> None:
    [problem] = load.problems(copy_fixture("evidence/bad/missing-id.toml"))
    assert problem == "missing-id.toml:10: /records/1/id: each record needs a non-empty string 'id'"


def test_malformed_toml_names_the_line(load, copy_fixture: Callable[..., Path]) -> None:
    [problem] = load.problems(copy_fixture("evidence/bad/malformed.toml"))
    assert problem.startswith("malformed.toml:5: malformed TOML: ")
    assert "(at line" not in problem  # the line is in the location, once


def test_empty_toml_file_lacks_kind_and_records(load, copy_fixture: Callable[..., Path]) -> None:
    problems = load.problems(copy_fixture("evidence/bad/empty.toml"))
    assert problems == [
        'empty.toml:1: /kind: missing \'kind\': name the evidence kind, e.g. "kind": "it-assets"',
        "empty.toml:1: /records: missing 'records': the records must be a list under 'records'",
    ]


def test_deep_toml_nesting_is_refused_quickly(load, workdir: Path) -> None:
    (workdir / "deep.toml").write_text('kind = "it-assets"\nrecords = []\nx = ' + "[" * 10_000 + "]" * 10_000 + "\n")
    started = time.perf_counter()
    [problem] = load.problems("deep.toml")
    assert time.perf_counter() - started < 5
    assert problem.startswith("deep.toml")
    assert "deep" in problem


def test_nesting_beyond_the_limit_is_refused_with_a_pointer(load, workdir: Path) -> None:
    (workdir / "nested.toml").write_text('kind = "it-assets"\nrecords = []\nx = ' + "[" * 70 + "]" * 70 + "\n")
    [problem] = load.problems("nested.toml")
    assert problem.startswith("nested.toml: /x/0/0/")
    assert problem.endswith("nested more than 64 levels deep")


def test_unknown_top_level_key_names_its_line(load, workdir: Path) -> None:
    (workdir / "extra.toml").write_text('kind = "it-assets"\nrecords = []\nowner = "me"\n')
    [problem] = load.problems("extra.toml")
    assert problem.startswith("extra.toml:3: /owner: unknown top-level key 'owner'")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'kind = "it-assets"\n[[records]]\nid = "A-1"\nn = ' + "9" * 5000 + "\n",
            "big.toml:4: an integer of 5000 digits",
        ),
        (
            'kind = "it-assets"\nx = ' + "[" * 100_000 + "]" * 100_000 + "\n",
            "big.toml: nested more than 64 levels deep",
        ),
    ],
)
def test_huge_integers_and_deep_nesting_are_located_not_loader_failures(
    load, workdir: Path, body: str, expected: str
) -> None:
    (workdir / "big.toml").write_text(body)
    [problem] = load.problems("big.toml")
    assert problem.startswith(expected)
