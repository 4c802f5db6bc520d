"""The SARIF reporter: valid SARIF 2.1.0, and what GitHub code scanning needs."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for

from capcheck.builtins.reporters.sarif import SECURITY_SEVERITY, render_sarif
from capcheck.core.models import EvidenceRef, RunResult, Status
from capcheck.core.reporting import RenderOptions

BASELINE = Path(__file__).parent / "fixtures" / "baseline.json"


@pytest.fixture(scope="module")
def sarif_schema(schemas: Path) -> dict[str, Any]:
    """The OASIS SARIF 2.1.0 schema (draft-04)."""
    return json.loads((schemas / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def _log(result: RunResult, options: RenderOptions) -> dict[str, Any]:
    return json.loads(render_sarif(result, options))


def _validate(schema: dict[str, Any], log: dict[str, Any]) -> None:
    validator = validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


@pytest.mark.parametrize(
    "which", ["full_result", "default_result", "empty_result", "governed_result", "scorecard_result"]
)
def test_valid_against_the_oasis_schema(
    which: str, request: pytest.FixtureRequest, sarif_schema: dict[str, Any], options: RenderOptions
) -> None:
    result = request.getfixturevalue(which)
    _validate(sarif_schema, _log(result, options))
    _validate(sarif_schema, _log(result, RenderOptions()))


def test_schema_catches_a_broken_log(
    sarif_schema: dict[str, Any], full_result: RunResult, options: RenderOptions
) -> None:
    """The validation is real: a result with a level SARIF does not know fails it."""
    log = _log(full_result, options)
    log["runs"][0]["results"][0]["level"] = "critical"
    validator = validator_for(sarif_schema)(sarif_schema)
    assert not validator.is_valid(log)


def test_github_requirements(full_result: RunResult, options: RenderOptions) -> None:
    log = _log(full_result, options)
    assert log["version"] == "2.1.0"
    assert log["$schema"].startswith("https://")
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "capcheck"
    assert driver["version"] == full_result.tool_version
    assert driver["semanticVersion"] == full_result.tool_version
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted(r.id for r in full_result.rules)
    for rule in rules:
        for key in ("shortDescription", "fullDescription", "help"):
            text = rule[key]["text"]
            assert text.strip()
            assert key == "help" or len(text) <= 1024
        assert rule["help"]["markdown"].strip()
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
        props = rule["properties"]
        assert isinstance(props["security-severity"], str)
        assert 0.0 <= float(props["security-severity"]) <= 10.0
        assert "capcheck" in props["tags"]
        assert props["area"] in props["tags"]
        assert props["precision"] == "high"
    ids = [r["id"] for r in rules]
    for res in run["results"]:
        assert res["message"]["text"].strip()
        assert res["ruleId"] in ids
        assert ids[res["ruleIndex"]] == res["ruleId"]
        if "locations" not in res:  # a finding with no evidence file: listed, but nowhere to show it
            assert res["properties"]["status"] in {"skip", "error"}
            continue
        assert 1 <= len(res["locations"]) <= 10
        physical = res["locations"][0]["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert not uri.startswith("/") and "://" not in uri
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert physical["region"]["startLine"] >= 1
        assert res["partialFingerprints"]["primaryLocationLineHash"]
        assert res["partialFingerprints"]["capcheckFingerprint/v1"]
    assert "%SRCROOT%" in run["originalUriBaseIds"]


def test_rule_descriptors_use_rule_text(full_result: RunResult, options: RenderOptions) -> None:
    rules = {r["id"]: r for r in _log(full_result, options)["runs"][0]["tool"]["driver"]["rules"]}
    info = next(r for r in full_result.rules if r.id == "COMM-004")
    rule = rules["COMM-004"]
    assert rule["shortDescription"]["text"] == info.title
    assert rule["fullDescription"]["text"] == info.description
    assert info.rationale in rule["help"]["text"]
    assert info.remediation in rule["help"]["markdown"]
    assert rule["helpUri"] == info.references[0]
    assert rule["defaultConfiguration"]["level"] == "error"
    assert rule["properties"]["security-severity"] == "8.0"
    assert rules["INFRA-004"]["properties"]["security-severity"] == "9.5"
    assert rules["COMM-003"]["properties"]["security-severity"] == "5.5"
    assert rules["COMM-003"]["defaultConfiguration"]["level"] == "warning"


def test_rule_without_description_falls_back_to_title(default_result: RunResult, options: RenderOptions) -> None:
    bare = tuple(
        dataclasses.replace(r, description="", rationale="", remediation="", references=())
        for r in default_result.rules
    )
    log = _log(dataclasses.replace(default_result, rules=bare), options)
    for rule in log["runs"][0]["tool"]["driver"]["rules"]:
        assert rule["fullDescription"]["text"] == rule["shortDescription"]["text"]
        assert rule["help"]["text"]
        assert "helpUri" not in rule


def test_security_severity_table() -> None:
    assert {k.value: v for k, v in SECURITY_SEVERITY.items()} == {
        "critical": "9.5",
        "high": "8.0",
        "medium": "5.5",
        "low": "3.0",
        "info": "0.0",
    }


def test_status_mapping(full_result: RunResult, options: RenderOptions) -> None:
    log = _log(full_result, options)
    results = log["runs"][0]["results"]
    assert len(results) == len(full_result.findings)  # passes listed; under the default cap
    by_status: dict[str, list[dict[str, Any]]] = {}
    for res in results:
        by_status.setdefault(res["properties"]["status"], []).append(res)
    assert {"fail", "error", "pass"} <= set(by_status) <= {"fail", "error", "skip", "pass"}
    level = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
    for res in by_status["fail"]:
        assert res["kind"] == "fail"
        assert res["level"] == level[res["properties"]["severity"]]
    for res in by_status["error"]:
        assert (res["kind"], res["level"]) == ("fail", "error")
    for res in by_status["skip"]:
        assert (res["kind"], res["level"]) == ("open", "none")
    for res in by_status["pass"]:
        assert (res["kind"], res["level"]) == ("pass", "none")
    invocation = log["runs"][0]["invocations"][0]
    assert full_result.exit_code == 2
    assert invocation["executionSuccessful"] is False
    assert invocation["exitCode"] == 2
    notes = [n for n in invocation["toolExecutionNotifications"] if n["level"] != "note"]  # not the scorecard's
    assert [n["associatedRule"]["id"] for n in notes] == ["DATA-901"]


def test_passes_are_left_out_unless_listed(default_result: RunResult, options: RenderOptions) -> None:
    log = _log(default_result, options)
    statuses = {r["properties"]["status"] for r in log["runs"][0]["results"]}
    assert Status.PASS.value not in statuses
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_locations_and_properties(full_result: RunResult, options: RenderOptions) -> None:
    log = _log(full_result, options)
    run = log["runs"][0]
    artifacts = run["artifacts"]
    assert {a["hashes"]["sha-256"] for a in artifacts} == {e.sha256 for e in full_result.evidence}
    located = [f for f in full_result.findings if f.evidence is not None and f.evidence.file]
    placed = [r for r in run["results"] if "locations" in r]
    for finding, res in zip(located, placed, strict=True):
        ev = finding.evidence
        assert ev is not None and ev.file is not None
        loc = res["locations"][0]
        art = loc["physicalLocation"]["artifactLocation"]
        assert art["uri"].endswith(Path(ev.file).name)
        assert artifacts[art["index"]]["location"]["uri"] == art["uri"]
        assert loc["physicalLocation"]["region"]["startLine"] == (ev.line or 1)
        assert res["partialFingerprints"]["capcheckFingerprint/v1"] == finding.fingerprint
        logical = loc["logicalLocations"][0]
        props = res["properties"]
        assert props["area"] == finding.area
        assert props["kind"] == ev.kind
        if ev.record_id is not None:
            assert logical["name"] == ev.record_id
            assert props["recordId"] == ev.record_id
            assert props["pointer"] == ev.pointer
        elif finding.group is not None:
            assert logical["name"] == finding.group
            assert props["group"] == finding.group
    grouped = [r for r in run["results"] if r["properties"].get("group") == "production" and r["kind"] == "fail"]
    assert any(r.get("relatedLocations") for r in grouped)


def test_uri_outside_base_dir_is_absolute_file_uri(full_result: RunResult, tmp_path: Path) -> None:
    log = _log(full_result, RenderOptions(base_dir=tmp_path))
    uris = {a["location"]["uri"] for a in log["runs"][0]["artifacts"]}
    assert all(u.startswith("file:///") for u in uris)
    assert all("uriBaseId" not in a["location"] for a in log["runs"][0]["artifacts"])


def test_hostile_values_survive_as_data(
    full_result: RunResult, options: RenderOptions, hostile_contract_id: str
) -> None:
    text = render_sarif(full_result, options)
    log = json.loads(text)
    ids = {r["properties"].get("recordId") for r in log["runs"][0]["results"]}
    assert hostile_contract_id in ids
    messages = [r["message"]["text"] for r in log["runs"][0]["results"]]
    hostile = [m for m in messages if "HYPERLINK" in m and "no owner" in m]
    assert hostile
    # Literal brackets are escaped, so evidence cannot forge SARIF embedded links.
    assert "\\[link\\](http://evil.example)" in hostile[0]
    assert "\x07" not in text and "\x1b" not in text  # control characters are JSON-escaped


def test_deterministic(full_result: RunResult, options: RenderOptions) -> None:
    assert render_sarif(full_result, options) == render_sarif(full_result, options)
    log = _log(full_result, options)
    assert list(log) == ["$schema", "version", "runs"]


def test_finding_without_a_file_is_a_result_without_locations(
    full_result: RunResult, options: RenderOptions, sarif_schema: dict[str, Any]
) -> None:
    """As the docs say: a skip with no evidence file is listed, with no location (GitHub rejects one
    without a physical location)."""
    first = next(f for f in full_result.findings if f.evidence is not None and f.evidence.file)
    assert first.evidence is not None
    orphan = dataclasses.replace(first, status=Status.SKIP, evidence=EvidenceRef(kind=first.evidence.kind), related=())
    result = dataclasses.replace(full_result, findings=tuple(orphan if f == first else f for f in full_result.findings))
    log = _log(result, options)
    _validate(sarif_schema, log)
    listed = [
        r for r in log["runs"][0]["results"] if r["partialFingerprints"]["capcheckFingerprint/v1"] == first.fingerprint
    ]
    assert len(listed) == 1
    assert "locations" not in listed[0] and "relatedLocations" not in listed[0]
    assert (listed[0]["kind"], listed[0]["level"]) == ("open", "none")
    assert listed[0]["properties"]["kind"] == first.evidence.kind
    for other in log["runs"][0]["results"]:
        assert all("physicalLocation" in loc for loc in other.get("locations", []))
        assert all("physicalLocation" in loc for loc in other.get("relatedLocations", []))


def _by_fingerprint(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["partialFingerprints"]["capcheckFingerprint/v1"]: r for r in log["runs"][0]["results"]}


def test_baseline_state_for_every_combination(governed_result: RunResult, options: RenderOptions) -> None:
    """The table in docs/reporters.md: new, baselined, waived in and out of the baseline, not comparable."""
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    recorded = {e["fingerprint"] for e in baseline["findings"]}
    results = _by_fingerprint(_log(governed_result, options))
    seen: set[tuple[str, bool]] = set()
    for f in governed_result.findings:
        res = results[f.fingerprint]
        in_baseline = f.fingerprint in recorded
        seen.add((f.status.value, in_baseline))
        if f.status is Status.FAIL:
            assert not in_baseline and res["baselineState"] == "new"
        elif f.status is Status.BASELINED:
            assert in_baseline and res["baselineState"] == "unchanged"
        elif f.status is Status.WAIVED:
            assert res["baselineState"] == ("unchanged" if in_baseline else "new")
            assert res["suppressions"][0]["kind"] == "external"
        else:
            assert "baselineState" not in res
    # The fixture holds every combination, so none of the branches above is vacuous.
    assert {("fail", False), ("baselined", True), ("waived", True), ("waived", False), ("skip", False)} <= seen


def test_no_baseline_state_without_a_baseline(default_result: RunResult, options: RenderOptions) -> None:
    assert all("baselineState" not in r for r in _log(default_result, options)["runs"][0]["results"])


def test_results_are_capped_most_severe_first(
    full_result: RunResult, options: RenderOptions, sarif_schema: dict[str, Any]
) -> None:
    listed = list(full_result.findings)
    limit = 5
    log = _log(full_result, dataclasses.replace(options, sarif_max_results=limit))
    _validate(sarif_schema, log)
    results = log["runs"][0]["results"]
    assert len(results) == limit
    keep = {"error": 0, "fail": 1, "waived": 2, "baselined": 2, "skip": 3, "pass": 4}
    ranked = sorted(listed, key=lambda f: (keep[f.status.value], -f.severity.rank))
    worst_left_out = ranked[limit]
    kept = [f for f in listed if f.fingerprint in _by_fingerprint(log)]
    assert len(kept) == limit
    for f in kept:  # nothing left out outranks anything kept
        assert (keep[f.status.value], -f.severity.rank) <= (
            keep[worst_left_out.status.value],
            -worst_left_out.severity.rank,
        )
    # Kept results stay in the usual finding order.
    assert [r["partialFingerprints"]["capcheckFingerprint/v1"] for r in results] == [f.fingerprint for f in kept]
    invocation = log["runs"][0]["invocations"][0]
    note = [n for n in invocation["toolExecutionNotifications"] if n["level"] != "note"][-1]
    assert note["level"] == "warning"
    assert note["properties"] == {
        "omittedResults": len(listed) - limit,
        "totalResults": len(listed),
        "maxResults": limit,
    }
    assert f"{len(listed) - limit} of {len(listed)} results left out" in note["message"]["text"]
    assert "JSON report" in note["message"]["text"]
    assert invocation["properties"]["summary"] == full_result.summary.as_dict()  # the summary counts them all


def test_no_cap_at_zero_or_under_the_limit(full_result: RunResult, options: RenderOptions) -> None:
    total = len(full_result.findings)
    for limit in (0, total):
        log = _log(full_result, dataclasses.replace(options, sarif_max_results=limit))
        assert len(log["runs"][0]["results"]) == total
        notes = log["runs"][0]["invocations"][0].get("toolExecutionNotifications", [])
        assert all("omittedResults" not in n.get("properties", {}) for n in notes)
    capped = _log(full_result, dataclasses.replace(options, sarif_max_results=total - 1))
    assert len(capped["runs"][0]["results"]) == total - 1


def test_default_cap_is_githubs_display_limit() -> None:
    assert RenderOptions().sarif_max_results == 5000


def test_automation_details_id(full_result: RunResult, options: RenderOptions) -> None:
    assert _log(full_result, options)["runs"][0]["automationDetails"] == {"id": "capcheck/"}
    for category, expected in (("capcheck/prod", "capcheck/prod/"), ("estate/", "estate/")):
        log = _log(full_result, dataclasses.replace(options, sarif_category=category))
        assert log["runs"][0]["automationDetails"]["id"] == expected


def test_the_scorecards_notes_are_notifications_and_properties(
    scorecard_result: RunResult, options: RenderOptions, sarif_schema: dict[str, Any]
) -> None:
    """An auditor reading only the SARIF log in code scanning missed what can lift a level without the evidence
    improving (the text, JSON, Markdown and HTML reports say it): each note is a notification of level ``note``
    and the invocation's ``scorecardNotes``, in order, as data (a link in a note cannot be forged)."""
    assert scorecard_result.scorecard is not None
    notes = scorecard_result.scorecard.notes
    log = _log(scorecard_result, options)
    _validate(sarif_schema, log)
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["properties"]["scorecardNotes"] == list(notes)
    said = [n for n in invocation["toolExecutionNotifications"] if n["level"] == "note"]
    assert [n["message"]["text"] for n in said] == [
        "Scorecard note: " + note.replace("[", "\\[").replace("]", "\\]") for note in notes
    ]
    assert invocation["executionSuccessful"] is True  # a note is no failure of the run


def test_no_scorecard_no_notes(default_result: RunResult, options: RenderOptions) -> None:
    invocation = _log(dataclasses.replace(default_result, scorecard=None), options)["runs"][0]["invocations"][0]
    assert "scorecardNotes" not in invocation["properties"]
    assert not [n for n in invocation.get("toolExecutionNotifications", []) if n["level"] == "note"]
