"""The rule test harness's implementation; its public home is :mod:`capcheck.testing` (documented there)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from capcheck.app.casefiles import (
    CASE_FILE_MAX_BYTES,
    Case,
    CaseFile,
    Expectation,
    case_files,
    load_case_file,
    load_cases,
)
from capcheck.app.config import Config
from capcheck.app.registry import Registry
from capcheck.app.runner import load_registry
from capcheck.app.settings import option_problem
from capcheck.core.engine import StatusCounts, evaluate, evaluate_range, merge_blocks
from capcheck.core.errors import EvidenceError, Problem, RuleFileError, UsageError
from capcheck.core.evidence import EvidenceSet, evidence_from_records, load_evidence
from capcheck.core.models import Finding, Outcome, Status
from capcheck.core.outcomes import RuleOutcomes
from capcheck.core.rules import Rule
from capcheck.core.side_inputs import escape_token, shorten
from capcheck.core.wording import closest, suggestion

__all__ = [
    "CASE_FILE_MAX_BYTES",
    "Case",
    "CaseFile",
    "CaseResult",
    "Expectation",
    "case_files",
    "check_case_file",
    "harness_registry",
    "load_case_file",
    "load_cases",
    "run_case",
    "run_case_file",
    "run_cases",
    "run_one_case",
    "run_rule",
]

_REGISTRY: dict[tuple[Any, ...], Registry] = {}


def _fingerprint(path: Path) -> tuple[Any, ...]:
    """Where a rule path is and what is in it now: a changed or moved rule file is compiled again."""
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    return (str(path.resolve()), *((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files if f.is_file()))


def harness_registry(
    rule_paths: Sequence[Path] = (), plugins: Sequence[str] = (), *, autoload: bool = False, coverage: bool = False
) -> Registry:
    """The registry cases run against: the built-ins, ``plugins`` and ``rule_paths``; installed
    (entry-point) plugins only with ``autoload``. Built once per content (rule compilation is costly).

    :param coverage: compile declarative conditions traced (:func:`capcheck.builtins.declarative.conditions.tracing`),
        for :mod:`capcheck.app.testreport`'s coverage; never cached, since it records outcomes.
    :raises CapcheckError: a plugin or rule file is broken.
    """
    if coverage:
        from capcheck.builtins.declarative.conditions import tracing

        with tracing():
            return load_registry(Config(), list(rule_paths), list(plugins), entry_points=autoload)
    installed: tuple[str, ...] = ()
    if autoload:  # which plugins would load, and from where: another environment is another registry
        from importlib import metadata

        from capcheck.core.hookspecs import PROJECT_NAME

        eps = metadata.entry_points(group=PROJECT_NAME)
        installed = tuple(sorted(f"{ep.name}={ep.value}@{ep.dist.locate_file('') if ep.dist else ''}" for ep in eps))
    key = (tuple(_fingerprint(Path(p)) for p in rule_paths), tuple(plugins), autoload, installed, str(Path.cwd()))
    if key not in _REGISTRY:
        _REGISTRY[key] = load_registry(Config(), list(rule_paths), list(plugins), entry_points=autoload)
    return _REGISTRY[key]


# ---------------------------------------------------------------------------------------------
# Running cases
# ---------------------------------------------------------------------------------------------


@dataclass
class CaseResult:
    """The outcome of one case: its findings and every mismatch with the expectation."""

    name: str
    findings: list[Finding] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    #: Where the case is: ``file:line``.
    location: str = ""
    #: The statuses the case expected (for coverage: does a rule have passing and failing cases).
    expected: frozenset[Status] = frozenset()
    #: The day the case judged dates as of.
    as_of: date | None = None

    @property
    def passed(self) -> bool:
        """No mismatch."""
        return not self.mismatches


def check_case_file(case_file: CaseFile, registry: Registry, cases: Sequence[Case] | None = None) -> list[Problem]:
    """What makes a case file (or some of its ``cases``) unrunnable against ``registry``: an unknown
    rule, an option the rule does not declare or of the wrong type, a fixture file that does not exist."""
    rule = registry.rules.get(case_file.rule)
    if rule is None:
        # The nearest id may be a built-in's while the rule meant is a new one whose plugin was not named.
        load = "name the plugin that defines it (--plugin MOD) or its rule files (--rules DIR)"
        found = closest(case_file.rule, sorted(registry.rules))
        hint = f"did you mean {found!r}? If it is yours, {load}" if found is not None else load
        return [case_file.problem(f"unknown rule {shorten(case_file.rule)} ({hint})", "/rule")]
    problems: list[Problem] = []
    declared = rule.meta.options
    for case in case_file.cases if cases is None else cases:
        for name, value in case.options.items():
            pointer = f"{case.pointer}/options/{escape_token(name)}"
            if name not in declared:
                known = suggestion(name, sorted(declared), f"options: {', '.join(sorted(declared)) or 'none'}")
                problems.append(
                    case_file.problem(f"rule {rule.meta.id} has no option {shorten(name)} ({known})", pointer)
                )
            elif (cause := option_problem(rule, name, value)) is not None:
                problems.append(case_file.problem(cause, pointer))
        for i, fixture in enumerate(case.evidence_files):
            if not fixture.exists():
                problems.append(
                    case_file.problem("no such evidence file or directory", f"{case.pointer}/evidence_files/{i}")
                )
    return problems


def _evidence(case_file: CaseFile, case: Case, registry: Registry) -> EvidenceSet:
    try:
        if case.evidence_files:
            return load_evidence(
                case.evidence_files, loaders=registry.loaders, kinds=registry.kinds, enrichers=registry.enrichers
            )
        return evidence_from_records(
            case.evidence or {}, kinds=registry.kinds, name=f"{case_file.shown}#{case.pointer}"
        )
    except EvidenceError as exc:
        if case.evidence_files:
            raise
        # in-memory records: say where in the case file they are
        raise RuleFileError(
            [
                case_file.problem(
                    p.message, f"{case.pointer}/evidence/{(p.path or '').rpartition('/')[2]}{p.pointer or ''}"
                )
                for p in exc.problems
            ]
        ) from None


def _key(f: Finding) -> str:
    if f.evidence is not None and f.evidence.record_id is not None:
        return f.evidence.record_id
    if f.group is not None:
        return f.group
    return "*"


def compare(expect: Mapping[str, Expectation], findings: Sequence[Finding]) -> list[str]:
    """Every difference between what a case expects and the findings, one sentence each: a missing or
    different expected finding, and an unexpected ``fail``/``error`` (or a rule-wide skip)."""
    mismatches: list[str] = []
    seen: set[str] = set()
    failed: dict[str, Finding] = {}  # by fingerprint: what waivers, baselines and diff tell failures apart by
    for f in findings:
        key = _key(f)
        seen.add(key)
        if f.status is Status.FAIL:
            first = failed.setdefault(f.fingerprint, f)
            if first is not f:
                mismatches.append(
                    f"{key}: failed twice ({first.message!r}, then {f.message!r}): a rule gives one outcome per"
                    " record (and group), its problems in one message; a waiver or baseline entry names a failure"
                    " by its fingerprint, which two failures of one record share"
                )
        wanted = expect.get(key)
        got = f"{f.status.value}: {f.message}"
        if wanted is None:
            if f.status in (Status.FAIL, Status.ERROR) or key == "*":
                what = (
                    "the rule skipped as a whole"
                    if key == "*" and f.status is Status.SKIP
                    else f"unexpected {f.status.value}"
                )
                mismatches.append(f"{key}: {what}: {f.message}" if key != "*" else f"{what}: {f.message}")
        elif wanted.status is not f.status:
            mismatches.append(f"{key}: expected {wanted.describe()}, got {got}")
        elif wanted.severity is not None and wanted.severity is not f.severity:
            mismatches.append(f"{key}: expected severity {wanted.severity.value}, got {f.severity.value}: {f.message}")
        elif wanted.message is not None and wanted.message not in f.message:
            mismatches.append(f"{key}: expected a message containing {wanted.message!r}, got {f.message!r}")
    for key, wanted in expect.items():
        if key not in seen:
            mismatches.append(f"{key}: expected {wanted.describe()}, but the rule did not judge it")
    return mismatches


def run_one_case(case_file: CaseFile, case: Case, registry: Registry) -> CaseResult:
    """Run one case of a case file and compare its findings with the expectation.

    :raises CapcheckError: the case cannot run (:func:`check_case_file`), or its evidence is invalid.
    """
    problems = check_case_file(case_file, registry, [case])
    if problems:
        raise RuleFileError(problems)
    return _run(registry.rules[case_file.rule], case_file, case, registry)


def _run(rule: Rule, case_file: CaseFile, case: Case, registry: Registry) -> CaseResult:
    evidence = _evidence(case_file, case, registry)
    options = {rule.meta.id: dict(case.options)}
    evaluation = evaluate([rule], evidence, as_of=case.as_of, options=options, include_passed=True)
    expect = dict(case.expect)
    if case.expect_skip:
        expect["*"] = Expectation(Status.SKIP)
    location = case_file.shown if case.line is None else f"{case_file.shown}:{case.line}"
    return CaseResult(
        name=case.name,
        findings=list(evaluation.findings),
        mismatches=compare(expect, evaluation.findings) + split_mismatches(rule, case, evidence, registry),
        location=location,
        expected=frozenset(e.status for e in expect.values()),
        as_of=case.as_of,
    )


#: A case of up to this many records of the rule's kind is split at every point; a larger one in the middle.
SPLIT_EVERYWHERE = 16


def split_mismatches(rule: Rule, case: Case, evidence: EvidenceSet, registry: Registry) -> list[str]:
    """For a per-record rule (``RuleMeta.per_record``): the case's records of its first kind judged in two
    ranges, each alone (the other kinds whole), and merged (:func:`~capcheck.core.engine.merge_blocks`), against
    them judged at once; the first difference, said as a mismatch, so that a plugin author whose rule is
    declared per record but is not (its outcome for a record depends on another record) is told. Every split
    point of a case of up to :data:`SPLIT_EVERYWHERE` records, else the middle one. Both sides are judged from
    copies of the records (so loaded files' locations do not differ), passes listed."""
    meta = rule.meta
    kind = meta.kinds[0]
    if not meta.per_record or not evidence.has(kind) or evidence.count(kind) < 2:
        return []
    records = {k: [dict(r) for r in evidence.records(k)] for k in evidence.kinds()}
    own = records[kind]
    options = {meta.id: dict(case.options)}

    def judged(*ranges: list[dict[str, Any]]) -> tuple[RuleOutcomes, StatusCounts]:
        parts = [
            evaluate_range(
                rule,
                evidence_from_records({**records, kind: part}, kinds=registry.kinds, name="<split>"),
                as_of=case.as_of,
                options=options,
                severities={},
                include_passed=True,
            )
            for part in ranges
        ]
        return merge_blocks(parts)

    try:
        whole = judged(own)
        cuts = range(1, len(own)) if len(own) <= SPLIT_EVERYWHERE else (len(own) // 2,)
        for cut in cuts:
            split = judged(own[:cut], own[cut:])
            if split[1] != whole[1] or sorted(map(_shown_row, split[0].rows)) != sorted(map(_shown_row, whole[0].rows)):
                return [_split_difference(kind, whole[0], split[0], cut, len(own))]
    except EvidenceError:  # records a loader gave that do not validate as written (none known): not the rule's
        return []
    return []


def _shown_row(o: Outcome) -> tuple[str, ...]:
    return (o.kind or "", o.record_id or "", o.group or "", o.status.value, o.message)


def _split_difference(kind: str, whole: RuleOutcomes, split: RuleOutcomes, cut: int, n: int) -> str:
    """The first outcome (by record, in the kind's order of the rows) that differs between the two, as a mismatch."""

    def outcomes(block: RuleOutcomes) -> dict[tuple[str, str, str], str]:
        out: dict[tuple[str, str, str], str] = {}
        for o in block.rows:
            key = (o.kind or block.default_kind, o.record_id or "", o.group or "")
            out[key] = f"{o.status.value}: {o.message or block.title}"
        return out

    at_once, apart = outcomes(whole), outcomes(split)
    differ = [key for key in {**at_once, **apart} if at_once.get(key) != apart.get(key)]
    key = differ[0] if differ else next(iter(at_once))
    what = f"record {key[1]}" if key[1] else f"group {key[2]}" if key[2] else f"{key[0]} as a whole"
    return (
        f"the rule is declared per_record, but its records of {kind} judged in two ranges (1-{cut} and "
        f"{cut + 1}-{n}), each alone, give {what} {apart.get(key, 'no outcome')!r}, where judged together "
        f"{at_once.get(key, 'no outcome')!r}: a per-record rule's outcome for a record depends on that record alone "
        "(docs/plugins.md, per-record rules): drop per_record=True, or judge each record on its own"
    )


def run_cases(case_file: CaseFile, registry: Registry) -> list[CaseResult]:
    """Run every case of a loaded case file.

    :raises CapcheckError: the file cannot run (:func:`check_case_file`), or its evidence is invalid.
    """
    problems = check_case_file(case_file, registry)
    if problems:
        raise RuleFileError(problems)
    rule = registry.rules[case_file.rule]
    return [_run(rule, case_file, case, registry) for case in case_file.cases]


def run_case(rule_id: str, case: Mapping[str, Any], *, as_of: date, registry: Registry) -> CaseResult:
    """Evaluate one case (a mapping as in a case file) of ``rule_id`` and compare the findings with
    its expectation; an unknown rule or invalid evidence is a mismatch."""
    rule = registry.rules.get(rule_id)
    name = str(case.get("name", "unnamed case"))
    if rule is None:
        return CaseResult(name=name, mismatches=[f"unknown rule {rule_id}"])
    expect = {
        str(k): Expectation(Status(v)) if isinstance(v, str) else Expectation(Status(v["status"]), None, None)
        for k, v in (case.get("expect") or {}).items()
    }
    typed = Case(
        name=name,
        index=0,
        line=None,
        as_of=date.fromisoformat(case["as_of"]) if "as_of" in case else as_of,
        options=dict(case.get("options", {})),
        evidence=case.get("evidence", {}),
        evidence_files=(),
        expect=expect,
        expect_skip=bool(case.get("expect_skip")),
    )
    case_file = CaseFile(path=Path("<memory>"), shown=f"case:{name}", rule=rule_id, cases=(typed,))
    try:
        return _run(rule, case_file, typed, registry)
    except RuleFileError as exc:
        return CaseResult(name=name, mismatches=[f"{name}: invalid evidence: {p}" for p in exc.problems])


def run_case_file(
    path: Path, *, rule_paths: Sequence[Path] = (), plugins: Sequence[str] = (), autoload: bool = False
) -> list[CaseResult]:
    """Run every case in a case file against the built-ins plus ``plugins`` and ``rule_paths`` (and the
    installed plugins only with ``autoload``).

    :raises AssertionError: listing every mismatch of every case.
    :raises CapcheckError: the case file is invalid or cannot run (file, line and pointer).
    """
    case_file = load_case_file(path)
    results = run_cases(case_file, harness_registry(rule_paths, plugins, autoload=autoload))
    problems = [f"{r.location}: {r.name}: {m}" for r in results for m in r.mismatches]
    if problems:
        raise AssertionError(f"{case_file.shown}: {case_file.rule}:\n  " + "\n  ".join(problems))
    return results


def run_rule(
    rule: Rule | str,
    records: Mapping[str, Sequence[Mapping[str, Any]]],
    *,
    as_of: date,
    options: Mapping[str, Any] | None = None,
    registry: Registry | None = None,
    include_passed: bool = True,
) -> list[Finding]:
    """Run one rule over in-memory records (by kind), validated like evidence files; the typed findings.

    For a Python rule's unit tests (the pytest plugin's ``capcheck_run`` fixture)::

        findings = run_rule(my_rule, {"supplier-contracts": [{"id": "C-1", ...}]}, as_of=date(2026, 11, 25))
        assert [f.status.value for f in findings] == ["fail"]

    :param rule: a :class:`Rule` (a ``@rule`` function) or a rule id in ``registry``.
    :param registry: the kinds to validate against and the rules to look ids up in (default: the built-ins).
    :raises EvidenceError: a record does not validate against its kind.
    :raises UsageError: the rule reads a kind ``registry`` lacks (its plugin is not loaded).
    :raises KeyError: an unknown rule id.
    """
    registry = registry if registry is not None else harness_registry()
    resolved = registry.rules[rule] if isinstance(rule, str) else rule
    unknown = [k for k in resolved.meta.kinds if k not in registry.kinds]
    if unknown:  # a plugin's rule given as a function, its plugin not loaded: say how, not only "unknown kind"
        raise UsageError(
            f"rule {resolved.meta.id!r} reads evidence kind {unknown[0]!r}, which no loaded plugin registers: load "
            'the plugin that does (pytest: capcheck_plugins = ["acme.plugin"] in the pytest configuration, or '
            '--capcheck-plugin; in code: run_rule(..., registry=harness_registry(plugins=["acme.plugin"])))'
        )
    evidence = evidence_from_records(records, kinds=registry.kinds, name=f"run_rule:{resolved.meta.id}")
    evaluation = evaluate(
        [resolved],
        evidence,
        as_of=as_of,
        options={resolved.meta.id: dict(options or {})},
        include_passed=include_passed,
    )
    return list(evaluation.findings)
