"""Loaders that derive records from another structure: per-record pointers and loader notes.

A tiny plugin, written here, reads a team inventory (``*.inv.json``: ``{"teams": [{"name": ...,
"assets": [...]}]}``) and derives one ``it-assets`` record per asset, owned by its team. It says
where each record is (``Document.pointers``: ``/teams/1/assets/0``) and what it left out
(``Document.notes``). Findings, schema errors and duplicate-id problems must point into the
inventory, and the notes must reach the JSON and text reports.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from capcheck.app.config import Config
from capcheck.app.runner import load_registry
from capcheck.core.errors import EvidenceError
from capcheck.core.evidence import EvidenceSet, load_evidence
from capcheck.core.models import EvidenceFileInfo
from capcheck.core.resources import load_schema

PLUGIN = '''
"""Derives it-assets records from a team inventory; INFRA-990 fails assets without a version."""

import json

from capcheck import hookimpl, rule
from capcheck.core.loading import Document, Loader


def load_inventory(source, context):
    doc = json.loads(source.data)
    records, pointers, skipped = [], [], []
    for t, team in enumerate(doc["teams"]):
        for a, asset in enumerate(team["assets"]):
            where = f"/teams/{t}/assets/{a}"
            if "id" not in asset:
                skipped.append(f"{asset.get('name', '?')} ({where})")
                continue
            records.append({**asset, "owner": team["name"]})
            pointers.append(where if doc.get("pointers", True) else "nowhere")
    if doc.get("drop_pointer"):
        pointers.pop()
    notes = (f"{len(skipped)} assets not mapped (no id): {', '.join(skipped)}",) if skipped else ()
    return [
        Document(
            kind="it-assets",
            records=records,
            locate=lambda i: None,
            source="team inventory",
            pointers=pointers,
            notes=notes + tuple(doc.get("notes", ())),
        )
    ]


@hookimpl
def capcheck_loaders():
    return [Loader(name="inventory", extensions=(".inv.json",), load=load_inventory)]


@rule(
    id="INFRA-990",
    title="Assets state their version",
    area="INFRA",
    severity="high",
    kinds=["it-assets"],
    description="d",
    rationale="r",
    remediation="m",
)
def versioned(evidence, ctx):
    for asset in evidence.records("it-assets"):
        yield ctx.passed(asset) if asset.get("version") else ctx.failed(asset, f"{asset['name']} has no version")


@hookimpl
def capcheck_rules():
    return [versioned]
'''

PLUGIN_ARG = "./derive_plugin.py"


def asset(asset_id: str | int | None, name: str = "db", **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "product": "ledgerdb", "environment": "production", "criticality": "high"}
    if asset_id is not None:
        out["id"] = asset_id
    out.update(fields)
    return out


INVENTORY: dict[str, Any] = {
    "teams": [
        {"name": "Data", "assets": [asset("A-1", version="16"), asset(None, name="scratch\x1b[2J")]},
        {"name": "Web", "assets": [asset("A-2", name="web-01")]},
    ]
}


@pytest.fixture
def plugin_dir(workdir: Path) -> Path:
    (workdir / "derive_plugin.py").write_text(PLUGIN)
    return workdir


def write(path: Path, data: dict[str, Any]) -> str:
    path.write_text(json.dumps(data, indent=1))
    return path.name


def load(*names: str) -> EvidenceSet:
    registry = load_registry(Config(), plugins=[PLUGIN_ARG])
    return load_evidence([Path(n) for n in names], loaders=registry.loaders, kinds=registry.kinds)


def problems(*names: str) -> list[str]:
    with pytest.raises(EvidenceError) as info:
        load(*names)
    return [str(p) for p in info.value.problems]


# --- the evidence set ---------------------------------------------------------------------------------


def test_a_derived_record_is_referenced_by_its_pointer_in_the_file(plugin_dir: Path) -> None:
    evidence = load(write(plugin_dir / "teams.inv.json", INVENTORY))
    assert evidence.ref("it-assets", "A-1").pointer == "/teams/0/assets/0"
    ref = evidence.ref("it-assets", "A-2")
    assert (ref.file, ref.pointer, ref.line, ref.row) == ("teams.inv.json", "/teams/1/assets/0", None, None)
    [info] = evidence.files
    assert info.notes == ("1 assets not mapped (no id): scratch\x1b[2J (/teams/0/assets/1)",)


def test_a_schema_error_points_at_the_field_of_the_derived_record(plugin_dir: Path) -> None:
    data = {"teams": [{"name": "Data", "assets": [asset("A-1"), asset("A-2", environment="prod")]}]}
    [problem] = problems(write(plugin_dir / "teams.inv.json", data))
    assert problem.startswith('teams.inv.json: /teams/0/assets/1/environment: "prod" is not one of ')


def test_a_record_without_a_string_id_points_at_the_id(plugin_dir: Path) -> None:
    data = {"teams": [{"name": "Data", "assets": [asset(7)]}]}
    found = problems(write(plugin_dir / "teams.inv.json", data))
    assert found == ["teams.inv.json: /teams/0/assets/0/id: each record needs a non-empty string 'id'"]


def test_duplicate_ids_point_at_both_derived_records(plugin_dir: Path) -> None:
    data = {"teams": [{"name": "Data", "assets": [asset("A-1")]}, {"name": "Web", "assets": [asset("A-1")]}]}
    found = problems(write(plugin_dir / "teams.inv.json", data))
    assert found == [
        "teams.inv.json: /teams/1/assets/0/id: duplicate it-assets id 'A-1': already used at "
        "teams.inv.json /teams/0/assets/0"
    ]


def test_duplicate_ids_across_a_derived_and_an_envelope_file(plugin_dir: Path) -> None:
    envelope = {"kind": "it-assets", "records": [asset("A-9"), asset("A-1")]}
    found = problems(write(plugin_dir / "a.json", envelope), write(plugin_dir / "b.inv.json", INVENTORY))
    assert found == [
        "b.inv.json: /teams/0/assets/0/id: duplicate it-assets id 'A-1': already used at a.json /records/1"
    ]
    found = problems(write(plugin_dir / "a.inv.json", INVENTORY), write(plugin_dir / "b.json", envelope))
    assert found == [
        "b.json:11: /records/1/id: duplicate it-assets id 'A-1': already used at a.inv.json /teams/0/assets/0"
    ]


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ({"drop_pointer": True}, "teams.inv.json: the loader gave 1 record pointers for 2 records (one per record)"),
        ({"pointers": False}, "teams.inv.json: the loader gave record 0 the pointer 'nowhere', not a JSON Pointer"),
    ],
)
def test_pointers_that_do_not_fit_the_records_are_a_loader_bug(
    plugin_dir: Path, flag: dict[str, Any], expected: str
) -> None:
    assert problems(write(plugin_dir / "teams.inv.json", {**INVENTORY, **flag})) == [expected]


def test_notes_are_in_the_file_info_json_only_when_given() -> None:
    bare = EvidenceFileInfo(path="a.json", format="json", kind="it-assets", records=1, sha256="0" * 64)
    assert "notes" not in bare.as_dict()
    noted = EvidenceFileInfo(
        path="a.json", format="json", kind="it-assets", records=1, sha256="0" * 64, notes=("one", "two")
    )
    assert list(noted.as_dict())[-1] == "notes"
    assert noted.as_dict()["notes"] == ["one", "two"]


# --- reports ---------------------------------------------------------------------------------------------


def check(run_cli: Any, *args: str) -> Any:
    return run_cli("check", *args, "--plugin", PLUGIN_ARG, "--select", "INFRA-990", "--as-of", "2025-04-01")


def test_json_findings_point_into_the_file_and_carry_the_notes(run_cli: Any, plugin_dir: Path) -> None:
    envelope = {"kind": "it-assets", "records": [asset("B-1", version="1")]}
    names = write(plugin_dir / "a.json", envelope), write(plugin_dir / "teams.inv.json", INVENTORY)
    result = check(run_cli, *names, "--format", "json")
    assert result.exit_code == 1, result.stderr
    doc = json.loads(result.stdout)
    schema = load_schema("findings")
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    [failed] = [f for f in doc["findings"] if f["status"] == "fail"]
    assert failed["evidence"] == {
        "kind": "it-assets",
        "record_id": "A-2",
        "file": "teams.inv.json",
        "pointer": "/teams/1/assets/0",
    }
    plain, derived = doc["evidence"]
    assert "notes" not in plain  # a file with nothing to say: the same JSON as before notes existed
    assert derived["notes"] == ["1 assets not mapped (no id): scratch\x1b[2J (/teams/0/assets/1)"]
    assert list(derived)[-1] == "notes"


def test_text_output_lists_the_notes_neutralised(run_cli: Any, plugin_dir: Path) -> None:
    data = {**INVENTORY, "notes": ["inventory exported by\x07 the CMDB"]}
    result = check(run_cli, write(plugin_dir / "teams.inv.json", data))
    assert result.exit_code == 1, result.stderr
    assert "\nHIGH     INFRA-990  " in result.stdout
    assert "    teams.inv.json  A-2  web-01 has no version\n" in result.stdout
    assert (
        "\nNotes\n"
        "  teams.inv.json: 1 assets not mapped (no id): scratch\u241b[2J (/teams/0/assets/1)\n"
        "  teams.inv.json: inventory exported by\u2407 the CMDB\n"
        "\nSummary: "
    ) in result.stdout
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


def test_text_output_has_no_notes_block_without_notes(run_cli: Any, plugin_dir: Path) -> None:
    data = {"teams": [{"name": "Web", "assets": [asset("A-2")]}]}
    result = check(run_cli, write(plugin_dir / "teams.inv.json", data))
    assert result.exit_code == 1, result.stderr
    assert "Notes" not in result.stdout


def test_html_output_lists_the_notes_under_the_source(run_cli: Any, plugin_dir: Path) -> None:
    data = {**INVENTORY, "notes": ["<b>not bold</b>"]}
    result = check(run_cli, write(plugin_dir / "teams.inv.json", data), "--format", "html")
    assert result.exit_code == 1, result.stderr
    assert (
        '<td>team inventory<ul class="notes"><li>1 assets not mapped (no id): scratch\u241b[2J (/teams/0/assets/1)'
        "</li><li>&lt;b&gt;not bold&lt;/b&gt;</li></ul></td>"
    ) in result.stdout
