"""The JUnit reporter: valid against the Jenkins (lenient) and Ant (strict) schemas, consistent counts."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from capcheck.builtins.reporters.junit import render_junit
from capcheck.core.escaping.controls import reveal
from capcheck.core.models import RunResult, Status
from capcheck.core.reporting import RenderOptions

xmlschema = pytest.importorskip("xmlschema", reason="xmlschema is a test dependency (validates JUnit XML)")


@pytest.mark.parametrize("xsd", ["junit-10.xsd", "JUnit.xsd"])
@pytest.mark.parametrize(
    "which", ["full_result", "default_result", "empty_result", "governed_result", "scorecard_result"]
)
def test_valid_against_both_schemas(
    xsd: str, which: str, request: pytest.FixtureRequest, options: RenderOptions, schemas: Path
) -> None:
    text = render_junit(request.getfixturevalue(which), options)
    schema = xmlschema.XMLSchema(str(schemas / xsd))
    schema.validate(text)


@pytest.mark.parametrize("which", ["full_result", "governed_result"])
def test_lxml_agrees(which: str, request: pytest.FixtureRequest, options: RenderOptions, schemas: Path) -> None:
    etree = pytest.importorskip("lxml.etree", reason="lxml is a test dependency")
    doc = etree.fromstring(render_junit(request.getfixturevalue(which), options).encode("utf-8"))
    for xsd in ("junit-10.xsd", "JUnit.xsd"):
        etree.XMLSchema(etree.parse(str(schemas / xsd))).assertValid(doc)


def test_schema_catches_a_broken_report(full_result: RunResult, options: RenderOptions, schemas: Path) -> None:
    """The validation is real: a testcase without a name fails both schemas."""
    root = ET.fromstring(render_junit(full_result, options))
    case = root.find("./testsuite/testcase")
    assert case is not None
    del case.attrib["name"]
    broken = ET.tostring(root, encoding="unicode")
    for xsd in ("junit-10.xsd", "JUnit.xsd"):
        assert not xmlschema.XMLSchema(str(schemas / xsd)).is_valid(broken)


def test_structure_and_counts(full_result: RunResult, options: RenderOptions) -> None:
    root = ET.fromstring(render_junit(full_result, options))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    areas = {r.area for r in full_result.rules}
    assert {s.get("package") for s in suites} == {f"capcheck.{a}" for a in areas}
    assert [s.get("id") for s in suites] == [str(i) for i in range(len(suites))]
    total = Counter[str]()
    for suite in suites:
        area = suite.get("package", "").removeprefix("capcheck.")
        assert suite.get("name", "").startswith(area + " ")
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "-1")) == len(cases)
        assert int(suite.get("failures", "-1")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(suite.get("errors", "-1")) == sum(1 for c in cases if c.find("error") is not None)
        assert int(suite.get("skipped", "-1")) == sum(1 for c in cases if c.find("skipped") is not None)
        names = [(c.get("classname"), c.get("name")) for c in cases]
        assert len(names) == len(set(names)), "testcase names are unique within a class"
        for case in cases:
            assert (case.get("classname") or "").startswith(f"capcheck.{area}.{area}-")
            children = [child.tag for child in case]
            assert len(children) <= 1
            total[children[0] if children else "pass"] += 1
    assert total["failure"] == full_result.summary.by_status["fail"]
    assert total["error"] == full_result.summary.by_status["error"] == 1
    assert total["skipped"] == full_result.summary.by_status["skip"]
    assert total["pass"] == full_result.summary.by_status["pass"]


def test_failure_details(full_result: RunResult, options: RenderOptions) -> None:
    root = ET.fromstring(render_junit(full_result, options))
    finding = next(f for f in full_result.findings if f.rule_id == "COMM-004" and f.status is Status.FAIL)
    assert finding.evidence is not None and finding.evidence.record_id is not None
    name = f"COMM-004 {finding.title}: {finding.evidence.record_id}"  # reads on its own: rule, title, record
    case = root.find(f".//testcase[@classname='capcheck.COMM.COMM-004'][@name='{name}']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("type") == finding.severity.value
    assert failure.get("message") == finding.message
    assert finding.evidence.location() in (failure.text or "")
    error = root.find(".//testcase[@classname='capcheck.DATA.DATA-901']/error")
    assert error is not None and "boom" in (error.get("message") or "")
    skipped = root.findall(".//testcase/skipped")
    assert skipped and all(s.get("message") for s in skipped)
    groups = root.findall(".//testcase[@classname='capcheck.INFRA.INFRA-003']")
    title = next(r.title for r in full_result.rules if r.id == "INFRA-003")
    assert {c.get("name") for c in groups} == {f"INFRA-003 {title}: production", f"INFRA-003 {title}: test"}


def test_passes_not_listed_are_counted_in_properties(default_result: RunResult, options: RenderOptions) -> None:
    root = ET.fromstring(render_junit(default_result, options))
    assert not [c for c in root.iter("testcase") if len(c) == 0]
    comm = root.find("testsuite[@package='capcheck.COMM']")
    assert comm is not None
    props = {p.get("name"): p.get("value") for p in comm.iter("property")}
    assert props["capcheck.passed_not_listed"] == str(default_result.summary.by_area["COMM"]["pass"])


def test_property_names_are_the_documented_ones(scorecard_result: RunResult, options: RenderOptions) -> None:
    """The layering refactor's search and replace renamed two of them after modules (`capcheck.core.rules`,
    `capcheck.assessment.scorecard.level`): a dashboard reading `capcheck.scorecard.level` found nothing."""
    root = ET.fromstring(render_junit(scorecard_result, options))
    comm = root.find("testsuite[@package='capcheck.COMM']")
    assert comm is not None
    props = {p.get("name"): p.get("value") for p in comm.iter("property")}
    assert props["capcheck.rules"] == " ".join(sorted(r.id for r in scorecard_result.rules if r.area == "COMM"))
    assert props["capcheck.scorecard.level"] and props["capcheck.scorecard.status"]
    documented = {"version", "as_of", "fail_on", "area", "rules", "passed", "passed_not_listed", "waived", "baselined"}
    scorecard = {"level", "name", "status", "basis", "cap", "note"}
    for name in props:
        assert name.removeprefix("capcheck.") in documented or name.removeprefix("capcheck.scorecard.") in scorecard


def test_hostile_values(
    full_result: RunResult, options: RenderOptions, hostile_contract_id: str, hostile_asset_id: str
) -> None:
    text = render_junit(full_result, options)
    assert "\x07" not in text and "\x1b" not in text
    root = ET.fromstring(text)  # well-formed despite </script>, quotes and control characters
    names = {(c.get("name") or "").split(": ", 1)[-1] for c in root.iter("testcase")}
    assert hostile_contract_id in names
    assert hostile_asset_id in names
    assert "<script>" not in text  # escaped by ElementTree


def _case(root: ET.Element, rule_id: str, name: str) -> ET.Element:
    area = rule_id.rsplit("-", 1)[0]
    for case in root.iter("testcase"):
        named = (case.get("name") or "").startswith(f"{rule_id} ") and (case.get("name") or "").endswith(f": {name}")
        if case.get("classname") == f"capcheck.{area}.{rule_id}" and named:
            return case
    raise AssertionError(f"no testcase {rule_id} {name}")


def test_waived_failure_is_skipped_with_the_waiver(governed_result: RunResult, options: RenderOptions) -> None:
    root = ET.fromstring(render_junit(governed_result, options))
    case = _case(root, "COMM-004", "CON-001")
    assert case.find("failure") is None
    skipped = case.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == (
        "waived: Exit plan drafted; the supplier's step-in rights cover the gap until it is signed off. "
        "(RISK-101, approved by Director of Commercial, expires 2027-06-30)"
    )
    body = skipped.text or ""
    assert "Waiver: RISK-101, approved by Director of Commercial on 2026-09-01, expires 2027-06-30" in body
    assert "waivers.yaml/waivers/0" in body
    assert "Remediation:" in body  # it still fails: say how to fix it


def test_baselined_failure_is_skipped_naming_the_baseline(governed_result: RunResult, options: RenderOptions) -> None:
    root = ET.fromstring(render_junit(governed_result, options))
    assert governed_result.baseline is not None
    baseline_file = governed_result.baseline.file
    assert baseline_file.endswith("baseline.json")
    for rule_id, name in (("GOV-001", "RSK-002"), ("INFRA-004", "CI-002")):  # INFRA-004's waiver has expired
        case = _case(root, rule_id, name)
        assert case.find("failure") is None
        skipped = case.find("skipped")
        assert skipped is not None
        assert skipped.get("message") == f"baselined: known failure recorded in {baseline_file}"


def test_new_failures_still_fail(governed_result: RunResult, options: RenderOptions) -> None:
    root = ET.fromstring(render_junit(governed_result, options))
    assert _case(root, "INFRA-001", "CI-003").find("skipped") is not None  # waived (expiring soon)
    assert _case(root, "INFRA-004", "=cmd|' /C calc'!A0").find("failure") is not None  # neither waived nor known
    assert _case(root, "COMM-004", "CON-001").find("failure") is None


def test_counts_with_waived_and_baselined(governed_result: RunResult, options: RenderOptions) -> None:
    root = ET.fromstring(render_junit(governed_result, options))
    by_status = governed_result.summary.by_status
    assert by_status["waived"] == 3 and by_status["baselined"] == 2
    suites = root.findall("testsuite")
    failures = sum(int(s.get("failures", "0")) for s in suites)
    skipped = sum(int(s.get("skipped", "0")) for s in suites)
    assert failures == by_status["fail"] == len(root.findall(".//testcase/failure"))
    assert skipped == by_status["skip"] + by_status["waived"] + by_status["baselined"]
    assert skipped == len(root.findall(".//testcase/skipped"))
    for suite in suites:
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "-1")) == len(cases)
        assert int(suite.get("skipped", "-1")) == sum(1 for c in cases if c.find("skipped") is not None)
    comm = root.find("testsuite[@package='capcheck.COMM']")
    assert comm is not None
    props = {p.get("name"): p.get("value") for p in comm.iter("property")}
    assert props["capcheck.waived"] == str(governed_result.summary.by_area["COMM"]["waived"]) == "2"
    assert "2 waived" in (comm.findtext("system-out") or "")


def test_hostile_waiver_is_escaped(
    governed_result: RunResult, options: RenderOptions, hostile_contract_id: str
) -> None:
    text = render_junit(governed_result, options)
    assert "<script>" not in text
    root = ET.fromstring(text)
    skipped = _case(root, "COMM-001", hostile_contract_id).find("skipped")
    assert skipped is not None
    message = skipped.get("message") or ""
    assert message.startswith("waived: </script><script>alert(9)</script> | ")
    assert message.endswith("(+RISK-102 <b>, approved by =cmd|' /C calc'!A0, expires 2027-03-31)")


def test_test_names_read_on_their_own_and_groups_are_named_by_their_label(
    full_result: RunResult, options: RenderOptions
) -> None:
    whole = next(f for f in full_result.findings if f.evidence is not None and f.evidence.record_id is not None)
    assert whole.evidence is not None
    register = dataclasses.replace(
        whole, group="all", evidence=dataclasses.replace(whole.evidence, record_id=None), fingerprint="g" * 32
    )
    result = dataclasses.replace(full_result, findings=(*full_result.findings, register))
    root = ET.fromstring(render_junit(result, options))
    names = [c.get("name") or "" for c in root.iter("testcase") if not (c.get("classname") or "").endswith(".gate")]
    titles = {r.id: r.title for r in full_result.rules} | {whole.rule_id: whole.title}
    for name in names:
        rule_id = name.split(" ", 1)[0]
        assert name.startswith(f"{rule_id} {titles.get(rule_id, '')}: "), name
    assert f"{whole.rule_id} {whole.title}: all {whole.evidence.kind} records" in names
    assert not any(name.endswith(": all") for name in names)


def test_every_suite_carries_the_scorecards_notes(
    scorecard_result: RunResult, options: RenderOptions, schemas: Path
) -> None:
    """A CI dashboard showing only the JUnit report missed the scorecard's notes (what can lift a level without
    the evidence improving): every suite carries them, as it carries the run's version, as properties and as
    ``Note:`` lines of its output in the text report's words, hidden characters shown, never a line of their own."""
    assert scorecard_result.scorecard is not None
    notes = scorecard_result.scorecard.notes
    text = render_junit(scorecard_result, options)
    for xsd in ("junit-10.xsd", "JUnit.xsd"):
        xmlschema.XMLSchema(str(schemas / xsd)).validate(text)
    suites = ET.fromstring(text).findall("testsuite")
    assert suites
    for suite in suites:
        said = [p.get("value") for p in suite.iter("property") if p.get("name") == "capcheck.scorecard.note"]
        assert said == [reveal(n) for n in notes]
        out = (suite.findtext("system-out") or "").split("\n")
        assert out[1:] == [f"Note: {reveal(n)}" for n in notes]
    assert "\x1b" not in text and "<script>" not in text


def test_a_note_with_a_line_break_starts_no_line(default_result: RunResult, options: RenderOptions) -> None:
    assert default_result.scorecard is not None
    card = dataclasses.replace(default_result.scorecard, notes=("first\nNote: all areas are fine",))
    suite = ET.fromstring(render_junit(dataclasses.replace(default_result, scorecard=card), options)).find("testsuite")
    assert suite is not None
    out = (suite.findtext("system-out") or "").split("\n")
    assert len(out) == 2 and out[1].startswith("Note: first") and "all areas are fine" in out[1]


def test_a_10_mb_value_leaves_the_report_readable_by_libxml2(
    default_result: RunResult, options: RenderOptions, schemas: Path
) -> None:
    """libxml2 (lxml; Nokogiri, GitLab's reader) refuses a whole report with one text node or attribute over
    10,000,000 bytes: one record's 10 MB title in a message left the CI's test view empty. Each value is cut at
    MAX_VALUE characters, saying how many more; the rest of the body (fingerprint) and the report stay whole;
    an aggregate finding lists at most MAX_RELATED related records."""
    from capcheck.builtins.reporters.junit import MAX_RELATED, MAX_VALUE

    etree = pytest.importorskip("lxml.etree", reason="lxml is a test dependency")
    first = next(f for f in default_result.findings if f.status is Status.FAIL and f.evidence is not None)
    assert first.evidence is not None
    big = "A" * (10 * 1024 * 1024)
    finding = dataclasses.replace(
        first, message=f"contract ({big}) has no owner", related=(first.evidence,) * (MAX_RELATED + 5)
    )
    text = render_junit(dataclasses.replace(default_result, findings=(finding,)), options)
    doc = etree.fromstring(text.encode("utf-8"))  # no XML_PARSE_HUGE
    for xsd in ("junit-10.xsd", "JUnit.xsd"):
        etree.XMLSchema(etree.parse(str(schemas / xsd))).assertValid(doc)
    (failure,) = doc.iter("failure")
    more = len(finding.message) - MAX_VALUE
    cut = f"{finding.message[:MAX_VALUE]}\u2026 ({more:,} more characters: the JSON report has it whole)"
    assert failure.get("message") == cut
    body = failure.text.split("\n")
    assert cut in body and body[-1] == f"Fingerprint: {finding.fingerprint}"
    related = [line for line in body if line.startswith("Related: ")]
    assert len(related) == MAX_RELATED + 1 and related[-1] == "Related: 5 more (the JSON report lists them all)"
    assert len(text) < 2 * 1024 * 1024
