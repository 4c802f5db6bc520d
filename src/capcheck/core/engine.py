"""The engine: run the selected rules over the evidence set and keep their outcomes, compact.

Each rule runs on its own: a rule that raises becomes one ``error`` finding and the others
still run; a rule whose evidence kinds are absent gives a ``skip`` finding ("insufficient
evidence"), never a pass. Passing findings are counted always and kept only when asked for
(``include_passed``): on large registers they are most of the outcomes. What is kept is each
rule's ``Outcome`` tuples (:class:`~capcheck.core.outcomes.RuleOutcomes`); findings are made from
them only when a reporter reads them (:class:`~capcheck.core.outcomes.Findings`).

A rule declared per record (``RuleMeta.per_record``) is held to it: an outcome that is not about one record of its
first kind is one ``error``. Such a rule may be judged over ranges of its records apart (:func:`evaluate_range`)
and the results merged (:func:`merge_blocks`) into what one evaluation of them all gives.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, compress, repeat
from operator import is_, itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from capcheck.core.evidence import EvidenceSet, UndeclaredKind
from capcheck.core.models import Outcome, PassedRecords, Severity, Status, Summary
from capcheck.core.outcomes import Findings, RuleOutcomes, in_order
from capcheck.core.rules import Rule, RuleContext

if TYPE_CHECKING:
    from capcheck.app.progress import Progress

__all__ = [
    "JUDGED",
    "UNJUDGED",
    "Evaluation",
    "Judged",
    "StatusCounts",
    "add_rule",
    "evaluate",
    "evaluate_range",
    "evaluate_rule",
    "judged_nothing",
    "merge_blocks",
]

_PASS = Status.PASS
_STATUS = itemgetter(0)
_RECORD_ID = itemgetter(2)
_RELATED = itemgetter(4)
_GROUP = itemgetter(5)
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
    and their blocks added to one :class:`Evaluation` in the rules' order, with the same result. A rule whose
    outcomes nothing was in the scope of gives one ``skip``: "no records in the rule's scope".
    """
    judged = evaluate_range(
        r, evidence, as_of=as_of, options=options, severities=severities, include_passed=include_passed, debug=debug
    )
    return _finish(judged.block, judged.counts)


#: :attr:`Judged.stop` of a rule's own outcomes, kept.
JUDGED = 0
#: :attr:`Judged.stop` of a rule not called for want of a kind it needs (its skips name what is missing): the
#: same over any range of its records, since the kinds given do not depend on the range.
UNJUDGED = 1
# Why the engine replaced a rule's outcomes by one error (the other stops), in the order one evaluation meets
# them: it stops at the first, so merging ranges keeps the lowest stop, of the earliest range at that stop.
_RAISED = 10  # the rule raised (or read a kind it does not declare) as it ran
_YIELDED = 11  # it yielded something not an outcome
_LOOP = 12  # an outcome _collect cannot count (a status not a Status, a PassedRecords' ids not a list)
_STATUSES = 13  # a status a rule may not yield
_FIELD_TYPES = 14  # a listed row's field of the wrong type (this + the field's position in _FIELDS, then related)
_ONE = 20  # two listed outcomes for one record (or group)
_APART = 21  # a record both passed and listed otherwise
_PER_RECORD = 22  # an outcome a per-record rule may not yield (a group's, another kind's, naming no record)
_KINDS = 23  # a pass or fail of a kind the rule does not declare


class Judged(NamedTuple):
    """One rule judged over some records (:func:`evaluate_range`), not finalised: what :func:`merge_blocks` joins.

    ``counts`` is empty when nothing was in the rule's scope (:func:`evaluate_rule` then adds the skip saying
    so). ``stop`` is :data:`JUDGED` for the rule's own outcomes, :data:`UNJUDGED` when a kind it needs was not
    given, and higher when the engine replaced its outcomes by one ``error`` (a raising rule, a malformed
    outcome): which check stopped it, in the order one evaluation meets them.
    """

    block: RuleOutcomes
    counts: StatusCounts
    stop: int = JUDGED


def evaluate_range(
    r: Rule,
    evidence: EvidenceSet,
    *,
    as_of: date,
    options: Mapping[str, Mapping[str, Any]],
    severities: Mapping[str, Severity],
    include_passed: bool = False,
    debug: bool = False,
) -> Judged:
    """:func:`evaluate_rule` without its last step: nothing in the rule's scope is an empty ``counts``, no skip.

    For a per-record rule (``RuleMeta.per_record``) judged over ranges of its records, each range's evidence
    holding one range of its first kind's records (and its columns and ``reads`` kinds whole): the ranges'
    results, in range order, give :func:`merge_blocks` what :func:`evaluate_rule` gives over all the records.
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
    outcomes, stop = _outcomes(r, evidence, ctx, debug)
    try:
        per_record = meta.kinds[0] if meta.per_record and stop == JUDGED else None  # the engine's own rows are not
        counts = _collect(outcomes, block, include_passed, per_record)
        _check_kinds(block.rows, meta.kinds)
    except _Malformed as exc:  # the rule's outcomes cannot be reported as they are: one error says why
        block.rows[:] = [Outcome(Status.ERROR, meta.kinds[0], None, str(exc))]
        block.ordered = True  # one row: in order, however the rows it replaced were
        counts = {Status.ERROR.value: 1}
        stop = exc.stop
    return Judged(block, counts, stop)


def judged_nothing(blocks: Iterable[RuleOutcomes]) -> set[str]:
    """The ids of the rules skipped whole: every row a skip of no record and no group (the engine's for a kind not
    given or nothing in scope, or the rule's own for all it reads). A skip of a record or a group is something in
    the rule's scope it could not judge (the scorecard counts it as missing evidence: not the same)."""
    return {block.rule_id for block in blocks if block.skipped_whole()}


def _finish(block: RuleOutcomes, counts: StatusCounts) -> tuple[RuleOutcomes, StatusCounts]:
    """The block and counts as :func:`evaluate_rule` gives them: a rule with nothing in its scope skipped."""
    if not sum(counts.values()):  # nothing was in the rule's scope
        block.rows.append(Outcome(Status.SKIP, block.default_kind, None, "no records in the rule's scope"))
        counts = {Status.SKIP.value: 1}
    return block, counts


_UNSETTLED = frozenset({Status.WAIVED, Status.BASELINED})


def merge_blocks(parts: Sequence[Judged]) -> tuple[RuleOutcomes, StatusCounts]:
    """One rule's results over consecutive ranges of its records (:func:`evaluate_range`, in range order) as
    :func:`evaluate_rule` gives them over all the records at once. Only a per-record rule's results merge so
    (``RuleMeta.per_record``); for any other the merge is not what one evaluation gives (INFRA-003's share per
    environment: each range's groups, not the register's).

    - The rows are joined in range order and the counts added: the rows one evaluation gives, the same in the
      findings' order (the rule's own order may differ where it yields its passes after its failures). The block
      is ``ordered`` exactly when the joined rows are in the findings' order (:func:`~capcheck.core.outcomes.in_order`).
    - Nothing in the rule's scope in any range: the one skip "no records in the rule's scope".
    - An error in any range: one evaluation stops at the first problem it meets and keeps nothing else, so the
      result is the error of the lowest :attr:`Judged.stop`, of the earliest range at it, with counts {error: 1}.
    - A kind it needs not given (:data:`UNJUDGED`, so in every range): the first range's skips.

    The blocks must be as the engine made them: unsettled (no waivers, no ``waived`` or ``baselined`` rows), no
    reporter segments, all of one rule; else :class:`ValueError`. The result may be one of the given blocks.
    """
    if not parts:
        raise ValueError("merge_blocks: no blocks to merge")
    first = parts[0].block
    constants = _constants(first)
    for part in parts:
        block = part.block
        if _constants(block) != constants:
            raise ValueError(f"merge_blocks: blocks of different rules ({first.rule_id}, {block.rule_id})")
        if block.waivers or block.segments or not _UNSETTLED.isdisjoint(map(_STATUS, block.rows)):
            raise ValueError(f"merge_blocks: {block.rule_id}'s blocks must be unsettled, without segments")
    unjudged = [part.stop == UNJUDGED for part in parts]
    if any(unjudged):
        if not all(unjudged):
            raise ValueError(f"merge_blocks: {first.rule_id} was given its kinds in some ranges only")
        return first, dict(parts[0].counts)
    stopped = [(part.stop, i) for i, part in enumerate(parts) if part.stop != JUDGED]
    if stopped:
        part = parts[min(stopped)[1]]
        return part.block, dict(part.counts)
    merged = RuleOutcomes(*constants)
    rows = merged.rows
    counts: StatusCounts = {}
    ordered, last = True, None  # the findings' order holds across the joins (last: the previous rows' last)
    for part in parts:
        for status, n in part.counts.items():
            counts[status] = counts.get(status, 0) + n
        block = part.block
        if not block.rows:
            continue
        head = block.rows[0]
        if ordered:  # both blocks in order: their rows are of one kind each, with str ids
            ordered = block.ordered and (
                last is None
                or (
                    (last.kind or first.default_kind) == (head.kind or first.default_kind)
                    and cast(str, last.record_id) < cast(str, head.record_id)
                )
            )
        last = block.rows[-1]
        rows.extend(block.rows)
    merged.ordered = ordered and last is not None  # no rows: not in order (in_order of nothing is false)
    return _finish(merged, counts)


def _constants(block: RuleOutcomes) -> tuple[str, str, Severity, str, str, str, str]:
    """A block's fields every block of its rule shares, in :class:`RuleOutcomes`' order."""
    return (
        block.rule_id,
        block.rule_version,
        block.severity,
        block.area,
        block.title,
        block.remediation,
        block.default_kind,
    )


def add_rule(result: Evaluation, block: RuleOutcomes, counts: StatusCounts) -> None:
    """Add one rule's block and counts to ``result`` (rules are added in the order they were selected)."""
    for status, n in counts.items():
        if n:
            result.summary.add(Status(status), block.severity, block.area, n, rule_id=block.rule_id)
    result.outcomes.append(block)


class _Malformed(Exception):
    """A rule yielded an outcome whose values cannot be reported (the message says which and why); ``stop``
    says which check found it (:class:`Judged`)."""

    def __init__(self, message: str, stop: int) -> None:
        super().__init__(message)
        self.stop = stop


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


def _collect(
    outcomes: list[Outcome | PassedRecords], block: RuleOutcomes, include_passed: bool, per_record: str | None = None
) -> dict[str, int]:
    """Keep in ``block`` the rows to list (every non-pass; passes only with ``include_passed``) and count every
    status; mark the block ordered when its rows are in the findings' order as they are (:func:`in_order`).

    Counts are keyed by the status's string: an Enum's ``__hash__`` is Python code, a str's is not.
    Raises :class:`_Malformed` when an outcome's status is not one a rule yields, a listed row holds
    a value of the wrong type (:func:`_check_fields`), two listed non-passes are for one record
    (:func:`_check_one_per_record`), a record is both passed and listed otherwise (:func:`_check_passes_apart`),
    or, for a per-record rule (``per_record``: its kind), an outcome is not about one record of that kind
    (:func:`_check_per_record`), passes that are only counted included.
    """
    rows = block.rows
    counts: dict[str, int] = {}
    passes = 0
    batches: list[list[str]] = []  # the record ids of each PassedRecords: few per rule
    batch_kinds: list[Any] = []  # and the kind of each
    for outcome in outcomes:
        if type(outcome) is PassedRecords:
            if type(outcome.record_ids) is not list:  # made by hand (ctx.passed_records makes a list)
                raise _Malformed(_wrong("record ids", outcome.record_ids, "a list of str", "passed records"), _LOOP)
            batches.append(outcome.record_ids)
            batch_kinds.append(outcome.kind)
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
                raise _Malformed(_wrong("status", status, "a Status"), _LOOP) from None
        rows.append(outcome)
    if not counts.keys() <= _YIELDABLE:  # checked once per rule, not per outcome
        bad = next(o.status for o in rows if type(o.status) is not Status or o.status._value_ not in _YIELDABLE)
        wanted = "pass, fail, skip or error (waivers and the baseline give the others)"
        raise _Malformed(_wrong("status", bad, wanted if type(bad) is Status else "a Status"), _STATUSES)
    ids, kinds, groups = _check_fields(rows)
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
    if per_record is not None:
        lone = None if include_passed else passes - sum(map(len, batches))
        _check_per_record(outcomes, ids, kinds, groups, batch_kinds, per_record, lone)
    if passes:
        counts[_PASS._value_] = passes
    return counts


def _check_fields(rows: list[Outcome]) -> tuple[list[Any], set[Any], set[Any]]:
    """Raise :class:`_Malformed` unless each listed row's fields have the types reporters rely on; return
    the rows' record ids (the first column checked: :func:`_check_one_per_record` reads them again), and the
    sets of their kinds and groups (:func:`_check_per_record` reads them).

    Column by column at C speed (a set of the types in each), so a rule's thousands of rows cost no
    Python code each; only the rows listed are checked (a pass not listed is only counted, and shows
    nothing). Exact types: a str subclass (an enum, a markup string) could change how a value prints.
    """
    ids = list(map(_RECORD_ID, rows))
    values: Any = ()
    sets: list[set[Any]] = []  # of the kinds and the groups
    for i, (name, get, allowed, wanted) in enumerate(_FIELDS):
        try:
            values = ids if i == 0 else map(get, rows) if i < 2 else set(map(get, rows))
            if i in (2, 3):
                sets.append(values)
            ok = set(map(type, values)) <= allowed
        except Exception:  # an unhashable value (or a hash that raises: the rule's own code): not one allowed
            ok = False
        if not ok:
            bad = next(v for v in map(get, rows) if type(v) not in allowed or not _hashable(v))
            raise _Malformed(_wrong(name, bad, wanted), _FIELD_TYPES + i)
    pairs = list(chain.from_iterable(values))  # the set of the rows' distinct related tuples
    if pairs and not (
        set(map(type, pairs)) <= _TUPLE and set(map(len, pairs)) == {2} and set(map(type, chain(*pairs))) <= _STR
    ):
        bad = next(p for p in pairs if type(p) is not tuple or len(p) != 2 or {type(p[0]), type(p[1])} != {str})
        raise _Malformed(_wrong("related record", bad, "a (kind, record id) pair of str"), _FIELD_TYPES + len(_FIELDS))
    return ids, sets[0], sets[1]


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
                "problems in one message",
                _ONE,
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
                    "per record (and group), passed or not",
                    _APART,
                )


def _check_per_record(
    outcomes: list[Outcome | PassedRecords],
    ids: list[Any],
    kinds: set[Any],
    groups: set[Any],
    batch_kinds: list[Any],
    kind: str,
    lone: int | None,
) -> None:
    """Raise :class:`_Malformed` when a per-record rule (of ``kind``) yielded an outcome that is not about one
    record of its kind: a group's, another kind's, or one naming no record (a skip for the kind as a whole). Such
    an outcome depends on more than one record, so judging the kind's records in ranges would change it.

    ``ids``, ``kinds`` and ``groups`` are the listed rows' record ids and sets of kinds and groups (from
    :func:`_check_fields`), ``batch_kinds`` each ``PassedRecords``' kind;
    ``lone``, when passes are not listed, how many pass outcomes (``ctx.passed``) are among ``outcomes``, None
    when they are. Asked at C speed of the rows, the passes that are only counted and the kinds; the outcomes
    are read one by one only when something is wrong, to name the first the rule yielded (the one the range
    holding it would name).
    """
    try:
        fine = kinds <= {None, kind} and groups <= {None} and None not in ids and all(k == kind for k in batch_kinds)
        if fine and lone:
            passes = list(compress(outcomes, map(is_, map(_STATUS, outcomes), repeat(_PASS))))
            fine = (
                set(map(_KIND, passes)) <= {None, kind}
                and not any(map(_GROUP, passes))
                and None not in map(_RECORD_ID, passes)
            )
    except Exception:  # a value whose hash or comparison raises (the rule's own code): looked at one by one
        fine = False
    if fine:
        return
    for o in outcomes:
        why = _not_per_record(o, kind)
        if why is not None:
            raise _Malformed(
                f"the rule yielded {why}, but it is declared per_record: a per-record rule yields one outcome per "
                f"record of {kind!r}, each about that record alone (no group, no other kind, no outcome naming no "
                "record); drop per_record=True, or judge each record on its own",
                _PER_RECORD,
            )


def _not_per_record(outcome: Outcome | PassedRecords, kind: str) -> str | None:
    """What, in ``outcome``, a per-record rule of ``kind`` may not yield (as the error names it), or None."""
    if type(outcome) is PassedRecords:
        return None if outcome.kind == kind else f"passed records of kind {_shown(repr, outcome.kind):.80}"
    o = cast(Outcome, outcome)
    status, found, record_id, group = o.status, o.kind, o.record_id, o.group
    shown = _shown(str, getattr(status, "_value_", status))
    if group is not None:
        return f"a {shown} for group {_shown(repr, group):.80} of {_shown(repr, found or kind):.80}"
    if found is not None and found != kind:
        return f"a {shown} for a record of kind {_shown(repr, found):.80}"
    if record_id is None:
        return f"a {shown} naming no record ({_shown(repr, o.message):.60})"
    return None


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
            f"(kinds: {', '.join(declared)}): name every kind a rule reads in kinds= or any_of=",
            _KINDS,
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


def _outcomes(
    r: Rule, evidence: EvidenceSet, ctx: RuleContext, debug: bool
) -> tuple[list[Outcome | PassedRecords], int]:
    """Run one rule, isolated: absent evidence is a skip, an exception an error (nothing is the caller's to skip).
    Also returns whose outcomes they are: the rule's (:data:`JUDGED`), else why the engine made them."""
    meta = r.meta
    missing = [k for k in meta.required_kinds if not evidence.has(k)]
    if missing:
        skips = [Outcome(Status.SKIP, k, None, f"insufficient evidence: no {k!r} evidence was given") for k in missing]
        return skips, UNJUDGED  # type: ignore[return-value]  # a list of Outcome is one of Outcome | PassedRecords
    if meta.any_of and not any(evidence.has(k) for k in meta.any_of):
        wanted = " or ".join(repr(k) for k in meta.any_of)
        why = f"insufficient evidence: no {wanted} evidence was given"
        return [Outcome(Status.SKIP, meta.any_of[0], None, why)], UNJUDGED
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
        return [Outcome(Status.ERROR, meta.kinds[0], None, message)], _RAISED
    # A rule's own failure must not stop the other rules; nor may its sys.exit() end the run (exit 0, no
    # output: a green build). KeyboardInterrupt is the user's, and still stops the run.
    except (Exception, SystemExit) as exc:
        message = f"the rule raised {type(exc).__name__}: {_shown(str, exc)}"
        if debug:
            message += "\n" + "".join(traceback.format_exception(exc))
        return [Outcome(Status.ERROR, meta.kinds[0], None, message)], _RAISED
    for outcome in outcomes:
        if type(outcome) is not Outcome and type(outcome) is not PassedRecords:
            message = (
                f"the rule yielded {type(outcome).__name__} {_shown(repr, outcome):.60}, not an outcome "
                "(make outcomes with ctx.passed, ctx.failed, ctx.skipped ...)"
            )
            return [Outcome(Status.ERROR, meta.kinds[0], None, message)], _YIELDED
    return outcomes, JUDGED


def _shown(render: Callable[[object], str], value: object) -> str:
    """``str`` or ``repr`` of a rule's value for an error message; a rule's ``__str__``/``__repr__`` that raises
    (its own code) gives a fixed stand-in, so the error finding is still made and the same at every run."""
    try:
        return render(value)
    except Exception as exc:
        return f"<{render.__name__}() raised {type(exc).__name__}>"
