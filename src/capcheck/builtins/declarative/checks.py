"""What a compiled declarative rule runs: the per-record and aggregate checks, and their messages.

:class:`RecordCheck` (``require``) gives one outcome per record in scope; :class:`AggregateCheck`
(``aggregate``) one per group of records. A :class:`Template` renders messages by name substitution
only (never ``str.format``). The TOML format (:mod:`capcheck.builtins.declarative.toml_format`) builds these.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from capcheck.builtins.declarative.conditions import Condition, Env, NotADate, Operand, format_value, make_getter
from capcheck.core.dates import date_screen, impossible_dates
from capcheck.core.joins import join_key
from capcheck.core.models import Outcome, PassedRecords, Status
from capcheck.core.rules import (
    VALUE_STARTS,
    RuleContext,
    is_missing,
    is_placeholder,
    missing_words,
    undetermined_message,
)
from capcheck.core.wording import noun_for

if TYPE_CHECKING:
    from capcheck.core.evidence import EvidenceSet

__all__ = ["AGGREGATE_NAMES", "MAX_RELATED", "PLACEHOLDER", "AggregateCheck", "RecordCheck", "Template"]

Record = Mapping[str, Any]
#: At most this many record ids are named as related to an aggregate finding.
MAX_RELATED = 20
#: The names an aggregate message template may use (beside the rule's options).
AGGREGATE_NAMES = frozenset({"group", "group_by", "count", "total", "percent", "ratio", "limit", "as_of"})

#: A ``{name}`` placeholder (dotted allowed) or an escaped brace, in a message template. A placeholder
#: may count a noun, ``{name:person}`` (``1 person``, ``3 people``), and give the wording for an absent
#: value, ``{name|never}``; the noun is lower-case words, the wording any text without ``{}|``.
PLACEHOLDER = re.compile(
    r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*)"
    r"(?::([a-z](?:[a-z -]*[a-z])?))?(?:\|([^{}|]+))?\}"
)
#: One placeholder: the name, the noun it counts (or None), the wording when absent (or None).
Placeholder = tuple[str, str | None, str | None]


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _counted(text: str, value: Any, noun: str) -> str:
    """``text`` (the formatted value) followed by ``noun`` agreeing with it: ``1 person``, ``3 people``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        count: float = value
    else:
        try:
            count = float(text)
        except ValueError:
            count = 2  # not a number: the plural reads right ("several people", "<missing> days")
    return f"{text} {noun_for(count, noun)}"


def _placeholder_formatter(noun: str | None, absent: str | None) -> Callable[[Any], str]:
    """How one placeholder shows a value: :func:`format_value`, counted, or the wording for absent."""
    fmt = format_value

    def show(value: Any) -> str:
        if absent is not None and _absent(value):
            return absent
        text = fmt(value)
        return _counted(text, value, noun) if noun is not None else text

    return show


# ---------------------------------------------------------------------------------------------
# Message templates: {name} substitution by regex, never str.format
# ---------------------------------------------------------------------------------------------


class Template:
    """A message template: ``{field}`` (dotted allowed), ``{field:noun}`` (the value and the noun,
    agreeing: ``1 person``), ``{field|wording}`` (the wording when the value is absent or blank) and
    ``{{``/``}}`` escapes, nothing else.

    Substitution is by regular expression over plain names and dictionary lookups only, so a
    template can never reach an attribute (``{x.__class__}`` reads the key ``__class__``).
    """

    __slots__ = ("names", "parts")

    def __init__(self, text: str) -> None:
        self.parts: list[str | Placeholder] = []
        pos = 0
        for match in PLACEHOLDER.finditer(text):
            self._literal(text[pos : match.start()])
            token = match.group(0)
            if match.group(1) is None:
                self._literal(token[0])
            else:
                self.parts.append((match.group(1), match.group(2), match.group(3)))
            pos = match.end()
        self._literal(text[pos:])
        self.names = frozenset(p[0] for p in self.parts if isinstance(p, tuple))

    def _literal(self, text: str) -> None:
        if not text:
            return
        if self.parts and isinstance(self.parts[-1], str):
            self.parts[-1] += text
        else:
            self.parts.append(text)

    def bind(self, fixed: Mapping[str, str]) -> Callable[[Record], str]:
        """A renderer: names in ``fixed`` are constant for the run; others read the record.

        The constant text becomes a ``%s``-only pattern (its own ``%`` doubled), filled with the
        formatted record values: one C-level formatting call per message, no attribute access.
        """
        pattern: list[str] = []
        cells: list[Callable[[Record], str]] = []
        for part in self.parts:
            if isinstance(part, str):
                pattern.append(part.replace("%", "%%"))
                continue
            name, noun, absent = part
            plain = noun is None and absent is None
            if name in fixed:
                value = fixed[name]
                shown = value if plain else _placeholder_formatter(noun, absent)(value)
                pattern.append(shown.replace("%", "%%"))
            else:
                pattern.append("%s")
                cells.append(_cell(name, noun, absent))
        text = "".join(pattern)
        # Rules fail hundreds of thousands of records on some registers: a message is one call per
        # placeholder and one C-level formatting, no list built, for up to six placeholders.
        if not cells:
            constant = text % ()
            return lambda record: constant
        if len(cells) == 1:
            (a,) = cells
            return lambda record: text % (a(record),)
        if len(cells) == 2:
            a, b = cells
            return lambda record: text % (a(record), b(record))
        if len(cells) == 3:
            a, b, c = cells
            return lambda record: text % (a(record), b(record), c(record))
        if len(cells) == 4:
            a, b, c, d = cells
            return lambda record: text % (a(record), b(record), c(record), d(record))
        if len(cells) == 5:
            a, b, c, d, e = cells
            return lambda record: text % (a(record), b(record), c(record), d(record), e(record))
        if len(cells) == 6:
            a, b, c, d, e, f = cells
            return lambda record: text % (a(record), b(record), c(record), d(record), e(record), f(record))
        return lambda record: text % tuple([cell(record) for cell in cells])


#: format_value's limit: a string up to this long is shown as it is.
_SHOWN_AS_IS = 200


def _cell(name: str, noun: str | None, absent: str | None) -> Callable[[Record], str]:
    """One placeholder's text from a record: what :func:`_placeholder_formatter` gives for the value of
    ``name``, with the commonest case (a short, non-blank string, shown as it is) answered inline."""
    show = _placeholder_formatter(noun, absent)
    limit = _SHOWN_AS_IS
    if "." in name:
        get = make_getter(name)
        return lambda record: show(get(record))
    if noun is not None:
        return lambda record: show(record.get(name))
    if absent is None:
        fmt = format_value

        def plain(record: Record) -> str:
            v = record.get(name)
            return v if type(v) is str and len(v) <= limit else fmt(v)

        return plain

    def or_absent(record: Record) -> str:
        v = record.get(name)
        # A non-blank string (v.strip() is non-empty exactly when v is not empty nor all whitespace).
        return v if type(v) is str and len(v) <= limit and v and not v.isspace() else show(v)

    return or_absent


def _fixed_names(env: Env, options: Mapping[str, Any], extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The template names constant for a run: the options' values and the as-of date."""
    fixed = {name: format_value(env.options.get(name, default)) for name, default in options.items()}
    fixed["as_of"] = env.as_of.isoformat()
    fixed.update(extra or {})
    return fixed


# ---------------------------------------------------------------------------------------------
# The checks a compiled rule runs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordCheck:
    """``require``: a pass or a failure for each record of ``kind`` within ``where``."""

    kind: str
    require: Condition
    where: Condition | None
    template: Template | None
    options: Mapping[str, Any]
    #: The kind's ``(earlier, later)`` date pairs and past-event dates among the fields the rule reads: a
    #: record that meets ``require`` with impossible dates fails instead (capcheck.core.dates.impossible_dates).
    dates: tuple[tuple[tuple[str, str], ...], tuple[str, ...]] = ((), ())

    def __call__(self, evidence: EvidenceSet, ctx: RuleContext) -> Iterator[Outcome | PassedRecords]:
        env = Env(ctx.as_of, ctx.options, evidence)
        order, past = self.dates
        # Asked of every passing record: impossible_dates only for those the cheap screen cannot clear.
        screen = date_screen(order, past, ctx.as_of) if order or past else None
        where = self.where.bind(env) if self.where is not None else None
        require = self.require.bind(env)
        message = self._messages(env)
        # The fields require reads, for a failing record's placeholder note (see _placeholder_note).
        keys = tuple(f for f in dict.fromkeys(self.require.fields()) if "." not in f)
        dotted = len(keys) != len(tuple(dict.fromkeys(self.require.fields())))
        starts = VALUE_STARTS
        kind = self.kind
        as_of = ctx.as_of
        # A failure is ctx.failed(record, why, kind=kind), built here as the tuple it is (once per
        # failing record: hundreds of thousands on some registers).
        new, fail = tuple.__new__, Status.FAIL
        # Fields a source format cannot carry (Document.not_provided) make a record insufficient evidence
        # instead of a failure; asked only when some file of the kind declares such fields.
        not_provided = ctx.not_provided if evidence.declares_not_provided(kind) else None
        required = tuple(dict.fromkeys(self.require.fields()))
        passing: list[str] = []  # passes are yielded as one value: most records pass, and are only counted
        keep = passing.append
        scope = self.where
        for record in evidence.records(kind):
            try:
                if where is not None:
                    in_scope = where(record)
                    if not in_scope:
                        if in_scope is None and scope is not None:  # unknown: never silently out of scope
                            gap = scope.missing_fields(record)
                            why = undetermined_message(record, gap)
                            skip = None
                            if not_provided is not None:
                                # In scope, a record failing require for a field its source cannot carry
                                # would be a skip: the rule can never fail it, whatever the scope says.
                                skip = not_provided(record, gap, kind=kind) or (
                                    None if require(record) else not_provided(record, required, kind=kind)
                                )
                            yield skip or new(Outcome, (fail, kind, record["id"], why, (), None))
                        continue
                if require(record):  # unknown (None) fails, like false
                    if (
                        screen is not None
                        and screen(record)
                        and (wrong := impossible_dates(record, order, past, as_of))
                    ):
                        why = f"impossible dates: {'; '.join(wrong)}"
                        yield new(Outcome, (fail, kind, record["id"], why, (), None))
                    else:
                        keep(record["id"])
                else:  # a field the source format cannot carry is insufficient evidence, not a failure
                    skip = not_provided(record, required, kind=kind) if not_provided is not None else None
                    if skip is not None:
                        yield skip
                        continue
                    why = message(record)
                    # Most values are cleared by their type or first character here, without a call.
                    suspect = dotted
                    for k in keys:
                        if type(v := record.get(k)) is str and v[:1] not in starts:
                            suspect = True
                            break
                    if suspect:
                        why = self._placeholder_note(why, record)
                    yield new(Outcome, (fail, kind, record["id"], why, (), None))
            except NotADate as exc:
                yield new(Outcome, (fail, kind, record["id"], str(exc), (), None))
        if passing:
            yield PassedRecords(kind, passing)  # ctx.passed_records, without its look at each id

    def fields_read(self) -> Iterator[tuple[str, str]]:
        """The ``(kind, field)`` pairs the rule's conditions read, for linting rule files."""
        for condition in (self.where, self.require):
            if condition is not None:
                yield from ((self.kind, f) for f in condition.fields())

    def _placeholder_note(self, message: str, record: Record) -> str:
        """``message``, followed by the fields ``require`` reads that hold a placeholder, so that the register's
        owner knows what to fix: ``contract C-1 has no owner (`owner` "TBC" is a placeholder)``."""
        fields = dict.fromkeys(self.require.fields())
        held = [missing_words(f, v) for f in fields if is_placeholder(v := make_getter(f)(record))]
        return f"{message} ({', '.join(held)})" if held else message

    def _messages(self, env: Env) -> Callable[[Record], str]:
        if self.template is not None:
            return self.template.bind(_fixed_names(env, self.options))
        prefix = f"requirement not met: {self.require.describe(env)}"
        fields = list(dict.fromkeys(self.require.fields()))[:5]
        getters = [(f, make_getter(f)) for f in fields]
        fmt = format_value

        def default(record: Record) -> str:
            found = ", ".join(f"{f}: {fmt(get(record), quote=True)}" for f, get in getters)
            return f"{prefix} (found {found})"

        return default


#: The group of records whose ``group_by`` field their source format cannot carry (Document.not_provided).
NOT_PROVIDED_GROUP = "not provided by the source"


#: The group of records whose ``group_by`` field is missing (absent, blank or a placeholder).
MISSING_GROUP = "<missing>"


def _group_name(value: Any) -> str:
    return MISSING_GROUP if value is None or value == "" else format_value(value)


@dataclass(frozen=True)
class AggregateCheck:
    """``aggregate``: per group of records in scope, count those meeting ``count`` and limit it."""

    kind: str
    count: Condition
    where: Condition | None
    group_by: str | None
    measure: str  # "count" | "ratio"
    max: Operand | None
    min: Operand | None
    min_records: int | None
    template: Template | None
    options: Mapping[str, Any]

    def fields_read(self) -> Iterator[tuple[str, str]]:
        """The ``(kind, field)`` pairs the rule reads (scope, counted records, grouping), for linting."""
        for condition in (self.where, self.count):
            if condition is not None:
                yield from ((self.kind, f) for f in condition.fields())
        if self.group_by:
            yield (self.kind, self.group_by)

    def __call__(self, evidence: EvidenceSet, ctx: RuleContext) -> Iterator[Outcome]:
        env = Env(ctx.as_of, ctx.options, evidence)
        where = self.where.bind(env) if self.where is not None else None
        count = self.count.bind(env)
        high = self.max.resolve(ctx.options) if self.max is not None else None
        low = self.min.resolve(ctx.options) if self.min is not None else None
        group_of = make_getter(self.group_by) if self.group_by else None
        totals: dict[str, int] = {}
        counted: dict[str, list[str]] = {}
        errors: dict[str, list[tuple[str, str]]] = {}
        #: Per group, the records whose scope or count is unknown (id, why): each counts against the limit.
        unknown: dict[str, list[tuple[str, str]]] = {}
        limit = _SHOWN_AS_IS
        #: Per group, why records could not be judged: a field they need is one their source cannot carry
        #: (Document.not_provided). They are left out of the count; a group of only such records is a skip.
        not_carried: dict[str, list[str]] = {}
        # A group is a value as joins compare them (join_key: case and spacing aside), named as first written,
        # and a placeholder ("TBC") is missing, as blank is: else writing a group's value several ways kept each
        # piece under min_records, and the rule judged none of them.
        groups_of: dict[str, str] = {}  # a text value -> its group
        named: dict[Any, str] = {}  # a join key -> its group
        for record in evidence.records(self.kind):
            if group_of is None:
                group = "all"
            else:
                value = group_of(record)
                if type(value) is str and (known := groups_of.get(value)) is not None:
                    group = known
                elif is_missing(value):
                    if self.group_by and ctx.not_provided(record, [self.group_by], kind=self.kind) is not None:
                        group = NOT_PROVIDED_GROUP  # an SBOM has no environment: not a group called "<missing>"
                    else:
                        group = MISSING_GROUP
                elif type(value) is str:  # _group_name, with a short string (the common case) as it is
                    group = groups_of[value] = named.setdefault(
                        join_key(value), value if len(value) <= limit else _group_name(value)
                    )
                else:
                    group = _group_name(value)
            try:
                if where is not None:
                    in_scope = where(record)
                    if not in_scope:
                        if in_scope is None and self.where is not None:  # unknown: never silently out of scope
                            gap = self.where.missing_fields(record)
                            if (skip := ctx.not_provided(record, gap, kind=self.kind)) is not None:
                                not_carried.setdefault(group, []).append(skip.message)
                            else:
                                unknown.setdefault(group, []).append((record["id"], undetermined_message(record, gap)))
                        continue
                hit = count(record)
            except NotADate as exc:
                errors.setdefault(group, []).append((record["id"], str(exc)))
                totals[group] = totals.get(group, 0) + 1
                continue
            if hit is None:
                gap = self.count.missing_fields(record)
                if (skip := ctx.not_provided(record, gap, kind=self.kind)) is not None:
                    not_carried.setdefault(group, []).append(skip.message)
                else:
                    unknown.setdefault(group, []).append((record["id"], undetermined_message(record, gap, "counted")))
                continue
            totals[group] = totals.get(group, 0) + 1
            if hit:
                counted.setdefault(group, []).append(record["id"])
        groups = sorted(set(totals) | set(unknown) | set(not_carried))
        description = self.count.describe(env) if groups else ""
        for group in groups:
            if group not in totals and group not in unknown:
                reasons = not_carried[group]
                more = f" ({len(reasons)} records)" if len(reasons) > 1 else ""
                yield ctx.group_skipped(self.kind, group, reasons[0] + more)
                continue
            yield self._judge(
                ctx,
                env,
                group,
                totals.get(group, 0),
                counted.get(group, []),
                errors.get(group),
                unknown.get(group, []),
                high,
                low,
                description,
            )

    def _judge(
        self,
        ctx: RuleContext,
        env: Env,
        group: str,
        known: int,
        ids: list[str],
        errors: list[tuple[str, str]] | None,
        unknown: list[tuple[str, str]],
        high: float | None,
        low: float | None,
        description: str,
    ) -> Outcome:
        """The group's verdict. Records whose scope or count is unknown are counted against the limit
        (the worst case): against ``max`` as in scope and counted, against ``min`` as in scope and not
        counted. So the verdict is a pass only if the group passes whatever the missing values are."""
        kind = self.kind
        if errors:
            first_id, first = errors[0]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            related = [(kind, i) for i, _ in errors[:MAX_RELATED]]
            return ctx.group_failed(
                kind, group, f"cannot judge the group: record {first_id}: {first}{more}", related=related
            )
        u = len(unknown)
        total = known + u
        if self.min_records is not None and total < self.min_records:
            reason = (
                f"insufficient evidence: {total} record{'s' if total != 1 else ''} in the group, "
                f"fewer than the {self.min_records} required (min_records)"
            )
            return ctx.group_skipped(kind, group, reason)
        n = len(ids)

        def measure_of(count: int) -> float:
            return count / total if self.measure == "ratio" else count

        too_high = high is not None and measure_of(n + u) > high
        too_low = low is not None and measure_of(n) < low
        # The figures shown: the worst case for the limit broken (or, passing, for max if there is one).
        shown_n = n + u if too_high or (not too_low and high is not None) else n
        ratio = shown_n / total
        show: Callable[[float], str] = (
            (lambda x: f"{x * 100:.1f}%") if self.measure == "ratio" else (lambda x: f"{x:g}")
        )
        limits = [f"at most {show(high)}"] if high is not None else []
        limits += [f"at least {show(low)}"] if low is not None else []
        limit_text = " and ".join(limits)
        # The group of records with no value is named "<missing>" (its identity: fingerprints, baselines); a
        # message says it in words ("3 of 5 (environment not recorded) assets ...")
        unrecorded = group == MISSING_GROUP and bool(self.group_by)
        if self.template is not None:
            violated = high if too_high else low if too_low else high if high is not None else low
            extra = {
                "group": f"({self.group_by} not recorded)" if unrecorded else group,
                "group_by": self.group_by or "",
                "count": str(shown_n),
                "total": str(total),
                "percent": f"{ratio * 100:.1f}%",
                "ratio": f"{ratio:.3f}",
                "limit": show(violated) if violated is not None else "",
            }
            message = self.template.bind(_fixed_names(env, self.options, extra))({})
        else:
            scope = f" with {self.group_by} {format_value(group, quote=True)}" if self.group_by else ""
            scope = f" with no {self.group_by} recorded" if unrecorded else scope
            share = f" ({ratio * 100:.1f}%)" if self.measure == "ratio" else ""
            head = f"{shown_n} of {total} {kind} records{scope}{share} match: {description}"
            tail = f"the limit is {limit_text}" if too_high or too_low else f"within the limit ({limit_text})"
            message = f"{head}; {tail}"
        if u:
            first_id, why = unknown[0]
            message += (
                f" ({u} record{'s' if u != 1 else ''} undetermined, counted against the limit: "
                f"{first_id}: {why}{f' and {u - 1} more' if u > 1 else ''})"
            )
        if too_high or too_low:
            behind = [(kind, i) for i in ids] + [(kind, i) for i, _ in unknown]
            return ctx.group_failed(kind, group, message, related=behind[:MAX_RELATED])
        return ctx.group_passed(kind, group, message)
