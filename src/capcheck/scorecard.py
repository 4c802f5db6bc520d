"""The maturity scorecard: a level from 1 (initial) to 5 (optimising) per capability area.

The method, each step configurable under ``[scorecard]`` in the config:

1. **Rule score.** For every rule that ran in the area, its pass rate over what it judged:
   ``passed / (passed + failed)`` of its findings (records, or groups for aggregate rules).
   Waived and baselined failures count as failures: accepting a risk does not remove it.
   A rule that judged nothing (only ``skip`` findings: insufficient evidence) has no score.
2. **Area score.** The mean of the rule scores weighted by each rule's severity
   (``weights``, default info 0.5, low 1, medium 2, high 3, critical 5).
3. **Level.** The highest level whose threshold the score reaches (``thresholds``, default
   level 2 at 0.50, 3 at 0.70, 4 at 0.85, 5 at 0.95; below 0.50 is level 1).
4. **Caps.** A failing finding of a severity in ``caps`` caps the level (default: any critical
   failure caps it at 2, any high failure at 3).
5. **Insufficient evidence.** If fewer than ``min_coverage`` (default 0.5) of the area's rules
   judged anything, or no rule did, the area gets no level: it is shown as *insufficient
   evidence*, never as a good score. An ``error`` finding in the area makes it *incomplete*.

A **gate** (``[scorecard] min_level = {"*" = 2, COMM = 3}`` or ``--min-level``) fails the run
(exit 1) when an area's level is below its minimum; an area with no level never meets a gate.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from pydantic import BaseModel, ConfigDict, Field, field_validator

from capcheck.models import Area, Severity, Summary

__all__ = ["LEVEL_NAMES", "AreaScore", "ScorecardConfig", "compute_scorecard", "gate_failures"]

LEVEL_NAMES = {1: "initial", 2: "developing", 3: "defined", 4: "managed", 5: "optimising"}


class ScorecardConfig(BaseModel):
    """How levels are derived (the ``[scorecard]`` config table)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    weights: dict[Severity, float] = Field(
        default_factory=lambda: {
            Severity.INFO: 0.5,
            Severity.LOW: 1.0,
            Severity.MEDIUM: 2.0,
            Severity.HIGH: 3.0,
            Severity.CRITICAL: 5.0,
        },
        description="Weight of a rule's score by its severity.",
    )
    thresholds: list[float] = Field(
        default_factory=lambda: [0.5, 0.7, 0.85, 0.95],
        min_length=4,
        max_length=4,
        description="The lowest area score for levels 2, 3, 4 and 5.",
    )
    caps: dict[Severity, int] = Field(
        default_factory=lambda: {Severity.CRITICAL: 2, Severity.HIGH: 3},
        description="A failure of this severity caps the area's level at this value.",
    )
    min_coverage: float = Field(default=0.5, ge=0.0, le=1.0, description="Share of rules that must judge something.")
    min_level: dict[str, int] = Field(
        default_factory=dict, description="Gate: area id (or '*') -> the lowest acceptable level, 1-5."
    )

    @field_validator("thresholds")
    @classmethod
    def _ascending(cls, value: list[float]) -> list[float]:
        if any(b <= a for a, b in itertools.pairwise(value)) or not all(0 < v <= 1 for v in value):
            raise ValueError("thresholds must rise strictly, each in (0, 1]")
        return value

    @field_validator("min_level", "caps")
    @classmethod
    def _levels(cls, value: dict[Any, int]) -> dict[Any, int]:
        for key, level in value.items():
            if not 1 <= level <= 5:
                raise ValueError(f"{key}: a level is 1 to 5, not {level}")
        return value

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: dict[Severity, float]) -> dict[Severity, float]:
        if any(w < 0 for w in value.values()):
            raise ValueError("weights cannot be negative")
        return value


@dataclass(frozen=True)
class AreaScore:
    """One area's row of the scorecard."""

    area: str
    title: str
    level: int | None
    status: str  # "scored" | "insufficient-evidence" | "incomplete" | "no-rules"
    score: float | None
    rules: int
    rules_judged: int
    passed: int
    failed: int
    skipped: int
    errors: int
    cap: str | None = None
    rule_scores: dict[str, float | None] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The level's name, or what stands in for it."""
        if self.level is not None:
            return LEVEL_NAMES[self.level]
        return self.status.replace("-", " ")

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (the ``scorecard`` block of the findings document)."""
        return {
            "area": self.area,
            "title": self.title,
            "level": self.level,
            "name": self.name,
            "status": self.status,
            "score": None if self.score is None else round(self.score, 4),
            "cap": self.cap,
            "rules": self.rules,
            "rules_judged": self.rules_judged,
            "passed": self.passed,
            "failed": self.failed,
            "skipped": self.skipped,
            "errors": self.errors,
        }


class _AreaFields(TypedDict):
    """The fields of an :class:`AreaScore` that do not depend on its status."""

    area: str
    title: str
    rules: int
    rules_judged: int
    passed: int
    failed: int
    skipped: int
    errors: int
    rule_scores: dict[str, float | None]


def compute_scorecard(
    summary: Summary, areas: Sequence[Area], rule_ids_by_area: Mapping[str, Sequence[str]], config: ScorecardConfig
) -> list[AreaScore]:
    """One :class:`AreaScore` per registered area, in area order."""
    rows: list[AreaScore] = []
    for area in sorted(areas, key=lambda a: (a.order, a.id)):
        rule_ids = sorted(rule_ids_by_area.get(area.id, ()))
        totals = {"pass": 0, "fail": 0, "waived": 0, "baselined": 0, "skip": 0, "error": 0}
        weighted = weight_sum = 0.0
        judged = 0
        cap: tuple[int, str] | None = None
        rule_scores: dict[str, float | None] = {}
        for rule_id in rule_ids:
            counts = summary.by_rule.get(rule_id)
            if counts is None:
                rule_scores[rule_id] = None
                continue
            for key in totals:
                totals[key] += counts.get(key, 0)
            severity = Severity(counts["severity"])
            failed = counts["fail"] + counts.get("waived", 0) + counts.get("baselined", 0)
            seen = counts["pass"] + failed
            if seen == 0:
                rule_scores[rule_id] = None
                continue
            judged += 1
            rate = counts["pass"] / seen
            rule_scores[rule_id] = rate
            weight = config.weights.get(severity, 1.0)
            weighted += rate * weight
            weight_sum += weight
            limit = config.caps.get(severity)
            if failed and limit is not None and (cap is None or limit < cap[0]):
                cap = (limit, f"a {severity.value} failure caps the level at {limit}")
        common: _AreaFields = {
            "area": area.id,
            "title": area.title,
            "rules": len(rule_ids),
            "rules_judged": judged,
            "passed": totals["pass"],
            "failed": totals["fail"] + totals["waived"] + totals["baselined"],
            "skipped": totals["skip"],
            "errors": totals["error"],
            "rule_scores": rule_scores,
        }
        if not rule_ids:
            rows.append(AreaScore(level=None, status="no-rules", score=None, **common))
        elif totals["error"]:
            rows.append(AreaScore(level=None, status="incomplete", score=None, **common))
        elif judged == 0 or judged / len(rule_ids) < config.min_coverage:
            rows.append(AreaScore(level=None, status="insufficient-evidence", score=None, **common))
        else:
            score = weighted / weight_sum if weight_sum else 0.0
            level = 1 + sum(1 for t in config.thresholds if score >= t)
            applied = None
            if cap is not None and cap[0] < level:
                level, applied = cap[0], cap[1]
            rows.append(AreaScore(level=level, status="scored", score=score, cap=applied, **common))
    return rows


def gate_failures(rows: Sequence[AreaScore], min_level: Mapping[str, int]) -> list[str]:
    """Messages for each area below its minimum level (``"*"`` is the default minimum)."""
    failures: list[str] = []
    default = min_level.get("*")
    for row in rows:
        wanted = min_level.get(row.area, default)
        if wanted is None or row.status == "no-rules":
            continue
        if row.level is None:
            failures.append(f"{row.area}: {row.name}, so it cannot meet the minimum level {wanted}")
        elif row.level < wanted:
            failures.append(f"{row.area}: level {row.level} ({row.name}) is below the minimum level {wanted}")
    return failures
