"""The bundled evidence kind schemas, and the example organisation's evidence against them."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from capcheck.builtins.loaders.csvfile import load_csv
from capcheck.core.kinds import EvidenceKind, bundled_kinds, kind_problems
from capcheck.core.loading import LoadContext, SourceFile

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "schemas" / "evidence"
EXAMPLE = ROOT / "examples" / "northgate-health-digital" / "evidence"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
CORE_KINDS = ("governance-register", "it-assets", "supplier-contracts")
EXAMPLE_FILES = {
    "supplier-contracts": EXAMPLE / "supplier-contracts.json",
    "it-assets": EXAMPLE / "it-assets.csv",
    "governance-register": EXAMPLE / "governance-register.yaml",
}
#: Scalar JSON types a CSV cell can be typed to.
SIMPLE_TYPES = {"string", "integer", "number", "boolean"}

SCHEMA_FILES = sorted(SCHEMAS.glob("*.schema.json"))


def _load_schema(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


def _iso_dates(value: Any) -> Any:
    """YAML dates as ISO strings, as capcheck's YAML loader reads them."""
    if isinstance(value, dict):
        return {k: _iso_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso_dates(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _example_records(kind: str) -> list[dict[str, Any]]:
    path = EXAMPLE_FILES[kind]
    if path.suffix == ".csv":
        kinds = {k.id: k for k in bundled_kinds()}
        source = SourceFile(path=path, display=path.name, data=path.read_bytes())
        (document,) = load_csv(source, LoadContext(kinds=kinds))
        assert document.kind == kind
        return list(document.records)
    if path.suffix == ".json":
        doc = json.loads(path.read_text(encoding="utf-8"))
    else:
        doc = _iso_dates(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert doc["kind"] == kind
    assert doc["schema_version"] == "1.0"
    assert doc["source"]
    date.fromisoformat(doc["collected_on"])
    assert set(doc) == {"kind", "schema_version", "source", "collected_on", "records"}
    records: list[dict[str, Any]] = doc["records"]
    return records


def _validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = _load_schema(SCHEMAS / f"{kind}.schema.json")
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


# ----------------------------------------------------------------------------------- the schemas


def test_the_core_kinds_are_bundled() -> None:
    assert {p.name.removesuffix(".schema.json") for p in SCHEMA_FILES} >= set(CORE_KINDS)
    assert {k.id for k in bundled_kinds()} >= set(CORE_KINDS)


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_is_valid_draft_2020_12(path: Path) -> None:
    schema = _load_schema(path)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == DRAFT_2020_12
    assert schema["$id"] == f"https://capcheck.dev/schemas/evidence/{path.name}"


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_is_documented(path: Path) -> None:
    schema = _load_schema(path)
    assert schema.get("title", "").strip()
    assert len(schema.get("description", "")) >= 80, "say what register this is and who keeps it"
    assert schema["type"] == "object"
    assert schema.get("additionalProperties", True) is not False, "records may carry extra fields"
    props = schema["properties"]
    assert "id" in schema["required"]
    assert set(schema["required"]) <= set(props), "every required field is declared"
    for name, spec in props.items():
        assert spec.get("description", "").strip(), f"{name} has no description"
        assert "type" in spec, f"{name} has no type"


#: Fields that are objects on purpose, with why. The organisation profile is one record whose estate is a
#: map keyed by evidence kind (plugin kinds included): it is written in YAML or JSON, never as a CSV register.
NESTED_FIELDS = {("organisation.schema.json", "estate")}


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_property_types_are_csv_friendly(path: Path) -> None:
    """A single scalar type, or an array of scalars: what a CSV cell can be typed to."""
    for name, spec in _load_schema(path)["properties"].items():
        if (path.name, name) in NESTED_FIELDS:
            continue
        if spec["type"] == "array":
            assert spec["items"]["type"] in SIMPLE_TYPES, name
        else:
            assert spec["type"] in SIMPLE_TYPES, name


@pytest.mark.parametrize("kind", CORE_KINDS)
def test_ids_and_dates_are_constrained(kind: str) -> None:
    props = _load_schema(SCHEMAS / f"{kind}.schema.json")["properties"]
    assert props["id"] == {**props["id"], "type": "string", "minLength": 1}
    for name, spec in props.items():
        if name.endswith(("_date", "_on", "_review", "_reviewed", "_patched")) or name == "end_of_life":
            assert spec.get("format") == "date", f"{name} should be format: date"


def _non_empty_strings(node: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("minLength", 0) >= 1:
            found.append((where, node))
        for key, child in node.items():
            found.extend(_non_empty_strings(child, f"{where}/{key}"))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found.extend(_non_empty_strings(child, f"{where}/{i}"))
    return found


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.stem)
def test_text_that_must_not_be_empty_must_not_be_blank(path: Path) -> None:
    # An owner of only spaces is no owner: every non-empty text field needs a non-space character.
    blank_ok = [
        where
        for where, spec in _non_empty_strings(_load_schema(path), "")
        if jsonschema.Draft202012Validator(spec).is_valid(" \t ")
    ]
    assert not blank_ok, f"{path.name}: these text fields accept a blank value: {blank_ok}"


def test_kind_field_types_follow_the_schemas() -> None:
    kinds = {k.id: k for k in bundled_kinds()}
    assert kinds["supplier-contracts"].field_types["value"] == "number"
    assert kinds["supplier-contracts"].field_types["exit_plan"] == "boolean"
    assert kinds["supplier-contracts"].field_types["notice_period_days"] == "integer"
    assert kinds["it-assets"].field_types["internet_facing"] == "boolean"
    assert kinds["it-assets"].field_types["version"] == "string"
    assert kinds["governance-register"].field_types["linked_controls"] == "array:string"
    assert kinds["governance-register"].field_types["risk_score"] == "integer"
    for kind in CORE_KINDS:
        assert isinstance(kinds[kind], EvidenceKind)
        assert kinds[kind].required[0] == "id"


@pytest.mark.parametrize(
    ("kind", "record"),
    [
        (
            "supplier-contracts",
            {"id": "C1", "title": "t", "supplier": "s", "value": -1, "start_date": "2026-01-01", "status": "active"},
        ),
        (
            "supplier-contracts",
            {"id": "C1", "title": "t", "supplier": "s", "value": 1, "start_date": "2026-13-01", "status": "active"},
        ),
        (
            "supplier-contracts",
            {"id": "C1", "title": "t", "supplier": "s", "value": 1, "start_date": "2026-01-01", "status": "live"},
        ),
        (
            "supplier-contracts",
            {
                "id": "C1",
                "title": "t",
                "supplier": "s",
                "value": 1,
                "start_date": "2026-01-01",
                "status": "active",
                "currency": "gbp",
            },
        ),
        ("it-assets", {"id": "", "name": "n", "product": "p", "environment": "production", "criticality": "high"}),
        ("it-assets", {"id": " ", "name": "n", "product": "p", "environment": "production", "criticality": "high"}),
        ("governance-register", {"id": "R1", "title": "t", "entry_type": "risk", "status": "open", "owner": " \t"}),
        (
            "supplier-contracts",
            {
                "id": "C1",
                "title": "t",
                "supplier": "s",
                "value": 1,
                "start_date": "2026-01-01",
                "status": "active",
                "owner": "   ",
            },
        ),
        ("it-assets", {"id": "A1", "name": "n", "product": "p", "environment": "prod", "criticality": "high"}),
        ("it-assets", {"id": "A1", "name": "n", "product": "p", "environment": "production"}),
        ("governance-register", {"id": "R1", "title": "t", "entry_type": "risk", "status": "open", "risk_score": 26}),
        ("governance-register", {"id": "R1", "title": "t", "entry_type": "risk", "status": "open", "likelihood": 0}),
        ("governance-register", {"id": "R1", "title": "t", "entry_type": "hazard", "status": "open"}),
        (
            "governance-register",
            {"id": "R1", "title": "t", "entry_type": "risk", "status": "open", "linked_controls": "C1"},
        ),
    ],
)
def test_schema_rejects_bad_records(kind: str, record: dict[str, Any]) -> None:
    assert list(_validator(kind).iter_errors(record))


def test_schema_allows_extra_fields() -> None:
    record = {"id": "A1", "name": "n", "product": "p", "environment": "dr", "criticality": "low", "rack": "B4"}
    assert not list(_validator("it-assets").iter_errors(record))


# ------------------------------------------------------------------------------ the example data


@pytest.mark.parametrize("kind", CORE_KINDS)
def test_example_validates_against_its_kind(kind: str) -> None:
    records = _example_records(kind)
    validator = _validator(kind)
    errors = [f"{r.get('id')}: {e.message}" for r in records for e in validator.iter_errors(r)]
    assert errors == []


@pytest.mark.parametrize("kind", CORE_KINDS)
def test_example_has_enough_records_with_unique_ids(kind: str) -> None:
    records = _example_records(kind)
    assert len(records) >= 30
    duplicates = [i for i, n in Counter(r["id"] for r in records).items() if n > 1]
    assert duplicates == []


def test_example_loads_through_capcheck(kinds: dict[str, EvidenceKind], loaders: dict[str, Any]) -> None:
    """The hand-written files and the generated estate load and validate through capcheck's own loaders."""
    from capcheck.core.evidence import load_evidence

    evidence = load_evidence([EXAMPLE], loaders=loaders, kinds=kinds)
    for kind in CORE_KINDS:
        estate = json.loads((EXAMPLE / "estate" / f"{kind}.json").read_text(encoding="utf-8"))["records"]
        assert evidence.count(kind) == len(_example_records(kind)) + len(estate)


def test_example_csv_cells_are_typed() -> None:
    assets = {r["id"]: r for r in _example_records("it-assets")}
    server = assets["CI-0101"]
    assert server["internet_facing"] is False
    assert server["backup"] is True
    assert server["version"] == "2012-r2"
    assert assets["CI-0110"]["version"] == "7", "numeric-looking versions stay strings"
    assert "last_patched" not in assets["CI-0170"], "an empty cell is an absent field"


def test_example_registers_join_mostly_but_not_always() -> None:
    """Owners and references mostly resolve across registers; a few do not, so join rules can fail."""
    contracts = _example_records("supplier-contracts")
    assets = _example_records("it-assets")
    register = _example_records("governance-register")
    owners = {r["owner"] for r in register if "owner" in r}
    used = [r["owner"] for r in [*contracts, *assets] if "owner" in r]
    known = sum(owner in owners for owner in used)
    assert 0.8 * len(used) <= known < len(used)
    contract_ids = {r["id"] for r in contracts}
    refs = [r["supplier_contract"] for r in assets if "supplier_contract" in r]
    assert 0.9 * len(refs) <= sum(ref in contract_ids for ref in refs) < len(refs)
    controls = {r["id"] for r in register if r["entry_type"] == "control"}
    links = [c for r in register for c in r.get("linked_controls", [])]
    assert 0.9 * len(links) <= sum(c in controls for c in links) < len(links)


def test_example_mixes_passing_and_failing_records() -> None:
    """The example is not all-green: each register has records that typical rules flag."""
    as_of, year_before = "2026-11-25", "2025-11-25"
    contracts = _example_records("supplier-contracts")
    active = [c for c in contracts if c["status"] == "active"]
    assert 3 <= sum("owner" not in c for c in active) < len(active) // 2
    assert 3 <= sum(c.get("last_review", "") < year_before for c in active) < len(active) // 2
    assert sum(c["value"] >= 1_000_000 and c.get("exit_plan") is not True for c in active) >= 3
    assert sum(c.get("end_date", "9999") < as_of for c in active) >= 3
    assets = _example_records("it-assets")
    live = [a for a in assets if a["environment"] == "production" and a.get("status") == "in-service"]
    past_eol = [a for a in live if a.get("end_of_life", "9999") < as_of]
    assert 5 <= len(past_eol) < len(live)
    register = _example_records("governance-register")
    risks = [r for r in register if r["entry_type"] == "risk"]
    assert sum("owner" not in r for r in register) >= 2
    assert sum(r.get("risk_score", 0) >= 15 and r.get("last_review", "") < year_before for r in risks) >= 2


def test_declared_fields_follow_allof_extensions_and_local_refs() -> None:
    base = {"$defs": {"core": {"properties": {"id": {}, "owner": {}}}}}
    extended = EvidenceKind(
        id="assets-plus",
        title="t",
        schema={**base, "allOf": [{"$ref": "#/$defs/core"}], "properties": {"site": {"type": "string"}}},
    )
    assert extended.declared_fields == frozenset({"id", "owner", "site"})


def test_declared_fields_are_open_with_pattern_properties_or_no_properties() -> None:
    open_names = EvidenceKind(id="a", title="t", schema={"properties": {"id": {}}, "patternProperties": {"^x-": {}}})
    assert open_names.declared_fields is None
    assert EvidenceKind(id="b", title="t", schema={"type": "object"}).declared_fields is None


def test_a_kind_schema_file_that_is_no_json_schema_is_located_in_its_file(tmp_path: Path) -> None:
    path = tmp_path / "risk-log.schema.json"
    path.write_text(json.dumps({"type": "object", "properties": {"owner": {"type": "strin"}}}))
    (problem,) = kind_problems(EvidenceKind.from_file(path), "my_plugin")
    assert (problem.path, problem.pointer) == (str(path), "/properties/owner/type")
    assert problem.message == (
        "plugin 'my_plugin': evidence kind 'risk-log': not a JSON Schema (draft 2020-12): "
        "unknown type 'strin' (did you mean 'string'?)"
    )


def test_every_bundled_kind_is_a_json_schema_with_a_valid_id() -> None:
    assert [p for k in bundled_kinds() for p in kind_problems(k, "capcheck.core.kinds")] == []


def test_date_order_and_past_dates_name_declared_fields_in_pairs(tmp_path: Path) -> None:
    """A misspelt field there was ignored, so its impossible dates passed; a pair of three was an unpacking error
    when a rule first read the order."""
    path = tmp_path / "acme.training.schema.json"
    schema = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "start": {"format": "date"}, "end": {"format": "date"}},
        "x-capcheck-date-order": [["start", "ened"], ["start", "end", "later"]],
        "x-capcheck-past-dates": "start",
    }
    path.write_text(json.dumps(schema))
    problems = kind_problems(EvidenceKind.from_file(path), "acme")
    where = "plugin 'acme': evidence kind 'acme.training'"
    assert [(p.pointer, p.message) for p in problems] == [
        (
            "/x-capcheck-date-order/0/1",
            f"{where}: unknown field 'ened': the kind does not declare it (did you mean 'end'?)",
        ),
        (
            "/x-capcheck-date-order/1",
            f"{where}: an [earlier, later] pair of date fields, not ['start', 'end', 'later']",
        ),
        ("/x-capcheck-past-dates", f"{where}: a list of date fields"),
    ]
    schema.update({"x-capcheck-date-order": [["start", "end"]], "x-capcheck-past-dates": ["start"]})
    assert kind_problems(EvidenceKind(id="acme.training", title="T", schema=schema), "acme") == []
