"""The scorecard: CAF-style criteria roll-up, levels, caps, sufficiency, plausibility, attestations, the gate."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from capcheck.assessment.criteria import CriterionStatus as CS
from capcheck.assessment.criteria import combine, read_attestations, rule_verdict
from capcheck.assessment.facts import FactsAsked, KindAsk, count_copies, kind_facts
from capcheck.assessment.scorecard import (
    Scorecard,
    ScorecardConfig,
    ScoredRule,
    base_level,
    compute_scorecard,
    facts_asked,
    gate_failures,
    method_loosened,
)
from capcheck.assessment.sufficiency import (
    AreaNeeds,
    Bound,
    Profile,
    ScorecardData,
    bundled_scorecard_data,
    kind_coverage,
    read_organisation,
)
from capcheck.builtins.frameworks import bundled_frameworks
from capcheck.core.models import Area, Severity, Status, Summary

AS_OF = date(2026, 11, 25)
AREAS = [Area(id="COMM", title="Commercial", order=1), Area(id="INFRA", title="Infrastructure", order=2)]
FRAMEWORKS = {fw.id: fw for fw in bundled_frameworks()}
#: Small test data: COMM needs 100 contracts' worth of evidence and one manual criterion.
DATA = ScorecardData(
    needs={
        "COMM": AreaNeeds(kinds=("supplier-contracts",), fields={"supplier-contracts": ("owner",)}),
        "INFRA": AreaNeeds(kinds=("it-assets",), manual=("capcheck-1:INFRA-M1",)),
    },
    bounds={"trust": {"it-assets": Bound(min=20, max=10000)}},
    profiles={"trust": Profile(default=CS.PARTIALLY_ACHIEVED, expect={"caf-4.0:B4.d": CS.ACHIEVED})},
)


def _org(**estate: int) -> dict[str, Any]:
    return {"id": "RX1", "name": "Trust", "type": "trust", "headcount": 1000, "estate": estate}


def _records(n: int, kind: str = "supplier-contracts", owner: bool = True) -> list[dict[str, Any]]:
    """n distinct records (each its own title: records that differ only by id are copies, counted once)."""
    return [{"id": f"{kind}-{i}", "title": f"{kind} {i}", **({"owner": "x"} if owner else {})} for i in range(n)]


def _att(criterion: str, outcome: str = "achieved", assessed: date = AS_OF, **extra: str) -> dict[str, Any]:
    return {
        "id": f"ATT-{criterion}",
        "criterion": criterion,
        "outcome": outcome,
        "assessor": "auditor",
        "assessed_on": assessed.isoformat(),
        "evidence_ref": "doc-1",
        **extra,
    }


def _card(
    counts: Mapping[str, tuple[str, Mapping[str, int]]],
    criteria: Mapping[str, Sequence[str]],
    records: Mapping[str, Sequence[Mapping[str, Any]]],
    config: ScorecardConfig | None = None,
    available: Mapping[str, int] | None = None,
    collected: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    data: ScorecardData = DATA,
    copies: Callable[[str, tuple[str, ...]], int] | None = None,
) -> Scorecard:
    """rule id -> (severity, {status: n}); rule id -> criteria; kind -> records (made into the facts the scorecard
    asks for, as a run makes them; copies counted from the records when asked, unless ``copies`` says)."""
    summary = Summary()
    rules = []
    for rule_id, (severity, by_status) in counts.items():
        area = rule_id.split("-")[0]
        for status, n in by_status.items():
            summary.add(Status(status), Severity(severity), area, n, rule_id=rule_id)
        kind = "supplier-contracts" if area == "COMM" else "it-assets"
        rules.append(ScoredRule(rule_id, area, f"{rule_id} title", (kind,), tuple(criteria.get(rule_id, ()))))
    asked = facts_asked(AREAS, rules, data)
    return compute_scorecard(
        summary,
        AREAS,
        rules,
        config or ScorecardConfig(),
        facts={kind: kind_facts(kind, recs, asked) for kind, recs in records.items()},
        copies=copies or (lambda kind, fields: count_copies(records[kind], fields, data.placeholders)),
        frameworks=FRAMEWORKS,
        as_of=AS_OF,
        data=data,
        available=available,
        collected=collected,
    )


def _row(card: Scorecard, area: str = "COMM") -> Any:
    return next(r for r in card.rows if r.area == area)


#: A clean, fully covered COMM: 100 of 100 contracts, every rule passing.
FULL = {"supplier-contracts": _records(100), "organisation": [_org(**{"supplier-contracts": 100})]}


# --- the roll-up -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "counts", "expected"),
    [
        ("high", {"pass": 99, "fail": 1}, CS.NOT_ACHIEVED),
        ("critical", {"pass": 99, "waived": 1}, CS.NOT_ACHIEVED),  # accepting a risk does not remove it
        ("medium", {"pass": 99, "fail": 1}, CS.PARTIALLY_ACHIEVED),
        ("low", {"baselined": 1}, CS.PARTIALLY_ACHIEVED),
        ("high", {"pass": 3}, CS.ACHIEVED),
        # a group or record it could not judge beside the passes: met for part of what it covers only
        ("medium", {"pass": 9, "skip": 1}, CS.PARTIALLY_ACHIEVED),
        ("high", {"pass": 9, "skip": 1, "fail": 1}, CS.NOT_ACHIEVED),
        ("high", {"pass": 3, "error": 1}, CS.NOT_ASSESSED),
        # records or groups in scope it could not judge, and nothing else: missing evidence, never no part
        ("high", {"skip": 2}, CS.NOT_ASSESSED),
        ("low", {"skip": 1}, CS.NOT_ASSESSED),
    ],
)
def test_a_rules_verdict(severity: str, counts: dict[str, int], expected: CS | None) -> None:
    summary = Summary()
    for status, n in counts.items():
        summary.add(Status(status), Severity(severity), "COMM", n, rule_id="COMM-001")
    assert rule_verdict("COMM-001", "COMM", summary.by_rule["COMM-001"], Severity.HIGH).status is expected
    # skipped whole (a kind it needs not given, nothing in its scope): it judged nothing, and is no part
    whole = rule_verdict("COMM-001", "COMM", summary.by_rule["COMM-001"], Severity.HIGH, ran=False)
    assert whole.status is (None if set(counts) == {"skip"} else expected)


def test_a_register_whose_records_a_rule_cannot_judge_does_not_leave_its_criterion_to_the_others() -> None:
    # Contracts given as OCDS releases (which cannot carry an owner): COMM-001 skipped every one, and, no part of
    # the criterion, left it achieved by the rules that passed (COMM level 5); given in a register with the owners
    # missing, COMM-001 fails them and the area is below expectations. Missing evidence counts as missing.
    criteria = {"COMM-001": ["caf-4.0:A4.a"], "COMM-002": ["caf-4.0:A4.a"]}
    skipped = {"COMM-001": ("high", {"skip": 100}), "COMM-002": ("medium", {"pass": 100})}
    card = _card(skipped, criteria, FULL)
    crit = {c.ref: c for c in card.criteria}["caf-4.0:A4.a"]
    assert crit.status is CS.NOT_ASSESSED
    assert [(r.rule_id, r.status, r.in_part()) for r in crit.rules] == [
        ("COMM-001", CS.NOT_ASSESSED, " (nothing judged: 100 skipped)"),
        ("COMM-002", CS.ACHIEVED, ""),
    ]
    assert _row(card).level < 5
    failing = {"COMM-001": ("high", {"fail": 100}), "COMM-002": ("medium", {"pass": 100})}
    assert _row(_card(failing, criteria, FULL)).level == 1
    # a rule the engine skipped whole (nothing in its scope) is still no part: the others decide
    rules = [ScoredRule(r, "COMM", r, ("supplier-contracts",), ("caf-4.0:A4.a",)) for r in ("COMM-001", "COMM-002")]
    summary = Summary()
    summary.add(Status.SKIP, Severity.HIGH, "COMM", 1, rule_id="COMM-001")
    summary.add(Status.PASS, Severity.MEDIUM, "COMM", 100, rule_id="COMM-002")
    asked = facts_asked(AREAS, rules, DATA)
    whole = compute_scorecard(
        summary,
        AREAS,
        rules,
        ScorecardConfig(),
        facts={kind: kind_facts(kind, recs, asked) for kind, recs in FULL.items()},
        copies=lambda kind, fields: count_copies(FULL[kind], fields, DATA.placeholders),
        frameworks=FRAMEWORKS,
        as_of=AS_OF,
        data=DATA,
        judged_nothing={"COMM-001"},
    )
    assert {c.ref: c for c in whole.criteria}["caf-4.0:A4.a"].status is CS.ACHIEVED


def test_not_achieved_at_is_the_boundary_severity() -> None:
    counts = {"severity": "medium", "pass": 5, "fail": 1}
    assert rule_verdict("C-1", "C", counts, Severity.MEDIUM).status is CS.NOT_ACHIEVED
    assert rule_verdict("C-1", "C", counts, Severity.HIGH).status is CS.PARTIALLY_ACHIEVED


def test_a_criterion_takes_its_worst_part() -> None:
    assert combine([CS.ACHIEVED, CS.NOT_ACHIEVED, CS.PARTIALLY_ACHIEVED]) is CS.NOT_ACHIEVED
    assert combine([CS.ACHIEVED, CS.NOT_ASSESSED, CS.PARTIALLY_ACHIEVED]) is CS.NOT_ASSESSED
    assert combine([CS.ACHIEVED, CS.PARTIALLY_ACHIEVED]) is CS.PARTIALLY_ACHIEVED
    assert combine([CS.ACHIEVED]) is CS.ACHIEVED
    assert combine([]) is CS.NOT_ASSESSED


def test_one_high_failure_makes_the_criterion_not_achieved_however_many_pass() -> None:
    card = _card(
        {"COMM-001": ("low", {"pass": 1000}), "COMM-002": ("high", {"pass": 999, "fail": 1})},
        {"COMM-001": ["caf-4.0:A4.a"], "COMM-002": ["caf-4.0:A4.a"]},
        FULL,
    )
    crit = {c.ref: c for c in card.criteria}["caf-4.0:A4.a"]
    assert crit.status is CS.NOT_ACHIEVED
    assert [r.rule_id for r in crit.rules] == ["COMM-001", "COMM-002"]
    row = _row(card)
    assert (row.level, row.name, row.basis) == (1, "below expectations", "1 of 1 criteria not achieved: caf-4.0:A4.a")


# --- levels --------------------------------------------------------------------------------------


def _statuses(achieved: int, partial: int = 0, assessed_not: int = 0, not_achieved: int = 0) -> list[CS]:
    return (
        [CS.ACHIEVED] * achieved
        + [CS.PARTIALLY_ACHIEVED] * partial
        + [CS.NOT_ASSESSED] * assessed_not
        + [CS.NOT_ACHIEVED] * not_achieved
    )


@pytest.mark.parametrize(
    ("statuses", "level"),
    [
        (_statuses(8), 5),
        (_statuses(7, 1), 4),  # 0.875
        (_statuses(6, 2), 4),  # 0.75: the boundary is inclusive
        (_statuses(5, 3), 3),  # 0.625
        (_statuses(4, 4), 3),  # 0.5: inclusive
        (_statuses(3, 5), 2),  # 0.375
        (_statuses(5, 0, 3), 3),  # not assessed counts against the share
        (_statuses(7, 0, 0, 1), 1),  # one not achieved outweighs seven achieved
        (_statuses(0, 8), 2),
    ],
)
def test_levels_from_criteria(statuses: list[CS], level: int) -> None:
    assert base_level(statuses, [0.5, 0.75])[0] == level


def test_level_shares_are_configurable_and_each_boundary_is_one_criterion() -> None:
    # 100 criteria: 60 achieved reaches 0.6 but not 0.61.
    statuses = _statuses(60, 40)
    assert base_level(statuses, [0.6, 0.9])[0] == 3
    assert base_level(statuses, [0.61, 0.9])[0] == 2
    assert base_level(_statuses(90, 10), [0.6, 0.9])[0] == 4
    assert base_level(_statuses(89, 11), [0.6, 0.9])[0] == 3


def test_a_clean_fully_covered_area_with_attested_manual_criteria_is_exemplary() -> None:
    records = {**FULL, "it-assets": _records(40, "it-assets")}
    records["organisation"] = [_org(**{"supplier-contracts": 100, "it-assets": 40})]
    records["attestations"] = [_att("capcheck-1:INFRA-M1")]
    card = _card(
        {"COMM-001": ("high", {"pass": 100}), "INFRA-001": ("high", {"pass": 40})},
        {"COMM-001": ["caf-4.0:A4.a"], "INFRA-001": ["caf-4.0:B4.d"]},
        records,
    )
    assert (_row(card).level, _row(card).name, _row(card).cap) == (5, "exemplary", None)
    infra = _row(card, "INFRA")
    assert infra.level == 5 and {c.ref for c in infra.criteria} == {"caf-4.0:B4.d", "capcheck-1:INFRA-M1"}
    assert card.profile_dict() == {"type": "trust", "met": True, "criteria": 3, "gaps": []}


# --- manual criteria and attestations --------------------------------------------------------------


def _infra(attestations: list[dict[str, Any]]) -> Any:
    records = {
        "it-assets": _records(40, "it-assets"),
        "organisation": [_org(**{"it-assets": 40})],
        "attestations": attestations,
    }
    criteria = {"INFRA-001": ["caf-4.0:B4.d", "ndg-2016:9", "tcop-2021-11:6"]}
    return _row(_card({"INFRA-001": ("high", {"pass": 40})}, criteria, records), "INFRA")


def test_an_unattested_manual_criterion_is_not_assessed_and_caps_the_area_at_3() -> None:
    row = _infra([])
    statuses = {c.ref: c.status for c in row.criteria}
    assert statuses["capcheck-1:INFRA-M1"] is CS.NOT_ASSESSED
    assert row.basis == "3 of 4 criteria achieved (75%), none not achieved"  # level 4 by the share ...
    assert row.level == 3  # ... held at 3
    assert row.cap == "manual criteria not assessed (no current attestation): capcheck-1:INFRA-M1"


def test_an_attested_not_achieved_manual_criterion_makes_level_1() -> None:
    assert _infra([_att("capcheck-1:INFRA-M1", "not-achieved")]).level == 1


@pytest.mark.parametrize(
    ("assessed", "expires", "counts"),
    [
        (AS_OF, None, True),  # assessed on the as-of day: counts
        (AS_OF + timedelta(days=1), None, False),  # dated after the as-of date
        (AS_OF - timedelta(days=365), None, True),  # a year after assessed_on: the last day it counts
        (AS_OF - timedelta(days=366), None, False),
        (AS_OF - timedelta(days=10), AS_OF.isoformat(), True),  # expires_on is the last day it counts
        (AS_OF - timedelta(days=10), (AS_OF - timedelta(days=1)).isoformat(), False),
        (AS_OF - timedelta(days=400), (AS_OF + timedelta(days=1)).isoformat(), False),  # at most a year counts
        (AS_OF - timedelta(days=365), "2999-12-31", True),  # a later expires_on is cut to a year after assessed_on
        (AS_OF - timedelta(days=366), "2999-12-31", False),
    ],
)
def test_attestation_expiry_boundaries(assessed: date, expires: str | None, counts: bool) -> None:
    extra = {"expires_on": expires} if expires else {}
    row = _infra([_att("capcheck-1:INFRA-M1", assessed=assessed, **extra)])
    assert (row.level == 5) is counts
    [att] = read_attestations([_att("x:y", assessed=assessed, **extra)], AS_OF, 365)
    assert (att.state == "current") is counts


def test_an_attestation_counts_for_at_most_attestation_days_and_a_later_expiry_is_noted() -> None:
    # An expires_on in 2999 would make one assessment, made years ago, count for ever.
    old = _att("capcheck-1:INFRA-M1", assessed=date(2019, 1, 1), expires_on="2999-12-31")
    records = {
        "it-assets": _records(40, "it-assets"),
        "organisation": [_org(**{"it-assets": 40})],
        "attestations": [old],
    }
    card = _card({"INFRA-001": ("high", {"pass": 40})}, {"INFRA-001": ["caf-4.0:B4.d"]}, records)
    assert _row(card, "INFRA").level == 3  # 5 with the attestation counting
    assert card.notes == (
        "attestation ATT-capcheck-1:INFRA-M1 expires on 2999-12-31, more than 365 days (attestation_days) after "
        "it was assessed on 2019-01-01: it counts until 2020-01-01",
    )
    [att] = read_attestations([old], AS_OF, 3660)  # the config may allow longer, up to ten years
    assert (att.state, att.last_day, att.cut_from) == (
        "current",
        date(2019, 1, 1) + timedelta(days=3660),
        date(2999, 12, 31),
    )
    [att] = read_attestations([_att("x:y", expires_on="2027-01-01")], AS_OF, 365)
    assert att.cut_from is None and att.last_day == date(2027, 1, 1)


def test_an_attestation_dated_at_the_end_of_the_calendar_is_from_the_future_not_a_crash() -> None:
    [att] = read_attestations([_att("x:y", assessed=date.max)], AS_OF, 365)
    assert (att.state, att.last_day) == ("future", date.max)
    row = _infra([_att("capcheck-1:INFRA-M1", assessed=date.max)])
    assert row.level != 5


@pytest.mark.parametrize(
    ("field", "value"),
    [("assessor", "TBC"), ("assessor", " unknown "), ("evidence_ref", "n/a"), ("evidence_ref", "\u0422\u0412\u0421")],
)
def test_an_attestation_by_nobody_or_on_no_evidence_does_not_count(field: str, value: str) -> None:
    # A placeholder as the assessor or the evidence relied on lifted a manual criterion (and its area, 3 to 5)
    # as a named assessment did: placeholders are missing for the scorecard as for the rules.
    att = _att("capcheck-1:INFRA-M1", **{field: value})
    records = {
        "it-assets": _records(40, "it-assets"),
        "organisation": [_org(**{"it-assets": 40})],
        "attestations": [att, {**_att("capcheck-1:INFRA-M1"), "id": "ATT-0", "assessed_on": "2020-01-01"}],
    }
    card = _card({"INFRA-001": ("high", {"pass": 40})}, {"INFRA-001": ["caf-4.0:B4.d"]}, records)
    row = _row(card, "INFRA")
    crit = {c.ref: c for c in row.criteria}["capcheck-1:INFRA-M1"]
    assert row.level == 3 and crit.status is CS.NOT_ASSESSED  # 5 with the attestation counting
    assert crit.attestation is None and [(a.id, a.state) for a in crit.ignored] == [
        ("ATT-0", "expired"),
        ("ATT-capcheck-1:INFRA-M1", "incomplete"),
    ]
    shown = json.dumps(value, ensure_ascii=False)
    assert card.notes == (f"attestation ATT-capcheck-1:INFRA-M1 does not count: `{field}` {shown} is a placeholder",)
    assert _infra([_att("capcheck-1:INFRA-M1", **{field: "TBC Smith"})]).level == 5  # a value holding the word


def test_the_latest_current_attestation_counts() -> None:
    older = {**_att("capcheck-1:INFRA-M1", "not-achieved", AS_OF - timedelta(days=30)), "id": "ATT-1"}
    newer = {**_att("capcheck-1:INFRA-M1", "achieved", AS_OF - timedelta(days=2)), "id": "ATT-2"}
    row = _infra([newer, older])
    crit = {c.ref: c for c in row.criteria}["capcheck-1:INFRA-M1"]
    assert crit.attestation is not None and crit.attestation.id == "ATT-2"
    assert [a.id for a in crit.ignored] == ["ATT-1"]


# --- sufficiency ----------------------------------------------------------------------------------


def test_without_a_profile_levels_are_capped_at_2_and_the_reason_given() -> None:
    card = _card(
        {"COMM-001": ("high", {"pass": 100})}, {"COMM-001": ["caf-4.0:A4.a"]}, {"supplier-contracts": _records(3)}
    )
    row = _row(card)
    assert (row.level, row.name) == (2, "basic")
    assert row.cap == "no organisation profile: coverage of the estate cannot be shown"


def test_more_than_one_organisation_record_caps_at_2() -> None:
    records = {**FULL, "organisation": [_org(**{"supplier-contracts": 100}), {**_org(), "id": "RX2"}]}
    row = _row(_card({"COMM-001": ("high", {"pass": 100})}, {"COMM-001": ["caf-4.0:A4.a"]}, records))
    assert row.level == 2 and row.cap == "2 organisation records (RX1, RX2): the profile must be one record"


@pytest.mark.parametrize(("usable", "status", "level"), [(50, "scored", 3), (49, "insufficient-evidence", None)])
def test_a_register_well_under_the_declared_estate_is_insufficient(usable: int, status: str, level: int | None) -> None:
    records = {"supplier-contracts": _records(usable), "organisation": [_org(**{"supplier-contracts": 100})]}
    row = _row(_card({"COMM-001": ("high", {"pass": usable})}, {"COMM-001": ["caf-4.0:A4.a"]}, records))
    assert (row.status, row.level) == (status, level)
    if level is None:
        assert row.basis == "supplier-contracts: 49 usable records of 100 declared (49%), below 50%"


@pytest.mark.parametrize(("usable", "level"), [(95, 5), (94, 3)])
def test_the_top_levels_need_full_coverage(usable: int, level: int) -> None:
    records = {"supplier-contracts": _records(usable), "organisation": [_org(**{"supplier-contracts": 100})]}
    row = _row(_card({"COMM-001": ("high", {"pass": usable})}, {"COMM-001": ["caf-4.0:A4.a"]}, records))
    assert row.level == level
    if level == 3:
        assert row.cap == "supplier-contracts: 94 usable records of 100 declared (94%); levels 4-5 need 95%"


@pytest.mark.parametrize(
    ("usable", "declared", "shown"),
    [(301, 317, "94.95%"), (95, 100, "95%"), (189, 200, "94.5%"), (9999, 10000, "99.99%"), (200, 300, "66.7%")],
)
def test_a_share_under_a_bar_is_never_shown_as_the_bar(usable: int, declared: int, shown: str) -> None:
    # "301 usable records of 317 declared (95%); levels 4-5 need 95%" read as a contradiction: 94.95% was rounded up.
    records = {"supplier-contracts": _records(usable), "organisation": [_org(**{"supplier-contracts": declared})]}
    config = ScorecardConfig(full_estate_coverage=1.0)
    row = _row(_card({"COMM-001": ("high", {"pass": usable})}, {"COMM-001": ["caf-4.0:A4.a"]}, records, config))
    assert (
        row.cap == f"supplier-contracts: {usable} usable records of {declared} declared ({shown}); levels 4-5 need 100%"
    )


def test_records_without_a_needed_field_do_not_count_towards_coverage() -> None:
    records = {
        "supplier-contracts": _records(60) + _records(40, "other", owner=False),
        "organisation": [_org(**{"supplier-contracts": 100})],
    }
    row = _row(_card({"COMM-001": ("high", {"pass": 100})}, {"COMM-001": ["caf-4.0:A4.a"]}, records))
    [cov] = row.coverage
    assert (cov.records, cov.usable, dict(cov.missing_fields)) == (100, 60, {"owner": 40})
    assert row.level == 3


def test_an_absent_register_or_an_undeclared_one() -> None:
    absent = _row(_card({"COMM-001": ("high", {"skip": 1})}, {}, {"organisation": [_org()]}))
    assert (
        absent.status == "insufficient-evidence" and "no supplier-contracts evidence was given" in absent.insufficient
    )
    undeclared = _row(
        _card({"COMM-001": ("high", {"pass": 40})}, {}, {"supplier-contracts": _records(40), "organisation": [_org()]})
    )
    assert undeclared.level == 2
    assert undeclared.cap == "supplier-contracts: no declared estate, so its coverage cannot be shown"


def test_too_few_rules_judging_is_insufficient() -> None:
    counts = {"COMM-001": ("high", {"pass": 100}), "COMM-002": ("high", {"skip": 1}), "COMM-003": ("low", {"skip": 1})}
    row = _row(_card(counts, {}, FULL))
    assert row.status == "insufficient-evidence"
    assert row.insufficient == ("1 of 3 rules judged any record, below 50%",)
    assert _row(_card(counts, {}, FULL, ScorecardConfig(min_coverage=0.3))).status == "scored"


def test_an_error_makes_the_area_incomplete() -> None:
    row = _row(_card({"COMM-001": ("low", {"pass": 5}), "COMM-002": ("low", {"error": 1})}, {}, FULL))
    assert (row.level, row.status) == (None, "incomplete")


# --- plausibility ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("declared", "flagged"), [(160, False), (159, True), (80000, False), (80001, True), (3, True)])
def test_declared_sizes_are_checked_against_the_bounds(declared: int, flagged: bool) -> None:
    # an 8,000-staff trust: it-assets 20 to 10,000 per 1,000 staff -> 160 to 80,000
    org = {**_org(**{"it-assets": declared}), "headcount": 8000}
    reading = read_organisation([org], DATA.bounds)
    assert bool(reading.flags) is flagged
    if declared == 3:
        assert reading.flags == (
            "implausible estate: 3 it-assets declared for a trust of 8000 staff (expected 160 to 80000: "
            "20-10000 per 1,000 staff)",
        )


def test_an_implausible_profile_caps_every_area_at_2() -> None:
    records = {**FULL, "it-assets": _records(3, "it-assets")}
    records["organisation"] = [{**_org(**{"supplier-contracts": 100, "it-assets": 3}), "headcount": 8000}]
    row = _row(_card({"COMM-001": ("high", {"pass": 100})}, {"COMM-001": ["caf-4.0:A4.a"]}, records))
    assert row.level == 2 and row.cap is not None and row.cap.startswith("implausible estate: 3 it-assets")


def test_config_bounds_override_the_bundled_ones() -> None:
    config = ScorecardConfig(plausibility={"trust": {"it-assets": Bound(min=0.1)}})
    org = {**_org(**{"it-assets": 3}), "headcount": 8000}
    assert read_organisation([org], config.bounds(DATA.bounds)).flags == ()


# --- the profile ----------------------------------------------------------------------------------


def test_criteria_below_the_profile_are_the_gaps() -> None:
    records = {"it-assets": _records(40, "it-assets"), "organisation": [_org(**{"it-assets": 40})]}
    card = _card(
        {"INFRA-001": ("medium", {"pass": 39, "fail": 1}), "INFRA-002": ("low", {"pass": 40})},
        {"INFRA-001": ["caf-4.0:B4.d"], "INFRA-002": ["ndg-2016:9"]},
        records,
    )
    profile = card.profile_dict()
    assert profile["met"] is False
    assert [(g["id"], g["expected"], g["status"]) for g in profile["gaps"]] == [
        ("caf-4.0:B4.d", "achieved", "partially-achieved"),
        ("capcheck-1:INFRA-M1", "partially-achieved", "not-assessed"),
    ]


def test_bundled_scorecard_data_names_real_areas_kinds_and_criteria(kinds: dict[str, Any]) -> None:
    data = bundled_scorecard_data()
    refs = {f"{fw.id}:{c.id}" for fw in FRAMEWORKS.values() for c in fw.criteria}
    from capcheck.builtins.areas import bundled_areas

    assert set(data.needs) == {a.id for a in bundled_areas()}
    for needs in data.needs.values():
        assert set(needs.kinds) <= set(kinds) and needs.manual and set(needs.manual) <= refs
        for kind, fields in needs.fields.items():
            assert kind in needs.kinds and set(fields) <= set(kinds[kind].schema["properties"])
    assert set(data.profiles) == set(data.bounds) == {"trust", "icb", "csu", "national-body", "supplier", "other"}
    for profile in data.profiles.values():
        assert set(profile.expect) <= refs
    for bounds in data.bounds.values():
        assert set(bounds) <= set(kinds)


# --- config and the gate --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"achieved_shares": [0.75, 0.5]},
        {"achieved_shares": [0.5]},
        {"min_level": {"COMM": 7}},
        {"plausibility": {"hospital": {}}},
        {"plausibility": {"trust": {"it-assets": {"min": 5, "max": 1}}}},
        {"weights": {"low": 1}},  # the old method's keys are gone, and unknown keys are errors
        {"min_estate_coverage": 1.5},
    ],
)
def test_bad_scorecard_config_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ScorecardConfig(**bad)


def test_the_gate_names_each_area_below_its_minimum() -> None:
    card = _card(
        {"COMM-001": ("high", {"pass": 1, "fail": 9}), "INFRA-001": ("low", {"skip": 1})},
        {},
        {**FULL, "it-assets": []},
    )
    assert gate_failures(card.rows, {"*": 2}) == [
        "COMM: level 1 (below expectations) is below the minimum level 2",
        "INFRA: insufficient evidence, so it cannot meet the minimum level 2",
    ]
    assert gate_failures(card.rows, {"COMM": 1}) == []


def test_an_area_the_gate_names_cannot_pass_it_with_all_its_rules_left_out() -> None:
    # --min-level CYBER=3 --ignore CYBER passed (an area with no selected rule was not gated), while ignoring one
    # of CYBER's rules failed it (incomplete). Without the gate naming it, a run of other areas gates only those.
    card = _card({"COMM-001": ("high", {"pass": 100})}, {"COMM-001": ["caf-4.0:A4.a"]}, FULL)
    assert _row(card, "INFRA").status == "no-rules"
    assert gate_failures(card.rows, {"INFRA": 3}) == [
        "INFRA: no selected rule belongs to it, so it cannot meet the minimum level 3"
    ]
    assert gate_failures(card.rows, {"*": 1}) == []
    assert gate_failures(card.rows, {"*": 1, "INFRA": 1}) == [
        "INFRA: no selected rule belongs to it, so it cannot meet the minimum level 1"
    ]


# --- end to end: gaming by omission -----------------------------------------------------------------

#: A realistic estate for a 6,000-staff trust (within every bundled plausibility bound).
REALISTIC = {
    "it-assets": 7000,
    "supplier-contracts": 450,
    "training-records": 60000,
    "workforce-plan": 180,
    "roles": 900,
    "service-catalogue": 120,
    "governance-register": 600,
    "data-products": 40,
    "data-sharing-agreements": 90,
    "delivery-portfolio": 25,
    "innovation-pipeline": 30,
    "skills-matrix": 150,
    "procurement-pipeline": 60,
    "security-incidents": 40,
    "dspt-assessments": 80,
}


def _gaming_run(run_cli: Any, evidence: Path, fmt: str) -> Any:
    return run_cli("check", str(evidence), "--as-of", "2026-11-25", "-f", fmt)


@pytest.mark.parametrize("profile", ["none", "realistic", "under-declared", "tiny-body", "small-supplier"])
def test_a_few_clean_records_per_register_never_rate_above_2(
    profile: str, run_cli: Any, copy_fixture: Callable[..., Path]
) -> None:
    """About 60 hand-picked clean records (2-5 per register): the old method rated 7 areas 5 of 5."""
    evidence = copy_fixture("evidence/gaming")
    if profile != "none":
        counts = {p.stem: len(json.loads(p.read_text())["records"]) for p in evidence.glob("*.json")}
        estate = REALISTIC if profile == "realistic" else counts
        org = {"id": "RX1", "name": "Gaming Trust", "type": "trust", "headcount": 6000, "estate": estate}
        if profile == "tiny-body":  # declares a body small enough for its handful of records to be the estate
            org.update(type="national-body", headcount=20)
        elif profile == "small-supplier":  # a plausible small body: only the sample size stops it
            org.update(type="supplier", headcount=20)
        (evidence / "organisation.json").write_text(json.dumps({"kind": "organisation", "records": [org]}))
    result = _gaming_run(run_cli, evidence, "json")
    assert result.exit_code == 0, result.stderr  # no failures at all: only the scorecard tells
    doc = json.loads(result.stdout)
    rows = doc["scorecard"]
    assert len(rows) == 11
    assert all(r["level"] is None or r["level"] <= 2 for r in rows), [(r["area"], r["level"]) for r in rows]
    assert sum(r["failed"] for r in rows) == 0 and sum(r["passed"] for r in rows) > 50
    text = _gaming_run(run_cli, evidence, "text").stdout
    if profile == "none":
        assert "Organisation: no organisation profile: coverage of the estate cannot be shown" in text
        assert all(r["level"] == 2 or r["status"] == "insufficient-evidence" for r in rows)
    elif profile == "realistic":
        assert all(r["status"] == "insufficient-evidence" for r in rows)
        assert "it-assets: 5 usable records of 7000 declared (0.1%), below 50%" in text
        assert doc["organisation"]["flags"] == []
    elif profile == "under-declared":
        assert "Organisation: implausible estate: 5 it-assets declared for a trust of 6000 staff" in text
        assert any(r["level"] == 2 for r in rows)
    elif profile == "tiny-body":
        assert "implausible headcount: 20 staff for a national-body (expected 25 or more)" in text
        assert any(r["level"] == 2 for r in rows)
    else:
        assert doc["organisation"]["flags"] == []
        assert "only 5 usable records in governance-register: levels above 2 need at least 30" in text
        assert any(r["level"] == 2 for r in rows)


@pytest.mark.parametrize(("available", "level"), [(None, 5), (1, 5), (2, None)])
def test_an_area_judged_on_only_some_of_its_rules_has_no_level(available: int | None, level: int | None) -> None:
    """Deselecting the rules that fail (--select/--ignore) must not raise an area's level."""
    counts = {"COMM-001": ("high", {"pass": 100})}
    card = _card(
        counts, {"COMM-001": ["caf-4.0:A4.a"]}, FULL, available=None if available is None else {"COMM": available}
    )
    row = _row(card)
    assert row.level == level
    assert (row.status, row.basis.startswith("1 of 2 rules of the area not selected (--select/--ignore)")) == (
        ("scored", False) if level else ("incomplete", True)
    )
    assert gate_failures([row], {"*": 1}) == (
        [] if level else ["COMM: incomplete, so it cannot meet the minimum level 1"]
    )


def test_deselecting_the_failing_rule_of_a_level_1_area_does_not_lift_it() -> None:
    # A cap at 2 let `--ignore COMM-002` turn "below expectations" into "basic": the rule left out did not run.
    both = {"COMM-001": ("high", {"pass": 100}), "COMM-002": ("high", {"pass": 99, "fail": 1})}
    criteria = {"COMM-001": ["caf-4.0:A4.a"], "COMM-002": ["caf-4.0:A2.a"]}
    assert _row(_card(both, criteria, FULL, available={"COMM": 2})).level == 1
    row = _row(_card({"COMM-001": both["COMM-001"]}, criteria, FULL, available={"COMM": 2}))
    assert (row.level, row.status, row.name) == (None, "incomplete", "incomplete")


def test_a_partial_selection_of_an_area_without_enough_evidence_says_both() -> None:
    records = {"supplier-contracts": _records(3), "organisation": [_org(**{"supplier-contracts": 100})]}
    row = _row(_card({"COMM-001": ("high", {"pass": 3})}, {}, records, available={"COMM": 3}))
    assert (row.status, row.level) == ("incomplete", None)
    assert row.basis.startswith("2 of 3 rules of the area not selected")
    assert row.basis.endswith("; supplier-contracts: 3 usable records of 100 declared (3%), below 50%")


@pytest.mark.parametrize(("usable", "level"), [(29, 2), (30, 5)])
def test_levels_above_2_need_a_minimum_sample_of_records(usable: int, level: int) -> None:
    records = {"supplier-contracts": _records(usable), "organisation": [_org(**{"supplier-contracts": usable})]}
    row = _row(_card({"COMM-001": ("high", {"pass": usable})}, {"COMM-001": ["caf-4.0:A4.a"]}, records))
    assert row.level == level
    assert (row.cap is not None and "levels above 2 need at least 30" in row.cap) is (level == 2)


@pytest.mark.parametrize(
    ("days_before", "level"), [(0, 5), (365, 5), (366, 2), (-1, 2)], ids=["same-day", "365", "366", "after"]
)
def test_a_register_collected_long_before_the_as_of_date_or_after_it_caps_at_2(days_before: int, level: int) -> None:
    # Evidence exported years ago (or dated after the day it is judged as of) cannot show today's estate:
    # clean and complete as it is, it must not rate above basic.
    day = (AS_OF - timedelta(days=days_before)).isoformat()
    collected = {"supplier-contracts": [("old.json", day)], "it-assets": [("assets.json", "2001-01-01")]}
    row = _row(_card({"COMM-001": ("high", {"pass": 100})}, {"COMM-001": ["caf-4.0:A4.a"]}, FULL, collected=collected))
    assert row.level == level
    if days_before > 0 and level == 2:
        assert row.cap == (
            f"supplier-contracts: old.json was collected on {day}, 366 days before the as-of date; "
            "levels above 2 need evidence collected within 365 days"
        )
    elif level == 2:
        assert row.cap == (
            f"supplier-contracts: old.json was collected on {day}, after the as-of date 2026-11-25: "
            "it cannot show the estate as it was then"
        )
    else:
        assert row.cap is None and row.caps == ()  # another kind's old file (it-assets) is not COMM's


@pytest.mark.parametrize(
    ("copies", "level", "cap"),
    [
        (0, 5, None),
        (5, 5, None),  # 95 distinct of 100: still full coverage
        (
            6,
            3,
            "supplier-contracts: 6 of 100 usable records repeat another in every field but the id, "
            "leaving 94 distinct of 100 declared (94%); levels 4-5 need 95%",
        ),
        (
            60,
            2,
            "supplier-contracts: 60 of 100 usable records repeat another in every field but the id, "
            "leaving 40 distinct of 100 declared (40%): coverage cannot be shown",
        ),
    ],
)
def test_records_that_repeat_another_but_for_the_id_are_counted_once(copies: int, level: int, cap: str | None) -> None:
    # Padding a register with copies under new ids makes it look complete without covering more of the estate.
    records = _records(100 - copies)
    records += [{**records[0], "id": f"copy-{i}"} for i in range(copies)]
    row = _row(
        _card(
            {"COMM-001": ("high", {"pass": 100})},
            {"COMM-001": ["caf-4.0:A4.a"]},
            {**FULL, "supplier-contracts": records},
        )
    )
    assert (row.level, row.cap) == (level, cap)


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.upper(),  # case
        lambda t: f"  {t} ",  # spaces at either end
        lambda t: t.replace(" ", "   "),  # runs of spaces
        lambda t: t + "\n",  # a trailing line break
        lambda t: t.replace("s", "\uff53", 1),  # a full-width letter
        lambda t: t.replace("c", "\u00e7", 1),  # an accent
        lambda t: t.replace("p", "\u0440").replace("o", "\u043e"),  # Cyrillic look-alikes
        lambda t: t.upper().replace("O", "\u039f"),  # a Greek capital omicron
        lambda t: t.replace(" ", " \u200b", 1),  # a zero width space
        lambda t: t.replace("t", "\u00adt", 1),  # a soft hyphen
        lambda t: "\u200e" + t + "\u2060",  # a direction mark, a word joiner
        lambda t: t + "\U000e0041\ufe0f",  # a tag character, a variation selector
    ],
    ids=[
        "case",
        "ends",
        "runs",
        "newline",
        "full-width",
        "accent",
        "cyrillic",
        "greek",
        "zwsp",
        "shy",
        "marks",
        "tags",
    ],
)
def test_copies_changed_only_in_case_spacing_or_letter_forms_are_still_copies(change: Callable[[str], str]) -> None:
    # Each copy changed a little differently made 60 copies of one record 60 distinct ones: level 5, not 2.
    records = _records(40)
    variants = [change, str.lower, str.title, lambda t: t + " ", lambda t: " " + t.upper()]
    records += [{**records[0], "id": f"copy-{i}", "title": variants[i % 5](records[0]["title"])} for i in range(60)]
    row = _row(
        _card(
            {"COMM-001": ("high", {"pass": 100})},
            {"COMM-001": ["caf-4.0:A4.a"]},
            {**FULL, "supplier-contracts": records},
        )
    )
    assert row.level == 2
    assert row.cap == (
        "supplier-contracts: 60 of 100 usable records repeat another in every field but the id, "
        "leaving 40 distinct of 100 declared (40%): coverage cannot be shown"
    )


def test_records_that_differ_in_a_word_or_a_value_are_not_copies() -> None:
    records = _records(40)
    records += [{**records[0], "id": "other-1", "title": records[0]["title"] + " 2"}]
    records += [{**records[0], "id": "other-2", "title": records[0]["title"].replace(" ", "")}]
    records += [{**records[0], "id": "other-3", "value": 1}]
    assert count_copies(records, ("owner",)) == 0


def test_copies_that_leave_too_few_distinct_records_cap_at_2() -> None:
    records = _records(20) + [{**_records(1)[0], "id": f"copy-{i}"} for i in range(20)]
    data = {"supplier-contracts": records, "organisation": [_org(**{"supplier-contracts": 40})]}
    row = _row(_card({"COMM-001": ("high", {"pass": 40})}, {"COMM-001": ["caf-4.0:A4.a"]}, data))
    assert row.level == 2
    assert row.cap is not None and row.cap.startswith("only 20 distinct usable records in supplier-contracts")


def test_copies_are_not_counted_when_the_level_is_2_or_less() -> None:
    # Counting copies walks every record: a level already at 2 or below does not pay for it.
    walked: list[tuple[str, tuple[str, ...]]] = []

    def counting(kind: str, fields: tuple[str, ...]) -> int:
        walked.append((kind, fields))
        return 0

    data = {"supplier-contracts": _records(40), "organisation": [_org(**{"supplier-contracts": 40})]}
    failing = _card(
        {"COMM-001": ("high", {"pass": 39, "fail": 1})}, {"COMM-001": ["caf-4.0:A4.a"]}, data, copies=counting
    )
    assert _row(failing).level == 1 and walked == []
    _card({"COMM-001": ("high", {"pass": 40})}, {"COMM-001": ["caf-4.0:A4.a"]}, data, copies=counting)
    assert walked == [("supplier-contracts", ("owner",))]


def test_an_old_organisation_profile_caps_every_area_at_2() -> None:
    # The declared estate is what every register's coverage is measured against: one declared years ago
    # (a smaller organisation, perhaps) cannot show today's coverage.
    collected = {"organisation": [("organisation.yaml", "2020-01-01")]}
    records = {**FULL, "it-assets": _records(40, "it-assets")}
    records["organisation"] = [_org(**{"supplier-contracts": 100, "it-assets": 40})]
    records["attestations"] = [_att("capcheck-1:INFRA-M1")]
    counts = {"COMM-001": ("high", {"pass": 100}), "INFRA-001": ("high", {"pass": 40})}
    card = _card(counts, {"COMM-001": ["caf-4.0:A4.a"], "INFRA-001": ["caf-4.0:B4.d"]}, records, collected=collected)
    for area in ("COMM", "INFRA"):
        assert _row(card, area).level == 2
        assert _row(card, area).cap == (
            "organisation: organisation.yaml was collected on 2020-01-01, 2520 days before the as-of date; "
            "levels above 2 need evidence collected within 365 days"
        )


def test_the_evidence_age_limit_is_configurable() -> None:
    collected = {"supplier-contracts": [("old.json", (AS_OF - timedelta(days=700)).isoformat())]}
    counts = {"COMM-001": ("high", {"pass": 100})}
    config = ScorecardConfig(max_evidence_age_days=730)
    assert _row(_card(counts, {"COMM-001": ["caf-4.0:A4.a"]}, FULL, config, collected=collected)).level == 5
    assert _row(_card(counts, {"COMM-001": ["caf-4.0:A4.a"]}, FULL, collected=collected)).level == 2


def test_the_minimum_sample_is_configurable() -> None:
    records = {"supplier-contracts": _records(10), "organisation": [_org(**{"supplier-contracts": 10})]}
    counts = {"COMM-001": ("high", {"pass": 10})}
    assert _row(_card(counts, {"COMM-001": ["caf-4.0:A4.a"]}, records, ScorecardConfig(min_records=10))).level == 5


@pytest.mark.parametrize(
    ("org_type", "headcount", "flagged"),
    [
        ("national-body", 24, True),
        ("national-body", 25, False),
        ("trust", 299, True),
        ("trust", 300, False),
        ("supplier", 1, False),
    ],
)
def test_the_headcount_is_checked_against_the_bodys_type(org_type: str, headcount: int, flagged: bool) -> None:
    data = bundled_scorecard_data()
    org = {"id": "X", "name": "X", "type": org_type, "headcount": headcount, "estate": {}}
    flags = read_organisation([org], {}, headcounts=data.headcounts).flags
    assert any(f.startswith("implausible headcount") for f in flags) is flagged, flags


def test_each_rules_judged_population_is_shown_against_the_declared_estate() -> None:
    records = {"supplier-contracts": _records(100), "organisation": [_org(**{"supplier-contracts": 400})]}
    row = _row(_card({"COMM-001": ("high", {"pass": 30, "fail": 10})}, {}, records))
    assert row.as_dict()["judged"] == [
        {"rule": "COMM-001", "kind": "supplier-contracts", "judged": 40, "declared": 400, "share": 0.1}
    ]
    assert row.status == "insufficient-evidence"  # the register: 100 of 400


@pytest.mark.parametrize(("declared", "noted"), [(0, True), (99, True), (100, False), (500, False)])
def test_a_register_larger_than_its_declared_estate_is_noted(declared: int, noted: bool) -> None:
    # Declaring 0 contracts while giving 100 made the register "100% covered" with nothing said.
    records = {**FULL, "organisation": [_org(**{"supplier-contracts": declared})]}
    card = _card({"COMM-001": ("high", {"pass": 100})}, {"COMM-001": ["caf-4.0:A4.a"]}, records)
    note = (
        f"supplier-contracts: 100 records given, more than the {declared} the organisation profile declares: "
        "the declared estate understates the register"
    )
    assert card.notes == ((note,) if noted else ())


def test_an_estate_naming_no_kind_is_flagged() -> None:
    org = _org(**{"it-asset": 500})
    assert read_organisation([org], {}, kinds={"it-assets"}).flags == (
        "the estate declares 'it-asset', which is not an evidence kind (see 'capcheck kinds')",
    )
    assert read_organisation([org], {}).flags == ()  # kinds unknown: not checked


def test_an_attestation_for_an_unknown_criterion_is_noted() -> None:
    records = {**FULL, "attestations": [_att("caf:Z9.z")]}
    card = _card({"COMM-001": ("high", {"pass": 100})}, {"COMM-001": ["caf-4.0:A4.a"]}, records)
    assert card.notes == ("attestation ATT-caf:Z9.z names 'caf:Z9.z', which no framework defines",)
    assert {c.ref: c.status for c in card.criteria}["caf:Z9.z"] is CS.ACHIEVED  # still listed, with its outcome


def test_the_gate_and_the_scorecard_through_the_cli(run_cli: Any, copy_fixture: Callable[..., Path]) -> None:
    evidence = copy_fixture("evidence/gaming")
    args = ["check", str(evidence), "--as-of", "2026-11-25"]
    assert run_cli(*args, "--min-level", "COMM=2").exit_code == 0
    gated = run_cli(*args, "--min-level", "COMM=3")
    assert gated.exit_code == 1
    assert "Gate: COMM: level 2 (basic) is below the minimum level 3" in gated.stdout
    insufficient = run_cli(*args, "--min-level", "2")
    assert insufficient.exit_code == 1
    assert "Gate: ROLE: insufficient evidence, so it cannot meet the minimum level 2" in insufficient.stdout
    bad = run_cli(*args, "--min-level", "COMM=9")
    assert bad.exit_code == 2 and "--min-level takes N or AREA=N" in bad.stderr
    unknown = run_cli(*args, "--min-level", "NOPE=2")
    assert unknown.exit_code == 2 and "unknown area 'NOPE'" in unknown.stderr


@pytest.mark.parametrize(("collected_on", "capped"), [("2019-01-01", True), ("2026-11-20", False)])
def test_an_old_export_caps_the_areas_reading_it_through_the_cli(
    run_cli: Any, workdir: Path, collected_on: str, capped: bool
) -> None:
    (workdir / "ev").mkdir()
    assets = [
        {"id": f"A-{i}", "name": f"srv-{i}", "product": "postgresql", "version": "17", "environment": "production",
         "criticality": "high", "status": "in-service", "end_of_life": "2030-11-08", "internet_facing": False,
         "owner": "head-of-infrastructure", "deployment": "automated"}
        for i in range(40)
    ]  # fmt: skip
    document = {"kind": "it-assets", "collected_on": collected_on, "records": assets}
    (workdir / "ev" / "it-assets.json").write_text(json.dumps(document))
    org = {"kind": "organisation", "records": [_org(**{"it-assets": 40}) | {"type": "supplier"}]}
    (workdir / "ev" / "organisation.json").write_text(json.dumps(org))
    result = run_cli("check", "ev", "--as-of", "2026-11-25", "--select", "INFRA", "-f", "json")
    [row] = [r for r in json.loads(result.stdout)["scorecard"] if r["area"] == "INFRA"]
    assert row["status"] == "scored"
    reason = (
        "it-assets: ev/it-assets.json was collected on 2019-01-01, 2885 days before the as-of date; "
        "levels above 2 need evidence collected within 365 days"
    )
    assert ({"level": 2, "reason": reason} in row["caps"]) is capped
    assert (row["level"] <= 2) if capped else (row["level"] > 2)


def test_the_old_methods_config_keys_are_errors(run_cli: Any, copy_fixture: Callable[..., Path], workdir: Path) -> None:
    evidence = copy_fixture("evidence/gaming")
    (workdir / "capcheck.toml").write_text("[scorecard]\nthresholds = [0.5, 0.7, 0.85, 0.95]\n")
    result = run_cli("check", str(evidence), "--as-of", "2026-11-25")
    assert result.exit_code == 2
    assert "capcheck.toml" in result.stderr and "/scorecard/thresholds" in result.stderr


def test_the_findings_document_shows_a_loosened_method_and_the_selection(
    run_cli: Any, copy_fixture: Callable[..., Path], workdir: Path
) -> None:
    """An auditor reading the JSON must see that the method was loosened or rules left out, not only the levels."""
    evidence = copy_fixture("evidence/gaming")
    (workdir / "capcheck.toml").write_text('ignore = ["INFRA-002"]\n[scorecard]\nnot_achieved_at = "critical"\n')
    result = run_cli("check", str(evidence), "--as-of", "2026-11-25", "-f", "json", "--ignore", "COMM-001")
    settings = json.loads(result.stdout)["settings"]
    assert settings["ignore"] == ["INFRA-002", "COMM-001"] and settings["select"] == []
    assert settings["scorecard"]["not_achieved_at"] == "critical"
    assert settings["scorecard"]["min_records"] == ScorecardConfig().min_records


def test_the_findings_document_shows_the_severities_and_options_the_config_changed(
    run_cli: Any, copy_fixture: Callable[..., Path], workdir: Path
) -> None:
    """A critical rule made 'info', or a 14-day patch window made ten years, can lift a level 1 area to 5: the
    document must say so, and must not list the pack's defaults as the values the rules ran with."""
    evidence = copy_fixture("evidence/gaming")
    (workdir / "capcheck.toml").write_text('[severity]\n"INFRA-001" = "info"\n[options.INFRA-004]\nmax_days = 3650\n')
    result = run_cli("check", str(evidence), "--as-of", "2026-11-25", "-f", "json", "--select", "INFRA")
    doc = json.loads(result.stdout)
    assert doc["settings"]["severity"] == {"INFRA-001": "info"}
    assert doc["settings"]["options"] == {"INFRA-004": {"max_days": 3650}}
    rules = {r["id"]: r for r in doc["rules"]}
    assert rules["INFRA-004"]["options"] == {"max_days": 3650, "exempt_hosting": ["saas"]}  # what it ran with
    assert rules["INFRA-001"]["severity"] == "info"
    (workdir / "plain.toml").write_text("")
    args = (
        "check",
        str(evidence),
        "--as-of",
        "2026-11-25",
        "-f",
        "json",
        "--select",
        "INFRA",
        "--config",
        "plain.toml",
    )
    plain = json.loads(run_cli(*args).stdout)
    assert (plain["settings"]["severity"], plain["settings"]["options"]) == ({}, {})
    assert {r["id"]: r for r in plain["rules"]}["INFRA-004"]["options"]["max_days"] == 14


def test_the_scorecard_says_which_config_changes_its_areas_were_judged_with(
    run_cli: Any, copy_fixture: Callable[..., Path], workdir: Path
) -> None:
    """Lowered severities, changed options and a looser method can each lift a level: the scorecard itself (text and
    JSON) says which, beside the levels, not only the settings block an auditor may not connect with them."""
    evidence = copy_fixture("evidence/gaming")
    (workdir / "capcheck.toml").write_text(
        '[severity]\n"INFRA-001" = "info"\n"INFRA-002" = "critical"\n'  # lowered (said), raised (stricter: not said)
        "[options.INFRA-004]\nmax_days = 3650\nexempt_hosting = ['saas']\n"  # changed (said), its default (not said)
        '[scorecard]\nnot_achieved_at = "critical"\nmin_records = 0\nmax_evidence_age_days = 30\n'
    )
    infra = (
        "INFRA is judged with the config's changes to its rules: INFRA-001 ran at info (its own severity: high); "
        "INFRA-004 with max_days = 3650 (its default: 14)"
    )
    method = (
        "the scorecard method is the config's, looser than capcheck's defaults: min_records = 0 (default 30); "
        "not_achieved_at = critical (default high)"
    )
    doc = json.loads(run_cli("check", str(evidence), "--as-of", "2026-11-25", "-f", "json").stdout)
    assert [n for n in doc["organisation"]["notes"] if "config" in n] == [infra, method]
    text = run_cli("check", str(evidence), "--as-of", "2026-11-25").stdout
    assert f"  Note: {infra}\n" in text and f"  Note: {method}\n" in text
    (workdir / "capcheck.toml").write_text('[severity]\n"INFRA-001" = "critical"\n[scorecard]\nmin_records = 40\n')
    doc = json.loads(run_cli("check", str(evidence), "--as-of", "2026-11-25", "-f", "json").stdout)
    assert [n for n in doc["organisation"]["notes"] if "config" in n] == []  # stricter: nothing to say


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ({}, []),
        ({"min_coverage": 0.4}, ["min_coverage = 0.4 (default 0.5)"]),
        ({"min_coverage": 0.6, "full_estate_coverage": 0.99, "attestation_days": 90}, []),
        ({"min_estate_coverage": 0.1}, ["min_estate_coverage = 0.1 (default 0.5)"]),
        ({"full_estate_coverage": 0.5}, ["full_estate_coverage = 0.5 (default 0.95)"]),
        ({"achieved_shares": [0.5, 0.6]}, ["achieved_shares = [0.5, 0.6] (default [0.5, 0.75])"]),
        ({"not_achieved_at": "medium"}, []),
        ({"attestation_days": 366}, ["attestation_days = 366 (default 365)"]),
        ({"max_evidence_age_days": 3000}, ["max_evidence_age_days = 3000 (default 365)"]),
        ({"plausibility": {"trust": {"it-assets": {"min": 50, "max": 5000}}}}, []),  # narrower than 20-10000
        (
            {"plausibility": {"trust": {"it-assets": {"min": 1}}}},
            ["plausibility.trust.it-assets = 1- per 1,000 staff (bundled: 20-10000)"],
        ),
        ({"plausibility": {"other": {"roles": {"min": 0}}}}, []),  # a bound where there was none: a check more
        (
            {"plausibility": {"trust": {"it-assets": {"min": 20, "max": 20000}}}},
            ["plausibility.trust.it-assets = 20-20000 per 1,000 staff (bundled: 20-10000)"],
        ),
        (
            {"profiles": {"trust": {"default": "partially-achieved"}}},
            ["profiles.trust expects partially-achieved where the bundled profile expects achieved: caf-4.0:B4.d"],
        ),
        ({"profiles": {"trust": {"expect": {"caf-4.0:B4.d": "achieved", "caf-4.0:A1.a": "achieved"}}}}, []),  # more
        ({"profiles": {"icb": {"default": "partially-achieved"}}}, []),  # not the organisation's type
    ],
)
def test_a_method_looser_than_the_defaults_is_said_key_by_key(table: dict[str, Any], said: list[str]) -> None:
    assert list(method_loosened(ScorecardConfig(**table), DATA, "trust")) == said


_OWN_RULE = """
[[rule]]
id = "ngh.CULT-10{n}"
title = "Skills have an id ({n})"
area = "CULT"
severity = "low"
version = "1.0.0"
kind = "skills-matrix"
description = "Every skill has an id."
rationale = "Our own check."
remediation = "Give it an id."
references = []
{criteria}
message = "skill {{id}}"
require = {{ field = "id", missing = false }}
"""


def test_criteria_only_the_organisations_own_rules_judge_are_named(
    run_cli: Any, copy_fixture: Callable[..., Path], workdir: Path
) -> None:
    """Rules that ask nothing (each requires an id) lift an area's share of criteria achieved when each stands for a
    criterion of its own, or names one the pack's rules do not: the scorecard names those criteria and the file."""
    evidence = copy_fixture("evidence/gaming")
    (workdir / "ours").mkdir()
    (workdir / "ours" / "cult.toml").write_text(
        _OWN_RULE.format(n=1, criteria="")  # a criterion of its own: rule:ngh.CULT-101
        + _OWN_RULE.format(n=2, criteria='criteria = ["caf-4.0:A1.a"]')  # one no CULT rule of the pack names
        + _OWN_RULE.format(n=3, criteria='criteria = ["govs-topics-1:005-workforce"]')  # one the pack judges too
    )
    args = ("check", str(evidence), "--as-of", "2026-11-25", "--rules", "ours")
    doc = json.loads(run_cli(*args, "-f", "json").stdout)
    note = (
        "CULT counts 2 criteria that only rules from outside capcheck's pack judge: caf-4.0:A1.a, rule:ngh.CULT-101 "
        f"(from the rule file {Path('ours', 'cult.toml')})"
    )
    assert [n for n in doc["organisation"]["notes"] if "outside" in n] == [note]
    assert f"  Note: {note}\n" in run_cli(*args).stdout
    plain = json.loads(run_cli("check", str(evidence), "--as-of", "2026-11-25", "-f", "json").stdout)
    assert [n for n in plain["organisation"]["notes"] if "outside" in n] == []


def test_the_bundled_example_has_a_profile_attestations_and_a_schema_valid_scorecard(run_cli: Any) -> None:
    import jsonschema

    from capcheck.core.resources import schema_path

    example = Path(__file__).parents[1] / "examples" / "northgate-health-digital" / "evidence"
    args = ["check", str(example), "--as-of", "2026-11-25", "--fail-on", "never", "-f", "json"]
    out = run_cli(*args).stdout
    doc = json.loads(out)
    schema = json.loads(schema_path("findings").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)
    assert doc["schema_version"] == "2.2"
    assert doc["organisation"]["type"] == "national-body" and doc["organisation"]["flags"] == []
    rows = {r["area"]: r for r in doc["scorecard"]}
    infra = {c["kind"]: c for c in rows["INFRA"]["coverage"]}["it-assets"]
    assert infra["declared"] == 500 and infra["records"] == 476  # the CMDB misses some of the scanned estate
    assert any(cap["level"] == 3 and cap["reason"].startswith("it-assets: ") for cap in rows["INFRA"]["caps"])
    criteria = {c["id"]: c for c in doc["criteria"]}
    assert criteria["capcheck-1:CYBER-M1"]["attestation"]["id"] == "ATT-002"
    assert [a["state"] for a in criteria["capcheck-1:ROLE-M1"]["ignored_attestations"]] == ["expired"]
    assert doc["profile"]["type"] == "national-body" and doc["profile"]["gaps"]
    again = json.loads(run_cli(*args).stdout)
    assert {k: v for k, v in again.items() if k != "run"} == {k: v for k, v in doc.items() if k != "run"}


HOSTILE = "<img src=x onerror=alert(1)>|*x*\x1b[2J"


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_reporters_show_criteria_profile_and_gaps_and_neutralise_evidence(
    fmt: str, run_cli: Any, copy_fixture: Callable[..., Path]
) -> None:
    evidence = copy_fixture("evidence/gaming")
    org = {"id": "RX1", "name": "Gaming Trust", "type": "trust", "headcount": 6000, "estate": REALISTIC}
    att = {**_att("capcheck-1:WORK-M1", "partially-achieved", date(2026, 10, 1)), "id": HOSTILE}
    (evidence / "organisation.json").write_text(json.dumps({"kind": "organisation", "records": [org]}))
    (evidence / "attestations.json").write_text(json.dumps({"kind": "attestations", "records": [att]}))
    show = ["--show", "criteria"] if fmt == "text" else []  # the text report's criteria view is asked for
    out = run_cli("check", str(evidence), "--as-of", "2026-11-25", "-f", fmt, *show).stdout
    assert "\x1b[2J" not in out
    assert fmt == "text" or "<img" not in out
    if fmt == "text":
        assert "Profile (trust): not met" in out and "capcheck-1:WORK-M1" in out and "until 2027-10-01" in out
    elif fmt == "markdown":
        assert "**Profile (trust):** not met" in out and "<details><summary>Criteria (" in out
        assert "| caf-4.0:A1.a | Board Direction | achieved | not-assessed | GOV |" in out
    else:
        assert 'id="criteria-table"' in out and 'id="gaps-table"' in out
        assert "&lt;img src=x" in out


def test_min_coverage_is_inclusive() -> None:
    counts = {"COMM-001": ("high", {"pass": 100}), "COMM-002": ("high", {"skip": 1})}  # 1 of 2 rules: 50%
    assert _row(_card(counts, {}, FULL)).status == "scored"
    assert _row(_card(counts, {}, FULL, ScorecardConfig(min_coverage=0.51))).status == "insufficient-evidence"


def _coverage(
    records: Sequence[Mapping[str, Any]], fields: tuple[str, ...], declared: int | None, held: Any = ()
) -> Any:
    asked = FactsAsked({"k": KindAsk((fields,))}, frozenset(held))
    return kind_coverage("k", kind_facts("k", records, asked), fields, declared)


def test_a_field_is_missing_when_absent_null_or_empty_but_false_and_0_are_values() -> None:
    records = [
        {"id": "a", "f": False},
        {"id": "b", "f": 0},
        {"id": "c", "f": "x"},
        {"id": "d", "f": None},
        {"id": "e", "f": ""},
        {"id": "g", "f": []},
        {"id": "h"},
    ]
    cov = _coverage(records, ("f",), 10)
    assert (cov.records, cov.usable, dict(cov.missing_fields), cov.share) == (7, 3, {"f": 4}, 0.3)
    both = _coverage([{"id": "a"}, {"id": "b", "f": 1}, {"id": "c", "g": 1}], ("f", "g"), None)
    assert (both.usable, dict(both.missing_fields), both.share) == (0, {"f": 2, "g": 2}, None)


@pytest.mark.parametrize(
    ("owner", "usable"),
    [
        *[("TBC", False), (" tbc ", False), ("N/A", False), ("-", False), ("Unknown", False)],
        ("To be confirmed", False),
        *[("head-of-infrastructure", True), ("tbc-team", True), ("Tbc Consulting Ltd", True), ("x" * 17, True)],
    ],
)
def test_a_placeholder_in_a_needed_field_makes_the_record_unusable(owner: str, usable: bool) -> None:
    placeholders = bundled_scorecard_data().placeholders
    cov = _coverage([{"id": "a", "owner": owner}], ("owner",), 1, placeholders)
    assert (cov.usable, dict(cov.missing_fields)) == ((1, {}) if usable else (0, {"owner": 1}))


def test_filling_blank_owners_with_tbc_does_not_make_a_register_covered() -> None:
    # 60 contracts' owners made "TBC" instead of left blank: the rules that want an owner pass them, but the
    # register covers no more of the estate than it did.
    records = _records(100)
    records[:60] = [{**r, "owner": "TBC"} for r in records[:60]]
    data = dataclasses.replace(DATA, placeholders=bundled_scorecard_data().placeholders)
    counts = {"COMM-001": ("high", {"pass": 100})}
    row = _row(_card(counts, {"COMM-001": ["caf-4.0:A4.a"]}, {**FULL, "supplier-contracts": records}, data=data))
    assert (row.level, row.status) == (None, "insufficient-evidence")
    assert row.basis == "supplier-contracts: 40 usable records of 100 declared (40%), below 50%"
    assert dict(row.coverage[0].missing_fields) == {"owner": 60}


def test_a_level_1_names_its_criteria_not_achieved() -> None:
    criteria = {
        "COMM-001": ["caf-4.0:A1.a"],
        "COMM-002": ["caf-4.0:A1.b"],
        "COMM-003": ["caf-4.0:A1.c"],
        "COMM-004": ["caf-4.0:A2.a"],
    }
    counts = {r: ("high", {"pass": 50, "fail": 1}) for r in criteria}
    assert _row(_card(counts, criteria, FULL)).basis == (
        "4 of 4 criteria not achieved: caf-4.0:A1.a, caf-4.0:A1.b, caf-4.0:A1.c and 1 more"
    )


def test_the_config_replaces_a_types_profile() -> None:
    records = {"it-assets": _records(40, "it-assets"), "organisation": [_org(**{"it-assets": 40})]}
    counts = {"INFRA-001": ("medium", {"pass": 39, "fail": 1})}
    bundled = _card(counts, {"INFRA-001": ["caf-4.0:B4.d"]}, records)
    assert [g["id"] for g in bundled.profile_dict()["gaps"]] == ["caf-4.0:B4.d", "capcheck-1:INFRA-M1"]
    mine = Profile(default=CS.PARTIALLY_ACHIEVED, expect={"caf-4.0:B4.d": CS.PARTIALLY_ACHIEVED})
    relaxed = _card(counts, {"INFRA-001": ["caf-4.0:B4.d"]}, records, ScorecardConfig(profiles={"trust": mine}))
    assert [g["id"] for g in relaxed.profile_dict()["gaps"]] == ["capcheck-1:INFRA-M1"]
    with pytest.raises(ValidationError):
        ScorecardConfig(profiles={"hospital": mine})
    with pytest.raises(ValidationError):  # an expectation is achieved or partially achieved, nothing less
        Profile(expect={"caf-4.0:B4.d": CS.NOT_ASSESSED})


def test_a_profile_expecting_an_unknown_criterion_is_noted() -> None:
    mine = Profile(expect={"caf:Z9.z": CS.ACHIEVED, "caf-4.0:B4.d": CS.ACHIEVED})
    records = {**FULL, "organisation": [_org(**{"supplier-contracts": 100})]}
    card = _card({"COMM-001": ("high", {"pass": 100})}, {}, records, ScorecardConfig(profiles={"trust": mine}))
    assert card.notes == ("the trust profile expects 'caf:Z9.z', which no framework defines",)  # as strict as DATA's


def test_the_markdown_criteria_table_shrinks_to_fit_the_comment_limit(run_cli: Any) -> None:
    example = Path(__file__).parents[1] / "examples" / "northgate-health-digital" / "evidence"
    args = ["check", str(example), "--as-of", "2026-11-25", "--fail-on", "never", "-f", "markdown"]
    more = re.compile(r"truncated: (\d+) more criteria, see the full report")
    full = run_cli(*args, "--markdown-limit", "0").stdout  # no length limit: lists stop at 50, like the others
    total = int(re.findall(r"<details><summary>Criteria \((\d+)\)", full)[0])
    assert total > 50 and more.findall(full) == [str(total - 50)]
    cut = run_cli(*args, "--markdown-limit", "20000").stdout
    assert len(cut) <= 20000 and f"<details><summary>Criteria ({total})" in cut
    assert int(more.findall(cut)[0]) > total - 50


def test_every_output_says_what_is_behind_a_criterion_the_same_way() -> None:
    attested = _infra([_att("capcheck-1:INFRA-M1", "partially-achieved", AS_OF - timedelta(days=10))])
    by_ref = {c.ref: c for c in attested.criteria}
    assert by_ref["caf-4.0:B4.d"].behind() == ("INFRA-001 achieved",)
    last = (AS_OF - timedelta(days=10) + timedelta(days=365)).isoformat()
    assert by_ref["capcheck-1:INFRA-M1"].behind() == (
        f"attested ATT-capcheck-1:INFRA-M1 (partially-achieved, until {last})",
    )
    unattested = {c.ref: c for c in _infra([]).criteria}
    assert unattested["capcheck-1:INFRA-M1"].behind() == ("no current attestation",)
