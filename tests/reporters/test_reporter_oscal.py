"""The OSCAL reporter: valid OSCAL 1.0.6 assessment-results, honest statuses, traceable, deterministic."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capcheck.app.runner import CheckRequest, run_check
from capcheck.builtins.reporters.oscal import (
    OSCAL_VERSION,
    oscal_document,
    render_oscal,
    rule_verdict,
    write_oscal,
)
from capcheck.core.escaping.controls import reveal
from capcheck.core.escaping.markdown import md_escape
from capcheck.core.models import EvidenceRef, Finding, RunResult, Severity, Status
from capcheck.core.reporting import DEFAULT_OSCAL_MAX_OBSERVATIONS, RenderOptions

EXAMPLE = Path(__file__).parents[2] / "examples" / "northgate-health-digital" / "evidence"
AS_OF = datetime(2026, 11, 25).date()


@pytest.fixture(scope="module")
def validator(schemas: Path) -> Any:
    """The official NIST OSCAL 1.0.6 assessment-results schema (draft-07; its $refs are internal).

    jsonschema-rs, because Python's ``re`` cannot compile the schema's ``\\p{L}`` patterns."""
    schema = json.loads((schemas / "oscal_assessment-results_schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert f"/{OSCAL_VERSION}/" in schema["$id"]
    return jsonschema_rs.Draft7Validator(schema)


def _doc(result: RunResult, **options: Any) -> dict[str, Any]:
    out = io.BytesIO()
    write_oscal(result, RenderOptions(**options), out)
    doc: dict[str, Any] = json.loads(out.getvalue())
    return doc


def _valid(validator: Any, doc: dict[str, Any]) -> None:
    errors = [f"{list(e.instance_path)}: {e.message[:200]}" for e in validator.iter_errors(doc)]
    assert not errors, "\n".join(errors[:10])


def _props(item: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in item.get("props", []) if p["name"] == name]


def _prop(item: dict[str, Any], name: str) -> str:
    (value,) = _props(item, name)
    return value


def _result(doc: dict[str, Any]) -> dict[str, Any]:
    (res,) = doc["assessment-results"]["results"]
    return res


def _rule_finding(doc: dict[str, Any], rule_id: str) -> dict[str, Any]:
    (f,) = [f for f in _result(doc)["findings"] if _props(f, "rule-id") == [rule_id]]
    return f


@pytest.mark.parametrize(
    "which", ["full_result", "default_result", "empty_result", "governed_result", "scorecard_result"]
)
def test_valid_against_the_official_schema(which: str, request: pytest.FixtureRequest, validator: Any) -> None:
    result = request.getfixturevalue(which)
    _valid(validator, _doc(result))


def test_the_example_is_valid_and_every_failure_is_an_observation(validator: Any) -> None:
    result = run_check(CheckRequest(paths=[EXAMPLE], as_of=AS_OF))
    doc = _doc(result)
    _valid(validator, doc)
    res = _result(doc)
    failing = sum(result.summary.by_status[s] for s in ("fail", "waived", "baselined", "error", "skip"))
    assert failing > 100
    assert len(res["observations"]) == failing  # under the cap: one per failing record
    meta = doc["assessment-results"]["metadata"]
    assert meta["oscal-version"] == OSCAL_VERSION
    assert meta["version"] == result.tool_version
    assert meta["last-modified"] == result.finished.isoformat(timespec="seconds").replace("+00:00", "Z")
    reviewed = res["reviewed-controls"]
    areas = {c["control-id"] for c in reviewed["control-selections"][0]["include-controls"]}
    assert areas == {r.area for r in result.rules}
    objectives = [o["objective-id"] for o in reviewed["control-objective-selections"][0]["include-objectives"]]
    assert sorted(objectives) == sorted(r.id for r in result.rules)


def test_the_schema_catches_a_broken_document(validator: Any, full_result: RunResult) -> None:
    """The validation is real: a state OSCAL does not know, or a random-looking UUID version, fails it."""
    doc = _doc(full_result)
    _result(doc)["findings"][0]["target"]["status"]["state"] = "waived"
    assert not validator.is_valid(doc)
    doc = _doc(full_result)
    doc["assessment-results"]["uuid"] = "00000000-0000-1000-8000-000000000000"
    assert not validator.is_valid(doc)


@pytest.mark.parametrize(
    ("counts", "state", "reason", "word"),
    [
        ({"pass": 3}, "satisfied", "pass", "pass"),
        ({"pass": 3, "fail": 1}, "not-satisfied", "fail", "fail"),
        ({"pass": 3, "error": 1}, "not-satisfied", "other", "error"),
        ({"pass": 3, "waived": 1}, "not-satisfied", "other", "accepted"),
        ({"pass": 3, "baselined": 1}, "not-satisfied", "other", "accepted"),
        ({"pass": 3, "skip": 1}, "not-satisfied", "other", "skip"),
        ({"skip": 2}, "not-satisfied", "other", "skip"),
        ({}, "not-satisfied", "other", "not-judged"),
        ({"fail": 1, "error": 1}, "not-satisfied", "other", "error"),
    ],
)
def test_rule_verdicts_never_show_an_unjudged_or_accepted_rule_as_satisfied(
    counts: dict[str, int], state: str, reason: str, word: str
) -> None:
    v = rule_verdict(counts)
    assert (v.state, v.reason, v.word) == (state, reason, word)


def test_statuses_in_the_document(full_result: RunResult, governed_result: RunResult) -> None:
    """Each rule's finding states its verdict from its counts; each observation its finding's status."""
    for result in (full_result, governed_result):
        doc = _doc(result)
        res = _result(doc)
        words = set()
        for rule in result.rules:
            f = _rule_finding(doc, rule.id)
            counts = result.summary.by_rule.get(rule.id, {})
            v = rule_verdict(counts)
            assert f["target"]["status"] == {"state": v.state, "reason": v.reason}
            assert f["target"]["target-id"] == rule.id
            assert _prop(f, "capcheck-verdict") == v.word
            for s in Status:
                assert _prop(f, f"count-{s.value}") == str(counts.get(s.value, 0))
            words.add(v.word)
        observed = {_prop(o, "status") for o in res["observations"]}
        assert "pass" not in observed or result.include_passed
        if result is full_result:
            assert {"error", "fail", "skip", "pass"} <= words | observed
            assert _rule_finding(doc, "DATA-901")["target"]["status"]["state"] == "not-satisfied"
        else:
            assert {"waived", "baselined"} <= observed
        for area_finding in [f for f in res["findings"] if not _props(f, "rule-id")]:
            area = area_finding["target"]["target-id"]
            rules = [r for r in result.rules if r.area == area]
            satisfied = all(rule_verdict(result.summary.by_rule.get(r.id, {})).state == "satisfied" for r in rules)
            assert (area_finding["target"]["status"]["state"] == "satisfied") is satisfied


def test_an_areas_finding_gives_its_scorecard_level_and_criteria(scorecard_result: RunResult) -> None:
    res = _result(_doc(scorecard_result))
    areas = {f["target"]["target-id"]: f for f in res["findings"] if not _props(f, "rule-id")}
    assert _props(areas["INFRA"], "maturity-level") == ["1"]
    assert _props(areas["INFRA"], "criterion") == ["x:1 not-achieved", "x:2 not-achieved"]
    assert _props(areas["GOV"], "maturity-level") == ["3"]


def test_accepted_failures_are_stated_never_satisfied(governed_result: RunResult) -> None:
    doc = _doc(governed_result)
    for o in _result(doc)["observations"]:
        status = _prop(o, "status")
        if status == "waived":
            assert o["remarks"].startswith("Waived: ")
        if status == "baselined":
            assert o["remarks"].startswith("Baselined: ")
    for rule_id, counts in governed_result.summary.by_rule.items():
        if counts["waived"] or counts["baselined"]:
            assert _rule_finding(doc, rule_id)["target"]["status"]["state"] == "not-satisfied"


def test_observations_trace_to_the_evidence_record(full_result: RunResult) -> None:
    """Every observation names the rule and version, the record, and the file as a back-matter resource whose
    hash is the file's; every finding's related observation exists, and every observation is related."""
    doc = _doc(full_result)
    res = _result(doc)
    resources = {r["uuid"]: r for r in doc["assessment-results"]["back-matter"]["resources"]}
    by_uuid = {o["uuid"]: o for o in res["observations"]}
    assert len(by_uuid) == len(res["observations"])
    findings = [f for f in full_result.findings if f.status is not Status.PASS or full_result.include_passed]
    assert len(findings) == len(res["observations"])
    for f, o in zip(findings, res["observations"], strict=True):
        assert _prop(o, "rule-id") == f.rule_id
        assert _prop(o, "rule-version") == f.rule_version
        assert _prop(o, "status") == f.status.value
        ev = f.evidence
        if ev is None or ev.file is None:
            continue
        (evidence, *_) = o["relevant-evidence"]
        resource = resources[evidence["href"].removeprefix("#")]
        assert o["subjects"][0]["subject-uuid"] == resource["uuid"]
        (rlink,) = resource["rlinks"]
        assert rlink["hashes"][0]["value"] == hashlib.sha256(Path(rlink["href"]).read_bytes()).hexdigest()
        assert _props(evidence, "kind") == [ev.kind]
        if ev.record_id is not None and ev.record_id.isprintable() and ev.record_id.strip() == ev.record_id:
            assert _prop(evidence, "record-id") == ev.record_id
        if ev.line is not None:
            assert _prop(evidence, "line") == str(ev.line)
    related = [
        r["observation-uuid"]
        for f in res["findings"]
        if _props(f, "rule-id")
        for r in f.get("related-observations", [])
    ]
    assert sorted(related) == sorted(by_uuid)
    for ev_file in full_result.evidence:
        (resource,) = [r for r in resources.values() if r.get("rlinks", [{}])[0].get("href") == ev_file.path]
        assert _props(resource, "collected-on") == ([ev_file.collected_on] if ev_file.collected_on else [])
        assert _prop(resource, "records") == str(ev_file.records)
    assert any(_props(r, "collected-on") for r in resources.values())
    plan = doc["assessment-results"]["import-ap"]["href"]
    assert plan.removeprefix("#") in resources  # the placeholder plan resolves in the document


@pytest.mark.parametrize("which", ["default_result", "governed_result"])
def test_same_run_content_gives_the_same_bytes_apart_from_timestamps(
    which: str, request: pytest.FixtureRequest
) -> None:
    default_result: RunResult = request.getfixturevalue(which)
    later = dataclasses.replace(
        default_result,
        started=default_result.started + timedelta(days=3),
        finished=default_result.finished + timedelta(days=3, seconds=7),
    )
    first, second = render_oscal(default_result, RenderOptions()), render_oscal(later, RenderOptions())
    assert first != second
    assert _stamp(later.started) in second and _stamp(later.finished) in second
    assert _STAMPS.sub(r"\1: T", first) == _STAMPS.sub(r"\1: T", second)
    uuids = [uuid.UUID(u) for u in _uuids(json.loads(first))]
    assert uuids and {u.version for u in uuids} == {5}
    # Other content, other UUIDs: another as-of date is another assessment.
    other = _doc(dataclasses.replace(default_result, as_of=default_result.as_of + timedelta(days=1)))
    assert other["assessment-results"]["uuid"] != json.loads(first)["assessment-results"]["uuid"]


#: Every timestamp member of the document.
_STAMPS = re.compile(r'("(?:start|end|collected|last-modified)"): "[^"]+"')


def _stamp(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _uuids(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [v for k, v in data.items() if k == "uuid"] + [u for v in data.values() for u in _uuids(v)]
    if isinstance(data, list):
        return [u for v in data for u in _uuids(v)]
    return []


def test_streamed_text_is_the_document(full_result: RunResult, governed_result: RunResult) -> None:
    for result in (full_result, governed_result):
        text = render_oscal(result, RenderOptions())
        assert json.loads(text) == oscal_document(result)
        assert text.endswith("}\n")


def test_the_cap_keeps_failures_before_passes_and_says_what_it_left_out(full_result: RunResult, validator: Any) -> None:
    docs = (Path(__file__).parents[2] / "docs" / "reporters.md").read_text(encoding="utf-8")
    assert RenderOptions().oscal_max_observations == DEFAULT_OSCAL_MAX_OBSERVATIONS
    assert f"default **{DEFAULT_OSCAL_MAX_OBSERVATIONS:,}**" in docs
    doc = _doc(full_result, oscal_max_observations=1)
    _valid(validator, doc)
    res = _result(doc)
    per_rule: dict[str, list[str]] = {}
    for o in res["observations"]:
        per_rule.setdefault(_prop(o, "rule-id"), []).append(_prop(o, "status"))
    assert per_rule and all(len(v) == 1 for v in per_rule.values())
    left = 0
    for rule_id, statuses in per_rule.items():
        counts = full_result.summary.by_rule[rule_id]
        listed = sum(counts[s.value] for s in Status)  # passes are listed in this run
        if listed > counts["pass"]:  # a rule with a failure, error or skip keeps one of those, not a pass
            assert statuses != ["pass"], rule_id
        omitted = _props(_rule_finding(doc, rule_id), "observations-omitted")
        assert omitted == ([str(listed - 1)] if listed > 1 else [])
        left += listed - 1
    assert left and f"{left} more left out: at most 1 per rule" in res["remarks"]
    assert len(_result(_doc(full_result, oscal_max_observations=0))["observations"]) == len(full_result.findings)


def _hostile_result(base: RunResult) -> RunResult:
    ev = next(e for e in base.evidence if e.kind == "supplier-contracts")
    values = [
        "",
        "  padded  ",
        "line\nbreak\r\u2028sep",
        "\x1b[2J\x07\x00 bell",
        "<script>alert(1)</script> **bold** [x](javascript:alert(1)) @org/team",
        "\ufefftrailing\u3000",
        "lone \udcff surrogate",
        "\u202eevil bidi",
        "x" * 200_000,
        '"  padded  "',
    ]
    findings = tuple(
        Finding(
            rule_id="COMM-001",
            rule_version="1.0.0",
            status=status,
            severity=Severity.HIGH,
            area="COMM",
            title="Contracts have an owner",
            message=f"message {value}",
            remediation="Name one.",
            evidence=EvidenceRef(kind=ev.kind, record_id=value, file=ev.path, line=3, pointer=f"/records/{value}"),
            related=(EvidenceRef(kind="org", record_id=value),),
            group=value or None,
            fingerprint=f"{i:032x}",
        )
        for i, (value, status) in enumerate(
            zip(values, [Status.FAIL, Status.ERROR, Status.SKIP, Status.BASELINED] * 3, strict=False)
        )
    )
    return dataclasses.replace(base, findings=findings)


def test_hostile_values_are_data_never_markup(default_result: RunResult, validator: Any) -> None:
    result = _hostile_result(default_result)
    text = render_oscal(result, RenderOptions())
    doc = json.loads(text)
    _valid(validator, doc)
    assert "\x1b" not in text and "\u202e" not in text and "\u2028" not in text
    markup = [m.group(1) for m in re.finditer(r'"(?:title|description|remarks)": ("(?:[^"\\]|\\.)*")', text)]
    assert markup and not [m for m in markup if "<script>" in m or "**bold**" in m]
    obs = _result(doc)["observations"]
    assert len(obs) == len(result.findings)
    ids = [_prop(o["relevant-evidence"][0], "record-id") for o in obs]
    assert ids[:3] == ['""', '"  padded  "', "line␊break␍\\u2028sep"]  # quoted when blank at an edge
    assert ids[3] == "␛[2J␇␀ bell"
    assert ids[4] == result.findings[4].evidence.record_id  # type: ignore[union-attr]  # a value, kept as it is
    assert ids[8] == "x" * 200_000  # whole: a value is never cut
    assert ids[9] == '"\\"  padded  \\""'  # a value starting with a quote is quoted too: never taken for ids[1]
    assert "&lt;script&gt;" in obs[4]["description"] and "\\*\\*bold\\*\\*" in obs[4]["description"]
    assert "\\[x\\](javascript:alert(1))" in obs[4]["title"]
    assert "\\udcff" in ids[6]


def test_the_cli_writes_it(run_cli: Any, validator: Any, tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    fixtures = Path(__file__).parent / "fixtures" / "evidence"
    result = run_cli("check", fixtures, "--as-of", "2026-11-25", "--report", f"OSCAL={out}", "--format", "text")
    assert result.exit_code == 1, result.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    _valid(validator, doc)
    started = datetime.fromisoformat(_result(doc)["start"])
    assert started.tzinfo is not None and abs(started - datetime.now(UTC)) < timedelta(hours=1)
    counts: dict[str, int] = {}
    for o in _result(doc)["observations"]:
        counts[_prop(o, "rule-id")] = counts.get(_prop(o, "rule-id"), 0) + 1
    assert max(counts.values()) > 1
    capped = run_cli("check", fixtures, "--as-of", "2026-11-25", "-f", "oscal", "--oscal-max-observations", "1")
    assert capped.exit_code == 1, capped.stderr
    observations = _result(json.loads(capped.stdout))["observations"]
    assert sorted(_prop(o, "rule-id") for o in observations) == sorted(counts)  # one per rule
    refused = run_cli("check", fixtures, "-f", "oscal", "--oscal-max-observations", "-1")
    assert refused.exit_code == 2 and "--oscal-max-observations" in refused.stderr


#: Pieces hostile values are made of: controls, separators, bidi, surrogates, blanks, markup, quotes.
_PIECES = st.sampled_from(
    [
        *("\x1b[2J", "\r\n", "\n", "\t", "\x00", "\x7f", "\x85", "\u2028", "\u202e", "\udcff", "\ufeff", " "),
        *("\u3000", "<b>", "**", "[x](y)", "@team", "`", '"', "\\", "#", "=1+1", "CON-1", "é"),
    ]
)
_HOSTILE = st.lists(_PIECES | st.text(max_size=5), max_size=6).map("".join)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(record_id=_HOSTILE, message=_HOSTILE, group=_HOSTILE, pointer=_HOSTILE)
def test_any_values_give_a_valid_document(
    default_result: RunResult, validator: Any, record_id: str, message: str, group: str, pointer: str
) -> None:
    base = _hostile_result(default_result)
    (first, *_) = base.findings
    ev = dataclasses.replace(first.evidence, record_id=record_id, pointer=pointer)  # type: ignore[arg-type]
    finding = dataclasses.replace(first, evidence=ev, message=message, group=group or None)
    result = dataclasses.replace(base, findings=(finding,))
    text = render_oscal(result, RenderOptions())
    doc = json.loads(text)
    _valid(validator, doc)
    (o,) = _result(doc)["observations"]
    shown = _prop(o["relevant-evidence"][0], "record-id")
    if record_id.isprintable() and record_id.strip() == record_id and record_id and record_id[0] not in '"\ufeff':
        assert shown == record_id  # a plain value is written as it is
    else:  # shown, nothing hidden in it, never blank at an edge
        assert shown and reveal(shown) == shown and shown.strip() == shown


def test_the_scorecards_notes_are_the_results_properties_and_remarks(
    scorecard_result: RunResult, validator: Any
) -> None:
    """An auditor importing only the OSCAL document into a GRC tool missed the scorecard's notes (what can lift
    a level without the evidence improving): each is a ``scorecard-note`` property of the result and a list item
    of its remarks, in order, escaped as data."""
    assert scorecard_result.scorecard is not None
    notes = scorecard_result.scorecard.notes
    doc = _doc(scorecard_result)
    _valid(validator, doc)
    res = _result(doc)
    assert _props(res, "scorecard-note") == [reveal(n) for n in notes]
    head, _, listed = res["remarks"].partition("\n\nScorecard notes:\n\n")
    assert head.endswith("observation(s) listed.")
    assert listed.split("\n") == [f"- {md_escape(n)}" for n in notes]
    assert "<script>" not in res["remarks"] and "\x1b" not in res["remarks"]
    none = _result(_doc(dataclasses.replace(scorecard_result, scorecard=None)))
    assert not _props(none, "scorecard-note") and "Scorecard notes" not in none["remarks"]
