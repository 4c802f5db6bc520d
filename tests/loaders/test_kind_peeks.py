"""The built-in loaders' peeks (``Loader.kinds_of``): a JSON, YAML or TOML envelope's kind read from the file's first
bytes is the kind the loader gives the file, or None; never another kind, however the head is cut or written."""

from __future__ import annotations

import json
import time
import tomllib
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capcheck.builtins.loaders import jsonfile, tomlfile, yamlfile
from capcheck.core.errors import EvidenceError
from capcheck.core.loading import HEAD_BYTES, LoadContext, SourceFile
from hostile import mutated

FORMATS = Path(__file__).parent.parent / "fixtures" / "evidence" / "formats"


def loaded_kind(load: Any, data: bytes, name: str = "x.json") -> str | None:
    """The kind the loader itself gives these bytes, or None when it refuses them."""
    try:
        [doc] = load(SourceFile(Path(name), name, data), LoadContext(kinds={}))
    except EvidenceError:
        return None
    return doc.kind


# ---------------------------------------------------------------- JSON


@pytest.mark.parametrize(
    ("head", "whole", "expected"),
    [
        (b'{"kind": "it-assets", "records": []}', True, "it-assets"),
        (b'\xef\xbb\xbf\r\n\t {"kind" :\n"it-assets"}', True, "it-assets"),  # a BOM and JSON white space
        # a kind key inside a nested object before the top-level one is not the file's
        (
            b'{"source": {"kind": "risks"}, "records": [{"id": "a", "kind": "b"}], "kind": "it-assets"}',
            True,
            "it-assets",
        ),
        # strings holding brackets, braces, escaped quotes and backslashes are skipped whole
        (b'{"records": [{"id": "a]}\\"{[", "t": "\\\\"}], "kind": "it-assets"}', True, "it-assets"),
        (b'{"\\u006bind": "it\\u002dassets"}', True, "it-assets"),  # escapes decoded as JSON decodes them
        (b'{"kin\\"d": "x", "kind": "it-assets"}', True, "it-assets"),
        (b'{"kind": "it-assets", "kind": "risks"}', True, None),  # two kinds: the loader refuses the file
        (b'{"kind": "it-assets", "records": [], "\\u006bind": "risks"}', False, None),
        (b'{"kind": "it-assets", "records": [{"id": "a", "t', False, "it-assets"),  # cut after the kind: kept
        (b'{"records": [{"id": "a"}], "kind": "it-ass', False, None),  # cut inside the kind
        (b'{"records": [{"id": "a"}], "ki', False, None),  # cut inside the key
        (b'{"records": [{"id": "a", "kind": "risks"', False, None),  # cut inside the records
        (b'{"records": [{"id": "a ]}, \\"kind\\": \\"risks', False, None),  # cut inside a string that looks like JSON
        (b'[{"kind": "it-assets"}]', True, None),  # a top-level array
        (b'{"kind": ""}', True, None),
        (b'{"kind": 7}', True, None),
        (b'{"kind": ["it-assets"]}', True, None),
        (b'{"kind": "it-\x01assets"}', True, None),  # a raw control character: orjson refuses it
        (b'{"kind": "\\x41"}', True, None),  # not a JSON escape
        (b'{"kind" "it-assets"}', True, None),
        (b'{"records": [], }', True, None),
        (b'{"records": [1, 2}, "kind": "it-assets"}', True, None),
        (b"", True, None),
        (b"\xef\xbb\xbf", False, None),
    ],
)
def test_json_heads(head: bytes, whole: bool, expected: str | None) -> None:
    assert jsonfile.envelope_kind(head, whole) == expected


_TEXT = st.text(alphabet=st.sampled_from('ab"\\/{}[]:,\n\t\x00é€😀 kind'), max_size=12)
_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), _TEXT)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(["kind", "id", "k", "records", "x"]), inner)
    ),
    max_leaves=12,
)
_KIND = st.one_of(st.sampled_from(["it-assets", "risks", "a.b", 'ki"nd', "é\\/"]), _TEXT, _VALUE)


_SPACE = st.text(alphabet=" \t\n\r", max_size=3)


def dumped(draw: st.DrawFn, value: Any, ascii_only: bool) -> str:
    """``value`` as JSON with any white space JSON allows between its tokens (and none inside them)."""
    if isinstance(value, dict):
        items = [
            dumped(draw, k, ascii_only) + draw(_SPACE) + ":" + draw(_SPACE) + dumped(draw, v, ascii_only)
            for k, v in value.items()
        ]
        return "{" + draw(_SPACE) + ("," + draw(_SPACE)).join(items) + draw(_SPACE) + "}"
    if isinstance(value, list):
        return (
            "["
            + draw(_SPACE)
            + ("," + draw(_SPACE)).join(dumped(draw, v, ascii_only) for v in value)
            + draw(_SPACE)
            + "]"
        )
    return json.dumps(value, ensure_ascii=ascii_only)


@st.composite
def envelopes(draw: st.DrawFn) -> tuple[bytes, Any]:
    """A JSON document of any member order, nesting, escapes and layout, and its members."""
    members: list[tuple[str, Any]] = []
    for key in draw(st.permutations(["kind", "records", "source", "extra", "schema_version"])):
        if key == "kind" and draw(st.integers(0, 9)):  # now and then no kind
            members.append(("kind", draw(_KIND)))
        elif key == "records":
            members.append(("records", draw(st.lists(st.dictionaries(st.sampled_from(["id", "kind"]), _VALUE)))))
        elif draw(st.booleans()):
            members.append((key, draw(_VALUE)))
    if draw(st.integers(0, 9)) == 0 and members:
        members.append(draw(st.sampled_from(members)))  # a key twice
    ascii_only = draw(st.booleans())
    parts = [
        dumped(draw, k, ascii_only) + draw(_SPACE) + ":" + draw(_SPACE) + dumped(draw, v, ascii_only)
        for k, v in members
    ]
    text = draw(_SPACE) + "{" + draw(_SPACE) + ("," + draw(_SPACE)).join(parts) + draw(_SPACE) + "}" + draw(_SPACE)
    if draw(st.booleans()):
        text = text.replace('"kind"', '"\\u006bind"', draw(st.integers(0, 2)))
    data = text.encode()
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return data, members


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(envelopes(), st.integers(0, 400))
def test_a_json_peek_is_the_loaded_kind_or_none(envelope: tuple[bytes, Any], cut: int) -> None:
    data, _members = envelope
    kind = loaded_kind(jsonfile.load_json, data)
    if kind is None:
        return  # a file the loader refuses stops the run wherever it is read: the peek may say anything
    assert jsonfile.envelope_kind(data, True) == kind  # read whole, the peek always tells
    assert jsonfile.envelope_kind(data[:cut], False) in (None, kind)


@pytest.mark.parametrize(
    ("seed", "module", "loader"),
    [
        ("pretty.json", jsonfile, jsonfile.load_json),
        ("records.yaml", yamlfile, yamlfile.load_yaml),
        ("records.toml", tomlfile, tomlfile.load_toml),
    ],
)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_peek_of_a_mutated_file_is_the_loaded_kind_or_none(
    seed: str, module: Any, loader: Any, data: st.DataObject
) -> None:
    bytes_ = data.draw(mutated((FORMATS / seed).read_bytes()))
    kind = loaded_kind(loader, bytes_, seed)
    if kind is not None:
        assert module.envelope_kind(bytes_, True) in (None, kind)
        assert module.envelope_kind(bytes_[: data.draw(st.integers(0, len(bytes_)))], False) in (None, kind)


def test_the_seeds_peek_their_kind() -> None:
    for seed, module in (("pretty.json", jsonfile), ("records.yaml", yamlfile), ("records.toml", tomlfile)):
        data = (FORMATS / seed).read_bytes()
        assert module.envelope_kind(data, True) == "it-assets", seed


def test_a_json_peek_reads_only_the_head_and_keeps_the_kind_when_records_are_cut(tmp_path: Path) -> None:
    records = [{"id": f"A-{i}", "kind": "not this", "note": ']}"{'} for i in range(5000)]
    data = orjson.dumps({"kind": "it-assets", "records": records})
    assert len(data) > HEAD_BYTES
    path = tmp_path / "it-assets.json"
    path.write_bytes(data)
    assert jsonfile.kinds_of_json(path, data[:HEAD_BYTES], LoadContext(kinds={})) == frozenset({"it-assets"})
    last = orjson.dumps({"records": records, "kind": "it-assets"})  # records first: the kind is past the head
    assert jsonfile.kinds_of_json(path, last[:HEAD_BYTES], LoadContext(kinds={})) is None
    short = orjson.dumps({"records": records[:3], "kind": "it-assets"})  # the whole file: the kind is in it
    assert jsonfile.kinds_of_json(path, short, LoadContext(kinds={})) == frozenset({"it-assets"})


# ---------------------------------------------------------------- YAML


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kind: it-assets\nrecords: []\n", "it-assets"),
        (
            '---\n# exported\nschema_version: "1.0"\nsource: CMDB, nightly (v2) # x\n'
            "kind: 'it-assets'  # c\n\nrecords:\n- id: a\n",
            "it-assets",
        ),
        ("\ufeffkind: it-assets\r\nrecords: []\r\n", "it-assets"),
        ("kind: it-assets", "it-assets"),  # the whole file, no newline at its end
        ("source:\ncollected_on: # none\nkind: it-assets\nrecords: []\n", "it-assets"),  # null values
        ("kind: it-assets\n  more\nrecords: []\n", None),  # the plain value goes on: "it-assets more"
        ("kind: it-assets\n\n  more\nrecords: []\n", None),
        ("kind: it-assets\n# note\n  more\nrecords: []\n", None),
        ("source: |\n  kind: risks\nkind: it-assets\nrecords: []\n", None),  # a block scalar before
        ("records:\n- id: a\n  kind: risks\nkind: it-assets\n", None),  # records first
        ("tags: [a,\nkind: risks]\nkind: it-assets\nrecords: []\n", None),  # a flow collection over lines
        ('source: "a\nkind: risks"\nkind: it-assets\nrecords: []\n', None),  # a quoted string over lines
        ("source: &s x\nkind: it-assets\nrecords: []\n", None),  # an anchor
        ("kind: yes\nrecords: []\n", None),  # YAML 1.1 reads it as true
        ("kind: null\nrecords: []\n", None),
        ('kind: "it\\u002dassets"\nrecords: []\n', None),  # an escape: left to the parser
        ("kind: 'it''s'\nrecords: []\n", None),
        ("kind:\tit-assets\nrecords: []\n", None),
        ("kind: it-assets\u2028source: x\nrecords: []\n", None),  # a line break YAML 1.1 knows
        ("%YAML 1.1\n---\nkind: it-assets\n", None),
        ("- kind: it-assets\n", None),
        ('"kind": it-assets\n', None),  # quoted keys are not read
        ("kind: ''\nrecords: []\n", None),
    ],
)
def test_yaml_heads(text: str, expected: str | None) -> None:
    data = text.encode()
    assert yamlfile.envelope_kind(data, True) == expected
    lines = data if data.endswith(b"\n") else data + b"\n"
    assert yamlfile.envelope_kind(lines + b"more: x\nand: [", False) == expected  # as a head: its whole lines only
    # a head cut inside the kind line, or right after it, cannot say what follows
    at = data.find(b"kind:")
    assert yamlfile.envelope_kind(data[: at + 9], False) is None
    if expected is not None:
        loaded = loaded_kind(yamlfile.load_yaml, data, "x.yaml")
        assert loaded in (None, expected)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.sampled_from(["kind", "source", "schema_version", "records", "collected_on"]), _VALUE),
    st.sampled_from([None, False, True]),
    st.integers(8, 80),
    st.booleans(),
    st.integers(0, 300),
)
def test_a_yaml_peek_is_the_parsed_kind_or_none(
    doc: dict[str, Any], flow: Any, width: int, unicode: bool, cut: int
) -> None:
    text = yaml.safe_dump(doc, default_flow_style=flow, width=width, allow_unicode=unicode, sort_keys=False)
    data = text.encode()
    parsed = yaml.safe_load(text)
    kind = parsed.get("kind") if isinstance(parsed, dict) else None
    assert yamlfile.envelope_kind(data, True) in (None, kind)
    assert yamlfile.envelope_kind(data[:cut], False) in (None, kind)


def test_a_yaml_peek_reads_the_dumped_plain_layout() -> None:
    text = yaml.safe_dump({"kind": "it-assets", "source": "x", "records": [{"id": "a", "kind": "b"}]}, sort_keys=False)
    assert yamlfile.envelope_kind(text.encode(), True) == "it-assets"


# ---------------------------------------------------------------- TOML


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('kind = "it-assets"\n\n[[records]]\nid = "a"\n', "it-assets"),
        ('\ufeffschema_version = "1.0"\nkind = "it\\u002dassets"\n[[records]]\nid = "a"\n', "it-assets"),
        ('[[records]]\nid = "a"\nkind = "risks"\n', None),  # a kind under a table is not the file's
        ('source = """\n[[records]]\n"""\nkind = "it-assets"\n', None),  # a header line inside a string: not parsed
        ('source = """\nkind = "risks"\n"""\nkind = "it-assets"\n[[records]]\n', "it-assets"),
        ('tags = [\n  ["a"],\n]\nkind = "it-assets"\n', None),  # a nested array line: cut there, not parsed
        ('"kind" = "it-assets"\n[[records]]\n', "it-assets"),  # a quoted key is the same key
        ("kind = 7\n[[records]]\n", None),
        ('kind = ""\n[[records]]\n', None),
        ('kind = "a"\nkind = "b"\n', None),
        ("records = []\n", None),
    ],
)
def test_toml_heads(text: str, expected: str | None) -> None:
    data = text.encode()
    assert tomlfile.envelope_kind(data, True) == expected
    loaded = loaded_kind(tomlfile.load_toml, data, "x.toml")
    assert expected in (None, loaded)


@pytest.mark.parametrize("cut", range(0, 60))
def test_a_toml_head_cut_anywhere_gives_the_kind_or_none(cut: int) -> None:
    data = b'source = """\nkind = "risks"\n"""\nkind = "it-assets"\n[[records]]\nid = "a"\n'
    assert tomlfile.envelope_kind(data[:cut], False) in (None, "it-assets")


# ---------------------------------------------------------------- cost: a hostile head is read in one pass


HOSTILE_HEADS = {
    "yaml": b"source: a" + b" " * 65000 + b": x\nkind: a\n",
    "yaml-comment": b"source: a" + b" #" * 32000 + b"\nkind: a\n",
    "yaml-quoted": b'source: "' + b'\\"' * 32000 + b"\nkind: a\n",
    "json-nesting": b'{"a":' + b"[" * 65000,
    "json-escapes": b'{"a":"' + b"\\\\" * 32000 + b'","kind":"x"}',
    "toml": b"a = 1\n" * 10000 + b'kind = "x"\n',
}


@pytest.mark.parametrize("name", sorted(HOSTILE_HEADS))
def test_a_hostile_head_costs_one_pass_not_a_backtracking_search(name: str) -> None:
    head = HOSTILE_HEADS[name][:HEAD_BYTES]
    start = time.process_time()
    for module in (jsonfile, yamlfile, tomlfile):
        module.envelope_kind(head, False)
    # A quadratic regular expression took 8 s of CPU here; one pass is a few milliseconds (CPU time: the machine
    # is shared, so wall time would measure the neighbours).
    assert time.process_time() - start < 1.0


_TOML_LINES = [
    'kind = "it-assets"',
    'kind = "risks"',
    "kind = 'it-assets'",
    '"kind" = "services"',
    'a.kind = "z"',
    'x = { kind = "w" }',
    'source = """',
    "source = '''",
    '"""',
    "'''",
    "tags = [",
    "]",
    '  ["a"],',
    "[[records]]",
    "[meta]",
    'id = "a"',
    "# kind = 'no'",
    "",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_TOML_LINES), min_size=1, max_size=10), st.integers(0, 200))
def test_a_toml_peek_is_the_parsed_kind_or_none(lines: list[str], cut: int) -> None:
    text = "\n".join(lines) + "\n"
    try:
        parsed = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return  # the loader refuses the file: the peek may say anything
    kind = parsed.get("kind")
    data = text.encode()
    assert tomlfile.envelope_kind(data, True) in (None, kind)
    assert tomlfile.envelope_kind(data[:cut], False) in (None, kind)
