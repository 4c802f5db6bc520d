"""The built-in pack's citations hold: every criterion resolves in the bundled framework data with its edition,
the outcomes, points and standards a rationale names exist and are cited, no rationale claims the capability
review found something, and no rule names a record of the fictional example."""

from __future__ import annotations

import csv
import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from capcheck.app.config import Config
from capcheck.app.registry import Registry
from capcheck.app.runner import load_registry
from capcheck.builtins.frameworks import bundled_frameworks
from capcheck.core.models import Framework, RuleMeta

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

#: Claims about what the 2017 capability review found, said or asked, of the kind removed from the pack: the
#: review's public summary names its 11 areas, so a rationale may name an area, but not a finding.
REVIEW_CLAIMS = re.compile(
    r"review(?:'s)?\s+(?:\w+\s+){0,3}?(?:found|finding|described|asked|called|compared|concluded|showed|criticised|"
    r"identified|highlighted|named\s+\w+(?:\s+\w+)?\s+as)|"
    r"(?:was|were)\s+(?:a\s+|part\s+of\s+the\s+)?(?:central\s+)?(?:finding|found\s+to)",
    re.IGNORECASE,
)
#: Phrases removed from the pack's rationales in 2026-11; each must stay caught by REVIEW_CLAIMS.
REMOVED_PHRASES = (
    "The capability review found a historic-skills risk",
    "The capability review criticised a culture that held on to legacy skills",
    "The capability review found innovation ad hoc",
    "which is the ad hoc innovation the review found",
    "is the ad hoc innovation the review described",
    "Out-of-date technology was a central finding of the capability review",
    "The review found out-of-date technology across the estate",
    "The capability review found slow automation held back delivery",
    "the capability review named slow automation as a brake on delivery",
    "The capability review asked for industrialised delivery",
    "The review found delivery that was isolated",
    "The capability review found delivery that was rigid",
    "the rigid, release-managed delivery the capability review described",
    "the industrialised, user-centred way the capability review asked for",
    "The capability review found governance inconsistent across the organisation",
    "The capability review found boards without the assurance they needed",
    "The capability review asked for clear ownership of decisions",
    "The review called for consistent governance with clear ownership of risks",
    "The capability review found roles and operational boundaries unclear",
    "The review found these unclear for live services run with delivery partners",
    "The capability review asked for clear roles and operational boundaries",
    "The capability review found supplier management weak",
    "incumbents locked in, which the capability review found",
    "the review found contracts rolling over for lack of it",
    "The capability review found contracts rolled over and awarded directly",
    "The capability review found workforce plans that did not land",
    "Posts left open for months, as the capability review found in specialist teams",
    "The capability review found reliance on contractors for core digital skills",
    "The capability review asked whether workforce plans land",
    "The capability review compared the skills the organisation has with those it needs",
    "The capability review asked for skills plans that close the gap",
    "The capability review's culture and skills finding was about both the depth and the spread of skills",
    "Collaboration with partners was found to depend on individuals",
    "The review found the organisation's data services below expectations",
    "Data services that are unavailable when clinicians and commissioners need them were part of the review's finding",
)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(Config())


@pytest.fixture(scope="module")
def builtin(registry: Registry) -> list[RuleMeta]:
    return [r.meta for r in registry.rules.values() if r.source.type == "builtin"]


@pytest.fixture(scope="module")
def frameworks() -> dict[str, Framework]:
    return {f.id: f for f in bundled_frameworks()}


def _text(meta: RuleMeta) -> str:
    return " ".join((meta.title, meta.description, meta.rationale, meta.remediation))


def test_every_cited_criterion_resolves_in_the_bundled_data_with_its_edition(
    builtin: list[RuleMeta], frameworks: dict[str, Framework]
) -> None:
    assert len(builtin) >= 60
    for meta in builtin:
        for ref in meta.criteria:
            framework_id, _, criterion = ref.partition(":")
            framework = frameworks.get(framework_id)
            assert framework is not None, f"{meta.id}: {ref} names a framework that is not bundled"
            assert framework.edition and framework_id.endswith(f"-{framework.edition}"), (meta.id, ref)
            assert criterion in {c.id for c in framework.criteria}, f"{meta.id}: {ref} is not in {framework_id}"


def _caf_outcomes(frameworks: dict[str, Framework]) -> set[str]:
    return {c.id for c in frameworks["caf-4.0"].criteria}


def test_every_caf_outcome_a_rule_names_is_in_the_bundled_caf(
    builtin: list[RuleMeta], frameworks: dict[str, Framework]
) -> None:
    outcomes = _caf_outcomes(frameworks)
    assert len(outcomes) == 41
    for meta in builtin:
        named = set(re.findall(r"\b([A-D][1-6]\.[a-f])\b", _text(meta)))
        cited = {ref.partition(":")[2] for ref in meta.criteria if ref.startswith("caf-4.0:")}
        assert named | cited <= outcomes, f"{meta.id}: {sorted((named | cited) - outcomes)} not in CAF v4.0"


@pytest.mark.parametrize(
    ("framework_id", "pattern"),
    [
        ("gds-ss-2019", r"Service Standard(?:'s)? point (\d+)"),
        ("tcop-2021-11", r"Technology Code of Practice(?: \(TCoP\))? point (\d+)"),
        ("ndg-2016", r"National Data Guardian standard (\d+)"),
    ],
)
def test_every_point_a_rationale_names_exists_and_is_cited(
    builtin: list[RuleMeta], frameworks: dict[str, Framework], framework_id: str, pattern: str
) -> None:
    points = {c.id for c in frameworks[framework_id].criteria}
    for meta in builtin:
        for point in re.findall(pattern, meta.rationale):
            assert point in points, f"{meta.id}: {framework_id} has no point {point}"
            assert f"{framework_id}:{point}" in meta.criteria, (
                f"{meta.id} names {framework_id} {point} but cites {meta.criteria}"
            )


def test_the_wrong_citations_of_2026_11_stay_fixed(registry: Registry) -> None:
    meta = {r.meta.id: r.meta for r in registry.rules.values()}
    assert "caf-4.0:B6.a" not in meta["CULT-005"].criteria  # B6.a is security culture, not key-person skills
    assert "caf-4.0:B5.a" not in meta["CULT-002"].criteria
    assert "caf-4.0:B3.c" not in meta["DATA-006"].criteria
    assert "caf-4.0:A4.a" not in meta["COLLAB-004"].criteria  # a data sharing partner is not a supplier
    assert "point 5" not in meta["INFRA-003"].rationale  # TCoP point 5 is cloud first
    assert "gds-ss-2019:6" not in meta["INNOV-001"].criteria and "gds-ss-2019:6" not in meta["CULT-001"].criteria
    assert "gds-ss-2019:8" not in meta["INNOV-004"].criteria
    assert not [ref for m in meta.values() for ref in m.criteria if ref == "ndg-2016:5" and m.id != "CYBER-003"]
    for rule_id in ("ROLE-001", "ROLE-003", "WORK-001", "INFRA-005"):
        assert "NIST" not in meta[rule_id].rationale  # NIST CSF is not a loaded framework


@pytest.mark.parametrize("phrase", REMOVED_PHRASES)
def test_the_review_claim_pattern_catches_each_removed_phrase(phrase: str) -> None:
    assert REVIEW_CLAIMS.search(phrase), phrase


def test_the_review_claim_pattern_allows_naming_an_area() -> None:
    assert not REVIEW_CLAIMS.search("Out-of-date technology is one of the review's capability areas.")


def test_no_rationale_claims_what_the_review_found(builtin: list[RuleMeta]) -> None:
    claims = {m.id: found.group(0) for m in builtin if (found := REVIEW_CLAIMS.search(_text(m)))}
    assert not claims, claims


def _example_record_ids() -> set[str]:
    ids: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("id"), str):
                ids.add(node["id"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted(EXAMPLES.glob("*/evidence/**/*")):  # the hand-written registers and the generated estate
        if path.suffix == ".json":
            walk(json.loads(path.read_text(encoding="utf-8")))
        elif path.suffix in (".yaml", ".yml"):
            walk(yaml.safe_load(path.read_text(encoding="utf-8")))
        elif path.suffix == ".toml":
            walk(tomllib.loads(path.read_text(encoding="utf-8")))
        elif path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as fh:
                ids.update(row["id"] for row in csv.DictReader(fh) if row.get("id"))
    return ids


def test_no_built_in_rule_names_a_record_of_the_example() -> None:
    ids = _example_record_ids()
    assert {"DEC-2026-02", "RSK-008", "CTL-007"} <= ids  # the example's own ids: the scan reads them
    pattern = re.compile(r"\b(" + "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)) + r")\b")
    sources = [*ROOT.glob("rules/*/*.toml"), *ROOT.glob("src/capcheck/builtins/pack/*.py")]
    named = {
        p.relative_to(ROOT).as_posix(): sorted(set(pattern.findall(p.read_text(encoding="utf-8")))) for p in sources
    }
    assert not {path: found for path, found in named.items() if found}
