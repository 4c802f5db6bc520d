"""The oracle: the junit reporter as it rendered before it streamed (main at 372a027), kept verbatim.

The streaming writer is held byte-identical to it (tests/reporters/test_streaming.py).

The built-in JUnit XML reporter: findings as test results for CI dashboards.

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
* suite counts (``tests``, ``failures``, ``errors``, ``skipped``) count the testcases written
  (``skipped`` includes the waived and baselined ones; properties ``capcheck.waived`` and
  ``capcheck.baselined`` count those apart).

Evidence values are untrusted: :func:`capcheck.core.escaping.xml.xml_text` reveals the characters XML
1.0 cannot carry or discourages (``\\x1b`` -> ``␛``, ``\\r`` -> ``␍``), and ElementTree escapes the rest.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from capcheck.core.escaping.xml import xml_text
from capcheck.core.models import Finding, RunResult, Status
from capcheck.core.reporting import RenderOptions, finding_subject, scorecard_rows

__all__ = ["render_junit"]

_WHITESPACE = re.compile(r"\s+")


def _token(text: str) -> str:
    """An ``xs:token`` value: XML-safe, whitespace collapsed, never empty."""
    return xml_text(_WHITESPACE.sub(" ", text)).strip() or "-"


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
    for rel in f.related:
        lines.append(f"Related: {rel.kind} {rel.record_id or ''} {rel.location() if rel.file else ''}".rstrip())
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
    return xml_text("\n".join(line for line in lines if line))


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
        return xml_text(f"baselined: known failure recorded in {baseline_file or 'the baseline'}")
    return xml_text(f.message or f.title)


def _scorecard_properties(result: RunResult, area: str) -> list[tuple[str, str]]:
    """The area's scorecard row as (name, value) properties: level, name, status, basis, cap (when set)."""
    row = next((r for r in scorecard_rows(result) if r.area == area), None)
    if row is None:
        return []
    fields = {"level": row.level, "name": row.name, "status": row.status, "basis": row.basis, "cap": row.cap}
    return [(f"capcheck.scorecard.{key}", str(value)) for key, value in fields.items() if value is not None]


def _property(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, "property", {"name": name, "value": xml_text(value)})


def render_junit(result: RunResult, options: RenderOptions) -> str:
    """Render the result as JUnit XML (one test suite per capability area)."""
    titles = {a.id: a.title for a in result.areas}
    order = {a.id: (a.order, a.id) for a in result.areas}
    areas = {r.area for r in result.rules} | {f.area for f in result.findings}
    timestamp = _timestamp(result)
    baseline_file = result.baseline.file if result.baseline is not None else ""
    root = ET.Element("testsuites")
    for suite_id, area in enumerate(sorted(areas, key=lambda a: order.get(a, (1000, a)))):
        findings = sorted((f for f in result.findings if f.area == area), key=Finding.sort_key)
        if not result.include_passed:
            findings = [f for f in findings if f.status is not Status.PASS]
        gates = [m for m in result.gate_failures if m.startswith(f"{area}:")]
        counts = {s: sum(1 for f in findings if f.status is s) for s in Status}
        counts[Status.FAIL] += len(gates)
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": _token(f"{area} {titles.get(area, '')}"),
                "package": f"capcheck.{area}",
                "id": str(suite_id),
                "timestamp": timestamp,
                "hostname": "localhost",
                "tests": str(len(findings) + len(gates)),
                "failures": str(counts[Status.FAIL]),
                "errors": str(counts[Status.ERROR]),
                "skipped": str(counts[Status.SKIP] + counts[Status.WAIVED] + counts[Status.BASELINED]),
                "time": "0",
            },
        )
        props = ET.SubElement(suite, "properties")
        _property(props, "capcheck.version", result.tool_version)
        _property(props, "capcheck.as_of", result.as_of.isoformat())
        _property(props, "capcheck.fail_on", result.fail_on.value if result.fail_on else "never")
        _property(props, "capcheck.area", area)
        _property(props, "capcheck.rules", " ".join(sorted(r.id for r in result.rules if r.area == area)))
        by_area = result.summary.by_area.get(area, {})
        passed_total = by_area.get(Status.PASS.value, 0)
        _property(props, "capcheck.passed", str(passed_total))
        if not result.include_passed:
            _property(props, "capcheck.passed_not_listed", str(passed_total))
        for accepted in _ACCEPTED:
            if by_area.get(accepted.value):
                _property(props, f"capcheck.{accepted.value}", str(by_area[accepted.value]))
        for name, value in _scorecard_properties(result, area):
            _property(props, name, value)

        used: set[tuple[str, str]] = set()
        for f in findings:
            classname = f"capcheck.{f.area}.{f.rule_id}"
            base = name = _token(_case_name(f))
            n = 1
            while (classname, name) in used:
                n += 1
                name = f"{base} ({n})"
            used.add((classname, name))
            case = ET.SubElement(suite, "testcase", {"name": name, "classname": classname, "time": "0"})
            message = xml_text(f.message or f.title)
            if f.status is Status.FAIL:
                el = ET.SubElement(case, "failure", {"message": message, "type": f.severity.value})
                el.text = _details(f)
            elif f.status is Status.ERROR:
                el = ET.SubElement(case, "error", {"message": message, "type": "error"})
                el.text = _details(f)
            elif f.status is Status.SKIP or f.status in _ACCEPTED:
                el = ET.SubElement(case, "skipped", {"message": _skip_message(f, baseline_file)})
                el.text = _details(f)
        for i, message in enumerate(gates, start=1):
            name = "minimum maturity level" + (f" ({i})" if i > 1 else "")
            case = ET.SubElement(suite, "testcase", {"name": name, "classname": f"capcheck.{area}.gate", "time": "0"})
            ET.SubElement(case, "failure", {"message": xml_text(message), "type": "gate"}).text = xml_text(message)
        out = ET.SubElement(suite, "system-out")
        out.text = xml_text(
            f"capcheck {result.tool_version}, as of {result.as_of.isoformat()}: {area} "
            + ", ".join(f"{by_area.get(s.value, 0)} {s.value}" for s in (Status.FAIL, Status.ERROR, Status.SKIP))
            + "".join(f", {by_area[s.value]} {s.value}" for s in _ACCEPTED if by_area.get(s.value))
            + f", {passed_total} pass"
        )
        ET.SubElement(suite, "system-err").text = ""
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
