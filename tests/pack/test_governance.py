"""GOV-002: high open risks are linked to controls that exist in the register."""

from __future__ import annotations

from capcheck.core.evidence import EvidenceSet


def test_gov_002_pass_and_both_kinds_of_failure(judge, mixed: EvidenceSet) -> None:
    verdicts = judge("GOV-002", mixed)
    assert {k: v[0] for k, v in verdicts.items()} == {"RSK-001": "pass", "RSK-002": "fail", "RSK-003": "fail"}
    assert verdicts["RSK-002"][1] == "risk scored 16 has no linked controls"
    assert verdicts["RSK-003"][1] == "risk scored 15 links controls not in the register: CTL-404"


def test_gov_002_min_score_option(judge, mixed: EvidenceSet) -> None:
    verdicts = judge("GOV-002", mixed, min_score=8)
    assert verdicts["RSK-004"] == ("fail", "risk scored 9 has no linked controls")
    assert "RSK-005" not in verdicts  # closed risks are out of scope whatever their score
    strict = judge("GOV-002", mixed, min_score=21)
    assert strict == {"-": ("skip", "no records in the rule's scope")}


def test_gov_002_clean_register(judge, load, copy_fixture) -> None:
    evidence = load(copy_fixture("evidence/clean/governance-register.yaml"))
    assert {k: v[0] for k, v in judge("GOV-002", evidence).items()} == {"RSK-101": "pass"}
