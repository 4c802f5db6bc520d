"""``capcheck inspect``: what capcheck sees in a file, and a mapping suggested from it that really loads."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from capcheck.app.config import load_config
from capcheck.core.mapping_config import compile_mappings

EXPORT = [
    ["Northgate IT asset register"],
    ["Exported from ServiceDesk 01/11/2026 09:14"],
    [],
    ["Asset Tag", "Hostname ", "Product", "Env", "Criticality", "Owner", "EoL", "Internet facing", "Patched"],
    ["CI-1", "web-01 ", "rhel", "Production", "High", "infra ", "31/05/2024", "Y", "2026-10-01 14:22:05"],
    [
        "CI-2",
        "db-01",
        "postgresql",
        "Production",
        "Critical",
        "infra",
        datetime(2024, 3, 1),
        "N",
        "2026-10-02 08:00:00",
    ],
    ["CI-3", "old-01", "windows-server", "Test", "Low", "infra", "30/06/2023", "N", "2026-10-01 08:00:00"],
    [],
]


def write_book(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Export"
    for row in EXPORT:
        sheet.append(row)
    lists = book.create_sheet("Lists")
    lists.append(["Env"])
    lists.append(["Production"])
    lists.sheet_state = "hidden"
    book.save(path)
    return path


def inspect_json(run_cli, path: str | Path) -> dict[str, Any]:
    result = run_cli("inspect", path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_a_workbook_export_is_seen_sheet_by_sheet(run_cli, workdir: Path) -> None:
    write_book(workdir / "assets.xlsx")
    seen = inspect_json(run_cli, "assets.xlsx")
    assert seen["format"] == "xlsx"
    export, lists = seen["tables"]
    assert (export["sheet"], export["visible"], export["rows"], export["header_row"]) == ("Export", True, 3, 4)
    assert (lists["sheet"], lists["visible"], lists["kinds"]) == ("Lists", False, [])
    columns = {c["header"]: c for c in export["columns"]}
    assert columns["EoL"]["type"] == "date" and columns["EoL"]["format"] == "%d/%m/%Y|iso"
    assert columns["EoL"]["column"] == "G"
    assert columns["Internet facing"]["type"] == "boolean"
    assert columns["Hostname"]["padded"] is True
    assert columns["Env"]["distinct"] == ["Production", "Test"]
    best = export["kinds"][0]
    assert best["kind"] == "it-assets" and best["missing_required"] == []
    assert {"column": "EoL", "field": "end_of_life"} in best["matched"]
    assert {"column": "Env", "field": "environment"} in best["matched"]
    assert all(m["field"] != "asset_type" for m in best["matched"])  # "Asset Tag" holds none of its choices


def test_the_suggested_mapping_loads_the_workbook(run_cli, workdir: Path, load) -> None:
    write_book(workdir / "assets.xlsx")
    suggestion = inspect_json(run_cli, "assets.xlsx")["tables"][0]["suggested_mapping"]
    (workdir / "capcheck.toml").write_text(suggestion)
    assert tomllib.loads(suggestion)["mapping"][0]["id"] == "Asset Tag"
    evidence = load("assets.xlsx", mappings=load_config(workdir / "capcheck.toml").mappings())
    record = evidence.get("it-assets", "CI-2")
    assert record is not None
    assert (record["name"], record["environment"], record["criticality"]) == ("db-01", "production", "critical")
    assert (record["end_of_life"], record["last_patched"]) == ("2024-03-01", "2026-10-02")  # date-times as dates
    assert evidence.get("it-assets", "CI-1")["name"] == "web-01"  # type: ignore[index]  # trimmed


def test_a_cp1252_csv_with_title_rows(run_cli, copy_fixture: Callable[..., Path]) -> None:
    path = copy_fixture("mapping/contracts-cp1252.csv")
    seen = inspect_json(run_cli, path)
    assert seen["encoding"] == "cp1252"
    [table] = seen["tables"]
    assert table["header_row"] == 3 and table["rows"] == 3
    columns = {c["header"]: c for c in table["columns"]}
    assert (columns["Annual Value"]["type"], columns["Annual Value"]["format"]) == ("number", "1,234.5")
    assert columns["Title"]["samples"][0] == "Café services"
    assert table["kinds"][0]["kind"] == "supplier-contracts"
    mapping = tomllib.loads(table["suggested_mapping"])["mapping"][0]
    assert mapping["encoding"] == "cp1252" and mapping["header_row"] == 3
    assert mapping["rename"]["Start"] == "start_date" and mapping["numbers"] == {"value": "1,234.5"}
    compile_mappings([mapping])  # valid as it stands


def test_text_output_escapes_what_the_file_holds(run_cli, workdir: Path) -> None:
    (workdir / "it-assets.csv").write_text("id,name\nA-1,evil\x1b[2Jname\nA-2,x\n")
    result = run_cli("inspect", "it-assets.csv")
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout and "evil␛[2Jname" in result.stdout
    assert "table: 2 data rows, header at row 1" in result.stdout
    assert "suggested mapping (paste into capcheck.toml, then check it):" in result.stdout


def test_a_json_evidence_file_shows_its_keys(run_cli, workdir: Path) -> None:
    records = [{"id": "C-1", "title": "x", "supplier": "y", "value": 5}, {"id": "C-2", "supplier": "z"}]
    (workdir / "c.json").write_text(json.dumps({"kind": "contracts-export", "records": records}))
    seen = inspect_json(run_cli, "c.json")
    assert (seen["format"], seen["kind"]) == ("json", "contracts-export")
    [table] = seen["tables"]
    assert [c["header"] for c in table["columns"]] == ["id", "title", "supplier", "value"]
    assert table["kinds"][0]["kind"] == "supplier-contracts"
    assert 'kind = "supplier-contracts"' in table["suggested_mapping"]


def test_a_json_record_s_lists_and_objects_are_shown_as_written(run_cli, workdir: Path) -> None:
    """A list was a text column of Python reprs (``['CTL-001']``), matched to text fields like any string."""
    records = [
        {"id": "R-1", "title": "x", "linked_controls": ["CTL-001", "CTL-004"], "extra": {"a": "é"}},
        {"id": "R-2", "title": "y", "linked_controls": ["CTL-002"], "extra": {"b": 1}},
    ]
    (workdir / "risks.json").write_text(json.dumps({"kind": "risks-export", "records": records}))
    [table] = inspect_json(run_cli, "risks.json")["tables"]
    columns = {c["header"]: c for c in table["columns"]}
    assert (columns["linked_controls"]["type"], columns["linked_controls"]["samples"]) == (
        "list",
        ['["CTL-001", "CTL-004"]', '["CTL-002"]'],
    )
    assert (columns["extra"]["type"], columns["extra"]["samples"][0]) == ("object", '{"a": "é"}')
    text = run_cli("inspect", "risks.json").stdout
    assert "['CTL-001'" not in text and "linked_controls     list" in text


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("broken.xlsx", b"PK\x03\x04 not really", "broken.xlsx: not a readable workbook"),
        ("x.pdf", b"%PDF", "x.pdf: cannot read .pdf files"),
        ("bad.json", b"{", "bad.json:1: malformed JSON"),
    ],
)
def test_bad_input_exits_2_naming_the_file(run_cli, workdir: Path, name: str, data: bytes, expected: str) -> None:
    (workdir / name).write_bytes(data)
    result = run_cli("inspect", name)
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_file_exits_2(run_cli, workdir: Path) -> None:
    result = run_cli("inspect", "nope.xlsx")
    assert result.exit_code == 2 and "nope.xlsx" in result.stderr


def test_inspect_says_which_mapping_is_in_force(run_cli, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("mapping/capcheck.toml")
    path = copy_fixture("mapping/contracts-cp1252.csv")
    assert inspect_json(run_cli, path)["mapped_by"] == "capcheck.toml:[[mapping]] 1"
    text = run_cli("inspect", path).stdout
    assert "capcheck.toml:[[mapping]] 1 maps it when capcheck reads it" in text


def test_a_register_already_in_its_kind_s_shape_needs_no_mapping(run_cli, copy_fixture: Callable[..., Path]) -> None:
    path = copy_fixture("evidence/formats/it-assets.csv")
    [table] = inspect_json(run_cli, path)["tables"]
    assert table["kinds"][0]["kind"] == "it-assets" and table["suggested_mapping"] == ""
    assert "no mapping needed: capcheck reads it as it-assets as it is" in run_cli("inspect", path).stdout


def test_the_real_dspt_icb_export(run_cli, copy_fixture: Callable[..., Path], load) -> None:
    """NHS DSPT status of 42 ICBs (nhsx/open-cyber, MIT; see tests/fixtures/mapping/README.md): an unnamed pandas
    index column, UK dates, "22/23 Standards Met" for standards-met."""
    path = copy_fixture("mapping/nhs-dspt-icb-status-2023-11-16.csv", "icb.csv")
    # a mapping naming the file turns the DSPT adapter off (in check and in inspect): the table as written
    Path("capcheck.toml").write_text('[[mapping]]\nfiles = "icb.csv"\n')
    [table] = inspect_json(run_cli, path)["tables"]
    assert (table["rows"], table["header_row"]) == (42, 1)
    best = table["kinds"][0]
    assert best["kind"] == "dspt-assessments" and best["missing_required"] == ["relationship"]
    mapping = tomllib.loads(table["suggested_mapping"])["mapping"][0]
    assert mapping["rename"][""] == "row"  # the index column, named so that the CSV loader takes it
    # the whole status text, so that the edition is kept: the DSPT enricher reads status and edition from it
    assert mapping["rename"]["Status"] == "status_text" and mapping["rename"]["Date Of Publication"] == "published_on"
    assert "status" not in mapping.get("values", {})
    assert mapping["dates"] == {"published_on": "%d/%m/%Y"}
    assert mapping["set"] == {"relationship": "partner"}  # no column holds it: what the DSPT adapter takes
    assert mapping["id"] == "org_code"  # the id key names fields after rename
    # Loaded through it, the records are what the DSPT adapter reads from the same file.
    from capcheck.builtins.loaders import dspt

    mappings = compile_mappings([mapping], shown="capcheck.toml")
    evidence = load(path, mappings=mappings, enrichers=dspt.capcheck_enrichers())
    records = evidence.records("dspt-assessments")
    assert len(records) == 42
    first = records[0]
    assert (first["id"], first["status"], first["edition"], first["relationship"], first["published_on"]) == (
        "QRV",
        "standards-exceeded",
        "22/23",
        "partner",
        "2023-06-26",
    )


def test_a_status_text_column_is_not_followed_by_a_status_to_set(run_cli, workdir: Path) -> None:
    """The real DSPT portal export of September 2022 holds statuses of five editions (over twelve distinct
    texts): the column was read as status_text by its name, and the suggestion then offered a commented
    `set = { status = "..." }`, one status for every organisation, for a field the DSPT enricher fills in
    from the text row by row."""
    statuses = [
        f"{y:02d}/{y + 1:02d} {s}"
        for y in range(18, 23)
        for s in ("Standards Met", "Standards Exceeded", "Approaching Standards")
    ]
    rows = "".join(f"C{i},Org {i},{status}\n" for i, status in enumerate(statuses))
    (workdir / "statuses.csv").write_text("Code,Organisation Name,Status\n" + rows, encoding="utf-8")
    [table] = inspect_json(run_cli, "statuses.csv")["tables"]
    text = table["suggested_mapping"]
    mapping = tomllib.loads(text)["mapping"][0]
    assert mapping["kind"] == "dspt-assessments" and mapping["rename"]["Status"] == "status_text"
    assert "status" not in mapping.get("set", {})
    assert "status =" not in text and "not found: status" not in text, text


def test_a_semicolon_separated_export_with_decimal_commas(run_cli, workdir: Path, load) -> None:
    (workdir / "contracts.csv").write_bytes(
        b"Vertragsregister\r\nRef;Title;Supplier;Annual Value;Start;Status\r\n"
        b"C-1;Caf\xe9;Acme;\xa31.234,50;01.03.2024;Active\r\nC-2;Hosting;Beta;2.500;02.03.2024;Active\r\n"
    )
    seen = inspect_json(run_cli, "contracts.csv")
    assert (seen["delimiter"], seen["encoding"]) == (";", "cp1252")
    mapping = tomllib.loads(seen["tables"][0]["suggested_mapping"])["mapping"][0]
    assert (mapping["delimiter"], mapping["numbers"], mapping["dates"]) == (
        ";",
        {"value": "1.234,5"},
        {"start_date": "%d.%m.%Y"},
    )
    evidence = load("contracts.csv", mappings=compile_mappings([mapping]))
    first = evidence.get("supplier-contracts", "C-1")
    assert first is not None and (first["value"], first["start_date"], first["title"]) == (1234.5, "2024-03-01", "Café")
    assert "separator ';'" in run_cli("inspect", "contracts.csv").stdout


def test_long_headers_are_cut_so_the_columns_stay_in_line(run_cli, copy_fixture: Callable[..., Path]) -> None:
    """The real ICB export's headers ("Integrated Care Board (where available, from ODS)") are longer than the
    name column: cut with an ellipsis, the type of every column starts at the same place."""
    path = copy_fixture("mapping/nhs-dspt-icb-status-2023-11-16.csv", "icb.csv")
    Path("capcheck.toml").write_text('[[mapping]]\nfiles = "icb.csv"\n')  # the table as written, not the adapter's
    result = run_cli("inspect", str(path))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("column"))
    header = lines[start]
    end = next(i for i, line in enumerate(lines) if line.strip().startswith("closest kinds"))
    rows = lines[start + 1 : end]
    assert len(rows) == 10
    assert any("…" in row for row in rows)  # a long header, cut
    at = header.index("type")
    types = {"text", "integer", "number", "boolean", "date", "empty"}
    assert all(row[at - 1] == " " and row[at:].split()[0] in types for row in rows), rows


@pytest.mark.parametrize(
    ("name", "fmt", "kind", "records"),
    [
        ("nhs-dspt-trusts-status-2023-11-16.csv", "dspt", "dspt-assessments", 211),
        ("contracts-finder-extract.ocds.json", "ocds", "supplier-contracts", None),
        ("cyclonedx-laravel-7.12.0-bom.1.4.json", "cyclonedx", "it-assets", 62),
    ],
)
def test_a_file_an_adapter_reads_is_shown_as_read_with_no_mapping_suggested(
    run_cli, workdir: Path, name: str, fmt: str, kind: str, records: int | None
) -> None:
    """The real DSPT export, OCDS package and CycloneDX BOM need no mapping: inspect shows the adapter's records
    (as check reads them), and suggests none (a mapping naming the file would turn the adapter off)."""
    real = Path(__file__).resolve().parent / "data" / "real" / name
    (workdir / name).write_bytes(real.read_bytes())
    seen = inspect_json(run_cli, name)
    assert (seen["format"], seen["kind"]) == (fmt, kind)
    [table] = seen["tables"]
    assert table["suggested_mapping"] == ""
    assert records is None or table["rows"] == records
    assert f"no mapping needed: capcheck reads it as {kind} as it is" in run_cli("inspect", name).stdout
