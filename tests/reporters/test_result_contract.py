"""The reporter contract: a ``RunResult`` built by hand from typed members renders in every format.

Each typed member (scorecard rows, criteria, organisation and profile, waiver report, baseline report)
carries a marker value; every registered reporter renders the result, and each format shows the
members it is documented to show. A reporter reading a renamed or missing member fails here (and in
mypy), where reading a string key of a mapping failed silently.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest

from capcheck.app.config import Config
from capcheck.app.runner import load_registry
from capcheck.assessment.baseline import BaselineReport
from capcheck.assessment.criteria import Attestation, CriterionResult, CriterionStatus, RuleVerdict
from capcheck.assessment.scorecard import AreaScore, Scorecard
from capcheck.assessment.sufficiency import OrganisationReading
from capcheck.assessment.waivers import Waiver, WaiverState
from capcheck.builtins.reporters.json import result_document
from capcheck.core.models import RunResult, Severity
from capcheck.core.reporting import RenderOptions

BASIS = "basis-marker-1"
CRITERION_TITLE = "criterion-marker-2"
FLAG = "flag-marker-3"
TICKET = "TICKET-MARKER-4"
BASELINE_FILE = "baseline-marker-5.json"
FIXED_MESSAGE = "fixed-marker-6"
ATTESTATION = "ATT-MARKER-7"
GAP = "caf-4.0:Z9.z"

#: Which markers each built-in format shows (SARIF and JUnit carry the scorecard rows only;
#: CSV is one row per finding and shows none of these members).
SHOWN = {
    "text": {BASIS, FLAG, TICKET, BASELINE_FILE},  # the criteria view and the gaps: with --show criteria
    "markdown": {BASIS, CRITERION_TITLE, FLAG, TICKET, BASELINE_FILE, FIXED_MESSAGE, ATTESTATION, GAP},
    "html": {BASIS, CRITERION_TITLE, FLAG, TICKET, BASELINE_FILE, FIXED_MESSAGE, ATTESTATION, GAP},
    "json": {BASIS, CRITERION_TITLE, FLAG, TICKET, BASELINE_FILE, FIXED_MESSAGE, ATTESTATION, GAP},
    "sarif": {BASIS, GAP},  # a row's criteria_status names its criteria
    "junit": {BASIS},
    "csv": set(),
}
MARKERS = set().union(*SHOWN.values())


def _contract_result(base: RunResult) -> RunResult:
    attestation = Attestation(
        id=ATTESTATION,
        criterion=GAP,
        outcome=CriterionStatus.PARTIALLY_ACHIEVED,
        assessor="Head of Assurance",
        assessed_on=date(2026, 6, 1),
        last_day=date(2027, 5, 31),
        evidence_ref="minutes",
        state="current",
    )
    verdict = RuleVerdict("COMM-004", "COMM", Severity.HIGH, 3, 1, 0, 0, CriterionStatus.NOT_ACHIEVED)
    gap = CriterionResult(
        ref=GAP,
        title=CRITERION_TITLE,
        status=CriterionStatus.NOT_ACHIEVED,
        manual=False,
        rules=(verdict,),
        attestation=attestation,
        expected=CriterionStatus.ACHIEVED,
        areas=("COMM",),
    )
    row = AreaScore("COMM", "Commercial capability", 1, "scored", 1, 1, 3, 1, 0, 0, basis=BASIS, criteria=(gap,))
    organisation = OrganisationReading(
        record={"id": "ORG-1", "name": "Contract Trust", "type": "nhs-trust", "headcount": 900, "estate": {}},
        flags=(FLAG,),
    )
    waiver = Waiver(
        index=0,
        rule="COMM-004",
        records=("C-1",),
        reason="accepted",
        approved_by="Director",
        ticket=TICKET,
        expires=date(2026, 12, 1),
        approved_on=None,
        file="waivers.yaml",
        line=2,
    )
    fixed = ({"fingerprint": "f" * 32, "rule_id": "GOV-002", "record_id": "RSK-1", "message": FIXED_MESSAGE},)
    return dataclasses.replace(
        base,
        scorecard=Scorecard(rows=(row,), criteria=(gap,), organisation=organisation, attestations=(attestation,)),
        waivers=(WaiverState(waiver, "expiring", 2, 6),),
        baseline=BaselineReport(
            file=BASELINE_FILE, entries=3, matched=2, new_failures=1, fixed=fixed, waived_matched=("e" * 32,)
        ),
    )


@pytest.fixture(scope="module")
def contract_result(default_result: RunResult) -> RunResult:
    return _contract_result(default_result)


@pytest.mark.parametrize("name", sorted(SHOWN))
def test_every_format_renders_the_typed_members(name: str, contract_result: RunResult, options: RenderOptions) -> None:
    reporter = load_registry(Config()).reporters[name]
    text = reporter.render(contract_result, options)
    shown = {m for m in MARKERS if m in text}
    assert shown == SHOWN[name]


def test_the_text_reports_criteria_view_renders_the_typed_members(
    contract_result: RunResult, options: RenderOptions
) -> None:
    reporter = load_registry(Config()).reporters["text"]
    text = reporter.render(contract_result, dataclasses.replace(options, show=frozenset({"criteria"})))
    assert {m for m in MARKERS if m in text} == SHOWN["text"] | {CRITERION_TITLE, ATTESTATION, GAP}


def test_every_registered_reporter_renders_without_the_optional_members(
    contract_result: RunResult, options: RenderOptions
) -> None:
    bare = dataclasses.replace(contract_result, scorecard=None, waivers=None, baseline=None)
    for name, reporter in load_registry(Config()).reporters.items():
        text = reporter.render(bare, options)
        assert not {m for m in MARKERS if m in text}, name


def test_json_blocks_are_the_members_json_forms(contract_result: RunResult) -> None:
    doc = result_document(contract_result)
    assert contract_result.scorecard is not None and contract_result.baseline is not None
    blocks = ["baseline", "criteria", "organisation", "profile", "scorecard", "waivers"]
    assert list(doc)[-len(blocks) :] == blocks  # in name order, after the fixed keys
    assert doc["scorecard"] == [r.as_dict() for r in contract_result.scorecard.rows]
    assert doc["criteria"] == [c.as_dict() for c in contract_result.scorecard.criteria]
    assert doc["organisation"] == {**contract_result.scorecard.organisation.as_dict(), "notes": []}
    assert doc["profile"] == {
        "type": "nhs-trust",
        "met": False,
        "criteria": 1,
        "gaps": [
            {
                "id": GAP,
                "title": CRITERION_TITLE,
                "expected": "achieved",
                "status": "not-achieved",
                "areas": ["COMM"],
            }
        ],
    }
    assert doc["waivers"] == [
        {**w.waiver.echo(), "line": 2, "state": "expiring", "matched": 2, "days_left": 6}
        for w in contract_result.waivers or ()
    ]
    assert doc["baseline"] == {
        "file": BASELINE_FILE,
        "entries": 3,
        "matched": 2,
        "new_failures": 1,
        "fixed": [dict(e) for e in contract_result.baseline.fixed],
        "waived_matched": ["e" * 32],
    }
    json.dumps(doc)  # plain data all the way down


def test_no_reporter_reads_an_untyped_extras_mapping() -> None:
    assert "extras" not in {f.name for f in dataclasses.fields(RunResult)}
    package = Path(__file__).parents[2] / "src" / "capcheck" / "reporters"
    readers = [p.name for p in sorted(package.glob("*.py")) if "extras" in p.read_text(encoding="utf-8")]
    assert readers == []
