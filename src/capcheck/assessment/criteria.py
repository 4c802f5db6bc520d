"""Criteria roll-up, the way the NCSC CAF judges contributing outcomes.

Each framework criterion a rule names (``caf-4.0:B4.d``), or an area lists as manual
(``capcheck-1:WORK-M1``), gets one of four statuses from its *parts* — the rules that judged
something for it, and a current attestation:

* a rule with a failing finding of ``high`` severity or above (``not_achieved_at``) is
  *not achieved*; a rule with only lower-severity failures is *partially achieved*; a rule with
  only passes is *achieved*; a rule with passes and skips (records or groups it could not judge:
  insufficient evidence) is *partially achieved*, shown met for only part of what it covers; a rule
  that raised counts as *not assessed*; a rule that judged nothing (only skips) is no part at all;
* an attestation counts from ``assessed_on`` (not after the as-of date) to ``expires_on``
  inclusive, but never more than ``valid_days`` after ``assessed_on`` (the day itself included; the
  same without ``expires_on``): an ``expires_on`` in 2999 must not make one assessment count for
  ever. Its outcome is a part.

The criterion takes its worst part: not achieved, then not assessed, then partially achieved, then
achieved. Strengths never offset a weakness. With no part it is *not assessed*; a manual
criterion without a current attestation is *not assessed* whatever else (unless a part is not
achieved).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from capcheck.core.dates import add_days
from capcheck.core.models import Severity
from capcheck.core.rules import is_missing, missing_words

__all__ = [
    "Attestation",
    "CriterionResult",
    "CriterionStatus",
    "RuleVerdict",
    "combine",
    "read_attestations",
    "roll_up",
    "rule_verdict",
]


class CriterionStatus(StrEnum):
    """A criterion's status, in the CAF's terms."""

    ACHIEVED = "achieved"
    PARTIALLY_ACHIEVED = "partially-achieved"
    NOT_ACHIEVED = "not-achieved"
    NOT_ASSESSED = "not-assessed"


#: Worst first: the order parts are combined in.
_WORST_FIRST = (
    CriterionStatus.NOT_ACHIEVED,
    CriterionStatus.NOT_ASSESSED,
    CriterionStatus.PARTIALLY_ACHIEVED,
    CriterionStatus.ACHIEVED,
)


def combine(parts: Iterable[CriterionStatus]) -> CriterionStatus:
    """The worst of ``parts`` (not assessed when there are none)."""
    present = set(parts)
    for status in _WORST_FIRST:
        if status in present:
            return status
    return CriterionStatus.NOT_ASSESSED


@dataclass(frozen=True)
class RuleVerdict:
    """One rule's counts and the status they give the criteria it names (None: it judged nothing)."""

    rule_id: str
    area: str
    severity: Severity
    passed: int
    failed: int
    skipped: int
    errors: int
    status: CriterionStatus | None

    def in_part(self) -> str:
        """Why a verdict with no failure is not achieved: `` (judged in part: 1 skipped)`` beside passes, `` (nothing
        judged: 3 skipped)`` with none; ``""`` when failures (or nothing but passes) decide it."""
        if self.status is None or self.failed or self.errors or not self.skipped:
            return ""
        return (
            f" (judged in part: {self.skipped} skipped)"
            if self.passed
            else f" (nothing judged: {self.skipped} skipped)"
        )

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "id": self.rule_id,
            "area": self.area,
            "severity": self.severity.value,
            "status": None if self.status is None else self.status.value,
            "passed": self.passed,
            "failed": self.failed,
            "skipped": self.skipped,
            "errors": self.errors,
        }


def rule_verdict(
    rule_id: str,
    area: str,
    counts: Mapping[str, Any] | None,
    not_achieved_at: Severity,
    *,
    ran: bool = True,
) -> RuleVerdict:
    """A rule's verdict from its counts in ``Summary.by_rule`` (None counts: it did not run).

    Records or groups the rule could not judge (skips: insufficient evidence) are missing evidence, and missing
    evidence never helps: beside passes the criterion is met for only part of what the rule covers (partially
    achieved); with nothing else, the rule could show nothing, and its criterion is not assessed, which counts
    against the area's share as a criterion with no evidence does. It was no part at all: a register given as OCDS
    releases (which cannot carry a contract's owner) had every contract skipped by COMM-001, and the criterion was
    left to the rules that passed. ``ran`` False: the rule could not run at all (a kind it needs was not given: the
    engine's skip, for the whole rule); it then judged nothing and is no part, and the area's sufficiency counts
    the register it lacks."""
    counts = counts or {}
    severity = Severity(counts.get("severity", Severity.INFO.value))
    failed = int(counts.get("fail", 0)) + int(counts.get("waived", 0)) + int(counts.get("baselined", 0))
    passed = int(counts.get("pass", 0))
    errors = int(counts.get("error", 0))
    skipped = int(counts.get("skip", 0))
    status: CriterionStatus | None
    if errors:
        status = CriterionStatus.NOT_ASSESSED
    elif failed:
        high = severity.rank >= not_achieved_at.rank
        status = CriterionStatus.NOT_ACHIEVED if high else CriterionStatus.PARTIALLY_ACHIEVED
    elif passed:
        # Skips beside the passes: part of what the rule covers could not be judged (a group too small, a field
        # the source cannot carry), so the criterion is shown met for only part of it, never achieved.
        status = CriterionStatus.PARTIALLY_ACHIEVED if skipped else CriterionStatus.ACHIEVED
    elif skipped and ran:
        status = CriterionStatus.NOT_ASSESSED  # it ran, and every record or group in scope lacked evidence
    else:
        status = None
    return RuleVerdict(rule_id, area, severity, passed, failed, skipped, errors, status)


@dataclass(frozen=True)
class Attestation:
    """One attestation record, and whether it counts on the as-of date (``state``)."""

    id: str
    criterion: str
    outcome: CriterionStatus
    assessor: str
    assessed_on: date
    last_day: date
    evidence_ref: str
    #: "current", "expired" (after last_day), "future" (assessed after the as-of date) or "incomplete" (it names
    #: no assessor or no evidence: a placeholder, ``TBC``, where one should be; it never counts).
    state: str
    #: The ``expires_on`` the record gives, when it is later than ``last_day`` (cut to the longest validity).
    cut_from: date | None = None
    #: Why an incomplete attestation does not count (``missing_words``: `` `assessor` "TBC" is a placeholder``).
    lacking: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "id": self.id,
            "criterion": self.criterion,
            "outcome": self.outcome.value,
            "assessor": self.assessor,
            "assessed_on": self.assessed_on.isoformat(),
            "last_day": self.last_day.isoformat(),
            "evidence_ref": self.evidence_ref,
            "state": self.state,
        }


def read_attestations(records: Iterable[Mapping[str, Any]], as_of: date, valid_days: int) -> list[Attestation]:
    """The attestation records (schema-valid), each with its state on ``as_of``, sorted by id.

    Each counts up to its ``expires_on``, and at most ``valid_days`` after ``assessed_on``: a later
    ``expires_on`` is cut to that day (``cut_from`` keeps it, so that the cut can be said)."""
    out: list[Attestation] = []
    for record in records:
        assessed = date.fromisoformat(str(record["assessed_on"])[:10])
        expires = record.get("expires_on")
        longest = add_days(assessed, valid_days)
        given = date.fromisoformat(str(expires)[:10]) if expires else None
        last_day = longest if given is None or given > longest else given
        # An assessment by nobody, on no evidence, is none: "TBC" as the assessor lifted a manual criterion as a
        # named one did (the placeholders are missing here as for the rules: core.rules.is_missing).
        lacking = tuple(
            missing_words(f, record.get(f)) for f in ("assessor", "evidence_ref") if is_missing(record.get(f))
        )
        if lacking:
            state = "incomplete"
        elif assessed > as_of:
            state = "future"
        elif as_of > last_day:
            state = "expired"
        else:
            state = "current"
        out.append(
            Attestation(
                id=str(record["id"]),
                criterion=str(record["criterion"]),
                outcome=CriterionStatus(record["outcome"]),
                assessor=str(record["assessor"]),
                assessed_on=assessed,
                last_day=last_day,
                evidence_ref=str(record["evidence_ref"]),
                state=state,
                cut_from=given if given is not None and given > last_day else None,
                lacking=lacking,
            )
        )
    out.sort(key=lambda a: a.id)
    return out


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's status, with the rules and attestations behind it."""

    ref: str
    title: str
    status: CriterionStatus
    manual: bool
    rules: tuple[RuleVerdict, ...]
    #: The attestation that counted (the latest current one), if any.
    attestation: Attestation | None
    #: Attestations for this criterion that did not count (expired, future, or superseded).
    ignored: tuple[Attestation, ...] = ()
    #: The status the organisation type's profile expects (None: no profile).
    expected: CriterionStatus | None = None
    areas: tuple[str, ...] = ()

    def behind(self) -> tuple[str, ...]:
        """What decided the status, for every output: each rule's verdict, rules that judged nothing, and the
        attestation that counted (or that a manual criterion has none)."""
        out = [f"{r.rule_id} {r.status.value}{r.in_part()}" for r in self.rules if r.status]
        idle = sum(1 for r in self.rules if not r.status)
        if idle:
            out.append(f"{idle} rule{'s' if idle > 1 else ''} judged nothing")
        if self.attestation is not None:
            att = self.attestation
            out.append(f"attested {att.id} ({att.outcome.value}, until {att.last_day.isoformat()})")
        elif self.manual:
            out.append("no current attestation")
        return tuple(out)

    @property
    def meets(self) -> bool | None:
        """Whether the status meets the profile's expectation (None: no expectation)."""
        if self.expected is None:
            return None
        return meets(self.status, self.expected)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (the ``criteria`` block of the findings document)."""
        framework, _, criterion = self.ref.partition(":")
        return {
            "id": self.ref,
            "framework": framework,
            "criterion": criterion,
            "title": self.title,
            "status": self.status.value,
            "mode": "manual" if self.manual else "automated",
            "areas": list(self.areas),
            "expected": None if self.expected is None else self.expected.value,
            "meets_profile": self.meets,
            "rules": [r.as_dict() for r in self.rules],
            "attestation": None if self.attestation is None else self.attestation.as_dict(),
            "ignored_attestations": [a.as_dict() for a in self.ignored],
        }


def meets(status: CriterionStatus, expected: CriterionStatus) -> bool:
    """Whether ``status`` is at least ``expected`` (achieved > partially achieved; the rest meet nothing)."""
    if status is CriterionStatus.ACHIEVED:
        return expected in (CriterionStatus.ACHIEVED, CriterionStatus.PARTIALLY_ACHIEVED)
    if status is CriterionStatus.PARTIALLY_ACHIEVED:
        return expected is CriterionStatus.PARTIALLY_ACHIEVED
    return False


def roll_up(
    ref: str,
    title: str,
    verdicts: Sequence[RuleVerdict],
    attestations: Sequence[Attestation],
    *,
    manual: bool,
    expected: CriterionStatus | None = None,
    areas: Sequence[str] = (),
) -> CriterionResult:
    """One criterion's result from the verdicts of the rules naming it and its attestations."""
    current = [a for a in attestations if a.state == "current"]
    chosen = max(current, key=lambda a: (a.assessed_on, a.id)) if current else None
    parts = [v.status for v in verdicts if v.status is not None]
    if chosen is not None:
        parts.append(chosen.outcome)
    status = combine(parts)
    if manual and chosen is None and status is not CriterionStatus.NOT_ACHIEVED:
        status = CriterionStatus.NOT_ASSESSED
    return CriterionResult(
        ref=ref,
        title=title,
        status=status,
        manual=manual,
        rules=tuple(sorted(verdicts, key=lambda v: v.rule_id)),
        attestation=chosen,
        ignored=tuple(a for a in attestations if a is not chosen),
        expected=expected,
        areas=tuple(sorted(areas)),
    )
