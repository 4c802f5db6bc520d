"""The rule test harness: rule behaviour tested as data, for capcheck's rules and plugin authors'.

A *case file* (YAML) holds the cases of one rule: evidence records by kind, the as-of date,
option overrides, and the status expected for each record id (or aggregate group)::

    rule: COMM-001
    as_of: 2026-11-25
    cases:
      - name: an active contract with an owner passes
        evidence:
          supplier-contracts:
            - {id: C-1, title: Hosting, supplier: Acme, value: 10, start_date: 2024-01-01,
               status: active, owner: alice}
        expect: {C-1: pass}
      - name: a short review period makes it fail
        options: {review_period: "30d"}
        evidence: {...}
        expect: {C-1: fail}

``expect`` maps each record id (or group name) the rule judges to ``pass``, ``fail``, ``skip``
or ``error``; every finding must be expected and every expectation met. ``expect_skip: true``
expects a rule-wide skip (insufficient evidence). Use it from pytest::

    from capcheck.testing import case_files, run_case_file

    @pytest.mark.parametrize("path", case_files(Path("tests/rule_cases")), ids=lambda p: p.stem)
    def test_rule_cases(path):
        run_case_file(path)   # raises AssertionError listing every mismatch
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from capcheck.config import Config
from capcheck.engine import evaluate
from capcheck.errors import EvidenceError, RuleFileError
from capcheck.evidence import evidence_from_records
from capcheck.loaders import SourceFile, normalise_values
from capcheck.models import Finding, Status
from capcheck.registry import Registry
from capcheck.runner import load_registry
from capcheck.side_inputs import read_document

__all__ = ["CaseResult", "case_files", "load_cases", "run_case", "run_case_file"]

_REGISTRY: dict[tuple[Any, ...], Registry] = {}


def _fingerprint(path: Path) -> tuple[Any, ...]:
    """Where a rule path is and what is in it now: a changed or moved rule file is compiled again."""
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    return (str(path.resolve()), *((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.is_file()))


def _registry(rule_paths: Sequence[Path] = (), plugins: Sequence[str] = ()) -> Registry:
    """The registry for these rule paths and plugins, built once per content (rule compilation is costly)."""
    key = (tuple(_fingerprint(Path(p)) for p in rule_paths), tuple(plugins), str(Path.cwd()))
    if key not in _REGISTRY:
        _REGISTRY[key] = load_registry(Config(), list(rule_paths), list(plugins))
    return _REGISTRY[key]


@dataclass
class CaseResult:
    """The outcome of one case: its findings and every mismatch with the expectation."""

    name: str
    findings: list[Finding] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)


#: The largest rule case file read.
CASE_FILE_MAX_BYTES = 16 << 20


def case_files(directory: Path) -> list[Path]:
    """The ``*.yaml`` case files under ``directory``, sorted."""
    return sorted(directory.rglob("*.yaml"))


def load_cases(path: Path) -> dict[str, Any]:
    """Read a case file safely (the side-input reader: bounded, no aliases or duplicate keys); dates
    become ISO strings as in evidence files.

    :raises RuleFileError: the file cannot be read or parsed, with its line.
    """
    document = read_document(
        path,
        shown=path.as_posix(),
        what="rule case file",
        error=RuleFileError,
        limit=CASE_FILE_MAX_BYTES,
        formats=(".yaml", ".yml"),
    )
    source = SourceFile(path=path, display=path.as_posix(), data=b"")
    doc = normalise_values(source, document.value)
    if not isinstance(doc, dict) or "rule" not in doc or not isinstance(doc.get("cases"), list):
        raise ValueError(f"{path}: a case file needs 'rule' and a list of 'cases'")
    return doc


def _key(f: Finding) -> str:
    if f.evidence is not None and f.evidence.record_id is not None:
        return f.evidence.record_id
    if f.group is not None:
        return f.group
    return "*"


def run_case(rule_id: str, case: Mapping[str, Any], *, as_of: date, registry: Registry) -> CaseResult:
    """Evaluate one case of ``rule_id`` and compare the findings with ``case['expect']``."""
    rule = registry.rules.get(rule_id)
    name = str(case.get("name", "unnamed case"))
    result = CaseResult(name=name)
    if rule is None:
        result.mismatches.append(f"unknown rule {rule_id}")
        return result
    try:
        evidence = evidence_from_records(case.get("evidence", {}), kinds=registry.kinds, name=f"case:{name}")
    except EvidenceError as exc:
        result.mismatches.extend(f"{name}: invalid evidence: {p}" for p in exc.problems)
        return result
    options = {rule_id: dict(case.get("options", {}))}
    case_as_of = date.fromisoformat(case["as_of"]) if "as_of" in case else as_of
    evaluation = evaluate([rule], evidence, as_of=case_as_of, options=options, include_passed=True)
    result.findings = evaluation.findings
    expect = {str(k): Status(v) for k, v in (case.get("expect") or {}).items()}
    if case.get("expect_skip"):
        expect["*"] = Status.SKIP
    seen: dict[str, Status] = {}
    for f in evaluation.findings:
        key = _key(f)
        seen[key] = f.status
        wanted = expect.get(key)
        if wanted is None:
            result.mismatches.append(f"{name}: unexpected {f.status.value} for {key}: {f.message}")
        elif wanted is not f.status:
            result.mismatches.append(f"{name}: {key} expected {wanted.value}, got {f.status.value}: {f.message}")
    for key, wanted in expect.items():
        if key not in seen:
            result.mismatches.append(f"{name}: expected {wanted.value} for {key}, but the rule did not judge it")
    return result


def run_case_file(path: Path, *, rule_paths: Sequence[Path] = (), plugins: Sequence[str] = ()) -> list[CaseResult]:
    """Run every case in a case file; raise AssertionError listing all mismatches."""
    doc = load_cases(path)
    registry = _registry(rule_paths, plugins)
    as_of = date.fromisoformat(str(doc.get("as_of", date.today().isoformat())))
    results = [run_case(str(doc["rule"]), case, as_of=as_of, registry=registry) for case in doc["cases"]]
    problems = [m for r in results for m in r.mismatches]
    if problems:
        raise AssertionError(f"{path}:\n  " + "\n  ".join(problems))
    return results
