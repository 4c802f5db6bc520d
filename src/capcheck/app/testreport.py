"""``capcheck test``: run case files, measure rule coverage, and render the outcome (text, JSON, JUnit).

Coverage (``--coverage``) has two parts per rule under test: whether it has a case expecting a
``pass`` and one expecting a ``fail`` (among the cases that pass), and for a declarative rule, each
node of its condition trees (every ``all``/``any``/``not`` and field test under ``where``,
``require`` and ``count``) evaluated both true and false by some case. The nodes are compiled
traced (:func:`capcheck.builtins.declarative.conditions.tracing`) only for a coverage run. The percentage
is the covered share of all those items: two per rule, two per condition node.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from capcheck.app.harness import CaseFile, CaseResult, case_files, load_case_file, run_cases
from capcheck.app.registry import Registry
from capcheck.builtins.declarative.conditions import Condition, Env, Traced
from capcheck.core.errors import CapcheckError, Problem, RuleFileError
from capcheck.core.escaping.json import json_text
from capcheck.core.models import Status
from capcheck.core.rules import Rule
from capcheck.core.wording import plural

__all__ = [
    "Coverage",
    "FileResult",
    "NodeCoverage",
    "RuleCoverage",
    "TestRun",
    "collect_case_files",
    "compute_coverage",
    "coverage_lines",
    "gate_failures",
    "run_tests",
]

#: Report formats of ``capcheck test``.
FORMATS = ("text", "json", "junit")


@dataclass(frozen=True)
class FileResult:
    """The cases of one case file and how each went."""

    path: str
    rule: str
    cases: tuple[CaseResult, ...]

    @property
    def passed(self) -> bool:
        """Every case passed."""
        return all(c.passed for c in self.cases)


@dataclass(frozen=True)
class NodeCoverage:
    """One condition node of a declarative rule: where it is and which outcomes some case saw."""

    pointer: str
    text: str
    seen_true: bool
    seen_false: bool

    @property
    def missing(self) -> list[str]:
        """The outcomes no case produced: ``true``, ``false``."""
        return [name for name, seen in (("true", self.seen_true), ("false", self.seen_false)) if not seen]


@dataclass(frozen=True)
class RuleCoverage:
    """A rule under test: its passing and failing cases and its condition nodes."""

    rule_id: str
    source: str
    cases: int
    has_pass: bool
    has_fail: bool
    nodes: tuple[NodeCoverage, ...] = ()

    @property
    def total(self) -> int:
        """Items to cover: a passing case, a failing case, and each node true and false."""
        return 2 + 2 * len(self.nodes)

    @property
    def covered(self) -> int:
        """Items covered."""
        return self.has_pass + self.has_fail + sum(n.seen_true + n.seen_false for n in self.nodes)


@dataclass(frozen=True)
class Coverage:
    """Coverage of the rules under test."""

    rules: tuple[RuleCoverage, ...]

    @property
    def percent(self) -> float:
        """Covered items as a percentage of all items (100 when there are none)."""
        total = sum(r.total for r in self.rules)
        return 100.0 if total == 0 else 100.0 * sum(r.covered for r in self.rules) / total

    @property
    def untested(self) -> list[str]:
        """The rules without a case."""
        return [r.rule_id for r in self.rules if r.cases == 0]


@dataclass(frozen=True)
class TestRun:
    """A ``capcheck test`` run: each case file's results, and coverage when asked for."""

    __test__ = False  # not a pytest test class, despite its name

    files: tuple[FileResult, ...]
    coverage: Coverage | None = None
    min_coverage: float | None = None
    require_tests: bool = False
    gate_failures: tuple[str, ...] = field(default=())
    #: When the run started (UTC), for the JUnit timestamp.
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def failed_cases(self) -> int:
        """Cases with a mismatch."""
        return sum(not c.passed for f in self.files for c in f.cases)

    @property
    def exit_code(self) -> int:
        """0 all cases pass and the gates hold, else 1."""
        return 1 if self.failed_cases or self.gate_failures else 0


def shown_percent(value: float, digits: int = 1) -> str:
    """A percentage rounded *down*: 99.96% is never shown as 100.0% (which a gate would then refuse)."""
    scale = 10**digits
    return f"{math.floor(value * scale) / scale:.{digits}f}"


def collect_case_files(paths: Sequence[Path]) -> list[Path]:
    """The case files a run reads: files as named, directories searched for ``*.yaml``/``*.yml``.

    :raises RuleFileError: a path that does not exist, or a directory with no case file.
    """
    found: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if not path.exists():
            problems.append(Problem("no such case file or directory", path=path.as_posix()))
            continue
        files = case_files(path)
        if not files:
            problems.append(Problem("no case file (*.yaml, *.yml) here", path=path.as_posix()))
        found.extend(f for f in files if f not in found)
    if problems:
        raise RuleFileError(problems)
    return found


def run_tests(
    paths: Sequence[Path],
    registry: Registry,
    *,
    under_test: Sequence[Rule],
    coverage: bool = False,
    min_coverage: float | None = None,
    require_tests: bool = False,
) -> TestRun:
    """Run every case file under ``paths`` against ``registry``.

    :param under_test: the rules coverage and ``require_tests`` are about.
    :param coverage: compute coverage (``registry`` must have been built traced for node coverage).
    :raises CapcheckError: every problem of every case file that cannot run (invalid, unknown rule,
        bad option, invalid evidence), together.
    """
    loaded: list[CaseFile] = []
    problems: list[Problem] = []
    for path in collect_case_files(paths):
        try:
            loaded.append(load_case_file(path))
        except CapcheckError as exc:
            problems.extend(exc.problems)
    results: list[FileResult] = []
    for case_file in loaded:
        try:
            results.append(FileResult(case_file.shown, case_file.rule, tuple(run_cases(case_file, registry))))
        except CapcheckError as exc:
            problems.extend(exc.problems)
    if problems:
        raise RuleFileError(problems)
    cov = compute_coverage(under_test, results) if coverage or min_coverage is not None or require_tests else None
    gates = gate_failures(cov, min_coverage, require_tests) if cov is not None else []
    return TestRun(tuple(results), cov if coverage else None, min_coverage, require_tests, tuple(gates))


def gate_failures(
    cov: Coverage, min_coverage: float | None, require_tests: bool, *, option: str = "--min-coverage"
) -> list[str]:
    """The ``--min-coverage`` (named ``option``) and ``--require-tests`` gates ``cov`` fails, one sentence each."""
    gates: list[str] = []
    if require_tests and cov.untested:
        gates.append(f"{plural(len(cov.untested), 'rule')} without a case: {', '.join(cov.untested)}")
    if min_coverage is not None and cov.percent < min_coverage:
        gates.append(f"coverage {shown_percent(cov.percent)}% is below {option} {min_coverage:g}%")
    return gates


def _nodes(condition: Condition | None) -> Iterator[Traced]:
    if condition is None:
        return
    if isinstance(condition, Traced):
        yield condition
        condition = condition.inner
    for child in getattr(condition, "children", ()):
        yield from _nodes(child)


def rule_nodes(r: Rule) -> list[Traced]:
    """The traced condition nodes of a declarative rule compiled for coverage, in tree order."""
    return [n for part in ("where", "require", "count") for n in _nodes(getattr(r.check, part, None))]


def compute_coverage(rules: Sequence[Rule], results: Sequence[FileResult]) -> Coverage:
    """Coverage of ``rules`` by the case results (and the outcomes their traced nodes recorded)."""
    by_rule: dict[str, list[CaseResult]] = {}
    for f in results:
        by_rule.setdefault(f.rule, []).extend(f.cases)
    out: list[RuleCoverage] = []
    for r in sorted(rules, key=lambda r: r.meta.id):
        cases = by_rule.get(r.meta.id, [])
        good = [c for c in cases if c.passed]
        # operands as the cases saw them (an as-of date, not today's), so the report is reproducible
        env = Env(next((c.as_of for c in cases if c.as_of is not None), date.today()), r.meta.options)
        nodes = tuple(
            NodeCoverage(n.pointer, n.describe(env), True in n.outcomes, False in n.outcomes) for n in rule_nodes(r)
        )
        out.append(
            RuleCoverage(
                rule_id=r.meta.id,
                source=r.source.path or r.source.name,
                cases=len(cases),
                has_pass=any(Status.PASS in c.expected for c in good),
                has_fail=any(Status.FAIL in c.expected for c in good),
                nodes=nodes,
            )
        )
    return Coverage(tuple(out))


# ---------------------------------------------------------------------------------------------
# Renderings
# ---------------------------------------------------------------------------------------------


def render_text(run: TestRun) -> str:
    """Failures first with every mismatch, then the summary, coverage and gates."""
    lines: list[str] = []
    for f in run.files:
        for c in f.cases:
            if not c.passed:
                lines.append(f"FAIL {f.rule} {c.location}: {c.name}")
                lines.extend(f"  {m}" for m in c.mismatches)
    cases = sum(len(f.cases) for f in run.files)
    lines.append(
        f"{plural(len(run.files), 'case file')}, {plural(cases, 'case')}: "
        f"{cases - run.failed_cases} passed, {run.failed_cases} failed"
    )
    if run.coverage is not None:
        lines.extend(coverage_lines(run.coverage))
    lines.extend(f"gate failed: {g}" for g in run.gate_failures)
    from capcheck.core.escaping.terminal import terminal

    return "".join(f"{terminal(line)}\n" for line in lines)


def coverage_lines(cov: Coverage) -> list[str]:
    """The percentage, then each rule lacking a case either way and each condition node never true or false."""
    lines = [f"coverage: {shown_percent(cov.percent)}% of {plural(len(cov.rules), 'rule')}"]
    for r in cov.rules:
        gaps = []
        if r.cases == 0:
            gaps.append("no case")
        else:
            gaps += [f"no {s} case" for s, has in (("passing", r.has_pass), ("failing", r.has_fail)) if not has]
        if gaps:
            lines.append(f"  {r.rule_id} ({r.source}): {', '.join(gaps)}")
        for n in r.nodes:
            if n.missing:
                lines.append(f"  {r.rule_id} {n.pointer} ({n.text}): never {' or '.join(n.missing)}")
    return lines


def as_dict(run: TestRun) -> dict[str, Any]:
    """The JSON form (``schemas/test-results.schema.json``), in a fixed key order."""
    from capcheck._version import __version__

    out: dict[str, Any] = {
        "tool": {"name": "capcheck", "version": __version__},
        "files": [
            {
                "path": f.path,
                "rule": f.rule,
                "cases": [
                    {"name": c.name, "location": c.location, "passed": c.passed, "mismatches": list(c.mismatches)}
                    for c in f.cases
                ],
            }
            for f in run.files
        ],
        "summary": {
            "files": len(run.files),
            "cases": sum(len(f.cases) for f in run.files),
            "failed": run.failed_cases,
        },
        "gate_failures": list(run.gate_failures),
        "exit_code": run.exit_code,
    }
    if run.coverage is not None:
        out["coverage"] = {
            "percent": float(shown_percent(run.coverage.percent, 2)),
            "rules": [
                {
                    "rule": r.rule_id,
                    "source": r.source,
                    "cases": r.cases,
                    "has_pass": r.has_pass,
                    "has_fail": r.has_fail,
                    "covered": r.covered,
                    "total": r.total,
                    "nodes": [
                        {"pointer": n.pointer, "condition": n.text, "true": n.seen_true, "false": n.seen_false}
                        for n in r.nodes
                    ],
                }
                for r in run.coverage.rules
            ],
        }
    return out


def render_json(run: TestRun) -> str:
    """:func:`as_dict` as indented JSON, escaped as the findings document is (:func:`json_text`: a plugin rule's
    lone surrogate in a mismatch is written as its escape text, so the output is always UTF-8)."""
    return json_text(json.dumps(as_dict(run), indent=2, ensure_ascii=False)) + "\n"


def render_junit(run: TestRun) -> str:
    """JUnit XML (valid against the Ant and JUnit 10 schemas): a test suite per case file, a test case
    per case, a failure listing its mismatches; failed gates as failures of a ``capcheck.coverage`` suite."""
    import re
    import xml.etree.ElementTree as ET

    from capcheck._version import __version__
    from capcheck.core.escaping.xml import xml_text

    def token(text: str) -> str:  # an xs:token: whitespace collapsed, never empty
        return xml_text(re.sub(r"\s+", " ", text)).strip() or "-"

    root = ET.Element("testsuites")
    stamp = run.started.strftime("%Y-%m-%dT%H:%M:%S")  # the Ant schema: no fraction, no zone (UTC)

    def suite(index: int, name: str, package: str, tests: int, failures: int) -> ET.Element:
        el = ET.SubElement(
            root,
            "testsuite",
            {
                "name": token(name),
                "package": token(package),
                "id": str(index),
                "timestamp": stamp,
                "hostname": "localhost",
                "tests": str(tests),
                "failures": str(failures),
                "errors": "0",
                "skipped": "0",
                "time": "0",
            },
        )
        props = ET.SubElement(el, "properties")
        ET.SubElement(props, "property", {"name": "capcheck.version", "value": __version__})
        return el

    def close(el: ET.Element) -> None:
        ET.SubElement(el, "system-out").text = ""
        ET.SubElement(el, "system-err").text = ""

    for i, f in enumerate(run.files):
        el = suite(i, f.path, f"capcheck.{f.rule}", len(f.cases), sum(not c.passed for c in f.cases))
        used: set[str] = set()
        for c in f.cases:
            name = base = token(c.name)
            n = 1
            while name in used:
                n += 1
                name = f"{base} ({n})"
            used.add(name)
            case = ET.SubElement(el, "testcase", {"name": name, "classname": token(f"capcheck.{f.rule}"), "time": "0"})
            if not c.passed:
                failure = ET.SubElement(case, "failure", {"message": xml_text(c.mismatches[0]), "type": "mismatch"})
                failure.text = xml_text(f"{c.location}\n" + "\n".join(c.mismatches))
        close(el)
    if run.gate_failures:
        el = suite(len(run.files), "capcheck.coverage", "capcheck.coverage", *(len(run.gate_failures),) * 2)
        for g in run.gate_failures:
            case = ET.SubElement(el, "testcase", {"name": token(g), "classname": "capcheck.coverage", "time": "0"})
            ET.SubElement(case, "failure", {"message": xml_text(g), "type": "gate"}).text = xml_text(g)
        close(el)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


RENDERERS: Mapping[str, Any] = {"text": render_text, "json": render_json, "junit": render_junit}
