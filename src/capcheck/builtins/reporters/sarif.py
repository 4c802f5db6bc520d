"""The built-in SARIF 2.1.0 reporter: findings as a static-analysis log for GitHub code scanning.

The log is valid against the OASIS SARIF 2.1.0 (errata 01) schema and carries what GitHub code
scanning reads: one run, ``tool.driver`` with every rule that ran (descriptions, help, default
level, ``security-severity``), and one result per ``fail``, ``error`` and ``skip`` finding (and per
listed ``pass``). Locations are evidence files relative to ``%SRCROOT%`` (the directory capcheck
ran in, normally the repository root), with the record's line.

Status mapping (SARIF ``result.kind`` / ``result.level``):

* ``fail``  -> ``kind: "fail"``, level from severity (critical/high ``error``, medium ``warning``,
  low/info ``note``);
* ``error`` -> ``kind: "fail"``, ``level: "error"`` (the rule raised: the check is incomplete), and a
  ``toolExecutionNotification`` in the invocation, whose ``executionSuccessful`` is false;
* ``skip``  -> ``kind: "open"``, ``level: "none"``: SARIF's "the tool could not determine whether
  there is a problem", which is what a skip (insufficient evidence) means; never a pass;
* ``pass``  -> ``kind: "pass"``, ``level: "none"`` (only when passes are listed).

The scorecard's notes (what can lift a level without the evidence improving) are the invocation's
``toolExecutionNotifications`` of level ``note`` (``Scorecard note: ...``) and its
``properties.scorecardNotes``, beside the scorecard's rows.

A run lists at most ``RenderOptions.sarif_max_results`` results (``--sarif-max-results``, default
5,000: GitHub keeps only the 5,000 most severe of a run): the most important are kept, and a
``toolExecutionNotification`` says how many were left out. ``automationDetails.id`` is the category
(``--sarif-category``) followed by ``/``.

A rule's results can be written apart (:func:`sarif_segment`, made by the process of a split check that holds the
rule's records) and copied into the log, when every listed result is (no cap leaves some out). Three things in a
result depend on the run, not the rule: the rule's index among the run's rules, an artifact's location (relative to
the base directory, and its index among the run's artifacts), and, with a baseline, a failure's ``baselineState``. A
segment holds a hole for each, a NUL-delimited key (JSON text holds no raw NUL, so nothing else can be taken for one),
which the writer fills.

Output is deterministic for the same evidence, rules and as-of date, apart from the invocation's
start and end times. Control characters, DEL, C1, separators and bidi controls are ``\\u``-escaped,
and a lone surrogate (an undecodable byte in a file name) is written as its escape text ``\\udcff``
(:func:`capcheck.core.escaping.json.json_text`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Any

from capcheck.core.escaping.json import indented, json_text
from capcheck.core.hookspecs import hookimpl
from capcheck.core.models import EvidenceRef, Finding, RuleInfo, RunResult, Severity, Status
from capcheck.core.outcomes import Findings, RuleOutcomes, Span
from capcheck.core.reporting import (
    ATTENTION,
    ByteStream,
    FindingRun,
    RenderOptions,
    Reporter,
    block_findings,
    document_file,
    finding_runs,
    finding_subject,
    render_by,
    segment_chunks,
    uri_path,
)

__all__ = [
    "INFORMATION_URI",
    "SARIF_SCHEMA_URI",
    "SECURITY_SEVERITY",
    "SRCROOT",
    "automation_id",
    "render_sarif",
    "sarif_document",
    "sarif_segment",
    "write_sarif",
]

#: The ``$schema`` written into every log (the URI GitHub's documentation uses).
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
#: Where people find out about the tool (``tool.driver.informationUri``).
INFORMATION_URI = "https://github.com/capcheck/capcheck"
#: The base every relative artifact URI is resolved against: the directory capcheck ran in.
SRCROOT = "%SRCROOT%"
#: GitHub's security severity (a string holding a number in 0.0-10.0) for each severity.
SECURITY_SEVERITY: Mapping[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
#: SARIF level of a failing result, by severity.
LEVEL: Mapping[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
#: GitHub shows at most this many characters of a rule's short and full description.
MAX_DESCRIPTION = 1024
#: GitHub reads at most 10 locations per result; related locations are capped too.
MAX_RELATED = 10
#: The ``automationDetails.id`` when no category is given (GitHub: ``category/run-id``).
DEFAULT_CATEGORY = "capcheck/"

_FINGERPRINT_KEY = "capcheckFingerprint/v1"
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def _timestamp(value: Any) -> str:
    return str(value.isoformat(timespec="seconds").replace("+00:00", "Z"))


def _truncate(text: str, limit: int = MAX_DESCRIPTION) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _message_text(text: str) -> str:
    """Plain-text SARIF message: literal brackets are escaped so evidence cannot forge embedded links."""
    return text.replace("[", "\\[").replace("]", "\\]")


def _rule_name(title: str) -> str:
    """A PascalCase identifier from a title (``reportingDescriptor.name``)."""
    words = re.findall(r"[A-Za-z0-9]+", title)
    return "".join(w[:1].upper() + w[1:] for w in words)[:255] or "Rule"


class _Locator:
    """Turns evidence file paths (as shown in findings) into SARIF artifact locations."""

    def __init__(self, base_dir: Path | None) -> None:
        self.base = base_dir.resolve() if base_dir is not None else None
        self.cwd = Path.cwd().resolve()
        self.artifacts: dict[str, int] = {}
        # Per path, worked out once (a path's resolution is file system calls; a run names few files).
        self._located: dict[str, dict[str, Any]] = {}
        self._parts: dict[str, str | None] = {}

    @staticmethod
    def split(path: str) -> tuple[str, str | None]:
        """A document shown as ``file!part`` (a workbook's sheet) as (the file on disk, the part): see
        :func:`capcheck.core.reporting.document_file`."""
        return document_file(path)

    def part(self, path: str) -> str | None:
        """The part of a ``file!part`` document (a workbook's sheet); None for a file."""
        try:
            return self._parts[path]
        except KeyError:
            part = self._parts[path] = self.split(path)[1]
            return part

    def location(self, path: str) -> dict[str, Any]:
        """``{"uri": ..., "uriBaseId": "%SRCROOT%"}`` for a path below the base, else a file URI."""
        p = Path(self.split(path)[0])
        try:
            if self.base is not None:
                absolute = (p if p.is_absolute() else self.cwd / p).resolve()
                if not absolute.is_relative_to(self.base):
                    return {"uri": absolute.as_uri()}
                return {"uri": uri_path(absolute.relative_to(self.base).as_posix()), "uriBaseId": SRCROOT}
            if p.is_absolute():
                return {"uri": p.as_uri()}
        except ValueError:  # a NUL or a surrogate no file system can encode: a name, not a file to resolve
            pass
        return {"uri": uri_path(PurePosixPath(p.as_posix()).as_posix().lstrip("/")), "uriBaseId": SRCROOT}

    def artifact(self, path: str) -> dict[str, Any] | str:
        """A result's artifact location (:meth:`artifact_location`); a segment's is a hole (:class:`_Holes`)."""
        return self.artifact_location(path)

    def artifact_location(self, path: str) -> dict[str, Any]:
        """An artifact location that also points at the run's ``artifacts`` entry, if there is one (the
        entries are all known before the first result is made)."""
        loc = self._located.get(path)
        if loc is None:
            loc = self._located[path] = self.location(path)
            index = self.artifacts.get(path)
            if index is not None:
                loc["index"] = index
        return dict(loc)  # a copy: the plain data of :func:`sarif_document` shares no dictionary


def _rule_descriptor(info: RuleInfo) -> dict[str, Any]:
    title = info.title or info.id
    description = info.description or title
    rationale = info.rationale
    remediation = info.remediation
    references = list(info.references)
    severity = info.severity
    area = info.area

    text_parts = [description]
    md_parts = [f"**{info.id}: {title}**", "", description]
    if rationale:
        text_parts.append(f"Why: {rationale}")
        md_parts += ["", f"**Why it matters.** {rationale}"]
    if remediation:
        text_parts.append(f"How to fix: {remediation}")
        md_parts += ["", f"**How to fix.** {remediation}"]
    if references:
        text_parts.append("References: " + " ".join(references))
        md_parts += ["", "**References**", ""] + [f"- <{r}>" for r in references]
    options = info.options
    if options:
        opts = ", ".join(f"{k} = {json.dumps(v, default=str)}" for k, v in sorted(options.items()))
        text_parts.append(f"Options: {opts}")
        md_parts += ["", f"**Options** (set in the config file): `{opts}`"]

    tags = sorted({"capcheck", area, *info.tags} - {""})
    properties: dict[str, Any] = {
        "tags": tags,
        "area": area,
        "precision": "high",
        "security-severity": SECURITY_SEVERITY[severity],
        "capcheckSeverity": severity.value,
        "kinds": list(info.kinds),
    }
    if info.source is not None:
        properties["source"] = info.source.as_dict()
    descriptor: dict[str, Any] = {
        "id": info.id,
        "name": _rule_name(title),
        "shortDescription": {"text": _truncate(title)},
        "fullDescription": {"text": _truncate(description)},
        "help": {"text": "\n\n".join(text_parts), "markdown": "\n".join(md_parts)},
    }
    if references:
        descriptor["helpUri"] = references[0]
    descriptor["defaultConfiguration"] = {"level": LEVEL[severity]}
    if info.version:
        properties["version"] = info.version
    descriptor["properties"] = properties
    return descriptor


def _rule_infos(result: RunResult, runs: Sequence[FindingRun]) -> list[RuleInfo]:
    """Every rule that ran, sorted by id; a rule only seen in findings is described from its first finding."""
    infos: dict[str, RuleInfo] = {r.id: r for r in result.rules}
    for run in runs:
        if run.rule_id not in infos:
            f = result.findings[run.start]
            infos[f.rule_id] = RuleInfo(
                id=f.rule_id,
                version=f.rule_version,
                title=f.title,
                area=f.area,
                severity=f.severity,
                remediation=f.remediation,
            )
    return [infos[k] for k in sorted(infos)]


def _logical_location(ev: EvidenceRef, group: str | None) -> dict[str, Any]:
    if ev.record_id is not None:
        return {"name": ev.record_id, "fullyQualifiedName": f"{ev.kind}/{ev.record_id}", "kind": "object"}
    if group is not None:
        return {"name": group, "fullyQualifiedName": f"{ev.kind}[{group}]", "kind": "object"}
    return {"name": ev.kind, "fullyQualifiedName": ev.kind, "kind": "resource"}


def _physical_location(ev: EvidenceRef, locator: _Locator) -> dict[str, Any] | None:
    if ev.file is None:
        return None
    region: dict[str, Any] = {"startLine": ev.line or 1}
    part = locator.part(ev.file)
    if part is not None:  # SARIF has no sheet: the line is the sheet's row, and the region says which sheet
        region["message"] = {"text": f"sheet {part}, row {ev.line or 1}"}
    return {"artifactLocation": locator.artifact(ev.file), "region": region}


def _baseline_state(f: Finding, waived_known: frozenset[str] | None) -> str | None:
    """SARIF ``baselineState`` of a finding: None when the run had no baseline or it does not compare.

    The baseline records failures, so a failure is ``unchanged`` when the baseline holds its
    fingerprint and ``new`` when not; a waiver does not change that (it is a suppression, not
    history). Errors, skips and passes are not failures the baseline could record: no state.
    """
    if waived_known is None:
        return None
    if f.status is Status.BASELINED:
        return "unchanged"
    if f.status is Status.FAIL:
        return "new"
    if f.status is Status.WAIVED:
        return "unchanged" if f.fingerprint in waived_known else "new"
    return None


def _result(
    f: Finding, rule_index: int | str, locator: _Locator, baseline_state: Callable[[Finding], str | None]
) -> dict[str, Any]:
    if f.status in (Status.FAIL, Status.WAIVED, Status.BASELINED):
        kind, level = "fail", LEVEL[f.severity]
    elif f.status is Status.ERROR:
        kind, level = "fail", "error"
    elif f.status is Status.SKIP:
        kind, level = "open", "none"
    else:
        kind, level = "pass", "none"
    ev = f.evidence
    text = f.message or f.title
    if (ev is not None and ev.record_id is not None) or f.group is not None:
        text = f"{finding_subject(f)}: {text}"  # a group's label: all KIND records for a whole register
    if f.status is Status.ERROR:
        text = f"{f.rule_id} could not be evaluated: {text}"
    out: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "kind": kind,
        "level": level,
        "message": {"text": _message_text(text)},
    }
    properties: dict[str, Any] = {"status": f.status.value, "severity": f.severity.value, "area": f.area}
    if ev is not None:
        physical = _physical_location(ev, locator)
        if physical is not None:
            # GitHub rejects a location without a physical location ("expected a physical location"):
            # a finding with no evidence file (its kind was not given) has no location at all.
            out["locations"] = [{"physicalLocation": physical, "logicalLocations": [_logical_location(ev, f.group)]}]
        properties["kind"] = ev.kind
        if ev.record_id is not None:
            properties["recordId"] = ev.record_id
        if ev.pointer is not None:
            properties["pointer"] = ev.pointer
        if ev.row is not None:
            properties["row"] = ev.row
    if f.group is not None:
        properties["group"] = f.group
    related: list[dict[str, Any]] = []
    for rel in f.related:
        physical = _physical_location(rel, locator)
        if physical is None:
            continue
        related.append(
            {
                "id": len(related) + 1,
                "physicalLocation": physical,
                "logicalLocations": [_logical_location(rel, None)],
                "message": {"text": _message_text(f"{rel.kind} {rel.record_id or ''}".strip())},
            }
        )
        if len(related) == MAX_RELATED:
            break
    if related:
        out["relatedLocations"] = related
    if f.status is Status.WAIVED and f.waiver is not None:
        # A governed waiver is an external suppression: GitHub shows the alert as dismissed, with why.
        w = f.waiver
        out["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": _message_text(
                    f"{w.reason} (approved by {w.approved_by}, {w.ticket}, expires {w.expires.isoformat()})"
                ),
            }
        ]
    state = baseline_state(f)
    if state is not None:
        out["baselineState"] = state
    if f.fingerprint:
        # GitHub reads primaryLocationLineHash: giving it capcheck's stable identity (rule + record,
        # never the line) keeps an alert open across edits that move or change the record's line.
        out["partialFingerprints"] = {_FINGERPRINT_KEY: f.fingerprint, "primaryLocationLineHash": f.fingerprint}
    out["properties"] = properties
    return out


def sarif_document(result: RunResult, options: RenderOptions | None = None) -> dict[str, Any]:
    """The SARIF log as plain data (what ``--format sarif`` writes; :func:`write_sarif` streams its text)."""
    options = options or RenderOptions()
    log = _Log(result, options)
    return log.document([log.result(f) for f in log.kept()])


class _Log:
    """One SARIF log: what precedes its results, worked out from the findings' statuses before any
    finding is made (which rules ran, which results the cap keeps, the errors' notifications)."""

    def __init__(self, result: RunResult, options: RenderOptions) -> None:
        self.run = result
        self.options = options
        self.locator = _Locator(options.base_dir)
        self.runs = runs = list(finding_runs(result.findings))
        self.infos = _rule_infos(result, runs)
        self.rule_index = {info.id: i for i, info in enumerate(self.infos)}
        self.waived_known = None if result.baseline is None else frozenset(result.baseline.waived_matched)
        self.baseline_state = partial(_baseline_state, waived_known=self.waived_known)
        self.listed, self.chosen, self.errors = _plan(runs, result.include_passed, options.sarif_max_results)
        self.artifacts = []  # before any result: a result's location points at its file's entry
        for i, ev in enumerate(result.evidence):
            self.locator.artifacts.setdefault(ev.path, i)
            self.artifacts.append(
                {
                    "location": self.locator.location(ev.path),
                    "roles": ["analysisTarget"],
                    "hashes": {"sha-256": ev.sha256},
                    "properties": {"kind": ev.kind, "format": ev.format, "records": ev.records},
                }
            )

    def kept(self) -> Iterator[Finding]:
        """The findings listed as results, in order (the cap's most important, or every listed one)."""
        findings = self.run.findings
        chosen = self.chosen
        if chosen is None:
            include_passed = self.run.include_passed
            return (f for f in findings if f.status is not Status.PASS or include_passed)
        if len(chosen) * 4 < len(findings):  # few kept (the usual cap): make only those
            return (findings[i] for i in chosen)
        keep = set(chosen)
        return (f for i, f in enumerate(findings) if i in keep)

    def result(self, f: Finding) -> dict[str, Any]:
        """The SARIF result of a finding."""
        return _result(f, self.rule_index[f.rule_id], self.locator, self.baseline_state)

    def document(self, results: list[dict[str, Any]]) -> dict[str, Any]:
        """The log with these results (none: the document :func:`write_sarif` writes them into)."""
        result, options, rule_index = self.run, self.options, self.rule_index
        # A finding with no evidence file (a skip because a kind was not given at all) is a result with no
        # locations: GitHub rejects a location without a physical location, and shows such a result only
        # in the run's data, but SARIF viewers and the API still see it.
        driver: dict[str, Any] = {"name": "capcheck", "version": result.tool_version}
        if _SEMVER.match(result.tool_version):
            driver["semanticVersion"] = result.tool_version
        driver["informationUri"] = INFORMATION_URI
        driver["rules"] = [_rule_descriptor(info) for info in self.infos]

        findings = result.findings
        notifications: list[dict[str, Any]] = []
        for i in self.errors:
            f = findings[i]
            notifications.append(
                {
                    "level": "error",
                    "message": {"text": _message_text(f.message or f"{f.rule_id} raised an error")},
                    "associatedRule": {"id": f.rule_id, "index": rule_index[f.rule_id]},
                }
            )
        invocation: dict[str, Any] = {
            "executionSuccessful": result.exit_code != 2,
            "exitCode": result.exit_code,
            "startTimeUtc": _timestamp(result.started),
            "endTimeUtc": _timestamp(result.finished),
        }
        kept = self.listed if self.chosen is None else len(self.chosen)
        omitted = self.listed - kept
        if omitted:
            notifications.append(
                {
                    "level": "warning",
                    "message": {
                        "text": f"{omitted} of {self.listed} results left out (--sarif-max-results "
                        f"{options.sarif_max_results}): the {kept} most severe are listed. The full set is in "
                        "the JSON report (--report json=FILE)."
                    },
                    "properties": {"omittedResults": omitted, "totalResults": self.listed, "maxResults": kept},
                }
            )
        card = result.scorecard
        notes = card.notes if card is not None else ()
        notifications += [  # what can lift a level without the evidence improving: a viewer shows the run's notes
            {"level": "note", "message": {"text": _message_text(f"Scorecard note: {note}")}} for note in notes
        ]
        if notifications:
            invocation["toolExecutionNotifications"] = notifications
        invocation["properties"] = {
            "asOf": result.as_of.isoformat(),
            "failOn": result.fail_on.value if result.fail_on else "never",
            "includePassed": result.include_passed,
            "summary": result.summary.as_dict(),
        }
        if result.gate_failures:
            invocation["properties"]["gateFailures"] = list(result.gate_failures)
        if card is not None:
            invocation["properties"]["scorecard"] = [row.as_dict() for row in card.rows]
            invocation["properties"]["scorecardNotes"] = list(notes)

        run: dict[str, Any] = {
            "tool": {"driver": driver},
            "automationDetails": {"id": automation_id(options.sarif_category)},
            "invocations": [invocation],
            "originalUriBaseIds": {
                SRCROOT: {"description": {"text": "The directory capcheck ran in (normally the repository root)."}}
            },
            "artifacts": self.artifacts,
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": {"asOf": result.as_of.isoformat()},
        }
        return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _plan(runs: Sequence[FindingRun], include_passed: bool, limit: int) -> tuple[int, list[int] | None, list[int]]:
    """From the findings' statuses: how many are listed, the indices of those kept under ``limit`` (0: all;
    None when every listed one is kept), and the indices of the errors.

    The kept ones are the most important: errors and new failures before accepted ones, skips and
    passes, and within each the most severe first; ties keep the usual finding order, and the kept
    ones are listed in it. Counting the findings of each (status, severity) class says which classes
    are kept whole and how many of the first of one that is not, so no finding is made to rank it.
    """
    counts: dict[tuple[int, int], int] = {}
    errors: list[int] = []
    listed = 0
    for run in runs:
        rank = -run.severity.rank
        for status, n in Counter(run.statuses).items():
            if status is Status.ERROR:
                errors.extend(run.start + k for k, s in enumerate(run.statuses) if s is status)
            if status is Status.PASS and not include_passed:
                continue
            key = (ATTENTION[status], rank)
            counts[key] = counts.get(key, 0) + n
            listed += n
    errors.sort()
    if limit <= 0 or listed <= limit:
        return listed, None, errors
    room, whole, part = limit, set(), None
    for key in sorted(counts):
        if counts[key] > room:
            part = key
            break
        whole.add(key)
        room -= counts[key]
    chosen: list[int] = []
    for run in runs:
        rank = -run.severity.rank
        for k, status in enumerate(run.statuses):
            if status is Status.PASS and not include_passed:
                continue
            key = (ATTENTION[status], rank)
            if key in whole:
                chosen.append(run.start + k)
            elif key == part and room:
                chosen.append(run.start + k)
                room -= 1
    return listed, chosen, errors


def automation_id(category: str | None) -> str:
    """``run.automationDetails.id``: the category followed by ``/`` (so the whole of it is the category).

    GitHub keeps one analysis per tool and category for a commit, and a new upload replaces the one
    with the same category: a fixed id lets a re-run replace the last one, and a distinct category
    per run keeps several capcheck runs over different evidence side by side.
    """
    if not category:
        return DEFAULT_CATEGORY
    return category if category.endswith("/") else category + "/"


#: Where the results go in the log encoded with none: the one raw newline followed by exactly six spaces
#: and this key (a string's newline is escaped; other keys are indented otherwise).
_RESULTS_SLOT = '\n      "results": []'
#: Results encoded per chunk.
_CHUNK = 512


def write_sarif(result: RunResult, options: RenderOptions, stream: ByteStream) -> None:
    """Write the SARIF 2.1.0 log as indented JSON, its results a chunk at a time as they are made (or copied, a
    rule's made where its records are: ``RuleOutcomes.segments``)."""
    log = _Log(result, options)
    head, tail = _encode(log.document([])).split(_RESULTS_SLOT)
    stream.write(head.encode("utf-8"))
    stream.write(b'\n      "results": [')
    written = False
    for data in _result_items(log):
        if data:
            stream.write(data if written else data[1:])  # each item follows a comma: the first's is dropped
            written = True
    stream.write(b"\n      ]" if written else b"]")
    stream.write(tail.encode("utf-8"))
    stream.write(b"\n")


def _result_items(log: _Log) -> Iterator[bytes]:
    """The log's results as list items, each after a comma, a chunk at a time: a rule's segment copied, its holes
    filled, where every result is listed (no cap) and so are its passes, if it has any."""
    findings = log.run.findings
    if log.chosen is not None or not isinstance(findings, Findings):
        yield from _encoded(_items_of(log.kept(), log.result))
        return
    include_passed = log.run.include_passed
    fill = _Fill(log)
    for block, run in zip(findings.blocks, log.runs, strict=True):
        made = block.segments.get(SEGMENT)
        if made is not None and (include_passed or Status.PASS not in run.statuses):
            yield from _filled(made, fill)
            continue
        listed: Iterable[Finding] = findings.between(run.start, run.start + len(run.statuses))
        if not include_passed:
            listed = (f for f in listed if f.status is not Status.PASS)
        yield from _encoded(_items_of(listed, log.result))


def _items_of(findings: Iterable[Finding], result: Callable[[Finding], dict[str, Any]]) -> Iterator[str]:
    """The findings' results as list items, each after a comma, :data:`_CHUNK` at a time."""
    listed = iter(findings)
    while chunk := [result(f) for f in islice(listed, _CHUNK)]:
        yield _items(chunk)


def _encoded(texts: Iterable[str]) -> Iterator[bytes]:
    return (text.encode("utf-8") for text in texts)


def _items(results: list[dict[str, Any]]) -> str:
    # `[\n  {...},\n  {...}\n]` -> `,\n        {...},\n        {...}`: three levels deeper, no brackets, after a comma.
    return "," + json_text(indented(results)[1:-2].replace("\n", "\n      "))


#: The reporter's name, under which a rule's block keeps its results made elsewhere (``RuleOutcomes.segments``).
SEGMENT = "sarif"
#: The indentation of an artifact location's closing brace in a result (its members are two spaces deeper).
_LOCATION_INDENT = "\n" + " " * 16
#: A segment's holes are made from marker values (:func:`_hole`: a NUL, then ``R`` a rule's index, ``F`` an artifact's
#: location, ``N`` a failure's ``baselineState``, ``W`` a waived failure's, then the rule id, path or fingerprint as
#: UTF-8 in hex), encoded as JSON strings (``"\\u0000R..."``) and then matched each with its key: no evidence value is
#: ever a key, and a string value's quotes are escaped, so no value can be taken for one.
_STATE = '\n          "baselineState": "\\u0000{}",'
_WAIVED_STATE = re.compile(r'\n {10}"baselineState": "\\u0000(W[0-9a-f]*)",')


def _hole(kind: str, value: str) -> str:
    """The marker value of a hole (a NUL, its kind and ``value`` in hex); ``marker + NUL`` is the hole."""
    return "\x00" + kind + value.encode("utf-8", "surrogatepass").hex()


class _Holes(_Locator):
    """A segment's locator: every artifact location a hole (the base directory and the run's artifacts are the
    writer's), each path's marker kept."""

    def __init__(self) -> None:
        super().__init__(None)
        self.markers: dict[str, str] = {}

    def artifact(self, path: str) -> str:
        marker = self.markers.get(path)
        if marker is None:
            marker = self.markers[path] = _hole("F", path)
        return marker


def _state_hole(f: Finding) -> str | None:
    """A segment's ``baselineState``: a hole where it depends on the run's baseline."""
    if f.status is Status.FAIL:
        return _NEW
    if f.status is Status.WAIVED:
        return _hole("W", f.fingerprint)
    return "unchanged" if f.status is Status.BASELINED else None


_NEW = _hole("N", "")


def _with_holes(text: str, rule: str, locator: _Holes) -> str:
    """A chunk of a segment's results with its marker values made holes (each matched with its key: fixed text, the
    waived failures' states aside, which are few)."""
    text = text.replace(f'"ruleIndex": "\\u0000{rule[1:]}"', f'"ruleIndex": {rule}\x00')
    for marker in locator.markers.values():
        text = text.replace(f'"artifactLocation": "\\u0000{marker[1:]}"', f'"artifactLocation": {marker}\x00')
    text = text.replace(_STATE.format(_NEW[1:]), _NEW + "\x00")
    if '"baselineState": "\\u0000W' in text:
        text = _WAIVED_STATE.sub(lambda m: f"\x00{m[1]}\x00", text)
    return text


def sarif_segment(findings: Findings, block: RuleOutcomes) -> Iterator[bytes]:
    """One rule's results, as :func:`write_sarif` writes them (each after a comma), made apart, with holes where
    the text depends on the run (``Reporter.segment``); every row of the block is a result. A chunk of results
    at a time (never the block whole)."""
    locator = _Holes()
    rule = _hole("R", block.rule_id)
    result = partial(_result, rule_index=rule, locator=locator, baseline_state=_state_hole)
    for text in _items_of(block_findings(findings, block), result):  # whole results: no marker spans two
        yield _with_holes(text, rule, locator).encode("utf-8")


class _Fill(dict[bytes, bytes]):
    """A segment's holes, filled from the run (each hole's text worked out once)."""

    def __init__(self, log: _Log) -> None:
        super().__init__()
        self.log = log

    def __missing__(self, key: bytes) -> bytes:
        kind, value = key[:1], bytes.fromhex(key[1:].decode("ascii")).decode("utf-8", "surrogatepass")
        log = self.log
        if kind == b"R":
            text = str(log.rule_index[value])
        elif kind == b"F":
            text = json_text(indented(log.locator.artifact_location(value)).replace("\n", _LOCATION_INDENT))
        else:
            known = log.waived_known
            state = None if known is None else "new" if kind == b"N" or value not in known else "unchanged"
            text = "" if state is None else f'\n          "baselineState": "{state}",'
        self[key] = filled = text.encode("utf-8")
        return filled


def _filled(made: bytes | Span, fill: _Fill) -> Iterator[bytes]:
    """A segment's bytes with its holes filled, a piece at a time (cut after a line: no hole spans lines)."""
    if isinstance(made, bytes):
        yield _fill_holes(made, fill)
        return
    carry = b""
    for data in segment_chunks(made):
        data = carry + data
        cut = data.rfind(b"\n") + 1
        carry = data[cut:]
        if cut:
            yield _fill_holes(data[:cut], fill)
    if carry:
        yield _fill_holes(carry, fill)


def _fill_holes(data: bytes, fill: _Fill) -> bytes:
    pieces = data.split(b"\x00")
    pieces[1::2] = map(fill.__getitem__, pieces[1::2])
    return b"".join(pieces)


def _encode(document: dict[str, Any]) -> str:
    """The log's text: indented JSON with what encoders leave raw escaped (:func:`json_text`)."""
    return json_text(json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False))


#: Render the SARIF 2.1.0 log as indented JSON (the text :func:`write_sarif` writes).
render_sarif = render_by(write_sarif)


@hookimpl
def capcheck_reporters() -> Sequence[Reporter]:
    """The SARIF reporter."""
    return [
        Reporter(
            name="sarif",
            render=render_sarif,
            write=write_sarif,
            segment=sarif_segment,
            description="SARIF 2.1.0 log for GitHub code scanning and other SARIF viewers",
            extension=".sarif",
        )
    ]
