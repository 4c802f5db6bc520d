"""The tests behind the declarative operators: operand converters, and the functions that bind a
converted operand to a test of a value (``test(value, record)``) or, for the commonest scopes, to a
whole-record predicate. Pure functions; which operator uses which is declared in
:mod:`capcheck.builtins.declarative.operators`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

import re2

from capcheck.builtins.declarative.values import Env, NotADate, Predicate, Record, Test, format_value, make_getter
from capcheck.core.dates import DATE_SHAPE
from capcheck.core.joins import join_key
from capcheck.core.rules import PLACEHOLDERS, VALUE_STARTS, is_missing, looks_missing

__all__ = [
    "MAX_MATCH_CHARS",
    "bind_contains",
    "bind_dates",
    "bind_eq",
    "bind_field_compare",
    "bind_found",
    "bind_in",
    "bind_matches",
    "bind_missing",
    "bind_order",
    "fast_eq",
    "fast_exists",
    "fast_in",
    "fast_ne",
    "ordered",
    "regex",
    "scalar",
    "scalar_list",
]

#: ``matches`` searches at most this many characters of a value.
MAX_MATCH_CHARS = 10_000

_IS_DATE = DATE_SHAPE.match
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_OPTIONS.never_capture = True


# ---------------------------------------------------------------------------------------------
# Operand converters
# ---------------------------------------------------------------------------------------------


def scalar(value: Any) -> Any:
    """A string, number or boolean operand."""
    if isinstance(value, str | int | float):
        return value
    raise ValueError(f"{format_value(value, quote=True)} is not a string, number or boolean")


def ordered(value: Any) -> Any:
    """A number or string operand (not a boolean): what the order operators compare with."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return value
    raise ValueError(f"{format_value(value, quote=True)} is not a number or a string")


def scalar_list(value: Any) -> tuple[Any, ...]:
    """A list of strings, numbers or booleans, as a tuple."""
    if isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value):
        return tuple(value)
    raise ValueError(f"{format_value(value, quote=True)} is not a list of strings, numbers or booleans")


def regex(value: Any) -> Any:
    """A regular expression, compiled with RE2 (linear time, no captures)."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{format_value(value, quote=True)} is not a regular expression")
    try:
        return re2.compile(value, _RE2_OPTIONS)
    except re2.error as exc:
        cause = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        raise ValueError(f"bad regular expression {value!r}: {cause} (RE2 syntax)") from None


# ---------------------------------------------------------------------------------------------
# Tests: converted operand -> test(value, record)
# ---------------------------------------------------------------------------------------------


def _is_number(v: Any) -> bool:
    t = type(v)
    return t is int or t is float


def bind_eq(x: Any) -> Test:
    """``eq``: strict on type (a boolean only equals a boolean, a number never equals one)."""
    if type(x) is bool:
        return lambda v, r: v is x
    if type(x) is str:
        return lambda v, r: v == x
    return lambda v, r: v == x and type(v) is not bool


_ORDER = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}


def bind_order(op: Callable[[Any, Any], bool], x: Any) -> Test:
    """``lt``/``le``/``gt``/``ge`` (``op``): numbers with numbers, strings with strings; other values are false."""
    if type(x) is str:
        return lambda v, r: type(v) is str and op(v, x)
    return lambda v, r: (type(v) is int or type(v) is float) and op(v, x)


def _typed(v: Any) -> tuple[bool, Any]:
    return (type(v) is bool, v)


def bind_in(xs: Sequence[Any], negate: bool) -> Test:
    """``in`` (``not_in`` with ``negate``): a scalar value among ``xs``, compared as ``eq`` does; a list or object
    is false."""
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


def bind_contains(x: Any) -> Test:
    """``contains``: a list has the item, or a string the substring."""
    if type(x) is str:
        return lambda v, r: (type(v) is list or type(v) is str) and x in v
    key = _typed(x)
    return lambda v, r: type(v) is list and any(_typed(i) == key for i in v if type(i) is not dict)


def bind_missing(flag: bool) -> Test:
    """``missing``: absent, null, blank, a placeholder or ``[]`` (``flag`` false: the opposite, ``exists``)."""
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


def bind_matches(pattern: Any) -> Test:
    """``matches``: an RE2 search in the first :data:`MAX_MATCH_CHARS` characters of a string."""
    search = _searcher(pattern)
    limit = MAX_MATCH_CHARS
    return lambda v, r: type(v) is str and search(v[:limit])


def bind_dates(
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

    missing = is_missing

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
                if missing(v):  # not a date seen before: blank or a placeholder ("n/a") is unknown
                    return None
                d = date_of(v)
            return lo <= d < hi
        return None if v is None else _nd(date_of, v)

    return predicate


def _nd(date_of: Callable[[Any], str], v: Any) -> bool:
    """A non-string value in a date test: false when missing, else :class:`NotADate`."""
    date_of(v)
    return False


def bind_found(values: frozenset[Any], negate: bool) -> Test:
    """``found_in``: ``values`` are join keys (:func:`capcheck.core.joins.join_key`): text matches across
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


def bind_field_compare(name: str, other: str) -> Test:
    """``*_field``: compares with another field ``other`` of the same record; unknown when that one is missing."""
    get = make_getter(other)
    if name == "eq_field":  # two people or names: matched as joins are (capcheck.core.joins)

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


# ---------------------------------------------------------------------------------------------
# Fast paths: a plain field tested by one operator, as one predicate per record
# ---------------------------------------------------------------------------------------------


# The fast paths inline rules.is_missing (they run once per record): a value is missing when None, or a string
# that is blank or a placeholder once trimmed; a string whose first character is in VALUE_STARTS is surely not.


def fast_eq(field: str, x: Any, env: Env) -> Predicate | None:
    """``eq`` a string as one call: a string equals only a string, so the strictness of ``eq`` holds
    without its type checks; a value that is not equal is unknown only when missing (a placeholder the test
    names, ``eq = "unknown"``, is equal first). ``eq`` a boolean likewise: only the same boolean is equal
    (``v is x``)."""
    held, starts = PLACEHOLDERS, VALUE_STARTS
    if type(x) is bool:

        def eq_flag(r: Record) -> bool | None:
            v = r.get(field)
            if v is x:
                return True
            if type(v) is str:
                if v[:1] in starts:
                    return False
                return (
                    None
                    if not (s := v.strip())
                    or s.casefold() in held
                    or (not (s.isascii() and s.isprintable()) and looks_missing(s))
                    else False
                )
            return None if v is None else False

        return eq_flag
    if type(x) is not str or x == "" or x.isspace():
        return None

    def eq(r: Record) -> bool | None:
        v = r.get(field)
        if v == x:
            return True
        if type(v) is str:
            if v[:1] in starts:
                return False
            return (
                None
                if not (s := v.strip())
                or s.casefold() in held
                or (not (s.isascii() and s.isprintable()) and looks_missing(s))
                else False
            )
        return None if v is None else False

    return eq


def fast_ne(field: str, x: Any, env: Env) -> Predicate | None:
    """``ne`` a string or a boolean as one predicate: unknown when the value is missing, else whether it is
    not ``eq`` (a string equals only an equal string; a boolean only itself; a placeholder the test names,
    ``ne = "unknown"``, is compared first)."""
    held, starts = PLACEHOLDERS, VALUE_STARTS
    if type(x) is bool:

        def ne_flag(r: Record) -> bool | None:
            v = r.get(field)
            if type(v) is str:
                if v[:1] in starts:
                    return True
                return (
                    None
                    if not (s := v.strip())
                    or s.casefold() in held
                    or (not (s.isascii() and s.isprintable()) and looks_missing(s))
                    else True
                )
            return None if v is None else v is not x

        return ne_flag
    if type(x) is not str or x == "" or x.isspace():
        return None

    def ne(r: Record) -> bool | None:
        v = r.get(field)
        if v == x:
            return False
        if type(v) is str:
            if v[:1] in starts:
                return True
            return (
                None
                if not (s := v.strip())
                or s.casefold() in held
                or (not (s.isascii() and s.isprintable()) and looks_missing(s))
                else True
            )
        return None if v is None else True

    return ne


def fast_exists(field: str, x: Any, env: Env) -> Predicate | None:
    """``exists`` as one predicate: has a value (for ``false``: missing or ``[]``), as ``missing`` says."""
    if type(x) is not bool:
        return None
    held, starts = PLACEHOLDERS, VALUE_STARTS

    def has(r: Record) -> bool:
        v = r.get(field)
        if type(v) is str:
            if v[:1] in starts:
                return True
            return (
                bool(s := v.strip())
                and s.casefold() not in held
                and ((s.isascii() and s.isprintable()) or not looks_missing(s))
            )
        return v is not None and v != []

    if x:
        return has
    return lambda r: not has(r)


def fast_in(field: str, x: Any, env: Env) -> Predicate | None:
    """``in`` strings as one predicate: only a string is among them (a placeholder the test names first);
    unknown when the value is missing."""
    if not all(type(i) is str and i != "" and not i.isspace() for i in x):
        return None
    strings = frozenset(x)
    held, starts = PLACEHOLDERS, VALUE_STARTS

    def among(r: Record) -> bool | None:  # `in` strings: only a string is among them
        v = r.get(field)
        if type(v) is str:
            if v in strings:
                return True
            if v[:1] in starts:
                return False
            return (
                None
                if not (s := v.strip())
                or s.casefold() in held
                or (not (s.isascii() and s.isprintable()) and looks_missing(s))
                else False
            )
        return None if v is None else False

    return among
