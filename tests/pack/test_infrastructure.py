"""INFRA-003 (end-of-life share per environment: an aggregate) and INFRA-004 (patching)."""

from __future__ import annotations

from datetime import date

from capcheck.builtins.pack import pack_rules
from capcheck.core.engine import evaluate
from capcheck.core.evidence import EvidenceSet, evidence_from_records
from capcheck.core.kinds import bundled_kinds


def test_infra_003_judges_each_environment(judge, mixed: EvidenceSet) -> None:
    verdicts = judge("INFRA-003", mixed)
    assert {k: v[0] for k, v in verdicts.items()} == {"production": "fail", "staging": "pass", "test": "skip"}
    # The retired asset past end of life is not counted.
    assert verdicts["production"][1] == (
        "1 of 4 production assets (25.0%) are past end of life or have no end-of-life date; the limit is 10.0%"
    )
    assert verdicts["test"][1] == "insufficient evidence: only 2 test assets"


def test_infra_003_names_the_assets_behind_a_failure(mixed: EvidenceSet) -> None:
    [rule] = [r for r in pack_rules() if r.id == "INFRA-003"]
    result = evaluate([rule], mixed, as_of=date(2025, 4, 1))
    [failed] = [f for f in result.findings if f.status.value == "fail"]
    assert failed.group == "production"
    assert [(r.record_id, r.line) for r in failed.related] == [("AST-002", 3)]
    skips = [f for f in result.findings if f.status.value == "skip"]
    assert len({f.fingerprint for f in [failed, *skips]}) == 1 + len(skips)


def test_infra_003_options(judge, mixed: EvidenceSet) -> None:
    tolerant = judge("INFRA-003", mixed, max_ratio=0.3)
    assert tolerant["production"][0] == "pass"
    small = judge("INFRA-003", mixed, min_assets=2)
    assert small["test"] == (
        "fail",
        "2 of 2 test assets (100.0%) are past end of life or have no end-of-life date; the limit is 10.0%",
    )


def test_infra_003_as_of_moves_end_of_life(judge, mixed: EvidenceSet) -> None:
    before = judge("INFRA-003", mixed, as_of=date(2024, 6, 1))
    assert before["production"][0] == "pass"


def test_infra_004_internet_facing_assets_are_patched(judge, mixed: EvidenceSet) -> None:
    verdicts = judge("INFRA-004", mixed)
    assert {k: v[0] for k, v in verdicts.items()} == {"AST-001": "pass", "AST-002": "fail", "AST-003": "fail"}
    assert verdicts["AST-002"][1] == (
        "internet-facing api-01 last patched 90 days ago (2025-01-01); the window is 14 days"
    )
    assert verdicts["AST-003"][1] == "internet-facing edge-01 has no last_patched date"


def test_infra_004_max_days_option(judge, mixed: EvidenceSet) -> None:
    verdicts = judge("INFRA-004", mixed, max_days=120)
    assert {k: v[0] for k, v in verdicts.items()} == {"AST-001": "pass", "AST-002": "pass", "AST-003": "fail"}


def test_infra_004_clean_estate(judge, load, copy_fixture) -> None:
    evidence = load(copy_fixture("evidence/clean/it-assets.toml"))
    assert {k: v[0] for k, v in judge("INFRA-004", evidence).items()} == {"AST-101": "pass"}


def test_infra_003_counts_one_asset_in_the_singular(judge) -> None:
    asset = {"id": "A-1", "name": "a", "product": "p", "environment": "dr", "criticality": "low"}
    evidence = evidence_from_records({"it-assets": [asset]}, kinds={k.id: k for k in bundled_kinds()})
    assert judge("INFRA-003", evidence)["dr"] == ("skip", "insufficient evidence: only 1 dr asset")
