"""Mapping as data: config validation, conversions, and the mapping applied by each loader."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from capcheck.app.config import load_config
from capcheck.core.errors import ConfigError
from capcheck.core.kinds import EvidenceKind
from capcheck.core.mapping import NUMBER_STYLES, FileMapping, MappingValueError, parse_number
from capcheck.core.mapping_config import compile_mappings

ROOT = Path(__file__).resolve().parent.parent


def mapping(**table: Any) -> FileMapping:
    """One compiled mapping (``files`` defaults to every file)."""
    [compiled] = compile_mappings([{"files": "*", **table}], shown="capcheck.toml")
    return compiled


def config_problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "capcheck.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [str(p) for p in info.value.problems]


# ---------------------------------------------------------------- config validation


def test_an_unknown_key_is_named_with_its_line_and_a_suggestion(tmp_path: Path) -> None:
    text = '[[mapping]]\nfiles = "a.csv"\n\n[[mapping]]\nfiles = "b.csv"\nrenam = { "A" = "b" }\n'
    [problem] = config_problems(tmp_path, text)
    assert problem.startswith(f"{tmp_path / 'capcheck.toml'}:6: /mapping/1/renam: ")
    assert "[[mapping]] 2: unknown key 'renam' (did you mean 'rename'?)" in problem
    assert "/mapping/1/renam" in problem


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            'files = "a.csv"\ndates.end_of_life = "%d/%q/%Y"',
            "dates.end_of_life: '%d/%q/%Y': %q is not a date or time directive",
        ),
        ('files = "a.csv"\ndates.end_of_life = "dd/mm/yyyy"', "is not a date format"),
        # strptime compiles a format to a regular expression with a group per directive: one given twice was
        # "the 'csv' loader failed: error: redefinition of group name 'd'" on reading the first file
        ('files = "a.csv"\ndates.end_of_life = "%d/%m/%Y %d"', "dates.end_of_life: '%d/%m/%Y %d': %d is given twice"),
        ('files = "a.csv"\ndates."*" = ["iso", "%Y%Y"]', "dates.*: '%Y%Y': %Y is given twice"),
        ('files = "a.csv"\nnumbers.value = "1,234"', "numbers.value: '1,234' is not a number style"),
        ('files = "a.csv"\nencoding = "rot13"', "unknown text encoding 'rot13'"),
        ('files = "a.csv"\nencoding = "cp9999"', "unknown text encoding 'cp9999'"),
        ('files = "a.csv"\nheader_row = 0', "'header_row' must be a row number from 1"),
        ('files = "a.csv"\nrename = { "A" = "owner", "B" = "owner" }', "'A' and 'B' both become 'owner'"),
        ('files = "a.csv"\nid = "{org_code-{edition}"', "is not a template"),
        ('files = "a.csv"\nskip_rows = [{ field = "x", equal = "T" }]', "unknown key 'equal' (did you mean 'equals'?)"),
        ('files = "a.csv"\nskip_rows = [{ field = "x", equals = "T", empty = true }]', "exactly one of"),
        ('files = "a.csv"\nskip_rows = [{ field = "x", matches = "(" }]', "bad regular expression"),
        ('files = "a.csv"\nvalues.ok = { "Y" = true, "y" = false }', "'y' is given twice"),
        ('sheet = "Assets"', "'files' is required"),
        ("trim = 1\nfiles = 'a.csv'", "'trim' must be true or false"),
        (
            'files = "a.csv"\nset = { owner = [1] }',
            "set.owner: a value must be a non-empty string, a number or a boolean",
        ),
        ('files = "a.csv"\nset = { owner = " " }', "set.owner: a value must be a non-empty string"),
        ('files = "a.csv"\nset = { id = "X" }', "set.id: every record needs its own id"),
        ('files = "a.csv"\nset = { owner = "x" }\nrename = { Lead = "owner" }', "set.owner: column 'Lead' becomes"),
        ('files = "a.csv"\nset = "partner"', "'set' must be a table of field -> value"),
    ],
)
def test_bad_mappings_are_config_errors(tmp_path: Path, table: str, expected: str) -> None:
    problems = config_problems(tmp_path, "[[mapping]]\n" + table + "\n")
    assert any(expected in p for p in problems), problems


def test_a_problem_names_the_line_of_its_key(tmp_path: Path) -> None:
    text = '[[mapping]]\nfiles = "a.csv"\n\n[mapping.numbers]\nvalue = "1,234"\n'
    [problem] = config_problems(tmp_path, text)
    assert "capcheck.toml:4:" in problem  # the [mapping.numbers] table


def test_mapping_in_pyproject_is_read_and_pointed_at(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.capcheck]\n\n[[tool.capcheck.mapping]]\nfiles = "a.csv"\nkinds = "x"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    [problem] = info.value.problems
    assert (problem.line, problem.pointer) == (5, "/tool/capcheck/mapping/0/kinds")
    assert "did you mean 'kind'?" in problem.message


def test_the_manifest_hash_is_of_the_table_s_canonical_form() -> None:
    first = mapping(kind="it-assets", trim=True)
    again = compile_mappings([{"trim": True, "kind": "it-assets", "files": "*"}], shown="other.toml")[0]
    changed = mapping(kind="it-assets", trim=False)
    assert first.sha256 == again.sha256 != changed.sha256
    assert first.manifest(2) == {"source": "capcheck.toml:[[mapping]] 1", "sha256": first.sha256, "skipped_rows": 2}


def test_files_match_by_name_path_or_path_under_the_config(tmp_path: Path) -> None:
    [m] = compile_mappings([{"files": ["registers/*.xlsx"]}], shown="c.toml", base=tmp_path)
    (tmp_path / "registers").mkdir()
    assert m.matches(tmp_path / "registers" / "a.xlsx")
    assert not m.matches(tmp_path / "other" / "a.xlsx")
    sheet = mapping(sheet="Assets")
    assert sheet.matches(Path("x.xlsx"), " assets") and not sheet.matches(Path("x.xlsx"), "Lists")
    assert not sheet.matches(Path("x.xlsx"))


# ---------------------------------------------------------------- conversions


@pytest.fixture
def contracts(kinds: dict[str, EvidenceKind]) -> EvidenceKind:
    return kinds["supplier-contracts"]


@pytest.mark.parametrize(
    ("style", "text", "expected"),
    [
        ("1,234.5", "£1.2m", 1_200_000),
        ("1,234.5", "1,200k", 1_200_000),
        ("1,234.5", " $ 2,500.50 ", 2500.5),
        ("1,234.5", "(1,200)", -1200),
        ("1,234.5", "-£5", -5),
        ("1,234.5", "3bn", 3_000_000_000),
        ("1,234.5", "GBP 12", 12),
        ("1.234,5", "€1.234,5", 1234.5),
        ("1 234,5", "1 234 567,25", 1234567.25),
        ("1234.5", "0.75m", 750_000),
    ],
)
def test_numbers(contracts: EvidenceKind, style: str, text: str, expected: float) -> None:
    convert = mapping(numbers={"value": style}).plan(contracts).converter("value")
    assert convert is not None
    value = convert(text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("text", ["1,2", "1,23,456", "£", "12 apples", "1.2.3", "k", "m1"])
def test_a_number_the_style_cannot_read_is_an_error_naming_the_key(contracts: EvidenceKind, text: str) -> None:
    convert = mapping(numbers={"value": "1,234.5"}).plan(contracts).converter("value")
    assert convert is not None
    with pytest.raises(MappingValueError, match=r"^mapping numbers\.value '1,234\.5': .* is not a number$"):
        convert(text)


def test_an_integer_field_refuses_a_fraction(contracts: EvidenceKind) -> None:
    convert = mapping(numbers={"*": "1,234.5"}).plan(contracts).converter("notice_period_days")
    assert convert is not None
    assert convert("1.5k") == 1500
    with pytest.raises(MappingValueError, match=r"numbers\.\* .*'1\.5' is not a whole number"):
        convert("1.5")


def test_dates(contracts: EvidenceKind) -> None:
    plan = mapping(dates={"*": ["%d/%m/%Y", "excel", "iso"], "title": "%Y"}).plan(contracts)
    convert = plan.converter("end_date")
    assert convert is not None
    assert convert("01/03/2024") == "2024-03-01"
    assert convert("01/03/2024 14:22") == "2024-03-01"  # a service-management export's time of day is dropped
    assert convert("2024-03-01 14:22:05") == "2024-03-01"
    assert convert("2024-03-01T14:22:05Z") == "2024-03-01"
    assert convert(45352) == "2024-03-01"  # an Excel serial
    assert convert("45352") == "2024-03-01"
    assert convert(datetime(2024, 3, 1, 9, 30)) == "2024-03-01"
    assert convert(date(2024, 3, 1)) == "2024-03-01"
    assert plan.converter("supplier") is None  # "*" covers the kind's date fields only
    assert plan.converter("title") is not None  # a field named explicitly is converted whatever its type


def test_an_impossible_date_names_the_key_the_format_and_the_value(contracts: EvidenceKind) -> None:
    convert = mapping(dates={"end_date": "%d/%m/%Y"}).plan(contracts).converter("end_date")
    assert convert is not None
    with pytest.raises(MappingValueError) as info:
        convert("31/02/2024")
    assert str(info.value) == "mapping dates.end_date \"%d/%m/%Y\": '31/02/2024' is not a date"


def test_a_time_format_reads_the_time_and_keeps_the_date(contracts: EvidenceKind) -> None:
    convert = mapping(dates={"end_date": "%m/%d/%Y %I:%M %p"}).plan(contracts).converter("end_date")
    assert convert is not None and convert("03/01/2024 02:22 PM") == "2024-03-01"


def test_values_match_trimmed_and_case_insensitively_and_pass_others_on(contracts: EvidenceKind) -> None:
    convert = mapping(values={"exit_plan": {"Y": True, "N": False}}).plan(contracts).converter("exit_plan")
    assert convert is not None
    assert (convert(" y "), convert("N")) == (True, False)
    text = "perhaps"
    assert convert(text) is text  # not mapped: the loader types it as usual (and says why it is not a boolean)


def test_skip_rows_tests(contracts: EvidenceKind) -> None:
    plan = mapping(
        skip_rows=[
            {"field": "id", "equals": ["Total", "Subtotal"]},
            {"field": "supplier", "empty": True},
            {"field": "title", "matches": "^(?i)draft"},
        ]
    ).plan(contracts)
    assert plan.skip({"id": " total ", "supplier": "A"}) == 0
    assert plan.skip({"id": "C-1", "supplier": "  "}) == 1
    assert plan.skip({"id": "C-1"}) == 1  # absent is empty
    assert plan.skip({"id": "C-1", "supplier": "A", "title": "DRAFT: x"}) == 2
    assert plan.skip({"id": "C-1", "supplier": "A", "title": "Final"}) is None


def test_ids_from_a_column_or_a_template() -> None:
    assert mapping(id="Ref").make_id({"Ref": 1042.0}) == "1042"
    template = mapping(id="{org_code}-{edition}")
    assert template.id_fields() == ("org_code", "edition")
    assert template.make_id({"org_code": "RX1", "edition": "23/24"}) == "RX1-23/24"
    with pytest.raises(MappingValueError, match="edition is empty"):
        template.make_id({"org_code": "RX1", "edition": ""})


# ---------------------------------------------------------------- applied by the loaders


@pytest.fixture
def mapped(workdir: Path, copy_fixture: Callable[..., Path]) -> Path:
    copy_fixture("mapping/capcheck.toml")
    copy_fixture("mapping/contracts-cp1252.csv")
    return workdir


def test_a_cp1252_csv_with_title_rows_reads_through_its_mapping(load, mapped: Path) -> None:
    config = load_config(mapped / "capcheck.toml")
    evidence = load("contracts-cp1252.csv", mappings=config.mappings())
    assert evidence.get("supplier-contracts", "C-1") == {
        "id": "C-1",
        "Ref": "C-1",
        "title": "Café services",
        "supplier": "Acme Ltd",  # trimmed
        "value": 1_200_000,
        "start_date": "2024-03-01",
        "end_date": "2027-03-31",
        "exit_plan": True,
        "status": "active",
    }
    record = evidence.get("supplier-contracts", "C-2")
    assert record is not None and (record["start_date"], record["end_date"]) == ("2024-03-01", "2028-03-01")
    [info] = evidence.files
    assert info.records == 2
    assert info.notes == ('1 row skipped by capcheck.toml:[[mapping]] 1 skip_rows 1 (Ref equals "TOTAL"): line 6',)
    assert info.mapping is not None and info.mapping["skipped_rows"] == 1
    assert evidence.ref("supplier-contracts", "C-2").line == 5


def test_a_value_the_mapping_cannot_convert_is_located_by_line_and_column(load, mapped: Path) -> None:
    data = (mapped / "contracts-cp1252.csv").read_bytes().replace(b"01/03/2024,31", b"31/02/2024,31")
    (mapped / "contracts-cp1252.csv").write_bytes(data)
    config = load_config(mapped / "capcheck.toml")
    [problem] = load.problems("contracts-cp1252.csv", mappings=config.mappings())
    assert problem == (
        "contracts-cp1252.csv:4: /records/0/start_date: mapping dates.* \"%d/%m/%Y, iso\": '31/02/2024' is not a date"
        " (column 'Start')"
    )


def test_a_byte_the_encoding_lacks_is_located(load, mapped: Path) -> None:
    path = mapped / "contracts-cp1252.csv"
    path.write_bytes(path.read_bytes().replace(b"Hosting", b"Host\x81ng"))
    config = load_config(mapped / "capcheck.toml")
    [problem] = load.problems("contracts-cp1252.csv", mappings=config.mappings())
    assert problem.startswith("contracts-cp1252.csv:5: not cp1252 text: byte 0x81 at offset ")


def test_without_its_mapping_the_export_is_refused_not_misread(load, mapped: Path) -> None:
    problems = load.problems("contracts-cp1252.csv", kind_map={"*.csv": "supplier-contracts"})
    assert len(problems) == 1 and "UTF-8" in problems[0] and "0xe9" in problems[0], problems


def test_a_skip_rows_column_missing_from_the_header_is_named(load, mapped: Path) -> None:
    [m] = compile_mappings(
        [{"files": "*.csv", "kind": "supplier-contracts", "encoding": "cp1252", "header_row": 3, "id": "Ref",
          "skip_rows": [{"field": "Total", "empty": True}]}],
        shown="capcheck.toml",
    )  # fmt: skip
    [problem] = load.problems("contracts-cp1252.csv", mappings=[m])
    assert problem == (
        "contracts-cp1252.csv:3: no 'Total' column in the header row (named by capcheck.toml:[[mapping]] 1 skip_rows 1)"
    )


def write_book(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


EXPORT = [
    ["Northgate IT asset register"],
    ["Exported from ServiceDesk 01/11/2026 09:14"],
    [],
    ["Asset Tag", "Hostname ", "Product", "Env", "Criticality", "Owner", "EoL", "Internet facing", "Patched"],
    ["CI-1", "web-01 ", "rhel", "Production", "High", "infra ", "31/05/2024", "Y", "2026-10-01 14:22:05"],
    ["CI-2", "db-01", "postgresql", "Production", "Critical", "infra", 45352, "N", datetime(2026, 10, 2, 8, 0)],
    ["CI-3", "old-01", "windows-server", "Test", "Low", "infra", None, "N", "01/10/2026 08:00"],
    ["Retired below", None, None, None, None, None, None, None, None],
]
XLSX_MAPPING = {
    "files": "*.xlsx",
    "sheet": "Export",
    "kind": "it-assets",
    "trim": True,
    "id": "Asset Tag",
    "rename": {
        "Hostname": "name",
        "Product": "product",
        "Env": "environment",
        "Criticality": "criticality",
        "Owner": "owner",
        "EoL": "end_of_life",
        "Internet facing": "internet_facing",
        "Patched": "last_patched",
    },
    "values": {
        "environment": {"Production": "production", "Test": "test"},
        "criticality": {"High": "high", "Critical": "critical", "Low": "low"},
        "internet_facing": {"Y": True, "N": False},
    },
    "dates": {"*": ["%d/%m/%Y", "excel", "iso"]},
    "skip_rows": [{"field": "Asset Tag", "matches": "^Retired"}],
}


def test_an_excel_export_reads_through_a_sheet_mapping(load, workdir: Path) -> None:
    write_book(workdir / "assets.xlsx", {"Export": EXPORT, "Lists": [["Env"], ["Production"]]})
    evidence = load("assets.xlsx", mappings=compile_mappings([XLSX_MAPPING], shown="capcheck.toml"))
    assert evidence.get("it-assets", "CI-1") == {
        "id": "CI-1",
        "Asset Tag": "CI-1",
        "name": "web-01",
        "product": "rhel",
        "environment": "production",
        "criticality": "high",
        "owner": "infra",
        "end_of_life": "2024-05-31",
        "internet_facing": True,
        "last_patched": "2026-10-01",
    }
    second = evidence.get("it-assets", "CI-2")
    assert second is not None and (second["end_of_life"], second["last_patched"]) == ("2024-03-01", "2026-10-02")
    third = evidence.get("it-assets", "CI-3")
    assert third is not None and third["last_patched"] == "2026-10-01"
    [info] = evidence.files
    assert info.path == "assets.xlsx!Export" and info.records == 3
    assert info.notes == (
        "sheets not named like an evidence kind, not read: 'Lists'",
        '1 row skipped by capcheck.toml:[[mapping]] 1 skip_rows 1 (Asset Tag matches "^Retired"): row 8',
    )
    assert info.mapping is not None and info.mapping["skipped_rows"] == 1
    assert evidence.ref("it-assets", "CI-2").line == 6


def test_a_bad_cell_is_named_by_sheet_and_cell_with_the_mapping_key(load, workdir: Path) -> None:
    rows = [*EXPORT[:4], [*EXPORT[4][:6], "31/02/2024", *EXPORT[4][7:]]]
    write_book(workdir / "assets.xlsx", {"Export": rows})
    table = {**XLSX_MAPPING, "dates": {"end_of_life": "%d/%m/%Y"}}
    [problem] = load.problems("assets.xlsx", mappings=compile_mappings([table], shown="capcheck.toml"))
    assert problem == "assets.xlsx!Export!G5: mapping dates.end_of_life \"%d/%m/%Y\": '31/02/2024' is not a date"


def test_header_row_given_outright(load, workdir: Path) -> None:
    rows = [
        ["id", "title"],  # a title row that happens to say "id": header_row skips detection
        ["ref", "name", "product", "environment", "criticality"],
        ["A-1", "x", "rhel", "test", "low"],
    ]
    write_book(workdir / "assets.xlsx", {"Sheet1": rows})
    table = {"files": "assets.xlsx", "kind": "it-assets", "header_row": 2, "rename": {"ref": "id"}}
    evidence = load("assets.xlsx", mappings=compile_mappings([table], shown="c.toml"))
    assert evidence.get("it-assets", "A-1") == {
        "id": "A-1", "name": "x", "product": "rhel", "environment": "test", "criticality": "low"
    }  # fmt: skip
    past = {**table, "header_row": 9}
    [problem] = load.problems("assets.xlsx", mappings=compile_mappings([past], shown="c.toml"))
    assert problem == "assets.xlsx!Sheet1:3: no row 9 (the header_row of c.toml:[[mapping]] 1)"


def test_a_header_row_that_is_blank_is_an_error_not_an_empty_register(load, workdir: Path) -> None:
    """A header_row on a blank row names no column: were it taken, the sheet would read as no records and a
    check over it would pass. Past the data, a row that is only formatted (bold, borders) is such a row."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    for row in (["id", "name", "product", "environment", "criticality"], ["A-1", "x", "rhel", "test", "low"]):
        sheet.append(row)
    for column in "ABCDE":
        sheet[f"{column}40"].font = Font(bold=True)  # formatted, never filled
    book.save(workdir / "assets.xlsx")
    table = {"files": "assets.xlsx", "kind": "it-assets", "header_row": 40}
    [problem] = load.problems("assets.xlsx", mappings=compile_mappings([table], shown="c.toml"))
    assert problem == "assets.xlsx!Sheet1:40: row 40 is empty (the header_row of c.toml:[[mapping]] 1)"
    # The last data row taken for the header: no id column, and no rows under it to fail on their own.
    inside = {**table, "header_row": 2}
    [problem] = load.problems("assets.xlsx", mappings=compile_mappings([inside], shown="c.toml"))
    assert problem == "assets.xlsx!Sheet1:2: no 'id' column in the header row"


def test_a_json_envelope_maps_to_a_kind_with_renames_and_skips(load, workdir: Path) -> None:
    doc = {
        "kind": "cmdb-export",
        "records": [
            {"ci": "CI-1", "hostname": "a", "product": "rhel", "environment": "test", "criticality": "low"},
            {"ci": "TOTAL"},
            {"ci": "CI-3", "hostname": "c", "product": "rhel", "environment": "test", "criticality": "Hi"},
        ],
    }
    (workdir / "cmdb.json").write_text(json.dumps(doc, indent=1))
    table = {
        "files": "cmdb.json",
        "kind": "it-assets",
        "rename": {"ci": "id", "hostname": "name"},
        "values": {"criticality": {"Hi": "high"}},
        "skip_rows": [{"field": "id", "equals": "TOTAL"}],
    }
    evidence = load("cmdb.json", mappings=compile_mappings([table], shown="c.toml"))
    assert evidence.get("it-assets", "CI-3") == {
        "id": "CI-3", "name": "c", "product": "rhel", "environment": "test", "criticality": "high"
    }  # fmt: skip
    ref = evidence.ref("it-assets", "CI-3")
    assert (ref.pointer, ref.line) == ("/records/2", 14)  # its own place in the file, after the skipped record
    [info] = evidence.files
    assert info.kind == "it-assets" and info.mapping is not None and info.mapping["skipped_rows"] == 1
    assert info.notes == ('1 row skipped by c.toml:[[mapping]] 1 skip_rows 1 (id equals "TOTAL"): line 11',)


def test_a_skipped_row_is_named_by_its_line_never_dropped_unsaid(load, workdir: Path) -> None:
    # skip_rows = { field = "owner", empty = true } dropped the contracts COMM-001 would fail, with only a count
    # in a note: the note names where each skipped row was (the first ten, then how many more)
    rows = [f"C-{n},t,s,1,2024-01-01,active,{'' if n % 2 else 'alice'}" for n in range(1, 31)]
    (workdir / "contracts.csv").write_text("id,title,supplier,value,start_date,status,owner\n" + "\n".join(rows))
    table = {"files": "contracts.csv", "kind": "supplier-contracts", "skip_rows": [{"field": "owner", "empty": True}]}
    evidence = load("contracts.csv", mappings=compile_mappings([table], shown="c.toml"))
    [info] = evidence.files
    assert info.records == 15
    assert info.notes == (
        "15 rows skipped by c.toml:[[mapping]] 1 skip_rows 1 (owner empty):"
        " lines 2, 4, 6, 8, 10, 12, 14, 16, 18, 20 and 5 more",
    )


def test_a_yaml_value_the_mapping_cannot_convert_is_located(load, workdir: Path) -> None:
    (workdir / "contracts.yaml").write_text(
        "kind: supplier-contracts\nrecords:\n  - id: C-1\n    title: x\n    supplier: y\n    value: lots\n"
    )
    table = {"files": "*.yaml", "numbers": {"value": "1,234.5"}}
    [problem] = load.problems("contracts.yaml", mappings=compile_mappings([table], shown="c.toml"))
    assert problem == (
        "contracts.yaml:3: /records/0/value: mapping numbers.value '1,234.5': 'lots' is not a number (column 'value')"
    )


def test_a_spreadsheet_only_key_on_a_json_file_is_refused(load, workdir: Path) -> None:
    (workdir / "x.json").write_text('{"kind": "it-assets", "records": []}')
    table = {"files": "x.json", "header_row": 2}
    [problem] = load.problems("x.json", mappings=compile_mappings([table], shown="c.toml"))
    assert "'header_row' applies to CSV files and spreadsheets" in problem


def test_check_records_the_mapping_in_the_findings_document(run_cli, mapped: Path) -> None:
    result = run_cli("check", "contracts-cp1252.csv", "--as-of", "2026-11-25", "-f", "json")
    assert result.exit_code == 1, result.stderr
    document = json.loads(result.stdout)
    [entry] = document["evidence"]
    assert entry["mapping"]["source"] == "capcheck.toml:[[mapping]] 1"
    assert entry["mapping"]["skipped_rows"] == 1
    schema = json.loads((ROOT / "schemas" / "findings.schema.json").read_text())
    jsonschema.validate(document, schema)
    text = run_cli("check", "contracts-cp1252.csv", "--as-of", "2026-11-25")
    assert '1 row skipped by capcheck.toml:[[mapping]] 1 skip_rows 1 (Ref equals "TOTAL")' in text.stdout


def test_check_with_a_bad_mapping_exits_2_naming_the_config_line(run_cli, mapped: Path) -> None:
    config = mapped / "capcheck.toml"
    config.write_text(config.read_text().replace("trim = true", "trimm = true"))
    result = run_cli("check", "contracts-cp1252.csv")
    assert result.exit_code == 2
    assert (
        "capcheck.toml:8: /mapping/0/trimm: [[mapping]] 1: unknown key 'trimm' (did you mean 'trim'?)" in result.stderr
    )


def test_an_unnamed_index_column_is_renamed_and_an_id_made_from_a_template(load, workdir: Path) -> None:
    (workdir / "dspt-export.csv").write_text(
        ",Code,Organisation Name,Status\n0,R0A,Manchester,22/23 Standards Met\n1,RBS,Alder Hey,Approaching Standards\n"
    )
    table = {
        "files": "dspt-*.csv",
        "kind": "it-assets",  # any kind: the loader's work is the same
        "id": "DSPT-{org_code}",
        "rename": {"": "row", "Code": "org_code", "Organisation Name": "name", "Status": "status_text"},
        "values": {"status_text": {"22/23 Standards Met": "standards-met"}},
    }
    problems = load.problems("dspt-export.csv", mappings=compile_mappings([table], shown="c.toml"))
    assert all("is a required property" in p for p in problems)  # the schema still judges mapped records
    from capcheck.builtins.loaders.csvfile import load_csv
    from capcheck.core.kinds import bundled_kinds
    from capcheck.core.loading import LoadContext, SourceFile

    kinds = {k.id: k for k in bundled_kinds()}
    source = SourceFile(Path("dspt-export.csv"), "dspt-export.csv", (workdir / "dspt-export.csv").read_bytes())
    [doc] = load_csv(source, LoadContext(kinds=kinds, mappings=compile_mappings([table], shown="c.toml")))
    assert doc.records == [
        {"row": "0", "org_code": "R0A", "name": "Manchester", "status_text": "standards-met", "id": "DSPT-R0A"},
        {"row": "1", "org_code": "RBS", "name": "Alder Hey", "status_text": "Approaching Standards", "id": "DSPT-RBS"},
    ]


def test_a_header_row_past_the_end_of_a_csv_is_named(load, mapped: Path) -> None:
    [m] = compile_mappings(
        [{"files": "*.csv", "kind": "supplier-contracts", "encoding": "cp1252", "header_row": 40}], shown="c.toml"
    )
    [problem] = load.problems("contracts-cp1252.csv", mappings=[m])
    assert problem == "contracts-cp1252.csv:6: no row 40 (the header_row of c.toml:[[mapping]] 1)"


@given(st.integers(-(10**15), 10**15), st.integers(0, 99), st.sampled_from(sorted(NUMBER_STYLES)))
def test_a_number_written_in_its_style_reads_back(whole: int, cents: int, style: str) -> None:
    thousands, decimal = NUMBER_STYLES[style]
    digits = f"{abs(whole):,}".replace(",", thousands)
    text = ("-" if whole < 0 else "") + f"{digits}{decimal}{cents:02d}"
    expected = Decimal(f"{whole}.{cents:02d}") if whole >= 0 else -Decimal(f"{-whole}.{cents:02d}")
    assert parse_number(text, thousands, decimal) == expected
    assert parse_number("£" + text.lstrip("-") + "k", thousands, decimal) == abs(expected) * 1000


def test_a_misspelt_column_in_a_mapping_is_named_not_left_unmapped(load, mapped: Path, workdir: Path) -> None:
    config = mapped / "capcheck.toml"
    config.write_text(
        config.read_text()
        .replace('"Supplier" = "supplier"', '"Suplier" = "supplier"')
        .replace("numbers.value", "numbers.valeu")
    )
    problems = load.problems("contracts-cp1252.csv", mappings=load_config(config).mappings())
    assert problems == [
        "contracts-cp1252.csv:3: capcheck.toml:[[mapping]] 1 rename: no column 'Suplier' in the header"
        " (did you mean 'Supplier'?)",
        "contracts-cp1252.csv:3: capcheck.toml:[[mapping]] 1 numbers.valeu: no column 'valeu' (after rename)"
        " (did you mean 'value'?)",
    ]
    write_book(workdir / "assets.xlsx", {"Export": EXPORT})
    table = {**XLSX_MAPPING, "dates": {"end_of_lif": "%d/%m/%Y"}}
    [problem] = load.problems("assets.xlsx", mappings=compile_mappings([table], shown="c.toml"))
    assert problem == (
        "assets.xlsx!Export:4: c.toml:[[mapping]] 1 dates.end_of_lif: no column 'end_of_lif' (after rename)"
        " (did you mean 'end_of_life'?)"
    )


@given(st.one_of(st.text(max_size=30), st.integers(), st.floats(allow_nan=True), st.booleans()))
def test_a_conversion_either_converts_or_says_why_never_crashes(value: object) -> None:
    from capcheck.core.kinds import bundled_kinds

    kind = next(k for k in bundled_kinds() if k.id == "supplier-contracts")
    plan = mapping(
        dates={"*": ["%d/%m/%Y %H:%M", "excel", "iso"]}, numbers={"*": "1.234,5"}, values={"sme": {"Y": True}}
    ).plan(kind)
    for name in ("start_date", "value", "notice_period_days", "sme"):
        convert = plan.converter(name)
        assert convert is not None
        try:
            convert(value)
        except MappingValueError as exc:
            assert str(exc).startswith("mapping ")


def test_a_huge_number_is_refused(contracts: EvidenceKind) -> None:
    convert = mapping(numbers={"value": "1234.5"}).plan(contracts).converter("value")
    assert convert is not None
    assert convert("999999999999999999") == 999_999_999_999_999_999
    for value in ("1" * 5000, "1000000000bn", 1e308):
        with pytest.raises(MappingValueError, match="is too large"):
            convert(value)


def test_validate_counts_the_rows_mappings_skipped(run_cli, mapped: Path) -> None:
    result = run_cli("validate", "contracts-cp1252.csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("ok: 1 evidence file (2 records; 1 row skipped by config mappings)")


def test_a_sheet_a_mapping_names_is_read_even_hidden_and_a_missing_one_is_an_error(load, workdir: Path) -> None:
    path = write_book(workdir / "assets.xlsx", {"Export": EXPORT, "Notes": [["Read me"]]})
    book = openpyxl.load_workbook(path)
    book["Export"].sheet_state = "hidden"
    book.save(path)
    evidence = load("assets.xlsx", mappings=compile_mappings([XLSX_MAPPING], shown="c.toml"))
    assert evidence.count("it-assets") == 3  # hidden, but named by the mapping
    missing = {**XLSX_MAPPING, "sheet": "Exprot"}
    [problem] = load.problems("assets.xlsx", mappings=compile_mappings([missing], shown="c.toml"))
    assert (
        problem
        == "assets.xlsx: c.toml:[[mapping]] 1 names the sheet 'Exprot', which is not here (sheets: 'Export', 'Notes')"
    )
    kindless = {k: v for k, v in XLSX_MAPPING.items() if k != "kind"}
    book["Export"].sheet_state = "visible"
    book.save(path)
    [problem] = load.problems("assets.xlsx", mappings=compile_mappings([kindless], shown="c.toml"))
    assert (
        problem
        == "assets.xlsx: c.toml:[[mapping]] 1 names the sheet 'Export', which is not named like a kind: give it a kind"
    )


@pytest.mark.parametrize(
    ("given", "ok"), [(";", True), ("\t", True), ("|", True), (",", True), (":", False), ("", False)]
)
def test_delimiter_choices(given: str, ok: bool) -> None:
    if ok:
        assert mapping(delimiter=given).delimiter == given
    else:
        with pytest.raises(ConfigError, match="'delimiter' must be one of"):
            mapping(delimiter=given)


def test_a_delimiter_on_a_json_file_is_refused(load, workdir: Path) -> None:
    (workdir / "x.json").write_text('{"kind": "it-assets", "records": []}')
    [problem] = load.problems("x.json", mappings=compile_mappings([{"files": "x.json", "delimiter": ";"}]))
    assert "'delimiter' applies to CSV files and spreadsheets" in problem


# ---------------------------------------------------------------- set: fields the register does not say


def test_set_gives_every_record_a_field_before_the_id_is_made(load, workdir: Path) -> None:
    (workdir / "estate.csv").write_text("Tag,Host\nCI-1,web-01\nCI-2,db-01\n")
    table = {
        "files": "estate.csv",
        "kind": "it-assets",
        "id": "{environment}-{Tag}",
        "rename": {"Host": "name"},
        "set": {"environment": "production", "internet_facing": False, "product": "rhel", "criticality": "low"},
    }
    evidence = load("estate.csv", mappings=compile_mappings([table], shown="capcheck.toml"))
    assert evidence.get("it-assets", "production-CI-2") == {
        "Tag": "CI-2",
        "name": "db-01",
        "environment": "production",
        "internet_facing": False,
        "product": "rhel",
        "criticality": "low",
        "id": "production-CI-2",
    }


def test_set_on_a_field_the_register_has_is_named_never_overwritten(load, workdir: Path) -> None:
    (workdir / "estate.csv").write_text("id,environment\nCI-1,test\n")
    book = write_book(workdir / "estate.xlsx", {"It Assets": [["id", "environment"], ["CI-1", "test"]]})
    (workdir / "estate.json").write_text('{"kind": "it-assets", "records": [{"id": "CI-1", "environment": "test"}]}')
    table = {"files": "estate.*", "kind": "it-assets", "set": {"environment": "live"}}
    mappings = compile_mappings([table], shown="capcheck.toml")
    message = "capcheck.toml:[[mapping]] 1 set.environment: the file has a column 'environment' too (after rename)"
    assert load.problems("estate.csv", mappings=mappings) == [f"estate.csv:1: {message}; set a field it lacks"]
    assert load.problems(book.name, mappings=mappings) == [f"estate.xlsx!It Assets:1: {message}; set a field it lacks"]
    [problem] = load.problems("estate.json", mappings=mappings)
    assert problem.startswith("estate.json:1: /records/0: ") and message in problem


def test_a_sheet_s_unnamed_index_column_is_named_by_rename(load, workdir: Path) -> None:
    rows: list[list[Any]] = [
        ["Register"],
        [None, "id", "name", None],
        [0, "CI-1", "web-01", None],
        [1, "CI-2", "db", None],
    ]
    write_book(workdir / "it-assets.xlsx", {"It Assets": rows})
    [problem, *_] = load.problems("it-assets.xlsx")
    assert problem == "it-assets.xlsx!It Assets!A3: a value in a column with no name in the header row"
    table = {"files": "*.xlsx", "header_row": 2, "rename": {"": "row"}, "set": {"product": "rhel"}}
    mappings = compile_mappings([{**table, "set": {"product": "rhel", "environment": "test", "criticality": "low"}}])
    evidence = load("it-assets.xlsx", mappings=mappings)
    assert evidence.get("it-assets", "CI-2") == {
        "row": "1",  # a field the kind does not name: text
        "id": "CI-2",
        "name": "db",
        "product": "rhel",
        "environment": "test",
        "criticality": "low",
    }
    # a rename of "" with no unnamed column in the table is a misspelling like any other
    write_book(workdir / "it-assets.xlsx", {"It Assets": [["id", "name"], ["CI-1", "web-01"]]})
    [problem] = load.problems("it-assets.xlsx", mappings=mappings)
    assert "rename: no column '' in the header" in problem
