"""Split checks, stage 2: one register divided into ranges of records, loaded and judged in several processes
(app/parallel.py ``plan(divide=...)``, ``Loader.divide``/``load_range``, ``merge_blocks``, ``EvidenceSet.merged``).
Whatever the division, every reporter's bytes are those of one process."""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from capcheck.app import parallel
from capcheck.app.config import Config
from capcheck.app.registry import Registry
from capcheck.app.runner import CheckRequest, load_registry, run_check
from capcheck.core.errors import EvidenceError
from capcheck.core.models import RunResult, Severity
from capcheck.core.outcomes import Spans
from capcheck.core.reporting import RenderOptions
from capcheck.core.rules import Rule, rule
from generator import load_generator

ROOT = Path(__file__).resolve().parents[1]
LINES = ROOT / "tests" / "fixtures" / "plugins" / "lines_loader_plugin.py"
AS_OF = date(2026, 11, 25)
TEXT = {"description": "What it checks.", "rationale": "Why it matters.", "remediation": "How to fix it."}
COMM = ("COMM-001", "COMM-002", "COMM-003", "COMM-004")
TYPICAL = (*COMM, "GOV-001", "GOV-002", "INFRA-001", "INFRA-002", "INFRA-003", "INFRA-004")
#: The reporters asked for: those that make their text in the parts (``Reporter.segment``).
FORMATS = ("json", "sarif", "junit", "csv")
#: Records per register: enough for ranges of a few fine cuts each above parallel.MIN_PIECE_BYTES (lowered below).
N = 600

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="checks are split only where fork is safe (Linux)")


@pytest.fixture(autouse=True)
def _small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Registers of a few hundred records divide as large ones do (the bound is for speed, not correctness)."""
    monkeypatch.setattr(parallel, "MIN_PIECE_BYTES", 1 << 10)


@pytest.fixture(scope="module")
def registers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmark generator's three registers at high failure: the contracts one record a line (``.lines``, a
    loader that divides), the governance register and the assets as JSON envelopes."""
    generate = load_generator()
    out = tmp_path_factory.mktemp("ranges")
    for kind in ("governance-register", "it-assets"):
        generate.write_json(out / f"{kind}.json", kind, generate.generate_records(kind, N, 2017, "high-failure"), 2017)
    contracts = generate.generate_records("supplier-contracts", N, 2017, "high-failure")
    (out / "supplier-contracts.lines").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in contracts))
    return out


def _registry(plugins: tuple[str, ...] = ()) -> Registry:
    registry = load_registry(Config(), [], [str(LINES), *plugins])
    assert all(registry.rules[r].meta.per_record for r in COMM)  # the pack's contract rules judge each record alone
    return registry


def _reports(result: RunResult, registry: Registry) -> dict[str, bytes]:
    out = {}
    for name, reporter in registry.reporters.items():
        if reporter.write is None:
            continue
        buffer = io.BytesIO()
        reporter.write(result, RenderOptions(), buffer)
        out[name] = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?", b"<time>", buffer.getvalue())
    return out


def _plans(monkeypatch: pytest.MonkeyPatch) -> list[list[parallel.Part]]:
    seen: list[list[parallel.Part]] = []
    real = parallel.run_parts

    def recorded(plan: Any, work: Any, debug: bool = False) -> Any:
        seen.append(list(plan))
        return real(plan, work, debug)

    monkeypatch.setattr(parallel, "run_parts", recorded)
    return seen


def _checks(registry: Registry, jobs: tuple[int, ...] = (1, 2), **request: Any) -> dict[int, RunResult]:
    return {
        n: run_check(CheckRequest(as_of=AS_OF, fail_on=Severity.LOW, jobs=n, formats=FORMATS, **request), registry)
        for n in jobs
    }


# -- the plan ------------------------------------------------------------------------------------------------


def _rule(rule_id: str, kinds: list[str], per_record: bool = True, **meta: Any) -> Rule:
    def check(evidence: Any, ctx: Any) -> Iterator[Any]:
        for record in evidence.records(kinds[0]):
            yield ctx.passed(record)

    area = rule_id.split("-")[0]
    return rule(
        id=rule_id, title="A test rule", area=area, severity="low", kinds=kinds, per_record=per_record, **TEXT, **meta
    )(check)


def _cuts(size: int, n: int = 8) -> list[tuple[int, int]]:
    step = size // n
    return [(k * step, (k + 1) * step - 1) for k in range(n)]


def test_one_register_read_by_rules_judging_each_record_alone_is_divided_among_the_parts() -> None:
    rules = [_rule("INFRA-901", ["it-assets"]), _rule("INFRA-902", ["it-assets"])]
    parts = parallel.plan(rules, [frozenset({"it-assets"})], [8 << 20], 2, divide=lambda i: _cuts(8 << 20))
    assert parts is not None and len(parts) == 2
    pieces = sorted((pc for p in parts for pc in p.pieces), key=lambda pc: pc.start)
    assert [(pc.start, pc.end) for pc in pieces] == [(0, (4 << 20) - 1), (4 << 20, (8 << 20) - 1)]
    assert all(p.rules == (0, 1) and p.ranged == ((0, 0), (1, 0)) for p in parts)


def test_without_a_division_one_register_is_not_split() -> None:
    rules = [_rule("INFRA-901", ["it-assets"])]
    assert parallel.plan(rules, [frozenset({"it-assets"})], [8 << 20], 2) is None
    assert parallel.plan(rules, [frozenset({"it-assets"})], [8 << 20], 2, divide=lambda i: None) is None


@pytest.mark.parametrize(
    "rules",
    [
        [_rule("INFRA-901", ["it-assets"]), _rule("INFRA-903", ["it-assets"], per_record=False)],  # an aggregate
        [_rule("INFRA-904", ["it-assets", "roles"], per_record=False)],  # records of two kinds (never per record)
    ],
    ids=["an aggregate", "two record kinds"],
)
def test_a_register_a_rule_reads_whole_is_not_divided(rules: list[Rule]) -> None:
    kinds = [frozenset({"it-assets"}), frozenset({"roles"})]
    parts = parallel.plan(rules, kinds, [8 << 20, 1 << 20], 2, divide=lambda i: _cuts(8 << 20) if i == 0 else None)
    assert parts is None or not any(p.pieces for p in parts)


def test_the_divided_register_fills_the_parts_up_to_one_level() -> None:
    """Whole registers first (largest first), then the divisible one poured: 40 + 33 + 51 MB is 62 + 62."""
    rules = [
        _rule("COMM-901", ["supplier-contracts"]),
        _rule("INFRA-901", ["it-assets"], per_record=False),
        _rule("GOV-901", ["governance-register"], per_record=False),
    ]
    mb = 1 << 20
    sizes = [51 * mb, 40 * mb, 33 * mb]
    kinds = [frozenset({"supplier-contracts"}), frozenset({"it-assets"}), frozenset({"governance-register"})]
    parts = parallel.plan(rules, kinds, sizes, 2, divide=lambda i: _cuts(sizes[i], 51) if i == 0 else None)
    assert parts is not None
    assert all(abs(p.size - 62 * mb) <= mb for p in parts)  # a fine range (1 MB) off at most
    assert sorted(len(p.pieces) for p in parts) == [1, 1]


def test_a_register_more_rules_read_weighs_more() -> None:
    """Bytes are weighed by the rules reading them (RULE_COST 0.1): 40 MB four rules read (1.4 x 40) and 40 MB one
    rule reads (1.1 x 40), with 50 MB of a register two rules read (1.2 x 50) poured to the level 80, are 56 + 20 x 1.2
    and 44 + 30 x 1.2 (a fine range off at most); by bytes alone the assets' part would take 25 MB."""
    rules = [
        _rule("COMM-901", ["supplier-contracts"]),
        _rule("COMM-902", ["supplier-contracts"]),
        *(_rule(f"INFRA-90{n}", ["it-assets"], per_record=False) for n in range(1, 5)),
        _rule("GOV-901", ["governance-register"], per_record=False),
    ]
    mb = 1 << 20
    sizes = [50 * mb, 40 * mb, 40 * mb]
    kinds = [frozenset({"supplier-contracts"}), frozenset({"it-assets"}), frozenset({"governance-register"})]
    parts = parallel.plan(rules, kinds, sizes, 2, divide=lambda i: _cuts(sizes[i], 50) if i == 0 else None)
    assert parts is not None
    held = {next(i for i in p.files if i != 0): sum(pc.end - pc.start for pc in p.pieces) for p in parts}
    assert abs(held[1] - 20 * mb) <= mb and abs(held[2] - 30 * mb) <= mb  # assets' part: less of the contracts
    assert parts[0].cost >= parts[1].cost  # the costliest first


def test_a_column_of_a_divided_register_read_in_two_children_keeps_it_whole() -> None:
    """Columns pass only between the parent and a child: a register divided among children whose column another
    child reads is loaded whole instead (the check is still split by kinds)."""
    rules = [
        _rule("COMM-901", ["supplier-contracts"]),
        _rule("INFRA-901", ["it-assets", "supplier-contracts"], columns=["supplier-contracts.id"], per_record=False),
        _rule("GOV-901", ["governance-register"], per_record=False),
    ]
    mb = 1 << 20
    sizes = [60 * mb, 20 * mb, 20 * mb]
    kinds = [frozenset({"supplier-contracts"}), frozenset({"it-assets"}), frozenset({"governance-register"})]
    parts = parallel.plan(rules, kinds, sizes, 4, divide=lambda i: _cuts(sizes[i], 60) if i == 0 else None)
    assert parts is not None
    for p, part in enumerate(parts):
        for to, _ in part.sends:
            assert 0 in (p, to)


# -- the check, end to end -----------------------------------------------------------------------------------


@pytest.mark.parametrize("include_passed", [False, True])
def test_a_divided_register_gives_every_reporter_the_bytes_of_one_process(
    registers: Path, monkeypatch: pytest.MonkeyPatch, include_passed: bool
) -> None:
    plans = _plans(monkeypatch)
    registry = _registry()
    results = _checks(registry, (1, 2, 3), paths=[registers], select=TYPICAL, include_passed=include_passed)
    assert results[1].summary.by_status["fail"] > N  # a check that fails a lot
    two = plans[0]
    assert len(two) == 2 and all(p.pieces for p in two)  # the contracts divided between both processes
    # The ranges' JSON text is joined where each range's rows are in the findings' order (without the passes, which
    # a rule yields apart, at its end).
    joined = any(isinstance(s, Spans) for b in results[2].findings.blocks for s in b.segments.values())
    assert joined is not include_passed
    expected = _reports(results[1], registry)
    for jobs in (2, 3):
        reports = _reports(results[jobs], registry)
        for name in expected:
            assert reports[name] == expected[name], f"{name} differs with --jobs {jobs}"


def test_waivers_and_a_baseline_settle_a_divided_register_as_one_process(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from capcheck.assessment.baseline import baseline_document

    registry = _registry()
    whole = _checks(registry, (1,), paths=[registers], select=COMM)[1]
    failing = [f for f in whole.findings if f.status.value == "fail" and f.evidence and f.evidence.record_id]
    ids = sorted({f.evidence.record_id for f in failing if f.rule_id == "COMM-001"})  # type: ignore[union-attr]
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - rule: COMM-001\n"
        f"    records: {json.dumps([ids[0], ids[len(ids) // 2], ids[-1]])}\n"  # in the first and the last range
        "    reason: Accepted while the register is cleaned.\n    approved_by: Head of Assurance\n"
        "    ticket: RISK-1\n    expires: 2027-01-31\n"
    )
    baseline = tmp_path / "baseline.json"
    baseline.write_text(
        json.dumps(baseline_document(whole.__class__(**{**whole.__dict__, "findings": tuple(failing[::3])})))
    )
    plans = _plans(monkeypatch)
    results = _checks(registry, paths=[registers], select=COMM, waivers=waivers, baseline=baseline)
    assert plans and all(p.pieces for p in plans[0])
    assert results[1].summary.by_status["waived"] == 3 and results[1].summary.by_status["baselined"] > 0
    assert results[2].waivers == results[1].waivers and results[2].baseline == results[1].baseline
    assert _reports(results[2], registry) == _reports(results[1], registry)


def _edited(registers: Path, tmp_path: Path, edit: Any) -> Path:
    out = tmp_path / "edited"
    shutil.copytree(registers, out)
    path = out / "supplier-contracts.lines"
    lines = path.read_bytes().split(b"\n")
    edit(lines)
    path.write_bytes(b"\n".join(lines))
    return out


@pytest.mark.parametrize(
    "edit",
    [
        lambda lines: lines.__setitem__(-3, lines[10]),  # an id of the first range again in the last
        lambda lines: lines.__setitem__(-3, lines[-3].replace(b'"id":', b'"id":5,"x":', 1)),  # a schema error
        lambda lines: lines.__setitem__(-3, lines[10].replace(b"CON-", b"con-", 1)),  # an id but for case
    ],
    ids=["repeated id", "schema error", "id but for case"],
)
def test_a_problem_in_a_range_is_said_as_one_process_says_it(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, edit: Any
) -> None:
    evidence = _edited(registers, tmp_path, edit)
    registry = _registry()
    messages = []
    for jobs in (1, 2):
        with pytest.raises(EvidenceError) as raised:
            run_check(CheckRequest(paths=[evidence], as_of=AS_OF, jobs=jobs, select=COMM), registry)
        messages.append([str(p) for p in raised.value.problems])
    assert messages[0] and messages[1] == messages[0]


def test_a_range_that_does_not_load_alone_makes_the_check_in_one_process(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    evidence = _edited(registers, tmp_path, lambda lines: lines.insert(len(lines) - 5, b"RANGE-ERROR"))
    plans = _plans(monkeypatch)
    registry = _registry()
    results = _checks(registry, paths=[evidence], select=COMM)
    assert plans and all(p.pieces for p in plans[0])  # it was divided, then made again in one process
    assert _reports(results[2], registry) == _reports(results[1], registry)


def test_a_rule_raising_in_a_later_range_errs_as_in_one_process(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = tmp_path / "late.py"
    plugin.write_text(
        "from capcheck import hookimpl, rule\n"
        "@rule(id='COMM-990', title='Fails late', area='COMM', severity='low', kinds=['supplier-contracts'],"
        f" per_record=True, **{TEXT!r})\n"
        "def late(evidence, ctx):\n"
        "    for c in evidence.records('supplier-contracts'):\n"
        f"        if c['id'] >= 'CON-{N // 4 * 3:08d}':\n"
        "            raise ValueError('no value for ' + c['id'])\n"
        "        yield ctx.failed(c, 'seen')\n"
        "@hookimpl\n"
        "def capcheck_rules():\n"
        "    return [late]\n"
    )
    registry = _registry(plugins=(str(plugin),))
    plans = _plans(monkeypatch)
    results = _checks(registry, paths=[registers], select=(*COMM, "COMM-990"))
    assert plans and all(p.pieces for p in plans[0])
    [error] = [f for f in results[1].findings if f.rule_id == "COMM-990"]
    assert error.status.value == "error" and "no value for" in error.message
    assert _reports(results[2], registry) == _reports(results[1], registry)


@pytest.mark.parametrize("cut", [1, 150, 299])
def test_copy_keys_of_two_ranges_count_the_copies_of_the_whole(cut: int) -> None:
    """The scorecard's copies of a divided register: each range's copy keys, put together (Split.copies)."""
    from capcheck.assessment.facts import copy_keys, count_copies

    generate = load_generator()
    records = generate.generate_records("it-assets", 300, 2017, "high-failure")
    for n in (5, 160, 290):  # copies under new ids, one across the cut at least
        records[n] = {**records[n - 3], "id": f"COPY-{n}"}
    fields = ("owner", "environment", "product")
    whole = count_copies(records, fields)
    a, b = copy_keys(records[:cut], fields), copy_keys(records[cut:], fields)
    assert whole >= 3
    assert a.usable + b.usable - len(a.digests | b.digests) == whole


@pytest.fixture(scope="module")
def envelopes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The three registers as the benchmark writes them: JSON envelopes, one record a line."""
    generate = load_generator()
    out = tmp_path_factory.mktemp("envelopes")
    for kind in ("supplier-contracts", "governance-register", "it-assets"):
        generate.write_json(out / f"{kind}.json", kind, generate.generate_records(kind, N, 2017, "high-failure"), 2017)
    return out


@pytest.mark.parametrize("jobs", [2, 3])
def test_the_json_loader_divides_the_benchmark_s_registers_and_the_bytes_are_one_process_s(
    envelopes: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """The built-in JSON loader's ranges (Loader.divide, load_range) in a split check of the ten typical rules."""
    plans = _plans(monkeypatch)
    registry = load_registry(Config(), [], [])
    results = _checks(registry, (1, jobs), paths=[envelopes], select=TYPICAL)
    # The contracts divided among the processes; with three, the governance register's part is the parent, which
    # sends COMM-003 its owners column in each child (columns pass between the parent and a child only).
    assert any(p.pieces for p in plans[0])
    assert _reports(results[jobs], registry) == _reports(results[1], registry)


def test_a_loader_s_notes_on_each_range_make_the_check_in_one_process(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loader's note counts what it did to the file ("600 records read"); each range's would count its own: the
    check is made again in one process, which words the note for the file."""
    evidence = tmp_path / "noted"
    shutil.copytree(registers, evidence)
    (evidence / "supplier-contracts.lines").rename(evidence / "supplier-contracts.noted.lines")
    plans = _plans(monkeypatch)
    registry = _registry()
    results = _checks(registry, paths=[evidence], select=COMM)
    assert plans and all(p.pieces for p in plans[0])
    [info] = [f for f in results[2].evidence if f.kind == "supplier-contracts"]
    assert info.notes == (f"{N} records read",)
    assert _reports(results[2], registry) == _reports(results[1], registry)


def test_the_progress_counts_a_divided_register_once(envelopes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The progress line counts files and records: a register loaded in ranges by two processes is one file, and its
    records are all counted."""
    from capcheck.app.progress import Progress

    plans = _plans(monkeypatch)
    progress = Progress(io.StringIO(), clock=lambda: 0.0)
    registry = load_registry(Config(), [], [])
    run_check(CheckRequest(paths=[envelopes], as_of=AS_OF, jobs=2, select=TYPICAL), registry, progress=progress)
    assert any(p.pieces for p in plans[0])
    assert (progress.files, progress.files_total, progress.records) == (3, 3, 3 * N)


@pytest.mark.parametrize(("size", "divided"), [(2 << 20, True), ((2 << 20) - 1, False)])
def test_a_register_is_divided_from_twice_the_smallest_range(
    monkeypatch: pytest.MonkeyPatch, size: int, divided: bool
) -> None:
    """A range smaller than MIN_PIECE_BYTES is not worth a part: a register is divided from twice that size."""
    monkeypatch.setattr(parallel, "MIN_PIECE_BYTES", 1 << 20)
    rules = [_rule("INFRA-901", ["it-assets"])]
    parts = parallel.plan(rules, [frozenset({"it-assets"})], [size], 2, divide=lambda i: _cuts(size))
    assert (parts is not None) is divided


def test_a_register_over_max_file_mb_is_refused_as_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file above the config's max_file_mb is never loaded in ranges (which read only their bytes): split or not, it
    is refused with the same message."""
    generate = load_generator()
    contracts = generate.generate_records("supplier-contracts", 4000, 2017, "high-failure")
    generate.write_json(tmp_path / "supplier-contracts.json", "supplier-contracts", contracts, 2017)
    assert (tmp_path / "supplier-contracts.json").stat().st_size > 1 << 20
    plans = _plans(monkeypatch)
    registry = load_registry(Config(), [], [])
    messages = []
    for jobs in (1, 2):
        request = CheckRequest(paths=[tmp_path], as_of=AS_OF, jobs=jobs, select=COMM, config=Config(max_file_mb=1))
        with pytest.raises(EvidenceError) as raised:
            run_check(request, registry)
        messages.append([str(p) for p in raised.value.problems])
    assert not any(p.pieces for plan in plans for p in plan)
    assert messages[1] == messages[0] and "max_file_mb" in messages[0][0]


# -- a divided register's ranges sent without their rows -------------------------------------------------------


def _asked_rows(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The rows the parent asks a part for (a range's block sent without them that it could not join so)."""
    asked: list[Any] = []
    real = parallel.Parts.ask

    def ask(self: parallel.Parts, index: int, question: Any) -> Any:
        if question[0] == "rows":
            asked.append(question[1])
        return real(self, index, question)

    monkeypatch.setattr(parallel.Parts, "ask", ask)
    return asked


def _written(result: RunResult, registry: Registry) -> dict[str, bytes]:
    """The bytes of the reporters the check was asked for (``FORMATS``), a SARIF log uncapped."""
    out = {}
    for name in FORMATS:
        write = registry.reporters[name].write
        assert write is not None
        buffer = io.BytesIO()
        write(result, RenderOptions(sarif_max_results=0), buffer)
        out[name] = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?", b"<time>", buffer.getvalue())
    return out


@pytest.mark.parametrize("include_passed", [False, True])
def test_the_ranges_of_a_divided_register_are_joined_without_their_rows(
    registers: Path, monkeypatch: pytest.MonkeyPatch, include_passed: bool
) -> None:
    """With ``reports_only``, each child sends a range's statuses and text, its first and last row: the parent joins
    the ranges' text where the rows come in the ranges' order (asking for no row), and the bytes are one process's."""
    from capcheck.core.outcomes import OutcomesElsewhere

    plans, asked = _plans(monkeypatch), _asked_rows(monkeypatch)
    registry = _registry()
    request = {"paths": [registers], "select": TYPICAL, "include_passed": include_passed, "reports_only": True}
    results = _checks(registry, (1, 2, 3), **request)
    assert all(p.pieces for p in plans[0])
    expected = _written(results[1], registry)
    for jobs in (2, 3):
        blocks = {b.rule_id: b for b in results[jobs].findings.blocks}  # type: ignore[attr-defined]
        joined = [r for r in COMM if isinstance(blocks[r], OutcomesElsewhere)]
        # Without the passes (yielded apart, after the failures) each range's rows are in order, and so are the
        # ranges': joined as they came. With them, a range is out of order: it comes with its rows.
        assert bool(joined) is not include_passed
        assert _written(results[jobs], registry) == expected, f"differs with --jobs {jobs}"
    if not include_passed:  # (with them, a range in order beside one that is not is asked for its rows)
        assert asked == []


def test_ranges_sent_without_rows_that_do_not_join_in_order_are_asked_for_them(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A register whose records are in id order within each range but not across them (its second half first): the
    ranges sent without their rows cannot be joined as they are, so the parent asks each child for its rows, merges
    them as one process's, and the bytes are one process's."""

    def rotated(lines: list[bytes]) -> None:
        records = [line for line in lines if line]
        half = len(records) // 2
        lines[:] = [*records[half:], *records[:half], b""]

    evidence = _edited(registers, tmp_path, rotated)
    plans, asked = _plans(monkeypatch), _asked_rows(monkeypatch)
    registry = _registry()
    results = _checks(registry, (1, 3), paths=[evidence], select=COMM, reports_only=True)
    assert all(p.pieces for p in plans[0])
    assert asked  # rows asked for, of the rules judged over the ranges
    assert _written(results[3], registry) == _written(results[1], registry)


@pytest.mark.parametrize("at", ["first", "last"])
def test_an_error_row_in_one_range_keeps_the_rows_its_sarif_notification_reads(
    registers: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: str
) -> None:
    """A rule's error outcome for one record (in the parent's range or the child's): a SARIF log words each error
    from its row, so the ranges are not joined without their rows, and every report is one process's bytes."""
    lines = [line for line in (registers / "supplier-contracts.lines").read_bytes().split(b"\n") if line]
    odd = orjson.loads(lines[0 if at == "first" else -1])["id"]
    plugin = tmp_path / "errs.py"
    plugin.write_text(
        "from capcheck import Outcome, Status, hookimpl, rule\n"
        "@rule(id='COMM-991', title='Errs once', area='COMM', severity='low', kinds=['supplier-contracts'],"
        f" per_record=True, **{TEXT!r})\n"
        "def errs(evidence, ctx):\n"
        "    for c in evidence.records('supplier-contracts'):\n"
        f"        if c['id'] == {odd!r}:\n"
        "            yield Outcome(Status.ERROR, None, c['id'], 'cannot judge ' + c['id'])\n"
        "        else:\n"
        "            yield ctx.failed(c, 'seen')\n"
        "@hookimpl\n"
        "def capcheck_rules():\n"
        "    return [errs]\n"
    )
    registry = _registry(plugins=(str(plugin),))
    plans = _plans(monkeypatch)
    results = _checks(registry, paths=[registers], select=(*COMM, "COMM-991"), reports_only=True)
    assert plans and all(p.pieces for p in plans[0])
    [error] = [f for f in results[1].findings if f.status.value == "error"]
    assert error.rule_id == "COMM-991"
    assert _written(results[2], registry) == _written(results[1], registry)
