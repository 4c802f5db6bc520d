"""The YAML loader: safe loading only, no aliases, bounded nesting, line numbers, dates as strings."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest


def test_yaml_records_have_their_lines(load, copy_fixture: Callable[..., Path]) -> None:
    evidence = load(copy_fixture("evidence/formats/records.yaml"))
    assert evidence.ref("it-assets", "AST-1").line == 4
    assert evidence.ref("it-assets", "AST-2").line == 12
    assert evidence.ref("it-assets", "AST-2").pointer == "/records/1"


def test_yaml_dates_become_iso_strings(load, copy_fixture: Callable[..., Path]) -> None:
    evidence = load(copy_fixture("evidence/formats/records.yaml"))
    assert evidence.get("it-assets", "AST-1") is not None
    assert evidence.get("it-assets", "AST-1")["end_of_life"] == "2026-04-01"


def test_collected_on_date_is_kept_as_metadata(load, copy_fixture: Callable[..., Path]) -> None:
    evidence = load(copy_fixture("evidence/mixed/governance-register.yaml"))
    [info] = evidence.files
    assert (info.format, info.kind, info.records, info.collected_on) == ("yaml", "governance-register", 6, "2025-03-31")


def test_billion_laughs_is_refused_at_the_first_alias(load, copy_fixture: Callable[..., Path]) -> None:
    started = time.perf_counter()
    [problem] = load.problems(copy_fixture("evidence/bad/billion-laughs.yaml"))
    assert time.perf_counter() - started < 5
    assert problem.startswith("billion-laughs.yaml:3: YAML aliases (*name) are not allowed")


def test_a_single_alias_is_refused_too(load, workdir: Path) -> None:
    (workdir / "alias.yaml").write_text(
        "kind: it-assets\nrecords:\n  - &one {id: AST-1, name: n, product: p, environment: dr, criticality: low}\n"
        "  - *one\n"
    )
    [problem] = load.problems("alias.yaml")
    assert problem.startswith("alias.yaml:4: YAML aliases")


@pytest.mark.parametrize("merge", ["<<: {status: retired}", "<<: [{status: retired}]"])
def test_a_merge_key_is_refused_by_name_and_a_quoted_one_is_text(load, workdir: Path, merge: str) -> None:
    """A merge key (<<) was "malformed YAML: could not determine a constructor for the tag
    'tag:yaml.org,2002:merge'"."""
    head = "kind: it-assets\nrecords:\n  - id: A-1\n    name: n\n    product: p\n    environment: production\n"
    (workdir / "merge.yaml").write_text(f"{head}    criticality: low\n    {merge}\n")
    assert load.problems("merge.yaml") == [
        "merge.yaml:8: YAML merge keys (<<) are not allowed in evidence: write the values out"
    ]
    (workdir / "quoted.yaml").write_text(f"{head}    criticality: low\n    notes: '<<'\n")
    assert load("quoted.yaml").get("it-assets", "A-1")["notes"] == "<<"


def test_python_tags_never_run_code(load, copy_fixture: Callable[..., Path], workdir: Path) -> None:
    [problem] = load.problems(copy_fixture("evidence/bad/python-object.yaml"))
    assert problem.startswith("python-object.yaml:4: malformed YAML: ")
    assert "python/object/apply:os.system" in problem
    assert not (workdir / "CAPCHECK_PWNED").exists()


@pytest.mark.parametrize(
    "body",
    [
        "x: " + "[" * 10_000 + "]" * 10_000 + "\n",
        "x: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n",
        "x:\n" + "".join("  " * i + "-\n" for i in range(1, 2_000)),
    ],
    ids=["flow-sequences", "flow-mappings", "block-sequences"],
)
def test_deep_nesting_is_refused_quickly(load, workdir: Path, body: str) -> None:
    (workdir / "deep.yaml").write_text("kind: it-assets\nrecords: []\n" + body)
    started = time.perf_counter()
    [problem] = load.problems("deep.yaml")
    assert time.perf_counter() - started < 5
    assert re.match(r"deep\.yaml:\d+: ", problem), problem
    assert "nest" in problem


def test_malformed_yaml_names_the_line(load, copy_fixture: Callable[..., Path]) -> None:
    [problem] = load.problems(copy_fixture("evidence/bad/malformed.yaml"))
    assert problem.startswith("malformed.yaml:5: malformed YAML: ")


def test_latin1_yaml(load, copy_fixture: Callable[..., Path]) -> None:
    [problem] = load.problems(copy_fixture("evidence/bad/latin1.yaml"))
    assert problem.startswith("latin1.yaml:4: not valid UTF-8 (byte 0xe9")


def test_empty_yaml_file(load, copy_fixture: Callable[..., Path]) -> None:
    [problem] = load.problems(copy_fixture("evidence/bad/empty.yaml"))
    assert problem == "empty.yaml:1: the file is empty: expected an object with 'kind' and 'records'"


def test_more_than_one_document(load, workdir: Path) -> None:
    (workdir / "two.yaml").write_text("kind: it-assets\nrecords: []\n---\nkind: it-assets\nrecords: []\n")
    [problem] = load.problems("two.yaml")
    assert problem.startswith("two.yaml:3: more than one YAML document")


@pytest.mark.parametrize(
    ("value", "cause"),
    [(".nan", "not an allowed number"), (".inf", "not an allowed number"), ("!!binary aGk=", "bytes")],
)
def test_values_json_cannot_hold_are_refused(load, workdir: Path, value: str, cause: str) -> None:
    (workdir / "odd.yaml").write_text(f"kind: it-assets\nrecords:\n  - id: AST-1\n    x: {value}\n")
    [problem] = load.problems("odd.yaml")
    assert problem.startswith("odd.yaml: /records/0/x: ")
    assert cause in problem


def test_non_string_keys_are_refused(load, workdir: Path) -> None:
    (workdir / "keys.yaml").write_text("kind: it-assets\nrecords:\n  - {id: AST-1, 7: seven}\n")
    [problem] = load.problems("keys.yaml")
    assert problem == "keys.yaml: /records/0: keys must be strings, not a number"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("kind: it-assets\nrecords:\n- id: A-1\n  id: A-2\n", "dup.yaml:4: malformed YAML: duplicate key 'id'"),
        ("kind: it-assets\nkind: it-assets\nrecords: []\n", "dup.yaml:2: malformed YAML: duplicate key 'kind'"),
        ("kind: it-assets\nrecords:\n- id: A-1\n  n: " + "9" * 5000 + "\n", "dup.yaml:4: malformed YAML: '999"),
        ("kind: it-assets\nrecords:\n- id: A-1\n  d: 2027-02-30\n", "dup.yaml:4: malformed YAML: '2027-02-30' is not"),
    ],
)
def test_duplicate_keys_huge_integers_and_impossible_dates_are_located(
    load, workdir: Path, body: str, expected: str
) -> None:
    (workdir / "dup.yaml").write_text(body)
    [problem] = load.problems("dup.yaml")
    assert problem.startswith(expected)
    assert len(problem) < 200  # the 5000-digit value is not echoed whole
