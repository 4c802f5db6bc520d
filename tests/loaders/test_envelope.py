"""What every document loader shares (``capcheck.core.loading``): the envelope, UTF-8, JSON-like values."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

FORMATS = ["formats/pretty.json", "formats/oneline.json", "formats/records.yaml", "formats/records.toml"]


@pytest.mark.parametrize("fixture", [*FORMATS, "formats/it-assets.csv"])
def test_every_format_gives_the_same_records(load, copy_fixture: Callable[..., Path], fixture: str) -> None:
    evidence = load(copy_fixture(f"evidence/{fixture}"))
    assert list(evidence.records("it-assets")) == [
        {
            "id": "AST-1",
            "name": "web-01",
            "product": "nginx",
            "environment": "production",
            "criticality": "high",
            "internet_facing": True,
            "end_of_life": "2026-04-01",
        },
        {
            "id": "AST-2",
            "name": "{not [a bracket",
            "product": "postgresql",
            "environment": "staging",
            "criticality": "low",
            "internet_facing": False,
        },
    ]


def test_an_unknown_kind_lists_the_known_ones(load, copy_fixture: Callable[..., Path], kinds: dict[str, Any]) -> None:
    assert load.problems(copy_fixture("evidence/bad/unknown-kind.json")) == [
        f"unknown-kind.json: /kind: unknown evidence kind 'risk-log' (known kinds: {', '.join(sorted(kinds))})"
    ]


def test_a_misspelt_kind_gets_a_did_you_mean(load, workdir: Path) -> None:
    (workdir / "assets.json").write_text('{"kind": "IT-Asset", "records": []}')
    [problem] = load.problems("assets.json")
    assert problem.startswith("assets.json: /kind: unknown evidence kind 'IT-Asset' (did you mean 'it-assets'?) (known")


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "top-level-list.json",
            ["top-level-list.json:1: /: the top level must be an object with 'kind' and 'records', not a list"],
        ),
        (
            "missing-kind.json",
            ['missing-kind.json:1: /kind: missing \'kind\': name the evidence kind, e.g. "kind": "it-assets"'],
        ),
        ("records-not-list.yaml", ["records-not-list.yaml:2: /records: 'records' must be a list, not an object"]),
        ("non-string-id.yaml", ["non-string-id.yaml:8: /records/1/id: each record needs a non-empty string 'id'"]),
    ],
)  # fmt: skip
def test_wrong_shapes(load, copy_fixture: Callable[..., Path], fixture: str, expected: list[str]) -> None:
    assert load.problems(copy_fixture(f"evidence/bad/{fixture}")) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"kind": 3, "records": []}', "x.json:1: /kind: 'kind' must be a string, not a number"),
        ('{"kind": "it-assets", "records": "AST-1"}', "x.json:1: /records: 'records' must be a list, not a string"),
        ('{"kind": "it-assets", "records": [], "source": 1}', "x.json:1: /source: 'source' must be a string"),
        (
            '{"kind": "it-assets", "records": [], "schema_version": 1.0}',
            "x.json:1: /schema_version: 'schema_version'"
            " must be a string: quote it (YAML and TOML read 1.0 unquoted as a number)",
        ),
        (
            '{"kind": "it-assets", "records": [],\n "collected_on": "last tuesday"}',
            "x.json:2: /collected_on: 'collected_on' must be an ISO date (YYYY-MM-DD), not 'last tuesday'",
        ),
        ('{"kind": "it-assets", "records": [],\n "a/b~c": 1}', "x.json:2: /a~1b~0c: unknown top-level key 'a/b~c'"),
        ('{"kind": "it-assets", "records": [{"id": ""}]}', "x.json:1: /records/0/id: each record needs"),
    ],
)
def test_envelope_values(load, workdir: Path, text: str, expected: str) -> None:
    (workdir / "x.json").write_text(text)
    [problem] = load.problems("x.json")
    assert problem.startswith(expected)


def test_envelope_metadata_is_kept(load, copy_fixture: Callable[..., Path]) -> None:
    evidence = load(copy_fixture("evidence/mixed/supplier-contracts.json"))
    [info] = evidence.files
    assert (info.schema_version, info.source, info.collected_on) == ("1.0", "commercial system export", "2025-03-31")
    assert info.as_dict()["collected_on"] == "2025-03-31"


def test_a_rule_file_given_as_evidence_says_so(load, tmp_path) -> None:
    rule_file = tmp_path / "COMM-950.toml"
    rule_file.write_text('[[rule]]\nid = "COMM-950"\n')
    framework = tmp_path / "caf.toml"
    framework.write_text('[framework]\nid = "caf"\n')
    problems = load.problems(tmp_path)
    assert any(
        "COMM-950.toml:1: /: this is a declarative rule file, not evidence (give rule files with --rules)" in p
        for p in problems
    ), problems
    assert any("caf.toml:1: /: this is a framework file, not evidence" in p for p in problems), problems


def test_end_of_life_product_data_given_as_evidence_says_so(load, workdir: Path) -> None:
    """endoflife.date's product data (as research copies hold it) is reference data: one problem saying what it
    is, not four about a missing envelope."""
    products = {"source": {"name": "endoflife.date"}, "products": {"python": {"cycles": [{"releaseCycle": "3.8"}]}}}
    (workdir / "endoflife-date-products.json").write_text(json.dumps(products, indent=1))
    assert load.problems("endoflife-date-products.json") == [
        "endoflife-date-products.json:5: /: this is end-of-life product data (endoflife.date), not evidence"
        " (capcheck bundles a dated snapshot and fills in assets' end of life from it;"
        " tools/refresh_endoflife.py refreshes it)"
    ]


@pytest.mark.parametrize("name", ["ncsc-caf-v4.0.json", "cyber-assessment-framework-v4.0.yaml"])
def test_the_ncsc_caf_given_as_evidence_says_so(load, workdir: Path, name: str) -> None:
    """The CAF as WebCAF publishes it (YAML; research copies hold it as JSON with a 'source' object) is the
    criteria, not evidence: it gave four envelope problems ('missing records', 'source must be a string' ...)."""
    caf = {"source": {"repo": "co-cddo/domains-webcaf"}, "assessment-rules": {"1": ["achieved", "all"]}}
    caf["objectives"] = {"A": {"title": "Managing security risk", "principles": {}}}
    text = json.dumps(caf, indent=1) if name.endswith(".json") else yaml.safe_dump(caf, sort_keys=False)
    (workdir / name).write_text(text)
    [problem] = load.problems(name)
    assert problem.startswith(f"{name}:")
    assert problem.endswith(
        "/: this is a cyber assessment framework's structure (the NCSC CAF's objectives and outcomes), not evidence"
        " (capcheck bundles CAF 4.0 as the framework caf-4.0, its outcomes cited by the rules: capcheck frameworks"
        " caf-4.0)"
    )


def test_a_json_schema_given_as_evidence_says_so(load, workdir: Path) -> None:
    """OCDS publishes its schemas beside its data: one problem saying what the file is, not nine."""
    schema = {"id": "https://standard.open-contracting.org/schema/1__1__5/release-package-schema.json"}
    schema |= {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object", "properties": {}}
    (workdir / "release-package-schema.json").write_text(json.dumps(schema, indent=2))
    assert load.problems("release-package-schema.json") == [
        "release-package-schema.json:3: /: this is a JSON Schema, not evidence"
    ]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "waivers.yaml",
            "waivers:\n  - rule: INFRA-001\n",
            "waivers.yaml:1: /: this is a waivers file, not evidence (name it with --waivers or the config's"
            " 'waivers', outside the evidence directory)",
        ),
        (
            "baseline.json",
            '{"capcheck_baseline": "1.0", "findings": []}',
            "baseline.json:1: /: this is a capcheck baseline, not evidence (name it with --baseline or the config's"
            " 'baseline', outside the evidence directory)",
        ),
        (
            "findings.json",
            '{"schema_version": "1.0", "tool": {}, "findings": []}',
            "findings.json:1: /: this is a capcheck findings document (check --format json), not evidence",
        ),
        (
            "COMM-002.yaml",
            "rule: COMM-002\ncases: []\n",
            "COMM-002.yaml:2: /: this is a rule case file, not evidence (run it with capcheck test)",
        ),
    ],
)
def test_capchecks_own_documents_given_as_evidence_say_what_they_are(
    load, workdir: Path, name: str, text: str, expected: str
) -> None:
    # A waivers file kept in the evidence directory got three problems about a missing envelope.
    (workdir / name).write_text(text)
    assert load.problems(name) == [expected]


def test_a_blank_text_value_is_said_to_be_blank(load, workdir: Path) -> None:
    # The schemas refuse blank text with the pattern "\S", and the message quoted the regular expression.
    record = {"id": "A-1", "name": "web", "product": "nginx", "environment": "production", "criticality": "high"}
    (workdir / "assets.json").write_text(json.dumps({"kind": "it-assets", "records": [{**record, "owner": "  "}]}))
    assert load.problems("assets.json") == [
        "assets.json:1: /records/0/owner: \"  \" is blank: give a value, or leave the field out (kind 'it-assets')"
    ]


_ASSET = {"id": "AST-1", "name": "web-01", "product": "nginx", "environment": "production", "criticality": "high"}


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (
            "2.0",
            "x.json: /schema_version: version 2.0 of the it-assets schema is newer than this capcheck reads (1.x, "
            "current 1.0): export the register as version 1.x, or use a capcheck (or plugin) that has its schema",
        ),
        ("0.3", "x.json: /schema_version: version 0.3 of the it-assets schema is older than this capcheck reads (1.x)"),
        ("v1", "x.json: /schema_version: not a version of the it-assets schema (1.x, e.g. '1.0'): 'v1'"),
    ],
)
def test_a_schema_version_the_kind_does_not_have_is_refused(load, workdir: Path, version: str, expected: str) -> None:
    """The envelope's schema_version was read and never checked: records of another schema were judged as 1.0's."""
    (workdir / "x.json").write_text(json.dumps({"kind": "it-assets", "schema_version": version, "records": [_ASSET]}))
    assert load.problems("x.json") == [expected]


@pytest.mark.parametrize(("version", "noted"), [("1.0", False), ("1", False), ("1.0.3", False), ("1.2", True)])
def test_a_newer_minor_schema_version_is_read_with_a_note(load, workdir: Path, version: str, noted: bool) -> None:
    (workdir / "x.yaml").write_text(
        f"kind: it-assets\nschema_version: '{version}'\nrecords:\n  - {json.dumps(_ASSET)}\n"
    )
    [info] = load("x.yaml").files
    assert info.schema_version == version
    expected = (
        f"follows version {version} of the it-assets schema; this capcheck has 1.0: fields added since are read, "
        "and no rule judges them"
    )
    assert info.notes == ((expected,) if noted else ())


def test_a_kind_declares_its_schema_version(kinds: dict[str, Any], workdir: Path, load) -> None:
    from capcheck.core.kinds import EvidenceKind, kind_problems

    assert {kind.schema_version for kind in kinds.values()} == {"1.0"}
    schema = {"type": "object", "x-capcheck-schema-version": "2.1", "properties": {"id": {"type": "string"}}}
    kind = EvidenceKind(id="acme.roster", title="Roster", schema=schema)
    assert kind.schema_version == "2.1" and kind_problems(kind, "acme") == []
    bad = EvidenceKind(id="acme.roster", title="Roster", schema={**schema, "x-capcheck-schema-version": 2})
    assert [str(p) for p in kind_problems(bad, "acme")] == [
        "plugin 'acme': evidence kind 'acme.roster': x-capcheck-schema-version must be a version such as \"1.0\", not 2"
    ]
