"""The engine: run the selected rules over the evidence set and collect findings.

Each rule runs on its own: a rule that raises becomes one ``error`` finding and the others
still run; a rule whose evidence kinds are absent gives a ``skip`` finding ("insufficient
evidence"), never a pass. Passing findings are counted always and kept only when asked for
(``include_passed``): on large registers they are most of the outcomes.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from capcheck.evidence import EvidenceSet
from capcheck.models import EvidenceRef, Finding, Outcome, PassedRecords, Severity, Status, Summary, fingerprint
from capcheck.rules import Rule, RuleContext

__all__ = ["Evaluation", "evaluate"]

_PASS = Status.PASS


@dataclass
class Evaluation:
    """The findings of one evaluation, sorted, with counts of every status (passes included)."""

    findings: list[Finding] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)


def evaluate(
    rules: Sequence[Rule],
    evidence: EvidenceSet,
    *,
    as_of: date,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    severities: Mapping[str, Severity] | None = None,
    include_passed: bool = False,
    debug: bool = False,
) -> Evaluation:
    """Evaluate ``rules`` over ``evidence`` as of ``as_of``.

    :param options: per rule id, option values that override the rule's defaults.
    :param severities: per rule id, a severity that overrides the rule's own.
    :param include_passed: keep passing findings (they are always counted).
    :param debug: put the traceback of a raising rule in its error finding.
    """
    options = options or {}
    severities = severities or {}
    result = Evaluation()
    for r in rules:
        meta = r.meta
        merged = {**meta.options, **options.get(meta.id, {})}
        ctx = RuleContext(meta, evidence, as_of, merged)
        emit = _Emitter(r, severities.get(meta.id, meta.severity), evidence, result, include_passed)
        for outcome in _outcomes(r, evidence, ctx, debug):
            emit(outcome)
        if not emit.judged:
            emit(Outcome(Status.SKIP, meta.kinds[0], None, "no records in the rule's scope"))
        emit.flush()
    result.findings.sort(key=Finding.sort_key)
    return result


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
    except Exception as exc:  # a rule's own failure must not stop the other rules
        message = f"the rule raised {type(exc).__name__}: {exc}"
        if debug:
            message += "\n" + "".join(traceback.format_exception(exc))
        return [Outcome(Status.ERROR, meta.kinds[0], None, message)]
    for outcome in outcomes:
        if type(outcome) is not Outcome and type(outcome) is not PassedRecords:
            message = (
                f"the rule yielded {type(outcome).__name__} {outcome!r:.60}, not an outcome "
                "(make outcomes with ctx.passed, ctx.failed, ctx.skipped ...)"
            )
            return [Outcome(Status.ERROR, meta.kinds[0], None, message)]
    return outcomes


def _group_file(evidence: EvidenceSet, kind: str, related: tuple[EvidenceRef, ...]) -> str | None:
    """The file a group's (or a whole kind's) finding names: where its related records of the kind are
    (the first of them when they span several files; each related record names its own), else the
    kind's file when it came from one file; None when it came from several and no record says which."""
    for ref in related:
        if ref.kind == kind and ref.file is not None:
            return ref.file
    files = {f.path for f in evidence.files if f.kind == kind}
    return files.pop() if len(files) == 1 else None


class _Emitter:
    """Turns one rule's outcomes into findings (adding provenance) and counts them."""

    __slots__ = ("counts", "evidence", "include_passed", "judged", "meta", "passes", "result", "rule", "severity")

    def __init__(
        self, r: Rule, severity: Severity, evidence: EvidenceSet, result: Evaluation, include_passed: bool
    ) -> None:
        self.rule = r
        self.meta = r.meta
        self.severity = severity
        self.evidence = evidence
        self.result = result
        self.include_passed = include_passed
        # Keyed by the status's string: an Enum's __hash__ is Python code, a str's is not.
        self.counts: dict[str, int] = {}
        self.passes = 0
        #: How many outcomes (of any status) the rule gave: none means nothing was in its scope.
        self.judged = 0

    def flush(self) -> None:
        """Add this rule's counts to the summary."""
        self.counts[Status.PASS.value] = self.counts.get(Status.PASS.value, 0) + self.passes
        for status, n in self.counts.items():
            if n:
                self.result.summary.add(Status(status), self.severity, self.meta.area, n, rule_id=self.meta.id)
        self.counts = {}
        self.passes = 0

    def __call__(self, outcome: Outcome | PassedRecords) -> None:
        if type(outcome) is PassedRecords:
            self.judged += len(outcome.record_ids)
            if self.include_passed:
                for record_id in outcome.record_ids:
                    self(Outcome(_PASS, outcome.kind, record_id))
            else:
                self.passes += len(outcome.record_ids)
            return
        outcome = cast(Outcome, outcome)  # _outcomes let only outcomes through: no check per outcome here
        self.judged += 1
        status = outcome.status
        if status is _PASS:
            self.passes += 1
            if not self.include_passed:
                return
        else:
            # `_value_` is a plain attribute; `.value` and hashing an Enum run Python code per call.
            key = status._value_
            self.counts[key] = self.counts.get(key, 0) + 1
        meta = self.meta
        kind = outcome.kind or meta.kinds[0]
        related = tuple(self.evidence.ref(k, i) for k, i in outcome.related)
        if outcome.record_id is not None:
            ref = self.evidence.ref(kind, outcome.record_id)
        else:
            ref = EvidenceRef(kind=kind, file=_group_file(self.evidence, kind, related))
        message = outcome.message or (meta.title if outcome.status is Status.PASS else "")
        self.result.findings.append(
            Finding(
                rule_id=meta.id,
                rule_version=meta.version,
                status=outcome.status,
                severity=self.severity,
                area=meta.area,
                title=meta.title,
                message=message,
                remediation=meta.remediation,
                evidence=ref,
                related=related,
                group=outcome.group,
                fingerprint=fingerprint(meta.id, kind, outcome.record_id, outcome.group),
            )
        )
