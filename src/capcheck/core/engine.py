"""The engine: run the selected rules over the evidence set and keep their outcomes, compact.

Each rule runs on its own: a rule that raises becomes one ``error`` finding and the others
still run; a rule whose evidence kinds are absent gives a ``skip`` finding ("insufficient
evidence"), never a pass. Passing findings are counted always and kept only when asked for
(``include_passed``): on large registers they are most of the outcomes. What is kept is each
rule's ``Outcome`` tuples (:class:`~capcheck.core.outcomes.RuleOutcomes`); findings are made from
them only when a reporter reads them (:class:`~capcheck.core.outcomes.Findings`).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, compress, pairwise, repeat
from operator import is_, itemgetter
from typing import TYPE_CHECKING, Any, cast

from capcheck.core.evidence import EvidenceSet, UndeclaredKind
from capcheck.core.models import Outcome, PassedRecords, Severity, Status, Summary
from capcheck.core.outcomes import Findings, RuleOutcomes, in_order
from capcheck.core.rules import Rule, RuleContext

if TYPE_CHECKING:
    from capcheck.app.progress import Progress

__all__ = ["Evaluation", "StatusCounts", "add_rule", "evaluate", "evaluate_rule", "merge_blocks"]

_PASS = Status.PASS
_STATUS = itemgetter(0)
_RECORD_ID = itemgetter(2)
_RELATED = itemgetter(4)
_JUDGED = (Status.PASS, Status.FAIL)


@dataclass
class Evaluation:
    """One evaluation: each rule's listed outcomes, compact, and counts of every status (passes included).

    ``outcomes`` holds a block per rule (:class:`~capcheck.core.outcomes.RuleOutcomes`); waivers and the
    baseline change their statuses in place. ``findings`` reads them as findings, sorted.
    """

    evidence: EvidenceSet
    outcomes: list[RuleOutcomes] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)

    @property
    def findings(self) -> Findings:
        """The findings, in the one order, made lazily from ``outcomes`` (statuses as they are now)."""
        return Findings(self.outcomes, self.evidence)


def evaluate(
    rules: Sequence[Rule],
    evidence: EvidenceSet,
    *,
    as_of: date,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    severities: Mapping[str, Severity] | None = None,
    include_passed: bool = False,
    debug: bool = False,
    progress: Progress | None = None,
) -> Evaluation:
    """Evaluate ``rules`` over ``evidence`` as of ``as_of``.

    :param options: per rule id, option values that override the rule's defaults.
    :param severities: per rule id, a severity that overrides the rule's own.
    :param include_passed: keep passing outcomes (they are always counted).
    :param debug: put the traceback of a raising rule in its error finding.
    :param progress: told when each rule is done.
    """
    options = options or {}
    severities = severities or {}
    result = Evaluation(evidence)
    for r in rules:
        block, counts = evaluate_rule(
            r, evidence, as_of=as_of, options=options, severities=severities, include_passed=include_passed, debug=debug
        )
        add_rule(result, block, counts)
        if progress is not None:
            progress.rule_done(sum(counts.values()))
    return result


#: A rule's outcomes counted by status value (``"fail"`` -> 3), passes included.
StatusCounts = dict[str, int]


def evaluate_rule(
    r: Rule,
    evidence: EvidenceSet,
    *,
    as_of: date,
    options: Mapping[str, Mapping[str, Any]],
    severities: Mapping[str, Severity],
    include_passed: bool = False,
    debug: bool = False,
) -> tuple[RuleOutcomes, StatusCounts]:
    """Evaluate one rule: its block of listed outcomes and its counts by status (what :func:`add_rule` records).

    A rule is judged on its own, so rules may be evaluated apart (in other processes: :mod:`capcheck.app.parallel`)
    and their blocks added to one :class:`Evaluation` in the rules' order, with the same result.
    """
    meta = r.meta
    merged = {**meta.options, **options.get(meta.id, {})}
    evidence = evidence.only(meta.record_kinds, meta.column_pairs)  # what the rule declares, and nothing else
    ctx = RuleContext(meta, evidence, as_of, merged)
    block = RuleOutcomes(
        rule_id=meta.id,
        rule_version=meta.version,
        severity=severities.get(meta.id, meta.severity),
        area=meta.area,
        title=meta.title,
        remediation=meta.remediation,
        default_kind=meta.kinds[0],
    )
    try:
        counts = _collect(_outcomes(r, evidence, ctx, debug), block, include_passed)
        _check_kinds(block.rows, meta.kinds)
    except _Malformed as exc:  # the rule's outcomes cannot be reported as they are: one error says why
        block.rows[:] = [Outcome(Status.ERROR, meta.kinds[0], None, str(exc))]
        counts = {Status.ERROR.value: 1}
    if not sum(counts.values()):  # nothing was in the rule's scope
        block.rows.append(Outcome(Status.SKIP, meta.kinds[0], None, NOTHING_IN_SCOPE))
        counts = {Status.SKIP.value: 1}
    return block, counts


#: The message of the engine's skip for a rule that had nothing in its scope.
NOTHING_IN_SCOPE = "no records in the rule's scope"


def merge_blocks(blocks: Sequence[tuple[RuleOutcomes, StatusCounts]]) -> tuple[RuleOutcomes, StatusCounts]:
    """One rule's blocks judged over consecutive ranges of its records (``per_record`` rules: a check split over
    processes), in the ranges' order, as one block over all the records: rows joined and counts added; the skip
    for nothing in scope only when no range had anything; a rule that raised: the earliest range's error alone,
    as one process stops at the first raising record. The blocks are unsettled (no waivers yet)."""
    raised = [(b, c) for b, c in blocks if _raised(b, c)]
    if raised:
        return raised[0]
    judged = [(b, c) for b, c in blocks if not _nothing(b, c)]
    if not judged:
        return blocks[0]
    first = judged[0][0]
    rows = [row for b, _ in judged for row in b.rows]
    counts: dict[str, int] = {}
    for _, c in judged:
        for status, n in c.items():
            counts[status] = counts.get(status, 0) + n
    listed = [b for b, _ in judged if b.rows]
    ordered = all(b.ordered for b in listed) and all(
        _before(a.rows[-1].record_id, b.rows[0].record_id) for a, b in pairwise(listed)
    )
    merged = RuleOutcomes(
        rule_id=first.rule_id,
        rule_version=first.rule_version,
        severity=first.severity,
        area=first.area,
        title=first.title,
        remediation=first.remediation,
        default_kind=first.default_kind,
    )
    merged.rows.extend(rows)
    merged.ordered = ordered
    return merged, counts


def _raised(block: RuleOutcomes, counts: StatusCounts) -> bool:
    rows = block.rows
    return counts == {Status.ERROR.value: 1} and len(rows) == 1 and rows[0].record_id is None


def _nothing(block: RuleOutcomes, counts: StatusCounts) -> bool:
    rows = block.rows
    return counts == {Status.SKIP.value: 1} and len(rows) == 1 and rows[0].message == NOTHING_IN_SCOPE


def _before(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a < b


def add_rule(result: Evaluation, block: RuleOutcomes, counts: StatusCounts) -> None:
    """Add one rule's block and counts to ``result`` (rules are added in the order they were selected)."""
    for status, n in counts.items():
        if n:
            result.summary.add(Status(status), block.severity, block.area, n, rule_id=block.rule_id)
    result.outcomes.append(block)


class _Malformed(Exception):
    """A rule yielded an outcome whose values cannot be reported (the message says which and why)."""


#: The statuses a rule may yield; ``waived`` and ``baselined`` are given by waivers and the baseline only.
_YIELDABLE = frozenset(s.value for s in (Status.PASS, Status.FAIL, Status.SKIP, Status.ERROR))
_NONE = type(None)
_STR, _OPTIONAL_STR, _TUPLE = frozenset({str}), frozenset({str, _NONE}), frozenset({tuple})
#: The fields of a listed outcome beside its status: (name, getter, the types allowed, what they are). The
#: first two hold a value per row; the others few distinct values per rule, so their sets of values are checked.
_FIELDS = (
    ("record id", itemgetter(2), _OPTIONAL_STR, "a str or None"),
    ("message", itemgetter(3), _STR, "a str"),
    ("kind", itemgetter(1), _OPTIONAL_STR, "a str or None"),
    ("group", itemgetter(5), _OPTIONAL_STR, "a str or None"),
    ("related", _RELATED, _TUPLE, "a tuple of (kind, record id) pairs of str"),
)


def _collect(outcomes: list[Outcome | PassedRecords], block: RuleOutcomes, include_passed: bool) -> dict[str, int]:
    """Keep in ``block`` the rows to list (every non-pass; passes only with ``include_passed``) and count every
    status; mark the block ordered when its rows are in the findings' order as they are (:func:`in_order`).

    Counts are keyed by the status's string: an Enum's ``__hash__`` is Python code, a str's is not.
    Raises :class:`_Malformed` when an outcome's status is not one a rule yields, a listed row holds
    a value of the wrong type (:func:`_check_fields`), two listed non-passes are for one record
    (:func:`_check_one_per_record`), or a record is both passed and listed otherwise (:func:`_check_passes_apart`).
    """
    rows = block.rows
    counts: dict[str, int] = {}
    passes = 0
    batches: list[list[str]] = []  # the record ids of each PassedRecords: few per rule
    for outcome in outcomes:
        if type(outcome) is PassedRecords:
            if type(outcome.record_ids) is not list:  # made by hand (ctx.passed_records makes a list)
                raise _Malformed(_wrong("record ids", outcome.record_ids, "a list of str", "passed records"))
            batches.append(outcome.record_ids)
            passes += len(outcome.record_ids)
            if include_passed:
                rows.extend(Outcome(_PASS, outcome.kind, record_id) for record_id in outcome.record_ids)
            continue
        outcome = cast(Outcome, outcome)  # _outcomes let only outcomes through: no check per outcome here
        status = outcome.status
        if status is _PASS:
            passes += 1
            if not include_passed:
                continue
        else:
            # `_value_` is a plain attribute; `.value` and hashing an Enum run Python code per call.
            try:
                key = status._value_
                counts[key] = counts.get(key, 0) + 1
            except Exception:  # not a Status at all (no `_value_`, or an unhashable one)
                raise _Malformed(_wrong("status", status, "a Status")) from None
        rows.append(outcome)
    if not counts.keys() <= _YIELDABLE:  # checked once per rule, not per outcome
        bad = next(o.status for o in rows if type(o.status) is not Status or o.status._value_ not in _YIELDABLE)
        wanted = "pass, fail, skip or error (waivers and the baseline give the others)"
        raise _Malformed(_wrong("status", bad, wanted if type(bad) is Status else "a Status"))
    ids = _check_fields(rows)
    judged, judged_ids = rows, ids  # the listed non-passes and their record ids
    # Rows in order are for distinct records, so asking costs nothing: the block's sort would ask the same.
    if in_order(rows, block.default_kind, ids):
        block.ordered = True
        if include_passed:
            judged = []  # the passes are among the rows, every record once: none is also failed
    elif include_passed and passes:
        judged = [o for o in rows if o.status is not _PASS]
        judged_ids = list(map(_RECORD_ID, judged))
        _check_one_per_record(judged, judged_ids, block.default_kind)
    else:
        _check_one_per_record(rows, ids, block.default_kind)
    if passes and judged:
        _check_passes_apart(outcomes, batches, passes - sum(map(len, batches)), judged_ids, block.default_kind)
    if passes:
        counts[_PASS._value_] = passes
    return counts


def _check_fields(rows: list[Outcome]) -> list[Any]:
    """Raise :class:`_Malformed` unless each listed row's fields have the types reporters rely on; return
    the rows' record ids (the first column checked: :func:`_check_one_per_record` reads them again).

    Column by column at C speed (a set of the types in each), so a rule's thousands of rows cost no
    Python code each; only the rows listed are checked (a pass not listed is only counted, and shows
    nothing). Exact types: a str subclass (an enum, a markup string) could change how a value prints.
    """
    ids = list(map(_RECORD_ID, rows))
    values: Any = ()
    for i, (name, get, allowed, wanted) in enumerate(_FIELDS):
        try:
            values = ids if i == 0 else map(get, rows) if i < 2 else set(map(get, rows))
            ok = set(map(type, values)) <= allowed
        except Exception:  # an unhashable value (or a hash that raises: the rule's own code): not one allowed
            ok = False
        if not ok:
            bad = next(v for v in map(get, rows) if type(v) not in allowed or not _hashable(v))
            raise _Malformed(_wrong(name, bad, wanted))
    pairs = list(chain.from_iterable(values))  # the set of the rows' distinct related tuples
    if pairs and not (
        set(map(type, pairs)) <= _TUPLE and set(map(len, pairs)) == {2} and set(map(type, chain(*pairs))) <= _STR
    ):
        bad = next(p for p in pairs if type(p) is not tuple or len(p) != 2 or {type(p[0]), type(p[1])} != {str})
        raise _Malformed(_wrong("related record", bad, "a (kind, record id) pair of str"))
    return ids


#: What tells one listed outcome from another beside the rule: kind, record id and group (a finding's fingerprint).
_IDENTITY = itemgetter(1, 2, 5)
_KIND = itemgetter(1)


def _check_one_per_record(rows: list[Outcome], ids: list[Any], default_kind: str) -> None:
    """Raise :class:`_Malformed` when two of ``rows`` are for one record (or one group, or the kind as a whole).

    A rule gives one outcome per record, its problems in one message (docs/plugins.md): waivers, baselines
    and ``capcheck diff`` tell findings apart by their fingerprint (rule, kind, record id, group), which two
    outcomes of one record share. Only the listed non-passes are checked here (a pass beside one of them is
    :func:`_check_passes_apart`'s to find). ``ids`` are the rows' record ids, their types checked
    (:func:`_check_fields`): when they are distinct one set of them is the whole cost; else (groups, rule-wide
    outcomes, a rule reading several kinds) a set of the rows' identities decides. (Rows in the findings'
    order are not asked: see _collect.)
    """
    if len(set(ids)) == len(ids):
        return
    kinds = set(map(_KIND, rows))
    if len(set(map(_IDENTITY, rows))) == len(rows) and not (None in kinds and default_kind in kinds):
        return  # distinct, and no row leaves its kind to the rule's first (which another row names)
    seen: dict[tuple[str | None, str | None, str | None], Outcome] = {}
    for o in rows:
        first = seen.setdefault((o.kind or default_kind, o.record_id, o.group), o)
        if first is not o:
            what = _what((o.kind or default_kind, o.record_id, o.group))
            raise _Malformed(
                f"the rule yielded two outcomes for {what} ({first.status._value_}: {first.message!r:.60}, then "
                f"{o.status._value_}: {o.message!r:.60}); a rule gives one outcome per record (and group), its "
                "problems in one message"
            )


def _check_passes_apart(
    outcomes: list[Outcome | PassedRecords],
    batches: list[list[str]],
    lone: int,
    judged_ids: list[Any],
    default_kind: str,
) -> None:
    """Raise :class:`_Malformed` when a record the rule passed it also failed (or skipped, or errored): the summary
    would count it twice, the scorecard judge it twice, and with ``--include-passed`` two findings share a fingerprint.

    Asked only of a rule that yields both passes and listed non-passes (``judged_ids``, their record ids), at C
    speed: a set of the smaller side, the other tested against it with ``isdisjoint``. The passes are the ids of
    ``batches`` (each PassedRecords') and of the ``lone`` pass outcomes among ``outcomes``. Record ids apart
    decide; ids shared send the rule to :func:`_first_passed_twice`, which compares kind and group as well.
    """
    # One PassedRecords and nothing else (a declarative rule): its list as it is, without a chain's call per id.
    passed: Iterable[Any] = batches[0] if len(batches) == 1 and not lone else chain.from_iterable(batches)
    if lone:  # pass outcomes (ctx.passed) among the rest; a PassedRecords' first field is its kind, never a status
        pass_rows = compress(outcomes, map(is_, map(_STATUS, outcomes), repeat(_PASS)))
        passed = chain(passed, map(_RECORD_ID, pass_rows))
    try:
        if lone + sum(map(len, batches)) < len(judged_ids):
            apart = set(passed).isdisjoint(judged_ids)
        else:
            apart = set(judged_ids).isdisjoint(passed)
    except Exception:  # an unhashable id among the passes (only counted, so never type-checked): ask one by one
        apart = False
    if not apart:
        _first_passed_twice(outcomes, default_kind)


def _first_passed_twice(outcomes: list[Outcome | PassedRecords], default_kind: str) -> None:
    """Raise :class:`_Malformed` naming the first record (or group) the rule both passed and listed otherwise,
    in the order it yielded them; return when record ids were shared but kinds or groups differ."""
    judged: dict[tuple[str, Any, Any], Outcome] = {}
    passed: dict[tuple[str, Any, Any], Outcome] = {}
    for outcome in outcomes:
        if type(outcome) is PassedRecords:
            rows: Iterable[Outcome] = (Outcome(_PASS, outcome.kind, record_id) for record_id in outcome.record_ids)
        else:
            rows = (cast(Outcome, outcome),)
        for o in rows:
            mine, other = (passed, judged) if o.status is _PASS else (judged, passed)
            try:
                key = (o.kind or default_kind, o.record_id, o.group)
                first = other.get(key)
                mine.setdefault(key, o)
            except Exception:  # an unhashable pass id (never type-checked): it is no listed record's
                continue
            if first is not None:
                raise _Malformed(
                    f"the rule yielded two outcomes for {_what(key)} ({first.status._value_}: "
                    f"{first.message!r:.60}, then {o.status._value_}: {o.message!r:.60}); a rule gives one outcome "
                    "per record (and group), passed or not"
                )


def _what(key: tuple[str, Any, Any]) -> str:
    """How an error message names an outcome's (kind, record id, group): a record, a group or a kind as a whole."""
    kind, record_id, group = key
    if record_id is not None:
        return f"record {_shown(repr, record_id):.80} of {kind!r}"
    if group is not None:
        return f"group {_shown(repr, group):.80} of {kind!r}"
    return f"{kind!r} as a whole"


def _check_kinds(rows: list[Outcome], declared: Sequence[str]) -> None:
    """Raise :class:`_Malformed` when a listed pass or fail judges a record or group of a kind the rule does not
    declare: it read evidence its ``kinds`` do not name, so it was not skipped without it, and its finding would
    have named the wrong kind. (A skip or an error may name any kind: it judges nothing.)"""
    undeclared = set(map(_KIND, rows)).difference(declared, (None,))  # at C speed: nearly always empty
    judged = {o[1] for o in rows if o[1] in undeclared and o[0] in _JUDGED} if undeclared else ()
    if judged:
        kind = min(judged, key=str)  # the same one named at every run
        raise _Malformed(
            f"the rule yielded an outcome for kind {_shown(repr, kind):.80}, which it does not declare "
            f"(kinds: {', '.join(declared)}): name every kind a rule reads in kinds= or any_of="
        )


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except Exception:  # a hash that raises is the rule's own code: the value is refused all the same
        return False
    return True


def _wrong(name: str, value: object, wanted: str, what: str = "an outcome") -> str:
    """The error finding's message for a value of the wrong type (its repr cut short: it may be huge)."""
    shown = "None" if value is None else f"{type(value).__name__} {_shown(repr, value):.60}"
    return f"the rule yielded {what} whose {name} is {shown}, not {wanted}"


def _outcomes(r: Rule, evidence: EvidenceSet, ctx: RuleContext, debug: bool) -> list[Outcome | PassedRecords]:
    """Run one rule, isolated: absent evidence is a skip, an exception an error, nothing a skip."""
    meta = r.meta
    missing = [k for k in meta.required_kinds if not evidence.has(k)]
    if missing:
        return [Outcome(Status.SKIP, k, None, f"insufficient evidence: no {k!r} evidence was given") for k in missing]
    if meta.any_of and not any(evidence.has(k) for k in meta.any_of):
        wanted = " or ".join(repr(k) for k in meta.any_of)
        return [Outcome(Status.SKIP, meta.any_of[0], None, f"insufficient evidence: no {wanted} evidence was given")]
    try:
        outcomes = list(r.check(evidence, ctx))
    except UndeclaredKind as exc:  # the same outcome whichever kinds the process running the rule holds
        if exc.columns:
            message = (
                f"the rule read {exc.kind!r} evidence beyond the columns it declares of it ({', '.join(exc.columns)}):"
                " declare the columns it reads, or drop them from its columns to read the kind's records"
            )
        else:
            declared = ", ".join(repr(k) for k in meta.seen_kinds)
            message = (
                f"the rule read {exc.kind!r} evidence, which it does not declare (it declares {declared}): "
                "add the kind to its kinds, or to its reads if the rule can run without it"
            )
        return [Outcome(Status.ERROR, meta.kinds[0], None, message)]
    # A rule's own failure must not stop the other rules; nor may its sys.exit() end the run (exit 0, no
    # output: a green build). KeyboardInterrupt is the user's, and still stops the run.
    except (Exception, SystemExit) as exc:
        message = f"the rule raised {type(exc).__name__}: {_shown(str, exc)}"
        if debug:
            message += "\n" + "".join(traceback.format_exception(exc))
        return [Outcome(Status.ERROR, meta.kinds[0], None, message)]
    for outcome in outcomes:
        if type(outcome) is not Outcome and type(outcome) is not PassedRecords:
            message = (
                f"the rule yielded {type(outcome).__name__} {_shown(repr, outcome):.60}, not an outcome "
                "(make outcomes with ctx.passed, ctx.failed, ctx.skipped ...)"
            )
            return [Outcome(Status.ERROR, meta.kinds[0], None, message)]
    return outcomes


def _shown(render: Callable[[object], str], value: object) -> str:
    """``str`` or ``repr`` of a rule's value for an error message; a rule's ``__str__``/``__repr__`` that raises
    (its own code) gives a fixed stand-in, so the error finding is still made and the same at every run."""
    try:
        return render(value)
    except Exception as exc:
        return f"<{render.__name__}() raised {type(exc).__name__}>"
