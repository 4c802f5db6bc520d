"""The rule schema's operators and the docs' operator table are generated from the operator declarations,
and adding an operator is one declaration plus its cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from decl_helpers import AS_OF, operator_case_gaps, operator_cases

from capcheck.builtins.declarative import operator_docs
from capcheck.builtins.declarative.conditions import Env, compile_condition
from capcheck.builtins.declarative.operator_docs import (
    render_doc,
    render_schema,
    render_table,
    stale_doc,
    stale_schema_operators,
)
from capcheck.builtins.declarative.operators import OPERATORS, Operator
from capcheck.core.resources import schema_path

DOC = Path(__file__).parents[2] / "docs" / "writing-rules.md"
SCHEMA = schema_path("rule")


def _condition_validator(schema_text: str) -> Any:
    schema = json.loads(schema_text)
    return jsonschema.Draft202012Validator({"$ref": "#/$defs/condition", "$defs": schema["$defs"]})


def _compile(node: Any) -> Any:
    problems: list[tuple[str, str]] = []
    condition = compile_condition(node, "", options={}, known_kinds=lambda kind: True, problems=problems)
    assert problems == []
    return condition


def test_the_schema_operators_are_the_declarations() -> None:
    text = SCHEMA.read_text(encoding="utf-8")
    assert stale_schema_operators(text) == [], "run python -m capcheck.builtins.declarative.operator_docs"
    assert render_schema(text) == text


def test_the_docs_operator_table_is_the_declarations() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert stale_doc(text) == [], "run python -m capcheck.builtins.declarative.operator_docs"
    assert render_doc(text) == text


@pytest.mark.parametrize("name", list(OPERATORS))
def test_each_example_is_a_valid_condition_using_its_operator(name: str) -> None:
    import tomllib

    node = tomllib.loads(f"c = {OPERATORS[name].example}")["c"]
    assert name in node
    assert list(_condition_validator(SCHEMA.read_text(encoding="utf-8")).iter_errors(node)) == []
    assert _compile(node) is not None


def test_check_names_the_operators_that_differ_and_writing_fixes_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    properties = schema["$defs"]["condition"]["properties"]
    properties["within"]["description"] = "edited by hand"
    del properties["lt_field"]
    properties["startswith"] = {"type": "string", "description": "not declared"}
    schema_copy = tmp_path / "rule.schema.json"
    schema_copy.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    doc_copy = tmp_path / "writing-rules.md"
    doc_copy.write_text(DOC.read_text(encoding="utf-8").replace("| `ne` |", "| `ne` | changed |"), encoding="utf-8")
    paths = ["--schema", str(schema_copy), "--doc", str(doc_copy)]

    assert operator_docs.main(["--check", *paths]) == 1
    err = capsys.readouterr().err
    assert f"{schema_copy}: stale operators: within, lt_field, startswith\n" in err
    assert f"{doc_copy}: stale operators: ne\n" in err

    assert operator_docs.main(paths) == 0
    assert operator_docs.main(["--check", *paths]) == 0
    assert schema_copy.read_text(encoding="utf-8") == SCHEMA.read_text(encoding="utf-8")
    assert doc_copy.read_text(encoding="utf-8") == DOC.read_text(encoding="utf-8")


def test_a_page_without_the_markers_is_an_error_not_a_rewrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "page.md"
    page.write_text("# no table here\n", encoding="utf-8")
    assert operator_docs.main(["--schema", str(SCHEMA), "--doc", str(page)]) == 2
    assert "the operator table's markers are missing" in capsys.readouterr().err
    assert page.read_text(encoding="utf-8") == "# no table here\n"


# ---------------------------------------------------------------------------------------------
# Adding an operator: one declaration, and its cases
# ---------------------------------------------------------------------------------------------


def _non_empty_string(value: Any) -> str:
    if isinstance(value, str) and value:
        return value
    raise ValueError(f"{value!r} is not a string")


STARTS_WITH = Operator(
    name="starts_with",
    summary="is a string beginning with the value",
    description="A string value begins with this. False for another type; unknown when the field is missing.",
    example='{ field = "hostname", starts_with = "prod-" }',
    operand={"type": "string", "minLength": 1},
    option_words="a non-empty string",
    convert=_non_empty_string,
    bind=lambda x, field, env: lambda v, r: type(v) is str and v.startswith(x),
    describe=lambda field, x, as_of: f"{field} starts with {x!r}",
)
STARTS_WITH_CASES = [
    {
        "name": "starts_with yes",
        "condition": {"field": "h", "starts_with": "prod-"},
        "record": {"h": "prod-1"},
        "expect": True,
    },
    {
        "name": "starts_with no",
        "condition": {"field": "h", "starts_with": "prod-"},
        "record": {"h": "test-1"},
        "expect": False,
    },
]


def test_adding_an_operator_is_one_declaration_plus_its_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    schema_text, doc_text = SCHEMA.read_text(encoding="utf-8"), DOC.read_text(encoding="utf-8")
    monkeypatch.setitem(OPERATORS, "starts_with", STARTS_WITH)

    # The compiler knows it, with the three-valued logic, options and words in messages from the declaration.
    condition = _compile({"field": "h", "starts_with": "prod-"})
    predicate = condition.bind(Env(AS_OF, {}))
    assert [predicate({"h": "prod-1"}), predicate({"h": "test"}), predicate({"h": " "}), predicate({})] == [
        True,
        False,
        None,
        None,
    ]
    assert condition.describe(Env(AS_OF, {})) == "h starts with 'prod-'"
    problems: list[tuple[str, str]] = []
    compile_condition(
        {"field": "h", "starts_with": {"option": "p"}},
        "/c",
        options={"p": ""},
        known_kinds=lambda k: True,
        problems=problems,
    )
    assert problems == [("the default of option 'p' cannot be used here: '' is not a string", "/c/starts_with/option")]

    # The published files are now stale, naming it; regenerated, the schema accepts it and the table lists it.
    assert stale_schema_operators(schema_text) == ["starts_with"]
    assert stale_doc(doc_text) == ["starts_with"]
    validator = _condition_validator(render_schema(schema_text))
    assert list(validator.iter_errors({"field": "h", "starts_with": "prod-"})) == []
    assert list(validator.iter_errors({"field": "h", "starts_with": {"option": "p"}})) == []
    assert [e.message for e in validator.iter_errors({"field": "h", "starts_with": 3})]
    assert (
        '| `starts_with` | is a string beginning with the value | `{ field = "hostname", starts_with = "prod-" }` |'
        in render_table()
    )

    # Its cases are required, and suffice.
    cases = operator_cases()
    assert operator_case_gaps(cases, OPERATORS) == ["starts_with: no passing case", "starts_with: no failing case"]
    assert operator_case_gaps(cases + STARTS_WITH_CASES, OPERATORS) == []
