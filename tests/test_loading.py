"""Peeking at evidence files before loading (``peek_kinds``, ``Loader.kinds_of``): a file's peek is None or the exact
set of kinds ``load_evidence`` gives it, for every evidence file in the repository, through mappings and ``csv_kinds``,
content recognition and workbooks; and the loader is chosen as loading chooses it. Reading one range of a file
(``read_range``) and numbering a range's records (``Document.first``); the built-in loaders' ranges are tested in
``tests/loaders/test_loader_ranges.py``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from capcheck.app.config import Config
from capcheck.app.registry import Registry
from capcheck.app.runner import load_registry
from capcheck.builtins.loaders.xlsxfile import kinds_of_workbook
from capcheck.core.errors import EvidenceError
from capcheck.core.evidence import find_evidence_files, load_evidence
from capcheck.core.loading import (
    HEAD_BYTES,
    ByteRange,
    Document,
    LoadContext,
    Loader,
    RangeError,
    SourceFile,
    choose_loader,
    fixed_kinds,
    peek_kinds,
    read_range,
)
from capcheck.core.mapping import FileMapping
from capcheck.core.mapping_config import compile_mappings

ROOT = Path(__file__).resolve().parent.parent
ASSET = {"id": "A-1", "name": "web", "product": "rhel", "environment": "production", "criticality": "high"}


@cache
def registry() -> Registry:
    return load_registry(Config())


def extensions() -> set[str]:
    reg = registry()
    return {*reg.loaders, *(ext for c in reg.content_loaders for ext in c.extensions)}


def peek(
    files: Sequence[Path], *, mappings: Sequence[FileMapping] = (), kind_map: dict[str, str] | None = None
) -> dict[Path, frozenset[str] | None]:
    reg = registry()
    context = LoadContext(kinds=reg.kinds, kind_map=kind_map or {}, mappings=tuple(mappings))
    return peek_kinds(files, loaders=reg.loaders, content_loaders=reg.content_loaders, context=context)


def loaded_kinds(
    path: Path, *, mappings: Sequence[FileMapping] = (), kind_map: dict[str, str] | None = None
) -> frozenset[str] | None:
    """The kinds ``load_evidence`` gives the file's documents (as ``check`` loads it), or None when it refuses it."""
    reg = registry()
    try:
        evidence = load_evidence(
            [path],
            loaders=reg.loaders,
            content_loaders=reg.content_loaders,
            kinds=reg.kinds,
            enrichers=reg.enrichers,
            kind_map=kind_map,
            mappings=mappings,
        )
    except EvidenceError:
        return None
    return frozenset(info.kind for info in evidence.files)


def disagreements(files: Sequence[Path], **how: Any) -> tuple[list[str], int]:
    """Files whose peek is neither None nor the kinds loading gives them; and how many loadable files peeked."""
    peeked = peek(files, **how)
    wrong: list[str] = []
    told = 0
    for path in files:
        kinds = loaded_kinds(path, **how)
        if kinds is None:
            continue  # refused: the run stops wherever the file is read, so no answer is wrong
        if peeked[path] is not None:
            told += 1
            if peeked[path] != kinds:
                wrong.append(f"{path}: peeked {sorted(peeked[path] or ())}, loaded {sorted(kinds)}")
    return wrong, told


def evidence_under(*roots: Path) -> list[Path]:
    found: list[Path] = []
    for root in roots:
        files, _problems = find_evidence_files([root], extensions())
        found.extend(files)
    return found


# ---------------------------------------------------------------- the invariant, over real files


def test_every_evidence_file_in_the_repository_peeks_as_it_loads() -> None:
    files = evidence_under(ROOT / "tests" / "fixtures", ROOT / "examples")
    wrong, told = disagreements(files)
    assert wrong == []
    assert told >= 50  # the peeks do tell (the repository holds 80-odd loadable files; none peeks None today)


def test_the_repository_s_mapped_fixtures_peek_as_they_load_through_their_config(workdir: Path) -> None:
    shutil.copytree(ROOT / "tests" / "fixtures" / "mapping", workdir / "mapping")
    config = workdir / "mapping" / "capcheck.toml"
    mappings = compile_mappings(tomllib.loads(config.read_text())["mapping"], shown="capcheck.toml")
    files = evidence_under(Path("mapping"))
    wrong, told = disagreements(files, mappings=mappings)
    assert wrong == []
    assert told == 1  # the cp1252 export, mapped to supplier-contracts (the DSPT export fails this mapping)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_the_benchmark_generator_s_output_peeks_as_it_loads(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / fmt
    generate = [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--records", "300", "--out", str(out)]
    subprocess.run([*generate, "--format", fmt], check=True, capture_output=True)
    files = evidence_under(out)
    wrong, told = disagreements(files)
    assert wrong == []
    assert told == 3


def test_the_peek_of_a_benchmark_file_bigger_than_the_head(tmp_path: Path) -> None:
    records = [{**ASSET, "id": f"A-{i}", "notes": 'kind ]}\\" {['} for i in range(3000)]
    path = tmp_path / "assets.json"
    path.write_text(json.dumps({"kind": "it-assets", "records": records}, indent=1))
    assert path.stat().st_size > 65536
    assert peek([path]) == {path: frozenset({"it-assets"})}
    assert loaded_kinds(path) == frozenset({"it-assets"})
    path.write_text(json.dumps({"records": records, "kind": "it-assets"}, indent=1))
    assert peek([path]) == {path: None}  # the kind is past the head: cannot tell cheaply


# ---------------------------------------------------------------- mappings, csv_kinds, content recognition


def test_a_mapping_s_kind_is_the_peek_of_a_file_whose_records_capcheck_maps(workdir: Path) -> None:
    (workdir / "cmdb.json").write_text(json.dumps({"kind": "it-assets", "records": [ASSET]}))
    [mapping] = compile_mappings([{"files": "cmdb.json", "kind": "services"}], shown="capcheck.toml")
    assert peek([Path("cmdb.json")], mappings=[mapping]) == {Path("cmdb.json"): frozenset({"services"})}
    assert peek([Path("cmdb.json")]) == {Path("cmdb.json"): frozenset({"it-assets"})}
    [kindless] = compile_mappings([{"files": "cmdb.json", "rename": {"x": "y"}}], shown="capcheck.toml")
    assert peek([Path("cmdb.json")], mappings=[kindless]) == {Path("cmdb.json"): frozenset({"it-assets"})}


def test_a_csv_file_peeks_its_mapping_s_kind_else_csv_kinds_else_its_stem(workdir: Path) -> None:
    (workdir / "export-2026.csv").write_text("id,name\nA-1,web\n")
    path = Path("export-2026.csv")
    assert peek([path]) == {path: frozenset({"export-2026"})}
    assert peek([path], kind_map={"export-*.csv": "it-assets"}) == {path: frozenset({"it-assets"})}
    [mapping] = compile_mappings([{"files": "*.csv", "kind": "supplier-contracts"}], shown="capcheck.toml")
    assert peek([path], mappings=[mapping], kind_map={"export-*.csv": "it-assets"}) == {
        path: frozenset({"supplier-contracts"})
    }


def test_a_content_loader_s_file_peeks_its_kind_unless_a_mapping_names_the_file(workdir: Path) -> None:
    shutil.copy(ROOT / "tests" / "fixtures" / "mapping" / "nhs-dspt-icb-status-2023-11-16.csv", workdir / "icb.csv")
    path = Path("icb.csv")
    assert peek([path]) == {path: frozenset({"dspt-assessments"})}  # a DSPT export, recognised by its header
    assert loaded_kinds(path) == frozenset({"dspt-assessments"})
    # A mapping naming the file turns recognition off: the CSV loader reads it, as the mapping says.
    [mapping] = compile_mappings([{"files": "icb.csv", "kind": "it-assets"}], shown="capcheck.toml")
    assert peek([path], mappings=[mapping]) == {path: frozenset({"it-assets"})}


def test_sboms_and_ocds_peek_the_kind_their_format_fixes() -> None:
    files = evidence_under(ROOT / "tests" / "fixtures" / "sbom")
    peeked = peek(files)
    assert {p.name: peeked[p] for p in files if loaded_kinds(p) is not None} == {
        p.name: frozenset({"it-assets"}) for p in files if loaded_kinds(p) is not None
    }
    assert len([p for p in files if peeked[p] is not None]) >= 3


def test_an_adapter_s_file_with_no_records_still_holds_its_kind(workdir: Path) -> None:
    # A planning-only OCDS package maps no award, an SBOM may list no component: each is still a document of its
    # kind (has(kind) is true, a rule about the kind as a whole runs), so the fixed peek is right for them too.
    release = {"ocid": "ocds-1", "id": "1", "date": "2020-01-01T00:00:00Z", "tag": ["planning"]}
    (workdir / "plan.ocds.json").write_text(json.dumps({"uri": "x", "releases": [release]}))
    (workdir / "empty.cdx.json").write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5"}))
    files = [Path("plan.ocds.json"), Path("empty.cdx.json")]
    assert peek(files) == {Path("plan.ocds.json"): {"supplier-contracts"}, Path("empty.cdx.json"): {"it-assets"}}
    assert [loaded_kinds(path) for path in files] == [{"supplier-contracts"}, {"it-assets"}]


# ---------------------------------------------------------------- workbooks


def workbook(path: Path, sheets: dict[str, list[list[Any]]], *, hidden: tuple[str, ...] = ()) -> Path:
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


ASSET_ROWS = [list(ASSET), list(ASSET.values())]
CONTRACT = {"id": "C-1", "title": "Hosting", "supplier": "Acme", "value": 10, "start_date": "2024-01-01"}
CONTRACT_ROWS = [[*CONTRACT, "status"], [*CONTRACT.values(), "active"]]


@pytest.mark.parametrize(
    ("name", "sheets", "hidden"),
    [
        ("book.xlsx", {"IT Assets": ASSET_ROWS, "Supplier_Contracts": CONTRACT_ROWS}, ()),
        ("book.xlsx", {"IT Assets": ASSET_ROWS, "Supplier Contracts": CONTRACT_ROWS, "Notes": [["x"]]}, ()),
        ("book.xlsx", {"IT Assets": ASSET_ROWS, "supplier-contracts": CONTRACT_ROWS}, ("supplier-contracts",)),
        ("it-assets.xlsx", {"Sheet1": ASSET_ROWS}, ()),  # one sheet not named like a kind: the file's name
        ("it-assets.xlsx", {"Sheet1": ASSET_ROWS, "Lookup": [["x"]]}, ("Lookup",)),
    ],
)
def test_a_workbook_peeks_the_kinds_of_the_sheets_it_reads(
    workdir: Path, name: str, sheets: dict[str, list[list[Any]]], hidden: tuple[str, ...]
) -> None:
    path = workbook(workdir / name, sheets, hidden=hidden)
    kinds = loaded_kinds(path)
    assert kinds is not None
    assert peek([path]) == {path: kinds}


def test_a_workbook_s_sheet_mapping_sets_the_peeked_kind(workdir: Path) -> None:
    path = workbook(workdir / "book.xlsx", {"Inventory": ASSET_ROWS, "Deals": CONTRACT_ROWS}, hidden=("Deals",))
    mappings = compile_mappings(
        [
            {"files": "book.xlsx", "sheet": "Inventory", "kind": "it-assets"},
            {"files": "book.xlsx", "sheet": "deals", "kind": "supplier-contracts"},
        ],
        shown="capcheck.toml",
    )
    kinds = loaded_kinds(path, mappings=mappings)
    assert kinds == frozenset({"it-assets", "supplier-contracts"})  # a mapped hidden sheet is read
    assert peek([path], mappings=mappings) == {path: kinds}


def test_workbooks_the_peek_cannot_read_cheaply_or_at_all_are_none(workdir: Path) -> None:
    ods = workdir / "book.ods"
    ods.write_bytes(b"PK\x03\x04not really")  # a damaged archive
    xls = workdir / "book.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 600)  # an OLE (Excel 97) file: python-calamine reads it whole
    unnamed = workbook(workdir / "book.xlsx", {"Sheet1": ASSET_ROWS, "Sheet2": ASSET_ROWS})  # no sheet to read
    assert peek([ods, xls, unnamed]) == {ods: None, xls: None, unnamed: None}


# ---------------------------------------------------------------- plugins and odd files


def _plugin_loader(**fields: Any) -> Loader:
    def load(source: SourceFile, context: LoadContext) -> list[Document]:
        return [Document(kind="it-assets", records=[ASSET], locate=lambda i: None)]

    return Loader(name="plugin", extensions=(".dat",), load=load, **fields)


@pytest.mark.parametrize(
    ("kinds_of", "expected"),
    [
        (None, None),  # no peek: cannot tell
        (fixed_kinds("it-assets"), frozenset({"it-assets"})),
        (lambda path, head, context: frozenset(), frozenset()),  # a file with no documents
        (lambda path, head, context: None, None),
        (lambda path, head, context: {"it-assets"}, None),  # not a frozenset: not what the contract asks for
        (lambda path, head, context: frozenset({1}), None),
        (lambda path, head, context: 1 / 0, None),  # a plugin's bug: loading reports it, naming the loader
    ],
)
def test_a_plugin_loader_s_peek_is_taken_only_as_the_contract_says(workdir: Path, kinds_of: Any, expected: Any) -> None:
    (workdir / "x.dat").write_bytes(b"data")
    reg = registry()
    loaders = {**reg.loaders, ".dat": _plugin_loader(kinds_of=kinds_of)}
    context = LoadContext(kinds=reg.kinds)
    assert peek_kinds([Path("x.dat")], loaders=loaders, context=context) == {Path("x.dat"): expected}


@pytest.mark.parametrize(
    ("kinds_of", "why"),
    [
        (None, None),
        (fixed_kinds("it-assets"), None),
        (lambda path, head, context: None, None),  # cannot tell: not a failure
        (lambda path, head, context: 1 / 0, "raised ZeroDivisionError: division by zero"),
        (lambda path, head, context: {"it-assets"}, "returned {'it-assets'}, not None or a frozenset of kind names"),
    ],
)
def test_a_failing_peek_says_why(kinds_of: Any, why: str | None) -> None:
    # peek_kinds takes a failure as None, silently (a check then is not split): peek_failure says why, for validate
    from capcheck.core.loading import peek_failure

    reg = registry()
    loaders = {**reg.loaders, ".dat": _plugin_loader(kinds_of=kinds_of)}
    said = peek_failure(Path("x.dat"), b"data", loaders, (), LoadContext(kinds=reg.kinds))
    assert said == (None if why is None else f"the 'plugin' loader's kinds_of {why}")


def test_a_missing_file_or_a_failing_content_test_peeks_none(workdir: Path) -> None:
    (workdir / "x.dat").write_bytes(b"data")
    reg = registry()
    failing = _plugin_loader(claims=lambda head: 1 / 0, kinds_of=fixed_kinds("it-assets"))
    plain = {".dat": _plugin_loader(kinds_of=fixed_kinds("services"))}
    context = LoadContext(kinds=reg.kinds)
    assert peek_kinds([Path("x.dat"), Path("gone.dat")], loaders=plain, content_loaders=[failing], context=context) == {
        Path("x.dat"): None,
        Path("gone.dat"): None,
    }
    claiming = replace(failing, claims=lambda head: head.startswith(b"da"))
    assert peek_kinds([Path("x.dat")], loaders=plain, content_loaders=[claiming], context=context) == {
        Path("x.dat"): frozenset({"it-assets"})
    }


def test_the_loader_is_chosen_as_loading_chooses_it(workdir: Path) -> None:
    reg = registry()
    context = LoadContext(kinds=reg.kinds)
    head = (ROOT / "tests" / "fixtures" / "mapping" / "nhs-dspt-icb-status-2023-11-16.csv").read_bytes()[:65536]
    chosen = choose_loader(Path("icb.csv"), "icb.csv", head, reg.loaders, reg.content_loaders, context)
    assert chosen.name == "dspt"
    [mapping] = compile_mappings([{"files": "icb.csv", "kind": "it-assets"}], shown="capcheck.toml")
    mapped = replace(context, mappings=(mapping,))
    assert choose_loader(Path("icb.csv"), "icb.csv", head, reg.loaders, reg.content_loaders, mapped).name == "csv"
    failing = _plugin_loader(claims=lambda head: 1 / 0)
    with pytest.raises(EvidenceError) as info:
        choose_loader(Path("x.dat"), "shown/x.dat", b"", {}, [failing], context)
    assert str(info.value.problems[0]) == (
        "shown/x.dat: the 'plugin' loader's content test failed: ZeroDivisionError: division by zero"
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_swapped_in_for_a_file_peeks_none_without_waiting_for_a_writer(workdir: Path) -> None:
    os.mkfifo(workdir / "it-assets.json")
    assert peek([Path("it-assets.json")]) == {Path("it-assets.json"): None}
    os.mkfifo(workdir / "book.xlsx")  # the workbook's peek opens the file again: a pipe there is refused too
    assert kinds_of_workbook(Path("book.xlsx"), b"PK\x03\x04", LoadContext(kinds=registry().kinds)) is None


# ---------------------------------------------------------------- ranges (Loader.divide, Loader.load_range)


def test_a_range_reads_its_bytes_and_counts_the_newlines_before_it_block_by_block(tmp_path: Path) -> None:
    path = tmp_path / "lines.txt"
    lines = [b"x" * (i % 97) + b"\n" for i in range(60_000)]  # about 2.9 MB: several counting blocks
    data = b"".join(lines)
    path.write_bytes(data)
    info = path.stat()
    for start in (0, 10, HEAD_BYTES - 1, HEAD_BYTES, HEAD_BYTES + 1, (1 << 20) + 5, len(data) - 50):
        read = read_range(path, ByteRange(start, start + 40, info.st_size, info.st_mtime_ns), tail=7)
        assert read.newlines == data.count(b"\n", 0, start)
        assert (read.data, read.tail, read.head) == (data[start : start + 40], data[-7:], data[:HEAD_BYTES])
        assert read.framed is None
        framed = read_range(path, ByteRange(start, start + 40, info.st_size, info.st_mtime_ns), frame=(b"[", b"]!"))
        assert (framed.data, framed.newlines) == (b"", read.newlines)
        assert framed.framed == b"[" + data[start : start + 40] + b"]!"  # the range read into its frame
    with pytest.raises(RangeError, match="not within"):
        read_range(path, ByteRange(5, len(data) + 1, info.st_size, info.st_mtime_ns))
    with pytest.raises(RangeError, match="changed since it was divided"):
        read_range(path, ByteRange(0, 5, info.st_size - 1, info.st_mtime_ns))


def test_a_documents_first_record_numbers_its_pointers() -> None:
    doc = Document(kind="k", records=[{}, {}], locate=lambda i: None, first=10)
    assert [doc.pointer(0), doc.pointer(1)] == ["/records/10", "/records/11"]
    derived = Document(kind="k", records=[{}], locate=lambda i: None, first=10, pointers=["/releases/3"])
    assert derived.pointer(0) == "/releases/3"  # a loader's own pointers are the file's already
