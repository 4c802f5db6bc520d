"""Compact outcomes and the lazy findings: the same findings, in the same order, as building them eagerly.

The reference below is the eager pipeline capcheck had before outcomes were kept compact: a
``Finding`` per outcome (provenance from ``EvidenceSet.ref``, ``models.fingerprint``), waivers
applied with ``Waiver.covers``, the baseline by fingerprint, then one sort by ``Finding.sort_key``.
Hypothesis drives rules whose outcomes mix statuses, kinds, record ids (present, absent, none),
groups, related records and hostile messages, over a kind in one file or spread over two.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capcheck.assessment.baseline import apply_baseline
from capcheck.assessment.waivers import Waiver, apply_waivers
from capcheck.builtins.reporters.json import _finding_chunks
from capcheck.core.engine import evaluate
from capcheck.core.evidence import EvidenceSet
from capcheck.core.models import EvidenceRef, Finding, Outcome, PassedRecords, Severity, Status, fingerprint
from capcheck.core.outcomes import Findings, fingerprint_prefix, row_fingerprint, row_fingerprints
from capcheck.core.rules import Rule, rule

AS_OF = date(2026, 11, 25)
TEXT = {"description": "What it checks.", "rationale": "Why it matters.", "remediation": "How to fix it."}
#: Ids the generated evidence may hold (a record id a rule names may also be absent from it).
IDS = ["A-1", "A-2", "a-10", "B-1", "é-1", 'q"\\-1', "Z-9"]


def _asset(record_id: str) -> dict[str, Any]:
    return {"id": record_id, "name": "n", "product": "p", "environment": "production", "criticality": "high"}


def _rule(rule_id: str, outcomes: list[Outcome | PassedRecords]) -> Rule:
    def check(evidence: Any, ctx: Any) -> Any:
        return iter(outcomes)

    return rule(id=rule_id, area=rule_id.split("-")[0], title=f"Rule {rule_id} holds", severity="high",
                kinds=["it-assets"], **TEXT)(check)  # fmt: skip


def _eager(rules: list[tuple[Rule, list[Outcome | PassedRecords]]], evidence: EvidenceSet, include_passed: bool,
           waivers: list[Waiver], baseline: set[str]) -> list[Finding]:  # fmt: skip
    """The findings as the eager pipeline made them (see the module docstring)."""
    out: list[Finding] = []
    for r, outcomes in rules:
        meta = r.meta
        rows: list[Outcome] = []
        for o in outcomes:
            if isinstance(o, PassedRecords):
                rows += [Outcome(Status.PASS, o.kind, i) for i in o.record_ids]
            else:
                rows.append(o)
        if not rows:
            rows = [Outcome(Status.SKIP, meta.kinds[0], None, "no records in the rule's scope")]
        for o in rows:
            if o.status is Status.PASS and not include_passed:
                continue
            kind = o.kind or meta.kinds[0]
            related = tuple(evidence.ref(k, i) for k, i in o.related)
            ref = evidence.ref(kind, o.record_id) if o.record_id is not None else None
            f = Finding(
                rule_id=meta.id,
                rule_version=meta.version,
                status=o.status,
                severity=meta.severity,
                area=meta.area,
                title=meta.title,
                message=o.message or (meta.title if o.status is Status.PASS else ""),
                remediation=meta.remediation,
                evidence=ref or EvidenceRef(kind=kind, file=_group_file(evidence, kind, related)),
                related=related,
                group=o.group,
                fingerprint=fingerprint(meta.id, kind, o.record_id, o.group),
            )
            if f.status is Status.FAIL:
                waiver = next((w for w in waivers if w.covers(f)), None)
                if waiver is not None:
                    f = dataclasses.replace(f, status=Status.WAIVED, waiver=waiver)
                elif f.fingerprint in baseline:
                    f = dataclasses.replace(f, status=Status.BASELINED)
            out.append(f)
    return sorted(out, key=Finding.sort_key)


def _group_file(evidence: EvidenceSet, kind: str, related: tuple[EvidenceRef, ...]) -> str | None:
    """A group's file, as the eager engine found it: its first related record's of the kind, else the
    kind's file when one file holds the kind."""
    for ref in related:
        if ref.kind == kind and ref.file is not None:
            return ref.file
    files = {f.path for f in evidence.files if f.kind == kind}
    return files.pop() if len(files) == 1 else None


def _waiver(index: int, rule_id: str, records: tuple[str, ...]) -> Waiver:
    return Waiver(index, rule_id, records, "accepted", "someone", "T-1", date(2027, 1, 1), None, "w.yaml", index + 1)


def _evidence(load: Any, directory: Path, ids: list[str], spread: bool) -> EvidenceSet:
    halves = [ids[: len(ids) // 2], ids[len(ids) // 2 :]] if spread else [ids]
    paths = []
    for n, half in enumerate(halves):
        path = directory / f"assets-{n}.json"
        lines = b",\n".join(b"  " + orjson.dumps(_asset(i)) for i in half)
        path.write_bytes(b'{"kind": "it-assets", "records": [\n' + lines + b"\n]}\n")
        paths.append(path)
    result: EvidenceSet = load(*paths)
    return result


_text = st.text(st.sampled_from(["a", "b", " ", "é", "\x9b", "\u2028", '"', "\\", "\x00", "\ud800", "😀"]), max_size=4)
_outcome = st.builds(
    Outcome,
    status=st.sampled_from([Status.FAIL, Status.FAIL, Status.ERROR, Status.SKIP, Status.PASS]),
    kind=st.sampled_from([None, None, "it-assets", "supplier-contracts"]),
    record_id=st.sampled_from([*IDS[:4], None, "ghost"]),
    message=st.sampled_from(["", "m", "z"]) | _text,
    related=st.sampled_from([(), (("it-assets", "A-2"),), (("governance-register", "X"),)]),
    group=st.none() | st.sampled_from(["g1", "g2"]),
).filter(lambda o: o.kind != "supplier-contracts" or o.status in (Status.ERROR, Status.SKIP))  # an undeclared
# kind's pass or fail is an error finding (tests/test_engine.py); a skip or error may name a kind without a file
_outcomes = st.lists(_outcome | st.builds(PassedRecords, st.just("it-assets"), st.just(["A-1", "B-1"])), max_size=9)


def _one_per_record(outcomes: list[Outcome | PassedRecords]) -> list[Outcome | PassedRecords]:
    """The outcomes but a second non-pass for one kind, record and group, or a pass and a non-pass for one (the
    engine makes that rule an error: tests/test_engine.py)."""
    seen: set[tuple[str, str | None, str | None]] = set()
    passed: set[tuple[str, str | None, str | None]] = set()
    kept: list[Outcome | PassedRecords] = []
    for o in outcomes:
        if isinstance(o, PassedRecords):
            keys = {(o.kind, i, None) for i in o.record_ids}
            if keys & seen:
                continue
            passed |= keys
        else:
            key = (o.kind or "it-assets", o.record_id, o.group)
            if key in seen or (o.status is not Status.PASS and key in passed):
                continue
            (passed if o.status is Status.PASS else seen).add(key)
        kept.append(o)
    return kept


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    per_rule=st.lists(_outcomes, min_size=1, max_size=3),
    include_passed=st.booleans(),
    spread=st.booleans(),
    waived=st.lists(st.sampled_from(["A-*", "g1", "ghost", "*"]), max_size=2),
    baselined=st.sets(st.sampled_from(IDS[:4])),
)
def test_lazy_findings_are_the_eager_findings(
    load: Any,
    per_rule: list[list[Outcome | PassedRecords]],
    include_passed: bool,
    spread: bool,
    waived: list[str],
    baselined: set[str],
) -> None:
    """Order, every field, waived and baselined statuses, passes listed or not; and the JSON rows."""
    per_rule = [_one_per_record(outcomes) for outcomes in per_rule]
    rules = [(_rule(f"INFRA-9{n:02d}", outcomes), outcomes) for n, outcomes in enumerate(per_rule)]
    waivers = [_waiver(i, "INFRA-90", (pattern,)) for i, pattern in enumerate(waived)]
    with tempfile.TemporaryDirectory() as tmp:
        evidence = _evidence(load, Path(tmp), IDS, spread)
        baseline = {
            fingerprint(r.meta.id, "it-assets", i, g) for r, _ in rules for i in sorted(baselined) for g in (None, "g1")
        }
        expected = _eager(rules, evidence, include_passed, waivers, baseline)
        evaluation = evaluate([r for r, _ in rules], evidence, as_of=AS_OF, include_passed=include_passed)
        apply_waivers(evaluation.outcomes, evaluation.summary, waivers, as_of=AS_OF)
        apply_baseline(evaluation.outcomes, evaluation.summary, {fp: {} for fp in baseline}, file="b.json")
        findings = Findings(evaluation.outcomes, evidence)

        assert list(findings) == expected
        assert len(findings) == len(expected)
        assert list(findings) == list(findings)  # re-iterable
        assert findings == tuple(expected)
        assert [f.as_dict() for f in expected] == list(findings.json_forms())
        # The template path writes what orjson writes for the dictionaries (the eager findings' path).
        assert b"".join(_finding_chunks(findings)) == b"".join(_finding_chunks(tuple(expected)))
        counted = Counter(f.status.value for f in expected)
        for status in (Status.FAIL, Status.WAIVED, Status.BASELINED, Status.ERROR, Status.SKIP):
            assert evaluation.summary.by_status[status.value] == counted[status.value], status


def test_findings_index_slice_and_compare(load: Any, tmp_path: Path) -> None:
    outcomes: list[Outcome | PassedRecords] = [
        Outcome(Status.FAIL, None, record_id, f"m{record_id}") for record_id in ("B-1", "A-2", "A-1")
    ]
    evidence = _evidence(load, tmp_path, IDS, spread=False)
    findings = evaluate([_rule("INFRA-901", outcomes)], evidence, as_of=AS_OF).findings
    ids = [f.evidence.record_id for f in findings if f.evidence]
    assert ids == ["A-1", "A-2", "B-1"]
    assert findings[0] == findings[-3] == next(iter(findings))
    assert findings[1:] == tuple(list(findings)[1:])
    assert findings[::-1][0] == findings[2]
    with pytest.raises(IndexError):
        findings[3]
    assert findings != list(findings)[:2]
    assert repr(findings) == "<Findings: 3>"
    first = findings[0]
    assert first.evidence is not None and first.evidence.line == 2 and first.evidence.pointer == "/records/0"


def test_findings_between_spans_rules(load: Any, tmp_path: Path) -> None:
    """``between`` (a streaming reporter's one pass over a range) gives the slice's findings across rules'
    blocks, empty and out-of-range bounds included; a slice, made through it, is the same."""
    evidence = _evidence(load, tmp_path, IDS, spread=False)
    rules = [_rule(f"INFRA-90{n}", [Outcome(Status.FAIL, None, i, f"m{n}{i}") for i in IDS[: n + 1]]) for n in range(3)]
    findings = evaluate(rules, evidence, as_of=AS_OF).findings
    assert isinstance(findings, Findings) and len(findings.blocks) == 3
    every = list(findings)
    for start in range(-1, len(every) + 2):
        for stop in range(max(start, 0), len(every) + 2):
            assert list(findings.between(start, stop)) == every[max(start, 0) : stop], (start, stop)
            assert findings[max(start, 0) : stop] == tuple(every[max(start, 0) : stop])


def test_findings_picked_in_any_order(load: Any, tmp_path: Path) -> None:
    """``picked`` (a reporter listing some findings in its own order) gives ``findings[i]`` for each index in
    the order given, across and back into rules' blocks; an index out of range is an IndexError."""
    evidence = _evidence(load, tmp_path, IDS, spread=False)
    rules = [_rule(f"INFRA-90{n}", [Outcome(Status.FAIL, None, i, f"m{n}{i}") for i in IDS[: n + 1]]) for n in range(3)]
    findings = evaluate(rules, evidence, as_of=AS_OF).findings
    assert isinstance(findings, Findings) and len(findings.blocks) == 3
    every = list(findings)
    n = len(every)
    for indices in ([], [0], [n - 1, 0], [3, 5, 4, 0, 1, 5], list(range(n))[::-1], [2, 2]):
        assert list(findings.picked(indices)) == [every[i] for i in indices], indices
    for bad in ([n], [-1], [0, n]):
        with pytest.raises(IndexError):
            list(findings.picked(bad))


@pytest.mark.parametrize(
    ("rule_id", "kind", "record_id", "group"),
    [("COMM-001", "supplier-contracts", "C-1", None), ("INFRA-002", "it-assets", None, "production"),
     ("GOV-001", "k", "\ud800é", "g\x1f"), ("GOV-001", "\udfff", "\ud83d\ude00", "\ud800")],
)  # fmt: skip
def test_row_fingerprint_is_the_fingerprint(rule_id: str, kind: str, record_id: str | None, group: str | None) -> None:
    expected = fingerprint(rule_id, kind, record_id, group)
    assert row_fingerprint(fingerprint_prefix(rule_id, kind), Outcome(Status.FAIL, kind, record_id, "", (), group)) == (
        expected
    )
    assert row_fingerprints(rule_id, kind, [Outcome(Status.FAIL, None, record_id, group=group)]) == [expected]


#: Fingerprints as capcheck made them before lone surrogates could be hashed (plain UTF-8): baselines hold these.
BEFORE = [
    (("COMM-001", "supplier-contracts", "C-1", None), "86ac22506c94be979a32095f80009406"),
    (("INFRA-002", "it-assets", None, "production"), "5272e636818070c3fcc2ab394bcc5c08"),
    (("GOV-001", "k", "é東\U0001f600", "g\x1f"), "1f53ab5bb0120144e18ac875996d662f"),
]


@pytest.mark.parametrize(("key", "value"), BEFORE)
def test_fingerprints_made_before_are_unchanged(key: tuple[str, str, str | None, str | None], value: str) -> None:
    rule_id, kind, record_id, group = key
    assert fingerprint(*key) == value
    assert row_fingerprints(rule_id, kind, [Outcome(Status.FAIL, kind, record_id, "", (), group)]) == [value]


def _plain_utf8(rule_id: str, kind: str, record_id: str | None, group: str | None) -> str:
    """The fingerprint as it was made before: the key encoded as plain UTF-8."""
    key = "\x1f".join((rule_id, kind, record_id or "", group or ""))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


#: Any text, lone surrogates included (``st.characters()`` leaves them out, and its categories rarely draw one).
_ANY_TEXT = st.text(
    st.characters() | st.sampled_from(["\ud800", "\udbff", "\udc00", "\udfff", "\ud83d", "\ude00"]), max_size=12
)


@settings(max_examples=200, deadline=None)
@given(kind=_ANY_TEXT, record_id=st.none() | _ANY_TEXT, group=st.none() | _ANY_TEXT)
def test_fingerprints_of_any_strings(kind: str, record_id: str | None, group: str | None) -> None:
    """Every string has a fingerprint, the same by each path; one UTF-8 can encode has the one it always had."""
    expected = fingerprint("GOV-001", kind, record_id, group)
    row = Outcome(Status.FAIL, None, record_id, "", (), group)
    assert row_fingerprint(fingerprint_prefix("GOV-001", kind), row) == expected
    assert row_fingerprints("GOV-001", kind, [row, row._replace(group=None)])[0] == expected
    assert row_fingerprints("GOV-001", kind, [row._replace(group=None)]) == [
        fingerprint("GOV-001", kind, record_id, None)
    ]
    if not any("\ud800" <= ch <= "\udfff" for ch in f"{kind}{record_id}{group}"):
        assert expected == _plain_utf8("GOV-001", kind, record_id, group)


def test_distinct_surrogate_strings_have_distinct_fingerprints() -> None:
    """Two lone surrogates are not the character they would pair into, nor a replacement character."""
    values = ["\ud83d\ude00", "\U0001f600", "\ufffd", "\ufffd\ufffd", "\ud83d", "\ude00", "?", "\\ud83d"]
    assert len({fingerprint("GOV-001", "k", v, None) for v in values}) == len(values)


@pytest.mark.parametrize(
    "rows",
    [
        [Outcome(Status.FAIL, None, "C-1"), Outcome(Status.FAIL, "it-assets", "é-2"), Outcome(Status.SKIP, None, None)],
        [Outcome(Status.FAIL, None, "C-1"), Outcome(Status.FAIL, "supplier-contracts", "C-1")],
        [Outcome(Status.FAIL, None, "C-1", group="g"), Outcome(Status.ERROR, None, None, group="production")],
        [Outcome(Status.FAIL, "k", "C-1"), Outcome(Status.FAIL, "k", "C-2")],
        [],
    ],
)
def test_row_fingerprints_are_each_rows_fingerprint(rows: list[Outcome]) -> None:
    """The one-pass fingerprints (shared kind and no group: keys as bytes; else row by row) are the models'."""
    expected = [fingerprint("INFRA-001", o.kind or "it-assets", o.record_id, o.group) for o in rows]
    assert row_fingerprints("INFRA-001", "it-assets", rows) == expected


def test_a_block_whose_rows_are_elsewhere_counts_and_says_its_statuses_but_reads_no_row() -> None:
    """A split check's block sent without its rows (``OutcomesElsewhere``): its size and statuses, in order, survive
    pickling (it crosses a pipe), the findings count it and rank it by its statuses (``finding_runs``), and anything
    that reads a row (a finding, a fingerprint, a waiver) raises rather than giving nothing."""
    import pickle

    from capcheck.core.outcomes import OutcomesElsewhere, RowsElsewhere, RuleOutcomes
    from capcheck.core.reporting import finding_runs

    rows = [Outcome(Status.FAIL, None, "A-1", "no owner"), Outcome(Status.PASS, None, "A-2"), Outcome(Status.SKIP)]
    block = RuleOutcomes("INFRA-901", "1", Severity.HIGH, "INFRA", "Assets are owned", "Own it.", "it-assets", rows)
    statuses = [Status.FAIL, Status.PASS, Status.SKIP]
    sent = pickle.loads(pickle.dumps(OutcomesElsewhere(block, statuses, (rows[0], rows[-1]))))
    assert (sent.size, sent.statuses(), sent.ends, sent.rule_id) == (3, statuses, (rows[0], rows[-1]), "INFRA-901")
    findings = Findings([sent], EvidenceSet([], {}))
    assert len(findings) == 3 and findings.blocks == (sent,)
    assert [list(run.statuses) for run in finding_runs(findings)] == [statuses]
    reads = (lambda: sent.rows, lambda: list(findings), lambda: findings[0], lambda: sent.set_status(0, Status.WAIVED))
    for read in reads:
        with pytest.raises(RowsElsewhere, match="INFRA-901"):
            read()
    # Whether the rule judged nothing (the scorecard asks) is told where the rows are, and sent with the statuses.
    from capcheck.core.engine import judged_nothing

    skip = [Outcome(Status.SKIP, None, None, "no records in the rule's scope")]
    skipped = OutcomesElsewhere(RuleOutcomes(*dataclasses.astuple(block)[:7], skip), [Status.SKIP])
    assert judged_nothing([pickle.loads(pickle.dumps(skipped)), sent]) == {"INFRA-901"} and not sent.skipped_whole()
    assert skipped.skipped_whole() and OutcomesElsewhere.joined([skipped, skipped], {}).skipped_whole()
