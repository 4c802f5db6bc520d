"""The operators of declarative field tests, each declared once.

An :class:`Operator` says everything about one operator: its name, the JSON Schema of its operand
and the words of its schema error, how the operand is checked and converted when a rule file is
compiled, whether it accepts ``{ option = "name" }``, the test it binds to for a run (and, for the
commonest scopes, a whole-record fast path), its words in messages, a one-line summary and an
example for the docs. :data:`OPERATORS` is the closed set; :mod:`capcheck.builtins.declarative.conditions`
compiles and binds through it, ``schemas/rule.schema.json``'s operator properties and the operator
table in ``docs/writing-rules.md`` are generated from it (:mod:`capcheck.builtins.declarative.operator_docs`),
and a test requires passing and failing cases for each (``tests/declarative/fixtures/operator_cases.toml``).

The tests themselves (pure functions) are in :mod:`capcheck.builtins.declarative.predicates`. Adding an operator
is one :class:`Operator` in :data:`OPERATORS` plus its cases; see
``docs/writing-rules.md`` ("Adding an operator").
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from capcheck.builtins.declarative.predicates import (
    MAX_MATCH_CHARS,
    bind_contains,
    bind_dates,
    bind_eq,
    bind_field_compare,
    bind_found,
    bind_in,
    bind_matches,
    bind_missing,
    bind_order,
    fast_eq,
    fast_exists,
    fast_in,
    fast_ne,
    ordered,
    regex,
    scalar,
    scalar_list,
)
from capcheck.builtins.declarative.values import Env, Predicate, Test, format_value, parse_duration
from capcheck.core.dates import add_days
from capcheck.core.joins import join_keys

__all__ = ["MAX_MATCH_CHARS", "OPERATORS", "Operator", "missing_words"]


@dataclass(frozen=True, slots=True)
class Operator:
    """One operator of a field test ``{ field = "name", <name> = operand }``.

    ``bind(x, field, env)`` returns the test of a value for a run, given the converted operand ``x``
    (an option's value resolved); the test is never called with a missing value unless ``presence``.
    ``fast(field, x, env)``, when given, may return the whole field test as one record predicate
    for a plain (undotted) field tested by this operator alone, or None to take the general path;
    it must agree with ``bind`` and the three-valued rule (unknown on a missing value).
    """

    #: The operator's key in a field test.
    name: str
    #: The docs table's cell: what the field does when the test holds ("equals the value").
    summary: str
    #: The schema's description of the operand (``capcheck schema rule`` shows it); what a missing field
    #: gives is added from ``presence`` and ``reads`` (:func:`missing_words`).
    description: str
    #: A field test using it, in TOML, for the docs (a test compiles every example).
    example: str
    #: The JSON Schema of a literal operand (it may carry its own ``x-messages``).
    operand: Mapping[str, Any]
    #: ``(x, field, env) -> test(value, record)``.
    bind: Callable[[Any, str, Env], Test]
    #: ``(field, x, as_of) -> words`` for messages, with the resolved operand.
    describe: Callable[[str, Any, date], str]
    #: Checks and converts an operand (a literal at compile time, an option's value per run);
    #: raises ValueError saying what is wrong.
    convert: Callable[[Any], Any] = lambda value: value
    #: Words for a literal operand in the schema's error ("a number or a string"); an operator with
    #: them also accepts ``{ option = "name" }``.
    option_words: str | None = None
    #: A silent pre-check of a literal operand the converter does not check (the schema reports it).
    shape: Callable[[Any], bool] | None = None
    #: Tests for a missing value (``exists``/``missing``), so is never unknown.
    presence: bool = False
    #: What the operand names besides the field: ``"field"``, another field of the same record;
    #: ``"join"``, ``{ kind, field }`` of another evidence kind.
    reads: Literal["field", "join"] | None = None
    #: The whole field test as one predicate, for the commonest scopes (see the class docstring).
    fast: Callable[[str, Any, Env], Predicate | None] | None = None

    @property
    def takes_option(self) -> bool:
        """Whether the operand may be ``{ option = "name" }``."""
        return self.option_words is not None


def missing_words(op: Operator) -> str:
    """What the operator gives on a missing field, in words: the three-valued rule, from its declaration."""
    if op.presence:
        return "Never unknown: it tests for a missing value."
    either = "either field is" if op.reads == "field" else "the field is"
    return f"Unknown (neither true nor false) when {either} missing: absent, null or blank."


def _date_bounds(
    bounds: Callable[[int | bool, date], tuple[str | None, str | None, bool, bool]],
) -> tuple[Callable[[Any, str, Env], Test], Callable[[str, Any, Env], Predicate | None]]:
    """A date operator's test and fast path from its bounds ``(low, high, low open, high open)``
    as ISO dates, given the operand and the as-of date."""

    def bind(x: Any, field: str, env: Env) -> Test:
        return bind_dates(field, *bounds(x, env.as_of))  # type: ignore[no-any-return]  # without key=: a Test

    def fast(field: str, x: Any, env: Env) -> Predicate | None:
        return bind_dates(field, *bounds(x, env.as_of), key=field)  # type: ignore[no-any-return]  # with key=: a Predicate

    return bind, fast


def _ne(x: Any, field: str, env: Env) -> Test:
    eq = bind_eq(x)
    return lambda v, r: v is not None and not eq(v, r)


def _exists(x: Any, field: str, env: Env) -> Test:
    return bind_missing(not x)  # one definition: `exists = true` is `missing = false`


def _found(negate: bool) -> Callable[[Any, str, Env], Test]:
    def bind(x: Any, field: str, env: Env) -> Test:
        values = join_keys(env.evidence.values(x["kind"], x["field"])) if env.evidence is not None else frozenset()
        return bind_found(values, negate)

    return bind


def _days_before(x: int, as_of: date) -> str:
    return add_days(as_of, -x).isoformat()


def _days_after(x: int, as_of: date) -> str:
    return add_days(as_of, x).isoformat()


def _shown(x: Any) -> str:
    return format_value(x, quote=True)


def _listed(xs: Sequence[Any]) -> str:
    return ", ".join(format_value(i, quote=True) for i in xs)


_older_than = _date_bounds(lambda x, as_of: (None, _days_before(int(x), as_of), False, True))
_within = _date_bounds(lambda x, as_of: (_days_before(int(x), as_of), as_of.isoformat(), False, False))
_within_next = _date_bounds(lambda x, as_of: (as_of.isoformat(), _days_after(int(x), as_of), False, False))
_before_as_of = _date_bounds(lambda x, as_of: (None, as_of.isoformat(), False, True))
_after_as_of = _date_bounds(lambda x, as_of: (as_of.isoformat(), None, True, False))

_SCALAR: Mapping[str, Any] = {"type": ["string", "number", "boolean"]}
_ORDERED: Mapping[str, Any] = {"type": ["string", "number"]}
_SCALAR_LIST: Mapping[str, Any] = {
    "type": "array",
    "items": {"type": ["string", "number", "boolean"]},
    "maxItems": 1000,
}
_FLAG: Mapping[str, Any] = {"type": "boolean"}
_TRUE: Mapping[str, Any] = {"const": True, "x-messages": {"const": "must be true (use `not` for the opposite)"}}
_DURATION: Mapping[str, Any] = {"$ref": "#/$defs/duration"}
_JOIN: Mapping[str, Any] = {"$ref": "#/$defs/join"}
_FIELD_NAME: Mapping[str, Any] = {"$ref": "#/$defs/fieldName"}


def _is_flag(v: Any) -> bool:
    return type(v) is bool


def _is_true(v: Any) -> bool:
    return v is True


def _is_join(v: Any) -> bool:
    return type(v) is dict and isinstance(v.get("kind"), str) and isinstance(v.get("field"), str)


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _order(
    name: str, op: Callable[[Any, Any], bool], sign: str, summary: str, description: str, example: str
) -> Operator:
    return Operator(
        name=name,
        summary=summary,
        description=description,
        example=example,
        operand=_ORDERED,
        option_words="a number or a string",
        convert=ordered,
        bind=lambda x, field, env: bind_order(op, x),
        describe=lambda field, x, as_of: f"{field} {sign} {_shown(x)}",
    )


def _field_order(name: str, sign: str, summary: str, description: str, example: str) -> Operator:
    return Operator(
        name=name,
        summary=summary,
        description=description,
        example=example,
        operand=_FIELD_NAME,
        shape=_is_str,
        reads="field",
        bind=lambda x, field, env: bind_field_compare(name, x),
        describe=lambda field, x, as_of: f"{field} {sign} {x}",
    )


_DECLARED = (
    Operator(
        name="eq",
        summary="equals the value (strict on type: `true` never equals `1`)",
        description=("The value equals this (strings exactly, numbers numerically; a boolean only equals a boolean)."),
        example='{ field = "environment", eq = "production" }',
        operand=_SCALAR,
        option_words="a string, number or boolean",
        convert=scalar,
        bind=lambda x, field, env: bind_eq(x),
        fast=fast_eq,
        describe=lambda field, x, as_of: f"{field} is {_shown(x)}",
    ),
    Operator(
        name="ne",
        summary="is present and does not equal the value",
        description=("The value does not equal this (use `missing` to test for absence)."),
        example='{ field = "status", ne = "retired" }',
        operand=_SCALAR,
        option_words="a string, number or boolean",
        convert=scalar,
        bind=_ne,
        fast=fast_ne,
        describe=lambda field, x, as_of: f"{field} is not {_shown(x)}",
    ),
    _order(
        "lt",
        operator.lt,
        "<",
        "is less than the value (numbers; strings and ISO dates compare as strings)",
        (
            "The value is less than this: numbers numerically, strings (and ISO dates) as strings. A value of the "
            "other type is false."
        ),
        '{ field = "open_findings", lt = 5 }',
    ),
    _order(
        "le",
        operator.le,
        "<=",
        "is less than or equal to the value (see `lt`)",
        "The value is less than or equal to this (see `lt`).",
        '{ field = "risk_score", le = 12 }',
    ),
    _order(
        "gt",
        operator.gt,
        ">",
        "is greater than the value (see `lt`)",
        "The value is greater than this (see `lt`).",
        '{ field = "version", gt = "2.0" }',
    ),
    _order(
        "ge",
        operator.ge,
        ">=",
        "is greater than or equal to the value (see `lt`)",
        "The value is greater than or equal to this (see `lt`).",
        '{ field = "coverage", ge = 0.8 }',
    ),
    Operator(
        name="in",
        summary="is one of a list",
        description="The value is one of these. A list or object value is false.",
        example='{ field = "environment", in = ["production", "dr"] }',
        operand=_SCALAR_LIST,
        option_words="a list of strings, numbers or booleans",
        convert=scalar_list,
        bind=lambda x, field, env: bind_in(x, False),
        fast=fast_in,
        describe=lambda field, x, as_of: f"{field} is one of {_listed(x)}",
    ),
    Operator(
        name="not_in",
        summary="is present and none of a list",
        description="The value is none of these. A list or object value is false.",
        example='{ field = "status", not_in = ["retired", "disposed"] }',
        operand=_SCALAR_LIST,
        option_words="a list of strings, numbers or booleans",
        convert=scalar_list,
        bind=lambda x, field, env: bind_in(x, True),
        describe=lambda field, x, as_of: f"{field} is not one of {_listed(x)}",
    ),
    Operator(
        name="contains",
        summary="(a list) has the item, or (a string) has the substring",
        description=("A list field has this as an item; a string field has this (a string) as a substring."),
        example='{ field = "tags", contains = "critical" }',
        operand=_SCALAR,
        option_words="a string, number or boolean",
        convert=scalar,
        bind=lambda x, field, env: bind_contains(x),
        describe=lambda field, x, as_of: f"{field} contains {_shown(x)}",
    ),
    Operator(
        name="exists",
        summary="has a value (`exists = true`; `false`: absent, null, blank, a placeholder or `[]`)",
        description=(
            "true: the field has a value; false: it is missing (absent, null, blank, a placeholder such as "
            "`TBC`, or `[]`). The same test as `missing`, the other way round."
        ),
        example='{ field = "owner", exists = true }',
        operand=_FLAG,
        shape=_is_flag,
        presence=True,
        bind=_exists,
        fast=fast_exists,
        describe=lambda field, x, as_of: f"{field} is {'present' if x else 'absent'}",
    ),
    Operator(
        name="missing",
        summary="is absent, null, blank, a placeholder or `[]` (`missing = true`; `false`: has a value)",
        description=(
            "true: the field is absent, null, an empty string, a placeholder such as `TBC` "
            "(rules/reference-data/placeholders.toml) or an empty list; false: it has a value."
        ),
        example='{ field = "decommissioned_on", missing = true }',
        operand=_FLAG,
        shape=_is_flag,
        presence=True,
        bind=lambda x, field, env: bind_missing(bool(x)),
        describe=lambda field, x, as_of: f"{field} is {'missing or empty' if x else 'given'}",
    ),
    Operator(
        name="matches",
        summary=(
            "matches a regular expression (RE2: linear time, so no pattern can hang a run; first 10,000 characters)"
        ),
        description=(
            "A string value matches this regular expression anywhere (RE2 syntax: linear time, no back-references or "
            "look-around; anchor with ^ and $). Only the first 10,000 characters are searched. A non-string "
            "value is false. A pattern that does not compile is a rule file error."
        ),
        example='{ field = "email", matches = "@example\\\\.org$" }',
        operand={"type": "string", "minLength": 1, "maxLength": 1000},
        option_words="a regular expression string",
        convert=regex,
        bind=lambda x, field, env: bind_matches(x),
        describe=lambda field, x, as_of: f"{field} matches /{x.pattern}/",
    ),
    Operator(
        name="older_than",
        summary='is a date more than the duration before the as-of date (`"365d"`, `"12w"`, `"6m"` = 180 days, `"2y"`)',
        description="The date value is more than this duration before the as-of date (value < as_of - duration).",
        example='{ field = "last_review", older_than = "365d" }',
        operand=_DURATION,
        option_words='a duration such as "365d"',
        convert=parse_duration,
        bind=_older_than[0],
        fast=_older_than[1],
        describe=lambda field, x, as_of: (
            f"{field} is before {_days_before(x, as_of)} (more than {x} days before {as_of})"
        ),
    ),
    Operator(
        name="within",
        summary="is a date no more than the duration before the as-of date (and not after it)",
        description=(
            "The date value is no more than this duration before the as-of date and not after it (as_of - duration <="
            " value <= as_of)."
        ),
        example='{ field = "last_review", within = "90d" }',
        operand=_DURATION,
        option_words='a duration such as "90d"',
        convert=parse_duration,
        bind=_within[0],
        fast=_within[1],
        describe=lambda field, x, as_of: f"{field} is between {_days_before(x, as_of)} and {as_of.isoformat()}",
    ),
    Operator(
        name="within_next",
        summary="is a date between the as-of date and the duration after it",
        description=(
            "The date value falls between the as-of date and this duration after it (as_of <= value <= as_of + "
            "duration)."
        ),
        example='{ field = "end_of_support", within_next = "90d" }',
        operand=_DURATION,
        option_words='a duration such as "90d"',
        convert=parse_duration,
        bind=_within_next[0],
        fast=_within_next[1],
        describe=lambda field, x, as_of: f"{field} is between {as_of.isoformat()} and {_days_after(x, as_of)}",
    ),
    Operator(
        name="before_as_of",
        summary="is a date before the as-of date (`= true`)",
        description="Must be true: the date value is before the as-of date (value < as_of).",
        example='{ field = "contract_start", before_as_of = true }',
        operand=_TRUE,
        shape=_is_true,
        bind=_before_as_of[0],
        fast=_before_as_of[1],
        describe=lambda field, x, as_of: f"{field} is before {as_of.isoformat()}",
    ),
    Operator(
        name="after_as_of",
        summary="is a date after the as-of date (`= true`)",
        description="Must be true: the date value is after the as-of date (value > as_of).",
        example='{ field = "end_of_life", after_as_of = true }',
        operand=_TRUE,
        shape=_is_true,
        bind=_after_as_of[0],
        fast=_after_as_of[1],
        describe=lambda field, x, as_of: f"{field} is after {as_of.isoformat()}",
    ),
    Operator(
        name="found_in",
        summary="is among the values of a field of another kind (a list: every item is)",
        description=(
            "Cross-kind existence: the value is among the values of `field` across the records of `kind` (list fields"
            " there are flattened). A list value must have every item found (an empty list is false). The rule then "
            "also needs that kind: without it the rule is skipped."
        ),
        example='{ field = "owner", found_in = { kind = "governance-register", field = "owner" } }',
        operand=_JOIN,
        shape=_is_join,
        reads="join",
        bind=_found(False),
        describe=lambda field, x, as_of: f"{field} is among the {x['kind']} {x['field']} values",
    ),
    Operator(
        name="not_found_in",
        summary="is present and not among the values of a field of another kind (a list: some item is not)",
        description=(
            "The value is not among the values of `field` across the records of `kind` (for a list value: some item "
            "is not found)."
        ),
        example='{ field = "supplier", not_found_in = { kind = "supplier-contracts", field = "supplier" } }',
        operand=_JOIN,
        shape=_is_join,
        reads="join",
        bind=_found(True),
        describe=lambda field, x, as_of: f"{field} is not among the {x['kind']} {x['field']} values",
    ),
    _field_order(
        "lt_field",
        "<",
        "is less than another field of the same record",
        ("The value is less than that of this other field of the same record (both numbers or both strings/dates)."),
        '{ field = "start", lt_field = "end" }',
    ),
    _field_order(
        "le_field",
        "<=",
        "is less than or equal to another field of the same record",
        "The value is less than or equal to that of this other field of the same record (see `lt_field`).",
        '{ field = "last_test", le_field = "last_review" }',
    ),
    _field_order(
        "gt_field",
        ">",
        "is greater than another field of the same record",
        "The value is greater than that of this other field of the same record (see `lt_field`).",
        '{ field = "end_of_life", gt_field = "purchased_on" }',
    ),
    _field_order(
        "ge_field",
        ">=",
        "is greater than or equal to another field of the same record",
        "The value is greater than or equal to that of this other field of the same record (see `lt_field`).",
        '{ field = "capacity", ge_field = "demand" }',
    ),
    _field_order(
        "eq_field",
        "=",
        "equals another field of the same record (text as joins match it: case and spacing aside)",
        "The value equals that of this other field of the same record (text matched as joins match it: case and "
        "spacing aside).",
        '{ field = "approver", eq_field = "owner" }',
    ),
)

#: Every operator of a field test, by name, in the order of the docs and the schema (the closed set).
OPERATORS: dict[str, Operator] = {op.name: op for op in _DECLARED}
