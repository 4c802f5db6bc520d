"""Helpers for the declarative rule tests: compile fixture rule files, load fixture evidence, run.

Fixture files are under ``tests/declarative/fixtures/``: ``rules/`` (rule files that compile),
``broken/`` (rule files that must not, each listing its expected problems in ``# expect:``
comments), ``evidence/`` (JSON evidence) and ``operator_cases.toml`` (condition truth table).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from capcheck.builtins.areas import bundled_areas
from capcheck.builtins.declarative import CompileContext
from capcheck.builtins.declarative.conditions import LOGICAL, Env
from capcheck.builtins.declarative.toml_format import compile_rule_file
from capcheck.builtins.loaders import jsonfile
from capcheck.core.engine import evaluate
from capcheck.core.evidence import EvidenceSet, evidence_from_records, load_evidence
from capcheck.core.kinds import EvidenceKind, bundled_kinds
from capcheck.core.models import Finding
from capcheck.core.rules import Rule

DECL_FIXTURES = Path(__file__).parent / "fixtures"
#: The as-of date every fixture expectation is written for.
AS_OF = date(2025, 1, 1)


#: Fields the fixture rules read that the bundled ``it-assets`` kind does not declare; rules may read only
#: declared fields, so the fixtures' kind declares them (as a plugin's kind would: docs/plugins.md).
FIXTURE_ASSET_FIELDS: Mapping[str, Any] = {
    "decommission_by": {"type": "string"},  # "soon" is in the fixtures: a not-a-date finding, not a load error
    "site": {"type": "string"},
    "contact": {"type": "object"},
}


def make_context() -> CompileContext:
    """The bundled areas and kinds, ``it-assets`` declaring the fixtures' extra fields."""
    kinds = {k.id: k for k in bundled_kinds()}
    assets = kinds["it-assets"]
    schema = {**assets.schema, "properties": {**assets.schema["properties"], **FIXTURE_ASSET_FIELDS}}
    kinds["it-assets"] = replace(assets, schema=schema)
    return CompileContext(areas=frozenset(a.id for a in bundled_areas()), kinds=kinds)


def load_fixture_evidence(context: CompileContext, *names: str) -> EvidenceSet:
    """The fixture evidence files ``names`` (all of them when none are named)."""
    folder = DECL_FIXTURES / "evidence"
    paths = [folder / n for n in names] if names else [folder]
    (loader,) = jsonfile.capcheck_loaders()
    return load_evidence(paths, loaders={".json": loader}, kinds=context.kinds)


def compile_fixture(context: CompileContext, name: str, folder: str = "rules") -> list[Rule]:
    """Compile ``fixtures/<folder>/<name>``."""
    path = DECL_FIXTURES / folder / name
    return list(compile_rule_file(path, f"{folder}/{name}", context))


def run(
    rules: Sequence[Rule],
    evidence: EvidenceSet,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Finding]:
    """Evaluate ``rules`` as of :data:`AS_OF`, passes included."""
    return evaluate(rules, evidence, as_of=AS_OF, options=options, include_passed=True).findings


def by_record(findings: Sequence[Finding], rule_id: str) -> dict[str | None, Finding]:
    """One rule's findings keyed by record id (or group, for aggregates)."""
    out: dict[str | None, Finding] = {}
    for f in findings:
        if f.rule_id == rule_id:
            key = f.group if f.group is not None else (f.evidence.record_id if f.evidence else None)
            assert key not in out, f"two findings for {key!r}"
            out[key] = f
    return out


# ---------------------------------------------------------------------------------------------
# Operator cases (fixtures/operator_cases.toml)
# ---------------------------------------------------------------------------------------------

#: The other evidence kind operator cases look in (``people = [...]`` in a case).
PEOPLE = EvidenceKind(
    id="people",
    title="People",
    schema={"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
)


def operator_cases() -> list[dict[str, Any]]:
    """The cases of ``fixtures/operator_cases.toml``."""
    with (DECL_FIXTURES / "operator_cases.toml").open("rb") as fh:
        cases: list[dict[str, Any]] = tomllib.load(fh)["case"]
    return cases


def case_env(case: Mapping[str, Any]) -> Env:
    """The environment a case is bound in: its options overridden by its values, its ``people``."""
    evidence = evidence_from_records({"people": case["people"]}, kinds={"people": PEOPLE}) if "people" in case else None
    return Env(AS_OF, {**case.get("options", {}), **case.get("values", {})}, evidence)


def field_tests(node: Any) -> Iterator[dict[str, Any]]:
    """The field tests of a condition, nested ones included."""
    for key in LOGICAL:
        if key in node:
            children = [node[key]] if key == "not" else node[key]
            for child in children:
                yield from field_tests(child)
            return
    yield node


def operator_case_gaps(cases: Sequence[Mapping[str, Any]], operators: Iterable[str]) -> list[str]:
    """What the cases lack: each declared operator needs a case expecting true and one expecting false
    in which it is the only operator of a condition that is a single field test; no case may name an
    operator that is not declared."""
    declared = list(operators)
    alone: dict[str, set[Any]] = {}
    gaps: list[str] = []
    for case in cases:
        tests = list(field_tests(case["condition"]))
        for test in tests:
            unknown = [n for n in test if n != "field" and n not in declared]
            gaps += [f"case {case['name']!r}: unknown operator {n!r}" for n in unknown]
        names = [n for n in tests[0] if n != "field"] if tests == [case["condition"]] else []
        if len(names) == 1:
            alone.setdefault(names[0], set()).add(case["expect"])
    for name in declared:
        seen = alone.get(name, set())
        gaps += [f"{name}: no {w} case" for w, want in (("passing", True), ("failing", False)) if want not in seen]
    return gaps
