"""The TOML key scanner that gives config problems their line: each construct, a property over generated
documents, and text that is not TOML (never an exception, never a hang)."""

from __future__ import annotations

import json
import tomllib

from hypothesis import given
from hypothesis import strategies as st

from capcheck.core.toml_lines import key_lines, line_of

DOCUMENT = '''# a comment: paths = ["not a key"]
paths = ["ev"]
select = [
  "A",  # a comment in an array
  "B",
]
[options.COMM-001]
max_days = 9
"quoted.key" = { a = 1, b = [1, { c = 2 }] }
note = """
fake = "a key in a multi-line string"
"""
[options."acme.CULT-101"]
x.y = 'literal'
[[mapping]]
files = "a.csv"
[[mapping]]
files = 'b.csv'
[mapping.values]
status = { "Y" = true }
[scorecard]
min_level = { "*" = 2, COMM = 3 }
[scorecard.plausibility.trust.it-assets]
min = 1
'''


def test_each_construct_is_placed_on_its_line() -> None:
    lines = key_lines(DOCUMENT)
    assert {p: lines[p] for p in ("/paths", "/paths/0", "/select", "/select/0", "/select/1")} == {
        "/paths": 2,
        "/paths/0": 2,
        "/select": 3,
        "/select/0": 4,
        "/select/1": 5,
    }
    assert lines["/options"] == 7 and lines["/options/COMM-001"] == 7 and lines["/options/COMM-001/max_days"] == 8
    assert lines["/options/COMM-001/quoted.key/b/1/c"] == 9  # inside an inline table: its line
    assert lines["/options/COMM-001/note"] == 10 and "/fake" not in lines  # a string's text is not a key
    assert lines["/options/acme.CULT-101"] == 13 and lines["/options/acme.CULT-101/x/y"] == 14
    assert (lines["/mapping"], lines["/mapping/0"], lines["/mapping/0/files"]) == (15, 15, 16)
    assert (lines["/mapping/1"], lines["/mapping/1/files"], lines["/mapping/1/values/status/Y"]) == (17, 18, 20)
    assert lines["/scorecard/min_level/*"] == 22
    assert lines["/scorecard/plausibility/trust/it-assets/min"] == 24


def test_a_pointer_not_written_is_placed_at_its_nearest_written_key() -> None:
    lines = key_lines(DOCUMENT)
    assert line_of(lines, "/options/COMM-001/max_days") == 8
    assert line_of(lines, "/options/COMM-001/never_written") == 7  # a problem about a key the table lacks
    assert line_of(lines, "/nowhere/at/all") is None
    assert line_of({}, "/x") is None


# A generated document: tables of keys with scalar, array or inline-table values, written one key a line (an
# array over several lines), so that each key's line is known while writing.
_KEY = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True) | st.from_regex(r"[A-Z ./#=\"]{1,6}", fullmatch=True)
_SCALAR = st.one_of(
    st.integers(-1000, 1000),
    st.booleans(),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8),
    st.just("x = 1\n[fake]\n"),  # keys and headers inside a string are not keys
)
_VALUE = st.one_of(_SCALAR, st.lists(_SCALAR, max_size=3), st.dictionaries(_KEY, _SCALAR, max_size=2))


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() and k.isascii() else _quote(k)


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a TOML basic string for these characters


def _value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return _quote(v)
    if isinstance(v, list):
        return "[\n" + "".join(f"  {_value(x)},\n" for x in v) + "]"
    assert isinstance(v, dict)
    return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"


@given(st.dictionaries(_KEY, st.dictionaries(_KEY, _VALUE, max_size=4), max_size=4))
def test_every_generated_key_is_found_on_the_line_it_was_written(tables: dict[str, dict[str, object]]) -> None:
    from capcheck.core.side_inputs import escape_token

    text, expected, line = "", {}, 1
    for table, keys in tables.items():
        text += f"[{_key(table)}]\n"
        expected[f"/{escape_token(table)}"] = line
        line += 1
        for k, v in keys.items():
            written = f"{_key(k)} = {_value(v)}\n"
            expected[f"/{escape_token(table)}/{escape_token(k)}"] = line
            if isinstance(v, list):
                for n in range(len(v)):
                    expected[f"/{escape_token(table)}/{escape_token(k)}/{n}"] = line + 1 + n
            text += written
            line += written.count("\n")
    assert tomllib.loads(text) == tables  # the generator writes TOML
    lines = key_lines(text)
    assert {p: lines.get(p) for p in expected} == expected


@given(st.text(max_size=200))
def test_text_that_is_not_toml_never_raises(text: str) -> None:
    assert isinstance(key_lines(text), dict)
