"""Evidence sufficiency: is there enough evidence to rate an area at all, and how much of the estate is it?

The organisation profile (one ``organisation`` record) declares the estate: how many records each
register should hold. Each area needs certain registers (``rules/scorecard/areas.toml``); a
register's *coverage* is its usable records (those with the fields the area needs) over the declared
estate of its kind. Declared sizes are checked against plausibility bounds per organisation type
(``rules/scorecard/plausibility.toml``, records per 1,000 staff), so that a profile cannot
under-declare its way to full coverage. The data files are capcheck's defaults; the config can
override the bounds (``[scorecard.plausibility]``).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from capcheck.assessment.criteria import CriterionStatus
from capcheck.assessment.facts import Fields, KindFacts
from capcheck.core.errors import ConfigError, Problem
from capcheck.core.resources import bundled_toml, data_dir
from capcheck.core.rules import PLACEHOLDERS

__all__ = [
    "AreaNeeds",
    "Bound",
    "KindCoverage",
    "OrganisationReading",
    "Profile",
    "ScorecardData",
    "bundled_scorecard_data",
    "kind_coverage",
    "read_organisation",
]

ORGANISATION_KIND = "organisation"
ATTESTATIONS_KIND = "attestations"
ORGANISATION_TYPES = ("trust", "icb", "csu", "national-body", "supplier", "other")


class Bound(BaseModel):
    """A plausible range of records per 1,000 staff (``max`` None: no upper bound)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min: float = Field(ge=0)
    max: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Bound:
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        return self


class AreaNeeds(BaseModel):
    """What one area needs to be rated: registers, fields per register, manual criteria."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kinds: tuple[str, ...] = ()
    fields: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    manual: tuple[str, ...] = ()


class Profile(BaseModel):
    """The expected status per criterion for one organisation type."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: CriterionStatus = CriterionStatus.PARTIALLY_ACHIEVED
    expect: dict[str, CriterionStatus] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _expectations(self) -> Profile:
        allowed = (CriterionStatus.ACHIEVED, CriterionStatus.PARTIALLY_ACHIEVED)
        for ref, status in {"default": self.default, **self.expect}.items():
            if status not in allowed:
                raise ValueError(f"{ref}: an expectation is achieved or partially-achieved, not {status.value}")
        return self

    def expected(self, ref: str) -> CriterionStatus:
        """What this profile expects of the criterion ``ref``."""
        return self.expect.get(ref, self.default)


@dataclass(frozen=True)
class ScorecardData:
    """The scorecard's data files, validated."""

    needs: Mapping[str, AreaNeeds]
    bounds: Mapping[str, Mapping[str, Bound]]
    profiles: Mapping[str, Profile]
    #: Per organisation type, the plausible headcount (staff, not per 1,000): a "national body of 20 staff"
    #: would otherwise make a handful of records a plausible, fully covered estate.
    headcounts: Mapping[str, Bound] = field(default_factory=dict)
    #: Values that fill a needed field without saying anything ("TBC"), case-folded: such a field is missing.
    placeholders: frozenset[str] = frozenset()


def _load(name: str) -> dict[str, Any]:
    return bundled_toml(data_dir("rules") / "scorecard" / name)


@functools.cache  # read once a process: the scorecard and what it asks of the evidence (facts_asked) both need it
def bundled_scorecard_data() -> ScorecardData:
    """The bundled ``rules/scorecard/*.toml`` (areas' needs, plausibility bounds, profiles)."""
    try:
        areas = _load("areas.toml")
        needs = {a: AreaNeeds(**v) for a, v in areas.get("area", {}).items()}
        placeholders = PLACEHOLDERS  # the rules' list (rules/reference-data/placeholders.toml): one definition
        plausibility = _load("plausibility.toml")
        headcounts = {t: Bound(**b) for t, b in plausibility.pop("headcount", {}).items()}
        bounds = {t: {k: Bound(**b) for k, b in v.items()} for t, v in plausibility.items()}
        profiles = {t: Profile(**v) for t, v in _load("profiles.toml").items()}
    except (ValidationError, TypeError) as exc:  # a broken bundled data file is a packaging fault: say which
        raise ConfigError(Problem(f"bundled scorecard data is invalid: {exc}", path="rules/scorecard")) from exc
    return ScorecardData(
        needs=needs, bounds=bounds, profiles=profiles, headcounts=headcounts, placeholders=placeholders
    )


@dataclass(frozen=True)
class OrganisationReading:
    """The organisation profile as read: the record (if exactly one), and what is wrong with it.

    Every flag caps every area at level 2: coverage cannot be shown on a missing, ambiguous or
    implausible profile.
    """

    record: Mapping[str, Any] | None
    flags: tuple[str, ...] = ()
    #: Per kind with a bound: (declared, lowest plausible, highest plausible or None).
    checked: Mapping[str, tuple[int, float, float | None]] = field(default_factory=dict)

    @property
    def type(self) -> str | None:
        """The organisation's type, or None without a single profile."""
        return None if self.record is None else str(self.record["type"])

    @property
    def estate(self) -> Mapping[str, int]:
        """The declared estate by kind (empty without a profile)."""
        return {} if self.record is None else dict(self.record.get("estate", {}))

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (the ``organisation`` block of the findings document)."""
        rec = self.record
        return {
            "id": None if rec is None else rec["id"],
            "name": None if rec is None else rec["name"],
            "type": self.type,
            "headcount": None if rec is None else rec["headcount"],
            "estate": {k: self.estate[k] for k in sorted(self.estate)},
            "plausibility": {
                k: {"declared": d, "min": lo, "max": hi} for k, (d, lo, hi) in sorted(self.checked.items())
            },
            "flags": list(self.flags),
        }


def read_organisation(
    records: Sequence[Mapping[str, Any]],
    bounds: Mapping[str, Mapping[str, Bound]],
    kinds: Collection[str] | None = None,
    headcounts: Mapping[str, Bound] | None = None,
) -> OrganisationReading:
    """Read the organisation profile and check its declared sizes against ``bounds``.

    :param kinds: the known evidence kinds: a declared size for any other kind is flagged (a typo
        would otherwise leave the intended register undeclared without a word).
    :param headcounts: per organisation type, the plausible headcount; one outside it is flagged.
    """
    if not records:
        return OrganisationReading(None, ("no organisation profile: coverage of the estate cannot be shown",))
    if len(records) > 1:
        ids = ", ".join(sorted(str(r["id"]) for r in records))
        flag = f"{len(records)} organisation records ({ids}): the profile must be one record"
        return OrganisationReading(None, (flag,))
    record = records[0]
    headcount = int(record["headcount"])
    flags: list[str] = []
    checked: dict[str, tuple[int, float, float | None]] = {}
    estate: Mapping[str, int] = record.get("estate", {})
    staff = (headcounts or {}).get(str(record["type"]))
    if staff is not None and (headcount < staff.min or (staff.max is not None and headcount > staff.max)):
        shown = f"{staff.min:g}" + (" or more" if staff.max is None else f" to {staff.max:g}")
        flags.append(f"implausible headcount: {headcount} staff for a {record['type']} (expected {shown})")
    if kinds is not None:
        for kind in sorted(set(estate) - set(kinds)):
            flags.append(f"the estate declares {kind!r}, which is not an evidence kind (see 'capcheck kinds')")
    for kind, bound in sorted(bounds.get(str(record["type"]), {}).items()):
        if kind not in estate:
            continue
        declared = int(estate[kind])
        low = bound.min * headcount / 1000
        high = None if bound.max is None else bound.max * headcount / 1000
        checked[kind] = (declared, round(low, 2), None if high is None else round(high, 2))
        if declared < low or (high is not None and declared > high):
            shown = f"{low:g}" + ("" if high is None else f" to {high:g}")
            flags.append(
                f"implausible estate: {declared} {kind} declared for a {record['type']} of {headcount} staff "
                f"(expected {shown}: {bound.min:g}"
                + ("" if bound.max is None else f"-{bound.max:g}")
                + " per 1,000 staff)"
            )
    return OrganisationReading(record, tuple(flags), checked)


@dataclass(frozen=True)
class KindCoverage:
    """How much of the declared estate one register covers, for one area."""

    kind: str
    present: bool
    records: int
    usable: int
    declared: int | None
    #: Records lacking each field the area needs (field -> count).
    missing_fields: Mapping[str, int] = field(default_factory=dict)

    @property
    def share(self) -> float | None:
        """Usable records over the declared estate, at most 1 (None when nothing is declared)."""
        if self.declared is None:
            return None
        if self.declared == 0:
            return 1.0
        return min(1.0, self.usable / self.declared)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        share = self.share
        return {
            "kind": self.kind,
            "present": self.present,
            "records": self.records,
            "usable": self.usable,
            "declared": self.declared,
            "share": None if share is None else round(share, 4),
            "missing_fields": dict(sorted(self.missing_fields.items())),
        }


def kind_coverage(kind: str, facts: KindFacts | None, fields: Fields, declared: int | None) -> KindCoverage:
    """Coverage of one register from its facts (:mod:`capcheck.assessment.facts`, which say what a usable record
    is): ``facts`` None means the kind was not given at all."""
    if facts is None:
        return KindCoverage(kind, False, 0, 0, declared)
    found = facts.coverage(fields)
    return KindCoverage(kind, True, facts.count, found.usable, declared, dict(found.missing))
