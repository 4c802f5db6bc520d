"""The JSON loader: records, line numbers (pretty and one-line), BOM, malformed and hostile input."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capcheck.builtins.loaders.jsonfile import record_lines, tally
from capcheck.core.errors import EvidenceError


def test_pretty_json_records_have_their_lines(load, copy_fixture: Callable[..., Path]) -> None:
    path = copy_fixture("evidence/formats/pretty.json")
    evidence = load(path)
    first = evidence.ref("it-assets", "AST-1")
    second = evidence.ref("it-assets", "AST-2")
    assert (first.file, first.line, first.pointer) == ("pretty.json", 4, "/records/0")
    assert (second.file, second.line, second.pointer) == ("pretty.json", 14, "/records/1")
    assert first.row is None  # rows are for CSV


def test_one_line_json_records_are_on_line_one(load, copy_fixture: Callable[..., Path]) -> None:
    evidence = load(copy_fixture("evidence/formats/oneline.json"))
    assert [evidence.ref("it-assets", i).line for i in ("AST-1", "AST-2")] == [1, 1]
    assert evidence.ref("it-assets", "AST-2").pointer == "/records/1"


def test_record_lines_ignores_brackets_inside_strings() -> None:
    data = b'{"kind": "k", "note": "[{", "records": [\n{"a": "}{[\\"{"},\n\n  {"b": {"records": [{}]}}]}'
    assert record_lines(data) == [2, 4]


def test_record_lines_only_counts_the_top_level_records_key() -> None:
    data = b'{"other": [{}, {}],\n "records": [{"records": [{}, {}]}\n, {}]}'
    assert record_lines(data) == [2, 3]


def test_utf8_bom_is_tolerated(load, copy_fixture: Callable[..., Path]) -> None:
    evidence = load(copy_fixture("evidence/formats/bom.json"))
    assert [r["id"] for r in evidence.records("it-assets")] == ["AST-1", "AST-2"]


def test_malformed_json_names_the_line(load, copy_fixture: Callable[..., Path]) -> None:
    [problem] = load.problems(copy_fixture("evidence/bad/malformed.json"))
    assert problem.startswith("malformed.json:4: malformed JSON: ")
    assert "trailing comma" in problem


def test_latin1_bytes_are_a_clear_encoding_problem(load, copy_fixture: Callable[..., Path]) -> None:
    [problem] = load.problems(copy_fixture("evidence/bad/latin1.json"))
    assert problem.startswith("latin1.json:1: not valid UTF-8 (byte 0xe9")
    assert "save the file as UTF-8" in problem


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_text_says_so_not_that_it_is_no_text(load, workdir: Path, codec: str) -> None:
    """PowerShell's `>` and Excel's "Unicode" write UTF-16 with a byte-order mark: its NUL bytes are no binary file."""
    text = '{"kind": "it-assets", "records": []}'
    (workdir / "assets.json").write_bytes("\ufeff".encode(codec) + text.encode(codec))
    assert load.problems("assets.json") == [
        "assets.json:1: UTF-16 text (its byte-order mark says so); save the file as UTF-8"
    ]


def test_latin1_bytes_on_a_later_line(load, workdir: Path) -> None:
    (workdir / "late.json").write_bytes(b'{\n  "kind": "it-assets",\n  "records": [{"id": "caf\xe9"}]\n}\n')
    [problem] = load.problems("late.json")
    assert problem.startswith("late.json:3: not valid UTF-8")


def test_a_non_object_record_does_not_shift_later_lines(load, copy_fixture: Callable[..., Path]) -> None:
    problems = load.problems(copy_fixture("evidence/bad/record-not-object.json"))
    # Record 0 is a string: located by pointer; record 2 (no id) keeps its own line, 6.
    assert problems[0].startswith("record-not-object.json") and problems[0].endswith(
        "/records/0: each record must be an object"
    )
    assert ":5:" not in problems[0]
    assert problems[1] == "record-not-object.json:6: /records/2/id: each record needs a non-empty string 'id'"


def test_empty_json_file(load, copy_fixture: Callable[..., Path]) -> None:
    [problem] = load.problems(copy_fixture("evidence/bad/empty.json"))
    assert problem.startswith("empty.json:1: malformed JSON")
    assert "empty" in problem


def test_absurd_nesting_is_refused_quickly(load, workdir: Path) -> None:
    (workdir / "deep.json").write_text('{"kind": "it-assets", "records": [' + "[" * 10_000 + "]" * 10_000 + "]}")
    started = time.perf_counter()
    [problem] = load.problems("deep.json")
    assert time.perf_counter() - started < 5
    assert problem == "deep.json:1: nested more than 1024 levels deep"  # was "malformed JSON: depth limit exceeded"


@pytest.mark.parametrize(("levels", "loads"), [(1024, True), (1025, False)])
def test_json_evidence_nests_1024_levels_and_no_more(load, workdir: Path, levels: int, loads: bool) -> None:
    """The envelope and the records list are two levels; the record's field holds the rest."""
    fields = '"id": "A-1", "name": "x", "product": "p", "environment": "production", "criticality": "low"'
    deep = "[" * (levels - 3) + "]" * (levels - 3)
    (workdir / "deep.json").write_text(f'{{"kind": "it-assets", "records": [{{{fields}, "notes":\n{deep}}}]}}')
    if loads:
        assert load("deep.json").get("it-assets", "A-1") is not None
    else:
        assert load.problems("deep.json") == ["deep.json:2: nested more than 1024 levels deep"]


@pytest.mark.parametrize(
    "number",
    ["1e999", "-1e999", "9" * 5000],
    ids=["huge-exponent", "negative-huge-exponent", "5000-digit-integer"],
)
def test_absurd_numbers_are_refused(load, workdir: Path, number: str) -> None:
    record = '{"id": "AST-1", "name": "n", "product": "p", "environment": "production", "criticality": "low"'
    (workdir / "numbers.json").write_text('{"kind": "it-assets",\n"records": [' + record + f', "x": {number}}}]}}')
    started = time.perf_counter()
    [problem] = load.problems("numbers.json")
    assert time.perf_counter() - started < 5
    assert problem.startswith("numbers.json:2: malformed JSON: ")


def test_json_nan_is_not_json(load, workdir: Path) -> None:
    (workdir / "nan.json").write_text('{"kind": "it-assets", "records": [{"id": "a", "x": NaN}]}')
    [problem] = load.problems("nan.json")
    assert problem.startswith("nan.json:1: malformed JSON")


def _layouts(records: list[dict[str, object]]) -> dict[str, bytes]:
    import json

    import orjson

    doc = {"kind": "it-assets", "records": records}
    per_line = b'{"kind":"it-assets","records":[\n' + b",\n".join(orjson.dumps(r) for r in records) + b"\n]}"
    return {
        "indent-2": json.dumps(doc, indent=2).encode(),
        "indent-tab": json.dumps(doc, indent="\t").encode(),
        "one-line": json.dumps(doc).encode(),
        "one-record-per-line": per_line,
    }


def test_the_layout_fast_path_agrees_with_the_bracket_scan() -> None:
    from capcheck.builtins.loaders.jsonfile import record_lines, record_lines_by_layout

    # nested objects on their own lines, brackets and newlines inside strings, ids of other records inside
    records: list[dict[str, object]] = [
        {"id": f"R-{i}", "s": "a\n{b} [c]", "nested": {"deep": [{"id": f"R-{i + 1}"}]}, "l": [{"x": i}]}
        for i in range(30)
    ]
    used_fast = 0
    for name, data in _layouts(records).items():
        exact = record_lines(data)
        fast = record_lines_by_layout(data, records)
        if fast is not None:
            used_fast += 1
            assert fast == exact, name
    assert used_fast >= 3  # pretty-printed and one-record-per-line files take the fast path


@pytest.mark.parametrize(
    "records",
    [
        [{"id": f"R-{i}", "n": i, "ok": i % 2 == 0, "tags": ["a", "b"]} for i in range(30)],
        [{"id": f"R-{i}", "s": "a\n[c] ] [", "none": None} for i in range(5)],
        [{"id": "R-0"}],
    ],
    ids=["flat", "brackets-in-strings", "one"],
)
def test_the_flat_path_agrees_with_the_bracket_scan(records: list[dict[str, object]]) -> None:
    from capcheck.builtins.loaders.jsonfile import record_lines_flat

    layouts = _layouts(records)
    # blank lines between records: the lines are not consecutive
    layouts["gaps"] = layouts["one-record-per-line"].replace(b",\n", b",\n\n\n")
    layouts["crlf"] = layouts["indent-2"].replace(b"\n", b"\r\n")
    for name, data in layouts.items():
        for counted in (None, tally(data)):  # the bytes counted here, or the loader's tally of them
            flat = record_lines_flat(data, records, tally=counted)
            if name == "one-line":
                assert flat is None  # the records share line 1: the bracket scan says so
            else:
                assert flat is not None, name
                assert list(flat) == record_lines(data), name


def test_one_record_a_line_is_a_range_and_anything_else_a_table() -> None:
    """The usual export costs no memory per record (a ``range``); records on lines that are not consecutive
    (a blank line, a record over two lines) get a table of their lines, never a ``range`` that would be wrong."""
    import orjson

    from capcheck.builtins.loaders.jsonfile import record_lines_flat

    records: list[dict[str, object]] = [{"id": f"R-{i}", "n": i} for i in range(5)]
    per_line = _layouts(records)["one-record-per-line"]
    flat = record_lines_flat(per_line, records)
    assert isinstance(flat, range) and list(flat) == record_lines(per_line) == [2, 3, 4, 5, 6]
    assert record_lines_flat(per_line, records, tally=tally(per_line)) == flat
    for data in (
        per_line.replace(b'{"id":"R-3"', b'\n{"id":"R-3"'),  # a blank line before the fourth record
        per_line.replace(b'"n":2}', b'\n"n":2}'),  # the third record over two lines: as many newlines, one less brace
    ):
        for counted in (None, tally(data)):
            lines = record_lines_flat(data, orjson.loads(data)["records"], objects=True, tally=counted)
            assert lines is not None and not isinstance(lines, range)
            assert list(lines) == record_lines(data)


def test_the_tally_takes_lines_for_consecutive_only_when_one_newline_parts_each_two_records() -> None:
    """As many braces and newlines as one record a line, placed otherwise: the second record over two lines and the
    fourth sharing the third's line. Counting them cannot tell (lines 2-6 would be wrong from the third record on);
    the order of the braces and newlines does. A newline inside a record still parts two records' braces once."""
    import orjson

    from capcheck.builtins.loaders.jsonfile import record_lines_flat

    records: list[dict[str, object]] = [{"id": f"R-{i}", "n": i} for i in range(5)]
    per_line = _layouts(records)["one-record-per-line"]
    moved = per_line.replace(b'"n":1}', b'\n"n":1}').replace(b'},\n{"id":"R-3"', b'},{"id":"R-3"')
    assert moved.count(b"\n") == per_line.count(b"\n") and moved.count(b"{") == per_line.count(b"{")
    assert record_lines(moved) == [2, 3, 5, 5, 6]
    assert record_lines_flat(moved, orjson.loads(moved)["records"], tally=tally(moved)) is None
    split = per_line.replace(b'"n":1}', b'\n"n":1}').replace(b'},\n{"id":"R-2"', b'},{"id":"R-2"')
    assert record_lines(split) == [2, 3, 4, 5, 6]
    assert record_lines_flat(split, records, tally=tally(split)) == range(2, 7)


@pytest.mark.parametrize(
    "data",
    [
        b'{"kind":"k","records":[\n{"id":"A","n":{"x":1}},\n{"id":"B"}\n]}',  # a nested object
        b'{"kind":"k","records":[\n{"id":"A","s":"{"},\n{"id":"B"}\n]}',  # a brace in a string
        b'{"kind":"k","records":[\n{"id":"A"}, {"id":"B"}\n]}',  # two records on a line
        b'{"kind":"k","records":[{"id":"A"},\n{"id":"B"}\n]}',  # the first shares the envelope's line
    ],
)
def test_the_flat_path_declines_what_it_cannot_prove(data: bytes) -> None:
    import orjson

    from capcheck.builtins.loaders.jsonfile import record_lines_flat

    assert record_lines_flat(data, orjson.loads(data)["records"]) is None
    assert record_lines_flat(data, orjson.loads(data)["records"], tally=tally(data)) is None


def test_the_fast_path_declines_when_a_record_does_not_start_a_line() -> None:
    from capcheck.builtins.loaders.jsonfile import record_lines_by_layout

    data = b'{"kind":"k","records":[\n{"id":"A"}, {"id":"B"},\n{"id":"C"}\n]}'
    assert record_lines_by_layout(data, [{"id": "A"}, {"id": "B"}, {"id": "C"}]) is None


@pytest.mark.parametrize(
    ("text", "pointer"),
    [
        ('{"kind": "it-assets", "records": [{"id": "A-1", "id": "A-2"}]}', "/records/0/id"),
        ('{"kind": "it-assets", "kind": "it-assets", "records": []}', "/kind"),
        # Spacing and \u escapes take the exact path: the fast count is not trusted there.
        ('{"kind" : "it-assets", "records" : [{"id" : "A-1", "i\\u0064" : "A-2"}]}', "/records/0/id"),
        ('{"kind": "it-assets", "records": [{"id": "A-1", "x": {"a": "\\":", "a": 2}}]}', "/records/0/x/a"),
    ],
)
def test_a_duplicate_key_is_an_error_with_its_pointer(load, workdir: Path, text: str, pointer: str) -> None:
    (workdir / "dup.json").write_text(text)
    [problem] = load.problems("dup.json")
    line = ":1" if pointer.startswith("/records/") else ""  # a record's line, from the bracket scan
    assert problem.startswith(f"dup.json{line}: {pointer}: duplicate key ")


def test_a_quote_colon_inside_a_string_is_not_taken_for_a_key(load, workdir: Path) -> None:
    """The fast count sees one `":` more in the file than keys (inside the value): exact path, no problem."""
    (workdir / "ok.json").write_text(
        '{"kind": "it-assets", "records": [{"id": "A-1", "name": "a\\":b", "product": "p",'
        ' "environment": "production", "criticality": "low"}]}'
    )
    assert load("ok.json").get("it-assets", "A-1")["name"] == 'a":b'


def test_a_duplicate_key_in_a_record_has_the_record_line(load, workdir: Path) -> None:
    (workdir / "dup.json").write_text(
        '{"kind": "it-assets", "records": [\n  {"id": "A-1"},\n  {"id": "A-2",\n   "name": "x", "name": "y"}\n]}\n'
    )
    assert load.problems("dup.json") == ["dup.json:3: /records/1/name: duplicate key 'name'"]


def test_a_value_nested_deeper_than_orjson_writes_loads_and_its_duplicate_keys_are_named(load, workdir: Path) -> None:
    """orjson reads 1024 levels but writes 254: the duplicate-key test re-serialised the document, and a
    record with an object nested 300 deep stopped the run as "the 'json' loader failed: TypeError"."""
    deep = '{"a": ' * 300 + "1" + "}" * 300
    fields = '"id": "A-1", "name": "x", "product": "p", "environment": "production", "criticality": "low"'
    record = f'{{{fields}, "notes": {deep}'
    (workdir / "deep.json").write_text(f'{{"kind": "it-assets", "records": [\n{record}}}]}}')
    assert load("deep.json").get("it-assets", "A-1")["name"] == "x"
    (workdir / "dup.json").write_text(f'{{"kind": "it-assets", "records": [\n{record}, "name": "y"}}]}}')
    assert load.problems("dup.json") == ["dup.json:2: /records/0/name: duplicate key 'name'"]


def test_a_duplicate_key_1000_levels_deep_is_named_not_refused_as_too_deep(load, workdir: Path) -> None:
    """orjson reads 1024 levels; the strict parse that names a duplicate key hit Python's recursion limit at
    996 and called the file "nested more than 1024 levels deep"."""
    deep = "[" * 995 + '{"a": 1, "a": 2}' + "]" * 995
    (workdir / "deep.json").write_text(f'{{"kind": "it-assets", "records": [{deep}]}}')
    [problem] = load.problems("deep.json")
    assert problem.startswith(("deep.json: /records/0/0/0/", "deep.json:1: /records/0/0/0/"))
    assert problem.endswith("/0/a: duplicate key 'a'")


# Duplicate keys, as properties: JSON written with any spacing and escaping, objects with repeated keys
# at any depth (the envelope, a record, a nested object, an object in a list), and strings full of
# what a raw count could mistake for structure (`":`, colons, quotes, backslashes, braces, escapes).


@dataclass(frozen=True)
class _Obj:
    """A JSON object as its members in order, so that a key can appear twice."""

    members: tuple[tuple[str, object], ...]


def _object(members: list[tuple[str, object]]) -> _Obj:
    return _Obj(tuple(members))


_HOSTILE = st.lists(
    st.sampled_from(["a", "id", ":", '":', '"', "\\", "{", "}", "[", "]", ",", " ", "\n", "é", "\x01", "\u2028"]),
    max_size=5,
).map("".join)
_KEYS = st.sampled_from(["id", "a", "b:", '"', ":", "x\\", "é"]) | _HOSTILE
_NUMBERS = st.integers(-(10**6), 10**6) | st.floats(allow_nan=False, allow_infinity=False)
_SCALARS = st.none() | st.booleans() | _NUMBERS | _HOSTILE
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.lists(st.tuples(_KEYS, inner), max_size=3).map(_object),
    max_leaves=12,
)
_RECORDS = st.lists(
    st.lists(st.tuples(_KEYS, _VALUES), max_size=5).map(lambda m: _object([("id", "R"), *m])), max_size=4
)


@dataclass(frozen=True)
class _Style:
    colon: str
    comma: str
    escape: str  # "plain", "ascii" (\\u for non-ASCII) or "all" (\\u for every character)


def _string(text: str, style: _Style) -> str:
    if style.escape == "all":
        return '"' + "".join(f"\\u{ord(c):04x}" if ord(c) < 0x10000 else json.dumps(c)[1:-1] for c in text) + '"'
    return json.dumps(text, ensure_ascii=style.escape == "ascii")


def _write(value: object, style: _Style) -> str:
    if isinstance(value, _Obj):
        return (
            "{" + style.comma.join(_string(k, style) + style.colon + _write(v, style) for k, v in value.members) + "}"
        )
    if isinstance(value, list):
        return "[" + style.comma.join(_write(v, style) for v in value) + "]"
    if isinstance(value, str):
        return _string(value, style)
    return json.dumps(value)


def _has_duplicate(value: object) -> bool:
    if isinstance(value, _Obj):
        keys = [k for k, _ in value.members]
        return len(set(keys)) < len(keys) or any(_has_duplicate(v) for _, v in value.members)
    return isinstance(value, list) and any(_has_duplicate(v) for v in value)


@settings(max_examples=100, deadline=None, database=None)
@given(
    records=_RECORDS,
    kind_twice=st.booleans(),
    style=st.builds(
        _Style,
        colon=st.sampled_from([":", ": ", " : ", "\n:\t"]),
        comma=st.sampled_from([",", ", ", ",\n  "]),
        escape=st.sampled_from(["plain", "ascii", "all"]),
    ),
)
def test_duplicate_keys_are_found_at_any_depth_and_only_there(
    records: list[_Obj], kind_twice: bool, style: _Style
) -> None:
    from capcheck.builtins.loaders.jsonfile import load_json
    from capcheck.core.loading import LoadContext, SourceFile

    envelope = _Obj((("kind", "k"), *((("kind", "k"),) if kind_twice else ()), ("records", list(records))))
    data = _write(envelope, style).encode()
    source = SourceFile(path=Path("d.json"), display="d.json", data=data)
    if _has_duplicate(envelope):
        with pytest.raises(EvidenceError) as info:
            load_json(source, LoadContext(kinds={}))
        [problem] = info.value.problems
        assert "duplicate key" in problem.message, problem
    else:
        [doc] = load_json(source, LoadContext(kinds={}))
        assert len(doc.records) == len(records)


@pytest.mark.parametrize(
    "text",
    [
        # a record's member count plus a colon in a string equals the colons with a key dropped
        '{"kind": "k", "records": [{"id": "R", "a": 1, "a": 2, "b": "x:y"}]}',
        # the same with the colon escaped: the re-serialisation has one colon more than the file
        '{"kind": "k", "records": [{"id": "R", "a": 1, "a": 2, "b": "x\\u003ay"}]}',
        # the duplicate written with a space before its colon: that colon is a key's, not a string's
        '{"kind":"k","records":[{"id":"R","a":1, "a" :2}]}',
        '{"kind":"k","records":[{"id":"R","a":1,"a"\t:2,"t":"10:30"}]}',
        # a duplicate inside a nested object, records otherwise flat
        '{"kind": "k", "records": [{"id": "R", "n": {"a": 1, "a": 2}}]}',
    ],
)
def test_a_duplicate_hidden_by_a_colon_in_a_string_is_still_found(text: str) -> None:
    from capcheck.builtins.loaders.jsonfile import load_json
    from capcheck.core.loading import LoadContext, SourceFile

    with pytest.raises(EvidenceError, match="duplicate key 'a'"):
        load_json(SourceFile(path=Path("d.json"), display="d.json", data=text.encode()), LoadContext(kinds={}))


_SEPARATORS = [",", ",\n", ", ", ",\n\n", "\n,\n  ", ",\n  ", ",\r\n\t"]
#: Flat records with distinct keys: what the fast paths take.
_FLAT_RECORDS = st.dictionaries(
    st.sampled_from(["id", "a", "b", "c"]),
    st.none() | st.booleans() | _NUMBERS | st.sampled_from(["x", "a: b", "10:30", "é\u2028"]) | _HOSTILE,
).map(lambda d: _object(list(d.items())))


@settings(max_examples=100, deadline=None, database=None)
@given(
    records=st.lists(_FLAT_RECORDS, min_size=1, max_size=6)
    | st.lists(
        _FLAT_RECORDS
        | _VALUES.map(lambda v: v if isinstance(v, _Obj) else _object([("id", "R"), ("v", v)]))
        | _SCALARS
        | st.lists(_SCALARS, max_size=2),
        max_size=6,
    ),
    separators=st.sampled_from(_SEPARATORS).map(lambda sep: [sep] * 6)  # one layout throughout
    | st.lists(st.sampled_from([",\n", ",\n\n", ",\r\n"]), min_size=6, max_size=6)  # blank lines between some
    | st.lists(st.sampled_from(_SEPARATORS), min_size=6, max_size=6),  # anything
    opening=st.sampled_from(["[", "[\n", "[\n  ", "\n[\n\n"]),
    style=st.builds(
        _Style, colon=st.sampled_from([":", ": "]), comma=st.sampled_from([",", ", ", ",\n  "]), escape=st.just("plain")
    ),
)
def test_the_line_table_agrees_with_the_bracket_scan(
    records: list[object], separators: list[str], opening: str, style: _Style
) -> None:
    """Any layout of any records: the table made at load (whichever path makes it) is the bracket scan's."""
    import orjson

    from capcheck.builtins.loaders.jsonfile import _line_table

    items = [_write(r, style) for r in records]
    body = "".join(item + (separators[i] if i + 1 < len(items) else "") for i, item in enumerate(items))
    data = ('{"kind": "k",\n"records": ' + opening + body + "\n]}\n").encode()
    if any(isinstance(r, _Obj) and _has_duplicate(r) for r in records):
        return  # not loadable: the duplicate-key check refuses it first
    doc = orjson.loads(data)
    found = iter(record_lines(data))
    expected = [next(found) if type(r) is dict else 0 for r in doc["records"]]
    assert list(_line_table(data, doc)) == expected
    assert list(_line_table(data, doc, tally=tally(data))) == expected  # as the loader makes it


@given(st.binary(max_size=300) | st.text(alphabet=':{}\n "\\ab', max_size=300).map(str.encode))
def test_the_tally_counts_as_bytes_count_does(data: bytes) -> None:
    """One pass gives what three counts gave, and the braces and newlines in their order."""
    counted = tally(data)
    assert (counted.colons, counted.braces, counted.newlines) == (data.count(b":"), data.count(b"{"), data.count(b"\n"))
    assert counted.shape == bytes(c for c in data if c in b"{\n")
