"""capcheck's pytest plugin (entry point ``pytest11: capcheck``): rule case files as test items, and
fixtures for Python rules' unit tests.

Collected: every ``*.yaml``/``*.yml`` file in a directory named ``rule_cases`` (at any depth, e.g.
``tests/rule_cases/ACME-001.yaml``), one item per case, failing with every mismatch (expected
against got, per record). Cases run against the built-ins plus the plugins and rule paths the
``capcheck_plugins`` and ``capcheck_rules`` ini options (or ``--capcheck-plugin``) name; installed
capcheck plugins are not loaded unless ``capcheck_autoload = true``, so another plugin in the
environment cannot break these tests.

``--capcheck-coverage`` reports rule coverage after the run (as ``capcheck test --coverage``), and
``--capcheck-min-coverage PCT`` fails the run below PCT percent.

Fixtures: ``capcheck_registry`` (that registry), ``capcheck_evidence(records)`` (an evidence set from
dicts by kind, validated like files) and ``capcheck_run(rule, records, as_of=...)`` (run one rule,
get its typed findings).

Importing this module imports nothing of capcheck: a pytest run without case files pays nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from capcheck.app.harness import Case, CaseFile, CaseResult
    from capcheck.app.registry import Registry
    from capcheck.core.evidence import EvidenceSet
    from capcheck.core.models import Finding
    from capcheck.core.rules import Rule

__all__ = ["CaseFileCollector", "CaseItem", "capcheck_evidence", "capcheck_registry", "capcheck_run"]

#: The directory name whose YAML files are case files.
CASES_DIR = "rule_cases"
_REGISTRY_KEY = pytest.StashKey["Registry"]()
_RESULTS_KEY = pytest.StashKey[list[tuple[str, str, "CaseResult"]]]()
_COVERAGE_KEY = pytest.StashKey[list[str]]()


def _coverage_wanted(config: pytest.Config) -> bool:
    return bool(config.getoption("capcheck_coverage")) or config.getoption("capcheck_min_coverage") is not None


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ini options and ``--capcheck-plugin``."""
    group = parser.getgroup("capcheck", "capcheck rule cases")
    group.addoption(
        "--capcheck-plugin",
        action="append",
        default=[],
        metavar="MOD",
        help="A capcheck plugin (module or ./path.py) whose rules the case files test. Repeatable.",
    )
    group.addoption(
        "--capcheck-coverage",
        action="store_true",
        help="Report capcheck rule coverage (cases both ways, condition branches) after the run.",
    )
    group.addoption(
        "--capcheck-min-coverage",
        type=float,
        metavar="PCT",
        default=None,
        help="Fail the run when capcheck rule coverage is below PCT percent (implies --capcheck-coverage).",
    )
    parser.addini("capcheck_plugins", "capcheck plugins (modules or paths) whose rules the cases test", "linelist")
    parser.addini("capcheck_rules", "declarative rule files or directories the cases test", "linelist")
    parser.addini("capcheck_autoload", "also load installed capcheck plugins (entry points)", "bool", default=False)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """A case file becomes a collector of its cases."""
    if file_path.suffix.lower() in (".yaml", ".yml") and file_path.parent.name == CASES_DIR:
        collector: CaseFileCollector = CaseFileCollector.from_parent(parent, path=file_path)
        return collector
    return None


def _registry(config: pytest.Config) -> Registry:
    """The registry cases and fixtures run against, built once per session."""
    registry = config.stash.get(_REGISTRY_KEY, None)
    if registry is None:
        from capcheck.app.harness import harness_registry

        root = config.rootpath
        plugins = [*config.getini("capcheck_plugins"), *config.getoption("capcheck_plugin")]
        rules = [root / p for p in config.getini("capcheck_rules")]
        registry = harness_registry(
            rules, plugins, autoload=bool(config.getini("capcheck_autoload")), coverage=_coverage_wanted(config)
        )
        config.stash[_REGISTRY_KEY] = registry
    return registry


def _capcheck_error(excinfo: pytest.ExceptionInfo[BaseException]) -> str | None:
    from capcheck.core.errors import CapcheckError

    if isinstance(excinfo.value, CapcheckError):
        return f"capcheck {excinfo.value.kind}:\n" + "\n".join(f"  {p}" for p in excinfo.value.problems)
    return None


class CaseMismatch(AssertionError):
    """A case's findings differ from its expectation."""

    def __init__(self, result: CaseResult) -> None:
        self.result = result
        super().__init__("\n".join(result.mismatches))


class CaseFileCollector(pytest.File):
    """A case file: one item per case. An invalid file is a collection error naming file, line and pointer."""

    def collect(self) -> Iterator[CaseItem]:
        """The cases, named by their ``name`` (a repeated name gets `` (2)``)."""
        from capcheck.app.harness import load_case_file

        case_file = load_case_file(self.path)
        used: set[str] = set()
        for case in case_file.cases:
            name, n = case.name, 1
            while name in used:
                n += 1
                name = f"{case.name} ({n})"
            used.add(name)
            item: CaseItem = CaseItem.from_parent(self, name=name, case_file=case_file, case=case)
            yield item

    def repr_failure(  # type: ignore[override]  # pytest's signature has a style parameter we do not need
        self, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> str | Any:
        """A capcheck error as its located problems, not a traceback."""
        return _capcheck_error(excinfo) or super().repr_failure(excinfo)


class CaseItem(pytest.Item):
    """One case of a case file."""

    def __init__(self, *, case_file: CaseFile, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case_file = case_file
        self.case = case

    def runtest(self) -> None:
        """Run the case; raise :class:`CaseMismatch` with every mismatch."""
        from capcheck.app.harness import run_one_case

        result = run_one_case(self.case_file, self.case, _registry(self.config))
        self.config.stash.setdefault(_RESULTS_KEY, []).append((self.case_file.shown, self.case_file.rule, result))
        if result.mismatches:
            raise CaseMismatch(result)

    def repr_failure(  # type: ignore[override]  # as above
        self, excinfo: pytest.ExceptionInfo[BaseException]
    ) -> str | Any:
        """Expected against got, per record; a capcheck error as its located problems."""
        if isinstance(excinfo.value, CaseMismatch):
            lines = [f"{self.case_file.rule}: {self.case.name} ({excinfo.value.result.location})"]
            lines += [f"  {m}" for m in excinfo.value.result.mismatches]
            return "\n".join(lines)
        return _capcheck_error(excinfo) or super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the case is, for pytest's report."""
        line = self.case.line - 1 if self.case.line is not None else None
        return self.path, line, f"{self.case_file.rule}: {self.case.name}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With ``--capcheck-coverage``: compute coverage of the rules under test (those of the named plugins and
    rules, else the built-ins) from the cases that ran; below ``--capcheck-min-coverage`` the run fails."""
    config = session.config
    results = config.stash.get(_RESULTS_KEY, None)
    if not _coverage_wanted(config):
        return
    if results is None:  # nothing measured: say so, and never let a gate pass on it
        lines = [
            f"no rule case was collected: this plugin collects *.yaml and *.yml files in folders named {CASES_DIR} "
            "(cases run through capcheck.testing in a test function are not counted; 'capcheck test DIR "
            "--coverage' measures any folder)"
        ]
        minimum = config.getoption("capcheck_min_coverage")
        if minimum is not None:
            lines.append(f"gate failed: no coverage was measured, so none reaches --capcheck-min-coverage {minimum:g}%")
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        config.stash[_COVERAGE_KEY] = lines
        return
    from capcheck.app.testreport import FileResult, compute_coverage, coverage_lines, gate_failures

    registry = _registry(config)
    named = bool(
        config.getini("capcheck_plugins") or config.getoption("capcheck_plugin") or config.getini("capcheck_rules")
    )
    under_test = [r for r in registry.rules.values() if (r.source.type != "builtin") == named]
    by_file: dict[tuple[str, str], list[CaseResult]] = {}
    for shown, rule, result in results:
        by_file.setdefault((shown, rule), []).append(result)
    cov = compute_coverage(under_test, [FileResult(f, r, tuple(cs)) for (f, r), cs in sorted(by_file.items())])
    gates = gate_failures(
        cov, config.getoption("capcheck_min_coverage"), require_tests=False, option="--capcheck-min-coverage"
    )
    config.stash[_COVERAGE_KEY] = [*coverage_lines(cov), *(f"gate failed: {g}" for g in gates)]
    if gates and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """The coverage report, after the test results."""
    lines = config.stash.get(_COVERAGE_KEY, None)
    if lines:
        from capcheck.core.escaping.terminal import terminal

        terminalreporter.section("capcheck rule coverage")
        for line in lines:
            terminalreporter.write_line(terminal(line))


@pytest.fixture(scope="session")
def capcheck_registry(pytestconfig: pytest.Config) -> Registry:
    """The built-ins plus the plugins and rules the ``capcheck_plugins``/``capcheck_rules`` ini options name."""
    return _registry(pytestconfig)


@pytest.fixture
def capcheck_evidence(
    capcheck_registry: Registry,
) -> Callable[[Mapping[str, Sequence[Mapping[str, Any]]]], EvidenceSet]:
    """``capcheck_evidence({"it-assets": [{...}]})``: an evidence set from records by kind, validated
    against the kinds like files are (an invalid record raises ``EvidenceError``)."""
    from capcheck.core.evidence import evidence_from_records

    def build(records: Mapping[str, Sequence[Mapping[str, Any]]]) -> EvidenceSet:
        return evidence_from_records(records, kinds=capcheck_registry.kinds, name="capcheck_evidence")

    return build


@pytest.fixture
def capcheck_run(capcheck_registry: Registry) -> Callable[..., list[Finding]]:
    """``capcheck_run(rule, records, as_of=date(2026, 11, 25), options=None)``: run one rule (a ``Rule``,
    e.g. a ``@rule`` function, or a rule id) over records by kind; its findings, passes included."""
    from capcheck.app.harness import run_rule

    def run(
        rule: Rule | str,
        records: Mapping[str, Sequence[Mapping[str, Any]]],
        *,
        as_of: date | str,
        options: Mapping[str, Any] | None = None,
        include_passed: bool = True,
    ) -> list[Finding]:
        day = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
        return run_rule(
            rule, records, as_of=day, options=options, registry=capcheck_registry, include_passed=include_passed
        )

    return run
