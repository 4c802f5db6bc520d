"""The value types capcheck passes around: severities, statuses, rule metadata, findings, results.

Metadata that is *validated once at load* (areas, rule metadata) is a frozen pydantic model, so
that a bad value is caught with a clear message. Values made *per record* on the hot path
(outcomes, evidence references, findings) are frozen slotted dataclasses: they are built a
million times on large registers, and a dataclass costs a fraction of a validated model.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from capcheck.core.ids import AREA_ID, KIND_ID, RULE_ID, local_id

if TYPE_CHECKING:  # only for annotations: these modules import this one
    from capcheck.assessment.baseline import BaselineReport
    from capcheck.assessment.scorecard import Scorecard, ScorecardConfig
    from capcheck.assessment.waivers import Waiver, WaiverState

__all__ = [
    "Area",
    "Criterion",
    "EvidenceFileInfo",
    "EvidenceRef",
    "Finding",
    "Framework",
    "Outcome",
    "PassedRecords",
    "RuleMeta",
    "RuleSource",
    "RunResult",
    "Severity",
    "Status",
    "Summary",
]


class Severity(StrEnum):
    """How much a failing finding matters, from ``info`` (lowest) to ``critical``."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info ... 4 for critical: compare severities with this."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}
_RANK_BY_VALUE = {s.value: i for i, s in enumerate(Severity)}


class Status(StrEnum):
    """The outcome of one rule on one record (or group).

    ``skip`` means the rule could not be evaluated (for example, the evidence it needs is absent):
    it is never a pass. ``error`` means the rule raised: the check is incomplete. ``waived`` and
    ``baselined`` are failures that a governed waiver or the baseline file accepts: they are
    reported, and do not fail the run.
    """

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIP = "skip"
    WAIVED = "waived"
    BASELINED = "baselined"


#: The order statuses are listed and sorted in.
STATUS_ORDER: tuple[Status, ...] = (
    Status.ERROR,
    Status.FAIL,
    Status.WAIVED,
    Status.BASELINED,
    Status.SKIP,
    Status.PASS,
)
#: The statuses of a failing record, accepted or not (what the scorecard counts as failures).
FAILING: frozenset[Status] = frozenset({Status.FAIL, Status.WAIVED, Status.BASELINED})

_RULE_ID = RULE_ID
_AREA_ID = AREA_ID
_KIND_ID = KIND_ID


class Area(BaseModel):
    """A capability area of the review (``COMM``, ``INFRA`` ...), registered by a plugin."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=_AREA_ID)
    title: str = Field(min_length=1)
    description: str = ""
    order: int = 100


def _not_toml(value: Any) -> str | None:
    """None when ``value`` is a TOML value (what a config file can give), else the type that is not one."""
    if isinstance(value, str | bool | int | float | date | datetime | time):
        return None
    if isinstance(value, list):
        return next((bad for item in value if (bad := _not_toml(item)) is not None), None)
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            return "a table with a key that is not a string"
        return next((bad for item in value.values() if (bad := _not_toml(item)) is not None), None)
    name = type(value).__name__
    return "None" if value is None else f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"


class RuleMeta(BaseModel):
    """A rule's metadata, complete at definition: validated when the rule is loaded."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(
        pattern=_RULE_ID,
        description="Area prefix and number, e.g. COMM-001; a third party's with its namespace: acme.CULT-101.",
    )
    title: str = Field(min_length=3, description="The passing state, e.g. 'Contracts have an owner'.")
    area: str = Field(pattern=_AREA_ID)
    severity: Severity
    description: str = Field(min_length=1)
    rationale: str = Field(min_length=1)
    remediation: str = Field(min_length=1)
    references: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    criteria: tuple[str, ...] = Field(
        default=(), description="Framework criteria the rule encodes, as '<framework>:<id>' (e.g. 'caf-4.0:B4.d')."
    )
    version: str = Field(default="1.0.0", pattern=r"^[0-9]+(\.[0-9]+){0,2}$")
    kinds: tuple[str, ...] = Field(min_length=1, description="The evidence kinds the rule reads.")
    any_of: tuple[str, ...] = Field(
        default=(), description="Those of ``kinds`` of which one is enough: the others are all required."
    )
    reads: tuple[str, ...] = Field(
        default=(),
        description=(
            "Kinds the rule also reads when they are given, without needing them (context such as the organisation "
            "profile). A rule sees only the kinds it declares, in ``kinds`` or here."
        ),
    )
    columns: tuple[str, ...] = Field(
        default=(),
        description=(
            "Fields of other kinds the rule reads only as whole columns (``evidence.values(kind, field)``), as "
            "``kind.field``: it reads no record of those kinds. The kind stays in ``kinds``, ``any_of`` or ``reads``."
        ),
    )
    options: dict[str, Any] = Field(default_factory=dict, description="Options and their defaults.")
    per_record: bool = Field(
        default=False,
        strict=True,  # a flag that changes how a check may be divided: True or False, never "yes" or 1
        description=(
            "Whether the rule judges each record of its first kind alone (docs/plugins.md, 'Per-record rules'): "
            "its outcomes over the kind's records are the union of its outcomes over any division of them into "
            "consecutive ranges, each judged alone, so a check may divide the register between processes."
        ),
    )

    @field_validator("options")
    @classmethod
    def _option_values(cls, options: dict[str, Any]) -> dict[str, Any]:
        """Each default is a value a config file can override it with (TOML's): a tuple's override, a list,
        was refused as "must be tuple", and an object broke the JSON reports, blamed on their reporter."""
        for name, value in options.items():
            bad = _not_toml(value)
            if bad is not None:
                raise ValueError(
                    f"option {name!r}: {bad} is not a value a config file can give (a string, number, boolean, "
                    "date, or a list or table of them): write a list for a tuple or set, '30d' for a duration"
                )
        return options

    @field_validator("kinds")
    @classmethod
    def _kind_ids(cls, kinds: tuple[str, ...]) -> tuple[str, ...]:
        for k in kinds:
            if not re.match(_KIND_ID, k):
                raise ValueError(f"{k!r} is not a kind id (lower-case words joined by '-', optionally namespace.kind)")
        twice = sorted({k for k in kinds if kinds.count(k) > 1})
        if twice:
            raise ValueError(f"{', '.join(map(repr, twice))} named twice (a kind is in kinds or in any_of, not both)")
        return kinds

    @field_validator("reads")
    @classmethod
    def _read_ids(cls, reads: tuple[str, ...]) -> tuple[str, ...]:
        for k in reads:
            if not re.match(_KIND_ID, k):
                raise ValueError(f"{k!r} is not a kind id (lower-case words joined by '-', optionally namespace.kind)")
        return tuple(dict.fromkeys(reads))

    @model_validator(mode="after")
    def _reads_apart(self) -> RuleMeta:
        """A kind the rule needs is in ``kinds``; ``reads`` names only the others."""
        both = [k for k in self.reads if k in self.kinds]
        if both:
            raise ValueError(f"reads names kinds already in kinds: {', '.join(both)}")
        return self

    @property
    def seen_kinds(self) -> tuple[str, ...]:
        """Every kind the rule may read: ``kinds`` then ``reads`` (the evidence it is given holds no other)."""
        return (*self.kinds, *self.reads)

    @property
    def column_pairs(self) -> tuple[tuple[str, str], ...]:
        """``columns`` as (kind, field) pairs."""
        return tuple(pair for c in self.columns if (pair := self._column_pair(c)) is not None)

    def _column_pair(self, column: str) -> tuple[str, str] | None:
        """``kind.field`` split after the longest declared kind it starts with: a namespaced kind holds a dot
        itself (``acme.register.owner`` is ``owner`` of ``acme.register``), and a field may be dotted too."""
        for kind in sorted(self.seen_kinds, key=len, reverse=True):
            name = column.removeprefix(f"{kind}.")
            if name != column and name:
                return kind, name
        return None

    @property
    def record_kinds(self) -> tuple[str, ...]:
        """The kinds whose records the rule reads: :attr:`seen_kinds` less those it reads only as columns."""
        column_kinds = {kind for kind, _ in self.column_pairs}
        return tuple(k for k in self.seen_kinds if k not in column_kinds)

    @model_validator(mode="after")
    def _columns_of_seen_kinds(self) -> RuleMeta:
        """Each column is ``kind.field`` of a kind the rule declares (in ``kinds``, ``any_of`` or ``reads``)."""
        for column in self.columns:
            kind, dot, name = column.partition(".")
            if not dot or not name or not re.match(_KIND_ID, kind):
                raise ValueError(f"column {column!r} is not kind.field (governance-register.owner)")
            if self._column_pair(column) is None:
                raise ValueError(f"column {column!r} is of a kind the rule does not declare in kinds, any_of or reads")
        return self

    @model_validator(mode="after")
    def _any_of_in_kinds(self) -> RuleMeta:
        """``any_of`` names two or more of the rule's kinds (one alone would simply be required)."""
        if self.any_of:
            if len(set(self.any_of)) < 2:
                raise ValueError("any_of names two or more kinds, one of which is enough (one alone goes in kinds)")
            outside = [k for k in self.any_of if k not in self.kinds]
            if outside:
                raise ValueError(f"any_of names kinds the rule does not read: {', '.join(outside)}")
        return self

    @model_validator(mode="after")
    def _per_record_one_kind(self) -> RuleMeta:
        """A per-record rule reads the records of one kind, its first: any other of ``kinds`` (``any_of``
        included) it reads only as columns. (``reads`` kinds are given whole, and may be read as they are.)"""
        if self.per_record:
            column_kinds = {kind for kind, _ in self.column_pairs}
            if self.kinds[0] in column_kinds:
                raise ValueError(
                    f"per_record: the rule's first kind, {self.kinds[0]!r}, must be the one whose records it judges "
                    "(it declares only columns of it)"
                )
            others = [k for k in self.kinds[1:] if k not in column_kinds]
            if others:
                raise ValueError(
                    f"per_record: a per-record rule judges the records of one kind ({self.kinds[0]!r}); it also reads "
                    f"records of {', '.join(map(repr, others))}: declare only columns of those (columns=['kind.field'])"
                    ", or drop per_record"
                )
        return self

    @property
    def required_kinds(self) -> tuple[str, ...]:
        """The kinds that must all be present for the rule to run (``kinds`` less ``any_of``)."""
        return tuple(k for k in self.kinds if k not in self.any_of)

    @model_validator(mode="after")
    def _id_matches_area(self) -> RuleMeta:
        """The id's prefix is the rule's area: ``COMM-001`` belongs to ``COMM``."""
        prefix = local_id(self.id).rsplit("-", 1)[0]
        if prefix != self.area:
            raise ValueError(f"rule id {self.id!r} must start with its area {self.area!r}")
        return self


class Criterion(BaseModel):
    """One criterion of a public framework (a CAF contributing outcome, a Service Standard point ...)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    description: str = ""
    group: str = ""


class Framework(BaseModel):
    """A public framework whose criteria rules encode; criteria no rule covers are ``manual``.

    A framework is one *edition* of a published text (CAF ``4.0``, the Service Standard of ``2019``):
    criteria change between editions, so the id ends with the edition (``caf-4.0``) and a rule's
    ``caf-4.0:B4.d`` always says which text it cites.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9.-]*$")
    title: str = Field(min_length=1)
    edition: str = Field(
        pattern=r"^[a-z0-9][a-z0-9.-]*$",
        description="The edition of the published text (a version or a date); the id ends with '-<edition>'.",
    )
    description: str = ""
    #: Who the edition applies to, when the publisher says (e.g. the DSPT's organisation types).
    applies_to: tuple[str, ...] = ()
    url: str = ""
    licence: str = ""
    criteria: tuple[Criterion, ...] = ()

    @model_validator(mode="after")
    def _id_names_edition(self) -> Framework:
        """``caf-4.0`` is edition ``4.0``: a citation names the edition without a second lookup."""
        if not self.id.endswith(f"-{self.edition}"):
            raise ValueError(f"framework id {self.id!r} must end with its edition: '-{self.edition}'")
        seen: set[str] = set()
        for criterion in self.criteria:
            if criterion.id in seen:
                raise ValueError(f"criterion {criterion.id!r} is listed twice")
            seen.add(criterion.id)
        return self


@dataclass(frozen=True, slots=True)
class RuleSource:
    """Where a rule came from: a distribution (built-in or plugin), a local module, or a rule file."""

    type: str  # "builtin" | "plugin" | "module" | "file"
    name: str  # plugin name, module name or file path
    distribution: str | None = None
    version: str | None = None
    path: str | None = None
    #: For a rule from a rule file: the file's SHA-256, so an auditor can tell exactly which text ran.
    sha256: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (keys with no value are left out)."""
        out: dict[str, Any] = {"type": self.type, "name": self.name}
        for key in ("distribution", "version", "path", "sha256"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass(frozen=True)
class RuleInfo:
    """A selected rule as a result lists it: its metadata, the severity it ran at, and its source."""

    id: str
    version: str
    title: str
    area: str
    #: The severity it ran at (the config's per-rule severity, else its own).
    severity: Severity
    kinds: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    criteria: tuple[str, ...] = ()
    description: str = ""
    rationale: str = ""
    remediation: str = ""
    references: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    #: Where it came from (None for a rule known only from its findings).
    source: RuleSource | None = None
    #: Kinds it reads when they are given, without needing them (``RuleMeta.reads``): its outcomes may change with them.
    reads: tuple[str, ...] = ()
    #: Fields of other kinds it reads only as whole columns (``RuleMeta.columns``: ``kind.field``).
    columns: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (an entry of ``rules`` in the findings document and ``rules list --format json``); ``reads``
        and ``columns`` only when the rule declares any, so that an auditor sees every evidence it depended on."""
        extra: dict[str, Any] = {}
        if self.reads:
            extra["reads"] = list(self.reads)
        if self.columns:
            extra["columns"] = list(self.columns)
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "area": self.area,
            "severity": self.severity.value,
            "kinds": list(self.kinds),
            "tags": list(self.tags),
            "criteria": list(self.criteria),
            "description": self.description,
            "rationale": self.rationale,
            "remediation": self.remediation,
            "references": list(self.references),
            "options": dict(self.options),
            "source": None if self.source is None else self.source.as_dict(),
            **extra,
        }


class Outcome(NamedTuple):
    """What a rule yields: a status for one record (or group), before the engine adds provenance.

    Rules make these through :class:`capcheck.core.rules.RuleContext` (``ctx.passed(record)``,
    ``ctx.failed(record, message)`` ...), not by hand. A named tuple: rules make one per record,
    and a tuple is the cheapest immutable value to build.
    """

    status: Status
    kind: str | None = None
    record_id: str | None = None
    message: str = ""
    related: tuple[tuple[str, str], ...] = ()
    group: str | None = None


class PassedRecords(NamedTuple):
    """Many records of one kind that meet the rule, in one value (``ctx.passed_records``).

    Rules that judge every record of a large register yield this once instead of one
    :class:`Outcome` per pass: passes are counted, and only listed with ``--include-passed``.
    """

    kind: str
    record_ids: list[str]


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """Where a finding's evidence is: file, kind, record id, line (and CSV row), JSON pointer."""

    kind: str
    record_id: str | None = None
    file: str | None = None
    line: int | None = None
    row: int | None = None
    pointer: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (keys with no value are left out)."""
        out: dict[str, Any] = {"kind": self.kind}
        for key in ("record_id", "file", "line", "row", "pointer"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

    def location(self) -> str:
        """``file:line`` (or ``file``, or ``kind``) for people to read."""
        if self.file is None:
            return self.kind
        return self.file if self.line is None else f"{self.file}:{self.line}"


def fingerprint(rule_id: str, kind: str | None, record_id: str | None, group: str | None) -> str:
    """A stable identity for a finding: it does not change when records move or lines shift.

    It hashes only what names the finding (rule, kind, record id or group), never the file,
    position or message, so baselines and diffs survive re-ordering and unrelated edits.
    """
    key = "\x1f".join((rule_id, kind or "", record_id or "", group or ""))
    return hashlib.sha256(fingerprint_bytes(key)).hexdigest()[:32]


def fingerprint_bytes(key: str) -> bytes:
    """The one encoding of a finding's identity for hashing: UTF-8, a lone surrogate as its three
    ``surrogatepass`` bytes.

    Evidence never holds a lone surrogate (the loaders refuse one), but a plugin rule's outcome may
    name any string; plain UTF-8 would raise on it. For every string UTF-8 can encode the bytes are
    plain UTF-8's, so no fingerprint made before changes (a test holds the old values), and the
    encoding stays one-to-one (UTF-8 never has the bytes a surrogate gets), so ids cannot collide.
    """
    return key.encode("utf-8", "surrogatepass")


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's verdict on one record (or group, or the absence of evidence)."""

    rule_id: str
    rule_version: str
    status: Status
    severity: Severity
    area: str
    title: str
    message: str
    remediation: str
    evidence: EvidenceRef | None = None
    related: tuple[EvidenceRef, ...] = ()
    group: str | None = None
    fingerprint: str = ""
    #: The waiver that accepted this failure (status ``waived``), as given in the waivers file.
    waiver: Waiver | None = None

    def sort_key(self) -> tuple[Any, ...]:
        """The one deterministic order of findings: area, severity (high first), rule, evidence."""
        ev = self.evidence
        return (
            self.area,
            -_RANK_BY_VALUE[self.severity._value_],  # `_value_`: a plain attribute, cheap in a sort key
            self.rule_id,
            ev.kind if ev else "",
            ev.record_id or "" if ev else "",
            self.group or "",
            self.status._value_,
            self.message,
        )

    def as_dict(self) -> dict[str, Any]:
        """The JSON form, in a fixed key order."""
        out: dict[str, Any] = {
            "rule_id": self.rule_id,
            "rule_version": self.rule_version,
            "status": self.status.value,
            "severity": self.severity.value,
            "area": self.area,
            "title": self.title,
            "message": self.message,
        }
        if self.evidence is not None:
            out["evidence"] = self.evidence.as_dict()
        if self.related:
            out["related"] = [r.as_dict() for r in self.related]
        if self.group is not None:
            out["group"] = self.group
        out["remediation"] = self.remediation
        out["fingerprint"] = self.fingerprint
        if self.waiver is not None:
            out["waiver"] = self.waiver.echo()
        return out


@dataclass(frozen=True, slots=True)
class EvidenceFileInfo:
    """One evidence file as loaded: its path, format, kind(s), record count and SHA-256."""

    path: str
    format: str
    kind: str
    records: int
    sha256: str
    schema_version: str | None = None
    source: str | None = None
    collected_on: str | None = None
    #: What the loader wants the reader to know about the file (``Document.notes``).
    notes: tuple[str, ...] = ()
    #: The config mapping applied to the file (``source``, ``sha256``, ``skipped_rows``), if any.
    mapping: Mapping[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (keys with no value, and empty notes, are left out)."""
        out: dict[str, Any] = {
            "path": self.path,
            "format": self.format,
            "kind": self.kind,
            "records": self.records,
            "sha256": self.sha256,
        }
        for key in ("schema_version", "source", "collected_on"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.notes:
            out["notes"] = list(self.notes)
        if self.mapping is not None:
            out["mapping"] = dict(self.mapping)
        return out


@dataclass
class Summary:
    """Counts of findings by status, failing findings by severity, and statuses by area."""

    by_status: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in STATUS_ORDER})
    by_severity: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in Severity})
    by_area: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Per rule id: counts by status, and the rule's effective severity and area.
    by_rule: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The areas in the review's order (the runner sets it from ``Area.order``); ``by_area`` is listed in it.
    area_order: tuple[str, ...] = ()

    def add(self, status: Status, severity: Severity, area: str, n: int = 1, rule_id: str | None = None) -> None:
        """Count ``n`` findings of this status, severity, area (and rule)."""
        self.by_status[status.value] += n
        if rule_id is not None:
            per_rule = self.by_rule.get(rule_id)
            if per_rule is None:
                per_rule = self.by_rule[rule_id] = {
                    "area": area,
                    "severity": severity.value,
                    **{s.value: 0 for s in STATUS_ORDER},
                }
            per_rule[status.value] += n
        if status is Status.FAIL:
            self.by_severity[severity.value] += n
        per_area = self.by_area.get(area)
        if per_area is None:
            per_area = self.by_area[area] = {s.value: 0 for s in STATUS_ORDER}
        per_area[status.value] += n

    def move(self, rule_id: str, severity: Severity, area: str, was: Status, to: Status, n: int = 1) -> None:
        """Recount ``n`` findings of one rule that change status (failures waived or baselined)."""
        self.add(was, severity, area, -n, rule_id=rule_id)
        self.add(to, severity, area, n, rule_id=rule_id)

    def _areas_in_order(self) -> list[str]:
        """The areas counted, in the review's order (``area_order``), then any others by id."""
        rank = {area: i for i, area in enumerate(self.area_order)}
        return sorted(self.by_area, key=lambda a: (rank.get(a, len(rank)), a))

    def as_dict(self) -> dict[str, Any]:
        """The JSON form, areas in the review's order."""
        return {
            "total": sum(self.by_status.values()),
            "by_status": dict(self.by_status),
            "failures_by_severity": dict(self.by_severity),
            "by_area": {a: dict(self.by_area[a]) for a in self._areas_in_order()},
            "by_rule": {r: dict(self.by_rule[r]) for r in sorted(self.by_rule)},
        }


@dataclass(frozen=True)
class RunResult:
    """Everything one ``capcheck check`` produced: every reporter renders this one value.

    The contract between the core and its outputs: every member is typed, so a reporter reads
    attributes (``result.scorecard.rows``, ``result.baseline.new_failures``) and mypy checks them.
    The JSON forms come from each member's ``as_dict()`` (``Scorecard.blocks()``).
    """

    tool_version: str
    as_of: date
    started: datetime
    finished: datetime
    evidence: tuple[EvidenceFileInfo, ...]
    rules: tuple[RuleInfo, ...]
    areas: tuple[Area, ...]
    #: In the one order (``Finding.sort_key``); a run's are :class:`capcheck.core.outcomes.Findings`, made
    #: lazily from compact outcomes as a reporter reads them (re-iterable; indexing works).
    findings: Sequence[Finding]
    summary: Summary
    fail_on: Severity | None
    include_passed: bool = False
    #: The maturity scorecard: area rows, the per-criterion view, the organisation and its profile.
    #: None when the result has none (a result built by hand or by a plugin).
    scorecard: Scorecard | None = None
    #: Every waiver's state this run, in file order; None without ``--waivers``.
    waivers: tuple[WaiverState, ...] | None = None
    #: What the baseline matched and what is fixed; None without ``--baseline``.
    baseline: BaselineReport | None = None
    #: Why the scorecard gate failed, one message per area below its minimum level.
    gate_failures: tuple[str, ...] = ()
    #: The rule selection in force (CLI over config), so an auditor can see what was left out.
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    #: The scorecard method in force (config [scorecard] over the defaults): a loosened method is visible.
    scorecard_method: ScorecardConfig | None = None
    #: The config's per-rule severities and option values in force (``[severity]``, ``[options]``): a rule
    #: made milder or more lenient than its pack says is visible, not only in the config file.
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)
    option_overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 clean; 1 a failure at or above ``fail_on`` or a failed gate; 2 any ``error`` finding."""
        if self.summary.by_status[Status.ERROR.value]:
            return 2
        if self.gate_failures:
            return 1
        if self.fail_on is None:
            return 0
        threshold = self.fail_on.rank
        for sev in Severity:
            if sev.rank >= threshold and self.summary.by_severity[sev.value]:
                return 1
        return 0


@lru_cache(maxsize=4)
def _resolved_cwd(cwd: str) -> Path:
    # Keyed by the working directory's name, so a chdir is seen; resolving it (an lstat per component) once
    # rather than for each of the ~100 paths shown while the registry is built.
    return Path(cwd).resolve()


def _stat_for_loop(real: str) -> None:
    """Raise for a symbolic link loop, as ``Path.resolve`` does after its ``realpath``; any other error is not one."""
    try:
        os.stat(real)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise


def display_path(path: Path, *, real: str | None = None) -> str:
    """A path as shown in findings: relative to the working directory when below it, POSIX style.

    ``real``: the path's ``os.path.realpath``, when the caller has it already (resolving is an ``lstat`` per
    path component; ``Path.resolve`` is ``realpath`` and a ``stat`` to tell a symbolic link loop, kept here).
    """
    try:
        if real is None:
            resolved = path.resolve()
        else:
            resolved = Path(real)
            _stat_for_loop(real)
    except (OSError, RuntimeError):  # a symbolic link loop (RuntimeError before Python 3.13): name it as given
        resolved = Path(os.path.abspath(path))
    try:
        rel = resolved.relative_to(_resolved_cwd(os.getcwd()))
    except ValueError:
        return path.as_posix()
    return rel.as_posix()
