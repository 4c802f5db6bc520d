"""The built-in declarative rule format: TOML files of ``[[rule]]`` tables, compiled once.

:func:`compile_rule_file` parses a file with :mod:`tomllib`, validates it against
``schemas/rule.schema.json``, checks what a schema cannot (areas, kinds, regular expressions,
durations, option references, duplicate ids), validates each rule's metadata as a
:class:`~capcheck.core.models.RuleMeta`, and compiles the conditions into closures. Every problem in
the file is collected and raised together as one :class:`~capcheck.core.errors.RuleFileError`, each
located by line and JSON pointer (``rules/infra.toml:12: /rule/0/require/older_than: ...``).

A compiled rule's check is a :class:`~capcheck.builtins.declarative.checks.RecordCheck` (``require``: one
outcome per record in scope) or an :class:`~capcheck.builtins.declarative.checks.AggregateCheck` (``aggregate``:
one outcome per group of records); both live in :mod:`capcheck.builtins.declarative.checks`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from capcheck.builtins.declarative import CompileContext, RuleFormat
from capcheck.builtins.declarative.checks import AGGREGATE_NAMES, AggregateCheck, RecordCheck, Template
from capcheck.builtins.declarative.conditions import (
    LOGICAL,
    OPERATORS,
    Condition,
    Operand,
    compile_condition,
    compile_operand,
    format_value,
)
from capcheck.core.errors import Problem, RuleFileError
from capcheck.core.hookspecs import hookimpl
from capcheck.core.models import RuleMeta, RuleSource
from capcheck.core.resources import data_dir, load_schema, parsed_toml
from capcheck.core.rules import CheckFunction, OptionCheck, Rule
from capcheck.core.side_inputs import RULE_FILE_MAX_BYTES, Named, decode_strict, elide, parse_toml, read_bounded
from capcheck.core.wording import did_you_mean, suggestion

if TYPE_CHECKING:
    import jsonschema


__all__ = [
    "AggregateCheck",
    "RecordCheck",
    "Template",
    "capcheck_rule_formats",
    "capcheck_rule_paths",
    "compile_rule_file",
]

Record = Mapping[str, Any]
#: The largest rule file read (rule files are small; this bounds memory on a wrong path).
MAX_RULE_FILE_BYTES = RULE_FILE_MAX_BYTES
#: The deepest nesting of tables and arrays accepted in a rule file.
MAX_NESTING = 80

_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_RULE_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*rule[ \t]*\]\][ \t]*(?:#.*)?$", re.M)


# ---------------------------------------------------------------------------------------------
# Reading and checking a rule file
# ---------------------------------------------------------------------------------------------

#: A problem before it is located: (message, JSON pointer).
_Found = tuple[str, str]
#: A schema problem: (message, JSON pointer, whether it covers the pointer's subtree).
_SchemaFound = tuple[str, str, bool]
#: Schema keywords whose failure on a table says nothing about the values inside it.
_TABLE_LEVEL = frozenset({"required", "oneOf", "anyOf", "minProperties", "additionalProperties"})


def _escape(token: object) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def _normalise(value: Any, depth: int = 0) -> Any:
    """TOML dates and times as ISO strings (as in JSON); reject absurd nesting."""
    if depth > MAX_NESTING:
        raise RecursionError
    if isinstance(value, dict):
        return {k: _normalise(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v, depth + 1) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


@cache
def _validator() -> jsonschema.protocols.Validator:
    import jsonschema  # only for files that are not valid: its messages are the clearer ones

    schema = load_schema("rule")
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@cache
def _fast_validator() -> Any:
    """A compiled jsonschema-rs validator: it says whether a file is valid in a fraction of the time;
    only a file that is not is walked again with `jsonschema`, for its clearer messages."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(load_schema("rule"))


def _type_words(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    words: dict[type, str] = {str: "a string", list: "a list", dict: "a table"}
    return words.get(type(value), type(value).__name__)


def _schema_problems(error: jsonschema.ValidationError) -> list[_SchemaFound]:
    """Readable problems for one schema error (one per unknown key).

    Each says whether it *covers* its pointer's subtree: a wrong value does (the compiler's own
    complaints below it would repeat it); a missing key or an unmet either-or on a table does not.
    """
    covers = not (isinstance(error.instance, dict) and error.validator in _TABLE_LEVEL)
    pointer = "".join("/" + _escape(p) for p in error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    custom = schema.get("x-messages", {}).get(error.validator)
    instance = error.instance
    # An error from validation always has the keyword's value (the stubs also allow jsonschema's unset sentinel).
    keyword_value: Any = error.validator_value
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = sorted(schema.get("properties", {}))
        noun = schema.get("x-noun", "key")
        out = []
        for key in instance:
            if key in allowed:
                continue
            hint = suggestion(
                str(key),
                allowed,
                "see 'capcheck schema rule'" if noun == "operator" else f"allowed: {', '.join(allowed)}",
            )
            out.append((f"unknown {noun} {key!r} ({hint})", f"{pointer}/{_escape(key)}", True))
        return out
    if error.validator in ("anyOf", "oneOf") and isinstance(instance, dict) and error.context:
        # A table given where a value or { option = ... } goes: report inside the option reference.
        deeper = [e for e in error.context if e.validator not in ("type", "required") or list(e.relative_path)]
        if deeper:
            return [p for e in deeper for p in _schema_problems(e)]
    if custom:
        return [(custom if error.validator != "pattern" else f"{instance!r}: {custom}", pointer, covers)]
    if error.validator == "required":
        match = re.match(r"^'(.+)' is a required property", error.message)
        name = match.group(1) if match else error.message
        return [(f"missing required key {name!r}", pointer, covers)]
    if error.validator == "type":
        expected = keyword_value if isinstance(keyword_value, list) else [keyword_value]
        words = " or ".join(
            {"object": "a table", "array": "a list", "integer": "an integer"}.get(t, f"a {t}") for t in expected
        )
        return [(f"must be {words}, not {_type_words(instance)}", pointer, covers)]
    if error.validator == "enum":
        return [(f"must be one of {', '.join(map(str, keyword_value))}, not {instance!r}", pointer, covers)]
    if error.validator in ("minItems", "minProperties", "minLength") and keyword_value == 1:
        return [("must not be empty", pointer, covers)]
    if error.validator == "minLength":
        return [(f"must be at least {keyword_value} characters long", pointer, covers)]
    return [(error.message, pointer, covers)]


class _Lines:
    """Finds the line a JSON pointer into the rule file points at (best effort, by key text)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.rule_starts = [m.start() for m in _RULE_HEADER.finditer(text)]

    def _line(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def _find(self, key: str, start: int, end: int) -> int | None:
        pattern = re.compile(r'(?:^|[\s{,.\[])"?' + re.escape(key) + r'"?[ \t]*[=.\]]', re.M)
        match = pattern.search(self.text, start, end)
        return None if match is None else match.start() + (match.group(0)[0] in " \t\n{,.[")

    def line(self, pointer: str) -> int | None:
        """The line for ``pointer``: its rule's header, narrowed by each key along the pointer."""
        parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
        if not parts:
            return 1
        start, end = 0, len(self.text)
        keys = parts
        if parts[0] == "rule" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(self.rule_starts):
            index = int(parts[1])
            start = self.rule_starts[index]
            end = self.rule_starts[index + 1] if index + 1 < len(self.rule_starts) else end
            keys = parts[2:]
        found = start if keys is not parts else None
        previous = None
        for key in keys:
            if key.isdigit():
                at = self._item(start, previous, int(key), end) if previous is not None else None
            else:
                at = self._find(key, start, end)
                previous = key
            if at is None:
                break
            found = start = at
        return None if found is None else self._line(found)

    def _item(self, at: int, key: str, n: int, end: int) -> int | None:
        """Where item ``n`` of the array ``key`` (found at ``at``) starts: the ``n``-th repeat of
        an ``[[...key]]`` header, or the ``n``-th item of an inline ``key = [...]``."""
        text = self.text
        line_end = text.find("\n", at)
        if "[[" in text[text.rfind("\n", 0, at) + 1 : line_end if line_end >= 0 else end]:
            for _ in range(n):
                nxt = self._find(key, at + len(key) + 1, end)
                if nxt is None:
                    return None
                at = nxt
            return at
        i = text.find("[", at, end)
        depth, count, expecting, quote = 0, -1, False, ""
        while 0 <= i < end:
            c = text[i]
            if quote:
                if c == "\\" and quote == '"':
                    i += 1
                elif c == quote:
                    quote = ""
            elif c == "#":
                i = text.find("\n", i, end)
                continue
            elif depth == 1 and expecting and not c.isspace() and c not in ",]":
                count += 1
                expecting = False
                if count == n:
                    return i
                continue  # look at the same character again, as part of the item
            elif c in "\"'":
                quote = c
            elif c in "[{":
                depth += 1
                expecting = expecting or depth == 1
            elif c in "]}":
                depth -= 1
                if depth == 0:
                    return None
            elif c == "," and depth == 1:
                expecting = True
            i += 1
        return None


def _parse(path: Path, display: str, *, pack: bool = True) -> tuple[str, Any]:
    """The file's text and its document (dates as ISO strings): parsed ahead when it is a bundled rule file's bytes
    (:func:`~capcheck.core.resources.parsed_toml`, a document with no date to write as text) and ``pack``, else
    parsed."""
    named = Named(display, RuleFileError)
    data = read_bounded(path, named, what="rule file", limit=MAX_RULE_FILE_BYTES)
    text = decode_strict(data, named)
    parsed = parsed_toml(data) if pack else None
    if parsed is not None:
        return text, parsed
    return text, _normalise(parse_toml(text, named, max_depth=MAX_NESTING, label="invalid TOML"))


def _date_rules(
    context: CompileContext, kind: str, *conditions: Condition | None
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """The kind's impossible-date rules that touch the fields the rule reads (a pair with either date read,
    a past-event date read): a passing record whose dates are impossible fails instead
    (capcheck.core.dates.impossible_dates)."""
    evidence_kind = context.kinds.get(kind)
    if evidence_kind is None:
        return (), ()
    read = {f for c in conditions if c is not None for f in c.fields()}
    order = tuple(pair for pair in evidence_kind.date_order if set(pair) & read)  # a date read, contradicted
    past = tuple(f for f in evidence_kind.past_dates if f in read)
    return order, past


def compile_rule_file(path: Path, display: str, context: CompileContext) -> list[Rule]:
    """Compile the rules of one TOML rule file; raise RuleFileError listing every problem."""
    text, doc = _parse(path, display)
    lines = _Lines(text)
    if "rule" not in doc:
        hint = " (it holds [[area]] tables: areas are not rules)" if "area" in doc else ""
        raise RuleFileError(Problem(f"not a rule file: it has no [[rule]] tables{hint}", path=display, line=1))
    schema_found: list[_SchemaFound] = []
    if not _fast_validator().is_valid(doc):
        for error in _validator().iter_errors(doc):
            schema_found.extend(_schema_problems(error))
    found: list[_Found] = [(message, pointer) for message, pointer, _ in schema_found]
    # (rule index, top-level key) of every schema problem, once: asked per rule, a scan of every problem made
    # a 100 KB file of 11,000 empty [[rule]] tables take minutes.
    flagged = {tuple(pointer.split("/", 4)[2:4]) for _, pointer, _ in schema_found if pointer.count("/") >= 3}
    meta_keys = (*_META_KEYS, "references", "tags", "version", "options")
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    entries = doc["rule"] if isinstance(doc["rule"], list) else []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        base = f"/rule/{index}"
        rule_id = entry.get("id")
        if isinstance(rule_id, str):
            if rule_id in seen:
                found.append(
                    (f"duplicate rule id {rule_id!r}: also rule {seen[rule_id] + 1} of this file", base + "/id")
                )
            else:
                seen[rule_id] = index
        meta_clean = not any((str(index), key) in flagged for key in meta_keys)
        compiled = _compile_rule(entry, base, context, found, meta_clean=meta_clean)
        if compiled is not None:
            meta, check, checks = compiled
            source = RuleSource(type="file", name=display, path=display)
            rules.append(Rule(meta=meta, check=check, source=source, option_checks=checks))
    if found:
        raise RuleFileError(_locate(found, schema_found, lines, display))
    return rules


def _under(pointer: str, covered: set[str]) -> bool:
    """Whether ``pointer`` is one of ``covered`` or inside one (its prefixes looked up, not every pointer scanned)."""
    parts = pointer.split("/")
    return any("/".join(parts[:end]) in covered for end in range(1, len(parts) + 1))


def _locate(found: list[_Found], schema_found: list[_SchemaFound], lines: _Lines, display: str) -> list[Problem]:
    """Located problems, in file order; a check's problem under a covering schema problem is dropped."""
    from_schema = {(message, pointer) for message, pointer, _ in schema_found}
    covered = {pointer for _, pointer, covers in schema_found if covers}
    problems: dict[tuple[str, str], Problem] = {}
    for message, pointer in found:
        if (message, pointer) not in from_schema and _under(pointer, covered):
            continue
        problems.setdefault(
            (message, pointer), Problem(elide(message), path=display, line=lines.line(pointer), pointer=pointer)
        )
    return sorted(problems.values(), key=lambda p: (p.line or 0, p.pointer or ""))


def _compile_rule(
    entry: Mapping[str, Any], base: str, context: CompileContext, found: list[_Found], *, meta_clean: bool
) -> tuple[RuleMeta, CheckFunction, dict[str, tuple[OptionCheck, ...]]] | None:
    """Check and compile one rule table; None when it has problems (they are in ``found``). With the rule,
    per option its operands' conversions: the checks a config's value must pass."""
    before = len(found)
    raw_options = entry.get("options")
    options: dict[str, Any] = dict(raw_options) if isinstance(raw_options, dict) else {}
    kind = entry.get("kind")
    if isinstance(kind, str) and kind not in context.kinds:
        known = ", ".join(sorted(context.kinds)) or "none"
        found.append(
            (
                f"unknown evidence kind {kind!r}{did_you_mean(kind, context.kinds)} (known kinds: {known})",
                base + "/kind",
            )
        )
    area = entry.get("area")
    if isinstance(area, str) and area not in context.areas:
        known = ", ".join(sorted(context.areas)) or "none"
        found.append(
            (f"unknown area {area!r}{did_you_mean(area, context.areas)} (known areas: {known})", base + "/area")
        )

    def condition(node: Any, pointer: str) -> Condition | None:
        return compile_condition(node, pointer, options=options, known_kinds=context.kinds.__contains__, problems=found)

    where = condition(entry["where"], base + "/where") if "where" in entry else None
    template = Template(entry["message"]) if isinstance(entry.get("message"), str) else None
    check: CheckFunction | None = None
    conditions: list[Condition | None] = [where] if "where" in entry else []
    if "require" in entry and "aggregate" not in entry:
        require = condition(entry["require"], base + "/require")
        conditions.append(require)
        if require is not None and isinstance(kind, str):
            check = RecordCheck(kind, require, where, template, options, _date_rules(context, kind, where, require))
    elif "aggregate" in entry and "require" not in entry and isinstance(entry["aggregate"], dict):
        check = _compile_aggregate(entry["aggregate"], base, kind, where, template, options, condition, found)
        conditions.append(check.count if isinstance(check, AggregateCheck) else None)
    if isinstance(kind, str) and kind in context.kinds and None not in conditions:
        _check_names(entry, base, context, kind, template, options, found)
    join_kinds = sorted({k for c in conditions if c is not None for k in c.join_kinds()} - {kind})
    # A join reads another kind's column only (found_in): declared as such, it does not tie the two kinds' records.
    columns = sorted({f"{k}.{f}" for c in conditions if c is not None for k, f in c.join_columns() if k != kind})
    # A require rule judges each record alone (where and require read that record, options, the as-of date and
    # other kinds' columns), unless it joins its own kind: a column of its own records is the records' whole set,
    # which a range of them does not hold. An aggregate judges groups of records.
    own_join = any(k == kind for c in conditions if c is not None for k, _ in c.join_columns())
    per_record = "require" in entry and "aggregate" not in entry and not own_join
    meta = _meta(entry, base, (kind, *join_kinds), options, found, tuple(columns), per_record) if meta_clean else None
    if len(found) > before or meta is None or check is None or None in conditions:
        return None
    operands = [o for c in conditions if c is not None for o in c.operands()]
    if isinstance(check, AggregateCheck):
        operands += [o for o in (check.max, check.min) if o is not None]
    uses: dict[str, dict[OptionCheck, None]] = {}
    for operand in operands:
        if operand.option is not None:
            uses.setdefault(operand.option, {})[operand.convert] = None
    return meta, check, {name: tuple(converts) for name, converts in uses.items()}


def _tests(node: Any, pointer: str) -> Iterator[tuple[dict[str, Any], str]]:
    """Each test of a (compiled, so well-formed) condition, with its pointer: ``all``/``any``/``not`` walked through."""
    if not isinstance(node, dict):
        return
    for op in LOGICAL:
        if op in node:
            items = node[op]
            if op == "not":
                yield from _tests(items, f"{pointer}/not")
            elif isinstance(items, list):
                for i, item in enumerate(items):
                    yield from _tests(item, f"{pointer}/{op}/{i}")
            return
    yield node, pointer


def _field_reads(node: Any, pointer: str, kind: str) -> Iterator[tuple[str, str, str]]:
    """``(kind, field, pointer)`` for each record field a (compiled, so well-formed) condition reads."""
    for test, where in _tests(node, pointer):
        field = test.get("field")
        if isinstance(field, str):
            yield kind, field, f"{where}/field"
        for name, value in test.items():
            reads = OPERATORS[name].reads if name in OPERATORS else None
            if reads == "field" and isinstance(value, str):
                yield kind, value, f"{where}/{name}"
            elif reads == "join" and isinstance(value, dict):
                other, other_field = value.get("kind"), value.get("field")
                if isinstance(other, str) and isinstance(other_field, str):
                    yield other, other_field, f"{where}/{name}/field"


#: Operators whose literal operand is compared with the field's value, strictly by type (``eq``: ``true`` never
#: equals ``"true"``), and for each JSON Schema type the literals its values can be compared with.
_COMPARED = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge")
_COMPARABLE: dict[str, tuple[type, ...]] = {
    "boolean": (bool,),
    "string": (str, date, datetime, time),  # a TOML date is compared as its ISO text
    "integer": (int, float),
    "number": (int, float),
}
_A_TYPE = {"boolean": "a boolean", "string": "a string", "integer": "an integer", "number": "a number"}
_A_LITERAL = {bool: "a boolean", str: "a string", int: "an integer", float: "a number"}


def _literal_tests(node: Any, pointer: str) -> Iterator[tuple[str, str, Any, str]]:
    """``(field, operator, literal, pointer)`` for each literal a (well-formed) condition compares a field with."""
    for test, at in _tests(node, pointer):
        field = test.get("field")
        if not isinstance(field, str) or "." in field:
            continue
        for op in _COMPARED:
            value = test.get(op)
            listed = [(f"{at}/{op}/{i}", v) for i, v in enumerate(value)] if isinstance(value, list) else []
            for where, literal in listed or [(f"{at}/{op}", value)]:
                if literal is not None and not isinstance(literal, dict):  # {option = ...} is typed by the option
                    yield field, op, literal, where


def _type_mismatches(node: Any, pointer: str, kind: Any) -> Iterator[_Found]:
    """A literal of a type the field's values never have (``eq = "true"`` on a boolean field): the test never
    holds (or, for ``ne``, always does), which no evidence would show; a load error like an unknown field."""
    properties = kind.schema.get("properties") if isinstance(kind.schema, Mapping) else None
    if not isinstance(properties, Mapping):
        return
    for field, op, literal, where in _literal_tests(node, pointer):
        spec = properties.get(field)
        declared = spec.get("type") if isinstance(spec, Mapping) else None
        if isinstance(declared, list):  # ["string", "null"]: the value's type when present
            declared = declared[0] if len(declared := [t for t in declared if t != "null"]) == 1 else None
        if not isinstance(declared, str) or declared not in _COMPARABLE:
            continue
        allowed = _COMPARABLE[declared]
        if isinstance(literal, allowed) and (bool in allowed or not isinstance(literal, bool)):
            continue
        hint = (
            " (true and false are written without quotes)"
            if declared == "boolean" and literal in ("true", "false")
            else ""
        )
        shown = str(literal).lower() if isinstance(literal, bool) else repr(literal)  # as TOML writes a boolean
        what = _A_LITERAL.get(type(literal), type(literal).__name__)
        yield (
            f"{op} {shown} is {what}, but field {field!r} of kind {kind.id!r} is {_A_TYPE[declared]}: "
            f"they never compare{hint}",
            where,
        )


def _unknown(name: str, known: Iterable[str]) -> str:
    return did_you_mean(name, sorted(known))


def _check_names(
    entry: Mapping[str, Any],
    base: str,
    context: CompileContext,
    kind: str,
    template: Template | None,
    options: Mapping[str, Any],
    found: list[_Found],
) -> None:
    """Fields the rule reads and names its message uses must be declared (strict at load).

    A field is known when its kind's schema declares it (top level; the part after a dot is the
    record's own business); a message name when it is such a field, an option or ``as_of``.
    """
    reads: list[tuple[str, str, str]] = []
    for key in ("where", "require"):
        if key in entry:
            reads.extend(_field_reads(entry[key], f"{base}/{key}", kind))
    aggregate = entry.get("aggregate")
    if isinstance(aggregate, dict):
        reads.extend(_field_reads(aggregate.get("count"), f"{base}/aggregate/count", kind))
        if isinstance(aggregate.get("group_by"), str):
            reads.append((kind, aggregate["group_by"], f"{base}/aggregate/group_by"))
    for key in ("where", "require"):
        if key in entry:
            found.extend(_type_mismatches(entry[key], f"{base}/{key}", context.kinds[kind]))
    if isinstance(aggregate, dict):
        found.extend(_type_mismatches(aggregate.get("count"), f"{base}/aggregate/count", context.kinds[kind]))
    for read_kind, field, pointer in reads:
        evidence_kind = context.kinds.get(read_kind)
        declared = evidence_kind.declared_fields if evidence_kind is not None else None
        top = field.split(".", 1)[0]
        if declared is not None and top not in declared:
            found.append(
                (f"unknown field {field!r}: kind {read_kind!r} does not declare it{_unknown(top, declared)}", pointer)
            )
    if template is None or isinstance(aggregate, dict):
        return  # an aggregate's names are checked with the aggregate
    declared = context.kinds[kind].declared_fields
    if declared is None:
        return
    allowed = declared | set(options) | {"as_of"}
    for name in sorted(template.names):
        if name.split(".", 1)[0] not in allowed:
            found.append(
                (
                    f"unknown name {{{name}}} in the message: not a field of kind {kind!r}, an option or "
                    f"as_of{_unknown(name.split('.', 1)[0], allowed)}",
                    base + "/message",
                )
            )


#: The keys of a rule table that make its RuleMeta.
_META_KEYS = ("id", "title", "area", "severity", "description", "rationale", "remediation", "kind")


def _meta(
    entry: Mapping[str, Any],
    base: str,
    kinds: tuple[Any, ...],
    options: dict[str, Any],
    found: list[_Found],
    columns: tuple[str, ...] = (),
    per_record: bool = False,
) -> RuleMeta | None:
    """The rule's validated metadata; pydantic's objections become located problems."""
    if any(key not in entry for key in _META_KEYS):
        return None
    try:
        return RuleMeta(
            id=entry["id"],
            title=entry["title"],
            area=entry["area"],
            severity=entry["severity"],
            description=entry["description"],
            rationale=entry["rationale"],
            remediation=entry["remediation"],
            references=tuple(entry.get("references", ())),
            tags=tuple(entry.get("tags", ())),
            criteria=tuple(entry.get("criteria", ())),
            version=entry.get("version", "1.0.0"),
            kinds=kinds,
            columns=columns,
            options=options,
            per_record=per_record,
        )
    except ValidationError as exc:
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            key = {"kinds": "kind"}.get(loc[0], loc[0]) if loc else "id"
            found.append((str(err["msg"]).removeprefix("Value error, "), f"{base}/{key}"))
        return None


def _limit(measure: str) -> Callable[[Any], float]:
    def convert(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{format_value(value, quote=True)} is not a number >= 0")
        if measure == "ratio" and value > 1:
            raise ValueError(f"a ratio limit is between 0 and 1 (0.1 is 10%), not {value!r}")
        return value

    return convert


def _compile_aggregate(
    spec: Mapping[str, Any],
    base: str,
    kind: Any,
    where: Condition | None,
    template: Template | None,
    options: dict[str, Any],
    condition: Callable[[Any, str], Condition | None],
    found: list[_Found],
) -> AggregateCheck | None:
    ptr = base + "/aggregate"
    count = condition(spec.get("count"), ptr + "/count")
    measure = spec.get("measure")
    if measure not in ("count", "ratio"):
        return None
    limits: dict[str, Operand | None] = {}
    for name in ("max", "min"):
        limits[name] = (
            compile_operand(spec[name], _limit(measure), f"{ptr}/{name}", options, found) if name in spec else None
        )
    if template is not None:
        unknown = sorted(template.names - AGGREGATE_NAMES - set(options))
        if unknown:
            names = ", ".join(sorted(AGGREGATE_NAMES | set(options)))
            found.append((f"unknown name {{{unknown[0]}}} in an aggregate message (names: {names})", base + "/message"))
    group_by = spec.get("group_by")
    min_records = spec.get("min_records")
    if (
        count is None
        or not isinstance(kind, str)
        or any(spec.get(n) is not None and limits[n] is None for n in ("max", "min"))
    ):
        return None
    return AggregateCheck(
        kind=kind,
        count=count,
        where=where,
        group_by=group_by if isinstance(group_by, str) else None,
        measure=measure,
        max=limits["max"],
        min=limits["min"],
        min_records=min_records if isinstance(min_records, int) else None,
        template=template,
        options=options,
    )


# ---------------------------------------------------------------------------------------------
# Plugin hooks
# ---------------------------------------------------------------------------------------------


@hookimpl
def capcheck_rule_formats() -> Sequence[RuleFormat]:
    """The TOML rule format."""
    return [
        RuleFormat(
            name="toml",
            extensions=(".toml",),
            compile=compile_rule_file,
            description="TOML [[rule]] tables (schema: capcheck schema rule)",
        )
    ]


@hookimpl
def capcheck_rule_paths() -> Sequence[Path]:
    """The bundled rule pack (``rules/``)."""
    return [data_dir("rules")]
