"""An auditor follows each finding back to its source: real public evidence (tests/data/real) and the bundled
example, the JSON findings document, and for every finding the file, line, row and JSON pointer it names, opened
and read the way an auditor would, with a reader of the format's own (never capcheck's locator): the place must
hold that record.

The claims (README "Findings", docs/findings.md "Traceability"): every finding names its rule and rule version,
and its evidence by file, kind, record id, line (CSV: also row) and pointer (for derived records, where the record
comes from in the file, e.g. ``/releases/17/awards/0``); the ``evidence`` list gives each file's SHA-256; the
``rules`` list gives each rule's source, with the rule file and its SHA-256 for declarative ones.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import xml.parsers.expat
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from capcheck.core.resources import data_dir, load_schema

REAL = Path(__file__).parent / "data" / "real"
AS_OF = "2025-11-25"


def _validate(doc: dict[str, Any]) -> None:
    schema = load_schema("findings")
    cls = jsonschema.validators.validator_for(schema)
    cls(schema, format_checker=cls.FORMAT_CHECKER).validate(doc)


def _check(run_cli: Any, workdir: Path, *names: str) -> dict[str, Any]:
    """``check evidence/ --include-passed -f json`` over copies of the named real files; the document, validated."""
    (workdir / "evidence").mkdir()
    for name in names:
        shutil.copyfile(REAL / name, workdir / "evidence" / name)
    result = run_cli("check", "evidence", "--as-of", AS_OF, "--include-passed", "-f", "json")
    assert result.exit_code in (0, 1), result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    _validate(doc)
    return doc


def _resolve(doc: Any, pointer: str) -> Any:
    """RFC 6901, written out here so the test does not lean on capcheck's pointers."""
    assert pointer.startswith("/"), pointer
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        doc = doc[int(token)] if isinstance(doc, list) else doc[token]
    return doc


def _object_at_line(text: str, line: int) -> list[Any]:
    """Every JSON object that begins on ``line`` (1-based) of ``text``, decoded from its opening brace."""
    lines = text.splitlines(keepends=True)
    start = sum(len(ln) for ln in lines[: line - 1])
    decoder = json.JSONDecoder()
    found = []
    for col, char in enumerate(lines[line - 1]):
        if char == "{":
            found.append(decoder.raw_decode(text, start + col)[0])
    return found


def _references(doc: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """Each record reference in ``doc`` to the file at ``path`` (findings' evidence and related records)."""
    refs = []
    for finding in doc["findings"]:
        for ref in [finding["evidence"], *finding.get("related", [])]:
            if ref.get("file") == path and "record_id" in ref:
                refs.append({**ref, "_finding": finding})
    return refs


def _files_and_rules_are_traceable(doc: dict[str, Any], workdir: Path) -> None:
    """Each evidence file's SHA-256 is the file's; each finding's rule version is its rule's, and a built-in
    declarative rule's source file and SHA-256 are the packaged rule file's."""
    for entry in doc["evidence"]:
        stored = workdir / entry["path"].split("!")[0]  # a workbook's sheet: the workbook's SHA-256
        assert entry["sha256"] == hashlib.sha256(stored.read_bytes()).hexdigest(), entry["path"]
    rules = {r["id"]: r for r in doc["rules"]}
    assert {f["rule_id"] for f in doc["findings"]} <= set(rules)
    for finding in doc["findings"]:
        assert finding["rule_version"] == rules[finding["rule_id"]]["version"]
    declarative = [r for r in doc["rules"] if r["source"].get("path", "").endswith(".toml")]
    assert len(declarative) > 20
    for rule in declarative:
        source = data_dir("rules") / rule["source"]["path"]
        assert hashlib.sha256(source.read_bytes()).hexdigest() == rule["source"]["sha256"], rule["id"]
        assert f'id = "{rule["id"]}"' in source.read_text(encoding="utf-8")


@pytest.fixture
def real_doc(run_cli: Any, workdir: Path) -> dict[str, Any]:
    """One check of an OCDS extract, the three DSPT exports, a CycloneDX JSON SBOM and an SPDX tag-value SBOM."""
    return _check(
        run_cli,
        workdir,
        "contracts-finder-extract.ocds.json",
        "nhs-dspt-trusts-status-2023-11-16.csv",
        "nhs-dspt-icb-status-2023-11-16.csv",
        "nhs-dspt-csu-status-2023-11-16.csv",
        "cyclonedx-laravel-7.12.0-bom.1.4.json",
        "spdx-example6-lib.spdx",
    )


def test_the_files_and_the_rules_are_the_ones_that_ran(real_doc: dict[str, Any], workdir: Path) -> None:
    assert [e["format"] for e in real_doc["evidence"]] == ["ocds", "cyclonedx", "dspt", "dspt", "dspt", "spdx"]
    _files_and_rules_are_traceable(real_doc, workdir)


def test_an_ocds_finding_leads_to_its_award(real_doc: dict[str, Any], workdir: Path) -> None:
    path = "evidence/contracts-finder-extract.ocds.json"
    text = (workdir / path).read_text(encoding="utf-8")
    package = json.loads(text)
    refs = _references(real_doc, path)
    assert Counter(r["_finding"]["status"] for r in refs).keys() == {"pass", "fail", "skip"}
    for ref in refs:
        pointer: str = ref["pointer"]
        assert pointer.startswith("/releases/") and "/awards/" in pointer, pointer  # the award, not /records/i
        award = _resolve(package, pointer)
        release = _resolve(package, pointer.rsplit("/awards/", 1)[0])
        # The record is that award of that contracting process ...
        assert ref["record_id"].startswith(release["ocid"]) and ref["record_id"].endswith(str(award["id"])), ref
        # ... and the line is where the award's object opens.
        assert award in _object_at_line(text, ref["line"]), (ref["record_id"], ref["line"])
    # What a failure says is what the notice says: the value and the supplier.
    failures = [r for r in refs if r["_finding"]["rule_id"] == "COMM-008" and r["_finding"]["status"] == "fail"]
    assert len(failures) == 4
    for ref in failures:
        award = _resolve(package, ref["pointer"])
        message = ref["_finding"]["message"]
        assert f"worth GBP {award['value']['amount']:,} before VAT" in message
        assert f"with {award['suppliers'][0]['name']}," in message


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("nhs-dspt-trusts-status-2023-11-16.csv", 211),
        ("nhs-dspt-icb-status-2023-11-16.csv", 42),
        ("nhs-dspt-csu-status-2023-11-16.csv", 5),
    ],
    ids=["trusts", "icb", "csu"],
)
def test_a_dspt_finding_leads_to_its_row(real_doc: dict[str, Any], workdir: Path, name: str, count: int) -> None:
    # Three shapes of one export: an unnamed index column first (trusts), extra leading columns (ICBs), none (CSUs).
    path = f"evidence/{name}"
    text = (workdir / path).read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    rows: dict[int, tuple[int, dict[str, str]]] = {}  # data row number -> (first line, the row)
    line = reader.line_num + 1
    for number, cells in enumerate(reader, 1):
        rows[number] = (line, dict(zip(header, cells, strict=True)))
        line = reader.line_num + 1
    refs = _references(real_doc, path)
    assert {r["_finding"]["rule_id"] for r in refs} >= {"CYBER-004", "CYBER-007"}
    assert len({r["record_id"] for r in refs}) == len(rows) == count
    for ref in refs:
        first_line, row = rows[ref["row"]]
        assert (ref["line"], row["Code"]) == (first_line, ref["record_id"]), ref
        assert ref["pointer"] == f"/records/{ref['row'] - 1}"
        finding = ref["_finding"]
        if finding["rule_id"] == "CYBER-004" and finding["status"] == "fail":
            # The status and the publication date the failure quotes are the row's.
            day, month, year = row["Date Of Publication"].split("/")
            # (for Not Published, the export's date is that of the last publication)
            when = "last published" if row["Status"] == "Not Published" else "published"
            assert f"has DSPT status '{row['Status']}' ({when} {year}-{month}-{day})" in finding["message"]
            assert f"({row['Code']})" in finding["message"]
    # CYBER-004 fails exactly the rows whose status is not "Standards Met" or "Standards Exceeded".
    failed = {
        r["record_id"] for r in refs if r["_finding"]["rule_id"] == "CYBER-004" and r["_finding"]["status"] == "fail"
    }
    short = {
        row["Code"] for _, row in rows.values() if not row["Status"].endswith(("Standards Met", "Standards Exceeded"))
    }
    assert failed == short
    if name.startswith("nhs-dspt-trusts"):
        assert len(failed) == 58  # 57 approaching standards, 1 not published (tests/data/real/README.md)


def test_a_cyclonedx_finding_leads_to_its_component(real_doc: dict[str, Any], workdir: Path) -> None:
    path = "evidence/cyclonedx-laravel-7.12.0-bom.1.4.json"
    text = (workdir / path).read_text(encoding="utf-8")
    bom = json.loads(text)
    refs = _references(real_doc, path)
    assert len({r["record_id"] for r in refs}) == len(bom["components"]) == 62
    for ref in refs:
        component = _resolve(bom, ref["pointer"])
        assert ref["record_id"].endswith("/" + component["purl"]), ref
        assert component in _object_at_line(text, ref["line"]), (ref["record_id"], ref["line"])


def test_an_spdx_finding_leads_to_its_package(real_doc: dict[str, Any], workdir: Path) -> None:
    path = "evidence/spdx-example6-lib.spdx"
    lines = (workdir / path).read_text(encoding="utf-8").splitlines()
    # Tag-value: a package is the run of tags from its PackageName to the next PackageName (or file, or end).
    starts = [i for i, ln in enumerate(lines, 1) if ln.startswith("PackageName:")]
    refs = _references(real_doc, path)
    assert {r["_finding"]["status"] for r in refs} == {"fail", "skip"}
    for ref in refs:
        index = int(ref["pointer"].removeprefix("/packages/"))
        assert ref["line"] == starts[index], ref
        block = lines[starts[index] - 1 : (starts[index + 1] - 1) if index + 1 < len(starts) else None]
        spdx_id = next(ln.split(":", 1)[1].strip() for ln in block if ln.startswith("SPDXID:"))
        assert ref["record_id"].endswith("/" + spdx_id), ref


def test_a_cyclonedx_xml_finding_leads_to_its_component(run_cli: Any, workdir: Path) -> None:
    name = "cyclonedx-laravel-7.12.0-bom.1.4.xml"
    doc = _check(run_cli, workdir, name)
    _files_and_rules_are_traceable(doc, workdir)
    # Where each <component> opens (expat's own line numbers), by its place among its siblings, and its purl.
    places: dict[str, int] = {}
    purls: dict[str, str] = {}
    stack: list[tuple[str, str | None, list[int]]] = []  # (tag, the element's pointer if a record's, children)
    chars: list[str] = []
    parser = xml.parsers.expat.ParserCreate()

    def start(tag: str, attrs: dict[str, str]) -> None:
        chars.clear()
        parent_tag, parent, counter = stack[-1] if stack else ("", None, [0])
        pointer: str | None = None
        if tag == "component" and parent_tag == "components" and parent is not None:
            pointer = f"{parent}/{counter[0]}"
            counter[0] += 1
            places[pointer] = parser.CurrentLineNumber
        elif tag == "components" and parent_tag in ("bom", "component"):  # not metadata's
            pointer = ("" if parent_tag == "bom" else parent or "") + "/components"
            pointer = pointer if parent_tag == "bom" or parent is not None else None
        stack.append((tag, pointer, [0]))

    def end(tag: str) -> None:
        stack.pop()
        if tag == "purl" and stack and stack[-1][0] == "component" and stack[-1][1] is not None:
            purls[stack[-1][1]] = "".join(chars).strip()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars.append
    parser.Parse((workdir / "evidence" / name).read_bytes(), True)
    refs = _references(doc, f"evidence/{name}")
    assert len({r["record_id"] for r in refs}) == len(places) == 62
    for ref in refs:
        assert ref["line"] == places[ref["pointer"]], ref
        assert ref["record_id"].endswith("/" + purls[ref["pointer"]]), ref


def test_every_finding_on_the_example_leads_to_its_record(run_cli: Any, workdir: Path) -> None:
    """The bundled example's registers in JSON, YAML, TOML and CSV: each reference's pointer resolves, in the
    file parsed by the format's own library, to the record of that id, and its line is where that record
    begins (CSV: the row of that number)."""
    import tomllib

    import yaml

    example = Path(__file__).resolve().parents[1] / "examples" / "northgate-health-digital" / "evidence"
    shutil.copytree(example, workdir / "evidence")
    result = run_cli("check", "evidence", "--as-of", "2026-11-25", "--include-passed", "-f", "json")
    doc = json.loads(result.stdout)
    _files_and_rules_are_traceable(doc, workdir)
    checked: Counter[str] = Counter()
    for entry in doc["evidence"]:
        path = entry["path"]
        text = (workdir / path).read_text(encoding="utf-8")
        suffix = Path(path).suffix
        starts: list[int] = []  # the line each record begins on, by position
        if suffix == ".json":
            data = json.loads(text)
        elif suffix == ".yaml":
            data = yaml.safe_load(text)
            root = yaml.compose(text)
            records = next(v for k, v in root.value if k.value == "records")
            starts = [node.start_mark.line + 1 for node in records.value]
        elif suffix == ".toml":
            data = tomllib.loads(text)
            starts = [i for i, ln in enumerate(text.splitlines(), 1) if ln.strip() == "[[records]]"]
        else:
            assert suffix == ".csv", path
            reader = csv.DictReader(io.StringIO(text, newline=""))
            rows, line = [], reader.line_num + 2
            for row in reader:
                rows.append((line, row))
                line = reader.line_num + 1
            data = {"records": [row for _, row in rows]}
            starts = [first for first, _ in rows]
        for ref in _references(doc, path):
            record = _resolve(data, ref["pointer"])
            assert record["id"] == ref["record_id"], ref
            index = int(ref["pointer"].removeprefix("/records/"))
            if suffix == ".json":
                assert record in _object_at_line(text, ref["line"]), ref
            else:
                assert ref["line"] == starts[index], ref
            if suffix == ".csv":
                assert ref["row"] == index + 1, ref
            checked[suffix] += 1
    assert set(checked) == {".json", ".yaml", ".toml", ".csv"} and min(checked.values()) > 50, checked


def test_a_spreadsheet_finding_leads_to_its_sheet_and_row(run_cli: Any, workdir: Path) -> None:
    """docs/evidence.md: a record in a workbook is located by its sheet and row (``register.xlsx!IT Assets``, the
    line the sheet's row number), and its evidence entry carries the workbook's SHA-256."""
    import openpyxl

    header = ["id", "name", "product", "criticality", "environment", "status", "internet_facing", "last_patched"]
    book = openpyxl.Workbook()
    readme = book.active
    readme.title = "Read me"
    readme.append(["Exported from the CMDB"])
    sheet = book.create_sheet("IT Assets")
    sheet.append(["IT asset register"])
    sheet.append([])
    sheet.append(header)
    for i, patched in enumerate(["2020-01-01", "2026-11-20", "2019-06-30", None]):
        sheet.append([f"A{i}", f"host-{i}", "nginx", "high", "production", "in-service", True, patched])
    sheet.append([])
    (workdir / "evidence").mkdir()
    book.save(workdir / "evidence" / "register.xlsx")
    result = run_cli("check", "evidence", "--as-of", "2026-11-25", "--include-passed", "-f", "json")
    doc = json.loads(result.stdout)
    _files_and_rules_are_traceable(doc, workdir)
    assert [e["path"] for e in doc["evidence"]] == ["evidence/register.xlsx!IT Assets"]
    rows = {
        row[0].value: row[0].row
        for row in openpyxl.load_workbook(workdir / "evidence" / "register.xlsx")["IT Assets"].iter_rows()
        if row[0].value
    }
    refs = _references(doc, "evidence/register.xlsx!IT Assets")
    assert {r["record_id"] for r in refs} == {"A0", "A1", "A2", "A3"}
    assert {r["_finding"]["status"] for r in refs} >= {"pass", "fail"}
    for ref in refs:
        assert ref["line"] == rows[ref["record_id"]], ref
        assert ref["pointer"] == f"/records/{int(ref['record_id'][1:])}"
