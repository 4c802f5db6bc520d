"""The condition language of declarative rules: a closed set of operators, compiled to closures.

A condition is a table: ``{ all = [...] }``, ``{ any = [...] }``, ``{ not = {...} }`` or a field
test ``{ field = "name", <operator> = operand, ... }``. :func:`compile_condition` checks a parsed
condition once, when the rule file is loaded (operators, regular expressions, durations, option
references), and returns a :class:`Condition`. Each run, :meth:`Condition.bind` resolves the
as-of date and the option values and returns a plain ``Callable[[Mapping], bool]``: per record
it does a dict lookup and a comparison. Nothing is ever ``eval``-ed. Each operator is declared once,
in :mod:`capcheck.builtins.declarative.operators`; this module dispatches through those declarations.

Missing values and three-valued logic: a field that is absent, null, a string that is empty
or only whitespace, or a placeholder (``"TBC"``) is *missing* (:func:`capcheck.core.rules.is_missing`),
and a comparison on it is *unknown* (``None``), neither true nor false; a placeholder a test names
(``eq = "unknown"``) is a value for that test. ``exists`` and ``missing`` test for exactly that, so
they are never unknown. ``all``/``any``/``not`` combine Kleene-style: ``all`` is false if any part
is false, else unknown if any part is unknown; ``any`` is true if any part is true, else unknown if
any part is unknown; ``not`` of unknown is unknown. A bound predicate returns True, False or None;
what a check does with unknown (an undetermined finding, or a failed requirement) is
:mod:`capcheck.builtins.declarative.checks`'s business. With no missing field, the logic is the classical one.

A date operator on a present value that is not an ISO date raises :class:`NotADate`, which the
rule turns into a failure that says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from capcheck.builtins.declarative.operators import MAX_MATCH_CHARS, OPERATORS, Operator
from capcheck.builtins.declarative.values import (
    Env,
    NotADate,
    Predicate,
    Problems,
    Record,
    format_value,
    make_getter,
    parse_duration,
)
from capcheck.core.rules import is_missing, is_placeholder

__all__ = [
    "LOGICAL",
    "MAX_DEPTH",
    "MAX_MATCH_CHARS",
    "OPERATORS",
    "Condition",
    "Env",
    "NotADate",
    "Operand",
    "Operator",
    "Traced",
    "compile_condition",
    "format_value",
    "make_getter",
    "parse_duration",
    "tracing",
]

#: The logical keys of a condition; each stands alone in its table.
LOGICAL = ("all", "any", "not")
#: The deepest nesting of conditions accepted.
MAX_DEPTH = 32
_MISSING = object()
#: The operators that compare a field with values they name: a placeholder named so is a value (``eq = "unknown"``).
_NAMING = frozenset({"eq", "ne", "in", "not_in"})


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
        """The compared fields this record lacks (absent, null, blank or a placeholder the test comparing it does
        not name), each once, in order."""
        return list(dict.fromkeys(self.unknown_fields(record)))

    def unknown_fields(self, record: Record) -> Iterator[str]:
        """The compared fields whose value a test of this condition cannot compare (in order, repeats possible)."""
        return (f for f in self.compared_fields() if is_missing(make_getter(f)(record)))

    def join_kinds(self) -> Iterator[str]:
        """The other evidence kinds the condition reads (``found_in``)."""
        raise NotImplementedError

    def join_columns(self) -> Iterator[tuple[str, str]]:
        """The columns of other kinds the condition reads (``found_in``), as (kind, field): it reads no other of
        their records (the rule declares them as ``columns``, so their kind may be held by another process)."""
        raise NotImplementedError

    def operands(self) -> Iterator[Operand]:
        """Every operand of the condition's tests (those naming an option are checked against a config's values)."""
        raise NotImplementedError


class _FieldTest(Condition):
    __slots__ = ("field", "ops")

    def __init__(self, field: str, ops: list[tuple[Operator, Operand]]) -> None:
        self.field = field
        self.ops = ops

    def bind(self, env: Env) -> Predicate:
        f = self.field
        if len(self.ops) == 1 and "." not in f:
            # The commonest scopes (eq a string, exists, in strings, a date test) as one call per record.
            op, operand = self.ops[0]
            if op.fast is not None:
                fast = op.fast(f, operand.resolve(env.options), env)
                if fast is not None:
                    return fast
        get = make_getter(f)
        tests = [(op.bind(operand.resolve(env.options), f, env), op.presence) for op, operand in self.ops]
        named = self._named(env.options)  # a placeholder the test compares with is a value here
        missing = _missing_but(named) if named else is_missing
        if len(tests) == 1:
            test, presence = tests[0]
            if "." not in f:
                if presence:
                    return lambda r: test(r.get(f), r)

                def one_key(r: Record) -> bool | None:
                    v = r.get(f)
                    return None if missing(v) else test(v, r)

                return one_key
            if presence:
                return lambda r: test(get(r), r)

            def one(r: Record) -> bool | None:
                v = get(r)
                return None if missing(v) else test(v, r)

            return one

        def all_hold(r: Record) -> bool | None:
            v = get(r)
            lacking = missing(v)
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

    def _named(self, options: Mapping[str, Any] | None) -> frozenset[str]:
        """The placeholders (``"unknown"``) this test compares the field with by name (``eq``, ``ne``,
        ``in``, ``not_in``): the rule says such a word is a value of the field, so it is not missing here.
        ``options`` None: the options' defaults (for a message, where the run's values are not at hand)."""
        named: set[str] = set()
        for op, operand in self.ops:
            if op.name in _NAMING:
                x = operand.value if options is None else operand.resolve(options)
                named.update(v for v in (x if type(x) is tuple else (x,)) if is_placeholder(v))
        return frozenset(named)

    def describe(self, env: Env) -> str:
        return " and ".join(
            op.describe(self.field, operand.resolve(env.options), env.as_of) for op, operand in self.ops
        )

    def fields(self) -> Iterator[str]:
        yield self.field
        for op, operand in self.ops:
            if op.reads == "field":
                yield operand.value

    def compared_fields(self) -> Iterator[str]:
        if any(not op.presence for op, _ in self.ops):
            yield self.field
        for op, operand in self.ops:
            if op.reads == "field":
                yield operand.value

    def unknown_fields(self, record: Record) -> Iterator[str]:
        if any(not op.presence for op, _ in self.ops):
            v = make_getter(self.field)(record)
            if is_missing(v) and not (type(v) is str and v in self._named(None)):
                yield self.field
        for op, operand in self.ops:
            if op.reads == "field" and is_missing(make_getter(operand.value)(record)):
                yield operand.value

    def join_kinds(self) -> Iterator[str]:
        for op, operand in self.ops:
            if op.reads == "join":
                yield operand.value["kind"]

    def join_columns(self) -> Iterator[tuple[str, str]]:
        for op, operand in self.ops:
            if op.reads == "join":
                yield operand.value["kind"], operand.value["field"]

    def operands(self) -> Iterator[Operand]:
        for _, operand in self.ops:
            yield operand


def _missing_but(named: frozenset[str]) -> Callable[[Any], bool]:
    """:func:`is_missing`, except for the placeholders ``named``, which a field test compares with as values."""

    def missing(v: Any) -> bool:
        return is_missing(v) and not (type(v) is str and v in named)

    return missing


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

    def unknown_fields(self, record: Record) -> Iterator[str]:
        for c in self.children:
            yield from c.unknown_fields(record)

    def join_kinds(self) -> Iterator[str]:
        for c in self.children:
            yield from c.join_kinds()

    def join_columns(self) -> Iterator[tuple[str, str]]:
        for c in self.children:
            yield from c.join_columns()

    def operands(self) -> Iterator[Operand]:
        for c in self.children:
            yield from c.operands()


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

    def unknown_fields(self, record: Record) -> Iterator[str]:
        return self.inner.unknown_fields(record)

    def join_kinds(self) -> Iterator[str]:
        return self.inner.join_kinds()

    def join_columns(self) -> Iterator[tuple[str, str]]:
        return self.inner.join_columns()

    def operands(self) -> Iterator[Operand]:
        return self.inner.operands()


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
        if field is None and all(n in OPERATORS for n in names):
            problems.append(("a field test needs 'field' (the record field the operators test)", pointer))
        return None
    if not names:
        problems.append((f"field test of {field!r} has no operator (e.g. eq, exists, older_than)", pointer))
        return None
    ops: list[tuple[Operator, Operand]] = []
    ok = True
    for name in names:
        declared = OPERATORS.get(name)
        if declared is None:
            ok = False  # the schema reports the unknown operator
            continue
        value = node[name]
        op_ptr = f"{pointer}/{name}"
        if declared.shape is not None and not declared.shape(value):
            ok = False  # the schema reports the type
            continue
        if declared.reads == "join" and isinstance(value, dict):
            kind = value.get("kind")
            if isinstance(kind, str) and not known_kinds(kind):
                problems.append((f"unknown evidence kind {kind!r}", op_ptr + "/kind"))
                ok = False
                continue
        operand = compile_operand(
            value, declared.convert, op_ptr, options, problems, allow_option=declared.takes_option
        )
        if operand is None:
            ok = False
            continue
        ops.append((declared, operand))
    return _FieldTest(field, ops) if ok else None
