"""The built-in OSCAL reporter: one NIST OSCAL 1.0.6 ``assessment-results`` document per run, for auditors.

The document is valid against the official OSCAL 1.0.6 assessment-results JSON Schema (a copy is in
``tests/data/external-schemas``) and is laid out as OSCAL producers (Lula, compliance-trestle) lay out
automated results: one result, whose ``reviewed-controls`` name the capability areas (the controls) and
the rules that ran (their objectives); one *finding* per rule and one per area, each stating whether its
objective is ``satisfied`` and relating the observations behind it; one *observation* per listed finding
(every failing, waived, baselined, error and skip finding; passes only with ``--include-passed``), each
traceable to its evidence record: the evidence file as a back-matter resource (path, SHA-256) and its
subject, the record id, line, row and JSON pointer as properties, the rule id and version.

Statuses map honestly: a rule's objective is ``satisfied`` only when it judged at least one record and
every judged record passed. An error (the rule raised), a failure, an accepted failure (waived or
baselined) and a skip (insufficient evidence) all make it ``not-satisfied``, each saying which in the
status's ``reason`` (``fail`` or ``other``), its remarks and the ``capcheck-verdict`` property.

A rule lists at most ``RenderOptions.oscal_max_observations`` observations (``--oscal-max-observations``,
default 1,000; the first in the findings' order, failures, errors and skips before passes); its finding
still counts every record, and says how many observations were left out (``observations-omitted``, and
the result's remarks).

The scorecard's notes (what can lift a level without the evidence improving) are the result's
``scorecard-note`` properties and a list in its remarks.

OSCAL requires a reference to an assessment plan (``import-ap``); capcheck has none, so ``href`` points
at a back-matter resource describing the rule set that ran (``#UUID``), and its remarks say so. Link a
real plan by replacing ``import-ap.href`` (docs/reporters.md).

UUIDs are version 5, derived from the run's content (evidence hashes, rules and versions, as-of date,
statuses), never random: the same evidence, rules and as-of date give byte-identical output apart from
the timestamps. Values are data, never markup: the Markdown fields (titles, descriptions, remarks) have
evidence values escaped (:func:`capcheck.core.escaping.markdown.md_escape`), and property values show
hidden characters visibly (:func:`capcheck.core.escaping.controls.reveal`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from capcheck.core.escaping.controls import reveal
from capcheck.core.escaping.json import indented, json_safe, json_text
from capcheck.core.escaping.markdown import md_escape
from capcheck.core.hookspecs import hookimpl
from capcheck.core.models import EvidenceRef, Finding, RuleInfo, RunResult, Status
from capcheck.core.outcomes import Findings
from capcheck.core.reporting import (
    ByteStream,
    RenderOptions,
    Reporter,
    document_file,
    finding_runs,
    finding_subject,
    render_by,
    uri_path,
    verdict_word,
)

__all__ = [
    "OSCAL_VERSION",
    "PROP_NS",
    "oscal_document",
    "render_oscal",
    "rule_verdict",
    "write_oscal",
]

#: The OSCAL version the document is written against (the schema copied into the tests).
OSCAL_VERSION = "1.0.6"
#: The namespace of capcheck's own properties (``props[].ns``).
PROP_NS = "https://github.com/capcheck/capcheck/ns/oscal"
#: Every UUID is a version 5 UUID under this namespace (the document's) or under the document's UUID.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, PROP_NS)
#: The tool, as the origin of every finding: the same UUID in every document.
_TOOL_UUID = str(uuid.uuid5(_NAMESPACE, "tool/capcheck"))
#: The statuses whose observations are typed ``finding`` (a failure, accepted or not).
_FAILING = frozenset({Status.FAIL, Status.WAIVED, Status.BASELINED})
#: The statuses listed as observations (passes only with ``--include-passed``).
_NOT_PASS = frozenset({Status.FAIL, Status.WAIVED, Status.BASELINED, Status.ERROR, Status.SKIP})
#: Where the observations go in the document encoded with none (a string's newline is escaped).
_OBSERVATIONS_SLOT = '\n        "observations": []'
#: Observations encoded per chunk.
_CHUNK = 512


@dataclass(frozen=True)
class Verdict:
    """A rule's (or area's) verdict in OSCAL terms: the objective's state and reason, capcheck's word, why."""

    state: str  # "satisfied" | "not-satisfied"
    reason: str  # "pass" | "fail" | "other"
    word: str  # capcheck's verdict: pass, fail, error, accepted, skip, not-judged
    remarks: str


def rule_verdict(counts: Mapping[str, int]) -> Verdict:
    """A rule's verdict from its counts by status: ``satisfied`` only when it judged a record and every
    judged record passed; an error, a failure, an accepted failure or a skip is never shown as satisfied."""
    n = {s.value: int(counts.get(s.value, 0)) for s in Status}
    if n["error"]:
        return Verdict(
            "not-satisfied", "other", "error", f"The rule raised an error ({n['error']}): it could not be evaluated."
        )
    if n["fail"]:
        return Verdict("not-satisfied", "fail", "fail", f"{n['fail']} failing record(s).")
    accepted = n["waived"] + n["baselined"]
    if accepted:
        return Verdict(
            "not-satisfied",
            "other",
            "accepted",
            f"{accepted} failing record(s) accepted ({n['waived']} waived, {n['baselined']} baselined): "
            "the failures are accepted, not fixed.",
        )
    if n["skip"]:
        return Verdict(
            "not-satisfied",
            "other",
            "skip",
            f"Not fully judged: {n['skip']} skip(s) for insufficient evidence ({n['pass']} passing record(s)).",
        )
    if n["pass"]:
        return Verdict("satisfied", "pass", "pass", f"All {n['pass']} judged record(s) pass.")
    return Verdict("not-satisfied", "other", "not-judged", "No record was judged.")


def _timestamp(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _value(text: object) -> str:
    """A property value: hidden characters made visible; a value OSCAL's string type refuses (empty, or
    starting or ending with white space) written as its JSON string literal, quotes included, and so is one
    starting with a quote: a value shown starting with ``"`` is always such a literal, never ambiguous."""
    value = reveal(str(text))
    if not value or _edge_space(value[0]) or _edge_space(value[-1]) or value[0] == '"':
        return json.dumps(value, ensure_ascii=False)
    return value


def _edge_space(ch: str) -> bool:
    return ch.isspace() or ch == "\ufeff"  # ECMAScript's \s, which the schema's pattern uses, has U+FEFF


def _prop(name: str, value: object) -> dict[str, Any]:
    return {"name": name, "ns": PROP_NS, "value": _value(value)}


@dataclass
class _RulePlan:
    """A rule's listed findings: the indices kept as observations, and how many were left out."""

    kept: list[int] = field(default_factory=list)
    omitted: int = 0


def _plan(result: RunResult, limit: int) -> dict[str, _RulePlan]:
    """Per rule, from the findings' statuses (no finding is made): the indices of the findings listed as
    observations, at most ``limit`` (0: all), failures, errors and skips before passes, in order. No more
    than ``limit`` indices of each are held, however many findings there are."""
    include_passed = result.include_passed
    cap = limit if limit > 0 else None
    firsts: dict[str, list[int]] = {}  # per rule: the first non-passes, then the first passes
    passes: dict[str, list[int]] = {}
    totals: dict[str, int] = {}
    for run in finding_runs(result.findings):
        first, then = firsts.setdefault(run.rule_id, []), passes.setdefault(run.rule_id, [])
        listed = 0
        for k, status in enumerate(run.statuses):
            if status in _NOT_PASS:
                listed += 1
                if cap is None or len(first) < cap:
                    first.append(run.start + k)
            elif include_passed:
                listed += 1
                if cap is None or len(then) < cap:
                    then.append(run.start + k)
        totals[run.rule_id] = totals.get(run.rule_id, 0) + listed
    plans: dict[str, _RulePlan] = {}
    for rule_id, total in totals.items():
        if not total:
            continue
        first, then = firsts[rule_id], passes[rule_id]
        kept = first + then if cap is None else first[:cap] + then[: max(0, cap - len(first))]
        plans[rule_id] = _RulePlan(sorted(kept), total - len(kept))
    return plans


def _document_uuid(result: RunResult) -> uuid.UUID:
    """The document's UUID: from what decides its content (never the run's timestamps)."""
    key = {
        "tool": result.tool_version,
        "as_of": result.as_of.isoformat(),
        "evidence": [(e.path, e.kind, e.sha256) for e in result.evidence],
        "rules": [(r.id, r.version, r.severity.value) for r in result.rules],
        "include_passed": result.include_passed,
        "summary": result.summary.as_dict(),
        "waivers": None if result.waivers is None else [w.as_dict() for w in result.waivers],
        "baseline": None if result.baseline is None else result.baseline.as_dict(),
    }
    return uuid.uuid5(_NAMESPACE, json.dumps(json_safe(key), sort_keys=True, ensure_ascii=True, default=str))


class _Document:
    """One assessment-results document: what precedes and follows its observations, worked out from the
    findings' statuses before any finding is made."""

    def __init__(self, result: RunResult, limit: int) -> None:
        self.run = result
        self.limit = limit
        self.doc_uuid = _document_uuid(result)
        self.plans = _plan(result, limit)
        self._observation_uuids: dict[int, str] = {}  # each made once: a finding's and its area's relate it
        self.resources: dict[str, str] = {}  # evidence path -> resource UUID
        for ev in result.evidence:
            self.resources.setdefault(ev.path, self._uuid(f"resource/evidence/{ev.path}"))
        self.rules_resource = self._uuid("resource/rule-set")
        self.started = _timestamp(result.started)

    def _uuid(self, name: str) -> str:
        return str(uuid.uuid5(self.doc_uuid, json_safe(name)))

    def observation_uuid(self, index: int) -> str:
        """The UUID of the observation of the finding at ``index`` (the findings' order is deterministic)."""
        made = self._observation_uuids.get(index)
        if made is None:
            made = self._observation_uuids[index] = self._uuid(f"observation/{index}")
        return made

    def kept(self) -> Iterator[int]:
        """The indices of the findings listed as observations, in the findings' order."""
        return iter(sorted(i for plan in self.plans.values() for i in plan.kept))

    # -- observations -------------------------------------------------------------------------------

    def observation(self, index: int, f: Finding) -> dict[str, Any]:
        """The observation of one finding."""
        subject = finding_subject(f)
        props = [
            _prop("rule-id", f.rule_id),
            _prop("rule-version", f.rule_version),
            _prop("status", f.status.value),
            _prop("severity", f.severity.value),
            _prop("area", f.area),
        ]
        ev = f.evidence
        if f.group is not None:
            props.append(_prop("group", f.group))
        if f.fingerprint:
            props.append(_prop("fingerprint", f.fingerprint))
        text = f.message or f.title
        out: dict[str, Any] = {
            "uuid": self.observation_uuid(index),
            "title": md_escape(f"{f.rule_id} {f.status.value}: {subject}"),
            "description": md_escape(text),
            "props": props,
            "methods": ["EXAMINE"],
        }
        if f.status in _FAILING:
            out["types"] = ["finding"]
        evidence = [self._evidence(e, f.group) for e in (ev, *f.related) if e is not None]
        subjects = [
            {"subject-uuid": self.resources[e.file], "type": "resource", "title": md_escape(e.file)}
            for e in (ev, *f.related)
            if e is not None and e.file is not None and e.file in self.resources
        ]
        if subjects:
            out["subjects"] = list({s["subject-uuid"]: s for s in subjects}.values())
        if evidence:
            out["relevant-evidence"] = evidence
        out["collected"] = self.started
        remarks = self._remarks(f)
        if remarks:
            out["remarks"] = remarks
        return out

    def _evidence(self, ev: EvidenceRef, group: str | None) -> dict[str, Any]:
        where = ev.location()
        what = f"{ev.kind} record {ev.record_id}" if ev.record_id is not None else f"{ev.kind} evidence"
        if ev.record_id is None and group is not None:
            what = f"{ev.kind} group {group}"
        if ev.file is not None:
            description = f"{what} in {where}"
        elif ev.record_id is None and group is None:
            description = f"no {ev.kind} evidence was given"
        else:
            description = what
        out: dict[str, Any] = {}
        if ev.file is not None and ev.file in self.resources:
            out["href"] = "#" + self.resources[ev.file]
        out["description"] = md_escape(description)
        props = [_prop("kind", ev.kind)]
        for name, value in (
            ("record-id", ev.record_id),
            ("file", ev.file),
            ("line", ev.line),
            ("row", ev.row),
            ("pointer", ev.pointer),
        ):
            if value is not None:
                props.append(_prop(name, value))
        out["props"] = props
        return out

    def _remarks(self, f: Finding) -> str | None:
        if f.status is Status.WAIVED and f.waiver is not None:
            w = f.waiver
            return md_escape(
                f"Waived: {w.reason} (approved by {w.approved_by}, {w.ticket}, expires {w.expires.isoformat()})."
            )
        if f.status is Status.BASELINED:
            return "Baselined: a known failure recorded in the baseline file; accepted, not fixed."
        if f.status is Status.ERROR:
            return "The rule raised an error: this record could not be evaluated."
        if f.status is Status.SKIP:
            return "Skipped: the rule could not judge (insufficient evidence); never a pass."
        return None

    # -- findings -------------------------------------------------------------------------------------

    def _rules_in_order(self) -> list[RuleInfo]:
        rank = {a: i for i, a in enumerate(self.run.summary.area_order)}
        return sorted(self.run.rules, key=lambda r: (rank.get(r.area, len(rank)), r.area, r.id))

    def _origins(self) -> list[dict[str, Any]]:
        return [{"actors": [{"type": "tool", "actor-uuid": _TOOL_UUID}]}]

    def rule_finding(self, rule: RuleInfo, counts: Mapping[str, int]) -> dict[str, Any]:
        """The finding of one rule: its objective's verdict and the observations behind it."""
        v = rule_verdict(counts)
        plan = self.plans.get(rule.id, _RulePlan())
        props = [
            _prop("rule-id", rule.id),
            _prop("rule-version", rule.version),
            _prop("area", rule.area),
            _prop("severity", rule.severity.value),
            _prop("capcheck-verdict", v.word),
        ]
        props += [_prop(f"count-{s.value}", counts.get(s.value, 0)) for s in Status]
        props += [_prop("criterion", c) for c in rule.criteria]
        if plan.omitted:
            props.append(_prop("observations-omitted", plan.omitted))
        out: dict[str, Any] = {
            "uuid": self._uuid(f"finding/rule/{rule.id}"),
            "title": md_escape(f"{rule.id}: {rule.title}"),
            "description": md_escape(rule.description or rule.title),
            "props": props,
            "origins": self._origins(),
            "target": {
                "type": "objective-id",
                "target-id": rule.id,
                "status": {"state": v.state, "reason": v.reason},
                "remarks": md_escape(v.remarks),
            },
        }
        if plan.kept:
            out["related-observations"] = [{"observation-uuid": self.observation_uuid(i)} for i in plan.kept]
        if rule.remediation:
            out["remarks"] = md_escape(f"Remediation: {rule.remediation}")
        return out

    def area_finding(self, area: str, rules: Sequence[RuleInfo], verdicts: Sequence[Verdict]) -> dict[str, Any]:
        """The finding of one area (a control): satisfied only when every one of its rules' objectives is."""
        titles = {a.id: a.title for a in self.run.areas}
        failing = [r.id for r, v in zip(rules, verdicts, strict=True) if v.state != "satisfied"]
        state = "not-satisfied" if failing else "satisfied"
        reason = "pass" if not failing else "fail" if any(v.reason == "fail" for v in verdicts) else "other"
        remarks = (
            f"Not satisfied: {', '.join(failing)}."
            if failing
            else f"Every one of its {len(rules)} rule(s) is satisfied."
        )
        props = [_prop("area", area), _prop("rules", len(rules))]
        props += [_prop("rule-not-satisfied", r) for r in failing]
        if self.run.scorecard is not None:
            for row in self.run.scorecard.rows:
                if row.area == area:
                    props.append(_prop("maturity", row.name))
                    if row.level is not None:
                        props.append(_prop("maturity-level", row.level))
                    # The scorecard's criteria (public frameworks' refs hold a colon: no OSCAL control id).
                    props += [_prop("criterion", f"{c.ref} {c.status.value}") for c in row.criteria]
        related = [
            {"observation-uuid": self.observation_uuid(i)}
            for r in rules
            for i in self.plans.get(r.id, _RulePlan()).kept
        ]
        out: dict[str, Any] = {
            "uuid": self._uuid(f"finding/area/{area}"),
            "title": md_escape(f"{area}: {titles.get(area, area)}"),
            "description": md_escape(f"The capability area {area} ({titles.get(area, area)}): its rules' verdicts."),
            "props": props,
            "origins": self._origins(),
            "target": {
                "type": "objective-id",
                "target-id": area,
                "status": {"state": state, "reason": reason},
                "remarks": md_escape(remarks),
            },
        }
        if related:
            out["related-observations"] = related
        return out

    def findings(self) -> list[dict[str, Any]]:
        """Every area's finding followed by its rules' findings, areas in the review's order."""
        by_rule = self.run.summary.by_rule
        out: list[dict[str, Any]] = []
        rules = self._rules_in_order()
        areas: dict[str, list[RuleInfo]] = {}
        for rule in rules:
            areas.setdefault(rule.area, []).append(rule)
        for area, members in areas.items():
            verdicts = [rule_verdict(by_rule.get(r.id, {})) for r in members]
            out.append(self.area_finding(area, members, verdicts))
            out += [self.rule_finding(r, by_rule.get(r.id, {})) for r in members]
        return out

    # -- the document ---------------------------------------------------------------------------------

    def document(self, observations: list[dict[str, Any]] | None) -> dict[str, Any]:
        """The document with these observations (None: with an empty slot that :func:`write_oscal` fills)."""
        result = self.run
        areas = list(dict.fromkeys(r.area for r in self._rules_in_order()))
        rules = self._rules_in_order()
        omitted = sum(p.omitted for p in self.plans.values())
        listed = sum(len(p.kept) for p in self.plans.values())
        selection: dict[str, Any] = {"description": "The capability areas whose rules ran."}
        if areas:
            selection["include-controls"] = [{"control-id": a} for a in areas]
        reviewed: dict[str, Any] = {
            "description": "The capability areas (controls) and the capcheck rules (their objectives) that ran.",
            "control-selections": [selection],
        }
        if rules:
            reviewed["control-objective-selections"] = [
                {
                    "description": "The rules that ran, each an objective of its area.",
                    "include-objectives": [{"objective-id": r.id} for r in rules],
                }
            ]
        summary = result.summary.by_status
        run_props = [
            _prop("verdict", verdict_word(result)),
            _prop("exit-code", result.exit_code),
            _prop("as-of", result.as_of.isoformat()),
            _prop("fail-on", result.fail_on.value if result.fail_on else "never"),
            _prop("include-passed", "true" if result.include_passed else "false"),
        ]
        run_props += [_prop(f"count-{s.value}", summary.get(s.value, 0)) for s in Status]
        run_props += [_prop("select", s) for s in result.select]
        run_props += [_prop("ignore", s) for s in result.ignore]
        run_props += [_prop("gate-failure", g) for g in result.gate_failures]
        notes = result.scorecard.notes if result.scorecard is not None else ()
        run_props += [_prop("scorecard-note", n) for n in notes]
        res: dict[str, Any] = {
            "uuid": self._uuid("result"),
            "title": "capcheck check",
            "description": md_escape(
                f"capcheck {result.tool_version} judged {len(result.evidence)} evidence file(s) with "
                f"{len(rules)} rule(s) as of {result.as_of.isoformat()}: {verdict_word(result)}."
            ),
            "start": self.started,
            "end": _timestamp(result.finished),
            "props": run_props,
            "local-definitions": {
                "assessment-assets": {
                    "assessment-platforms": [
                        {"uuid": _TOOL_UUID, "title": "capcheck", "props": [_prop("version", result.tool_version)]}
                    ]
                }
            },
            "reviewed-controls": reviewed,
        }
        if observations is None or observations:
            res["observations"] = [] if observations is None else observations
        findings = self.findings()
        if findings:
            res["findings"] = findings
        remarks = [f"{listed} observation(s) listed"]
        if omitted:
            remarks.append(
                f"{omitted} more left out: at most {self.limit} per rule (--oscal-max-observations; each rule's "
                "finding counts every record; the full set is in the JSON report, --report json=FILE)"
            )
        res["remarks"] = "; ".join(remarks) + "."
        if notes:  # what can lift a level without the evidence improving, in the text report's words
            res["remarks"] += "\n\nScorecard notes:\n\n" + "\n".join(f"- {md_escape(n)}" for n in notes)

        resources: list[dict[str, Any]] = [
            {
                "uuid": self.rules_resource,
                "title": "capcheck rule set (stands in for an assessment plan)",
                "description": md_escape(
                    "capcheck has no OSCAL assessment plan: this resource describes the rule set that ran, "
                    f"{len(rules)} rule(s): " + ", ".join(f"{r.id} {r.version}" for r in rules) + "."
                ),
                "props": [_prop("rule", f"{r.id} {r.version}") for r in rules] or [_prop("rule", "none")],
            }
        ]
        seen: set[str] = set()
        for ev in result.evidence:
            if ev.path in seen:
                continue
            seen.add(ev.path)
            disk, part = document_file(ev.path)
            props = [_prop("kind", ev.kind), _prop("format", ev.format), _prop("records", ev.records)]
            if part is not None:
                props.append(_prop("part", part))
            for name, value in (
                ("schema-version", ev.schema_version),
                ("source", ev.source),
                ("collected-on", ev.collected_on),
            ):
                if value is not None:  # what the file's envelope says of it: when and where it was collected
                    props.append(_prop(name, value))
            resources.append(
                {
                    "uuid": self.resources[ev.path],
                    "title": md_escape(ev.path),
                    "description": md_escape(f"Evidence file: {ev.records} {ev.kind} record(s) ({ev.format})."),
                    "props": props,
                    "rlinks": [{"href": uri_path(disk), "hashes": [{"algorithm": "SHA-256", "value": ev.sha256}]}],
                }
            )
        metadata: dict[str, Any] = {
            "title": "capcheck assessment results",
            "last-modified": _timestamp(result.finished),
            "version": result.tool_version,
            "oscal-version": OSCAL_VERSION,
            "props": [_prop("as-of", result.as_of.isoformat())],
        }
        ar = {
            "uuid": str(self.doc_uuid),
            "metadata": metadata,
            "import-ap": {
                "href": "#" + self.rules_resource,
                "remarks": (
                    "A placeholder: capcheck has no OSCAL assessment plan, so this points at the back-matter "
                    "resource describing the rule set that ran. Replace it with your assessment plan's URI."
                ),
            },
            "results": [res],
            "back-matter": {"resources": resources},
        }
        return {"assessment-results": ar}


def oscal_document(result: RunResult, options: RenderOptions | None = None) -> dict[str, Any]:
    """The assessment-results document as plain data (what ``--format oscal`` writes)."""
    doc = _Document(result, (options or RenderOptions()).oscal_max_observations)
    indices = list(doc.kept())
    return doc.document(
        [doc.observation(i, f) for i, f in zip(indices, _picked(result.findings, indices), strict=True)]
    )


def _picked(findings: Sequence[Finding], indices: list[int]) -> Iterator[Finding]:
    """The findings at ``indices`` (ascending), a run's lazy findings made a block at a time."""
    if isinstance(findings, Findings):
        return findings.picked(indices)
    return (findings[i] for i in indices)


def write_oscal(result: RunResult, options: RenderOptions, stream: ByteStream) -> None:
    """Write the document as indented JSON, its observations a chunk at a time as they are made."""
    doc = _Document(result, options.oscal_max_observations)
    indices = list(doc.kept())
    if not indices:
        stream.write(_encode(doc.document([])).encode("utf-8") + b"\n")
        return
    head, tail = _encode(doc.document(None)).split(_OBSERVATIONS_SLOT)
    stream.write(head.encode("utf-8"))
    stream.write(b'\n        "observations": [')
    kept = zip(indices, _picked(result.findings, indices), strict=True)
    written = False
    while chunk := [doc.observation(i, f) for i, f in islice(kept, _CHUNK)]:
        # `[\n  {...},\n  {...}\n]` -> `\n          {...},\n          {...}`: five levels deeper, no brackets.
        items = indented(chunk)[1:-2].replace("\n", "\n        ")
        stream.write(("," if written else "").encode("utf-8") + json_text(items).encode("utf-8"))
        written = True
    stream.write(b"\n        ]")
    stream.write(tail.encode("utf-8"))
    stream.write(b"\n")


def _encode(document: dict[str, Any]) -> str:
    """The document's text: indented JSON with what encoders leave raw escaped (:func:`json_text`)."""
    return json_text(indented(document))


#: Render the assessment-results document as indented JSON (the text :func:`write_oscal` writes).
render_oscal = render_by(write_oscal)


@hookimpl
def capcheck_reporters() -> Sequence[Reporter]:
    """The OSCAL assessment-results reporter."""
    return [
        Reporter(
            name="oscal",
            render=render_oscal,
            write=write_oscal,
            description="NIST OSCAL 1.0.6 assessment-results document for auditors' OSCAL tooling",
            extension=".json",
        )
    ]
