"""The condition language of declarative rules: a closed set of operators, compiled to closures.

A condition is a table: ``{ all = [...] }``, ``{ any = [...] }``, ``{ not = {...} }`` or a field
test ``{ field = "name", <operator> = operand, ... }``. :func:`compile_condition` checks a parsed
condition once, when the rule file is loaded (operators, regular expressions, durations, option
references), and returns a :class:`Condition`. Each run, :meth:`Condition.bind` resolves the
as-of date and the option values and returns a plain ``Callable[[Mapping], bool]``: per record
it does a dict lookup and a comparison. Nothing is ever ``eval``-ed.

Missing values and three-valued logic: a field that is absent, null, or a string that is empty
or only whitespace is *missing* (:func:`capcheck.rules.is_missing`), and a comparison on it is
*unknown* (``None``), neither true nor false. ``exists`` and ``missing`` test for exactly that, so
they are never unknown. ``all``/``any``/``not`` combine Kleene-style: ``all`` is false if any part
is false, else unknown if any part is unknown; ``any`` is true if any part is true, else unknown if
any part is unknown; ``not`` of unknown is unknown. A bound predicate returns True, False or None;
what a check does with unknown (an undetermined finding, or a failed requirement) is
:mod:`capcheck.declarative.checks`'s business. With no missing field, the logic is the classical one.

A date operator on a present value that is not an ISO date raises :class:`NotADate`, which the
rule turns into a failure that says so.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import re2

from capcheck.dates import DATE_SHAPE
from capcheck.joins import join_key, join_keys
from capcheck.rules import is_missing

if TYPE_CHECKING:
    from capcheck.evidence import EvidenceSet

__all__ = [
    "LOGICAL",
    "MAX_DEPTH",
    "MAX_MATCH_CHARS",
    "OPERATORS",
    "Condition",
    "Env",
    "NotADate",
    "Operand",
    "Traced",
    "compile_condition",
    "format_value",
    "make_getter",
    "parse_duration",
    "tracing",
]

Record = Mapping[str, Any]
#: A bound condition: True, False, or None when a field it compares is missing (unknown).
Predicate = Callable[[Record], bool | None]
#: A bound operator: ``test(value, record)``; the record is read only by the ``*_field`` operators
#: (which return None when the other field is missing). Never called with a missing value, except
#: for ``exists``/``missing``.
Test = Callable[[Any, Record], bool | None]
#: Problems found while compiling: ``(message, JSON pointer)``.
Problems = list[tuple[str, str]]

#: The logical keys of a condition; each stands alone in its table.
LOGICAL = ("all", "any", "not")
#: The deepest nesting of conditions accepted.
MAX_DEPTH = 32
#: ``matches`` searches at most this many characters of a value.
MAX_MATCH_CHARS = 10_000

_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
_DURATION = re.compile(r"([0-9]{1,5})([dwmy])\Z")
_IS_DATE = DATE_SHAPE.match
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_OPTIONS.never_capture = True
_MISSING = object()


class NotADate(Exception):
    """A date operator met a present value that is not an ISO date."""

    def __init__(self, field: str, value: Any) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field} is {format_value(value, quote=True)}, which is not a date (YYYY-MM-DD)")


@dataclass(frozen=True, slots=True)
class Env:
    """What binding a condition resolves: the as-of date, the option values and the evidence."""

    as_of: date
    options: Mapping[str, Any]
    evidence: EvidenceSet | None = None


# ---------------------------------------------------------------------------------------------
# Values: field access, durations, operand conversion
# ---------------------------------------------------------------------------------------------


def make_getter(path: str) -> Callable[[Record], Any]:
    """A function reading ``path`` (dotted for nested objects) from a record; None when missing."""
    parts = path.split(".")
    if len(parts) == 1:
        key = parts[0]
        return lambda record: record.get(key)

    def get(record: Record) -> Any:
        value: Any = record
        for part in parts:
            if type(value) is not dict:
                return None
            value = value.get(part)
        return value

    return get


def parse_duration(text: Any) -> int:
    """Days in a duration ``Nd``/``Nw``/``Nm``/``Ny`` (a month is 30 days, a year 365)."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{format_value(text, quote=True)} is not a duration (e.g. 90d, 12w, 6m, 2y)")
    return int(match.group(1)) * _DAYS[match.group(2)]


def format_value(value: Any, *, quote: bool = False, limit: int = 200) -> str:
    """A record value as shown in messages: lists joined, booleans lower-case, long text cut."""
    if type(value) is str and not quote and len(value) <= limit:
        return value  # the common case, first
    if value is None:
        return "<missing>"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        text = ", ".join(format_value(v, limit=limit) for v in value)
        quote = False
    elif isinstance(value, str):
        text = value
    elif isinstance(value, int | float):
        text = repr(value)
    else:
        text = "{...}" if isinstance(value, dict) else type(value).__name__
        quote = False
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{text}'" if quote and isinstance(value, str) else text


def _scalar(value: Any) -> Any:
    if isinstance(value, str | int | float):
        return value
    raise ValueError(f"{format_value(value, quote=True)} is not a string, number or boolean")


def _ordered(value: Any) -> Any:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return value
    raise ValueError(f"{format_value(value, quote=True)} is not a number or a string")


def _scalar_list(value: Any) -> tuple[Any, ...]:
    if isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value):
        return tuple(value)
    raise ValueError(f"{format_value(value, quote=True)} is not a list of strings, numbers or booleans")


def _regex(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{format_value(value, quote=True)} is not a regular expression")
    try:
        return re2.compile(value, _RE2_OPTIONS)
    except re2.error as exc:
        cause = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        raise ValueError(f"bad regular expression {value!r}: {cause} (RE2 syntax)") from None


def _identity(value: Any) -> Any:
    return value


#: Each operator and how its operand is checked and converted (once, at load or bind).
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "eq": _scalar,
    "ne": _scalar,
    "lt": _ordered,
    "le": _ordered,
    "gt": _ordered,
    "ge": _ordered,
    "in": _scalar_list,
    "not_in": _scalar_list,
    "contains": _scalar,
    "exists": _identity,
    "missing": _identity,
    "matches": _regex,
    "older_than": parse_duration,
    "within": parse_duration,
    "within_next": parse_duration,
    "before_as_of": _identity,
    "after_as_of": _identity,
    "found_in": _identity,
    "not_found_in": _identity,
    "lt_field": _identity,
    "le_field": _identity,
    "gt_field": _identity,
    "ge_field": _identity,
    "eq_field": _identity,
}
#: The operand shapes of the operators that take no option reference (the schema reports others).
_SHAPES: dict[str, Callable[[Any], bool]] = {
    "exists": lambda v: type(v) is bool,
    "missing": lambda v: type(v) is bool,
    "before_as_of": lambda v: v is True,
    "after_as_of": lambda v: v is True,
    **{
        name: lambda v: type(v) is dict and isinstance(v.get("kind"), str) and isinstance(v.get("field"), str)
        for name in ("found_in", "not_found_in")
    },
    **{name: lambda v: isinstance(v, str) for name in ("lt_field", "le_field", "gt_field", "ge_field", "eq_field")},
}
#: The operators that accept ``{ option = "name" }`` as their operand.
_OPTION_OPERANDS = frozenset(
    {"eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "contains", "matches", "older_than", "within", "within_next"}
)
#: Every operator of a field test (the closed set).
OPERATORS: tuple[str, ...] = tuple(_CONVERTERS)


@dataclass(frozen=True, slots=True)
class Operand:
    """An operator's operand: a literal converted at load, or an option resolved at each run."""

    value: Any
    convert: Callable[[Any], Any]
    option: str | None = None

    def resolve(self, options: Mapping[str, Any]) -> Any:
        """The operand's value for this run (an option's value converted and checked)."""
        if self.option is None:
            return self.value
        raw = options.get(self.option, _MISSING)
        if raw is _MISSING:
            return self.value
        try:
            return self.convert(raw)
        except ValueError as exc:
            raise ValueError(f"option {self.option!r}: {exc}") from None


def compile_operand(
    value: Any,
    convert: Callable[[Any], Any],
    pointer: str,
    options: Mapping[str, Any],
    problems: Problems,
    *,
    allow_option: bool = True,
) -> Operand | None:
    """Check one operand: a literal is converted now; an option reference must name a declared
    option whose default converts. Problems are appended; None when the operand is unusable."""
    if allow_option and isinstance(value, dict):
        name = value.get("option")
        if not isinstance(name, str):
            return None  # the schema reports the shape
        if name not in options:
            declared = ", ".join(sorted(options)) or "none"
            problems.append((f"unknown option {name!r} (declared options: {declared})", pointer + "/option"))
            return None
        try:
            return Operand(convert(options[name]), convert, name)
        except ValueError as exc:
            problems.append((f"the default of option {name!r} cannot be used here: {exc}", pointer + "/option"))
            return None
    try:
        return Operand(convert(value), convert)
    except ValueError as exc:
        problems.append((str(exc), pointer))
        return None


# ---------------------------------------------------------------------------------------------
# Binding operators: operand value -> test(value, record)
# ---------------------------------------------------------------------------------------------


def _is_number(v: Any) -> bool:
    t = type(v)
    return t is int or t is float


def _bind_eq(x: Any) -> Test:
    if type(x) is bool:
        return lambda v, r: v is x
    if type(x) is str:
        return lambda v, r: v == x
    return lambda v, r: v == x and type(v) is not bool


_ORDER = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}


def _bind_order(op: Callable[[Any, Any], bool], x: Any) -> Test:
    if type(x) is str:
        return lambda v, r: type(v) is str and op(v, x)
    return lambda v, r: (type(v) is int or type(v) is float) and op(v, x)


def _typed(v: Any) -> tuple[bool, Any]:
    return (type(v) is bool, v)


def _bind_in(xs: Sequence[Any], negate: bool) -> Test:
    if all(type(x) is str for x in xs):
        strings = frozenset(xs)
        if negate:
            return lambda v, r: v is not None and type(v) is not list and type(v) is not dict and v not in strings
        return lambda v, r: type(v) is str and v in strings
    keys = frozenset(_typed(x) for x in xs)

    def test(v: Any, r: Record) -> bool:
        if v is None or type(v) is list or type(v) is dict:
            return False
        return (_typed(v) in keys) is not negate

    return test


def _bind_contains(x: Any) -> Test:
    if type(x) is str:
        return lambda v, r: (type(v) is list or type(v) is str) and x in v
    key = _typed(x)
    return lambda v, r: type(v) is list and any(_typed(i) == key for i in v if type(i) is not dict)


def _bind_missing(flag: bool) -> Test:
    if flag:
        return lambda v, r: is_missing(v) or v == []
    return lambda v, r: not is_missing(v) and v != []


def _searcher(pattern: Any) -> Callable[[str], bool]:
    """Whether ``pattern`` (compiled re2) occurs in a string.

    re2's ``search`` builds a match object with character offsets (several microseconds); the
    underlying ``RE2.Match`` on UTF-8 bytes answers the same question about ten times faster.
    It is internal to google-re2, so the public ``search`` is used when it is absent.
    """
    try:
        match = pattern._regexp.Match
        anchor = re2._Anchor.UNANCHORED
        null = re2._NULL_SPAN
    except AttributeError:  # pragma: no cover - another google-re2 layout
        return lambda s: pattern.search(s) is not None

    def search(s: str) -> bool:
        b = s.encode("utf-8", "surrogatepass")
        return bool(match(anchor, b, 0, len(b))[0] != null)

    return search


def _bind_matches(pattern: Any) -> Test:
    search = _searcher(pattern)
    limit = MAX_MATCH_CHARS
    return lambda v, r: type(v) is str and search(v[:limit])


def _bind_dates(
    field: str, low: str | None, high: str | None, low_open: bool, high_open: bool, *, key: str | None = None
) -> Any:
    """A date test: ``low <(=) value <(=) high`` on the value's first 10 characters (ISO dates
    compare correctly as strings). Each distinct string is checked for being a date only once.

    With ``key`` (a plain field name) it is the whole field test as a record predicate: unknown
    (None) when the field is missing (absent, null, blank), so one call per record."""
    assert low is not None or high is not None
    checked: dict[str, str] = {}  # value -> its date part; registers repeat dates a lot
    is_date = _IS_DATE
    # One comparison form, lo <= d < hi: the first string after s is s + "\0", so ``lo < d`` is
    # ``lo + "\0" <= d`` and ``d <= hi`` is ``d < hi + "\0"``.
    lo = (low + "\0" if low_open else low) if low is not None else ""
    hi = (high if high_open else high + "\0") if high is not None else "\uffff"
    # What a missing value compares as: something outside the bounds, so that the test is false.
    miss = "" if low is not None else "\uffff"

    def date_of(v: Any) -> str:
        if v is None or v == "":
            return miss
        if type(v) is not str or is_date(v) is None:
            raise NotADate(field, v)
        d = checked[v] = v[:10]
        return d

    get = checked.get
    if key is None:
        return lambda v, r: lo <= (get(v) or date_of(v)) < hi if type(v) is str else _nd(date_of, v)

    def predicate(r: Record) -> bool | None:
        v = r.get(key)
        if type(v) is str:
            d = get(v)
            if d is None:
                if v == "" or v.isspace():  # rules.is_missing, inlined
                    return None
                d = date_of(v)
            return lo <= d < hi
        return None if v is None else _nd(date_of, v)

    return predicate


def _nd(date_of: Callable[[Any], str], v: Any) -> bool:
    """A non-string value in a date test: false when missing, else :class:`NotADate`."""
    date_of(v)
    return False


def _bind_found(values: frozenset[Any], negate: bool) -> Test:
    """``found_in``: ``values`` are join keys (:func:`capcheck.joins.join_key`): text matches across
    registers whatever its case and spacing."""

    def test(v: Any, r: Record) -> bool:
        if v is None:
            return False
        if type(v) is list:
            if not v:
                return False
            found = all(type(i) is not dict and type(i) is not list and join_key(i) in values for i in v)
        elif type(v) is dict:
            return False
        else:
            found = join_key(v) in values
        return found is not negate

    return test


def _bind_field_compare(name: str, other: str) -> Test:
    get = make_getter(other)
    if name == "eq_field":  # two people or names: matched as joins are (capcheck.joins)

        def eq(v: Any, r: Record) -> bool | None:
            w = get(r)
            return None if is_missing(w) else join_key(v) == join_key(w)

        return eq
    op = _ORDER[name.removesuffix("_field")]

    def test(v: Any, r: Record) -> bool | None:
        w = get(r)
        if is_missing(w):
            return None  # the other field decides as much as this one
        if type(v) is str:
            return type(w) is str and op(v, w)
        return _is_number(v) and _is_number(w) and op(v, w)

    return test


def _date_bounds(name: str, x: Any, as_of: date) -> tuple[str | None, str | None, bool, bool] | None:
    """A date operator's bounds (low, high, low open, high open) as ISO dates; None for other operators."""
    if name == "older_than":
        return None, (as_of - timedelta(days=x)).isoformat(), False, True
    if name == "within":
        return (as_of - timedelta(days=x)).isoformat(), as_of.isoformat(), False, False
    if name == "within_next":
        return as_of.isoformat(), (as_of + timedelta(days=x)).isoformat(), False, False
    if name == "before_as_of":
        return None, as_of.isoformat(), False, True
    if name == "after_as_of":
        return as_of.isoformat(), None, True, False
    return None


def _bind_op(name: str, x: Any, field: str, env: Env) -> Test:
    """The test of operator ``name`` with resolved operand ``x`` on ``field``."""
    as_of = env.as_of
    if name == "eq":
        return _bind_eq(x)
    if name == "ne":
        eq = _bind_eq(x)
        return lambda v, r: v is not None and not eq(v, r)
    if name in _ORDER:
        return _bind_order(_ORDER[name], x)
    if name in ("in", "not_in"):
        return _bind_in(x, name == "not_in")
    if name == "contains":
        return _bind_contains(x)
    if name == "exists":
        return (lambda v, r: v is not None) if x else (lambda v, r: v is None)
    if name == "missing":
        return _bind_missing(bool(x))
    if name == "matches":
        return _bind_matches(x)
    bounds = _date_bounds(name, x, as_of)
    if bounds is not None:
        return _bind_dates(field, *bounds)  # type: ignore[no-any-return]  # without key=: a Test
    if name in ("found_in", "not_found_in"):
        values = join_keys(env.evidence.values(x["kind"], x["field"])) if env.evidence is not None else frozenset()
        return _bind_found(values, name == "not_found_in")
    return _bind_field_compare(name, x)


def _describe_op(name: str, x: Any, field: str, env: Env) -> str:
    """Words for one operator test, with resolved operands (for messages)."""
    as_of = env.as_of
    shown = format_value(x, quote=True) if not isinstance(x, list | tuple) else None
    if name in ("in", "not_in"):
        listed = ", ".join(format_value(i, quote=True) for i in x)
        return f"{field} is {'not ' if name == 'not_in' else ''}one of {listed}"
    words = {
        "eq": f"{field} is {shown}",
        "ne": f"{field} is not {shown}",
        "lt": f"{field} < {shown}",
        "le": f"{field} <= {shown}",
        "gt": f"{field} > {shown}",
        "ge": f"{field} >= {shown}",
        "contains": f"{field} contains {shown}",
        "exists": f"{field} is {'present' if x else 'absent'}",
        "missing": f"{field} is {'missing or empty' if x else 'given'}",
        "before_as_of": f"{field} is before {as_of.isoformat()}",
        "after_as_of": f"{field} is after {as_of.isoformat()}",
        "lt_field": f"{field} < {x}",
        "le_field": f"{field} <= {x}",
        "gt_field": f"{field} > {x}",
        "ge_field": f"{field} >= {x}",
        "eq_field": f"{field} = {x}",
    }
    if name in words:
        return words[name]
    if name == "matches":
        return f"{field} matches /{x.pattern}/"
    if name == "older_than":
        return f"{field} is before {(as_of - timedelta(days=x)).isoformat()} (more than {x} days before {as_of})"
    if name == "within":
        return f"{field} is between {(as_of - timedelta(days=x)).isoformat()} and {as_of.isoformat()}"
    if name == "within_next":
        return f"{field} is between {as_of.isoformat()} and {(as_of + timedelta(days=x)).isoformat()}"
    negate = "not " if name == "not_found_in" else ""
    return f"{field} is {negate}among the {x['kind']} {x['field']} values"


# ---------------------------------------------------------------------------------------------
# Condition trees
# ---------------------------------------------------------------------------------------------


class Condition:
    """A compiled condition: bind it once per run to get the record predicate."""

    __slots__ = ()

    def bind(self, env: Env) -> Predicate:
        """The predicate for this run (options and the as-of date resolved): True, False, or None
        (unknown: a field it compares is missing)."""
        raise NotImplementedError

    def describe(self, env: Env) -> str:
        """The condition in words, with resolved operands."""
        raise NotImplementedError

    def fields(self) -> Iterator[str]:
        """The record fields the condition reads (in order, repeats possible)."""
        raise NotImplementedError

    def compared_fields(self) -> Iterator[str]:
        """The fields whose absence makes the condition unknown: those read by an operator other
        than ``exists``/``missing`` (in order, repeats possible)."""
        raise NotImplementedError

    def missing_fields(self, record: Record) -> list[str]:
        """The compared fields this record lacks (absent, null or blank), each once, in order."""
        return [f for f in dict.fromkeys(self.compared_fields()) if is_missing(make_getter(f)(record))]

    def join_kinds(self) -> Iterator[str]:
        """The other evidence kinds the condition reads (``found_in``)."""
        raise NotImplementedError


#: The operators that test for a missing value, so are never unknown.
_PRESENCE = frozenset({"exists", "missing"})


class _FieldTest(Condition):
    __slots__ = ("field", "ops")

    def __init__(self, field: str, ops: list[tuple[str, Operand]]) -> None:
        self.field = field
        self.ops = ops

    def bind(self, env: Env) -> Predicate:
        f = self.field
        if len(self.ops) == 1 and "." not in f:
            # The commonest scopes, `eq` a string and `exists`, as one call: a string equals only a string,
            # so the strictness of `eq` holds without its type checks; a value that is not equal is
            # unknown only when missing (rules.is_missing, inlined: this runs once per record).
            name, operand = self.ops[0]
            value = operand.resolve(env.options)
            if name == "eq" and type(value) is str and not is_missing(value):

                def eq(r: Record) -> bool | None:
                    v = r.get(f)
                    if v == value:
                        return True
                    if v is None or (type(v) is str and (v == "" or v.isspace())):
                        return None
                    return False

                return eq
            if name == "exists" and value is True:
                return lambda r: r.get(f) is not None
            if name == "in" and all(type(x) is str and not is_missing(x) for x in value):
                strings = frozenset(value)

                def among(r: Record) -> bool | None:  # `in` strings: only a string is among them
                    v = r.get(f)
                    if type(v) is str:
                        if v in strings:
                            return True
                        return None if v == "" or v.isspace() else False
                    return None if v is None else False

                return among
            bounds = _date_bounds(name, value, env.as_of)
            if bounds is not None:
                return _bind_dates(f, *bounds, key=f)  # type: ignore[no-any-return]  # with key=: a Predicate
        get = make_getter(f)
        tests = [
            (_bind_op(name, operand.resolve(env.options), f, env), name in _PRESENCE) for name, operand in self.ops
        ]
        if len(tests) == 1:
            test, presence = tests[0]
            if "." not in f:
                if presence:
                    return lambda r: test(r.get(f), r)

                def one_key(r: Record) -> bool | None:
                    v = r.get(f)
                    if v is None or (type(v) is str and (v == "" or v.isspace())):  # rules.is_missing, inlined
                        return None
                    return test(v, r)

                return one_key
            if presence:
                return lambda r: test(get(r), r)
            missing = is_missing

            def one(r: Record) -> bool | None:
                v = get(r)
                return None if missing(v) else test(v, r)

            return one

        def all_hold(r: Record) -> bool | None:
            v = get(r)
            lacking = is_missing(v)
            unknown = False
            for t, presence in tests:
                if lacking and not presence:
                    unknown = True
                    continue
                x = t(v, r)
                if x is None:
                    unknown = True
                elif not x:
                    return False
            return None if unknown else True

        return all_hold

    def describe(self, env: Env) -> str:
        return " and ".join(
            _describe_op(name, operand.resolve(env.options), self.field, env) for name, operand in self.ops
        )

    def fields(self) -> Iterator[str]:
        yield self.field
        for name, operand in self.ops:
            if name.endswith("_field"):
                yield operand.value

    def compared_fields(self) -> Iterator[str]:
        if any(name not in _PRESENCE for name, _ in self.ops):
            yield self.field
        for name, operand in self.ops:
            if name.endswith("_field"):
                yield operand.value

    def join_kinds(self) -> Iterator[str]:
        for name, operand in self.ops:
            if name in ("found_in", "not_found_in"):
                yield operand.value["kind"]


def _kleene_not(p: Predicate) -> Predicate:
    def negate(r: Record) -> bool | None:
        x = p(r)
        return None if x is None else not x

    return negate


def _kleene_all(preds: list[Predicate]) -> Predicate:
    """False if any part is false, else unknown (None) if any part is unknown, else true.

    Every predicate returns exactly True, False or None (the operators' tests return bools), so
    ``is False`` is exact; ``x and y`` of parts that are each True or None is None if either is None.
    """
    if len(preds) == 2:
        a, b = preds

        def both(r: Record) -> bool | None:
            x = a(r)
            if x is False:
                return False
            y = b(r)
            if y is False:
                return False
            return x and y

        return both
    if len(preds) == 3:
        a, b, c = preds

        def all_three(r: Record) -> bool | None:
            x = a(r)
            if x is False:
                return False
            y = b(r)
            if y is False:
                return False
            z = c(r)
            if z is False:
                return False
            return x and y and z

        return all_three

    def all_of(r: Record) -> bool | None:
        unknown = False
        for p in preds:
            x = p(r)
            if x is None:
                unknown = True
            elif x is False:
                return False
        return None if unknown else True

    return all_of


def _kleene_any(preds: list[Predicate]) -> Predicate:
    """True if any part is true, else unknown (None) if any part is unknown, else false."""
    if len(preds) == 2:
        a, b = preds

        def either(r: Record) -> bool | None:
            x = a(r)
            if x:
                return True
            if x is None:
                return True if b(r) else None
            return b(r)

        return either

    def any_of(r: Record) -> bool | None:
        unknown = False
        for p in preds:
            x = p(r)
            if x:
                return True
            if x is None:
                unknown = True
        return None if unknown else False

    return any_of


class _Logical(Condition):
    __slots__ = ("children", "op")

    def __init__(self, op: str, children: list[Condition]) -> None:
        self.op = op
        self.children = children

    def bind(self, env: Env) -> Predicate:
        preds = [c.bind(env) for c in self.children]
        if self.op == "not":
            (p,) = preds
            return _kleene_not(p)
        if len(preds) == 1:
            return preds[0]
        return _kleene_all(preds) if self.op == "all" else _kleene_any(preds)

    def describe(self, env: Env) -> str:
        parts = [c.describe(env) for c in self.children]
        if self.op == "not":
            return f"not ({parts[0]})"
        if len(parts) == 1:
            return parts[0]
        joiner = " and " if self.op == "all" else " or "
        pairs = zip(self.children, parts, strict=True)
        return joiner.join(f"({p})" if isinstance(_untraced(c), _Logical) else p for c, p in pairs)

    def fields(self) -> Iterator[str]:
        for c in self.children:
            yield from c.fields()

    def compared_fields(self) -> Iterator[str]:
        for c in self.children:
            yield from c.compared_fields()

    def join_kinds(self) -> Iterator[str]:
        for c in self.children:
            yield from c.join_kinds()


class Traced(Condition):
    """A node compiled under :func:`tracing`: its predicate records each outcome (True, False, None)
    in ``outcomes``, for ``capcheck test --coverage``. Compiled only there: a check never pays for it."""

    __slots__ = ("inner", "outcomes", "pointer")

    def __init__(self, inner: Condition, pointer: str) -> None:
        self.inner = inner
        self.pointer = pointer
        self.outcomes: set[bool | None] = set()

    def bind(self, env: Env) -> Predicate:
        predicate = self.inner.bind(env)
        seen = self.outcomes.add

        def traced(r: Record) -> bool | None:
            x = predicate(r)
            seen(x)
            return x

        return traced

    def describe(self, env: Env) -> str:
        return self.inner.describe(env)

    def fields(self) -> Iterator[str]:
        return self.inner.fields()

    def compared_fields(self) -> Iterator[str]:
        return self.inner.compared_fields()

    def join_kinds(self) -> Iterator[str]:
        return self.inner.join_kinds()


def _untraced(c: Condition) -> Condition:
    return c.inner if isinstance(c, Traced) else c


_TRACING: ContextVar[bool] = ContextVar("capcheck_condition_tracing", default=False)


@contextmanager
def tracing() -> Iterator[None]:
    """Conditions compiled inside are :class:`Traced`, each node recording its outcomes."""
    token = _TRACING.set(True)
    try:
        yield
    finally:
        _TRACING.reset(token)


def compile_condition(
    node: Any,
    pointer: str,
    *,
    options: Mapping[str, Any],
    known_kinds: Callable[[str], bool],
    problems: Problems,
    depth: int = 0,
) -> Condition | None:
    """Check a parsed condition and compile it, appending ``(message, pointer)`` problems.

    Shapes and types are the schema's to report; this adds what the schema cannot say (one
    logical key per table, a field with operators, regexes, durations, options, kinds). Returns
    None when the condition is unusable (a problem has then been reported, here or by the schema).
    Under :func:`tracing`, every node is wrapped in a :class:`Traced`.
    """
    compiled = _compile_node(node, pointer, options=options, known_kinds=known_kinds, problems=problems, depth=depth)
    return Traced(compiled, pointer) if compiled is not None and _TRACING.get() else compiled


def _compile_node(
    node: Any,
    pointer: str,
    *,
    options: Mapping[str, Any],
    known_kinds: Callable[[str], bool],
    problems: Problems,
    depth: int = 0,
) -> Condition | None:
    if not isinstance(node, dict) or not node:
        return None
    if depth > MAX_DEPTH:
        problems.append((f"conditions are nested more than {MAX_DEPTH} deep", pointer))
        return None
    logical = [k for k in LOGICAL if k in node]
    if logical:
        if len(node) > 1:
            others = ", ".join(repr(k) for k in node if k != logical[0])
            problems.append(
                (f"{logical[0]!r} stands alone in its table: move {others} into a condition of its own", pointer)
            )
            return None
        op = logical[0]
        items = [node[op]] if op == "not" else node[op]
        if not isinstance(items, list) or not items:
            return None
        children: list[Condition] = []
        ok = True
        for i, item in enumerate(items):
            child_ptr = f"{pointer}/{op}" if op == "not" else f"{pointer}/{op}/{i}"
            child = compile_condition(
                item, child_ptr, options=options, known_kinds=known_kinds, problems=problems, depth=depth + 1
            )
            ok = ok and child is not None
            if child is not None:
                children.append(child)
        return _Logical(op, children) if ok else None
    field = node.get("field")
    names = [k for k in node if k != "field"]
    if not isinstance(field, str):
        if field is None and all(n in _CONVERTERS for n in names):
            problems.append(("a field test needs 'field' (the record field the operators test)", pointer))
        return None
    if not names:
        problems.append((f"field test of {field!r} has no operator (e.g. eq, exists, older_than)", pointer))
        return None
    ops: list[tuple[str, Operand]] = []
    ok = True
    for name in names:
        convert = _CONVERTERS.get(name)
        if convert is None:
            ok = False  # the schema reports the unknown operator
            continue
        value = node[name]
        op_ptr = f"{pointer}/{name}"
        shape = _SHAPES.get(name)
        if shape is not None and not shape(value):
            ok = False  # the schema reports the type
            continue
        if name in ("found_in", "not_found_in") and isinstance(value, dict):
            kind = value.get("kind")
            if isinstance(kind, str) and not known_kinds(kind):
                problems.append((f"unknown evidence kind {kind!r}", op_ptr + "/kind"))
                ok = False
                continue
        operand = compile_operand(value, convert, op_ptr, options, problems, allow_option=name in _OPTION_OPERANDS)
        if operand is None:
            ok = False
            continue
        ops.append((name, operand))
    return _FieldTest(field, ops) if ok else None
