"""The rule file schema, the plugin hooks, the template engine, and the bundled rule pack."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from decl_helpers import DECL_FIXTURES

from capcheck.builtins.declarative import CompileContext, RuleFormat, toml_format
from capcheck.builtins.declarative import conditions as conditions_module
from capcheck.builtins.declarative.conditions import LOGICAL, OPERATORS
from capcheck.builtins.declarative.toml_format import Template, compile_rule_file
from capcheck.core.resources import data_dir, load_schema


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}/{i}")


def test_the_schema_is_a_valid_2020_12_schema() -> None:
    schema = load_schema("rule")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_every_property_and_definition_is_described() -> None:
    schema = load_schema("rule")
    undescribed = [
        f"{path}/{name}"
        for path, node in walk(schema)
        if path.endswith("/properties")
        for name, spec in node.items()
        if not spec.get("description")
    ]
    undescribed += [f"/$defs/{n}" for n, spec in schema["$defs"].items() if not spec.get("description")]
    assert undescribed == []


def test_the_schema_lists_exactly_the_operators_the_compiler_knows() -> None:
    props = set(load_schema("rule")["$defs"]["condition"]["properties"])
    assert props == {"field", *LOGICAL, *OPERATORS}


@pytest.mark.parametrize("path", sorted((DECL_FIXTURES / "rules").glob("*.toml")), ids=lambda p: p.name)
def test_fixture_rule_files_compile(path: Path, compile_context: CompileContext) -> None:
    assert compile_rule_file(path, path.name, compile_context)


def test_bundled_rule_files_compile(compile_context: CompileContext) -> None:
    # The pack also holds files that are not rules (areas.toml, framework mappings): only files
    # with [[rule]] tables are rule files.
    for path in sorted(data_dir("rules").rglob("*.toml")):
        with path.open("rb") as fh:
            if "rule" in tomllib.load(fh):
                assert compile_rule_file(path, path.name, compile_context), path


def test_hooks() -> None:
    (fmt,) = toml_format.capcheck_rule_formats()
    assert isinstance(fmt, RuleFormat)
    assert (fmt.name, fmt.extensions, fmt.compile) == ("toml", (".toml",), compile_rule_file)
    assert list(toml_format.capcheck_rule_paths()) == [data_dir("rules")]


@pytest.mark.parametrize(
    ("text", "record", "fixed", "out"),
    [
        ("{a} and {b.c}", {"a": 1, "b": {"c": "x"}}, {}, "1 and x"),
        ("{{a}} {a}", {"a": "v"}, {}, "{a} v"),
        ("{a.__class__} {__class__} {a.__len__}", {"a": "str"}, {}, "<missing> <missing> <missing>"),
        ("{a[0]} {a!r} {a:>3} {0} {} { a }", {"a": [1]}, {}, "{a[0]} {a!r} {a:>3} {0} {} { a }"),
        ("{as_of}: {a}", {"a": None, "as_of": "record's"}, {"as_of": "2025-01-01"}, "2025-01-01: <missing>"),
        ("no names", {}, {}, "no names"),
        ("held by {n:person}", {"n": 1}, {}, "held by 1 person"),
        ("held by {n:person}", {"n": 0}, {}, "held by 0 people"),
        ("takes {d:day}", {"d": 1.5}, {}, "takes 1.5 days"),
        ("takes {d:day}", {"d": "1"}, {}, "takes 1 day"),  # a number written as text counts too
        ("limit {max:day}", {}, {"max": "1"}, "limit 1 day"),  # options are counted as well
        ("{n:key person}", {"n": 2}, {}, "2 key people"),
        ("{n:person}", {"n": "some"}, {}, "some people"),
        ("reviewed {d|never}", {"d": None}, {}, "reviewed never"),
        ("reviewed {d|never}", {}, {}, "reviewed never"),
        ("reviewed {d|never}", {"d": "  "}, {}, "reviewed never"),  # blank is absent, as in conditions
        ("reviewed {d|never}", {"d": "2025-01-01"}, {}, "reviewed 2025-01-01"),
        ("reviewed {d|never}", {"d": False}, {}, "reviewed false"),  # false is a value
        ("{n:person|nobody counted}", {}, {}, "nobody counted"),
        ("{n:person|nobody counted}", {"n": 1}, {}, "1 person"),
        ("{n:Person} {n:person 2} {n|a|b} {n|}", {"n": 1}, {}, "{n:Person} {n:person 2} {n|a|b} {n|}"),
        ("{", {}, {}, "{"),
        ("{a}", {"a": "x" * 201}, {}, "x" * 199 + "…"),  # long text is cut, as format_value cuts it
        ("{a|none}", {"a": "x" * 201}, {}, "x" * 199 + "…"),
        ("{a|none}", {"a": "\u3000"}, {}, "none"),  # any Unicode whitespace is blank
        ("{a|none} {b}", {"a": 0, "b": True}, {}, "0 true"),
        ("{a} {b} {c} {d} {e}", {"a": 1, "c": "3", "e": "5"}, {}, "1 <missing> 3 <missing> 5"),
        ("{a}{b}{c}{d}", {"a": "1", "b": "2", "c": "3", "d": "4"}, {}, "1234"),
        ("100% {a}", {"a": "%s"}, {}, "100% %s"),
    ],
)
def test_template(text: str, record: dict[str, Any], fixed: dict[str, str], out: str) -> None:
    assert Template(text).bind(fixed)(record) == out


@pytest.mark.parametrize("count", range(8))
def test_a_template_with_any_number_of_placeholders_fills_each_in_its_place(count: int) -> None:
    # The renderer is unrolled for up to six record values: each arity, and the general case beyond.
    names = [f"f{i}" for i in range(count)]
    text = "<" + "|".join(f"{{{name}}}" for name in names) + "> {as_of}"
    record = {name: f"v{i}" for i, name in enumerate(names)}
    assert Template(text).bind({"as_of": "A"})(record) == "<" + "|".join(record.values()) + "> A"


def test_a_counted_or_defaulted_placeholder_still_names_its_field() -> None:
    assert Template("{a:day} {b|never} {c:hour|none} {d}").names == {"a", "b", "c", "d"}


def test_no_dynamic_code_in_the_rule_language() -> None:
    for module in (conditions_module, toml_format):
        source = Path(module.__file__).read_text()
        for word in ("eval(", "exec(", "compile(source", ".format(", "format_map(", "getattr("):
            assert word not in source, (module.__name__, word)
