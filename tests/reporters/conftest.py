"""Fixtures for the reporter tests: real check results over small evidence with a hostile record.

``fixtures/evidence/`` holds a contract register, an asset inventory (CSV) and a governance
register. One contract and one asset carry hostile values (``</script>``, ``=HYPERLINK(...)``,
pipes, Markdown, control characters); ``fixtures/raising_rules.py`` is a local plugin whose rule
raises, so the full result has every status: error, fail, skip and pass.

``fixtures/waivers.yaml`` has a waiver in each state (active, one with hostile values; expiring;
unused; expired) and ``fixtures/baseline.json`` records three of today's failures plus two that are
fixed (one with a hostile message): :func:`governed_result` uses both, so it has ``waived`` and
``baselined`` findings and the waiver and baseline reports.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from capcheck.app.runner import CheckRequest, run_check
from capcheck.assessment.criteria import CriterionResult, CriterionStatus
from capcheck.assessment.scorecard import AreaScore, Scorecard
from capcheck.assessment.sufficiency import OrganisationReading
from capcheck.core.models import RunResult, Severity, Summary
from capcheck.core.reporting import RenderOptions

HERE = Path(__file__).parent
EVIDENCE = HERE / "fixtures" / "evidence"
RAISING_PLUGIN = HERE / "fixtures" / "raising_rules.py"
WAIVERS = HERE / "fixtures" / "waivers.yaml"
BASELINE = HERE / "fixtures" / "baseline.json"
SCHEMAS = HERE.parent / "data" / "external-schemas"
AS_OF = date(2026, 11, 25)

#: The hostile record ids in the fixture evidence.
HOSTILE_CONTRACT_ID = '</script><script>alert(1)</script>|=HYPERLINK("http://evil.example","x")'
HOSTILE_ASSET_ID = "=cmd|' /C calc'!A0"


def _not_achieved(ref: str) -> CriterionResult:
    return CriterionResult(ref, "", CriterionStatus.NOT_ACHIEVED, manual=False, rules=(), attestation=None)


#: A note with every kind of hostile content: markup, a table pipe, Markdown, a mention, control characters
#: and a spreadsheet formula.
HOSTILE_NOTE = (
    '</script><script>alert(1)</script> | *bold* [link](http://evil.example) @org/team \x1b[31m\x07 =HYPERLINK("x")'
)

#: A hand-built scorecard with a hostile title, cap and note: three scored areas.
SCORECARD = Scorecard(
    rows=(
        AreaScore("COMM", "Commercial capability", 2, "scored", 0, 0, 0, 0, 0, 0, basis="1 of 4 criteria achieved"),
        AreaScore("GOV", "Governance <b>", 3, "scored", 0, 0, 0, 0, 0, 0, cap="cap <i>"),
        AreaScore(
            "INFRA",
            "IT infrastructure",
            1,
            "scored",
            0,
            0,
            0,
            0,
            0,
            0,
            criteria=(_not_achieved("x:1"), _not_achieved("x:2")),
        ),
    ),
    criteria=(),
    organisation=OrganisationReading(record=None),
    notes=(HOSTILE_NOTE, "the scorecard method is the config's, looser than capcheck's defaults: attestation_days 400"),
)


@pytest.fixture(scope="session")
def full_result() -> RunResult:
    """Every status (error, fail, skip, pass), passes listed; exit code 2 (a rule raised)."""
    request = CheckRequest(
        paths=[EVIDENCE], plugins=[str(RAISING_PLUGIN)], as_of=AS_OF, include_passed=True, fail_on=Severity.LOW
    )
    return run_check(request)


@pytest.fixture(scope="session")
def default_result() -> RunResult:
    """The usual run: passes counted, not listed; exit code 1."""
    return run_check(CheckRequest(paths=[EVIDENCE], as_of=AS_OF, fail_on=Severity.LOW))


@pytest.fixture(scope="session")
def governed_result() -> RunResult:
    """The usual run with the fixture waivers and baseline: waived and baselined findings; exit code 1."""
    return run_check(
        CheckRequest(paths=[EVIDENCE], as_of=AS_OF, fail_on=Severity.LOW, waivers=WAIVERS, baseline=BASELINE)
    )


@pytest.fixture(scope="session")
def scorecard_result(default_result: RunResult) -> RunResult:
    """The usual run with the hand-built :data:`SCORECARD` in place of the computed one."""
    return dataclasses.replace(default_result, scorecard=SCORECARD)


@pytest.fixture(scope="session")
def empty_result(default_result: RunResult) -> RunResult:
    """A run with no findings at all."""
    return dataclasses.replace(default_result, findings=(), summary=Summary(), rules=(), evidence=())


@pytest.fixture(scope="session")
def options() -> RenderOptions:
    """Render options as the CLI passes them when writing a file."""
    return RenderOptions(color=False, base_dir=Path.cwd())


@pytest.fixture(scope="session")
def schemas() -> Path:
    """``tests/data/external-schemas``: the SARIF schema and the JUnit XSDs."""
    return SCHEMAS


@pytest.fixture(scope="session")
def hostile_contract_id() -> str:
    """The hostile contract id in the fixture evidence."""
    return HOSTILE_CONTRACT_ID


@pytest.fixture(scope="session")
def hostile_asset_id() -> str:
    """The hostile asset id (a CSV formula) in the fixture evidence."""
    return HOSTILE_ASSET_ID


@pytest.fixture(scope="session")
def hostile_note() -> str:
    """The hostile note of the hand-built scorecard (:data:`SCORECARD`)."""
    return HOSTILE_NOTE
