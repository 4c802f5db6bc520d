"""The scorecard: a level per capability area, derived from framework criteria and evidence sufficiency.

The method (docs/scorecard.md has worked examples), each threshold configurable under ``[scorecard]``:

1. **Sufficiency first.** An area whose registers (``rules/scorecard/areas.toml``) are absent, cover
   less than ``min_estate_coverage`` of the estate the organisation profile declares (counting records
   whose needed fields hold a value, not a placeholder such as ``TBC``), or where fewer than
   ``min_coverage`` of its rules judged anything, gets no level: *insufficient evidence*, with the
   figures. A rule that raised, or an area judged on only some of its rules (``--select``/``--ignore``),
   makes it *incomplete*.
2. **Criteria.** Each criterion the area's rules name, and each manual criterion it lists, is rolled
   up CAF-style (:mod:`capcheck.assessment.criteria`): achieved, partially achieved, not achieved, not assessed.
3. **Level** (compliance bands, not CMMI): 1 *below expectations* if any criterion is not achieved;
   else 5 *exemplary* when every criterion is achieved; else 4 *good* when at least
   ``achieved_shares[1]`` of them are, 3 *average* at ``achieved_shares[0]``, and 2 *basic* below that.
   Not-assessed criteria count against the share: missing evidence never helps.
4. **Caps.** No single plausible organisation profile (absent, several, or an implausible declared
   size), or a needed register with no declared size, caps every affected area at 2: coverage cannot
   be shown. A register under ``full_estate_coverage``, or a manual criterion with no current
   attestation, caps at 3: the top levels need coverage shown and every manual criterion attested.
5. **Profile.** Criteria are judged against the expected-achievement profile of the organisation's
   type (``rules/scorecard/profiles.toml``); the gaps are the improvement plan's starting point.

What can lift a level without the evidence improving is said in the scorecard's notes: the config's lowered
severities and changed options (:func:`rule_changes`), a method looser than the defaults
(:func:`method_loosened`), criteria only rules from outside the pack judge, attestations cut to the longest
validity, and registers larger than their declared estate.

A **gate** (``[scorecard] min_level = {"*" = 2, COMM = 3}`` or ``--min-level``) fails the run
(exit 1) when an area's level is below its minimum; an area with no level never meets a gate.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from capcheck.assessment.criteria import (
    Attestation,
    CriterionResult,
    CriterionStatus,
    RuleVerdict,
    read_attestations,
    roll_up,
    rule_verdict,
)
from capcheck.assessment.facts import FactsAsked, Fields, KindAsk, KindFacts
from capcheck.assessment.sufficiency import (
    ATTESTATIONS_KIND,
    ORGANISATION_KIND,
    ORGANISATION_TYPES,
    AreaNeeds,
    Bound,
    KindCoverage,
    OrganisationReading,
    Profile,
    ScorecardData,
    bundled_scorecard_data,
    kind_coverage,
    read_organisation,
)
from capcheck.core.models import Area, Framework, RuleMeta, RuleSource, Severity, Summary

__all__ = [
    "LEVEL_NAMES",
    "AreaScore",
    "Scorecard",
    "ScorecardConfig",
    "ScoredRule",
    "base_level",
    "compute_scorecard",
    "facts_asked",
    "gate_failures",
    "method_loosened",
    "rule_changes",
    "rule_origin",
]

#: What each level measures: how fully the area's criteria are achieved on evidence shown to cover the estate.
LEVEL_NAMES = {1: "below expectations", 2: "basic", 3: "average", 4: "good", 5: "exemplary"}
#: The cap when coverage cannot be shown (no, several or an implausible profile; an undeclared register).
UNSHOWN_COVERAGE_CAP = 2
#: The cap when coverage is partial or a manual criterion is not attested: the top levels need both.
TOP_LEVELS_CAP = 3
#: The most criteria a basis names.
_NAMED = 3


class ScorecardConfig(BaseModel):
    """How levels are derived (the ``[scorecard]`` config table)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_coverage: float = Field(
        default=0.5, ge=0.0, le=1.0, description="Share of an area's rules that must judge something."
    )
    min_estate_coverage: float = Field(
        default=0.5, ge=0.0, le=1.0, description="Below this share of its declared estate, a register is insufficient."
    )
    full_estate_coverage: float = Field(
        default=0.95, ge=0.0, le=1.0, description="Levels 4 and 5 need every register at or above this share."
    )
    achieved_shares: list[float] = Field(
        default_factory=lambda: [0.5, 0.75],
        min_length=2,
        max_length=2,
        description="The lowest share of an area's criteria achieved for levels 3 and 4.",
    )
    not_achieved_at: Severity = Field(
        default=Severity.HIGH, description="A failing rule of this severity or higher makes its criteria not achieved."
    )
    min_records: int = Field(
        default=30,
        ge=0,
        description="Levels above 2 need at least this many usable records in the registers an area needs.",
    )
    attestation_days: int = Field(
        default=365,
        ge=1,
        le=3660,
        description="The longest an attestation counts after assessed_on, in days (an earlier expires_on: sooner).",
    )
    max_evidence_age_days: int = Field(
        default=365,
        ge=1,
        le=3660,
        description="Levels above 2 need each register an area reads collected (collected_on) within this many "
        "days before the as-of date, and not after it.",
    )
    plausibility: dict[str, dict[str, Bound]] = Field(
        default_factory=dict,
        description="Per organisation type and kind, records per 1,000 staff {min, max}; over the bundled bounds.",
    )
    profiles: dict[str, Profile] = Field(
        default_factory=dict,
        description="Per organisation type, an expected-achievement profile replacing the bundled one.",
    )
    min_level: dict[str, int] = Field(
        default_factory=dict, description="Gate: area id (or '*') -> the lowest acceptable level, 1-5."
    )

    @field_validator("achieved_shares")
    @classmethod
    def _ascending(cls, value: list[float]) -> list[float]:
        if any(b <= a for a, b in itertools.pairwise(value)) or not all(0 < v <= 1 for v in value):
            raise ValueError("achieved_shares must rise strictly, each in (0, 1]")
        return value

    @field_validator("min_level")
    @classmethod
    def _levels(cls, value: dict[str, int]) -> dict[str, int]:
        for key, level in value.items():
            if not 1 <= level <= 5:
                raise ValueError(f"{key}: a level is 1 to 5, not {level}")
        return value

    @field_validator("plausibility", "profiles")
    @classmethod
    def _types(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if key not in ORGANISATION_TYPES:
                raise ValueError(f"{key!r} is not an organisation type ({', '.join(ORGANISATION_TYPES)})")
        return value

    def bounds(self, bundled: Mapping[str, Mapping[str, Bound]]) -> dict[str, dict[str, Bound]]:
        """The bundled plausibility bounds with this config's over them (per type, per kind)."""
        merged = {t: dict(b) for t, b in bundled.items()}
        for org_type, kinds in self.plausibility.items():
            merged.setdefault(org_type, {}).update(kinds)
        return merged


@dataclass(frozen=True)
class ScoredRule:
    """What the scorecard needs of a selected rule."""

    id: str
    area: str
    title: str
    kinds: tuple[str, ...]
    criteria: tuple[str, ...]
    #: What the config changed that can lift its criteria (:func:`rule_changes`), said beside the scorecard.
    changes: tuple[str, ...] = ()
    #: Where it comes from when not from capcheck's own pack (:func:`rule_origin`); None: the pack.
    origin: str | None = None

    @property
    def refs(self) -> tuple[str, ...]:
        """The criteria it stands for: its own, or (naming none) a criterion of its own, ``rule:<id>``."""
        return self.criteria or (f"rule:{self.id}",)


@dataclass(frozen=True)
class AreaScore:
    """One area's row of the scorecard."""

    area: str
    title: str
    level: int | None
    status: str  # "scored" | "insufficient-evidence" | "incomplete" | "no-rules"
    rules: int
    rules_judged: int
    passed: int
    failed: int
    skipped: int
    errors: int
    #: Why the level is what it is (the criteria behind it), or why there is none.
    basis: str = ""
    #: The binding cap's reason, when a cap lowered the level.
    cap: str | None = None
    #: Every cap that applies, as (level, reason), and every reason the evidence is insufficient.
    caps: tuple[tuple[int, str], ...] = ()
    insufficient: tuple[str, ...] = ()
    criteria: tuple[CriterionResult, ...] = ()
    coverage: tuple[KindCoverage, ...] = ()
    #: Per rule: (rule id, kind, records or groups judged, declared estate of the kind or None).
    judged: tuple[tuple[str, str, int, int | None], ...] = ()

    @property
    def name(self) -> str:
        """The level's name, or what stands in for it."""
        if self.level is not None:
            return LEVEL_NAMES[self.level]
        return self.status.replace("-", " ")

    def counts(self) -> dict[str, int]:
        """How many of the area's criteria have each status."""
        out = {s.value: 0 for s in CriterionStatus}
        for c in self.criteria:
            out[c.status.value] += 1
        return out

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (a row of the ``scorecard`` block of the findings document)."""
        return {
            "area": self.area,
            "title": self.title,
            "level": self.level,
            "name": self.name,
            "status": self.status,
            "basis": self.basis,
            "cap": self.cap,
            "caps": [{"level": lv, "reason": r} for lv, r in self.caps],
            "insufficient": list(self.insufficient),
            "criteria": self.counts(),
            "criteria_status": {c.ref: c.status.value for c in self.criteria},
            "coverage": [c.as_dict() for c in self.coverage],
            "judged": [
                {
                    "rule": r,
                    "kind": k,
                    "judged": n,
                    "declared": d,
                    "share": None if not d else round(min(1.0, n / d), 4),
                }
                for r, k, n, d in self.judged
            ],
            "rules": self.rules,
            "rules_judged": self.rules_judged,
            "passed": self.passed,
            "failed": self.failed,
            "skipped": self.skipped,
            "errors": self.errors,
        }


@dataclass(frozen=True)
class Scorecard:
    """The whole scorecard: area rows, the per-criterion view, the profile and its gaps."""

    rows: tuple[AreaScore, ...]
    criteria: tuple[CriterionResult, ...]
    organisation: OrganisationReading
    attestations: tuple[Attestation, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def gaps(self) -> list[CriterionResult]:
        """Criteria below the profile's expectation: where the improvement plan starts."""
        return [c for c in self.criteria if c.meets is False]

    @property
    def expected(self) -> list[CriterionResult]:
        """Criteria the organisation type's profile sets an expectation for."""
        return [c for c in self.criteria if c.expected is not None]

    @property
    def profile_met(self) -> bool | None:
        """Whether every expectation of the profile is met (None: no profile, or it expects nothing here)."""
        return None if not self.expected else not self.gaps

    def profile_dict(self) -> dict[str, Any]:
        """The ``profile`` block: the organisation type's expectations, whether they are met, the gaps."""
        return {
            "type": self.organisation.type,
            "met": self.profile_met,
            "criteria": len(self.expected),
            "gaps": [
                {
                    "id": c.ref,
                    "title": c.title,
                    "expected": c.expected.value if c.expected else None,
                    "status": c.status.value,
                    "areas": list(c.areas),
                }
                for c in self.gaps
            ],
        }

    def organisation_dict(self) -> dict[str, Any]:
        """The ``organisation`` block: the profile as read, its flags, and the scorecard's notes."""
        return {**self.organisation.as_dict(), "notes": list(self.notes)}

    def blocks(self) -> dict[str, Any]:
        """The blocks the findings document carries, by name: scorecard, criteria, organisation, profile."""
        return {
            "scorecard": [row.as_dict() for row in self.rows],
            "criteria": [c.as_dict() for c in self.criteria],
            "organisation": self.organisation_dict(),
            "profile": self.profile_dict(),
        }


def _shown(value: Any) -> str:
    """An option value as a note shows it: short, one line."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def rule_origin(source: RuleSource) -> str | None:
    """Where a rule outside capcheck's own pack comes from (``the rule file rules/ours.toml``, ``the plugin acme``),
    or None for the pack's: the scorecard names the criteria only such rules judge."""
    if source.type == "builtin":
        return None
    what = {"file": "the rule file", "module": "the local module", "plugin": "the plugin"}.get(source.type, source.type)
    return f"{what} {source.name}"


def rule_changes(meta: RuleMeta, severity: Severity | None, options: Mapping[str, Any] | None) -> tuple[str, ...]:
    """What the config (``[severity]``, ``[options]``) changed in a rule that can lift the criteria it names: a
    severity below its own (a failure at ``info`` no longer makes a criterion not achieved), and every option
    set to another value than its default (whether a value is looser is the rule's to say, not the scorecard's:
    a patch window of ten years passes every asset)."""
    out: list[str] = []
    if severity is not None and severity.rank < meta.severity.rank:
        out.append(f"{meta.id} ran at {severity.value} (its own severity: {meta.severity.value})")
    for key, value in sorted((options or {}).items()):
        default = meta.options.get(key)
        if value != default:
            out.append(f"{meta.id} with {key} = {_shown(value)} (its default: {_shown(default)})")
    return tuple(out)


def method_loosened(config: ScorecardConfig, data: ScorecardData, org_type: str | None = None) -> tuple[str, ...]:
    """Each way the config's ``[scorecard]`` judges more leniently than capcheck's defaults (and, with the
    organisation's type, a profile that expects less than the bundled one): the method is the config's, so the
    scorecard says so."""
    default = ScorecardConfig()
    out: list[str] = []
    lower = ("min_coverage", "min_estate_coverage", "full_estate_coverage", "min_records")
    for key in lower:
        if getattr(config, key) < getattr(default, key):
            out.append(f"{key} = {getattr(config, key)} (default {getattr(default, key)})")
    if any(a < b for a, b in zip(config.achieved_shares, default.achieved_shares, strict=True)):
        out.append(f"achieved_shares = {config.achieved_shares} (default {default.achieved_shares})")
    if config.not_achieved_at.rank > default.not_achieved_at.rank:
        out.append(f"not_achieved_at = {config.not_achieved_at.value} (default {default.not_achieved_at.value})")
    for key in ("attestation_days", "max_evidence_age_days"):
        if getattr(config, key) > getattr(default, key):
            out.append(f"{key} = {getattr(config, key)} (default {getattr(default, key)})")
    for org_type, kinds in sorted(config.plausibility.items()):
        for kind, bound in sorted(kinds.items()):
            bundled = data.bounds.get(org_type, {}).get(kind)
            if bundled is None:  # a bound where capcheck has none only adds a check
                continue
            wider_max = bundled.max is not None and (bound.max is None or bound.max > bundled.max)
            if bound.min < bundled.min or wider_max:
                was = f"{bundled.min:g}-" + ("" if bundled.max is None else f"{bundled.max:g}")
                now = f"{bound.min:g}-" + ("" if bound.max is None else f"{bound.max:g}")
                out.append(f"plausibility.{org_type}.{kind} = {now} per 1,000 staff (bundled: {was})")
    mine, bundled_profile = config.profiles.get(org_type or ""), data.profiles.get(org_type or "")
    if mine is not None and bundled_profile is not None:  # a profile where capcheck has none only adds expectations
        achieved = CriterionStatus.ACHIEVED
        lowered = sorted(
            ref
            for ref in set(mine.expect) | set(bundled_profile.expect)
            if bundled_profile.expected(ref) is achieved and mine.expected(ref) is not achieved
        )
        if bundled_profile.default is achieved and mine.default is not achieved:
            lowered.insert(0, "default")
        if lowered:
            shown = ", ".join(lowered[:_NAMED]) + (
                f" and {len(lowered) - _NAMED} more" if len(lowered) > _NAMED else ""
            )
            out.append(
                f"profiles.{org_type} expects partially-achieved where the bundled profile expects achieved: {shown}"
            )
    return tuple(out)


def base_level(statuses: Sequence[CriterionStatus], achieved_shares: Sequence[float]) -> tuple[int, str]:
    """The level the criteria alone give, and why (before caps)."""
    n = len(statuses)
    achieved = sum(1 for s in statuses if s is CriterionStatus.ACHIEVED)
    not_achieved = sum(1 for s in statuses if s is CriterionStatus.NOT_ACHIEVED)
    if not_achieved:
        return 1, f"{not_achieved} of {n} criteria not achieved"
    if n and achieved == n:
        return 5, f"all {n} criteria achieved"
    share = achieved / n if n else 0.0
    text = f"{achieved} of {n} criteria achieved ({_pct(share)}), none not achieved"
    if share >= achieved_shares[1]:
        return 4, text
    if share >= achieved_shares[0]:
        return 3, text
    return 2, text


def _titles(frameworks: Mapping[str, Framework], rules: Sequence[ScoredRule]) -> dict[str, str]:
    titles = {f"{fw.id}:{c.id}": c.title for fw in frameworks.values() for c in fw.criteria}
    titles.update({f"rule:{r.id}": r.title for r in rules if not r.criteria})
    return titles


def _needs(area: str, in_area: Sequence[ScoredRule], data: ScorecardData) -> AreaNeeds:
    """What an area with rules needs: the data's, or (an area the data does not list: a plugin's) the kinds its
    selected rules read."""
    return data.needs.get(area) or AreaNeeds(kinds=tuple(sorted({k for r in in_area for k in r.kinds})))


def facts_asked(areas: Sequence[Area], rules: Sequence[ScoredRule], data: ScorecardData | None = None) -> FactsAsked:
    """What :func:`compute_scorecard` will ask of each kind's records in a run with these ``areas`` and selected
    ``rules``, known before any record is read: every kind's count; for each kind an area with selected rules
    needs, the usable records for the fields that area needs of it (exactly the fields tuples the scorecard reads);
    the organisation profile's and the attestations' records, whole. Copies are not asked here: the scorecard
    needs them only for an area that could rate above 2 (:func:`compute_scorecard`'s ``copies``), for a subset of
    the same fields tuples. The config plays no part: no ``[scorecard]`` setting changes what is read."""
    data = data or bundled_scorecard_data()
    asked: dict[str, set[Fields]] = {}
    for area in areas:
        in_area = [r for r in rules if r.area == area.id]
        if not in_area:
            continue  # an area without selected rules has no coverage (its row says "no rules")
        needs = _needs(area.id, in_area, data)
        for kind in needs.kinds:
            asked.setdefault(kind, set()).add(tuple(needs.fields.get(kind, ())))
    kinds = {kind: KindAsk(tuple(sorted(fields))) for kind, fields in asked.items()}
    for whole in (ORGANISATION_KIND, ATTESTATIONS_KIND):
        kinds[whole] = KindAsk(kinds.get(whole, KindAsk()).fields, whole=True)
    return FactsAsked(kinds, data.placeholders)


def compute_scorecard(
    summary: Summary,
    areas: Sequence[Area],
    rules: Sequence[ScoredRule],
    config: ScorecardConfig,
    *,
    facts: Mapping[str, KindFacts],
    frameworks: Mapping[str, Framework],
    as_of: date,
    data: ScorecardData | None = None,
    kinds: Collection[str] | None = None,
    available: Mapping[str, int] | None = None,
    collected: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    copies: Callable[[str, Fields], int] | None = None,
    judged_nothing: Collection[str] = (),
) -> Scorecard:
    """The scorecard of one run.

    :param facts: per kind given, what the scorecard reads of its records (:func:`facts_asked`, then
        :func:`capcheck.assessment.facts.kind_facts`); a kind absent from the mapping was not given.
    :param copies: how many usable records of a kind (for a fields tuple) repeat another in every field but the id
        (:func:`capcheck.assessment.facts.count_copies`), asked only for an area that could rate above 2 and only
        when ``facts`` did not count them; without it, facts lacking copies the scorecard needs are a LookupError.
    :param judged_nothing: the rules skipped whole, for no record or group (a kind they need was not given, or
        nothing was in their scope: :func:`capcheck.core.engine.judged_nothing`); any other rule's skips are records
        or groups it could not judge, missing evidence that counts against its criteria.
    :param data: the scorecard data files (default: the bundled ones).
    :param kinds: the registered evidence kinds (an estate naming another kind is flagged).
    :param available: per area, how many rules are registered (selected or not): an area judged on only some
        of its rules is capped at 2, so deselecting the rules that fail cannot raise a level.
    :param collected: per kind, ``(file, collected_on)`` of each of its files that says when it was collected:
        a register collected too long before the as-of date, or after it, caps the areas reading it at 2 (the
        organisation profile: every area, as its declared estate is what coverage is measured against).
    """
    data = data or bundled_scorecard_data()
    profiles = facts[ORGANISATION_KIND].whole() if ORGANISATION_KIND in facts else ()
    org = read_organisation(profiles, config.bounds(data.bounds), kinds, data.headcounts)
    attested = facts[ATTESTATIONS_KIND].whole() if ATTESTATIONS_KIND in facts else ()
    attestations = read_attestations(attested, as_of, config.attestation_days)
    by_criterion: dict[str, list[Attestation]] = {}
    for a in attestations:
        by_criterion.setdefault(a.criterion, []).append(a)
    titles = _titles(frameworks, rules)
    profile = (config.profiles.get(org.type) or data.profiles.get(org.type)) if org.type else None
    # A rule skipped whole (a kind it needs not given, nothing in its scope) judged nothing; else its skips are
    # records or groups it could not judge, which count against its criteria (criteria.rule_verdict).
    verdicts = {
        r.id: rule_verdict(
            r.id, r.area, summary.by_rule.get(r.id), config.not_achieved_at, ran=r.id not in judged_nothing
        )
        for r in rules
    }
    notes = [
        f"attestation {a.id} names {a.criterion!r}, which no framework defines"
        for a in attestations
        if a.criterion not in titles
    ]
    notes += [f"attestation {a.id} does not count: {', '.join(a.lacking)}" for a in attestations if a.lacking]
    notes += [
        f"attestation {a.id} expires on {a.cut_from.isoformat()}, more than {config.attestation_days} days "
        f"(attestation_days) after it was assessed on {a.assessed_on.isoformat()}: it counts until "
        f"{a.last_day.isoformat()}"
        for a in attestations
        if a.cut_from is not None
    ]
    if profile is not None:
        notes += [
            f"the {org.type} profile expects {ref!r}, which no framework defines"
            for ref in profile.expect
            if ref not in titles
        ]
    loosened = method_loosened(config, data, org.type)
    if loosened:
        notes.append(f"the scorecard method is the config's, looser than capcheck's defaults: {'; '.join(loosened)}")
    estate = org.estate if org.record is not None else {}
    notes += [  # a register larger than its declared size shows the declaration is not the estate it measures
        f"{kind}: {given} records given, more than the {declared} the organisation profile declares: "
        "the declared estate understates the register"
        for kind, declared in sorted(estate.items())
        if (given := facts[kind].count if kind in facts else 0) > declared
    ]

    def cover(kind: str, fields: Fields) -> KindCoverage:
        declared = estate.get(kind) if org.record is not None else None
        return kind_coverage(kind, facts.get(kind), fields, declared)

    @functools.cache  # a register two areas need (it-assets: CYBER and INFRA) is walked once
    def repeats(kind: str, fields: Fields) -> int:
        found = facts[kind].repeats(fields) if kind in facts else 0
        if found is not None:
            return found
        if copies is None:
            raise LookupError(
                f"the facts of {kind} did not count copies for the fields {fields!r}, and no copies given"
            )
        return copies(kind, fields)

    profile_dated = _dated(ORGANISATION_KIND, (collected or {}).get(ORGANISATION_KIND, ()), as_of, config)
    rows: list[AreaScore] = []
    area_refs: dict[str, set[str]] = {}
    manual_refs: set[str] = set()
    for area in sorted(areas, key=lambda a: (a.order, a.id)):
        in_area = sorted((r for r in rules if r.area == area.id), key=lambda r: r.id)
        needs = _needs(area.id, in_area, data)
        if in_area:
            area_refs[area.id] = {ref for r in in_area for ref in r.refs} | set(needs.manual)
            manual_refs.update(needs.manual)
        changed = [c for r in in_area for c in r.changes]
        if changed:
            notes.append(f"{area.id} is judged with the config's changes to its rules: {'; '.join(changed)}")
        notes.extend(_outside_pack(area.id, in_area))
        for ref in needs.manual if in_area else ():
            if ref not in titles:
                notes.append(f"area {area.id} lists manual criterion {ref!r}, which no framework defines")
        dated = [reason for k in needs.kinds for reason in _dated(k, (collected or {}).get(k, ()), as_of, config)]
        dated += profile_dated  # the declared estate every area's coverage is measured against
        row = _area_row(area, in_area, needs, verdicts, by_criterion, titles, org, config, cover, dated, repeats)
        left_out = (available or {}).get(area.id, 0) - len(in_area)
        if in_area and left_out > 0:
            row = _partial_selection(row, left_out, left_out + len(in_area))
        rows.append(row)
    criteria = _global_criteria(rules, verdicts, by_criterion, titles, area_refs, manual_refs, profile)
    return Scorecard(tuple(rows), criteria, org, tuple(attestations), tuple(sorted(set(notes))))


def _outside_pack(area: str, rules: Sequence[ScoredRule]) -> list[str]:
    """A note naming the area's criteria that only rules from outside capcheck's pack judge: each counts towards the
    share of criteria achieved, so rules the organisation writes for itself can lift a level however little they
    ask (six rules that each require an id took CULT from 3 to 4)."""
    pack = {ref for r in rules if r.origin is None for ref in r.refs}
    own = sorted({ref for r in rules if r.origin is not None for ref in r.refs} - pack)
    if not own:
        return []
    origins = sorted({r.origin for r in rules if r.origin is not None and set(r.refs) - pack})
    shown = ", ".join(own[:_NAMED]) + (f" and {len(own) - _NAMED} more" if len(own) > _NAMED else "")
    return [
        f"{area} counts {len(own)} {'criterion' if len(own) == 1 else 'criteria'} that only rules from outside "
        f"capcheck's pack judge: {shown} (from {', '.join(o for o in origins if o)})"
    ]


def _global_criteria(
    rules: Sequence[ScoredRule],
    verdicts: Mapping[str, RuleVerdict],
    attestations: Mapping[str, Sequence[Attestation]],
    titles: Mapping[str, str],
    area_refs: Mapping[str, set[str]],
    manual_refs: set[str],
    profile: Profile | None,
) -> tuple[CriterionResult, ...]:
    rules_by_ref: dict[str, list[RuleVerdict]] = {}
    for r in rules:
        for ref in r.refs:
            rules_by_ref.setdefault(ref, []).append(verdicts[r.id])
    refs = set(rules_by_ref) | manual_refs | set(attestations)
    out = []
    for ref in sorted(refs):
        out.append(
            roll_up(
                ref,
                titles.get(ref, ""),
                rules_by_ref.get(ref, ()),
                attestations.get(ref, ()),
                manual=ref not in rules_by_ref,
                expected=None if profile is None else profile.expected(ref),
                areas=[a for a, in_view in area_refs.items() if ref in in_view],
            )
        )
    return tuple(out)


def _partial_selection(row: AreaScore, left_out: int, total: int) -> AreaScore:
    """``row`` without a level: the area was judged on only some of its rules. The rules left out did not run, so
    nothing says they would have passed: a cap would still let deselecting the one failing rule lift a level 1."""
    reason = (
        f"{left_out} of {total} rules of the area not selected (--select/--ignore): an area is rated on all its "
        "rules (one that does not apply is waived, not deselected)"
    )
    if row.status in ("insufficient-evidence", "incomplete"):  # no level already: say both
        return dataclasses.replace(row, status="incomplete", basis=f"{reason}; {row.basis}")
    return dataclasses.replace(row, level=None, status="incomplete", basis=reason, cap=None)


def _area_row(
    area: Area,
    in_area: Sequence[ScoredRule],
    needs: AreaNeeds,
    verdicts: Mapping[str, RuleVerdict],
    attestations: Mapping[str, Sequence[Attestation]],
    titles: Mapping[str, str],
    org: OrganisationReading,
    config: ScorecardConfig,
    cover: Callable[[str, Fields], KindCoverage],
    dated: Sequence[str] = (),
    repeats: Callable[[str, Fields], int] | None = None,
) -> AreaScore:
    mine = [verdicts[r.id] for r in in_area]
    judged = sum(1 for v in mine if v.passed or v.failed)
    common: dict[str, Any] = {
        "area": area.id,
        "title": area.title,
        "rules": len(in_area),
        "rules_judged": judged,
        "passed": sum(v.passed for v in mine),
        "failed": sum(v.failed for v in mine),
        "skipped": sum(v.skipped for v in mine),
        "errors": sum(v.errors for v in mine),
    }
    if not in_area:
        return AreaScore(level=None, status="no-rules", basis="no selected rule belongs to the area", **common)
    estate = org.estate
    coverage = tuple(cover(k, tuple(needs.fields.get(k, ()))) for k in needs.kinds)
    by_ref: dict[str, list[RuleVerdict]] = {}
    for r in in_area:
        for ref in r.refs:
            by_ref.setdefault(ref, []).append(verdicts[r.id])
    criteria = tuple(
        roll_up(ref, titles.get(ref, ""), by_ref.get(ref, ()), attestations.get(ref, ()), manual=ref in needs.manual)
        for ref in sorted(set(by_ref) | set(needs.manual))
    )
    judged_by_rule = tuple(
        (
            r.id,
            r.kinds[0],
            verdicts[r.id].passed + verdicts[r.id].failed,
            estate.get(r.kinds[0]) if org.record else None,
        )
        for r in in_area
        if r.kinds
    )
    common.update(criteria=criteria, coverage=coverage, judged=judged_by_rule)
    if common["errors"]:
        return AreaScore(level=None, status="incomplete", basis="a rule in the area raised an error", **common)
    insufficient = _insufficient(coverage, judged, len(in_area), config)
    if insufficient:
        return AreaScore(
            level=None,
            status="insufficient-evidence",
            basis="; ".join(insufficient),
            insufficient=insufficient,
            **common,
        )
    level, basis = base_level([c.status for c in criteria], config.achieved_shares)
    failing = [c.ref for c in criteria if c.status is CriterionStatus.NOT_ACHIEVED]
    if failing:  # name them: the reason a level 1 must be checkable
        shown = ", ".join(failing[:_NAMED])
        basis += f": {shown}" + (f" and {len(failing) - _NAMED} more" if len(failing) > _NAMED else "")
    caps = _caps(coverage, criteria, needs, org, config) + tuple((UNSHOWN_COVERAGE_CAP, d) for d in dated)
    if repeats is not None and min((level, *(c for c, _ in caps))) > UNSHOWN_COVERAGE_CAP:
        caps += _repeated_caps(coverage, needs, repeats, config)  # copies can only matter above level 2
    applied = None
    lowest = min(caps, default=None)  # the lowest cap binds; ties go to the first reason in sort order
    if lowest is not None and lowest[0] < level:
        level, applied = lowest
    return AreaScore(level=level, status="scored", basis=basis, cap=applied, caps=caps, **common)


def _pct(value: float) -> str:
    """A share as a percentage with one decimal when it has one (94.5%, not a rounded 95% under a 95% bar). A whole
    percentage is shown only when exact: 301 of 317 is 94.95%, not "95%; levels 4-5 need 95%"."""
    exact = value * 100
    text = f"{exact:.1f}"
    if not text.endswith(".0"):
        return text + "%"
    if round(exact, 9) == float(text):
        return text.removesuffix(".0") + "%"
    return f"{math.floor(round(exact * 100, 6)) / 100:.2f}%"  # cut, never rounded up to the bar


def _insufficient(
    coverage: Sequence[KindCoverage], judged: int, rules: int, config: ScorecardConfig
) -> tuple[str, ...]:
    out: list[str] = []
    for c in coverage:
        share = c.share
        if not c.present:
            out.append(f"no {c.kind} evidence was given")
        elif share is not None and share < config.min_estate_coverage:
            out.append(
                f"{c.kind}: {c.usable} usable records of {c.declared} declared ({_pct(share)}), "
                f"below {_pct(config.min_estate_coverage)}"
            )
    if judged == 0 or judged / rules < config.min_coverage:
        out.append(f"{judged} of {rules} rules judged any record, below {_pct(config.min_coverage)}")
    return tuple(out)


def _repeated_caps(
    coverage: Sequence[KindCoverage],
    needs: AreaNeeds,
    repeats: Callable[[str, Fields], int],
    config: ScorecardConfig,
) -> tuple[tuple[int, str], ...]:
    """The caps coverage gets when records that repeat another in every field but the id are counted once:
    copies under new ids make a register look complete without covering more of the estate."""
    caps: list[tuple[int, str]] = []
    distinct_total = 0
    copies = 0
    for c in coverage:
        n = repeats(c.kind, tuple(needs.fields.get(c.kind, ()))) if c.usable else 0
        distinct = c.usable - n
        distinct_total += distinct
        copies += n
        if not n or c.declared is None:
            continue
        share = 1.0 if c.declared == 0 else min(1.0, distinct / c.declared)
        what = (
            f"{c.kind}: {n} of {c.usable} usable records repeat another in every field but the id, "
            f"leaving {distinct} distinct of {c.declared} declared ({_pct(share)})"
        )
        if share < config.min_estate_coverage:
            caps.append((UNSHOWN_COVERAGE_CAP, f"{what}: coverage cannot be shown"))
        elif share < config.full_estate_coverage:
            caps.append((TOP_LEVELS_CAP, f"{what}; levels 4-5 need {_pct(config.full_estate_coverage)}"))
    if copies and distinct_total < config.min_records:
        caps.append(
            (
                UNSHOWN_COVERAGE_CAP,
                f"only {distinct_total} distinct usable records in {', '.join(c.kind for c in coverage)} "
                f"(the rest repeat another in every field but the id): levels above {UNSHOWN_COVERAGE_CAP} need "
                f"at least {config.min_records}",
            )
        )
    return tuple(caps)


def _dated(kind: str, files: Sequence[tuple[str, str]], as_of: date, config: ScorecardConfig) -> list[str]:
    """Why ``kind``'s files cannot show the estate as of ``as_of``: collected more than
    ``max_evidence_age_days`` before it (the registers are as they were then), or after it (the
    evidence is judged as of a day before it existed). A date that is not one is left to validation."""
    out: list[str] = []
    for file, day in files:
        try:
            collected = date.fromisoformat(day)
        except ValueError:
            continue
        age = (as_of - collected).days
        if age > config.max_evidence_age_days:
            out.append(
                f"{kind}: {file} was collected on {day}, {age} days before the as-of date; levels above "
                f"{UNSHOWN_COVERAGE_CAP} need evidence collected within {config.max_evidence_age_days} days"
            )
        elif age < 0:
            out.append(
                f"{kind}: {file} was collected on {day}, after the as-of date {as_of.isoformat()}: "
                "it cannot show the estate as it was then"
            )
    return out


def _caps(
    coverage: Sequence[KindCoverage],
    criteria: Sequence[CriterionResult],
    needs: AreaNeeds,
    org: OrganisationReading,
    config: ScorecardConfig,
) -> tuple[tuple[int, str], ...]:
    caps: list[tuple[int, str]] = [(UNSHOWN_COVERAGE_CAP, flag) for flag in org.flags]
    for c in coverage:
        share = c.share
        if org.record is not None and c.declared is None:
            caps.append((UNSHOWN_COVERAGE_CAP, f"{c.kind}: no declared estate, so its coverage cannot be shown"))
        elif share is not None and share < config.full_estate_coverage:
            caps.append(
                (
                    TOP_LEVELS_CAP,
                    f"{c.kind}: {c.usable} usable records of {c.declared} declared ({_pct(share)}); "
                    f"levels 4-5 need {_pct(config.full_estate_coverage)}",
                )
            )
    usable = sum(c.usable for c in coverage)
    if coverage and usable < config.min_records:  # a handful of clean records shows no working process
        caps.append(
            (
                UNSHOWN_COVERAGE_CAP,
                f"only {usable} usable records in {', '.join(c.kind for c in coverage)}: "
                f"levels above {UNSHOWN_COVERAGE_CAP} need at least {config.min_records}",
            )
        )
    unattested = [c.ref for c in criteria if c.ref in needs.manual and c.status is CriterionStatus.NOT_ASSESSED]
    if unattested:
        caps.append((TOP_LEVELS_CAP, f"manual criteria not assessed (no current attestation): {', '.join(unattested)}"))
    return tuple(caps)


def gate_failures(rows: Sequence[AreaScore], min_level: Mapping[str, int]) -> list[str]:
    """Messages for each area below its minimum level (``"*"`` is the default minimum). An area no selected rule
    belongs to is gated only when the gate names it: ``--min-level CYBER=3 --ignore CYBER`` passed, while ignoring
    one of CYBER's rules failed (an area judged on some of its rules is incomplete)."""
    failures: list[str] = []
    default = min_level.get("*")
    for row in rows:
        wanted = min_level.get(row.area, default)
        if wanted is None or (row.status == "no-rules" and row.area not in min_level):
            continue
        if row.status == "no-rules":
            failures.append(f"{row.area}: no selected rule belongs to it, so it cannot meet the minimum level {wanted}")
        elif row.level is None:
            failures.append(f"{row.area}: {row.name}, so it cannot meet the minimum level {wanted}")
        elif row.level < wanted:
            failures.append(f"{row.area}: level {row.level} ({row.name}) is below the minimum level {wanted}")
    return failures
