"""The condition language: every operator on a truth table of records, options, missing values,
dates that are not dates, durations, and value formatting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from decl_helpers import AS_OF, case_env, operator_case_gaps, operator_cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capcheck.builtins.declarative.conditions import (
    LOGICAL,
    OPERATORS,
    Condition,
    Env,
    NotADate,
    compile_condition,
    format_value,
    parse_duration,
)

CASES = operator_cases()


def compile_ok(node: Any, options: dict[str, Any] | None = None) -> Condition:
    """Compile a condition that must have no problems."""
    problems: list[tuple[str, str]] = []
    condition = compile_condition(node, "/c", options=options or {}, known_kinds=lambda kind: True, problems=problems)
    assert problems == []
    assert condition is not None
    return condition


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_operator_case(case: dict[str, Any]) -> None:
    condition = compile_ok(case["condition"], case.get("options", {}))
    predicate = condition.bind(case_env(case))
    record = dict(case["record"])
    if "pad" in case:
        record["text"] = "x" * case["pad"] + record["text"]
    expected = None if case["expect"] == "unknown" else case["expect"]
    assert predicate(record) is expected


def test_every_declared_operator_has_passing_and_failing_cases_and_no_case_an_undeclared_one() -> None:
    assert operator_case_gaps(CASES, OPERATORS) == []
    assert {"all", "any", "not"} <= {key for case in CASES for key in _logical_keys(case["condition"])}


def _logical_keys(node: Any) -> Iterator[str]:
    for key in LOGICAL:
        if key in node:
            yield key
            for child in [node[key]] if key == "not" else node[key]:
                yield from _logical_keys(child)


def test_the_case_check_names_what_is_lacking() -> None:
    cases = [
        {"name": "a", "condition": {"field": "x", "eq": 1}, "expect": True},
        {"name": "b", "condition": {"all": [{"field": "x", "eq": 2}]}, "expect": False},  # not alone: not counted
        {"name": "c", "condition": {"field": "x", "equals": 1}, "expect": True},
    ]
    assert operator_case_gaps(cases, ["eq"]) == ["case 'c': unknown operator 'equals'", "eq: no failing case"]


@pytest.mark.parametrize("name", list(OPERATORS))
def test_an_operator_is_unknown_on_a_missing_field_unless_it_tests_for_presence(name: str) -> None:
    # Each operator's passing case, on the record without the field: unknown, except for the
    # operators declared `presence`, which are never unknown. Checks the declaration against the behaviour.
    case = next(
        c for c in CASES if c["expect"] is True and c["condition"].get(name) is not None and len(c["condition"]) == 2
    )
    top = case["condition"]["field"].split(".")[0]
    record = {k: v for k, v in case["record"].items() if k != top}
    outcome = compile_ok(case["condition"], case.get("options", {})).bind(case_env(case))(record)
    if OPERATORS[name].presence:
        assert outcome is not None
    else:
        assert outcome is None


@pytest.mark.parametrize(
    "node",
    [
        {"field": "d", "older_than": "1d"},
        {"field": "d", "within": "1d"},
        {"field": "d", "within_next": "1d"},
        {"field": "d", "before_as_of": True},
        {"field": "d", "after_as_of": True},
        {"not": {"field": "d", "after_as_of": True}},
    ],
)
@pytest.mark.parametrize("value", ["soon", "2024-13-01", "31/12/2024", 20240101, ["2024-01-01"]])
def test_a_date_test_on_a_value_that_is_not_a_date_raises(node: dict[str, Any], value: Any) -> None:
    predicate = compile_ok(node).bind(Env(AS_OF, {}))
    with pytest.raises(NotADate, match=r"^d is .*, which is not a date \(YYYY-MM-DD\)$"):
        predicate({"d": value})


def test_found_in_without_evidence_finds_nothing() -> None:
    node = {"field": "owner", "found_in": {"kind": "governance-register", "field": "owner"}}
    assert compile_ok(node).bind(Env(AS_OF, {}))({"owner": "x"}) is False


def test_an_overridden_option_that_does_not_convert_is_an_error_naming_it() -> None:
    condition = compile_ok({"field": "d", "within": {"option": "window"}}, {"window": "90d"})
    with pytest.raises(ValueError, match=r"option 'window': 'a while' is not a duration"):
        condition.bind(Env(AS_OF, {"window": "a while"}))
    regex = compile_ok({"field": "d", "matches": {"option": "p"}}, {"p": "x"})
    with pytest.raises(ValueError, match=r"option 'p': bad regular expression"):
        regex.bind(Env(AS_OF, {"p": "(unclosed"}))


def test_conditions_nested_too_deep_are_refused() -> None:
    node: dict[str, Any] = {"field": "a", "exists": True}
    for _ in range(40):
        node = {"not": node}
    problems: list[tuple[str, str]] = []
    assert compile_condition(node, "", options={}, known_kinds=lambda k: True, problems=problems) is None
    assert problems and "nested more than" in problems[0][0]


def test_describe_resolves_options_and_dates() -> None:
    condition = compile_ok(
        {"all": [{"field": "env", "in": ["production", "dr"]}, {"field": "d", "older_than": {"option": "p"}}]},
        {"p": "10d"},
    )
    text = condition.describe(Env(AS_OF, {"p": "1d"}))
    assert text == "env is one of 'production', 'dr' and d is before 2024-12-31 (more than 1 days before 2025-01-01)"
    assert list(condition.fields()) == ["env", "d"]
    assert set(LOGICAL) == {"all", "any", "not"}


@pytest.mark.parametrize(
    ("text", "days"), [("0d", 0), ("90d", 90), ("2w", 14), ("6m", 180), ("2y", 730), ("99999d", 99999)]
)
def test_parse_duration(text: str, days: int) -> None:
    assert parse_duration(text) == days


@pytest.mark.parametrize("text", ["", "90", "d", "1.5d", "90D", "-1d", "90 d", "100000d", 90, None])
def test_parse_duration_refuses(text: Any) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "<missing>"), (True, "true"), (3, "3"), (2.5, "2.5"), ("x", "x"), (["a", 1], "a, 1"), ({"a": 1}, "{...}")],
)
def test_format_value(value: Any, shown: str) -> None:
    assert format_value(value) == shown


def test_format_value_cuts_long_text() -> None:
    assert len(format_value("y" * 5000)) == 200


# Every date operator's bounds, day before / on / after each one, as offsets from decl_helpers.AS_OF.
# Moving any bound by one day, or making one inclusive or exclusive,
# fails a row here.
_DATE_BOUNDS: list[tuple[dict[str, Any], int, bool]] = [
    ({"older_than": "10d"}, -11, True),
    ({"older_than": "10d"}, -10, False),
    ({"older_than": "10d"}, -9, False),
    ({"within": "10d"}, -11, False),
    ({"within": "10d"}, -10, True),
    ({"within": "10d"}, 0, True),
    ({"within": "10d"}, 1, False),
    ({"within_next": "10d"}, -1, False),
    ({"within_next": "10d"}, 0, True),
    ({"within_next": "10d"}, 10, True),
    ({"within_next": "10d"}, 11, False),
    ({"before_as_of": True}, -1, True),
    ({"before_as_of": True}, 0, False),
    ({"before_as_of": True}, 1, False),
    ({"after_as_of": True}, -1, False),
    ({"after_as_of": True}, 0, False),
    ({"after_as_of": True}, 1, True),
]


@pytest.mark.parametrize(("operator", "offset", "expect"), _DATE_BOUNDS, ids=lambda v: str(v))
def test_date_operator_bounds_are_pinned_to_the_day(operator: dict[str, Any], offset: int, expect: bool) -> None:
    predicate = compile_ok({"field": "d", **operator}).bind(Env(AS_OF, {}))
    day = (AS_OF + timedelta(days=offset)).isoformat()
    assert predicate({"d": day}) is expect
    assert predicate({"d": day + "T23:59:59Z"}) is expect  # a date-time is judged by its date part


@pytest.mark.parametrize(("operator", "offset", "expect"), _DATE_BOUNDS, ids=lambda v: str(v))
def test_date_bounds_are_the_same_on_a_nested_field_and_beside_another_operator(
    operator: dict[str, Any], offset: int, expect: bool
) -> None:
    # A plain field with one operator is compiled to one predicate; these take the general path.
    day = (AS_OF + timedelta(days=offset)).isoformat()
    nested = compile_ok({"field": "x.d", **operator}).bind(Env(AS_OF, {}))
    assert nested({"x": {"d": day}}) is expect
    assert nested({"x": {"d": " "}}) is None
    paired = compile_ok({"field": "d", **operator, "exists": True}).bind(Env(AS_OF, {}))
    assert paired({"d": day}) is expect


@pytest.mark.parametrize(
    ("among", "value", "expect"),
    [
        (["a", "b"], "a", True),
        (["a", "b"], "c", False),
        (["a", "b"], " ", None),
        (["a", "b"], None, None),
        (["a", "b"], 1, False),
        (["a", "b"], ["a"], False),
        (["a", ""], "", None),  # a blank value is missing even when the list names a blank
        (["a", ""], "c", False),
        (["a", 1], 1, True),
        (["a", 1], True, False),
    ],
)
def test_in_is_three_valued(among: list[Any], value: Any, expect: bool | None) -> None:
    predicate = compile_ok({"field": "f", "in": among}).bind(Env(AS_OF, {}))
    assert predicate({"f": value}) is expect


# ---------------------------------------------------------------------------------------------
# Three-valued logic: sound against every way of filling in the missing fields
# ---------------------------------------------------------------------------------------------

_FIELDS = ("a", "b", "c")
_VALUES = ("x", "y", None, "", " ")  # None, "" and " " are missing


def _conditions() -> Any:
    from hypothesis import strategies as st

    leaf = st.one_of(
        st.builds(lambda f, v: {"field": f, "eq": v}, st.sampled_from(_FIELDS), st.sampled_from(("x", "y"))),
        st.builds(lambda f, v: {"field": f, "ne": v}, st.sampled_from(_FIELDS), st.sampled_from(("x", "y"))),
        st.builds(lambda f, b: {"field": f, "exists": b}, st.sampled_from(_FIELDS), st.booleans()),
        st.builds(lambda f, o: {"field": f, "eq_field": o}, st.sampled_from(_FIELDS), st.sampled_from(_FIELDS)),
    )
    return st.recursive(
        leaf,
        lambda children: st.one_of(
            st.builds(lambda c: {"not": c}, children),
            st.builds(lambda cs: {"all": cs}, st.lists(children, min_size=1, max_size=4)),
            st.builds(lambda cs: {"any": cs}, st.lists(children, min_size=1, max_size=4)),
        ),
        max_leaves=8,
    )


def test_three_valued_logic_is_sound_and_classical_when_nothing_is_missing() -> None:
    """A definite verdict on a record with missing (absent or blank) fields is the verdict of every way of
    filling them in, for conditions that compare values; with nothing missing, the verdict is never unknown."""
    import itertools

    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None)
    @given(_conditions(), st.fixed_dictionaries({f: st.sampled_from(_VALUES) for f in _FIELDS}))
    def check(node: dict[str, Any], values: dict[str, Any]) -> None:
        predicate = compile_ok(node).bind(Env(AS_OF, {}))
        record = {k: v for k, v in values.items() if v is not None}
        verdict = predicate(record)
        assert verdict in (True, False, None)
        missing = [f for f in _FIELDS if values[f] in (None, "", " ")]
        if not missing:
            assert verdict is not None
            return
        if verdict is None or _uses_exists(node):
            return  # `exists` tests presence itself: filling the field in is a different record for it
        for filler in itertools.product(("x", "y"), repeat=len(missing)):
            filled = {**record, **dict(zip(missing, filler, strict=True))}
            assert predicate(filled) is verdict, (node, record, filled)

    check()


def _uses_exists(node: Any) -> bool:
    if isinstance(node, dict):
        return "exists" in node or any(_uses_exists(v) for v in node.values())
    if isinstance(node, list):
        return any(_uses_exists(v) for v in node)
    return False


_VALUES = [None, "", " ", "x", "production", "dr", 0, 1, 1.0, True, False, [], ["x"], {}, "2024-12-31", "2025-01-01"]

#: Record values of every shape a register holds: missing and blank, wrong types, dates, numbers, braces.
_ANY_VALUE = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "\t", "{x}", "{{", "retired", "production", "2024-12-31", "2025-01-01T08:00:00Z"]),
    st.dates().map(lambda d: d.isoformat()),
    st.text(max_size=12),
    st.booleans(),
    st.integers(min_value=-3, max_value=3),
    st.floats(allow_nan=False, min_value=-3, max_value=3),
    st.lists(st.sampled_from(["x", "production", 1, True]), max_size=2),
    st.just({}),
)
_FAST_CASES = [
    c
    for c in CASES
    if len(c["condition"]) == 2
    and "." not in c["condition"]["field"]
    and any(OPERATORS[k].fast is not None for k in c["condition"] if k != "field")
]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.sampled_from(_FAST_CASES), value=_ANY_VALUE, absent=st.booleans())
def test_a_fast_path_agrees_with_the_general_path_on_any_value(case: dict[str, Any], value: Any, absent: bool) -> None:
    # The general path (a dotted field never takes a fast path) is the reference for every fast path.
    field = case["condition"]["field"]
    options = case.get("options", {})
    plain = compile_ok(case["condition"], options).bind(case_env(case))
    general = compile_ok({**case["condition"], "field": "w." + field}, options).bind(case_env(case))
    record = {} if absent else {field: value}
    assert _outcome(plain, record) == _outcome(general, {"w": record})


def _outcome(predicate: Any, record: dict[str, Any]) -> Any:
    try:
        return predicate(record)
    except NotADate as exc:
        return ("not a date", exc.value)


@pytest.mark.parametrize("name", [name for name, op in OPERATORS.items() if op.fast is not None])
def test_a_fast_path_agrees_with_the_general_path(name: str) -> None:
    # A plain field tested by one operator may take the operator's fast path; a dotted field never does.
    cases = [c for c in CASES if set(c["condition"]) == {"field", name} and "." not in c["condition"]["field"]]
    assert cases
    for case in cases:
        plain = compile_ok(case["condition"], case.get("options", {})).bind(case_env(case))
        nested = compile_ok({**case["condition"], "field": "w." + case["condition"]["field"]}, case.get("options", {}))
        general = nested.bind(case_env(case))
        field = case["condition"]["field"]
        for value in [case["record"].get(field), *_VALUES]:
            record = {} if value is None else {field: value}
            assert _outcome(plain, record) == _outcome(general, {"w": record}), (case["name"], value)
