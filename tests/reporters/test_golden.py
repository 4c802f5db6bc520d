"""Golden files: every reporter's bytes for a few check results, pinned in ``golden/<case>/<format><ext>``.

Each :class:`Case` is a result (the fixture runs, the bundled example, hand-built hostile values), the
display options and, for a few, caps lowered so that a small run reaches them. Every registered reporter
writes every case (unless the case names its formats) through ``Reporter.write``, the way the CLI does;
``render`` must return the same text, and the bytes must be the golden file's. What changes between runs
and releases is fixed first by :func:`normalise`. When an output is meant to change, rewrite the files with
``pytest tests/reporters/test_golden.py --update-golden`` and read the diff (``git diff tests/reporters/golden``)
before committing it: the diff *is* the review of the change. See ``docs/reporters.md`` ("Golden files").
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import importlib
import io
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from test_reporter_ci import _PIECES as CI_PIECES
from test_reporters_fuzz import _INVISIBLE_PIECES as INVISIBLE_PIECES
from test_reporters_fuzz import _PIECES as FUZZ_PIECES
from test_reporters_fuzz import _result as hostile_result
from test_streaming import _lazy

from capcheck._version import __version__
from capcheck.app.runner import CheckRequest, run_check
from capcheck.builtins import reporters as builtin_reporters
from capcheck.core.models import RunResult, Severity
from capcheck.core.outcomes import Findings
from capcheck.core.reporting import RenderOptions, Reporter

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
GOLDEN = HERE / "golden"
FIXTURES = HERE / "fixtures"
EXAMPLE = ROOT / "examples" / "northgate-health-digital" / "evidence"
#: The fixtures' rule module, relative to the repository root (where the cases run): its path is in the reports
#: (a rule's source, the scorecard's note on rules from outside the pack), the same in every checkout.
PLUGIN = (FIXTURES / "raising_rules.py").relative_to(ROOT)
AS_OF = date(2026, 11, 25)

#: What a golden file shows for capcheck's version (the tool's, and a built-in rule's source).
VERSION = "0.0.0+golden"
#: What a golden file shows for the run's start and end (a fraction of a second and a second apart, so
#: that a format rounding or dropping either shows).
STARTED = datetime(2026, 11, 25, 9, 30, 15, 250_000, tzinfo=UTC)
FINISHED = datetime(2026, 11, 25, 9, 30, 16, 750_000, tzinfo=UTC)


def normalise(result: RunResult) -> RunResult:
    """``result`` with what changes from run to run or release to release fixed: the tool's version (and a
    built-in rule's source version, which is the tool's) is :data:`VERSION`, the run started at
    :data:`STARTED` and finished at :data:`FINISHED`. Nothing else is touched: the findings stay as the run
    made them (lazy or not), and paths are relative because the cases run and render in the repository root.
    """
    rules = tuple(
        dataclasses.replace(r, source=dataclasses.replace(r.source, version=VERSION))
        if r.source is not None and r.source.version == __version__
        else r
        for r in result.rules
    )
    return dataclasses.replace(result, tool_version=VERSION, started=STARTED, finished=FINISHED, rules=rules)


@functools.cache
def _run(*paths: Path, **kwargs: Any) -> RunResult:
    # Paths in a result and a report are shown relative to the working directory: the repository root.
    with contextlib.chdir(ROOT):
        request = CheckRequest(paths=list(paths), as_of=AS_OF, fail_on=Severity.LOW, **kwargs)
        return normalise(run_check(request))


#: The rules the fixture cases run: between them every status (the waivers and the baseline name four of
#: them), every severity but info, and a rule that skips; the others would only repeat rule metadata.
FIXTURE_RULES = (
    *("COMM-001", "COMM-004", "COMM-006", "CYBER-005", "GOV-001"),
    *("GOV-002", "INFRA-001", "INFRA-003", "INFRA-004", "ROLE-001"),
)


def _fixture(select: tuple[str, ...] = FIXTURE_RULES, **kwargs: Any) -> RunResult:
    """The fixture evidence over :data:`FIXTURE_RULES`."""
    return _run(FIXTURES / "evidence", select=select, **kwargs)


def _full(request: pytest.FixtureRequest) -> RunResult:
    """Every status (error, fail, skip, pass), passes listed: the ``full_result`` fixture."""
    plugin = str(PLUGIN)
    return _fixture((*FIXTURE_RULES, "DATA-901"), plugins=(plugin,), include_passed=True)


def _full_every_rule(request: pytest.FixtureRequest) -> RunResult:
    """:func:`_full` with every rule, as the ``full_result`` fixture: most skip, for want of their evidence."""
    return _fixture((), plugins=(str(PLUGIN),), include_passed=True)


def _governed(request: pytest.FixtureRequest) -> RunResult:
    """Waived and baselined findings, every waiver state, fixed baseline entries: ``governed_result``."""
    return _fixture(waivers=FIXTURES / "waivers.yaml", baseline=FIXTURES / "baseline.json")


def _scorecard(request: pytest.FixtureRequest) -> RunResult:
    """A run with the hand-built scorecard of ``scorecard_result`` (a hostile area title and cap)."""
    scorecard = request.getfixturevalue("scorecard_result").scorecard
    return dataclasses.replace(_fixture(("COMM-004", "ROLE-001")), scorecard=scorecard)


def _empty(request: pytest.FixtureRequest) -> RunResult:
    """No findings, rules or evidence at all (``empty_result``), under the scorecard of the fixture evidence
    over every rule: areas scored from their criteria (a selection of rules would leave them incomplete)."""
    from capcheck.core.models import Summary

    return dataclasses.replace(_fixture(()), findings=(), summary=Summary(), rules=(), evidence=())


#: Eight values holding every hostile piece the property tests mix (terminal, CI, Markdown, HTML, XML,
#: CSV, bidi, invisible characters, lone surrogates), a few of each per value, in a fixed order; the second (a
#: finding's file, a loader note, a fixed baseline entry's record) has the NUL and the lone surrogate no file
#: system takes.
_PIECES = [*FUZZ_PIECES, *CI_PIECES, *INVISIBLE_PIECES]
HOSTILE = ["".join(_PIECES[(i + 6) % 8 :: 8]) for i in range(8)]


def _hostile(request: pytest.FixtureRequest) -> RunResult:
    """Findings of every status, a waiver in every state, a fixed baseline entry, a loader note and a gate
    message, with :data:`HOSTILE` wherever evidence, waivers or the baseline reach a report."""
    with contextlib.chdir(ROOT):
        result = normalise(hostile_result(HOSTILE))
    # Its findings are COMM-004's: the other rules' metadata (and the scorecard, see "scorecard") is not hostile.
    return dataclasses.replace(result, rules=tuple(r for r in result.rules if r.id == "COMM-004"), scorecard=None)


def _lazy_hostile(request: pytest.FixtureRequest) -> RunResult:
    """A run's lazy findings from three generated rules with hostile titles, fixes, messages, record ids
    and groups, every status: what a large run's reporters read."""
    with contextlib.chdir(ROOT):
        lazy = _lazy(_fixture(("ROLE-001",)), HOSTILE, [0, 1, 2, 3, 4, 0, 2, 1, 4, 3, 0, 0])
        return dataclasses.replace(normalise(lazy), scorecard=None)


def _example(request: pytest.FixtureRequest) -> RunResult:
    """The bundled example, passes listed: a real organisation, its profile gaps, thousands of findings."""
    return _run(EXAMPLE, include_passed=True)


#: A few of the example's rules: failures of every severity but info, passes and a skip; with the caps
#: lowered (:data:`_CAPS`), more of each level than GitHub and Azure annotate, more than HTML's page lists.
EXAMPLE_RULES = ("CYBER-002", "INFRA-003", "CULT-005", "DELIV-006", "INFRA-006")


def _example_rules(request: pytest.FixtureRequest) -> RunResult:
    """The bundled example over :data:`EXAMPLE_RULES`: its failures and skips listed, its passes counted."""
    return _run(EXAMPLE, select=EXAMPLE_RULES)


#: The display options the tests use: as the CLI passes them, and the three that change what is written.
DEFAULT = RenderOptions(base_dir=ROOT)
COMPACT = RenderOptions(sarif_max_results=3, limit=0, layout="compact", markdown_limit=2000)
DEBUG = RenderOptions(sarif_max_results=1, limit=2, show=frozenset({"fail", "waived", "pass", "criteria"}), debug=True)
QUIET = RenderOptions(sarif_max_results=0, layout="quiet", min_severity=Severity.HIGH, color=True, markdown_limit=0)
#: The formats that read the display options (the others write the same bytes at any).
OPTIONED = ("text", "markdown", "sarif")


@dataclass(frozen=True)
class Case:
    """One result written by each reporter: ``golden/<name>/<format><ext>``."""

    name: str
    #: The result, given the test's request (for a fixture).
    result: Callable[[pytest.FixtureRequest], RunResult]
    options: RenderOptions = DEFAULT
    #: The formats written (None: every registered reporter).
    formats: tuple[str, ...] | None = None
    #: Caps lowered for this case, ``(module, attribute, value)``, so that a small run reaches them.
    patches: tuple[tuple[str, str, object], ...] = field(default=())


_HTML = "capcheck.builtins.reporters.html"
#: The caps a few findings do not reach: HTML's rows and first page, GitHub's annotations per level, Azure's
#: issues per type.
_CAPS = (
    (_HTML, "MAX_ROWS", 12),
    (_HTML, "PAGE", 5),
    ("capcheck.builtins.reporters.github", "MAX_PER_LEVEL", 3),
    ("capcheck.builtins.reporters.azure", "MAX_PER_TYPE", 3),
)
#: The text and Markdown reports, which the display options change most.
_READ = ("text", "markdown")
CASES = [
    Case("full", _full),
    Case("full-compact", _full, COMPACT, OPTIONED),
    Case("full-debug", _full, DEBUG, OPTIONED),
    Case("full-quiet", _full, QUIET, _READ),
    # Every rule's metadata would only make SARIF, JSON, JUnit and HTML long: the formats that list skips.
    Case("full-every-rule", _full_every_rule, formats=("text", "markdown", "csv", "github", "azure-devops", "gitlab")),
    Case("full-every-rule-compact", _full_every_rule, COMPACT, _READ),
    Case("governed", _governed),
    Case("governed-compact", _governed, COMPACT, _READ),
    Case("governed-debug", _governed, DEBUG, _READ),
    Case("scorecard", _scorecard, formats=("text", "markdown", "html", "json", "sarif", "junit")),
    Case("scorecard-debug", _scorecard, DEBUG, ("text",)),
    Case("empty", _empty),
    Case("hostile", _hostile),
    Case("hostile-compact", _hostile, COMPACT, OPTIONED),
    Case("hostile-debug", _hostile, DEBUG, OPTIONED),
    Case("lazy-hostile", _lazy_hostile),
    Case("example", _example, formats=_READ),
    Case("example-debug", _example, DEBUG, ("text",)),
    Case("example-colour", _example, dataclasses.replace(DEFAULT, color=True), ("text",)),
    Case("example-rules", _example_rules, patches=_CAPS),
    Case("example-rules-compact", _example_rules, COMPACT, OPTIONED, _CAPS),
]  # fmt: skip


@functools.cache
def _reporters() -> dict[str, Reporter]:
    """The built-in reporters by name, from each module's hook (a plugin installed beside capcheck adds none)."""
    reporters: dict[str, Reporter] = {}
    for info in pkgutil.iter_modules(builtin_reporters.__path__):
        module = importlib.import_module(f"{builtin_reporters.__name__}.{info.name}")
        for reporter in module.capcheck_reporters() if hasattr(module, "capcheck_reporters") else ():
            reporters[reporter.name] = reporter
    return reporters


def _cases() -> Iterator[tuple[Case, str]]:
    for case in CASES:
        for name in case.formats or tuple(_reporters()):
            yield case, name


def _path(case: Case, name: str) -> Path:
    return GOLDEN / case.name / f"{name}{_reporters()[name].extension}"


def _shown(line: str, width: int = 160) -> str:
    """A line of a diff as a terminal can show it: control characters escaped, cut to ``width``."""
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in line.rstrip("\n"))
    return text if len(text) <= width else text[: width - 3] + "..."


def difference(expected: bytes, actual: bytes, context: int = 60, lines: int = 30) -> str:
    """Where ``actual`` first differs from ``expected`` (line, column and the text around it; HTML is long
    lines) and the start of a unified diff, short enough to read in a test failure."""
    at = next((i for i, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b), None)
    at = min(len(expected), len(actual)) if at is None else at
    line = expected.count(b"\n", 0, at) + 1
    column = at - (expected.rfind(b"\n", 0, at) + 1) + 1
    start = max(0, at - context)

    def around(data: bytes) -> str:
        return _shown(data[start : at + context].decode("utf-8", "replace"), 4 * context)

    old = expected.decode("utf-8", "replace").splitlines(keepends=True)
    new = actual.decode("utf-8", "replace").splitlines(keepends=True)
    diff = list(difflib.unified_diff(old, new, "golden", "written", n=1))
    shown = [_shown(d) for d in diff[:lines]] + (
        [f"... {len(diff) - lines} more diff lines"] if len(diff) > lines else []
    )
    return "\n".join(
        [
            f"first difference at line {line}, column {column} (byte {at}):",
            f"  golden:  {around(expected)}",
            f"  written: {around(actual)}",
            *shown,
        ]
    )


def _written(reporter: Reporter, result: RunResult, options: RenderOptions) -> bytes:
    assert reporter.write is not None, f"{reporter.name} does not stream"
    out = io.BytesIO()
    reporter.write(result, options, out)
    return out.getvalue()


@pytest.mark.parametrize(("case", "name"), list(_cases()), ids=[f"{c.name}/{n}" for c, n in _cases()])
def test_the_written_bytes_are_the_golden_file(
    case: Case, name: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = case.result(request)
    monkeypatch.chdir(ROOT)
    for module, attribute, value in case.patches:
        monkeypatch.setattr(importlib.import_module(module), attribute, value)
    reporter = _reporters()[name]
    actual = _written(reporter, result, case.options)
    assert reporter.render(result, case.options).encode("utf-8") == actual, "render is not the written text"
    if isinstance(result.findings, Findings):  # a run's lazy findings: as plain values (a plugin's), the same bytes
        values = dataclasses.replace(result, findings=tuple(result.findings))
        assert _written(reporter, values, case.options) == actual, "the findings as values are written otherwise"
    path = _path(case, name)
    if request.config.getoption("update_golden"):
        if not path.is_file() or path.read_bytes() != actual:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(actual)
        return
    if not path.is_file():
        pytest.fail(f"no golden file {path.relative_to(ROOT)}: write it with --update-golden", pytrace=False)
    expected = path.read_bytes()
    if actual != expected:
        pytest.fail(
            f"{name} no longer writes {path.relative_to(ROOT)}; if the change is meant, rewrite the golden files "
            f"with `pytest tests/reporters/test_golden.py --update-golden` and review `git diff tests/reporters/golden`"
            f"\n{difference(expected, actual)}",
            pytrace=False,
        )


def test_every_golden_file_belongs_to_a_case(request: pytest.FixtureRequest) -> None:
    """A case or format dropped leaves no golden file behind that nothing compares (--update-golden deletes it)."""
    wanted = {_path(case, name) for case, name in _cases()}
    stale = sorted(p for p in GOLDEN.rglob("*") if p.is_file() and p not in wanted and p.name != ".gitattributes")
    if request.config.getoption("update_golden"):
        for p in stale:
            p.unlink()
        for d in sorted((d for d in GOLDEN.iterdir() if d.is_dir() and not any(d.iterdir())), reverse=True):
            d.rmdir()
        return
    assert not stale, f"golden files no case writes (delete them with --update-golden): {stale}"


def test_no_golden_file_holds_the_checkout_path() -> None:
    """A golden file holds no absolute path of the checkout it was written in: it would differ in every other."""
    held = sorted(
        str(p.relative_to(ROOT)) for p in GOLDEN.rglob("*") if p.is_file() and str(ROOT).encode() in p.read_bytes()
    )
    assert not held, f"golden files holding {ROOT}: {held}"


def test_every_reporter_has_a_golden_file() -> None:
    """Each registered format is pinned by at least one golden file with findings of every status."""
    assert set(_reporters()) <= {name for case, name in _cases() if case.name == "full"}


def test_a_difference_is_shown_short_and_escaped() -> None:
    expected = b"line one\n" + b"<td>x</td>" * 100 + b"\nline three\n"
    actual = expected.replace(b"<td>x</td><td>x", b"<td>x</td><td>\x1b[2J", 1)
    shown = difference(expected, actual)
    assert shown.startswith("first difference at line 2, column 15 (byte 23):")
    assert "\x1b" not in shown and "\\x1b[2J" in shown
    assert all(len(line) <= 260 for line in shown.splitlines())
