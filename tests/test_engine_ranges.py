"""A per-record rule judged over ranges of its records, merged (engine.merge_blocks), is the rule judged whole.

Each property test divides a rule's records (its first kind's) into consecutive ranges at random, judges each
range alone (``evaluate_range``, the other kinds whole: columns and ``reads``), merges the blocks and compares
with one ``evaluate_rule`` over every record (``ranges.assert_same``). INFRA-003, not per record, is shown to
differ, so the comparison can fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capcheck.app.casefiles import load_case_file
from capcheck.app.config import Config
from capcheck.app.runner import load_registry
from capcheck.core.engine import JUDGED, UNJUDGED, merge_blocks
from capcheck.core.evidence import load_evidence
from capcheck.core.models import Outcome, Status
from capcheck.core.rules import Rule, RuleContext, rule
from generator import load_generator
from ranges import Records, assert_same, cuts_of, judge_ranges, judge_whole

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "rule_cases"
AS_OF = date(2025, 11, 25)


@cache
def registry() -> Any:
    return load_registry(Config())


def per_record_rules() -> list[Rule]:
    return sorted((r for r in registry().rules.values() if r.meta.per_record), key=lambda r: r.id)


def kinds() -> Any:
    return registry().kinds


# ---------------------------------------------------------------------------------------------
# Every per-record rule of the pack, on its rule cases
# ---------------------------------------------------------------------------------------------


@cache
def case_records(rule_id: str) -> list[tuple[Records, date, dict[str, Any]]]:
    """Each case of the rule's case file: its records by kind (files loaded), as-of date and options."""
    path = CASES / f"{rule_id}.yaml"
    if not path.exists():
        return []
    case_file = load_case_file(path)
    out = []
    for case in case_file.cases:
        if case.evidence_files:
            reg = registry()
            loaded = load_evidence(case.evidence_files, loaders=reg.loaders, kinds=reg.kinds, enrichers=reg.enrichers)
            records = {k: [dict(r) for r in loaded.records(k)] for k in loaded.kinds()}
        else:
            records = {k: [dict(r) for r in v] for k, v in (case.evidence or {}).items()}
        out.append((records, case.as_of, dict(case.options)))
    return out


def test_the_pack_s_per_record_rules_are_the_audited_ones() -> None:
    python = {r.id for r in per_record_rules() if r.source.name == "capcheck.builtins.pack"}
    assert python == {
        "COLLAB-005",
        "COMM-003",
        "COMM-004",
        "COMM-008",
        "CULT-001",
        "CYBER-001",
        "CYBER-002",
        "INFRA-004",
        "INNOV-003",
    }
    assert all(case_records(r.id) for r in per_record_rules()), "every per-record rule has rule cases"


@pytest.mark.parametrize("rule_id", [r.id for r in per_record_rules()])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), include_passed=st.booleans())
def test_a_per_record_rule_s_cases_judged_in_ranges_merge_to_the_whole(
    rule_id: str, data: Any, include_passed: bool
) -> None:
    r = registry().rules[rule_id]
    cases = case_records(rule_id)
    records, as_of, options = cases[data.draw(st.integers(0, len(cases) - 1), label="case")]
    cuts = data.draw(cuts_of(len(records.get(r.meta.kinds[0], []))), label="cuts")
    whole = judge_whole(r, records, kinds(), as_of, options, include_passed)
    assert_same(
        whole, merge_blocks(judge_ranges(r, records, kinds(), cuts, as_of, options, include_passed)), records, kinds()
    )


# ---------------------------------------------------------------------------------------------
# The benchmark's registers (tests/generator.py), both scenarios
# ---------------------------------------------------------------------------------------------

GENERATED = 240


@cache
def generated(scenario: str) -> Records:
    generate = load_generator()
    kinds = ("supplier-contracts", "it-assets", "governance-register")
    return {kind: generate.generate_records(kind, GENERATED, 2017, scenario) for kind in kinds}


#: INFRA-006 judges fields the generator does not make (every asset out of its scope): left out.
GENERATED_RULES = [r.id for r in per_record_rules() if r.meta.kinds[0] in generated("typical") and r.id != "INFRA-006"]


def test_the_generated_registers_reach_per_record_rules_of_each_kind() -> None:
    assert {"COMM-003", "COMM-004", "INFRA-004", "GOV-001", "COMM-001", "INFRA-001"} <= set(GENERATED_RULES)


@pytest.mark.parametrize("scenario", ["typical", "high-failure"])
@pytest.mark.parametrize("rule_id", GENERATED_RULES)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=cuts_of(GENERATED), include_passed=st.booleans())
def test_a_per_record_rule_on_generated_registers_merges_to_the_whole(
    scenario: str, rule_id: str, cuts: list[int], include_passed: bool
) -> None:
    r = registry().rules[rule_id]
    records = generated(scenario)
    whole = judge_whole(r, records, kinds(), AS_OF, {}, include_passed)
    assert sum(whole[1].values()) > 1, "the rule judges some of the generated records"
    assert_same(
        whole, merge_blocks(judge_ranges(r, records, kinds(), cuts, AS_OF, {}, include_passed)), records, kinds()
    )


def test_a_rule_not_per_record_merges_to_something_else() -> None:
    """INFRA-003's share per environment, over halves: each half's groups, not the register's."""
    r = registry().rules["INFRA-003"]
    assert not r.meta.per_record
    records = generated("high-failure")
    whole = judge_whole(r, records, kinds(), AS_OF, {}, False)
    merged = merge_blocks(judge_ranges(r, records, kinds(), [GENERATED // 2], AS_OF, {}, False))
    with pytest.raises(AssertionError):
        assert_same(whole, merged, records, kinds())


# ---------------------------------------------------------------------------------------------
# Errors, empty ranges, missing kinds, and what the merge refuses
# ---------------------------------------------------------------------------------------------

TEXT = {"description": "What it checks.", "rationale": "Why it matters.", "remediation": "How to fix it."}
ASSETS = [
    {"id": f"A-{i}", "name": f"asset {i}", "product": "nginx", "environment": "production", "criticality": "high"}
    for i in range(1, 7)
]


def make(check: Callable[[Any, RuleContext], Iterator[Any]], **meta: Any) -> Rule:
    fields: dict[str, Any] = {
        "id": "INFRA-950",
        "title": "Assets are fine",
        "severity": "medium",
        "kinds": ["it-assets"],
    }
    return rule(area="INFRA", per_record=True, **{**fields, **TEXT, **meta})(check)


def raising_at(*ids: str, malformed: Sequence[str] = ()) -> Callable[[Any, RuleContext], Iterator[Any]]:
    """Passes each asset; raises at the first of ``ids``; a message not a str for those in ``malformed``."""

    def check(evidence: Any, ctx: RuleContext) -> Iterator[Any]:
        for asset in evidence.records("it-assets"):
            if asset["id"] in ids:
                raise RuntimeError(f"cannot judge {asset['id']}")
            if asset["id"] in malformed:
                yield Outcome(Status.FAIL, "it-assets", asset["id"], 5)  # type: ignore[arg-type]  # on purpose
            else:
                yield ctx.failed(asset, "not fine") if asset["id"] == "A-2" else ctx.passed(asset)

    return check


@pytest.mark.parametrize(
    ("cuts", "raises", "malformed"),
    [
        ([3], ("A-5",), ()),  # in the later range only
        ([2, 4], ("A-3", "A-6"), ()),  # in two ranges: the earlier's error
        ([3], ("A-5",), ("A-1",)),  # a malformed row earlier, a raise later: one evaluation stops at the raise
        ([3], (), ("A-2", "A-5")),  # malformed in both: the earlier's
        ([0, 0, 6], ("A-4",), ()),  # empty ranges around
    ],
)
@pytest.mark.parametrize("include_passed", [False, True])
def test_an_error_in_any_range_is_the_error_one_evaluation_gives(
    cuts: list[int], raises: tuple[str, ...], malformed: tuple[str, ...], include_passed: bool
) -> None:
    r = make(raising_at(*raises, malformed=malformed))
    records = {"it-assets": ASSETS}
    whole = judge_whole(r, records, kinds(), AS_OF, {}, include_passed)
    parts = judge_ranges(r, records, kinds(), cuts, AS_OF, {}, include_passed)
    merged = merge_blocks(parts)
    assert merged[1] == whole[1] == {"error": 1}
    assert merged[0].rows == whole[0].rows and len(merged[0].rows) == 1
    assert [p.stop != JUDGED for p in parts].count(True) >= 1
    assert_same(whole, merged, records, kinds())


def test_empty_ranges_and_nothing_in_scope() -> None:
    def none_in_scope(evidence: Any, ctx: RuleContext) -> Iterator[Any]:
        return iter(())

    r = make(none_in_scope)
    records = {"it-assets": ASSETS}
    parts = judge_ranges(r, records, kinds(), [0, 3, 3], AS_OF, {}, False)
    assert [p.counts for p in parts] == [{}, {}, {}, {}] and all(not p.block.rows for p in parts)
    merged = merge_blocks(parts)
    assert merged[1] == {"skip": 1} and merged[0].rows[0].message == "no records in the rule's scope"
    assert_same(judge_whole(r, records, kinds(), AS_OF, {}, False), merged, records, kinds())
    # in scope in one range only: no skip
    fine = make(raising_at())
    parts = judge_ranges(fine, records, kinds(), [0, 0], AS_OF, {}, True)
    assert [sum(p.counts.values()) for p in parts] == [0, 0, 6]
    assert merge_blocks(parts)[1] == {"fail": 1, "pass": 5}


def test_a_kind_not_given_is_the_one_evaluation_s_skip() -> None:
    r = registry().rules["COMM-003"]  # needs the governance register, of which it reads a column
    records = {"supplier-contracts": generated("typical")["supplier-contracts"]}
    parts = judge_ranges(r, records, kinds(), [80, 160], AS_OF, {}, False)
    assert {p.stop for p in parts} == {UNJUDGED}
    merged = merge_blocks(parts)
    assert merged[1] == {"skip": 1} and "no 'governance-register' evidence" in merged[0].rows[0].message
    assert_same(judge_whole(r, records, kinds(), AS_OF, {}, False), merged, records, kinds())


def test_the_merge_is_ordered_only_when_the_ids_keep_increasing() -> None:
    r = make(raising_at())
    shuffled = [ASSETS[i] for i in (0, 1, 5, 2, 3, 4)]  # A-6 before A-3: each range in order, the join not
    for records, ordered in (({"it-assets": ASSETS}, True), ({"it-assets": shuffled}, False)):
        parts = judge_ranges(r, records, kinds(), [3], AS_OF, {}, True)
        assert all(p.block.ordered for p in parts)
        merged = merge_blocks(parts)
        assert merged[0].ordered is ordered
        assert_same(judge_whole(r, records, kinds(), AS_OF, {}, True), merged, records, kinds())


def test_the_merge_refuses_settled_blocks_segments_and_other_rules() -> None:
    r = make(raising_at())
    parts = judge_ranges(r, {"it-assets": ASSETS}, kinds(), [3], AS_OF, {}, False)
    with pytest.raises(ValueError, match="no blocks"):
        merge_blocks([])
    other = judge_ranges(make(raising_at(), id="INFRA-951"), {"it-assets": ASSETS}, kinds(), [], AS_OF, {}, False)
    with pytest.raises(ValueError, match="different rules"):
        merge_blocks([*parts, *other])
    parts[0].block.set_status(0, Status.BASELINED)
    with pytest.raises(ValueError, match="unsettled"):
        merge_blocks(parts)
    parts = judge_ranges(r, {"it-assets": ASSETS}, kinds(), [3], AS_OF, {}, False)
    parts[1].block.segments["json"] = b"[]"
    with pytest.raises(ValueError, match="without segments"):
        merge_blocks(parts)


# ---------------------------------------------------------------------------------------------
# Any per-record rule: each record's verdict drawn at random, raising and malformed ones among them
# ---------------------------------------------------------------------------------------------

VERDICTS = ("pass", "fail", "skip", "out of scope", "raise", "message not a str", "related not pairs", "group")


def verdicts_rule(verdicts: dict[str, str], batched: bool) -> Rule:
    """Judges each asset as ``verdicts`` says; passes one by one or (``batched``) in one PassedRecords."""

    def check(evidence: Any, ctx: RuleContext) -> Iterator[Any]:
        passing = []
        for asset in evidence.records("it-assets"):
            verdict = verdicts[asset["id"]]
            if verdict == "pass":
                passing.append(asset) if batched else (yield ctx.passed(asset))
            elif verdict == "fail":
                yield ctx.failed(asset, f"{asset['id']} is not fine")
            elif verdict == "skip":
                yield ctx.skipped("cannot tell", record=asset)
            elif verdict == "raise":
                raise ValueError(f"cannot judge {asset['id']}")
            elif verdict == "message not a str":
                yield Outcome(Status.FAIL, "it-assets", asset["id"], 5)  # type: ignore[arg-type]  # on purpose
            elif verdict == "related not pairs":
                yield Outcome(Status.FAIL, "it-assets", asset["id"], "x", (("it-assets",),))  # type: ignore[arg-type]
            elif verdict == "group":
                yield ctx.group_failed("it-assets", asset["id"], "a group")
        if passing:
            yield ctx.passed_records(passing)

    return make(check)


@settings(max_examples=150, deadline=None)
@given(
    verdicts=st.lists(st.sampled_from(VERDICTS), min_size=1, max_size=10),
    data=st.data(),
    batched=st.booleans(),
    include_passed=st.booleans(),
)
def test_any_per_record_rule_judged_in_ranges_merges_to_the_whole(
    verdicts: list[str], data: Any, batched: bool, include_passed: bool
) -> None:
    assets = [{**ASSETS[0], "id": f"A-{i:02d}"} for i in range(len(verdicts))]
    r = verdicts_rule({a["id"]: v for a, v in zip(assets, verdicts, strict=True)}, batched)
    records = {"it-assets": assets}
    cuts = data.draw(cuts_of(len(assets)), label="cuts")
    whole = judge_whole(r, records, kinds(), AS_OF, {}, include_passed)
    assert_same(
        whole, merge_blocks(judge_ranges(r, records, kinds(), cuts, AS_OF, {}, include_passed)), records, kinds()
    )
