"""The built-in JUnit XML reporter: findings as test results for CI dashboards.

Valid against both the lenient Jenkins xUnit ``junit-10.xsd`` and the strict Apache Ant
``JUnit.xsd``, so GitLab, Jenkins, Azure DevOps and GitHub test-report actions all read it:

* ``<testsuites>`` (no attributes: the Ant schema allows none) holds one ``<testsuite>`` per
  capability area that had rules run, named ``AREA Title``, with ``package`` ``capcheck.AREA`` and
  ``id`` counting from 0;
* each listed finding is a ``<testcase>``: ``classname`` ``capcheck.AREA.RULE-ID`` and ``name`` that
  reads on its own, ``RULE-ID Title: RECORD`` (the record id; a group's label, ``all KIND records`` for a
  whole register; ``KIND evidence`` when none was given), made unique within the rule;
* ``fail`` -> ``<failure message=... type=severity>``, ``error`` -> ``<error type="error">``,
  ``skip`` -> ``<skipped message=...>``, ``pass`` -> a plain testcase (listed only with
  ``--include-passed``); the text of each element holds the evidence location;
* an accepted failure is skipped, not failed: ``waived`` -> ``<skipped message="waived: REASON
  (TICKET, approved by WHO, expires DATE)">``, ``baselined`` -> ``<skipped message="baselined:
  known failure recorded in FILE">``; the body still says what fails and how to fix it;
* a failed scorecard gate (``--min-level``) adds a failing testcase ``capcheck.AREA.gate``;
* the scorecard's notes (what can lift a level without the evidence improving) are in every suite, as
  ``capcheck.scorecard.note`` properties and ``Note:`` lines of its ``<system-out>``;
* suite counts (``tests``, ``failures``, ``errors``, ``skipped``) count the testcases written
  (``skipped`` includes the waived and baselined ones; properties ``capcheck.waived`` and
  ``capcheck.baselined`` count those apart).

Each value (an attribute, a line of a body) is at most ``MAX_VALUE`` characters, cut saying how many more the
JSON report has, and a body lists at most ``MAX_RELATED`` related records: libxml2, which lxml and Nokogiri
(GitLab) read with, refuses a whole report holding one text node over 10,000,000 bytes.

Evidence values are untrusted: :func:`capcheck.core.escaping.xml.xml_text` reveals the characters XML
1.0 cannot carry or discourages (``\\x1b`` -> ``␛``, ``\\r`` -> ``␍``), and ElementTree escapes the rest.

A rule's test cases can be written apart (:func:`junit_segment`, made by the process of a split check that holds
the rule's records) and copied into their suite, whose counts come from the statuses alone. One thing in them
depends on the run, not the rule: the baseline's file, in a baselined case's message; a segment holds a NUL (which
XML cannot carry, so no other text of the report holds one) in its place, and the writer puts the file there.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, groupby, islice, pairwise

from capcheck.core.escaping.controls import reveal
from capcheck.core.escaping.xml import xml_text
from capcheck.core.hookspecs import hookimpl
from capcheck.core.models import Finding, RunResult, Status
from capcheck.core.outcomes import Findings, RuleOutcomes
from capcheck.core.reporting import (
    ByteStream,
    FindingRun,
    RenderOptions,
    Reporter,
    block_findings,
    finding_runs,
    finding_subject,
    render_by,
    scorecard_rows,
    segment_chunks,
)

__all__ = ["MAX_RELATED", "MAX_VALUE", "junit_segment", "render_junit", "write_junit"]

#: The reporter's name, under which a rule's block keeps its test cases made elsewhere (``RuleOutcomes.segments``).
SEGMENT = "junit"
#: Where a segment's baselined case names the baseline's file (the run's, unknown where the segment is made).
_BASELINE_HOLE = "\x00"

_WHITESPACE = re.compile(r"\s+")


def _token(text: str) -> str:
    """An ``xs:token`` value: XML-safe, whitespace collapsed, never empty."""
    if not text.isprintable() or "  " in text:  # printable text has no whitespace but the space
        text = _WHITESPACE.sub(" ", text)
    return xml_text(text).strip() or "-"


def _timestamp(result: RunResult) -> str:
    # The Ant schema wants YYYY-MM-DDTHH:MM:SS with no fraction or zone: the start time in UTC.
    return result.started.strftime("%Y-%m-%dT%H:%M:%S")


def _case_name(f: Finding) -> str:
    """A name that reads on its own (some viewers hide the classname): rule id, title and what it is about."""
    return f"{f.rule_id} {f.title}: {finding_subject(f)}"


def _details(f: Finding) -> str:
    """The body of a failure / error / skipped element: message, location, pointer, remediation."""
    lines = [f"{f.rule_id} {f.title}", f.message]
    ev = f.evidence
    if ev is not None:
        where = ev.location()
        if ev.row is not None:
            where += f" (row {ev.row})"
        lines.append(f"Evidence: {where}")
        if ev.record_id is not None:
            lines.append(f"Record: {ev.kind} {ev.record_id}")
        if ev.pointer is not None:
            lines.append(f"Pointer: {ev.pointer}")
    if f.group is not None:
        lines.append(f"Group: {f.group}")
    for rel in f.related[:MAX_RELATED]:
        lines.append(f"Related: {rel.kind} {rel.record_id or ''} {rel.location() if rel.file else ''}".rstrip())
    if len(f.related) > MAX_RELATED:
        lines.append(f"Related: {len(f.related) - MAX_RELATED:,} more (the JSON report lists them all)")
    if f.status in _ACCEPTED or f.status is Status.FAIL:
        lines.append(f"Remediation: {f.remediation}")
    w = f.waiver
    if f.status is Status.WAIVED and w is not None:
        lines.append(
            f"Waiver: {w.ticket}, approved by {w.approved_by}"
            + (f" on {w.approved_on.isoformat()}" if w.approved_on else "")
            + f", expires {w.expires.isoformat()} ({w.file}{w.pointer})"
        )
        lines.append(f"Reason: {w.reason}")
    lines.append(f"Fingerprint: {f.fingerprint}")
    lines = [line for line in lines if line]
    if "".join(lines).isprintable():  # the usual case: nothing to reveal, one check of all the lines
        return "\n".join(lines)
    return "\n".join(_safe(line) for line in lines)  # line by line: xml_text keeps a line feed


#: Failures that a waiver or the baseline accepts: reported as skipped, so they do not fail the build.
_ACCEPTED = (Status.WAIVED, Status.BASELINED)


def _skip_message(f: Finding, baseline_file: str) -> str:
    """The ``<skipped message>`` of a finding: why it is not judged (skip) or not failed (accepted)."""
    w = f.waiver
    if f.status is Status.WAIVED and w is not None:
        return xml_text(
            f"waived: {w.reason} ({w.ticket}, approved by {w.approved_by}, expires {w.expires.isoformat()})"
        )
    if f.status is Status.WAIVED:
        return "waived"
    if f.status is Status.BASELINED:
        return _baselined(baseline_file)
    return xml_text(f.message or f.title)


def _baselined(baseline_file: str) -> str:
    return xml_text(f"baselined: known failure recorded in {baseline_file or 'the baseline'}")


def _scorecard_properties(result: RunResult, area: str) -> list[tuple[str, str]]:
    """The area's scorecard row as (name, value) properties: level, name, status, basis, cap (when set)."""
    row = next((r for r in scorecard_rows(result) if r.area == area), None)
    if row is None:
        return []
    fields = {"level": row.level, "name": row.name, "status": row.status, "basis": row.basis, "cap": row.cap}
    return [(f"capcheck.scorecard.{key}", str(value)) for key, value in fields.items() if value is not None]


def _attribute(value: str) -> str:
    """An attribute value as ElementTree writes it: ``& < > "`` and CR, LF, tab as references."""
    value = _text(value)
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    if "\n" in value:
        value = value.replace("\n", "&#10;")
    if "\t" in value:
        value = value.replace("\t", "&#09;")
    return value


#: The most characters of one value in the XML (an attribute, a line of a body): libxml2 (lxml, and Nokogiri,
#: which GitLab's test reports and many CI plugins read with) refuses a whole report holding one text node or
#: attribute over 10,000,000 bytes ("try XML_PARSE_HUGE"): a single 10 MB message left the dashboard empty.
#: 100,000 characters escape to at most about 1 MB.
MAX_VALUE = 100_000
#: The most related records a finding's body lists (an aggregate rule can relate a whole register).
MAX_RELATED = 100


def _bounded(value: str) -> str:
    """``value`` cut to :data:`MAX_VALUE` characters, saying how many more the JSON report has."""
    more = len(value) - MAX_VALUE
    return value if more <= 0 else f"{value[:MAX_VALUE]}\u2026 ({more:,} more characters: the JSON report has it whole)"


def _text(value: str) -> str:
    """Character data as ElementTree writes it: ``& < >`` as references; each line at most :data:`MAX_VALUE`
    characters."""
    if len(value) > MAX_VALUE:  # rare: one length check for the usual value
        value = "\n".join(_bounded(line) for line in value.split("\n"))
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


def _element(tag: str, attributes: dict[str, str], text: str | None = None) -> str:
    """A leaf element as ElementTree writes it (``short_empty_elements``: ``<tag ... />`` when it has no text)."""
    attrs = "".join(f' {name}="{_attribute(value)}"' for name, value in attributes.items())
    return f"<{tag}{attrs}>{_text(text)}</{tag}>" if text else f"<{tag}{attrs} />"


def _property(name: str, value: str) -> str:
    return _element("property", {"name": name, "value": xml_text(value)})


#: The indentation of a line at each depth (``ET.indent`` with two spaces).
_INDENT = ["\n" + "  " * depth for depth in range(4)]
#: Test cases written at a time.
_CHUNK = 1024


def write_junit(result: RunResult, options: RenderOptions, stream: ByteStream) -> None:
    """Write the result as JUnit XML (one test suite per capability area), the test cases as they are made.

    The suites' counts come from the findings' statuses (:func:`finding_runs`) before any finding is made;
    a run's findings (in the one order: area by area, each area's in :meth:`Finding.sort_key` order) are
    then read once. Findings in another order (a result built by hand) are read area by area and sorted.
    """
    titles = {a.id: a.title for a in result.areas}
    order = {a.id: (a.order, a.id) for a in result.areas}
    runs = list(finding_runs(result.findings))
    areas = sorted({r.area for r in result.rules} | {run.area for run in runs}, key=lambda a: order.get(a, (1000, a)))
    listed: dict[str, dict[Status, int]] = {area: dict.fromkeys(Status, 0) for area in areas}
    for run in runs:
        counts = listed[run.area]
        for status, n in Counter(run.statuses).items():
            if status is not Status.PASS or result.include_passed:
                counts[status] += n
    stream.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    if not areas:
        stream.write(b"<testsuites />\n")
        return
    stream.write(b"<testsuites>")
    findings = result.findings
    blocks = _area_blocks(findings, runs, areas) if isinstance(findings, Findings) else None
    timestamp = _timestamp(result)
    baseline_file = result.baseline.file if result.baseline is not None else ""
    for suite_id, area in enumerate(areas):
        counts = listed[area]
        gates = [m for m in result.gate_failures if m.startswith(f"{area}:")]
        suite = _element(
            "testsuite",
            {
                "name": _token(f"{area} {titles.get(area, '')}"),
                "package": f"capcheck.{area}",
                "id": str(suite_id),
                "timestamp": timestamp,
                "hostname": "localhost",
                "tests": str(sum(counts.values()) + len(gates)),
                "failures": str(counts[Status.FAIL] + len(gates)),
                "errors": str(counts[Status.ERROR]),
                "skipped": str(counts[Status.SKIP] + counts[Status.WAIVED] + counts[Status.BASELINED]),
                "time": "0",
            },
        )
        stream.write(f"{_INDENT[1]}{suite[:-3]}>{_INDENT[2]}<properties>".encode())
        stream.write("".join(_INDENT[3] + p for p in _properties(result, area)).encode("utf-8"))
        stream.write(f"{_INDENT[2]}</properties>".encode())
        if blocks is None or not isinstance(findings, Findings):
            _write_cases(_sorted_area(result, area), baseline_file, False, stream)
        else:
            _write_blocks(findings, result.include_passed, blocks.get(area, ()), baseline_file, stream)
        parts = []
        for i, message in enumerate(gates, start=1):
            name = "minimum maturity level" + (f" ({i})" if i > 1 else "")
            failure = _element("failure", {"message": xml_text(message), "type": "gate"}, xml_text(message))
            case = {"name": name, "classname": f"capcheck.{area}.gate", "time": "0"}
            parts.append(f"{_INDENT[2]}{_element('testcase', case)[:-3]}>{_INDENT[3]}{failure}{_INDENT[2]}</testcase>")
        parts.append(_INDENT[2] + _element("system-out", {}, _system_out(result, area)))
        parts.append(f"{_INDENT[2]}<system-err />{_INDENT[1]}</testsuite>")
        stream.write("".join(parts).encode("utf-8"))
    stream.write(b"\n</testsuites>\n")


def _area_blocks(
    findings: Findings, runs: Sequence[FindingRun], areas: Sequence[str]
) -> dict[str, list[tuple[RuleOutcomes, FindingRun]]] | None:
    """Each area's rules' blocks (and their runs) in order, when a run's findings come area by area in the suites'
    order (then each suite's cases are its blocks' findings, rule after rule); else None.

    A run's findings are in that order: area after area, rule after rule, each area's in :meth:`Finding.sort_key`
    order. Otherwise (a result built by hand) each area's findings are gathered and sorted (:func:`_sorted_area`).
    """
    rank = {area: i for i, area in enumerate(areas)}
    seen = [rank[run.area] for run in runs]
    if not all(a <= b for a, b in pairwise(seen)):
        return None
    out: dict[str, list[tuple[RuleOutcomes, FindingRun]]] = {}
    for block, run in zip(findings.blocks, runs, strict=True):
        out.setdefault(run.area, []).append((block, run))
    return out


def _sorted_area(result: RunResult, area: str) -> list[Finding]:
    """An area's listed findings in :meth:`Finding.sort_key` order, gathered from the findings in any order."""
    chosen = sorted((f for f in result.findings if f.area == area), key=Finding.sort_key)
    return [f for f in chosen if f.status is not Status.PASS or result.include_passed]


def _write_blocks(
    findings: Findings,
    include_passed: bool,
    blocks: Sequence[tuple[RuleOutcomes, FindingRun]],
    baseline_file: str,
    stream: ByteStream,
) -> None:
    """A suite's cases, rule after rule: a rule's made where its records are (``RuleOutcomes.segments``) copied,
    the baseline's file put in its place, unless its passes are not listed here; the others made now."""
    hole = _attribute(_baselined(baseline_file)).encode("utf-8")
    # A rule's cases are named apart from its other cases (names made unique): blocks of one rule side by side (a
    # result built by hand) are written as one, from their findings.
    for _, group in groupby(blocks, key=lambda pair: pair[0].rule_id):
        rule_blocks = list(group)
        block, run = rule_blocks[0]
        made = block.segments.get(SEGMENT)
        if len(rule_blocks) == 1 and made is not None and (include_passed or Status.PASS not in run.statuses):
            for data in segment_chunks(made):
                stream.write(data.replace(b"\x00", hole))
            continue
        spans = [(r.start, r.start + len(r.statuses)) for _, r in rule_blocks]
        listed: Iterable[Finding] = chain.from_iterable(findings.between(*span) for span in spans)
        if not include_passed:
            listed = (f for f in listed if f.status is not Status.PASS)
        _write_cases(listed, baseline_file, True, stream)


def _write_cases(findings: Iterable[Finding], baseline_file: str, by_rule: bool, stream: ByteStream) -> None:
    cases = _cases(findings, baseline_file, by_rule)
    while chunk := "".join(islice(cases, _CHUNK)):
        stream.write(chunk.encode("utf-8"))


def junit_segment(findings: Findings, block: RuleOutcomes) -> Iterator[bytes]:
    """One rule's test cases, as :func:`write_junit` writes them in their suite, made apart (``Reporter.segment``),
    :data:`_CHUNK` cases at a time; a baselined case's message is a NUL, for the writer to give the run's baseline
    file."""
    cases = _cases(block_findings(findings, block), None, True)
    while chunk := "".join(islice(cases, _CHUNK)):
        yield chunk.encode("utf-8")


def _cases(findings: Iterable[Finding], baseline_file: str | None, by_rule: bool) -> Iterator[str]:
    """Each finding's ``<testcase>``, indented, its name made unique within its rule (``by_rule``: the
    findings come rule after rule, so only the current rule's names are remembered). ``baseline_file`` None: a
    segment's, a baselined case's message left to the writer (:data:`_BASELINE_HOLE`)."""
    used: set[tuple[str, str]] = set()
    current = ""
    for f in findings:
        classname = f"capcheck.{f.area}.{f.rule_id}"
        if by_rule and classname != current:
            used.clear()
            current = classname
        base = name = _token(_case_name(f))
        n = 1
        while (classname, name) in used:
            n += 1
            name = f"{base} ({n})"
        used.add((classname, name))
        case = f'{_INDENT[2]}<testcase name="{_attribute(name)}" classname="{_attribute(classname)}" time="0"'
        status = f.status
        if status is Status.PASS:
            yield case + " />"
            continue
        if status is Status.FAIL:
            tag, attributes = (
                "failure",
                f' message="{_attribute(_safe(f.message or f.title))}" type="{f.severity._value_}"',
            )
        elif status is Status.ERROR:
            tag, attributes = "error", f' message="{_attribute(_safe(f.message or f.title))}" type="error"'
        elif status is Status.BASELINED and baseline_file is None:
            tag, attributes = "skipped", f' message="{_BASELINE_HOLE}"'
        else:  # a skip, or an accepted failure
            tag, attributes = "skipped", f' message="{_attribute(_skip_message(f, baseline_file or ""))}"'
        details = _details(f)
        inner = f"<{tag}{attributes}>{_text(details)}</{tag}>" if details else f"<{tag}{attributes} />"
        yield f"{case}>{_INDENT[3]}{inner}{_INDENT[2]}</testcase>"


def _safe(text: str) -> str:
    """:func:`xml_text` of a string, the usual printable one passed through at once."""
    return text if text.isprintable() else xml_text(text)


def _properties(result: RunResult, area: str) -> list[str]:
    """The suite's ``<property>`` elements: the run, the area, its counts and its scorecard row."""
    props = [
        _property("capcheck.version", result.tool_version),
        _property("capcheck.as_of", result.as_of.isoformat()),
        _property("capcheck.fail_on", result.fail_on.value if result.fail_on else "never"),
        _property("capcheck.area", area),
        _property("capcheck.rules", " ".join(sorted(r.id for r in result.rules if r.area == area))),
    ]
    by_area = result.summary.by_area.get(area, {})
    passed_total = by_area.get(Status.PASS.value, 0)
    props.append(_property("capcheck.passed", str(passed_total)))
    if not result.include_passed:
        props.append(_property("capcheck.passed_not_listed", str(passed_total)))
    for accepted in _ACCEPTED:
        if by_area.get(accepted.value):
            props.append(_property(f"capcheck.{accepted.value}", str(by_area[accepted.value])))
    props.extend(_property(name, value) for name, value in _scorecard_properties(result, area))
    props.extend(_property("capcheck.scorecard.note", note) for note in _notes(result))
    return props


def _notes(result: RunResult) -> tuple[str, ...]:
    """The scorecard's notes (none without a scorecard): the run's, so every suite carries them, as it
    carries the run's version and as-of date."""
    return result.scorecard.notes if result.scorecard is not None else ()


def _system_out(result: RunResult, area: str) -> str:
    by_area = result.summary.by_area.get(area, {})
    return xml_text(
        f"capcheck {result.tool_version}, as of {result.as_of.isoformat()}: {area} "
        + ", ".join(f"{by_area.get(s.value, 0)} {s.value}" for s in (Status.FAIL, Status.ERROR, Status.SKIP))
        + "".join(f", {by_area[s.value]} {s.value}" for s in _ACCEPTED if by_area.get(s.value))
        + f", {by_area.get(Status.PASS.value, 0)} pass"
        # The text report's words, a note's own line breaks shown: no note starts a line of its own.
        + "".join(f"\nNote: {reveal(note)}" for note in _notes(result))
    )


#: Render the result as JUnit XML (the text :func:`write_junit` writes).
render_junit = render_by(write_junit)


@hookimpl
def capcheck_reporters() -> Sequence[Reporter]:
    """The JUnit XML reporter."""
    return [
        Reporter(
            name="junit",
            render=render_junit,
            write=write_junit,
            segment=junit_segment,
            description="JUnit XML test report for CI dashboards (one suite per area)",
            extension=".xml",
        )
    ]
