"""COMM-003 (contract owners in the governance register: a join) and COMM-004 (exit plans)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from capcheck.builtins.pack._money import money
from capcheck.builtins.pack.procurement import procurement_thresholds
from capcheck.core.evidence import EvidenceSet


def test_comm_003_joins_contract_owners_to_governance_owners(judge, mixed: EvidenceSet) -> None:
    verdicts = judge("COMM-003", mixed)
    assert {k: v[0] for k, v in verdicts.items()} == {"CON-001": "pass", "CON-002": "pass", "CON-003": "fail"}
    assert verdicts["CON-003"][1] == "contract owner 'j.bloggs' holds no role in the governance register"


def test_comm_003_statuses_option(judge, mixed: EvidenceSet) -> None:
    verdicts = judge("COMM-003", mixed, statuses=["expired"])
    assert {k: v[0] for k, v in verdicts.items()} == {"CON-004": "fail"}


def test_comm_003_needs_both_registers(judge, load, copy_fixture) -> None:
    evidence = load(copy_fixture("evidence/mixed/supplier-contracts.json"))
    verdicts = judge("COMM-003", evidence)
    assert verdicts == {
        "-": ("skip", "insufficient evidence: no 'governance-register' evidence was given"),
    }


def test_comm_003_passes_when_every_owner_is_known(judge, load, copy_fixture) -> None:
    evidence = load(copy_fixture("evidence/clean", "clean"))
    assert {k: v[0] for k, v in judge("COMM-003", evidence).items()} == {"CON-101": "pass", "CON-102": "pass"}


def test_comm_004_high_value_contracts_need_an_exit_plan(judge, mixed: EvidenceSet) -> None:
    verdicts = judge("COMM-004", mixed)
    assert {k: v[0] for k, v in verdicts.items()} == {"CON-001": "pass", "CON-002": "fail"}
    assert verdicts["CON-002"][1] == "contract worth GBP 1,200,000 with Widget Health Systems has no exit plan"


def test_comm_004_options(judge, mixed: EvidenceSet) -> None:
    lower = judge("COMM-004", mixed, value_threshold=50_000)
    assert {k: v[0] for k, v in lower.items()} == {"CON-001": "pass", "CON-002": "fail", "CON-003": "fail"}
    everything = judge("COMM-004", mixed, statuses=["active", "pipeline", "expired"])
    assert everything["CON-004"][0] == "fail"
    higher = judge("COMM-004", mixed, value_threshold=10_000_000)
    assert higher == {"-": ("skip", "no records in the rule's scope")}


def test_comm_004_exit_plan_must_be_true_not_truthy(judge, load, workdir: Path) -> None:
    (workdir / "c.json").write_text(
        '{"kind": "supplier-contracts", "records": [{"id": "C-1", "title": "t", "supplier": "s", "value": 2000000,'
        ' "start_date": "2024-01-01", "status": "active", "exit_plan_reviewed": "2024-06-01"}]}'
    )
    assert judge("COMM-004", load("c.json"))["C-1"][0] == "fail"


def test_procurement_thresholds_are_the_procurement_act_figures() -> None:
    periods = dict(procurement_thresholds())
    assert periods[date(2024, 1, 1)]["central-government"] == {
        "goods-services": 139688,
        "works": 5372609,
        "light-touch": 663540,
    }
    assert periods[date(2026, 1, 1)]["central-government"]["goods-services"] == 135018
    assert periods[date(2026, 1, 1)]["sub-central"]["goods-services"] == 207720
    assert periods[date(2026, 1, 1)]["sub-central"]["works"] == 5193000


def test_money_shows_its_currency_and_converts_only_with_a_rate() -> None:
    eur = money({"value": 2_000_000, "currency": "EUR"}, "value", {})
    assert eur is not None and str(eur) == "EUR 2,000,000" and eur.gbp is None
    converted = money({"value": 2_000_000, "currency": "EUR"}, "value", {"EUR": 0.85})
    assert converted is not None and converted.gbp == 1_700_000
    gbp = money({"value": 10}, "value", {})
    assert gbp is not None and (gbp.currency, gbp.gbp) == ("GBP", 10)
    for rate in (0, -1, True, "0.85"):  # no usable rate: the value cannot be judged in GBP
        assert money({"value": 10, "currency": "EUR"}, "value", {"EUR": rate}) == money(
            {"value": 10, "currency": "EUR"}, "value", {}
        )


def test_money_reads_numbers_only_and_any_currency_as_text() -> None:
    for value in (True, False, None, "10", [10]):  # a boolean is not an amount, whatever Python says
        assert money({"value": value}, "value", {}) is None
    assert money({"value": 1.5, "currency": ""}, "value", {}) == (1.5, "GBP", 1.5)  # blank: GBP
    assert money({"value": 3, "currency": 978}, "value", {"978": 2}) == (3.0, "978", 6.0)  # a code as a number
