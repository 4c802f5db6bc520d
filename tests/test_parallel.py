"""A check split over processes (capcheck.app.parallel): the plan, the kinds told from a file's head, and the
same result, byte for byte in every reporter, as in one process."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import io
import json
import os
import pkgutil
import re
import signal
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from capcheck.app import parallel
from capcheck.app.config import Config
from capcheck.app.runner import CheckRequest, load_registry, run_check
from capcheck.builtins import reporters as builtin_reporters
from capcheck.core.errors import EvidenceError
from capcheck.core.models import RunResult, Severity
from capcheck.core.reporting import RenderOptions, Reporter
from capcheck.core.rules import Rule, rule
from generator import load_generator

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 11, 25)
TEXT = {"description": "What it checks.", "rationale": "Why it matters.", "remediation": "How to fix it."}
KINDS = ("supplier-contracts", "it-assets", "governance-register")

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="checks are split only where fork is safe (Linux)")


@pytest.fixture(scope="module")
def registers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmark generator's three registers at high failure, 300 records each, one record a line."""
    generate = load_generator()
    out = tmp_path_factory.mktemp("registers")
    for kind in KINDS:
        records = generate.generate_records(kind, 300, 2017, "high-failure")
        generate.write_json(out / f"{kind}.json", kind, records, 2017)
    return out


def _rule(rule_id: str, kinds: list[str], **meta: Any) -> Rule:
    def check(evidence: Any, ctx: Any) -> Iterator[Any]:
        for record in evidence.records(kinds[0]):
            yield ctx.passed(record)

    area = rule_id.split("-")[0]
    return rule(id=rule_id, title="A test rule", area=area, severity="low", kinds=kinds, **TEXT, **meta)(check)


# -- the plan ------------------------------------------------------------------------------------------------


def test_kinds_one_rule_reads_together_are_one_part_and_the_largest_parts_are_filled_first() -> None:
    rules = [
        _rule("COMM-901", ["supplier-contracts", "governance-register"]),
        _rule("INFRA-901", ["it-assets"]),
        _rule("GOV-901", ["governance-register"]),
        _rule("DATA-901", ["data-assets"]),  # not given: judged by no part (its skip needs no records)
    ]
    kinds_of = [frozenset({k}) for k in ("governance-register", "it-assets", "supplier-contracts", "roles")]
    parts = parallel.plan(rules, kinds_of, [30, 40, 50, 5], jobs=2)
    assert parts == [
        parallel.Part(files=(0, 2), rules=(0, 2), size=80),
        parallel.Part(files=(1, 3), rules=(1,), size=45),
    ]


def test_reads_and_any_of_join_kinds_and_a_file_of_several_kinds_joins_them() -> None:
    rules = [
        _rule("CYBER-901", ["it-assets"], reads=["organisation"]),
        _rule("ROLE-901", ["roles"], any_of=["governance-register", "service-catalogue"]),
    ]
    kinds_of = [
        frozenset({"it-assets"}),
        frozenset({"organisation", "supplier-contracts"}),  # a workbook of two sheets
        frozenset({"roles"}),
        frozenset({"service-catalogue"}),
    ]
    parts = parallel.plan(rules, kinds_of, [10, 10, 10, 10], jobs=2)
    assert parts is not None
    assert sorted(p.files for p in parts) == [(0, 1), (2, 3)]


def test_a_check_is_not_split_into_fewer_than_two_parts() -> None:
    rules = [_rule("COMM-901", ["supplier-contracts", "it-assets"])]
    kinds_of = [frozenset({"supplier-contracts"}), frozenset({"it-assets"})]
    assert parallel.plan(rules, kinds_of, [1, 1], jobs=2) is None  # one rule reads both
    assert parallel.plan([], kinds_of, [1, 1], jobs=1) is None  # one job


def test_the_parts_never_exceed_the_jobs() -> None:
    kinds_of = [frozenset({f"kind-{i}"}) for i in range(7)]
    parts = parallel.plan([], kinds_of, [7, 6, 5, 4, 3, 2, 1], jobs=3)
    assert parts is not None and len(parts) == 3
    assert sorted(i for p in parts for i in p.files) == list(range(7))
    assert [p.size for p in parts] == [10, 9, 9]


def test_files_read_together_are_one_part_whatever_their_kinds() -> None:
    kinds_of = [frozenset({"supplier-contracts"}), frozenset({"it-assets"}), frozenset({"roles"})]
    parts = parallel.plan([], kinds_of, [10, 10, 10], jobs=3, together=[[0, 1]])
    assert parts is not None and sorted(p.files for p in parts) == [(0, 1), (2,)]


def test_a_file_of_no_kind_is_a_group_of_its_own() -> None:
    parts = parallel.plan([], [frozenset(), frozenset({"roles"})], [3, 5], jobs=2)
    assert parts == [parallel.Part(files=(1,), rules=(), size=5), parallel.Part(files=(0,), rules=(), size=3)]


# -- the same result -------------------------------------------------------------------------------------------


def _reporters() -> dict[str, Reporter]:
    found: dict[str, Reporter] = {}
    for info in pkgutil.iter_modules(builtin_reporters.__path__):
        module = importlib.import_module(f"{builtin_reporters.__name__}.{info.name}")
        for reporter in module.capcheck_reporters() if hasattr(module, "capcheck_reporters") else ():
            found[reporter.name] = reporter
    return found


def _reports(result: RunResult, options: RenderOptions | None = None) -> dict[str, bytes]:
    """Every built-in reporter's bytes for ``result``, its times fixed."""
    fixed = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    result = dataclasses.replace(result, started=fixed, finished=fixed)
    out: dict[str, bytes] = {}
    for name, reporter in _reporters().items():
        assert reporter.write is not None
        buffer = io.BytesIO()
        reporter.write(result, options or RenderOptions(), buffer)
        out[name] = buffer.getvalue()
    return out


#: The reporters that make a rule's text where its records are (``Reporter.segment``).
SEGMENTED = ("json", "sarif", "junit", "csv")


def _split_and_whole(monkeypatch: pytest.MonkeyPatch, **request: Any) -> tuple[RunResult, RunResult, int]:
    """The same check run with ``jobs=1`` and ``jobs=2``, and how many parts the second was split into."""
    parts: list[int] = []
    run_parts = parallel.run_parts

    def counted(plan: Any, work: Any, debug: bool = False) -> Any:
        parts.append(len(plan))
        return run_parts(plan, work, debug)

    monkeypatch.setattr(parallel, "run_parts", counted)
    whole = run_check(CheckRequest(as_of=AS_OF, fail_on=Severity.LOW, jobs=1, **request))
    assert parts == []
    split = run_check(CheckRequest(as_of=AS_OF, fail_on=Severity.LOW, jobs=2, **request))
    return whole, split, parts[0] if parts else 0


@pytest.mark.parametrize("include_passed", [False, True])
def test_a_split_check_writes_the_same_bytes_in_every_reporter(
    registers: Path, monkeypatch: pytest.MonkeyPatch, include_passed: bool
) -> None:
    """Every rule over the three registers (joins, aggregates, skips for want of other kinds), in two processes."""
    whole, split, parts = _split_and_whole(monkeypatch, paths=[registers], include_passed=include_passed)
    assert parts == 2
    assert whole.summary.by_status["fail"] > 300  # a check that fails a lot, not an empty one
    assert [f.path for f in split.evidence] == [f.path for f in whole.evidence]
    reports, expected = _reports(split), _reports(whole)
    for name in expected:
        assert reports[name] == expected[name], f"{name} differs when the check is split"


@pytest.mark.parametrize("formats", [("json",), ("sarif",), ("junit",), ("csv",), SEGMENTED], ids="+".join)
@pytest.mark.parametrize("governed", [False, True])
def test_the_parts_write_their_rules_text_and_it_is_the_same_bytes(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, governed: bool, formats: tuple[str, ...]
) -> None:
    """With ``formats`` each child writes its rules' findings in those formats (``Reporter.segment``), after applying
    the waivers and the baseline as the parent does: each report is the same, and so is every other reporter's, with
    the SARIF log's paths relative to a base directory or not, and capped (its segments then unused) or not."""
    governance: dict[str, Any] = {}
    if governed:
        whole = run_check(CheckRequest(paths=[registers], as_of=AS_OF, jobs=1))
        failing = [f for f in whole.findings if f.status.value == "fail" and f.evidence and f.evidence.record_id]
        by_rule: dict[str, list[str]] = {}
        for f in failing:
            by_rule.setdefault(f.rule_id, []).append(f.evidence.record_id)  # type: ignore[union-attr]
        waivers = tmp_path / "waivers.yaml"
        waivers.write_text(
            "waivers:\n"
            + "".join(
                f"  - rule: {rule_id}\n    records: {json.dumps([*ids[:3], ids[-1][:5] + '*'])}\n"
                "    reason: Accepted while the register is cleaned.\n    approved_by: Head of Assurance\n"
                "    ticket: RISK-1\n    expires: 2027-01-31\n"
                for rule_id, ids in sorted(by_rule.items())
            )
        )
        from capcheck.assessment.baseline import baseline_document

        baseline = tmp_path / "baseline.json"
        half = dataclasses.replace(whole, findings=tuple(failing[::2]))
        baseline.write_text(json.dumps(baseline_document(half)))
        governance = {"waivers": waivers, "baseline": baseline}
    whole, split, parts = _split_and_whole(monkeypatch, paths=[registers], formats=formats, **governance)
    assert parts == 2
    if governed:
        assert whole.summary.by_status["waived"] > 0 and whole.summary.by_status["baselined"] > 0
        assert split.waivers == whole.waivers and split.baseline == whole.baseline
    blocks = split.findings.blocks  # type: ignore[attr-defined]
    for name in formats:
        made = [b.rule_id for b in blocks if name in b.segments]
        assert made and len(made) < len(split.rules)  # the child's rules written there, the parent's by the writer
    assert all(set(b.segments) <= set(formats) for b in blocks)
    for options in (RenderOptions(), RenderOptions(base_dir=ROOT, sarif_max_results=0), _CAPPED):
        reports, expected = _reports(split, options), _reports(whole, options)
        for name in expected:
            assert reports[name] == expected[name], f"{name} differs when the check is split ({options})"


#: A SARIF log that lists only some results: a rule's segment, made before the cap was known, is not copied.
_CAPPED = RenderOptions(sarif_max_results=50)


GOLDEN_FIXTURES = ROOT / "tests" / "reporters" / "fixtures"


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"paths": [GOLDEN_FIXTURES / "evidence"], "include_passed": True, "formats": SEGMENTED},
        {"paths": [GOLDEN_FIXTURES / "evidence"], "waivers": GOLDEN_FIXTURES / "waivers.yaml",
         "baseline": GOLDEN_FIXTURES / "baseline.json", "formats": SEGMENTED},
        {"paths": [ROOT / "examples" / "northgate-health-digital" / "evidence"], "formats": SEGMENTED},
    ],
    ids=["fixtures", "governed", "example"],
)  # fmt: skip
def test_the_reporter_fixtures_and_the_example_split_give_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch, request_kwargs: dict[str, Any]
) -> None:
    """JSON, YAML and CSV registers, every rule (rules that raise, skip, join and count), waivers and a baseline,
    and the bundled example (DSPT exports, workbooks, an organisation profile read by rules that declare it)."""
    monkeypatch.chdir(ROOT)
    whole, split, parts = _split_and_whole(monkeypatch, **request_kwargs)
    assert parts == 2
    for options in (RenderOptions(), RenderOptions(base_dir=ROOT, sarif_max_results=0)):
        reports, expected = _reports(split, options), _reports(whole, options)
        for name in expected:
            assert reports[name] == expected[name], f"{name} differs when the check is split ({options})"


def test_a_file_that_changed_kind_since_it_was_peeked_is_a_located_problem(
    registers: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from capcheck.app import runner

    real = runner.peek_file

    def lying(path: Path, *args: Any) -> Any:
        loader, kinds = real(path, *args)
        return loader, frozenset({"roles"}) if path.name == "it-assets.json" else kinds

    monkeypatch.setattr(runner, "peek_file", lying)
    with pytest.raises(EvidenceError) as raised:
        run_check(CheckRequest(paths=[registers], as_of=AS_OF, jobs=2))
    [problem] = raised.value.problems
    assert problem.path is not None and problem.path.endswith("it-assets.json")
    assert "holds 'it-assets' evidence, but before it was read it was seen to hold 'roles'" in problem.message


def test_load_problems_of_both_parts_come_in_the_order_of_one_process(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evidence = tmp_path / "ev"
    evidence.mkdir()
    for kind in KINDS:
        lines = (registers / f"{kind}.json").read_text().splitlines()
        lines[3] = lines[3].replace('"id":', '"id":5,"x":', 1)  # a record whose id is not a string, then a dup key
        (evidence / f"{kind}.json").write_text("\n".join(lines))
    (evidence / "roles.json").write_text('{"kind": "roles", "records": [{"id": "R1"}]}')
    messages = []
    for jobs in (1, 2):
        with pytest.raises(EvidenceError) as raised:
            run_check(CheckRequest(paths=[evidence], as_of=AS_OF, jobs=jobs))
        messages.append([str(p) for p in raised.value.problems])
    assert len(messages[0]) >= 4
    assert messages[1] == messages[0]


def test_a_rule_reading_an_undeclared_kind_errs_the_same_split_or_not(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = tmp_path / "sneaky.py"
    plugin.write_text(
        "from capcheck import hookimpl, rule\n"
        f"@rule(id='INFRA-990', title='Reads contracts unannounced', area='INFRA', severity='low', kinds=['it-assets'],"
        f" **{TEXT!r})\n"
        "def sneaky(evidence, ctx):\n"
        "    n = len(evidence.records('supplier-contracts'))\n"
        "    for a in evidence.records('it-assets'):\n"
        "        yield ctx.failed(a, str(n))\n"
        "@hookimpl\n"
        "def capcheck_rules():\n"
        "    return [sneaky]\n"
    )
    whole, split, parts = _split_and_whole(
        monkeypatch, paths=[registers], plugins=(str(plugin),), select=("INFRA-990", "COMM-001")
    )
    assert parts == 2
    assert _reports(split) == _reports(whole)
    [error] = [f for f in whole.findings if f.rule_id == "INFRA-990"]
    assert "does not declare" in error.message


def test_a_part_that_dies_stops_the_check_with_a_message(registers: Path, tmp_path: Path) -> None:
    """A child killed (out of memory, say) is an internal error naming what happened, never a partial result."""
    plugin = tmp_path / "dies.py"
    plugin.write_text(
        "import os, signal\n"
        "from capcheck import hookimpl, rule\n"
        "def dies(evidence, ctx):\n"
        f"    if os.getpid() != {os.getpid()}:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    yield from ()\n"
        f"TEXT = {TEXT!r}\n"
        "meta = dict(title='Dies in a child', severity='low', **TEXT)\n"
        "rules = [rule(id=f'{area}-991', area=area, kinds=[kind], **meta)(dies)\n"
        "         for area, kind in (('INFRA', 'it-assets'), ('COMM', 'supplier-contracts'))]\n"
        "@hookimpl\n"
        "def capcheck_rules():\n"
        "    return rules\n"
    )
    # Whichever of the two registers is judged in the child, a rule kills it there.
    request = CheckRequest(paths=[registers], as_of=AS_OF, jobs=2, plugins=(str(plugin),),
                           select=("INFRA-991", "COMM-991", "COMM-001", "INFRA-001"), formats=("json",))  # fmt: skip
    import tempfile

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tempfile, "tempdir", str(tmp_path))
        with pytest.raises(parallel.WorkerFailed) as raised:
            run_check(request)
    assert not list(tmp_path.glob("capcheck-segments-*"))  # the parent's own, made meanwhile, unlinked too
    assert f"killed by signal {int(signal.SIGKILL)}" in str(raised.value)
    assert "--jobs 1" in str(raised.value)


@pytest.mark.parametrize("debug", [False, True])
def test_a_bug_in_a_child_comes_back_with_its_traceback_under_debug(
    registers: Path, monkeypatch: pytest.MonkeyPatch, debug: bool
) -> None:
    """As a bug in one process: named, with the hint; its traceback only with --debug."""
    parent = os.getpid()
    real = parallel.PartResult

    def broken(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() != parent:
            raise KeyError("a bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(parallel, "PartResult", broken)
    with pytest.raises(parallel.WorkerFailed) as raised:
        run_check(CheckRequest(paths=[registers], as_of=AS_OF, jobs=2, select=("COMM-001", "INFRA-001"), debug=debug))
    assert "KeyError: 'a bug'" in str(raised.value)
    assert ("Traceback" in str(raised.value)) is debug
    assert ("--debug" in str(raised.value)) is not debug


def test_small_evidence_is_not_split_unless_jobs_are_asked_for(
    registers: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Taken(Exception):
        pass

    def taken(plan: Any, work: Any, debug: bool = False) -> Any:
        raise Taken

    monkeypatch.setattr(parallel, "run_parts", taken)
    monkeypatch.setattr(parallel, "usable_cores", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.2, 0.2, 0.2))
    request = CheckRequest(paths=[registers], as_of=AS_OF, select=("COMM-001", "INFRA-001"))
    assert run_check(request).summary.by_status["fail"] > 0  # 0.3 MB of evidence: one process
    monkeypatch.setattr(parallel, "MIN_SPLIT_BYTES", 1)
    assert run_check(request).summary.by_status["fail"] > 0  # files of 100 KB on average: one process
    monkeypatch.setattr(parallel, "MIN_SPLIT_FILE_BYTES", 1)
    with pytest.raises(Taken):
        run_check(request)
    monkeypatch.setattr(parallel, "usable_cores", lambda: 1)
    assert run_check(request).summary.by_status["fail"] > 0  # one core: one process


def test_the_findings_document_says_nothing_of_the_split(registers: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole, split, _ = _split_and_whole(monkeypatch, paths=[registers], select=("COMM-001", "INFRA-001"))
    assert json.loads(_reports(split)["json"]) == json.loads(_reports(whole)["json"])


def test_parts_answer_questions_where_their_records_are_until_closed() -> None:
    def work(part: parallel.Part) -> tuple[parallel.PartResult, Any]:
        def answer(question: Any) -> Any:
            if question == "boom":
                raise ValueError("no such kind")
            return (os.getpid(), part.files, question * 2)

        return parallel.PartResult(), answer

    plan = [parallel.Part((0,), (), 9), parallel.Part((1, 2), (), 5)]
    with parallel.run_parts(plan, work) as parts:
        assert len(parts.results) == 2
        here, files, doubled = parts.ask(0, 21)
        assert (here, files, doubled) == (os.getpid(), (0,), 42)
        there, files, doubled = parts.ask(1, "ab")
        assert there != os.getpid() and files == (1, 2) and doubled == "abab"
        with pytest.raises(parallel.WorkerFailed, match="ValueError: no such kind"):
            parts.ask(1, "boom")
        assert parts.ask(1, 1)[2] == 2  # still answering after a question that raised
        child = there
    parallel.reap()  # closed: the child ends (not waited for by close), and is reaped once it has
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)


def test_the_scorecard_s_copies_are_counted_where_the_records_are(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Copies are counted only for an area that could rate above 2 (rarely on failing data): asked here of every
    kind, through the check's own callback, the split check answers as one process does (the parent's part
    in the parent, a child's by a question to the child, a kind not given with none)."""
    from capcheck.app import runner

    evidence = tmp_path / "ev"
    evidence.mkdir()
    for kind in KINDS:
        lines = (registers / f"{kind}.json").read_text().splitlines()
        first = json.loads(lines[1].rstrip(","))
        copies = [json.dumps({**first, "id": f"{first['id']}-copy-{n}"}) + "," for n in range(7)]
        (evidence / f"{kind}.json").write_text("\n".join([lines[0], *copies, *lines[1:]]))
    asked: list[list[tuple[str, int]]] = []  # the run in one process first, then the split one
    real = runner.compute_scorecard

    def asking(*args: Any, **kwargs: Any) -> Any:
        asked.append([(kind, kwargs["copies"](kind, ("title",))) for kind in (*KINDS, "roles")])
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "compute_scorecard", asking)
    whole, split, parts = _split_and_whole(monkeypatch, paths=[evidence], select=("COMM-001", "INFRA-001", "GOV-001"))
    assert parts == 2 and split.scorecard == whole.scorecard
    [serial, divided] = asked
    assert divided == serial
    assert dict(serial)["supplier-contracts"] >= 7 and dict(serial)["roles"] == 0


@pytest.mark.parametrize(
    ("files", "quota"),
    [
        ({"cpu.max": "150000 100000\n"}, 1.5),
        ({"cpu.max": "max 100000\n"}, None),
        ({"cpu/cpu.cfs_quota_us": "100000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 1.0),
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({}, None),
    ],
)
def test_a_container_s_cpu_quota_bounds_the_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], quota: float | None
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert parallel.cpu_quota(tmp_path) == quota
    monkeypatch.setattr(parallel, "CGROUP", tmp_path)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    assert parallel.usable_cores() == (4 if quota is None else max(1, int(quota)))


def test_a_check_that_cannot_fork_runs_in_one_process(registers: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process limit (ulimit -u) or no memory for another process: the check runs as one, with the same result."""
    whole = run_check(CheckRequest(paths=[registers], as_of=AS_OF, jobs=1, select=("COMM-001", "INFRA-001")))

    def refused() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refused)
    split = run_check(CheckRequest(paths=[registers], as_of=AS_OF, jobs=2, select=("COMM-001", "INFRA-001")))
    assert _reports(split) == _reports(whole)


def test_the_parts_are_bounded_whatever_the_jobs() -> None:
    kinds_of = [frozenset({f"kind-{i}"}) for i in range(100)]
    parts = parallel.plan([], kinds_of, [1] * 100, jobs=1000)
    assert parts is not None and len(parts) == parallel.MAX_PARTS


# -- columns: a join on a column does not tie two registers to one process -----------------------------------


def test_a_column_a_rule_reads_does_not_tie_its_kind_to_the_rule_s_part() -> None:
    rules = [
        _rule("COMM-901", ["supplier-contracts", "governance-register"], columns=["governance-register.owner"]),
        _rule("GOV-901", ["governance-register"]),
    ]
    kinds_of = [frozenset({"governance-register"}), frozenset({"supplier-contracts"})]
    parts = parallel.plan(rules, kinds_of, [30, 50], jobs=2)
    assert parts == [
        parallel.Part(files=(1,), rules=(0,), size=50, receives=(1,)),
        parallel.Part(files=(0,), rules=(1,), size=30, sends=((0, (("governance-register", "owner"),)),)),
    ]


def test_the_part_every_column_passes_through_is_the_parent() -> None:
    """Columns pass between the parent's part and a child's only (nothing relays them between children): the part
    that every exchange involves is made the parent, even when it is not the largest."""
    rules = [_rule("COMM-901", ["supplier-contracts", "governance-register"], columns=["governance-register.owner"])]
    kinds_of = [frozenset({"roles"}), frozenset({"governance-register"}), frozenset({"supplier-contracts"})]
    parts = parallel.plan(rules, kinds_of, [100, 30, 50], jobs=3)
    assert parts is not None and sorted(p.files for p in parts) == [(0,), (1,), (2,)]
    assert parts[0].files in ((1,), (2,))  # the governance register's part or the contracts', not the largest
    exchanged = [(p, to) for p, part in enumerate(parts) for to, _ in part.sends]
    assert exchanged and all(0 in pair for pair in exchanged)


def test_two_children_that_would_exchange_a_column_are_one_part() -> None:
    """When no one part is in every exchange, two children that would exchange a column are joined instead."""
    rules = [
        _rule("COMM-901", ["supplier-contracts", "governance-register"], columns=["governance-register.owner"]),
        _rule("INFRA-901", ["it-assets", "roles"], columns=["roles.name"]),
    ]
    kinds_of = [frozenset({"roles"}), frozenset({"governance-register"}), frozenset({"supplier-contracts"}),
                frozenset({"it-assets"})]  # fmt: skip
    parts = parallel.plan(rules, kinds_of, [100, 30, 50, 90], jobs=4)
    assert parts is not None
    for p, part in enumerate(parts):
        for to, _ in part.sends:
            assert 0 in (p, to)


def _columns_rule(tmp_path: Path, body: str) -> Path:
    plugin = tmp_path / "joins.py"
    plugin.write_text(
        "from capcheck import hookimpl, rule\n"
        f"@rule(id='COMM-990', title='Owners in governance', area='COMM', severity='low',"
        " kinds=['supplier-contracts', 'governance-register'], columns=['governance-register.owner'],"
        f" **{TEXT!r})\n"
        "def joins(evidence, ctx):\n" + body + "\n"
        "@hookimpl\n"
        "def capcheck_rules():\n"
        "    return [joins]\n"
    )
    return plugin


@pytest.mark.parametrize("select", [("COMM-990",), ("COMM-990", "INFRA-001")], ids=["child-sends", "parent-sends"])
def test_a_column_read_in_another_process_gives_the_same_findings(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, select: tuple[str, ...]
) -> None:
    """Without INFRA-001 the contracts' part is the larger (the parent's) and the governance register's child sends
    it the column; with it, the parent holds governance and it-assets and sends the column to the contracts' child."""
    plugin = _columns_rule(
        tmp_path,
        "    owners = evidence.values('governance-register', 'owner')\n"
        "    assert evidence.has('governance-register')\n"
        "    for c in evidence.records('supplier-contracts'):\n"
        "        yield ctx.passed(c) if c.get('owner') in owners else ctx.failed(c, 'no role')",
    )
    whole, split, parts = _split_and_whole(monkeypatch, paths=[registers], plugins=(str(plugin),), select=select)
    assert parts == 2
    assert whole.summary.by_rule["COMM-990"]["fail"] > 0 and whole.summary.by_rule["COMM-990"]["pass"] > 0
    assert _reports(split) == _reports(whole)


def test_reading_records_of_a_kind_declared_only_by_a_column_is_an_error_split_or_not(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = _columns_rule(
        tmp_path,
        "    n = len(evidence.records('governance-register'))\n"
        "    for c in evidence.records('supplier-contracts'):\n"
        "        yield ctx.failed(c, str(n))",
    )
    whole, split, _ = _split_and_whole(monkeypatch, paths=[registers], plugins=(str(plugin),), select=("COMM-990",))
    [error] = [f for f in whole.findings if f.rule_id == "COMM-990"]
    assert "beyond the columns it declares of it (governance-register.owner)" in error.message
    assert _reports(split) == _reports(whole)


@pytest.mark.parametrize("broken", ["governance-register", "supplier-contracts"])
@pytest.mark.parametrize("select", [("COMM-990",), ("COMM-990", "INFRA-001")], ids=["child-sends", "parent-sends"])
def test_a_part_that_cannot_load_still_lets_the_other_finish(
    registers: Path, tmp_path: Path, broken: str, select: tuple[str, ...]
) -> None:
    """A part owing a column that stops on a load problem sends none (and nobody waits for it in vain): the check
    stops on the problem, as in one process."""
    evidence = tmp_path / "ev"
    evidence.mkdir()
    for kind in KINDS:
        text = (registers / f"{kind}.json").read_text()
        if kind == broken:
            text = text.replace('"id":', '"id":7,"x":', 1)
        (evidence / f"{kind}.json").write_text(text)
    plugin = _columns_rule(tmp_path, "    yield from ()")
    messages = []
    for jobs in (1, 2):
        with pytest.raises(EvidenceError) as raised:
            run_check(CheckRequest(paths=[evidence], as_of=AS_OF, jobs=jobs, plugins=(str(plugin),), select=select))
        messages.append([str(p) for p in raised.value.problems])
    assert messages[1] == messages[0] and broken in messages[0][0]


def test_a_declarative_join_declares_its_column_and_is_judged_apart_the_same(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "COMM-980.toml").write_text(
        "[[rule]]\n"
        'id = "COMM-980"\ntitle = "Contract owners own a risk"\narea = "COMM"\nseverity = "low"\n'
        'kind = "supplier-contracts"\n'
        'description = "d"\nrationale = "r"\nremediation = "m"\n'
        'message = "contract {id}: owner {owner|none} owns no governance entry"\n'
        'where = { field = "status", in = ["active", "pipeline"] }\n'
        'require = { field = "owner", found_in = { kind = "governance-register", field = "owner" } }\n'
    )
    registry = load_registry(Config(), rule_paths=[rules])
    meta = registry.rules["COMM-980"].meta
    assert meta.columns == ("governance-register.owner",)
    assert meta.record_kinds == ("supplier-contracts",)
    whole, split, parts = _split_and_whole(
        monkeypatch, paths=[registers], rule_paths=[rules], select=("COMM-980", "INFRA-001")
    )
    assert parts == 2 and whole.summary.by_rule["COMM-980"]["fail"] > 0
    assert _reports(split) == _reports(whole)


def test_a_join_on_a_plugin_s_namespaced_kind_is_judged_apart_the_same(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin's kind holds a dot (``acme.owners``): its column, declared by a Python rule's ``columns`` and by a
    declarative ``found_in``, is that kind's field (both rules were refused, the column split at the first dot).
    The register is read by the plugin's own loader, which says its kind before it is read (``kinds_of``)."""
    plugin = tmp_path / "acme.py"
    plugin.write_text(
        "from capcheck import Document, EvidenceKind, Loader, hookimpl, rule\n"
        "from capcheck.core.loading import fixed_kinds\n"
        "def load(source, context):\n"
        "    rows = [line.split('|') for line in source.path.read_text().splitlines()[1:]]\n"
        "    return [Document(kind='acme.owners', records=[{'id': i, 'owner': o} for i, o in rows],"
        " locate=lambda i: i + 2)]\n"
        "@hookimpl\n"
        "def capcheck_loaders():\n"
        "    return [Loader(name='owners', extensions=('.owners',), load=load, kinds_of=fixed_kinds('acme.owners'))]\n"
        "SCHEMA = {'type': 'object', 'required': ['id'], 'properties': {'id': {'type': 'string'},"
        " 'owner': {'type': 'string'}}}\n"
        "@rule(id='acme.COMM-991', title='Owners are registered', area='COMM', severity='low',"
        " kinds=['supplier-contracts', 'acme.owners'], columns=['acme.owners.owner'],"
        f" **{TEXT!r})\n"
        "def joins(evidence, ctx):\n"
        "    owners = evidence.values('acme.owners', 'owner')\n"
        "    for c in evidence.records('supplier-contracts'):\n"
        "        yield ctx.passed(c) if c.get('owner') in owners else ctx.failed(c, 'not registered')\n"
        "@hookimpl\n"
        "def capcheck_kinds():\n"
        "    return [EvidenceKind(id='acme.owners', title='Owners', schema=SCHEMA)]\n"
        "@hookimpl\n"
        "def capcheck_rules():\n"
        "    return [joins]\n"
        "@hookimpl\n"
        "def capcheck_rule_paths():\n"
        f"    return [{str(tmp_path / 'rules')!r}]\n"
    )
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "acme.COMM-992.toml").write_text(
        "[[rule]]\n"
        'id = "acme.COMM-992"\ntitle = "Owners are registered"\narea = "COMM"\nseverity = "low"\n'
        'kind = "supplier-contracts"\ndescription = "d"\nrationale = "r"\nremediation = "m"\n'
        'message = "contract {id}: owner {owner|none} is not registered"\n'
        'require = { field = "owner", found_in = { kind = "acme.owners", field = "owner" } }\n'
    )
    contracts = json.loads((registers / "supplier-contracts.json").read_text())["records"]
    owners = sorted({c["owner"] for c in contracts if "owner" in c})[::2]
    evidence = tmp_path / "ev"
    evidence.mkdir()
    (evidence / "supplier-contracts.json").write_text((registers / "supplier-contracts.json").read_text())
    (evidence / "register.owners").write_text("id|owner\n" + "".join(f"O-{i}|{o}\n" for i, o in enumerate(owners)))
    registry = load_registry(Config(), plugins=(str(plugin),))
    for rule_id in ("acme.COMM-991", "acme.COMM-992"):
        assert registry.rules[rule_id].meta.column_pairs == (("acme.owners", "owner"),)
    whole, split, parts = _split_and_whole(monkeypatch, paths=[evidence], plugins=(str(plugin),), select=("acme.",))
    assert parts == 2
    for rule_id in ("acme.COMM-991", "acme.COMM-992"):
        assert whole.summary.by_rule[rule_id]["fail"] > 0 and whole.summary.by_rule[rule_id]["pass"] > 0
    assert _reports(split) == _reports(whole)


def test_segments_live_in_unlinked_files_and_none_is_left_behind(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A part's reporter text goes to a temporary file (not memory) that the parent opens and unlinks at once; a
    check that stops on a load problem unlinks them too."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    split = run_check(CheckRequest(paths=[registers], as_of=AS_OF, jobs=2, formats=("json",)))
    spans = [s for b in split.findings.blocks for s in b.segments.values()]  # type: ignore[attr-defined]
    assert spans and all(s.file is not None for s in spans)
    assert not list(tmp_path.glob("capcheck-segments-*"))  # unlinked, still readable
    whole = run_check(CheckRequest(paths=[registers], as_of=AS_OF, jobs=1))
    assert _reports(split)["json"] == _reports(whole)["json"]
    evidence = tmp_path / "ev"
    evidence.mkdir()
    for kind in KINDS:
        text = (registers / f"{kind}.json").read_text()
        (evidence / f"{kind}.json").write_text(text.replace('"id":', '"id":7,"x":', 1) if kind == KINDS[0] else text)
    with pytest.raises(EvidenceError):
        run_check(CheckRequest(paths=[evidence], as_of=AS_OF, jobs=2, formats=("json",)))
    assert not list(tmp_path.glob("capcheck-segments-*"))


def test_ctrl_c_in_a_child_is_the_user_s_interrupt(registers: Path, tmp_path: Path) -> None:
    """A rule raising KeyboardInterrupt stops one process with it (exit 130 at the CLI); in a child, too."""
    plugin = tmp_path / "interrupts.py"
    plugin.write_text(
        "import os\n"
        "from capcheck import hookimpl, rule\n"
        "def stop(evidence, ctx):\n"
        f"    if os.getpid() != {os.getpid()}:\n"
        "        raise KeyboardInterrupt\n"
        "    yield from ()\n"
        f"TEXT = {TEXT!r}\n"
        "meta = dict(title='Interrupted in a child', severity='low', **TEXT)\n"
        "rules = [rule(id=f'{area}-992', area=area, kinds=[kind], **meta)(stop)\n"
        "         for area, kind in (('INFRA', 'it-assets'), ('COMM', 'supplier-contracts'))]\n"
        "@hookimpl\n"
        "def capcheck_rules():\n"
        "    return rules\n"
    )
    request = CheckRequest(paths=[registers], as_of=AS_OF, jobs=2, plugins=(str(plugin),),
                           select=("INFRA-992", "COMM-992"))  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        run_check(request)


def test_segments_that_cannot_be_written_are_left_to_the_reporter(
    registers: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk or a file size limit on the temporary files costs the head start, not the check."""
    import tempfile

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    whole, split, parts = _split_and_whole(monkeypatch, paths=[registers], formats=("json",))
    assert parts == 2
    assert not any(b.segments for b in split.findings.blocks)  # type: ignore[attr-defined]
    assert _reports(split) == _reports(whole)


def test_a_check_run_from_a_threaded_program_is_not_split(registers: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A lock another thread holds at a fork stays held in the child: with other threads running, one process."""
    import threading

    calls: list[int] = []
    real = parallel.run_parts
    monkeypatch.setattr(
        parallel, "run_parts", lambda plan, work, debug=False: calls.append(1) or real(plan, work, debug)
    )
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        result = run_check(CheckRequest(paths=[registers], as_of=AS_OF, jobs=2, select=("COMM-001", "INFRA-001")))
    finally:
        stop.set()
        other.join()
    assert calls == [] and result.summary.by_status["fail"] > 0
    run_check(CheckRequest(paths=[registers], as_of=AS_OF, jobs=2, select=("COMM-001", "INFRA-001")))
    assert calls == [1]


@pytest.mark.parametrize(
    ("cores", "load", "jobs"), [(2, 0.2, 2), (2, 1.4, 2), (2, 1.6, 1), (2, 2.5, 1), (8, 3.0, 8), (1, 0.0, 1)]
)
def test_auto_splits_only_while_a_core_is_free(
    monkeypatch: pytest.MonkeyPatch, cores: int, load: float, jobs: int
) -> None:
    """On a machine already busy a second process only waits for a core (as make --load-average reasons)."""
    monkeypatch.setattr(parallel, "usable_cores", lambda: cores)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    assert parallel.auto_jobs() == jobs


@pytest.mark.parametrize(
    ("sizes", "worth"),
    [
        ([parallel.MIN_SPLIT_BYTES], True),
        ([parallel.MIN_SPLIT_BYTES - 1], False),
        ([parallel.MIN_SPLIT_BYTES // 2] * 2, True),
        ([parallel.MIN_SPLIT_BYTES, *[0] * 31], True),  # 8 MiB in 32 files: 256 KiB a file on average, the bound
        ([parallel.MIN_SPLIT_BYTES, *[0] * 32], False),  # the same in 33 files: below it
    ],
)
def test_auto_splits_from_the_bounds_on(sizes: list[int], worth: bool) -> None:
    assert parallel.worth_splitting(sizes) is worth


def test_the_parts_are_kept_to_the_end_of_a_process_that_ends_without_teardown(
    registers: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parent's own records are in no result (only their places are): where the process ends with os._exit
    they are kept, not freed one by one when the check returns."""
    from capcheck.app import runner

    kept: list[object] = []
    monkeypatch.setattr(runner, "keep_to_the_end", kept.append)
    _split_and_whole(monkeypatch, paths=[registers])
    assert len(kept) == 2  # one process, then split
    assert isinstance(kept[1], parallel.Split)
    held = kept[1].parts._answer  # what answers about the parent's records holds them
    assert held is not None


def test_a_part_killed_after_writing_its_text_leaves_no_file_behind(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The segment files are made and unlinked by the parent before the children are forked: a child killed once it
    has written its text (out of memory, say) leaves nothing in the temporary directory, nor does the parent."""
    import tempfile

    parent = os.getpid()
    real = parallel.Segments.make

    def make_then_die(self: parallel.Segments, *args: Any) -> None:
        real(self, *args)
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(parallel.Segments, "make", make_then_die)
    with pytest.raises(parallel.WorkerFailed):
        run_check(CheckRequest(paths=[registers], as_of=AS_OF, jobs=2, formats=("json",)))
    assert not list(tmp_path.iterdir())


def test_the_children_are_not_waited_for_but_reaped_once_ended(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child's end (its memory given back) is not waited for when the check is made: the check returns while a child
    is still ending, and reap() (the next split check's start, or the interpreter's end) collects it then."""
    import time

    parent = os.getpid()
    marker = tmp_path / "may-end"
    real_exit = os._exit

    def slow_exit(code: int) -> None:  # in a child: it ends only once the test says so (or after a minute)
        if os.getpid() != parent:
            for _ in range(600):
                if marker.exists():
                    break
                time.sleep(0.1)
        real_exit(code)

    monkeypatch.setattr(os, "_exit", slow_exit)
    result = run_check(CheckRequest(paths=[registers], as_of=AS_OF, jobs=2, select=("COMM-001", "INFRA-001")))
    assert result.summary.by_status["fail"] > 0
    assert parallel._ending  # returned while the child is still ending: close() did not wait for it
    marker.touch()
    parallel.reap()
    assert parallel._ending == []


@pytest.mark.parametrize(
    ("cap", "made"),
    [((), ("json", "junit", "csv")), (("--sarif-max-results", "0"), ("json", "sarif", "junit", "csv"))],
    ids=["capped", "uncapped"],
)
def test_a_capped_sarif_log_s_results_are_not_made_in_the_parts(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cap: tuple[str, ...], made: tuple[str, ...]
) -> None:
    """A SARIF log capped (the default: 5,000 results) keeps the most severe of every rule's results, so no part makes
    a rule's alone: it would not be copied. Uncapped, it is made with the other formats asked for."""
    from click.testing import CliRunner

    from capcheck import cli
    from capcheck.app import runner

    asked: list[tuple[str, ...]] = []
    run = runner.run_check

    def recorded(request: CheckRequest, *args: Any, **kwargs: Any) -> RunResult:
        asked.append(tuple(request.formats))
        return run(request, *args, **kwargs)

    monkeypatch.setattr(runner, "run_check", recorded)
    reports = [f"{name}={tmp_path / name}" for name in ("sarif", "junit", "csv")]
    args = ["check", str(registers), "--as-of", "2026-11-25", "--jobs", "2", "-f", "json", "-o", str(tmp_path / "j")]
    result = CliRunner().invoke(cli.cli, [*args, *(a for r in reports for a in ("--report", r)), *cap])
    assert result.exit_code == 1, result.output
    assert asked == [made]
    assert json.loads((tmp_path / "sarif").read_text())["runs"][0]["results"]


# -- a child sends only what the parent reads ------------------------------------------------------------------


def _elsewhere(result: RunResult) -> list[str]:
    """The rules whose blocks came without their rows (their text made in a child)."""
    from capcheck.core.outcomes import OutcomesElsewhere

    return [b.rule_id for b in result.findings.blocks if isinstance(b, OutcomesElsewhere)]  # type: ignore[attr-defined]


@pytest.mark.parametrize("formats", [("json",), ("junit", "csv"), SEGMENTED], ids="+".join)
@pytest.mark.parametrize("include_passed", [False, True])
def test_a_child_sends_no_rows_when_only_its_reporters_read_them(
    registers: Path, monkeypatch: pytest.MonkeyPatch, include_passed: bool, formats: tuple[str, ...]
) -> None:
    """``reports_only`` (``capcheck check``): every output is one of ``formats`` and each makes its text in the parts,
    so the child sends its blocks' statuses and text, not their rows; each report is the bytes of one process, and
    a reporter the run did not foresee fails loudly rather than write a report without the child's findings."""
    from capcheck.core.outcomes import RowsElsewhere

    request = {"paths": [registers], "include_passed": include_passed, "formats": formats, "reports_only": True}
    whole, split, parts = _split_and_whole(monkeypatch, **request)
    assert parts == 2
    sent = _elsewhere(split)
    assert sent and len(sent) < len(split.rules)  # the child's rules (the parent's keep their rows, here)
    assert split.summary == whole.summary and split.scorecard == whole.scorecard
    uncapped = RenderOptions(sarif_max_results=0)
    reporters = _reporters()
    for name in formats:
        got, expected = io.BytesIO(), io.BytesIO()
        for result, out in ((split, got), (whole, expected)):
            write = reporters[name].write
            assert write is not None
            write(dataclasses.replace(result, started=AS_NOW, finished=AS_NOW), uncapped, out)
        assert got.getvalue() == expected.getvalue(), f"{name} differs when the check is split"
    with pytest.raises(RowsElsewhere, match="stayed in the process that judged them"):
        _reports(split)  # the text reporter reads every row
    with pytest.raises(RowsElsewhere):
        list(split.findings)


AS_NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("other", ["text", "waivers", "baseline", "not reports only"])
def test_a_child_sends_its_rows_when_the_parent_reads_them(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, other: str
) -> None:
    """A reporter that makes no text in the parts (text), waivers and a baseline (applied to the rows in the parent)
    and a caller that reads the findings itself all need the rows: the child sends them, and every reporter's bytes
    are one process's."""
    request: dict[str, Any] = {"paths": [registers], "formats": SEGMENTED, "reports_only": other != "not reports only"}
    if other == "text":
        request["formats"] = ("json", "text")
    elif other == "waivers":
        waivers = tmp_path / "waivers.yaml"
        waivers.write_text(
            "waivers:\n  - rule: COMM-001\n    records: ['CON-*']\n    reason: Accepted while the register is cleaned."
            "\n    approved_by: Head of Assurance\n    ticket: RISK-1\n    expires: 2027-01-31\n"
        )
        request["waivers"] = waivers
    elif other == "baseline":
        from capcheck.assessment.baseline import baseline_document

        first = run_check(CheckRequest(paths=[registers], as_of=AS_OF, jobs=1))
        baseline = tmp_path / "baseline.json"
        baseline.write_text(json.dumps(baseline_document(first)))
        request["baseline"] = baseline
    whole, split, parts = _split_and_whole(monkeypatch, **request)
    assert parts == 2
    assert _elsewhere(split) == []
    assert _reports(split) == _reports(whole)


@pytest.mark.parametrize(("cap", "only"), [((), False), (("--sarif-max-results", "0"), True)], ids=["capped", "not"])
def test_capcheck_check_sends_no_rows_unless_a_capped_sarif_log_reads_them(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cap: tuple[str, ...], only: bool
) -> None:
    """``capcheck check`` reads the result only through its outputs: the children keep their rows, unless a capped
    SARIF log (which ranks every rule's rows in the parent) is among them. Each file is the bytes of one process."""
    from click.testing import CliRunner

    from capcheck import cli
    from capcheck.app import runner

    asked: list[bool] = []
    run = runner.run_check

    def recorded(request: CheckRequest, *args: Any, **kwargs: Any) -> RunResult:
        asked.append(request.reports_only)
        return run(request, *args, **kwargs)

    monkeypatch.setattr(runner, "run_check", recorded)
    written = {}
    for jobs in ("1", "2"):
        out = tmp_path / jobs
        out.mkdir()
        reports = [a for name in ("sarif", "junit", "csv") for a in ("--report", f"{name}={out / name}")]
        args = ["check", str(registers), "--as-of", "2026-11-25", "--jobs", jobs, "-f", "json", "-o", str(out / "json")]
        result = CliRunner().invoke(cli.cli, [*args, *reports, *cap])
        assert result.exit_code == 1, result.output
        written[jobs] = {
            name: re.sub(rb'"(start|end)TimeUtc": "[^"]*"|"(started|finished)": "[^"]*"|timestamp="[^"]*"', b"", data)
            for name in ("json", "sarif", "junit", "csv")
            if (data := (out / name).read_bytes())
        }
    assert asked == [only, only]
    assert written["2"] == written["1"]
