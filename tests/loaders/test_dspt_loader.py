"""The NHS DSPT export loader: claimed by its header, rows as dspt-assessments, judged by edition deadline."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from capcheck.builtins.loaders import dspt
from capcheck.builtins.loaders.dspt import claims_dspt, parse_status
from capcheck.core.errors import EvidenceError
from capcheck.core.evidence import EvidenceSet, load_evidence
from capcheck.core.kinds import EvidenceKind
from capcheck.core.loading import Loader
from capcheck.core.mapping_config import compile_mappings

REAL = Path(__file__).resolve().parent.parent / "data" / "real"
TRUSTS = REAL / "nhs-dspt-trusts-status-2023-11-16.csv"
HEADER = "Code,Organisation Name,Status,Date Of Publication,Primary Sector\n"


def _load(path: Path, kinds: dict[str, EvidenceKind], loaders: dict[str, Loader]) -> EvidenceSet:
    return load_evidence([path], loaders=loaders, kinds=kinds, content_loaders=dspt.capcheck_loaders())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("22/23 Standards Met", ("22/23", "standards-met")),
        ("  23/24   Approaching  Standards ", ("23/24", "approaching-standards")),
        ("22/23 Standards Exceeded", ("22/23", "standards-exceeded")),
        ("24/25 Standards Not Met", ("24/25", "standards-not-met")),
        ("Not Published", (None, "not-published")),
        ("19/20 Entry Level", ("19/20", "standards-not-met")),  # withdrawn 1 March 2021: not met
        ("99/00 Standards Met", ("99/00", "standards-met")),
        ("22/24 Standards Met", None),  # not one financial year
        ("22/23 Compliant", None),
        ("Standards Mostly Met", None),
    ],
)
def test_status_text_splits_into_edition_and_status(text: str, expected: tuple[str | None, str] | None) -> None:
    assert parse_status(text) == expected


def test_the_export_is_claimed_by_its_header_not_its_name() -> None:
    assert claims_dspt(TRUSTS.read_bytes()[:4096])
    assert claims_dspt(b"\xef\xbb\xbf" + HEADER.encode())
    assert claims_dspt((REAL / "nhs-dspt-icb-status-2023-11-16.csv").read_bytes())
    # A capcheck register of the kind has an id column: the plain CSV loader reads it.
    assert not claims_dspt(b"id,Code,Organisation Name,Status,Date Of Publication\n")
    assert not claims_dspt(b"Code,Organisation Name,Status\n")  # no publication date: not the export
    assert not claims_dspt(b"\x00\xff garbage")


def test_the_real_trusts_export_reads_as_one_record_per_trust(
    kinds: dict[str, EvidenceKind], loaders: dict[str, Loader]
) -> None:
    evidence = _load(TRUSTS, kinds, loaders)
    records = evidence.records("dspt-assessments")
    assert len(records) == 211
    assert Counter(r["status"] for r in records) == {
        "standards-met": 138,
        "approaching-standards": 57,
        "standards-exceeded": 15,
        "not-published": 1,
    }
    assert dict(records[0]) == {
        "id": "R0A",
        "org_code": "R0A",
        "organisation": "MANCHESTER UNIVERSITY NHS FOUNDATION TRUST",
        "relationship": "partner",
        "status": "standards-met",
        "status_text": "22/23 Standards Met",
        "edition": "22/23",
        "published_on": "2023-06-30",
        "org_type": "nhs-trust",
        "integrated_care_board": "NHS GREATER MANCHESTER INTEGRATED CARE BOARD",
    }
    unpublished = evidence.get("dspt-assessments", "RA4")
    assert unpublished is not None and "edition" not in unpublished
    assert unpublished["published_on"] == "2022-06-28"
    (info,) = evidence.files
    assert (info.format, info.kind, info.records) == ("dspt", "dspt-assessments", 211)
    assert any("unnamed column" in note for note in info.notes)
    ref = evidence.ref("dspt-assessments", "RA4")
    assert ref.line is not None
    assert TRUSTS.read_text().splitlines()[ref.line - 1].startswith("11,RA4,")
    assert ref.row == 12


def _saved_again(text: str, *, delimiter: str = ",", dates: str = "uk") -> str:
    """The real export as a spreadsheet saves it again: another separator, ISO dates or Excel serial day
    numbers, Windows line ends."""
    rows = list(csv.reader(io.StringIO(text)))
    column = rows[0].index("Date Of Publication")
    for row in rows[1:]:
        day, month, year = row[column].split("/")
        if dates == "iso":
            row[column] = f"{year}-{month}-{day} 00:00:00"
        elif dates == "serial":
            row[column] = str((date(int(year), int(month), int(day)) - date(1899, 12, 30)).days)
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "delimiter", "dates", "encoding", "bom", "note"),
    [
        ("semicolon", ";", "uk", "utf-8", b"", "semicolon-separated"),
        ("tab", "\t", "uk", "utf-8", b"", "tab-separated"),
        ("iso-dates", ",", "iso", "utf-8", b"", None),
        ("excel-serials", ",", "serial", "utf-8", b"", "211 dates of publication written as Excel serial day numbers"),
        ("cp1252", ",", "uk", "cp1252", b"", "read as Windows-1252 (cp1252)"),
        ("cp1252-after-a-bom", ",", "uk", "cp1252", b"\xef\xbb\xbf", "read as Windows-1252 (cp1252)"),
        ("utf-8-bom", ",", "uk", "utf-8", b"\xef\xbb\xbf", None),
        ("utf-16", ",", "uk", "utf-16", b"", "UTF-16 text (its byte-order mark says so)"),  # the codec writes the BOM
    ],
)
def test_the_export_saved_again_by_a_spreadsheet_reads_the_same(
    tmp_path: Path,
    kinds: dict[str, EvidenceKind],
    loaders: dict[str, Loader],
    name: str,
    delimiter: str,
    dates: str,
    encoding: str,
    bom: bytes,
    note: str | None,
) -> None:
    # an en dash (0x96 in cp1252, a C1 control in Latin-1), an accent and a pound sign: read right, or not at all
    renamed = "MANCHESTER UNIVERSITY NHS FOUNDATION TRUST \u2013 Café £"
    text = TRUSTS.read_text(encoding="utf-8").replace("MANCHESTER UNIVERSITY NHS FOUNDATION TRUST,", renamed + ",", 1)
    path = tmp_path / f"{name}.csv"
    saved = _saved_again(text, delimiter=delimiter, dates=dates)
    path.write_bytes(bom + saved.encode(encoding))
    assert claims_dspt(path.read_bytes()[:4096])
    evidence = _load(path, kinds, loaders)
    records = evidence.records("dspt-assessments")
    original = _load(TRUSTS, kinds, loaders).records("dspt-assessments")
    assert len(records) == 211
    assert records[0]["organisation"] == renamed
    assert [dict(r) for r in records[1:]] == [dict(r) for r in original[1:]]
    (info,) = evidence.files
    extra = [n for n in info.notes if n not in _load(TRUSTS, kinds, loaders).files[0].notes]
    assert [note in n for n in extra] == ([] if note is None else [True])  # each difference said, once


def test_an_export_in_no_known_encoding_is_refused_with_its_location(workdir: Path, run_cli) -> None:
    # 0x81 has no character in cp1252 either: refused, never read as something else
    (workdir / "trusts.csv").write_bytes(HEADER.encode() + b"R0A,Trust \x81,22/23 Standards Met,30/06/2023,NHS Trust\n")
    result = run_cli("check", "trusts.csv", "--as-of", "2023-11-16")
    assert result.exit_code == 2
    assert "trusts.csv:2: neither UTF-8 nor Windows-1252 (cp1252) text: byte 0x81 at offset 75" in result.stderr
    assert "Traceback" not in result.stderr


def test_sectors_map_to_org_types(kinds: dict[str, EvidenceKind], loaders: dict[str, Loader]) -> None:
    icb = _load(REAL / "nhs-dspt-icb-status-2023-11-16.csv", kinds, loaders).records("dspt-assessments")
    csu = _load(REAL / "nhs-dspt-csu-status-2023-11-16.csv", kinds, loaders).records("dspt-assessments")
    assert {r["org_type"] for r in icb} == {"icb"}
    assert {r["org_type"] for r in csu} == {"csu"}
    assert icb[0]["org_code"] == "QRV"  # the Code column, not the ONS code before it


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            "R0A,Trust A,22/23 Standards Met,31/02/2023,NHS Trust",
            "'Date Of Publication': '31/02/2023' is not a date (dd/mm/yyyy or yyyy-mm-dd)",
        ),
        (
            "R0A,Trust A,22/23 Standards Met,2023-02-31,NHS Trust",
            "'Date Of Publication': '2023-02-31' is not a date (dd/mm/yyyy or yyyy-mm-dd)",
        ),
        (  # a number that is no Excel serial day number of a plausible date
            "R0A,Trust A,22/23 Standards Met,4510,NHS Trust",
            "'Date Of Publication': '4510' is not a date (dd/mm/yyyy or yyyy-mm-dd)",
        ),
        ("R0A,Trust A,22/23 Mostly Fine,30/06/2023,NHS Trust", "'Status': '22/23 Mostly Fine' is not a DSPT status"),
        (",Trust A,22/23 Standards Met,30/06/2023,NHS Trust", "'Code': no ODS code"),
    ],
)
def test_a_bad_cell_names_the_file_row_and_column(workdir: Path, run_cli, row: str, message: str) -> None:
    (workdir / "trusts.csv").write_text(HEADER + "R0B,Trust B,22/23 Standards Met,30/06/2023,NHS Trust\n" + row + "\n")
    result = run_cli("check", "trusts.csv", "--as-of", "2023-11-16")
    assert result.exit_code == 2
    assert f"trusts.csv:3: /records/1: column {message}" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_real_export_runs_with_row_locations(workdir: Path, run_cli) -> None:
    shutil.copyfile(TRUSTS, workdir / "trusts.csv")
    args = ["check", "trusts.csv", "--as-of", "2023-11-16", "--format", "json", "--select", "CYBER"]
    result = run_cli(*args)
    assert result.exit_code == 1, result.stderr
    doc = json.loads(result.stdout)
    failed = Counter(f["rule_id"] for f in doc["findings"] if f["status"] == "fail")
    # 57 approaching standards and 1 not published; only the unpublished trust is not on the 22/23 edition.
    assert failed == {"CYBER-004": 58, "CYBER-007": 1}
    dorset = next(f for f in doc["findings"] if f["evidence"].get("record_id") == "R0D")
    assert (dorset["evidence"]["file"], dorset["evidence"]["line"], dorset["evidence"]["row"]) == ("trusts.csv", 4, 3)
    assert doc["evidence"][0]["format"] == "dspt"


@pytest.mark.parametrize(("as_of", "stale"), [("2024-06-29", 1), ("2024-06-30", 211)])
def test_the_edition_is_judged_by_its_deadline(workdir: Path, run_cli, as_of: str, stale: int) -> None:
    shutil.copyfile(TRUSTS, workdir / "trusts.csv")
    result = run_cli("check", "trusts.csv", "--as-of", as_of, "--format", "json", "--select", "CYBER-007")
    doc = json.loads(result.stdout)
    assert sum(f["status"] == "fail" for f in doc["findings"]) == stale


def test_the_organisations_own_row_in_an_export_is_judged_as_its_own(workdir: Path, run_cli) -> None:
    """With the organisation profile naming its ODS code, its row of the national export is GOV-006's."""
    shutil.copyfile(TRUSTS, workdir / "trusts.csv")
    (workdir / "organisation.json").write_text(
        json.dumps(
            {
                "kind": "organisation",
                "records": [
                    {
                        "id": "R0D",
                        "name": "University Hospitals Dorset",
                        "org_code": "r0d",  # any case: codes are compared as join keys
                        "type": "trust",
                        "headcount": 9000,
                        "estate": {"dspt-assessments": 211},
                    }
                ],
            }
        )
    )
    args = ["check", "trusts.csv", "organisation.json", "--as-of", "2023-11-16", "--format", "json"]
    result = run_cli(*args, "--select", "GOV-006", "--select", "CYBER-004")
    assert result.exit_code == 1, result.stderr
    doc = json.loads(result.stdout)
    judged = {(f["rule_id"], f["evidence"].get("record_id")): f["status"] for f in doc["findings"]}
    assert judged[("GOV-006", "R0D")] == "fail"  # its own 22/23 Approaching Standards
    assert ("CYBER-004", "R0D") not in judged  # not judged as a partner of itself
    assert sum(status == "fail" for (rule, _), status in judged.items() if rule == "CYBER-004") == 57


def test_a_mapping_that_names_the_export_wins_over_content_recognition(
    kinds: dict[str, EvidenceKind], loaders: dict[str, Loader], workdir: Path
) -> None:
    shutil.copyfile(REAL / "nhs-dspt-csu-status-2023-11-16.csv", workdir / "csu.csv")
    table = {
        "files": "csu.csv",
        "kind": "dspt-assessments",
        "id": "org_code",
        "rename": {"Code": "org_code", "Organisation Name": "organisation", "Status": "status_text"},
        "values": {"status_text": {"22/23 Standards Exceeded": "22/23 Standards Exceeded"}},
    }
    mappings = compile_mappings([table], shown="capcheck.toml")
    with pytest.raises(EvidenceError) as info:  # read by the CSV loader as mapped: its records lack fields
        load_evidence(
            [Path("csu.csv")], loaders=loaders, kinds=kinds, content_loaders=dspt.capcheck_loaders(), mappings=mappings
        )
    assert any("is a required property (kind 'dspt-assessments')" in str(p) for p in info.value.problems)
    recognised = load_evidence([Path("csu.csv")], loaders=loaders, kinds=kinds, content_loaders=dspt.capcheck_loaders())
    assert recognised.files[0].format == "dspt"


def _workbook(path: Path) -> Path:
    """The real export as a user keeps it in Excel: a merged title cell and a note above the header, the
    publication dates as date cells, a hidden lookup sheet, empty rows after the table."""
    import openpyxl

    rows = list(csv.reader(io.StringIO(TRUSTS.read_text(encoding="utf-8"))))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "DSPT status"
    sheet["A1"] = "NHS DSPT status of trusts, snapshot 16/11/2023"
    sheet.merge_cells("A1:K1")
    sheet["A2"] = "Source: DSPT portal"
    sheet.append([])
    sheet.append(rows[0])
    published = rows[0].index("Date Of Publication")
    for row in rows[1:]:
        day, month, year = (int(part) for part in row[published].split("/"))
        sheet.append([int(row[0]), *row[1:published], date(year, month, day), *row[published + 1 :]])
    sheet.append([])
    lists = book.create_sheet("Lookups")
    lists.append(["Status"])
    lists.append(["22/23 Standards Met"])
    lists.sheet_state = "hidden"
    book.save(path)
    return path


def test_a_workbook_made_from_the_export_runs_with_the_mapping_inspect_suggests(workdir: Path, run_cli) -> None:
    _workbook(workdir / "dspt-trusts.xlsx")
    shown = run_cli("inspect", "dspt-trusts.xlsx", "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    (table,) = (t for t in json.loads(shown.stdout)["tables"] if t["sheet"] == "DSPT status")
    (workdir / "capcheck.toml").write_text(table["suggested_mapping"])
    assert 'set = { relationship = "partner" }' in table["suggested_mapping"]
    assert 'Status = "status_text"' in table["suggested_mapping"]  # the edition is kept
    result = run_cli("check", "dspt-trusts.xlsx", "--as-of", "2023-11-16", "--format", "json", "--select", "CYBER")
    assert result.exit_code == 1, result.stderr
    doc = json.loads(result.stdout)
    failed = Counter(f["rule_id"] for f in doc["findings"] if f["status"] == "fail")
    assert failed == {"CYBER-004": 58, "CYBER-007": 1}  # as the CSV export reads (above)
    dorset = next(f for f in doc["findings"] if f["evidence"].get("record_id") == "R0D")
    assert (dorset["evidence"]["file"], dorset["evidence"]["line"]) == ("dspt-trusts.xlsx!DSPT status", 7)
    (info,) = doc["evidence"]
    assert info["mapping"]["source"] == "capcheck.toml:[[mapping]] 1" and info["mapping"]["skipped_rows"] == 0
    assert "status and edition read from status_text for 211 records" in info["notes"]


def test_status_text_fills_status_and_edition_and_never_replaces_them(kinds: dict[str, EvidenceKind]) -> None:
    from capcheck.core.loading import Document, LoadContext

    records = [
        {"status_text": "23/24 Approaching Standards"},
        {"status_text": "Not Published"},
        {"status_text": "22/23 Standards Met", "status": "standards-exceeded"},  # given: kept, edition too
        {"status_text": "23/24 Standards Met", "edition": "22/23"},
        {"status_text": "mostly fine"},  # not a DSPT status: left for validation to name
    ]
    doc = Document(kind="dspt-assessments", records=records, locate=lambda index: None)
    dspt.fill_from_status_text(doc, LoadContext(kinds=kinds))
    assert [(r.get("status"), r.get("edition")) for r in doc.records] == [
        ("approaching-standards", "23/24"),
        ("not-published", None),
        ("standards-exceeded", None),
        ("standards-met", "22/23"),
        (None, None),
    ]
    assert doc.notes == ("status and edition read from status_text for 3 records",)


def test_the_withdrawn_entry_level_status_of_real_exports_reads_as_not_met(
    workdir: Path, run_cli, kinds: dict[str, EvidenceKind], loaders: dict[str, Loader]
) -> None:
    """The DSPT portal's export of September 2022 (64,201 rows, nhsx/open-cyber) still lists '18/19 Entry Level'
    and '19/20 Entry Level' for 1,191 organisations: the adapter refused the file ('not a DSPT status') and a
    workbook of it, mapped as inspect suggests, failed validation 51 times without naming the text."""
    from capcheck.core.loading import Document, LoadContext

    path = workdir / "dspt.csv"
    path.write_text(
        HEADER
        + "RJ1,GUY'S AND ST THOMAS',21/22 Standards Met,30/06/2022,Trust\n"
        + "A06K,BRITISH HOME,19/20 Entry Level,24/01/2020,Other (including charities)\n",
        encoding="utf-8",
    )
    evidence = _load(path, kinds, loaders)
    records = {r["id"]: r for r in evidence.records("dspt-assessments")}
    assert (records["A06K"]["status"], records["A06K"]["edition"], records["A06K"]["status_text"]) == (
        "standards-not-met",
        "19/20",
        "19/20 Entry Level",
    )
    [loaded] = evidence.files
    note = (
        "1 record with the status 'Entry Level' (2018/19 and 2019/20 only, withdrawn on 1 March 2021, below"
        " Approaching Standards) read as standards-not-met; status_text keeps the published text"
    )
    assert note in loaded.notes
    # Through check (the enricher runs on the adapter's records too): the note once, the row failing CYBER-004.
    result = run_cli("check", "dspt.csv", "--as-of", "2022-09-09", "--select", "CYBER-004", "--format", "json")
    assert result.exit_code == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["evidence"][0]["notes"].count(note) == 1
    assert [f["evidence"]["record_id"] for f in document["findings"] if f["status"] == "fail"] == ["A06K"]
    # The same through the enricher, for a mapped register or workbook.
    doc = Document(kind="dspt-assessments", records=[{"status_text": "18/19 Entry Level"}], locate=lambda index: None)
    dspt.fill_from_status_text(doc, LoadContext(kinds=kinds))
    assert (doc.records[0]["status"], doc.records[0]["edition"]) == ("standards-not-met", "18/19")
    assert doc.notes[-1] == note
