"""The spreadsheet loader: a register a sheet, kind from the sheet or file name, typed cells, sheet!row locations."""

from __future__ import annotations

import random
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from capcheck.builtins.loaders import xlsxfile
from capcheck.builtins.loaders.xlsxfile import column_letters, sheet_kind

HEADER = ["id", "title", "entry_type", "status", "risk_score", "next_review", "linked_controls", "owner"]


def workbook(path: Path, sheets: dict[str, list[list[Any]]], *, hidden: tuple[str, ...] = ()) -> Path:
    """Write a workbook with one sheet per entry (rows as given) and return its path."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    book.save(path)
    return path


def risk(rid: str, **cells: Any) -> list[Any]:
    values = {"id": rid, "title": f"Risk {rid}", "entry_type": "risk", "status": "open", **cells}
    return [values.get(name) for name in HEADER]


def test_sheet_names_read_as_kind_ids() -> None:
    assert sheet_kind("Governance Register") == "governance-register"
    assert sheet_kind(" IT_assets ") == "it-assets"
    assert [column_letters(i) for i in (0, 9, 25, 26, 701, 702)] == ["A", "J", "Z", "AA", "ZZ", "AAA"]


def test_header_below_title_rows_and_typed_cells(load, workdir: Path) -> None:
    rows = [
        ["Corporate risk register"],
        ["Exported 2026-10-01"],
        [],
        HEADER,
        risk("RSK-1", risk_score=20.0, next_review=date(2027, 1, 31), linked_controls="CTL-1; CTL-2", owner=1042),
        risk("RSK-2", next_review=datetime(2027, 2, 1, 9, 30)),
        [],
        [],
    ]
    evidence = load(workbook(workdir / "register.xlsx", {"Governance register": rows}))
    assert evidence.get("governance-register", "RSK-1") == {
        "id": "RSK-1",
        "title": "Risk RSK-1",
        "entry_type": "risk",
        "status": "open",
        "risk_score": 20,  # an integer, not 20.0
        "next_review": "2027-01-31",  # a date cell: an ISO date
        "linked_controls": ["CTL-1", "CTL-2"],
        "owner": "1042",  # a number cell in a string field: its text, no ".0"
    }
    assert evidence.get("governance-register", "RSK-2")["next_review"] == "2027-02-01T09:30:00"
    [info] = evidence.files
    assert (info.path, info.format, info.kind, info.records) == (
        "register.xlsx!Governance register",
        "xlsx",
        "governance-register",
        2,
    )
    ref = evidence.ref("governance-register", "RSK-2")
    assert (ref.file, ref.line, ref.row) == ("register.xlsx!Governance register", 6, None)


def test_a_bad_cell_is_named_by_sheet_and_cell(load, workdir: Path) -> None:
    rows = [["Title"], HEADER, risk("RSK-1"), risk("RSK-2", next_review="not a date", risk_score="high")]
    path = workbook(workdir / "register.xlsx", {"governance_register": rows})
    assert load.problems(path) == [
        "register.xlsx!governance_register!E4: 'high' is not a whole number",
        "register.xlsx!governance_register!F4: 'not a date' is not a date (YYYY-MM-DD, or a date cell)",
    ]


def test_schema_problems_are_located_by_sheet_and_row(load, workdir: Path) -> None:
    rows = [HEADER, risk("RSK-1"), risk("RSK-1")]
    [problem] = load.problems(workbook(workdir / "r.xlsx", {"Governance register": rows}))
    assert problem.startswith("r.xlsx!Governance register:3: /records/1/id: ")


def test_one_sheet_not_named_like_a_kind_takes_the_file_name(load, workdir: Path) -> None:
    evidence = load(workbook(workdir / "governance-register.xlsx", {"Sheet1": [HEADER, risk("RSK-1")]}))
    assert evidence.kinds() == ["governance-register"]
    mapped = load(
        workbook(workdir / "export.xlsm", {"Sheet1": [HEADER, risk("RSK-9")]}),
        kind_map={"export.*": "governance-register"},
    )
    assert mapped.get("governance-register", "RSK-9") is not None


def test_other_and_hidden_sheets_are_noted_not_dropped_silently(load, workdir: Path) -> None:
    path = workbook(
        workdir / "book.xlsx",
        {"Governance register": [HEADER, risk("RSK-1")], "Read me": [["notes"]], "it-assets": [["id"], ["X"]]},
        hidden=("it-assets",),
    )
    [info] = load(path).files
    assert info.notes == (
        "sheets not named like an evidence kind, not read: 'Read me'",
        "hidden sheets, not read: 'it-assets'",
    )


@pytest.mark.parametrize(
    ("sheets", "expected"),
    [
        (
            {"One": [HEADER], "Two": [HEADER]},
            "no visible sheet is named like an evidence kind (sheets: 'One', 'Two'; known kinds:",
        ),
        ({"Governance register": [["title"], ["x"]]}, "register.xlsx!Governance register:1: no header row"),
        ({"Sheet1": [HEADER]}, "unknown evidence kind 'register' (from the file name; its one sheet 'Sheet1'"),
    ],
)
def test_workbooks_that_cannot_be_read_say_why(load, workdir: Path, sheets: dict[str, Any], expected: str) -> None:
    [problem] = load.problems(workbook(workdir / "register.xlsx", sheets))
    assert expected in problem


def test_a_damaged_workbook_is_a_located_problem(load, workdir: Path) -> None:
    (workdir / "bad.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    [problem] = load.problems(workdir / "bad.xlsx")
    assert problem.startswith("bad.xlsx: not a readable workbook: ")


def test_a_workbook_that_expands_too_far_is_refused_unread(load, workdir: Path) -> None:
    path = workbook(workdir / "register.xlsx", {"Governance register": [HEADER, risk("RSK-1")]})
    with zipfile.ZipFile(path, "a") as archive:  # 2 MB that do not compress, declared as what they expand to
        archive.writestr("xl/padding.bin", random.Random(0).randbytes(2 << 20), compress_type=zipfile.ZIP_DEFLATED)
    assert load(path).get("governance-register", "RSK-1") is not None
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(xlsxfile, "MAX_EXPANDED_BYTES", 1 << 20)
        assert load.problems(path) == ["register.xlsx: the workbook expands to 2 MB, more than 1 MB (not read)"]


def _padded(path: Path, *, chunk: int) -> Path:
    """``path``'s workbook with a 2 MB part of text that repeats but for six random hex digits every ``chunk``
    bytes (400 compress about 64 times, 1,600 about 195 times)."""
    noise = random.Random(0)
    text = b"".join(b"x" * (chunk - 6) + noise.randbytes(3).hex().encode() for _ in range((2 << 20) // chunk))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/padding.xml", text, compress_type=zipfile.ZIP_DEFLATED)
    return path


@pytest.mark.parametrize("chunk", [400, 1600])
def test_a_part_expanding_more_than_a_hundred_times_is_refused_unread(load, workdir: Path, chunk: int) -> None:
    # The zip bombs: 1 GB of empty cells (<c/>) stored in 1 MB took 86 CPU s to parse, of tiny shared strings in
    # 2.5 MB 53 s. Real workbooks compress 4 to 13 times; Apache POI refuses parts beyond 100 times.
    path = _padded(workbook(workdir / "register.xlsx", {"Governance register": [HEADER, risk("RSK-1")]}), chunk=chunk)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/padding.xml")
    ratio = info.file_size / info.compress_size
    if chunk == 400:
        assert 50 < ratio < 100
        assert load(path).get("governance-register", "RSK-1") is not None
        return
    assert ratio > 150
    [problem] = load.problems(path)
    assert problem == (
        f"register.xlsx: its part xl/padding.xml expands {int(ratio)} times over ({info.compress_size / 1024:.1f} KB "
        "stored, 2.0 MB expanded), more than 100 times: a zip bomb? (not read)"
    )


def test_a_workbook_expanding_more_than_a_hundred_times_is_refused_when_its_parts_overlap(load, workdir: Path) -> None:
    # Parts may share their stored bytes (each directory entry pointing at one part's data): then no part looks
    # compressed more than 100 times, but the whole does (Fifield's overlapping zip bomb).
    path = _padded(workbook(workdir / "register.xlsx", {"Governance register": [HEADER, risk("RSK-1")]}), chunk=400)
    with zipfile.ZipFile(path, "a") as archive:
        shared = archive.getinfo("xl/padding.xml")
        for copy in ("xl/padding2.xml", "xl/padding3.xml"):
            entry = zipfile.ZipInfo(copy, shared.date_time)
            for slot in ("compress_type", "file_size", "compress_size", "CRC", "header_offset", "flag_bits"):
                setattr(entry, slot, getattr(shared, slot))
            archive.filelist.append(entry)
            archive.NameToInfo[copy] = entry
        archive.writestr("docProps/custom.xml", "<Properties/>")  # a write, so the directory is written again
    with zipfile.ZipFile(path) as archive:
        assert all(info.file_size < 100 * info.compress_size for info in archive.infolist())
    [problem] = load.problems(path)
    assert problem.startswith("register.xlsx: the workbook expands ")
    assert problem.endswith("KB stored, 6.0 MB expanded), more than 100 times: a zip bomb? (not read)")


def test_the_peek_reads_no_styles_and_no_part_of_a_workbook_loading_refuses(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The peek (a workbook's kinds before loading, for a split check) parsed the styles part, and a bomb's: 200 MB
    # of <xf/> stored in 300 KB took 32 CPU s and 382 MB before loading refused the workbook.
    from capcheck.app.config import Config
    from capcheck.app.runner import load_registry
    from capcheck.builtins.loaders.xlsxreader import XlsxStream
    from capcheck.core.loading import LoadContext

    context = LoadContext(kinds=load_registry(Config()).kinds)
    path = workbook(workdir / "register.xlsx", {"Governance register": [HEADER, risk("RSK-1")]})

    def unread(*_args: Any) -> Any:
        raise AssertionError("read by the peek")

    with monkeypatch.context() as patch:
        patch.setattr(XlsxStream, "_read_styles", unread)
        assert xlsxfile.kinds_of_workbook(path, path.read_bytes()[:4], context) == {"governance-register"}
    _padded(path, chunk=1600)
    monkeypatch.setattr(XlsxStream, "__init__", unread)
    assert xlsxfile.kinds_of_workbook(path, path.read_bytes()[:4], context) is None


def test_the_header_is_the_first_row_naming_id_and_another_field(load, workdir: Path) -> None:
    rows = [["id", "see the notes sheet"], HEADER, risk("RSK-1")]
    evidence = load(workbook(workdir / "r.xlsx", {"Governance register": rows}))
    assert evidence.ref("governance-register", "RSK-1").line == 3


def test_merged_booleans_and_unnamed_columns(load, workdir: Path) -> None:
    rows = [
        ["id", "name", "product", "environment", "criticality", "owner", "status", "backup"],
        ["CI-1", "n", "p", "production", "high", "alice", None, True],
        ["CI-2", "n", "p", "test", "low", "bob", "in-service", False],
    ]
    path = workdir / "assets.xlsx"
    workbook(path, {"IT Assets": rows})
    book = openpyxl.load_workbook(path)
    book["IT Assets"].merge_cells("F2:G2")  # the value stays in F2; G2 reads as empty
    book.save(path)
    evidence = load(path)
    assert evidence.get("it-assets", "CI-1") == {
        "id": "CI-1",
        "name": "n",
        "product": "p",
        "environment": "production",
        "criticality": "high",
        "owner": "alice",
        "backup": True,
    }
    assert evidence.get("it-assets", "CI-2")["backup"] is False
    unnamed = [["Notes"], [*HEADER[:4], None], [*risk("RSK-1")[:4], "stray"], [*risk("RSK-2")[:4], 20.5]]
    assert load.problems(workbook(workdir / "g.xlsx", {"Governance register": unnamed})) == [
        "g.xlsx!Governance register!E3: a value in a column with no name in the header row",
        "g.xlsx!Governance register!E4: a value in a column with no name in the header row",
    ]
    fraction = [HEADER, risk("RSK-1", risk_score=20.5, next_review=True)]
    assert load.problems(workbook(workdir / "h.xlsx", {"Governance register": fraction})) == [
        "h.xlsx!Governance register!E2: 20.5 is not a whole number",
        "h.xlsx!Governance register!F2: a bool cell (true) is not a date (YYYY-MM-DD, or a date cell)",
    ]


_ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="Governance register">
<table:table-row>{header}</table:table-row>
<table:table-row>{cells}<table:table-cell office:value-type="date" office:date-value="2027-01-31">
<text:p>31/01/2027</text:p></table:table-cell></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"""


_ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"""


def _ods_text(value: str) -> str:
    return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'


def test_an_ods_workbook_is_read_too(load, workdir: Path) -> None:
    content = _ODS_CONTENT.format(
        header="".join(_ods_text(v) for v in [*HEADER[:4], "next_review"]),
        cells="".join(_ods_text(v) for v in ["RSK-1", "Risk", "risk", "open"]),
    )
    path = workdir / "register.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST)
        archive.writestr("content.xml", content)
    record = load(path).get("governance-register", "RSK-1")
    assert record is not None and record["next_review"] == "2027-01-31"


def test_sarif_points_at_the_workbook_and_names_the_sheet(run_cli: Any, workdir: Path) -> None:
    """A sheet is shown as ``register.xlsx!Governance register``; SARIF needs a file that exists, so its artifact
    is the workbook and the region names the sheet and row."""
    import json

    rows = [HEADER, risk("RSK-1", risk_score=20.0, owner="cro")]  # a high risk with no linked controls: GOV-002
    workbook(workdir / "register.xlsx", {"Governance register": rows})
    result = run_cli("check", "register.xlsx", "--as-of", "2026-11-25", "--select", "GOV-002", "-f", "sarif")
    run = json.loads(result.stdout)["runs"][0]
    uris = {a["location"]["uri"] for a in run["artifacts"]}
    assert uris == {"register.xlsx"}, uris
    [failed] = [r for r in run["results"] if r["kind"] == "fail"]
    physical = failed["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "register.xlsx"
    assert physical["region"] == {"startLine": 2, "message": {"text": "sheet Governance register, row 2"}}


def test_a_cell_far_out_is_a_located_problem_not_a_grid(load, workdir: Path) -> None:
    """A value at XFD50000 below a small register: python-calamine would allocate the 16,384 x 50,000 grid
    (26 GB: the process aborts); the streamed sheet costs one wide row, and the cell is named."""
    path = workbook(workdir / "register.xlsx", {"Governance register": [HEADER, risk("RSK-1")]})
    book = openpyxl.load_workbook(path)
    book["Governance register"]["XFD50000"] = "stray"
    book.save(path)
    assert load.problems(path) == [
        "register.xlsx!Governance register!XFD50000: a value in a column with no name in the header row"
    ]


def test_a_header_row_naming_only_id_is_found_after_reading_the_sheet_once_more(load, workdir: Path) -> None:
    """No row names id and another field: the first row naming id is the header, found by reading the streamed
    sheet again (the rows are not kept to look back)."""
    rows = [["Risks"], ["id", "note"], ["RSK-1", "x"]]
    path = workbook(workdir / "register.xlsx", {"Governance register": rows})
    [problem, *_] = load.problems(path)
    assert problem.startswith("register.xlsx!Governance register:3: ")  # located below the row-2 header
