"""One register loaded by ranges (``Loader.divide``, ``Loader.load_range``): the built-in JSON and CSV loaders.

Put together in order, the documents of every range of a division give exactly what loading the whole file gives:
the records, each one's line, pointer and CSV row, the envelope, and once validated the same problems at the same
places. A layout that ranges do not support gives None from ``divide`` or RangeError from ``load_range``, never
wrong records: the property is checked for cuts anywhere, not only where ``divide`` puts them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capcheck.builtins.loaders import csvfile, jsonfile
from capcheck.core import loading
from capcheck.core.errors import EvidenceError
from capcheck.core.evidence import _Builder  # the validation and indexing every loaded document goes through
from capcheck.core.kinds import EvidenceKind, bundled_kinds
from capcheck.core.loading import HEAD_BYTES, ByteRange, Document, LoadContext, Loader, RangeError, SourceFile
from capcheck.core.mapping import FileMapping
from capcheck.core.mapping_config import compile_mappings
from generator import load_generator

KINDS: dict[str, EvidenceKind] = {k.id: k for k in bundled_kinds()}
CONTEXT = LoadContext(kinds=KINDS)
[JSON] = jsonfile.capcheck_loaders()
[CSV] = csvfile.capcheck_loaders()
FIXTURES = Path(__file__).parent.parent / "fixtures" / "evidence"


def _loader(path: Path) -> Loader:
    return JSON if path.suffix == ".json" else CSV


def _whole(path: Path, context: LoadContext = CONTEXT) -> list[Document]:
    return list(_loader(path).load(SourceFile(path, path.name, path.read_bytes()), context))


def _divide(path: Path, parts: int, context: LoadContext = CONTEXT) -> list[ByteRange] | None:
    divide = _loader(path).divide
    assert divide is not None
    return divide(path, path.stat().st_size, parts, context)


def _by_ranges(path: Path, ranges: Sequence[ByteRange], context: LoadContext = CONTEXT) -> list[Document] | None:
    """Every range's documents in order, or None when one range raised RangeError (the file is then loaded whole)."""
    load_range = _loader(path).load_range
    assert load_range is not None
    try:
        return [doc for span in ranges for doc in load_range(path, span, context)]
    except RangeError:
        return None


def _places(docs: Sequence[Document]) -> list[tuple[Any, ...]]:
    """Each record with its line, pointer and CSV row, as the file's records."""
    return [
        (record, doc.locate(i), doc.pointer(i), doc.first + i + 1 if doc.rows else None)
        for doc in docs
        for i, record in enumerate(doc.records)
    ]


def _envelope(doc: Document) -> tuple[Any, ...]:
    return (
        doc.kind,
        doc.schema_version,
        doc.source,
        doc.collected_on,
        doc.records_line,
        doc.rows,
        doc.pointers,
        doc.notes,
        doc.display,
        doc.mapping,
    )


def _evidence(path: Path, docs: Sequence[Document]) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The documents validated and indexed as a load does: the problems, else where each record is."""
    builder = _Builder(KINDS, [])
    for doc in docs:
        builder.add(SourceFile(path, path.name, b""), doc, "test", "")
    try:
        evidence = builder.finish()
    except EvidenceError as exc:
        return [str(p) for p in exc.problems], {}
    return [], {
        str(record["id"]): evidence.ref(kind, record["id"]).as_dict()
        for kind in evidence.kinds()
        for record in evidence.records(kind)
    }


def _assert_same(path: Path, ranged: Sequence[Document], whole: Sequence[Document]) -> None:
    assert _places(ranged) == _places(whole)
    assert all(_envelope(doc) == _envelope(whole[0]) for doc in ranged) and len(whole) == 1
    assert _evidence(path, ranged) == _evidence(path, whole)


def _assert_divides(path: Path, context: LoadContext = CONTEXT, parts: Sequence[int] = range(1, 9)) -> None:
    """Every division into ``parts`` loads, and equals the whole load."""
    whole = _whole(path, context)
    for n in parts:
        ranges = _divide(path, n, context)
        assert ranges is not None, f"{path.name} in {n} parts"
        assert 1 <= len(ranges) <= n
        assert ranges[0].start < ranges[-1].end
        assert all(a.end == b.start for a, b in pairwise(ranges))
        ranged = _by_ranges(path, ranges, context)
        assert ranged is not None, f"{path.name} in {n} parts"
        _assert_same(path, ranged, whole)


def _assert_refused(path: Path, parts: Sequence[int] = range(2, 9)) -> None:
    """No division into ``parts`` loads: None from divide, else RangeError from some range."""
    for n in parts:
        ranges = _divide(path, n)
        assert ranges is None or (len(ranges) >= 2 and _by_ranges(path, ranges) is None), f"{path.name} in {n} parts"


def _cuts_anywhere(path: Path, cuts: Sequence[int], context: LoadContext = CONTEXT) -> None:
    """Cut the records' bytes at ``cuts`` (any bytes): either some range refuses, or the ranges equal the whole."""
    whole = _divide(path, 1, context)
    if whole is None:
        return  # never divided
    [span] = whole
    inner = sorted({span.start + c % (span.end - span.start) for c in cuts} - {span.start})
    bounds = [span.start, *inner, span.end]
    ranges = [span._replace(start=a, end=b) for a, b in pairwise(bounds)]
    ranged = _by_ranges(path, ranges, context)
    if ranged is not None:
        _assert_same(path, ranged, _whole(path, context))


# ---------------------------------------------------------------- the files


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The benchmark's registers at 400 records, both scenarios, JSON and CSV, by ``scenario/file``."""
    root = tmp_path_factory.mktemp("generated")
    out: dict[str, Path] = {}
    for scenario in ("typical", "high-failure"):
        for fmt in ("json", "csv"):
            for path in load_generator().generate(400, 11, root / f"{scenario}-{fmt}", fmt, scenario):
                out[f"{scenario}/{path.name}"] = path
    return out


def _records(path: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(path.read_bytes())["records"]
    return records


def _write(
    path: Path,
    records: Sequence[Any],
    *,
    indent: str = "",
    newline: str = "\n",
    head: str = '{"kind":"it-assets","schema_version":"1.0",',
    tail: str = "}",
    records_first: bool = False,
    dumps: Callable[[Any], str] = lambda r: json.dumps(r, separators=(",", ":")),
    bom: bool = False,
) -> Path:
    """An envelope with one record a line (unless ``dumps`` writes several lines), as the generator writes it."""
    lines = f",{newline}".join(indent + dumps(r) for r in records)
    body = f'"records":[{newline}{lines}{newline}]'
    text = "{" + body + "," + head[1:].rstrip(",") + tail if records_first else head + body + tail
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.replace("\n", newline).encode())
    return path


# ---------------------------------------------------------------- JSON


@pytest.mark.parametrize("name", ["typical", "high-failure"])
def test_generated_json_registers_divide_into_ranges_that_load_as_the_whole(
    generated: dict[str, Path], name: str
) -> None:
    for key, path in generated.items():
        if key.startswith(name + "/") and path.suffix == ".json":
            _assert_divides(path)


@pytest.mark.parametrize("name", ["typical", "high-failure"])
def test_generated_csv_registers_divide_into_ranges_that_load_as_the_whole(
    generated: dict[str, Path], name: str
) -> None:
    for key, path in generated.items():
        if key.startswith(name + "/") and path.suffix == ".csv":
            _assert_divides(path)


def test_the_ranges_are_about_even_and_divide_reads_only_the_ends_and_a_window_a_cut(
    generated: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = _write(tmp_path / "it-assets.json", _records(generated["typical/it-assets.json"]) * 10)  # 4,000 records
    read: list[int] = []
    real_open = loading.open_regular

    def counting(name: Path) -> Any:
        stream = real_open(name)
        real_read = stream.read

        def reads(n: int = -1) -> bytes:
            data = real_read(n)
            read.append(len(data))
            return data

        stream.read = reads  # type: ignore[method-assign]  # counting what divide reads
        return stream

    monkeypatch.setattr(jsonfile, "open_regular", counting)
    ranges = _divide(path, 4)
    assert ranges is not None and len(ranges) == 4
    size = path.stat().st_size
    assert size > 20 * HEAD_BYTES
    assert sum(read) <= 2 * HEAD_BYTES + 3 * jsonfile._WINDOW
    sizes = [r.end - r.start for r in ranges]
    assert max(sizes) - min(sizes) < 2000  # cut at the first record line after each quarter
    alone = [doc for span in ranges for doc in _by_ranges(path, [span]) or ()]  # each range loads alone
    assert [len(doc.records) for doc in alone] == [1000] * 4


def test_a_range_is_numbered_from_the_file_start(generated: dict[str, Path]) -> None:
    path = generated["high-failure/it-assets.json"]
    ranges = _divide(path, 3)
    assert ranges is not None
    [doc] = JSON.load_range(path, ranges[2], CONTEXT)  # type: ignore[misc]  # the JSON loader has load_range
    [whole] = _whole(path)
    assert doc.first > 200
    assert doc.records[0] == whole.records[doc.first]
    assert (doc.locate(0), doc.pointer(0)) == (doc.first + 2, f"/records/{doc.first}")


@pytest.mark.parametrize(
    ("layout", "options"),
    [
        ("CRLF", {"newline": "\r\n"}),
        ("a BOM", {"bom": True}),
        ("an indent", {"indent": "    "}),
        ("tabs", {"indent": "\t"}),
        ("the records first", {"records_first": True}),
        ("keys after the records", {"tail": ',"source":"x ] }","collected_on":"2026-11-01"}'}),
        ("braces and brackets in strings", {"dumps": lambda r: json.dumps({**r, "name": "{[x]}\\n{"})}),
        ("nested objects in one line", {"dumps": lambda r: json.dumps({**r, "tags": [{"a": {"b": 1}}]})}),
    ],
)
def test_supported_layouts_divide_and_load_as_the_whole(
    generated: dict[str, Path], tmp_path: Path, layout: str, options: dict[str, Any]
) -> None:
    records = _records(generated["typical/it-assets.json"])[:60]
    path = _write(tmp_path / "it-assets.json", records, **options)
    _assert_divides(path)


def test_a_file_shorter_than_a_window_divides(tmp_path: Path) -> None:
    records = [{"id": f"A-{i}", "name": "n", "product": "p", "environment": "production", "criticality": "low"}
               for i in range(3)]  # fmt: skip
    path = _write(tmp_path / "it-assets.json", records)
    assert path.stat().st_size < 1000
    _assert_divides(path)
    assert len(_divide(path, 8) or ()) == 3  # one record a range at most


@pytest.mark.parametrize(
    ("layout", "text"),
    [
        ("pretty-printed records", None),
        ("records sharing lines", '{"kind":"it-assets","records":[\n{"id":"a"},{"id":"b"},\n{"id":"c"},{"id":"d"},\n'
         '{"id":"e"},{"id":"f"},\n{"id":"g"}\n]}'),
        ("an object at the start of a line inside a record", '{"kind":"it-assets","records":[\n'
         + ",\n".join(f'{{"id":"a{i}","tags":\n{{"x":[{i}]}}}}' for i in range(12)) + "\n]}"),
        ("a record over two lines among one-line records", '{"kind":"it-assets","records":[\n'
         + ",\n".join(f'{{"id":"a{i}"}}' if i != 1 else '{"id":"a1",\n"x":1}' for i in range(12)) + "\n]}"),
        ("a blank line between records", '{"kind":"it-assets","records":[\n'
         + ",\n".join(f'{{"id":"a{i}"}}' + ("\n" if i == 1 else "") for i in range(12)) + "\n]}"),
    ],
)  # fmt: skip
def test_unsupported_layouts_are_refused_never_loaded_wrong(
    fixtures: Path, tmp_path: Path, layout: str, text: str | None
) -> None:
    path = tmp_path / "it-assets.json"
    if text is None:
        records = json.loads((fixtures / "evidence/formats/pretty.json").read_bytes())["records"] * 6
        text = json.dumps({"kind": "it-assets", "records": records}, indent=2)
    path.write_text(text)
    _assert_refused(path)
    for cut in range(1, 40):  # cut anywhere: refused, or the whole load's records
        _cuts_anywhere(path, [cut * 7, cut * 13, cut * 29])


@pytest.mark.parametrize(
    ("layout", "text"),
    [
        ("an empty records list", '{"kind":"it-assets","records":[\n]}'),
        ("one line", '{"kind":"it-assets","records":[{"id":"a"},{"id":"b"}]}'),
        ("the first record on the list's line", '{"kind":"it-assets","records":[{"id":"a"},\n{"id":"b"}\n]}'),
        ("records not objects", '{"kind":"it-assets","records":[\n"a",\n"b"\n]}'),
        ("the list closed after a last record not an object", '{"kind":"it-assets","records":[\n{"id":"a"},\n1]}'),
        ("an unknown top-level key", '{"kind":"it-assets","extra":1,"records":[\n{"id":"a"},\n{"id":"b"}\n]}'),
        ("a repeated top-level key", '{"kind":"it-assets","records":[\n{"id":"a"},\n{"id":"b"}\n],"kind":"x"}'),
        ("a malformed end", '{"kind":"it-assets","records":[\n{"id":"a"},\n{"id":"b"}\n]'),
        ("no records", '{"kind":"it-assets"}'),
        ("a list", '[\n{"id":"a"},\n{"id":"b"}\n]'),
    ],
)  # fmt: skip
def test_layouts_divide_refuses(tmp_path: Path, layout: str, text: str) -> None:
    path = tmp_path / "it-assets.json"
    path.write_text(text)
    assert _divide(path, 2) is None


@pytest.mark.parametrize(
    ("problem", "record"),
    [
        ("a key twice", '{"id":"a5","name":"x","name":"y"}'),
        ("a NUL byte", '{"id":"a5","name":"x\x00y"}'),
        ("bytes not UTF-8", '{"id":"a5","name":"x\udcff"}'),
        ("malformed", '{"id":"a5","name":}'),
    ],
)
def test_a_record_the_loader_refuses_is_left_to_the_whole_load(tmp_path: Path, problem: str, record: str) -> None:
    lines = [record if i == 5 else f'{{"id":"a{i}"}}' for i in range(12)]
    path = tmp_path / "it-assets.json"
    path.write_bytes(
        ('{"kind":"it-assets","records":[\n' + ",\n".join(lines) + "\n]}").encode("utf-8", "surrogateescape")
    )
    with pytest.raises(EvidenceError):
        _whole(path)
    for n in range(1, 9):
        ranges = _divide(path, n)
        assert ranges is not None and _by_ranges(path, ranges) is None


def test_a_second_records_key_is_refused_even_in_one_range(tmp_path: Path) -> None:
    path = tmp_path / "it-assets.json"
    path.write_text('{"kind":"it-assets","records":[\n{"id":"a"},\n{"id":"b"}\n],"records":[\n{"id":"c"}\n]}')
    with pytest.raises(EvidenceError, match="records"):
        _whole(path)
    ranges = _divide(path, 1)
    assert ranges is not None and _by_ranges(path, ranges) is None


def test_a_bom_character_past_the_start_of_a_csv_range_is_kept(tmp_path: Path) -> None:
    text = HEADER + "\n" + _rows(10) + "\ufeffA-x,h,nginx,production,high\n" + _rows(10, start=10)
    path = _csv(tmp_path / "it-assets.csv", text)
    table = {"files": "it-assets.csv", "encoding": "UTF-8-SIG"}
    context = LoadContext(kinds=KINDS, mappings=_mapping(table))
    whole = _whole(path, context)
    assert whole[0].records[10]["id"] == "\ufeffA-x"
    for n in range(1, 9):
        ranged = _by_ranges(path, _divide(path, n, context) or [], context)
        assert ranged is not None
        assert _places(ranged) == _places(whole)


def test_records_before_the_head_ends_are_needed(tmp_path: Path) -> None:
    path = tmp_path / "it-assets.json"
    path.write_text('{"kind":"it-assets","source":"' + "x" * HEAD_BYTES + '","records":[\n{"id":"a"},\n{"id":"b"}\n]}')
    assert _divide(path, 2) is None


def test_a_mapping_that_skips_rows_keeps_the_file_whole(tmp_path: Path) -> None:
    path = _write(tmp_path / "it-assets.json", [{"id": f"a{i}"} for i in range(10)])
    skipping = _mapping({"files": "it-assets.json", "skip_rows": [{"field": "id", "equals": "a3"}]})
    renaming = _mapping({"files": "it-assets.json", "rename": {"name": "title"}})
    assert _divide(path, 2, LoadContext(kinds=KINDS, mappings=skipping)) is None
    assert _divide(path, 2, LoadContext(kinds=KINDS, mappings=renaming)) is not None  # applied to each range's records


def _mapping(table: dict[str, Any]) -> tuple[FileMapping, ...]:
    return tuple(compile_mappings([table], shown="capcheck.toml"))


def _edited(generated: dict[str, Path], tmp_path: Path, edits: dict[int, Any]) -> Path:
    records: list[Any] = _records(generated["high-failure/it-assets.json"])
    for index, edit in edits.items():
        records[index] = edit(records[index]) if callable(edit) else edit
    return _write(tmp_path / "it-assets.json", records)


def test_schema_errors_in_several_ranges_are_placed_as_in_the_whole_file(
    generated: dict[str, Path], tmp_path: Path
) -> None:
    bad = {i: (lambda r: {**r, "criticality": "extreme"}) for i in (3, 140, 141, 260, 399)}
    path = _edited(generated, tmp_path, bad)
    problems, _ = _evidence(path, _whole(path))
    assert len(problems) == 5 and "it-assets.json:5: /records/3/criticality" in problems[0]
    _assert_divides(path)


def test_a_record_not_an_object_and_one_without_an_id_are_placed_as_in_the_whole_file(
    generated: dict[str, Path], tmp_path: Path
) -> None:
    path = _edited(generated, tmp_path, {50: "not a record", 300: lambda r: {k: v for k, v in r.items() if k != "id"}})
    problems, _ = _evidence(path, _whole(path))
    assert problems == [
        "it-assets.json: /records/50: each record must be an object",
        "it-assets.json:302: /records/300/id: each record needs a non-empty string 'id'",
    ]
    _assert_divides(path, parts=[1, 2])  # both problems in one range each: as one document reports them


def test_a_duplicate_id_in_another_range_names_the_first_use(generated: dict[str, Path], tmp_path: Path) -> None:
    path = _edited(generated, tmp_path, {350: lambda r: {**r, "id": "CI-00000011"}})
    problems, _ = _evidence(path, _whole(path))
    assert problems == [
        "it-assets.json:352: /records/350/id: duplicate it-assets id 'CI-00000011': already used at it-assets.json"
        " /records/10"
    ]
    _assert_divides(path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=0, max_value=1 << 30), max_size=7))
def test_cuts_anywhere_give_the_whole_files_records_or_a_refusal(generated: dict[str, Path], cuts: list[int]) -> None:
    for key in ("high-failure/it-assets.json", "typical/governance-register.csv"):
        _cuts_anywhere(generated[key], cuts)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cuts_at_any_record_line_load_as_the_whole(generated: dict[str, Path], data: st.DataObject) -> None:
    for key in ("high-failure/supplier-contracts.json", "high-failure/supplier-contracts.csv"):
        path = generated[key]
        [span] = _divide(path, 1) or []
        raw = path.read_bytes()
        starts = [i + 1 for i in range(span.start, span.end - 1) if raw[i] == 0x0A]
        cuts = data.draw(st.lists(st.sampled_from(starts), max_size=7, unique=True).map(sorted))
        bounds = [span.start, *cuts, span.end]
        ranges = [span._replace(start=a, end=b) for a, b in pairwise(bounds)]
        ranged = _by_ranges(path, ranges)
        assert ranged is not None
        _assert_same(path, ranged, _whole(path))


def test_a_file_changed_after_it_was_divided_is_refused(generated: dict[str, Path], tmp_path: Path) -> None:
    path = _write(tmp_path / "it-assets.json", _records(generated["typical/it-assets.json"]))
    ranges = _divide(path, 2)
    assert ranges is not None and _by_ranges(path, ranges) is not None
    data = bytearray(path.read_bytes())
    data[ranges[1].start + 10 : ranges[1].start + 12] = data[ranges[1].start + 12 : ranges[1].start + 14]
    path.write_bytes(bytes(data))  # the same size
    stamp = os.stat(path)
    os.utime(path, ns=(stamp.st_atime_ns, ranges[0].mtime_ns + 1))
    with pytest.raises(RangeError, match="changed since it was divided"):
        JSON.load_range(path, ranges[1], CONTEXT)  # type: ignore[misc]  # the JSON loader has load_range
    os.utime(path, ns=(stamp.st_atime_ns, ranges[0].mtime_ns))
    path.write_bytes(bytes(data) + b"\n")
    with pytest.raises(RangeError, match="changed since it was divided"):
        JSON.load_range(path, ranges[0], CONTEXT)  # type: ignore[misc]  # the JSON loader has load_range


def test_repository_evidence_fixtures_and_examples_divide_or_are_refused(fixtures: Path) -> None:
    divided = 0
    examples = fixtures.parent.parent / "examples"
    for path in sorted([*(fixtures / "evidence").rglob("*"), *examples.rglob("evidence/**/*")]):
        if path.suffix not in (".json", ".csv"):
            continue
        try:
            whole = _whole(path)
        except EvidenceError:
            assert _divide(path, 2) is None or _by_ranges(path, _divide(path, 2) or []) is None, path
            continue
        for n in range(1, 9):
            ranges = _divide(path, n)
            ranged = _by_ranges(path, ranges) if ranges is not None else None
            if ranged is not None:
                _assert_same(path, ranged, whole)
                divided += 1
    assert divided >= 200, divided  # the example's estate registers have one record a line


# ---------------------------------------------------------------- CSV


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _rows(n: int, newline: str = "\n", start: int = 0) -> str:
    return "".join(f"A-{i},host {i},nginx,production,high{newline}" for i in range(start, start + n))


HEADER = "id,name,product,environment,criticality"


@pytest.mark.parametrize(
    ("layout", "text"),
    [
        ("LF", HEADER + "\n" + _rows(30)),
        ("CRLF", HEADER + "\r\n" + _rows(30, "\r\n")),
        ("no newline at the end", HEADER + "\n" + _rows(30).rstrip("\n")),
        ("a BOM", "\ufeff" + HEADER + "\n" + _rows(30)),
        (
            "quoted cells on one line",
            HEADER + "\n" + _rows(30).replace("host ", '"host, ""a"" ').replace(",nginx", '",nginx'),
        ),
        ("a quoted line break in the header", 'id,"na\nme",product,environment,criticality\n' + _rows(30)),
        ("blank lines at the end", HEADER + "\n" + _rows(30) + "\n\n"),
    ],
)
def test_csv_layouts_divide_and_load_as_the_whole(tmp_path: Path, layout: str, text: str) -> None:
    _assert_divides(_csv(tmp_path / "it-assets.csv", text))


def test_csv_through_a_mapping_or_csv_kinds_divides(tmp_path: Path) -> None:
    text = "Asset register, exported\nRef;Host;Product;Env;Criticality\n" + _rows(40).replace(",", ";")
    path = _csv(tmp_path / "cmdb.csv", text, "cp1252")
    table = {
        "files": "cmdb.csv",
        "kind": "it-assets",
        "header_row": 2,
        "delimiter": ";",
        "encoding": "cp1252",
        "rename": {"Ref": "id", "Host": "name", "Product": "product", "Env": "environment"},
        "id": "X-{id}",
    }
    table["rename"]["Criticality"] = "criticality"  # type: ignore[index]  # a dict
    mapped = LoadContext(kinds=KINDS, mappings=_mapping(table))
    assert _whole(path, mapped)[0].mapping is not None
    _assert_divides(path, mapped)
    by_name = _csv(tmp_path / "assets-2026.csv", HEADER + "\n" + _rows(40))
    _assert_divides(by_name, LoadContext(kinds=KINDS, kind_map={"assets-*.csv": "it-assets"}))


@pytest.mark.parametrize(
    ("why", "table"),
    [
        ("rows skipped are counted for the file", {"skip_rows": [{"field": "id", "equals": "A-3"}]}),
        ("a newline byte may be part of a character", {"encoding": "utf-16"}),
    ],
)
def test_csv_mappings_that_need_the_whole_file_keep_it_whole(tmp_path: Path, why: str, table: dict[str, Any]) -> None:
    path = _csv(tmp_path / "it-assets.csv", HEADER + "\n" + _rows(40), table.get("encoding", "utf-8"))
    context = LoadContext(kinds=KINDS, mappings=_mapping({"files": "it-assets.csv", **table}))
    assert _divide(path, 2, context) is None


@pytest.mark.parametrize(
    ("layout", "text"),
    [
        ("a quoted line break", HEADER + "\n" + _rows(1) + 'A-x,"a\nb",nginx,production,high\n' + _rows(40, start=1)),
        ("quoted line breaks everywhere", HEADER + "\n" + _rows(40).replace("host ", '"h\n')
         .replace(",nginx", '",nginx')),
        ("a blank line", HEADER + "\n" + _rows(1) + "\n" + _rows(40, start=1)),
        ("a carriage return alone", HEADER + "\n" + _rows(1) + "A-x,h,nginx,production,high\r" + _rows(40, start=1)),
        ("a blank line, a lone CR", HEADER + "\n" + _rows(1) + "\n" + _rows(1, "\r", 1) + _rows(40, start=2)),
        ("a header ending in a carriage return alone", HEADER + "\r" + _rows(40)),
        ("a row too short", HEADER + "\n" + _rows(1) + "A-x,b\n" + _rows(40, start=1)),
    ],
)  # fmt: skip
def test_csv_layouts_refused_never_loaded_wrong(tmp_path: Path, layout: str, text: str) -> None:
    path = _csv(tmp_path / "it-assets.csv", text)
    _assert_refused(path)
    for cut in range(1, 40):
        _cuts_anywhere(path, [cut * 7, cut * 13, cut * 29])


@pytest.mark.parametrize("problem", ["schema errors", "a duplicate id"])
def test_csv_problems_in_several_ranges_are_placed_as_in_the_whole_file(tmp_path: Path, problem: str) -> None:
    rows = _rows(60).splitlines(keepends=True)
    if problem == "schema errors":
        for index in (2, 25, 26, 58):
            rows[index] = rows[index].replace(",high", ",extreme")
        expected = ["it-assets.csv:4: /records/2/criticality: ", "it-assets.csv:60: /records/58/criticality: "]
    else:
        rows[50] = rows[50].replace("A-50,", "A-7,")
        expected = [
            "it-assets.csv:52: /records/50/id: duplicate it-assets id 'A-7': already used at it-assets.csv /records/7"
        ]
    path = _csv(tmp_path / "it-assets.csv", HEADER + "\n" + "".join(rows))
    problems, _ = _evidence(path, _whole(path))
    assert problems[0].startswith(expected[0]) and problems[-1].startswith(expected[-1])
    _assert_divides(path)


def test_csv_header_problems_and_empty_files_are_left_to_the_whole_load(tmp_path: Path) -> None:
    assert _divide(_csv(tmp_path / "it-assets.csv", "name,product\n" + "a,b\n" * 10), 2) is None
    assert _divide(_csv(tmp_path / "it-assets.csv", HEADER + "\n"), 2) is None
    assert _divide(_csv(tmp_path / "unknown-kind.csv", HEADER + "\n" + _rows(5)), 2) is None
    assert _divide(_csv(tmp_path / "it-assets.csv", "id," + "x" * HEAD_BYTES + "\n" + "a,b\n"), 2) is None


def test_many_parts_give_as_many_ranges_while_records_last(generated: dict[str, Path]) -> None:
    for path in generated.values():
        assert 60 <= len(_divide(path, 64) or ()) <= 64
        assert len(_divide(path, 1000) or ()) == 400  # never more ranges than records
