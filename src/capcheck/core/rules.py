"""Rules: the :class:`Rule` type, the ``@rule`` decorator for Python rules, the rule context,
and rule selection (``--select`` / ``--ignore``).

A rule is metadata (:class:`~capcheck.core.models.RuleMeta`) plus a *check*: a function that takes
the whole :class:`~capcheck.core.evidence.EvidenceSet` and a :class:`RuleContext` and yields
:class:`~capcheck.core.models.Outcome` values made with the context (``ctx.passed(record)``,
``ctx.failed(record, message)``). Declarative rules compile to the same type.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from capcheck.core.errors import PluginError, Problem, UsageError
from capcheck.core.ids import namespace_of, normalise_rule_id
from capcheck.core.lookalikes import is_plain_ascii, plain_form
from capcheck.core.models import Outcome, PassedRecords, RuleMeta, RuleSource, Severity, Status, display_path
from capcheck.core.resources import bundled_toml, data_dir
from capcheck.core.side_inputs import shorten
from capcheck.core.wording import did_you_mean

if TYPE_CHECKING:
    from capcheck.core.evidence import EvidenceSet

__all__ = [
    "PLACEHOLDERS",
    "PLACEHOLDERS_FILE",
    "VALUE_STARTS",
    "CheckFunction",
    "OptionCheck",
    "Record",
    "Rule",
    "RuleContext",
    "is_missing",
    "is_placeholder",
    "looks_missing",
    "missing_words",
    "rule",
    "select_rules",
    "undetermined_message",
]

#: One evidence record as a rule reads it: a read-only mapping of field names to JSON values.
Record = Mapping[str, Any]
CheckFunction = Callable[["EvidenceSet", "RuleContext"], Iterable[Outcome | PassedRecords]]
#: A check of one option's value: raises ``ValueError`` saying why the value is refused (its return is ignored).
OptionCheck = Callable[[Any], object]


#: The placeholders file, under the bundled ``rules/`` directory (one list for rules and scorecard).
PLACEHOLDERS_FILE = "reference-data/placeholders.toml"


def _load_placeholders() -> frozenset[str]:
    path = data_dir("rules") / PLACEHOLDERS_FILE
    values = bundled_toml(path).get("values")
    if not isinstance(values, list) or not all(type(v) is str and v.strip() for v in values):
        raise ValueError(f"{display_path(path)}: values: a list of non-blank strings")  # a packaging fault
    return frozenset(v.strip().casefold() for v in values)


#: Values that fill a field without saying anything (``"TBC"``), trimmed and case-folded: such a field is
#: missing, for the rules and for the scorecard alike (``rules/reference-data/placeholders.toml``).
PLACEHOLDERS: frozenset[str] = _load_placeholders()
#: The one-character starts (``value[:1]``) of a string that is surely a value: the printable ASCII characters
#: but space that start no placeholder in any case (an ASCII character case-folds to its lower case alone; a
#: control is drawn as nothing: :data:`capcheck.core.lookalikes.IGNORABLE`). Most values are cleared by this one
#: set lookup: ``"2024-01-01"``, ``"active"``, ``"alice"``.
VALUE_STARTS: frozenset[str] = frozenset(
    c for c in map(chr, range(32, 127)) if c != " " and c.casefold() not in {p[0] for p in PLACEHOLDERS}
)


def is_placeholder(value: Any) -> bool:
    """Whether a value is a text that is one of :data:`PLACEHOLDERS` (``"TBC"``, ``" n/a "``): any case,
    spaces around it aside, and as it reads (:func:`looks_missing`). Blank and non-text values are not
    placeholders (see :func:`is_missing`)."""
    if type(value) is not str or value[:1] in VALUE_STARTS:
        return False
    stripped = value.strip()
    return stripped.casefold() in PLACEHOLDERS or (
        not is_plain_ascii(stripped) and plain_form(stripped) in PLACEHOLDERS
    )


def looks_missing(text: str) -> bool:
    """Whether a text that is neither blank nor a placeholder as written reads as one: with the characters drawn
    as nothing dropped and letters drawn like Latin ones read as those (:func:`capcheck.core.lookalikes.plain_form`):
    "TBC" in Cyrillic or full-width letters, or with a zero width space, filled owners that passed the rules and
    counted as covered; so does one of controls or Braille blanks (:data:`capcheck.core.lookalikes.IGNORABLE`). Only
    a text that is not printable ASCII can; the fast paths test that (``s.isascii() and s.isprintable()``) first."""
    return not is_plain_ascii(text) and ((plain := plain_form(text)) == "" or plain in PLACEHOLDERS)


def is_missing(value: Any) -> bool:
    """Whether a value cannot decide anything: absent (None), a string that is empty or only whitespace,
    or a placeholder such as ``"TBC"`` (:func:`is_placeholder`). A scope test on such a value is
    *unknown*, never false (docs/writing-rules.md)."""
    if type(value) is not str:
        return value is None
    if value[:1] in VALUE_STARTS:
        return False
    stripped = value.strip()
    return not stripped or stripped.casefold() in PLACEHOLDERS or looks_missing(stripped)


def _field_value(record: Record, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if type(value) is not dict:
            return None
        value = value.get(part)
    return value


def missing_words(field: str, value: Any) -> str:
    """Why ``field`` holding ``value`` decides nothing, for a message: ```owner` missing`` (absent or null),
    ```owner` blank`` (an empty or whitespace string) or ```owner` "TBC" is a placeholder``."""
    if value is None:
        return f"`{field}` missing"
    if is_placeholder(value):
        return f"`{field}` {json.dumps(value, ensure_ascii=False)} is a placeholder"
    return f"`{field}` blank"


def undetermined_message(record: Record, fields: Iterable[str], what: str = "in scope") -> str:
    """The message of an undetermined finding: ``cannot tell whether in scope: `status` missing``.

    ``fields`` are the (dotted) fields the decision needed; each is named as :func:`missing_words` says
    (``missing``, ``blank``, or ``"TBC" is a placeholder``).
    """
    parts = [missing_words(f, _field_value(record, f)) for f in fields]
    return f"cannot tell whether {what}: {', '.join(parts) or 'a field it needs is missing'}"


@dataclass(frozen=True)
class Rule:
    """A rule: validated metadata, the check that evaluates it, and where it came from."""

    meta: RuleMeta
    check: CheckFunction = field(repr=False)
    source: RuleSource = field(default=RuleSource(type="builtin", name="capcheck"))
    #: Per option, the checks a value a config gives it must pass, beyond having its default's type: each
    #: raises ``ValueError`` saying why a value is refused (a declarative rule's: its operators' own, so that
    #: a value they would refuse when the rule runs is refused before any evidence is read).
    option_checks: Mapping[str, tuple[OptionCheck, ...]] = field(default_factory=dict, repr=False, compare=False)

    def option_problems(self, name: str, value: Any) -> list[str]:
        """Why ``value`` cannot be the option ``name`` of this rule (the declared checks' reasons); empty if it can."""
        return _refusals(self.option_checks.get(name, ()), value)

    @property
    def id(self) -> str:
        """The rule id, e.g. ``COMM-001``."""
        return self.meta.id

    def with_source(self, source: RuleSource) -> Rule:
        """The same rule, attributed to ``source``."""
        return replace(self, source=source)


def _refusals(checks: Iterable[OptionCheck], value: Any) -> list[str]:
    """The reasons the checks give for refusing ``value`` (each check's ``ValueError``)."""
    reasons = []
    for check in checks:
        try:
            check(value)
        except ValueError as exc:
            reasons.append(str(exc))
    return reasons


def rule(
    *,
    id: str,
    title: str,
    area: str,
    severity: str | Severity,
    kinds: Sequence[str] = (),
    any_of: Sequence[str] = (),
    reads: Sequence[str] = (),
    columns: Sequence[str] = (),
    description: str,
    rationale: str,
    remediation: str,
    references: Sequence[str] = (),
    tags: Sequence[str] = (),
    criteria: Sequence[str] = (),
    version: str = "1.0.0",
    options: Mapping[str, Any] | None = None,
    option_checks: Mapping[str, OptionCheck] | None = None,
    per_record: bool = False,
) -> Callable[[CheckFunction], Rule]:
    """Make a Python rule from a check function; the metadata is validated here, at import.

    Invalid metadata raises :class:`~capcheck.core.errors.PluginError` located at the ``@rule(...)``
    call (``my_rules.py:12: rule 'INFRA-101': severity: Input should be ...``).

    The check receives ``(evidence, ctx)`` and yields outcomes. Options are declared with their
    defaults; users override them per rule in the config; the check reads ``ctx.options``. A config's
    value must have its default's type (an integer for an integer, a list of strings for a list of
    strings ...), checked before any evidence is read; ``option_checks`` adds, per option, a function
    that raises ``ValueError`` saying why a value is refused (``max_days`` below 0, say): it runs then
    too, and on the default when the rule is made (a default its own check refuses is a plugin error).

    ``kinds`` are the evidence kinds the rule needs, all of them; ``any_of`` names two or more kinds
    of which one is enough (a join over "the governance register *or* the asset register"). The rule
    is skipped (insufficient evidence) when a kind of ``kinds`` is absent, or every kind of
    ``any_of`` is; otherwise it runs, and reads ``evidence.has(kind)`` to see which were given.
    ``meta.kinds`` lists both (the required first); ``meta.required_kinds`` the required alone.
    ``reads`` names kinds the rule also reads when they are given but can run without (the
    ``organisation`` profile, for its own codes). The evidence a check receives holds only the kinds
    it declares: reading another is an error finding that says to declare it, so that the rule gives
    the same outcomes however the check is run (in one process or several: docs/performance.md).
    ``columns`` (``["governance-register.owner"]``) names fields of declared kinds the rule reads only
    whole, with ``evidence.values(kind, field)``, never their records: such a kind may then be loaded in
    another process than the rule's own records (a join on a column).
    ``per_record=True`` says the rule judges each record of its first kind alone (its outcome for a record
    depends on that record, its options, the as-of date, its ``columns`` and its ``reads`` kinds, nothing else),
    so a check may divide the kind's records between processes; it reads the records of no other kind
    (each other kind of ``kinds`` only as ``columns``), and yields only outcomes about records of its first
    kind: no group, no outcome naming no record, no state across records (docs/plugins.md).

    Example::

        @rule(id="INFRA-101", title="Assets are patched within 90 days", area="INFRA",
              severity="high", kinds=["it-assets"], options={"max_days": 90},
              description="...", rationale="...", remediation="...")
        def assets_patched(evidence, ctx):
            for asset in evidence.records("it-assets"):
                ...
    """
    from pydantic import ValidationError

    try:
        # A mapping, validated: pydantic turns a severity string into a Severity, or says what is allowed.
        meta = RuleMeta.model_validate(
            {
                "id": id,
                "title": title,
                "area": area,
                "severity": severity,
                "kinds": (*kinds, *any_of),
                "any_of": tuple(any_of),
                "reads": tuple(reads),
                "columns": tuple(columns),
                "description": description,
                "rationale": rationale,
                "remediation": remediation,
                "references": tuple(references),
                "tags": tuple(tags),
                "criteria": tuple(criteria),
                "version": version,
                "options": dict(options or {}),
                "per_record": per_record,
            }
        )
    except ValidationError as exc:
        caller = sys._getframe(1)  # the module that wrote @rule(...): where the metadata is to be fixed
        path, line = display_path(Path(caller.f_code.co_filename)), caller.f_lineno
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"]) or "metadata"
            cause = str(error["msg"]).removeprefix("Value error, ")
            problems.append(Problem(f"rule {id!r}: {field}: {cause}", path=path, line=line))
        raise PluginError(problems) from None

    checks = {name: (check,) for name, check in (option_checks or {}).items()}
    wrong = []
    for name in checks:
        if name not in meta.options:
            declared = ", ".join(sorted(meta.options)) or "none"
            wrong.append(f"option_checks: {name!r} is not one of its options ({declared})")
        else:
            wrong += [
                f"option_checks: {name!r} refuses its own default {meta.options[name]!r}: {p}"
                for p in _refusals(checks[name], meta.options[name])
            ]
    if wrong:
        caller = sys._getframe(1)  # as above: the @rule(...) call is where to fix it
        path, line = display_path(Path(caller.f_code.co_filename)), caller.f_lineno
        raise PluginError([Problem(f"rule {id!r}: {w}", path=path, line=line) for w in wrong])

    def decorate(check: CheckFunction) -> Rule:
        return Rule(meta=meta, check=check, option_checks=checks)

    return decorate


#: Outcomes are built as plain tuples of all their fields (``Outcome(...)`` runs the named tuple's
#: Python ``__new__``): the constructors below run once per record judged.
_new = tuple.__new__
_PASS, _FAIL = Status.PASS, Status.FAIL


class RuleContext:
    """What a rule's check receives beside the evidence: the as-of date, its options, and
    constructors for outcomes. One context per rule per run.
    """

    __slots__ = ("_single_kind", "as_of", "evidence", "meta", "options")

    def __init__(self, meta: RuleMeta, evidence: EvidenceSet, as_of: date, options: Mapping[str, Any]) -> None:
        self.meta = meta
        self.evidence = evidence
        self.as_of = as_of
        self.options = options
        self._single_kind = meta.kinds[0] if len(meta.kinds) == 1 else None

    def _kind_of(self, record: Record, kind: str | None) -> str:
        if kind is not None:
            return kind
        if self._single_kind is not None:
            return self._single_kind
        record_id = record.get("id")
        for candidate in self.meta.kinds:
            if isinstance(record_id, str) and self.evidence.get(candidate, record_id) is record:
                return candidate
        # A record of a kind the rule does not declare: its own kind, which the engine refuses by name.
        foreign = self._undeclared_kind(record)
        if foreign is not None:
            return foreign
        raise ValueError(f"cannot tell which kind record {record_id!r} is: pass kind=")

    def _failed_kind(self, record: Record) -> str:
        """The kind of a record the rule fails. With one declared kind that is it, unless the record is
        another kind's (the rule read a kind it does not declare): then that kind, so that the engine
        refuses the outcome by name rather than report it against the wrong record. One lookup per
        failure; passes are not checked (they are only counted unless listed)."""
        single = self._single_kind
        if single is None:
            return self._kind_of(record, None)
        record_id = record.get("id")
        if isinstance(record_id, str) and self.evidence.get(single, record_id) is not record:
            return self._undeclared_kind(record) or single
        return single

    def _undeclared_kind(self, record: Record) -> str | None:
        """The kind, not among the rule's, whose evidence holds this very record; None if none does (a
        record the rule made itself keeps the rule's kind)."""
        record_id = record.get("id")
        if not isinstance(record_id, str):
            return None
        declared = self.meta.kinds
        for kind in self.evidence.kinds():
            if kind not in declared and self.evidence.get(kind, record_id) is record:
                return kind
        return None

    def passed(self, record: Record, *, kind: str | None = None) -> Outcome:
        """The record meets the rule."""
        if kind is None:
            kind = self._single_kind or self._kind_of(record, None)
        return _new(Outcome, (_PASS, kind, record["id"], "", (), None))

    def passed_records(self, records: Iterable[Record | str], *, kind: str | None = None) -> PassedRecords:
        """Many records (or record ids) that meet the rule, as one value: cheaper than a
        ``passed`` per record on large registers. ``kind`` is needed when the rule reads several."""
        ids = [r if isinstance(r, str) else r["id"] for r in records]
        if kind is None:
            if self._single_kind is None:
                raise ValueError("passed_records needs kind= for a rule that reads several kinds")
            kind = self._single_kind
        return PassedRecords(kind, ids)

    def failed(
        self,
        record: Record,
        message: str,
        *,
        kind: str | None = None,
        related: Iterable[tuple[str, str]] = (),
    ) -> Outcome:
        """The record fails the rule; ``message`` says why in terms of the record's values.

        ``related`` names other records the verdict rests on, as ``(kind, id)`` pairs.
        """
        if kind is None:
            kind = self._failed_kind(record)
        return _new(Outcome, (_FAIL, kind, record["id"], message, tuple(related), None))

    def missing(self, record: Record, *fields: str) -> list[str]:
        """Those of ``fields`` (dotted allowed) the record lacks: absent, null, blank or a placeholder
        (:func:`is_missing`).

        A Python rule checks the fields its scope depends on with this, and yields
        :meth:`undetermined` for a record whose scope it cannot decide, instead of dropping it.
        """
        get = record.get
        missing = is_missing
        return [f for f in fields if missing(get(f) if "." not in f else _field_value(record, f))]

    def undetermined(
        self,
        record: Record,
        fields: Iterable[str],
        *,
        kind: str | None = None,
        what: str = "in scope",
        related: Iterable[tuple[str, str]] = (),
    ) -> Outcome:
        """The rule cannot tell whether the record is in scope (or, with ``what``, whether it is
        counted ...) because ``fields`` are missing: a ``fail`` at the rule's severity, so a
        missing column can never take records out of a rule's reach.

        Example::

            gap = ctx.missing(asset, "status", "internet_facing")
            if gap:
                yield ctx.undetermined(asset, gap)
                continue
        """
        message = undetermined_message(record, fields, what)
        if kind is None:
            kind = self._failed_kind(record)
        return _new(Outcome, (_FAIL, kind, record["id"], message, tuple(related), None))

    def not_provided(self, record: Record, fields: Iterable[str], *, kind: str | None = None) -> Outcome | None:
        """Insufficient evidence when the record lacks one of ``fields`` *because its source format cannot
        carry it* (``Document.not_provided``: an OCDS award has no contract owner): a ``skip`` saying so
        ("the ocds source does not carry `owner`"), else None. A rule calls it before failing a record
        for a missing field; a field missing from a register that could hold it stays a failure.
        """
        kind = self._kind_of(record, kind)
        fmt, absent = self.evidence.not_provided(kind, record.get("id"))
        if not absent:
            return None
        lacking = [
            f for f in dict.fromkeys(fields) if f.split(".")[0] in absent and is_missing(_field_value(record, f))
        ]
        if not lacking:
            return None
        named = ", ".join(f"`{f}`" for f in lacking)
        return self.skipped(f"insufficient evidence: the {fmt} source does not carry {named}", kind=kind, record=record)

    def skipped(
        self, reason: str, *, kind: str | None = None, record: Record | None = None, group: str | None = None
    ) -> Outcome:
        """The rule cannot judge this record or group (insufficient evidence): never a pass."""
        record_id = record["id"] if record is not None else None
        return Outcome(Status.SKIP, kind or (self.meta.kinds[0]), record_id, reason, group=group)

    def group_passed(self, kind: str, group: str, message: str = "") -> Outcome:
        """An aggregate over ``group`` (e.g. an environment) meets the rule."""
        return Outcome(Status.PASS, kind, None, message, group=group)

    def group_skipped(self, kind: str, group: str, reason: str) -> Outcome:
        """An aggregate cannot judge ``group`` (e.g. too few records): insufficient evidence, never a pass."""
        return Outcome(Status.SKIP, kind, None, reason, group=group)

    def group_failed(self, kind: str, group: str, message: str, *, related: Iterable[tuple[str, str]] = ()) -> Outcome:
        """An aggregate over ``group`` fails the rule; ``related`` names records behind it."""
        return Outcome(Status.FAIL, kind, None, message, tuple(related), group=group)


def select_rules(
    rules: Mapping[str, Rule],
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
) -> list[Rule]:
    """The rules chosen by ``select`` (all when empty) less those matched by ``ignore``, by id.

    Each selector is a rule id (``COMM-001``, ``acme.CULT-101``), an id prefix with its hyphen
    (``COMM-00``, ``acme.CULT-1``), an area id (``COMM``: never ``COMMS``; a third party's rules of
    the area too), a namespace with its dot (``acme.``), a namespace and an area (``acme.CULT``) or a
    tag. An id prefix never reaches into a namespace: ``CULT-1`` is the pack's rules only. A selector
    that matches no rule is a usage error (with the nearest id, area or tag as a did-you-mean), never a
    silent no-op; so is a selection that leaves no rule to run.
    """

    def matches(selector: str, r: Rule) -> bool:
        sel = selector.strip()
        wanted = normalise_rule_id(sel)
        rid = r.meta.id
        if rid == wanted or sel in r.meta.tags:
            return True
        if wanted.endswith("."):  # a namespace
            return rid.startswith(wanted)
        if "-" in wanted:  # an id prefix
            return rid.startswith(wanted)
        if "." in wanted:  # a namespace's rules of one area
            return rid.startswith(wanted + "-")
        return r.meta.area == wanted

    unknown = [s for s in (*select, *ignore) if not any(matches(s, r) for r in rules.values())]
    if unknown:
        namespaces = {ns for r in rules.values() if (ns := namespace_of(r.meta.id)) is not None}
        metas = [r.meta for r in rules.values()]
        choices = sorted({m.id for m in metas} | {m.area for m in metas} | {t for m in metas for t in m.tags})
        raise UsageError(
            [
                f"unknown rule id, area or tag {shorten(s.strip())}{did_you_mean(s, choices)} "
                "(see 'capcheck rules list')"
                + (
                    f"; a namespace is selected with its dot: '{s.strip().lower()}.'"
                    if s.strip().lower() in namespaces
                    else ""
                )
                for s in unknown
            ]
        )
    chosen = [r for r in rules.values() if not select or any(matches(s, r) for s in select)]
    chosen = [r for r in chosen if not any(matches(s, r) for s in ignore)]
    if not chosen and rules:
        raise UsageError("no rules left to run: --ignore removes every rule that --select chose")
    return sorted(chosen, key=lambda r: r.meta.id)
