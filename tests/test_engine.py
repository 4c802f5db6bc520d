"""The engine: rules run on their own, errors and missing evidence become findings, passes are counted."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from capcheck.core.engine import evaluate
from capcheck.core.evidence import EvidenceSet, evidence_from_records
from capcheck.core.models import Finding, Outcome, PassedRecords, Severity, Status
from capcheck.core.rules import Rule, RuleContext, rule

AS_OF = date(2025, 4, 1)
TEXT = {"description": "What it checks.", "rationale": "Why it matters.", "remediation": "How to fix it."}


def make_rule(rule_id: str, check: Callable[[Any, RuleContext], Iterator[Outcome]], **meta: Any) -> Rule:
    area = rule_id.split("-")[0]
    fields: dict[str, Any] = {"title": f"Rule {rule_id} holds", "severity": "medium", "kinds": ["it-assets"]}
    fields.update(TEXT)
    fields.update(meta)
    return rule(id=rule_id, area=area, **fields)(check)


def owners_present(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    for asset in evidence.records("it-assets"):
        if asset.get("owner"):
            yield ctx.passed(asset)
        else:
            yield ctx.failed(asset, f"{asset['name']} has no owner")


def explode(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    yield ctx.passed(evidence.records("it-assets")[0])
    raise RuntimeError("the register is haunted")


def nothing(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    return iter(())


ASSETS = """{
  "kind": "it-assets",
  "records": [
    {"id": "A-1", "name": "web", "product": "nginx", "environment": "production", "criticality": "high",
     "owner": "ops"},
    {"id": "A-2", "name": "db", "product": "postgresql", "environment": "production", "criticality": "high"},
    {"id": "A-3", "name": "app", "product": "python", "environment": "test", "criticality": "low"}
  ]
}
"""


@pytest.fixture
def assets(load, workdir: Path) -> EvidenceSet:
    (workdir / "assets.json").write_text(ASSETS)
    result: EvidenceSet = load("assets.json")
    return result


def statuses(findings: list[Finding]) -> list[tuple[str, str, str | None]]:
    return [(f.rule_id, f.status.value, f.evidence.record_id if f.evidence else None) for f in findings]


def test_failures_are_listed_with_provenance(assets: EvidenceSet) -> None:
    result = evaluate([make_rule("INFRA-901", owners_present)], assets, as_of=AS_OF)
    assert statuses(result.findings) == [("INFRA-901", "fail", "A-2"), ("INFRA-901", "fail", "A-3")]
    finding = result.findings[0]
    assert finding.message == "db has no owner"
    assert (finding.severity, finding.area, finding.title) == (Severity.MEDIUM, "INFRA", "Rule INFRA-901 holds")
    assert finding.remediation == "How to fix it."
    assert finding.evidence is not None
    assert finding.evidence.as_dict() == {
        "kind": "it-assets",
        "record_id": "A-2",
        "file": "assets.json",
        "line": 6,
        "pointer": "/records/1",
    }


def test_passes_are_counted_but_listed_only_when_asked(assets: EvidenceSet) -> None:
    rules = [make_rule("INFRA-901", owners_present)]
    quiet = evaluate(rules, assets, as_of=AS_OF)
    assert {s: quiet.summary.by_status[s] for s in ("error", "fail", "skip", "pass")} == {
        "error": 0,
        "fail": 2,
        "skip": 0,
        "pass": 1,
    }
    assert all(f.status is not Status.PASS for f in quiet.findings)
    loud = evaluate(rules, assets, as_of=AS_OF, include_passed=True)
    assert loud.summary.by_status == quiet.summary.by_status
    [passed] = [f for f in loud.findings if f.status is Status.PASS]
    assert passed.evidence is not None and passed.evidence.record_id == "A-1"
    assert passed.message == "Rule INFRA-901 holds"  # a pass says the passing state


def test_a_raising_rule_is_one_error_finding_and_others_still_run(assets: EvidenceSet) -> None:
    rules = [make_rule("INFRA-900", explode), make_rule("INFRA-901", owners_present)]
    result = evaluate(rules, assets, as_of=AS_OF, include_passed=True)
    errors = [f for f in result.findings if f.status is Status.ERROR]
    assert len(errors) == 1
    assert errors[0].rule_id == "INFRA-900"
    assert errors[0].message == "the rule raised RuntimeError: the register is haunted"
    assert "Traceback" not in errors[0].message
    # The raising rule's partial outcomes are dropped; the other rule ran in full.
    assert [f.rule_id for f in result.findings if f.status is not Status.ERROR] == ["INFRA-901"] * 3
    assert result.summary.by_status["error"] == 1


def test_debug_puts_the_traceback_in_the_error_finding(assets: EvidenceSet) -> None:
    result = evaluate([make_rule("INFRA-900", explode)], assets, as_of=AS_OF, debug=True)
    [finding] = result.findings
    assert finding.message.startswith("the rule raised RuntimeError: the register is haunted\nTraceback")
    assert "in explode" in finding.message


def test_missing_kinds_are_skips_never_passes(assets: EvidenceSet) -> None:
    join = make_rule("COMM-901", owners_present, kinds=["supplier-contracts", "it-assets", "governance-register"])
    result = evaluate([join], assets, as_of=AS_OF, include_passed=True)
    assert [(f.status.value, f.evidence.kind if f.evidence else None) for f in result.findings] == [
        ("skip", "governance-register"),
        ("skip", "supplier-contracts"),
    ]
    assert {f.message for f in result.findings} == {
        "insufficient evidence: no 'governance-register' evidence was given",
        "insufficient evidence: no 'supplier-contracts' evidence was given",
    }
    assert result.summary.by_status["pass"] == 0


def test_a_rule_with_no_records_in_scope_is_skipped(assets: EvidenceSet) -> None:
    result = evaluate([make_rule("INFRA-902", nothing)], assets, as_of=AS_OF, include_passed=True)
    [finding] = result.findings
    assert (finding.status, finding.message) == (Status.SKIP, "no records in the rule's scope")
    assert finding.evidence is not None and finding.evidence.file == "assets.json"


def test_the_rules_skipped_whole_are_told_from_those_that_skipped_records(assets: EvidenceSet) -> None:
    # The scorecard counts a skipped record as missing evidence, and a rule skipped whole as no part of its criteria
    from capcheck.core.engine import judged_nothing

    def skip_each(evidence: EvidenceSet, ctx: RuleContext) -> Iterator[Outcome]:
        for record in evidence.records("it-assets"):
            yield ctx.skipped("the source does not carry `owner`", record=record)

    rules = [
        make_rule("INFRA-902", nothing),
        make_rule("INFRA-903", skip_each),
        make_rule("COMM-901", owners_present, kinds=["supplier-contracts"]),
        make_rule("INFRA-901", owners_present),
    ]
    result = evaluate(rules, assets, as_of=AS_OF)
    assert judged_nothing(result.outcomes) == {"INFRA-902", "COMM-901"}


def test_an_empty_file_of_the_kind_is_evidence_but_gives_a_skip(load, workdir: Path) -> None:
    (workdir / "none.json").write_text('{"kind": "it-assets", "records": []}')
    result = evaluate([make_rule("INFRA-901", owners_present)], load("none.json"), as_of=AS_OF)
    assert [(f.status.value, f.message) for f in result.findings] == [("skip", "no records in the rule's scope")]


def test_severity_override(assets: EvidenceSet) -> None:
    result = evaluate(
        [make_rule("INFRA-901", owners_present)], assets, as_of=AS_OF, severities={"INFRA-901": Severity.CRITICAL}
    )
    assert {f.severity for f in result.findings} == {Severity.CRITICAL}
    assert result.summary.by_severity["critical"] == 2 and result.summary.by_severity["medium"] == 0


def test_option_overrides_merge_over_defaults(assets: EvidenceSet) -> None:
    seen: list[dict[str, Any]] = []

    def record_options(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
        seen.append(dict(ctx.options))
        assert ctx.as_of == AS_OF
        yield from owners_present(evidence, ctx)

    r = make_rule("INFRA-903", record_options, options={"max_days": 14, "envs": ["production"]})
    evaluate([r], assets, as_of=AS_OF, options={"INFRA-903": {"max_days": 30}})
    evaluate([r], assets, as_of=AS_OF)
    assert seen == [{"max_days": 30, "envs": ["production"]}, {"max_days": 14, "envs": ["production"]}]


def test_findings_are_sorted_whatever_the_rule_order(assets: EvidenceSet) -> None:
    rules = [
        make_rule("INFRA-901", owners_present, severity="low"),
        make_rule("INFRA-904", owners_present, severity="high"),
        make_rule("COMM-901", owners_present, severity="low"),
        make_rule("INFRA-900", explode, severity="low"),
    ]
    forward = evaluate(rules, assets, as_of=AS_OF, include_passed=True).findings
    backward = evaluate(list(reversed(rules)), assets, as_of=AS_OF, include_passed=True).findings
    assert forward == backward
    assert [f.rule_id for f in forward] == [
        "COMM-901",  # areas by id
        "COMM-901",
        "COMM-901",
        "INFRA-904",  # high before low
        "INFRA-904",
        "INFRA-904",
        "INFRA-900",
        "INFRA-901",
        "INFRA-901",
        "INFRA-901",
    ]
    assert [f.evidence.record_id for f in forward[:3] if f.evidence] == ["A-1", "A-2", "A-3"]


def test_group_and_related_findings(assets: EvidenceSet) -> None:
    def by_environment(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
        unowned = [a["id"] for a in evidence.records("it-assets") if not a.get("owner")]
        yield ctx.group_failed("it-assets", "production", "1 of 2 unowned", related=[("it-assets", unowned[0])])
        yield ctx.group_passed("it-assets", "test")

    result = evaluate([make_rule("INFRA-905", by_environment)], assets, as_of=AS_OF, include_passed=True)
    failed, passed = result.findings
    assert (failed.status, failed.group, passed.status, passed.group) == (
        Status.FAIL,
        "production",
        Status.PASS,
        "test",
    )
    assert failed.evidence is not None and failed.evidence.record_id is None and failed.evidence.file == "assets.json"
    assert [r.as_dict() for r in failed.related] == [
        {"kind": "it-assets", "record_id": "A-2", "file": "assets.json", "line": 6, "pointer": "/records/1"}
    ]
    assert failed.fingerprint != passed.fingerprint


def test_a_multi_kind_rule_must_name_the_kind_of_an_ambiguous_record(load, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("evidence/mixed", "ev")
    evidence = load("ev")

    def both(ev: Any, ctx: RuleContext) -> Iterator[Outcome]:
        yield ctx.failed(ev.records("supplier-contracts")[0], "found by identity")
        yield ctx.failed({"id": "CON-001"}, "a copy cannot be told apart")

    result = evaluate(
        [make_rule("COMM-905", both, kinds=["supplier-contracts", "governance-register"])], evidence, as_of=AS_OF
    )
    [finding] = result.findings
    assert finding.status is Status.ERROR
    assert "cannot tell which kind record 'CON-001' is: pass kind=" in finding.message


def _reads_contracts(how: str) -> Callable[[Any, RuleContext], Iterator[Outcome]]:
    """A rule declaring it-assets that fails a supplier contract: implicitly, by kind=, or as a group."""

    def check(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
        yield ctx.passed(evidence.records("it-assets")[0])
        contract = evidence.records("supplier-contracts")[0]
        if how == "failed":
            yield ctx.failed(contract, "no owner")
        elif how == "undetermined":
            yield ctx.undetermined(contract, ["status"])
        elif how == "kind=":
            yield ctx.failed(contract, "no owner", kind="supplier-contracts")
        else:
            yield ctx.group_failed("supplier-contracts", "all", "too few owners")

    return check


@pytest.mark.parametrize("how", ["failed", "undetermined", "kind=", "group"])
def test_reading_a_kind_the_rule_does_not_declare_is_an_error_finding(
    load, copy_fixture: Callable[..., Path], how: str
) -> None:
    """A rule reading a kind its kinds= leave out was never skipped without it, its failure was reported as a
    record of its declared kind, and (run in several processes) it would see the kind only where it happened to
    be loaded: the evidence a rule is given holds only the kinds it declares, and reading another is one error."""
    copy_fixture("evidence/mixed", "ev")
    evidence = load("ev")
    evaluation = evaluate([make_rule("INFRA-966", _reads_contracts(how)), make_rule("INFRA-965", owners_present)],
                          evidence, as_of=AS_OF)  # fmt: skip
    [error] = [f for f in evaluation.findings if f.rule_id == "INFRA-966"]
    assert error.status is Status.ERROR
    assert error.message == (
        "the rule read 'supplier-contracts' evidence, which it does not declare (it declares 'it-assets'): "
        "add the kind to its kinds, or to its reads if the rule can run without it"
    )
    assert any(f.rule_id == "INFRA-965" and f.status is Status.FAIL for f in evaluation.findings)


def test_a_kind_in_reads_is_seen_when_given_and_not_needed(load, copy_fixture: Callable[..., Path]) -> None:
    """``reads`` lets a rule see a kind without needing it: it runs with or without it."""
    copy_fixture("evidence/mixed", "ev")
    evidence = load("ev")

    def counts(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
        n = len(evidence.records("supplier-contracts")) + len(evidence.records("roles"))
        for asset in evidence.records("it-assets"):
            yield ctx.failed(asset, f"{n} contracts") if n else ctx.passed(asset)

    meta = {**TEXT, "id": "INFRA-967", "title": "Reads contracts", "area": "INFRA", "severity": "low"}
    reading = rule(**meta, kinds=["it-assets"], reads=["supplier-contracts", "roles"])(counts)
    [judged] = [f for f in evaluate([reading], evidence, as_of=AS_OF).findings][:1]
    assert judged.status is Status.FAIL and judged.message == f"{evidence.count('supplier-contracts')} contracts"
    from capcheck.core.kinds import bundled_kinds

    # The contracts and roles not given at all: the rule still runs.
    alone = evidence_from_records(
        {"it-assets": evidence.records("it-assets")}, kinds={k.id: k for k in bundled_kinds()}
    )
    assert all(f.status is Status.PASS for f in evaluate([reading], alone, as_of=AS_OF, include_passed=True).findings)


@pytest.mark.parametrize("how", ["kind=", "group"])
def test_an_outcome_for_a_kind_the_rule_does_not_declare_is_an_error_finding(how: str, assets: EvidenceSet) -> None:
    """An outcome naming a kind the rule does not declare (without reading it) is reported as one error."""

    def check(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
        if how == "kind=":
            yield ctx.failed({"id": "CON-1"}, "no owner", kind="supplier-contracts")
        else:
            yield ctx.group_failed("supplier-contracts", "all", "too few owners")

    evaluation = evaluate([make_rule("INFRA-966", check)], assets, as_of=AS_OF)
    [error] = list(evaluation.findings)
    assert error.status is Status.ERROR
    assert error.message == (
        "the rule yielded an outcome for kind 'supplier-contracts', which it does not declare (kinds: it-assets): "
        "name every kind a rule reads in kinds= or any_of="
    )


def test_a_copy_of_a_record_keeps_the_rule_s_one_kind(assets: EvidenceSet) -> None:
    """A record the rule made itself (a copy, a derived record) is of the rule's one kind, as before."""

    def copies(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
        for asset in evidence.records("it-assets"):
            yield ctx.failed({**asset}, "a copy")

    findings = evaluate([make_rule("INFRA-967", copies)], assets, as_of=AS_OF).findings
    assert [(f.status, f.evidence.kind if f.evidence else None, f.evidence.line if f.evidence else None)
            for f in findings] == [(Status.FAIL, "it-assets", line) for line in (4, 6, 7)]  # fmt: skip


# --- fingerprints ---------------------------------------------------------------------------------


def _fingerprints(load: Any, workdir: Path, text: str) -> dict[str, str]:
    (workdir / "assets.json").write_text(text)
    result = evaluate([make_rule("INFRA-901", owners_present)], load("assets.json"), as_of=AS_OF)
    return {f.evidence.record_id: f.fingerprint for f in result.findings if f.evidence and f.evidence.record_id}


def test_fingerprints_survive_reordering_and_shifted_lines(load, workdir: Path) -> None:
    original = _fingerprints(load, workdir, ASSETS)
    records = json.loads(ASSETS)["records"]
    reordered = '{"kind": "it-assets",\n\n\n"records": [\n' + ",\n\n".join(json.dumps(r) for r in records[::-1]) + "]}"
    shifted = _fingerprints(load, workdir, reordered)
    assert set(original) == {"A-2", "A-3"}
    assert shifted == original
    assert len(set(original.values())) == 2  # one per record


def test_fingerprints_differ_by_rule_and_have_the_documented_shape(assets: EvidenceSet) -> None:
    a = evaluate([make_rule("INFRA-901", owners_present)], assets, as_of=AS_OF).findings
    b = evaluate([make_rule("INFRA-902", owners_present)], assets, as_of=AS_OF).findings
    assert {f.fingerprint for f in a}.isdisjoint({f.fingerprint for f in b})
    assert all(len(f.fingerprint) == 32 and int(f.fingerprint, 16) >= 0 for f in a)


def test_a_rule_that_yields_something_else_is_an_error_finding(load, workdir: Path) -> None:
    from datetime import date

    from capcheck.core.engine import evaluate
    from capcheck.core.evidence import evidence_from_records
    from capcheck.core.kinds import bundled_kinds
    from capcheck.core.rules import rule

    @rule(
        id="COMM-960",
        title="Contracts are fine",
        area="COMM",
        severity="low",
        kinds=["supplier-contracts"],
        description="d",
        rationale="r",
        remediation="m",
    )
    def sloppy(evidence, ctx):  # type: ignore[no-untyped-def]  # a deliberately wrong rule
        yield "C-1 is fine"

    kinds = {k.id: k for k in bundled_kinds()}
    evidence = evidence_from_records(
        {
            "supplier-contracts": [
                {"id": "C-1", "title": "t", "supplier": "s", "value": 1, "start_date": "2024-01-01", "status": "active"}
            ]
        },
        kinds=kinds,
    )
    result = evaluate([sloppy], evidence, as_of=date(2025, 1, 1))
    [finding] = result.findings
    assert finding.status.value == "error"
    assert "the rule yielded str 'C-1 is fine', not an outcome" in finding.message


_A2 = (Status.FAIL, "it-assets", "A-2", "db has no owner", (), None)


def _with(index: int, value: Any) -> Outcome:
    """A failure of A-2 with field ``index`` replaced (tuple.__new__: no type is checked on the way)."""
    fields = list(_A2)
    fields[index] = value
    return tuple.__new__(Outcome, fields)


@pytest.mark.parametrize(
    ("outcome", "said"),
    [
        (_with(0, "fail"), "status is str 'fail', not a Status"),
        (_with(0, Severity.HIGH), "status is Severity <Severity.HIGH: 'high'>, not a Status"),
        (_with(0, None), "status is None, not a Status"),
        (_with(0, Status.WAIVED), "status is Status <Status.WAIVED: 'waived'>, not pass, fail, skip or error"),
        (_with(1, b"it-assets"), "kind is bytes b'it-assets', not a str or None"),
        (_with(2, 2), "record id is int 2, not a str or None"),
        (_with(3, None), "message is None, not a str"),
        (_with(3, Status.FAIL), "message is Status <Status.FAIL: 'fail'>, not a str"),
        (_with(4, [("it-assets", "A-1")]), "related is list [('it-assets', 'A-1')], not a tuple"),
        (_with(4, ("ab",)), "related record is str 'ab', not a (kind, record id) pair of str"),
        (_with(4, (("it-assets", 1),)), "related record is tuple ('it-assets', 1), not a (kind, record id) pair"),
        (_with(4, (("it-assets", "A-1", "x"),)), "related record is tuple ('it-assets', 'A-1', 'x'), not a"),
        (_with(5, 7), "group is int 7, not a str or None"),
        (_with(5, ["production"]), "group is list ['production'], not a str or None"),
        (_with(4, (("it-assets", ["A-1"]),)), "related is tuple (('it-assets', ['A-1']),), not a tuple of"),
        (_with(2, "x" * 100_000 + "\ud800"), "record id is str 'xxxxxxxx"),  # a valid value: no error
    ],
)
def test_an_outcome_of_the_wrong_types_is_an_error_finding(assets: EvidenceSet, outcome: Outcome, said: str) -> None:
    """A plugin rule yielding a value reporters cannot render is an error naming the rule; the others still run."""

    def sloppy(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
        yield ctx.failed(evidence.records("it-assets")[2], "app is fine, really")
        yield outcome

    evaluation = evaluate([make_rule("INFRA-961", sloppy), make_rule("INFRA-962", owners_present)], assets, as_of=AS_OF)
    by_rule = {f.rule_id: f for f in evaluation.findings}
    if "\ud800" in str(outcome.record_id):
        assert by_rule["INFRA-961"].status is Status.FAIL and evaluation.summary.by_status["error"] == 0
        return
    error = by_rule["INFRA-961"]
    assert error.status is Status.ERROR
    assert error.message.startswith(f"the rule yielded an outcome whose {said}")
    assert len(error.message) < 200  # the value's repr is cut short
    assert [f.rule_id for f in evaluation.findings].count("INFRA-961") == 1  # its other outcome is not listed
    assert by_rule["INFRA-962"].status is Status.FAIL  # the other rule still ran
    assert evaluation.summary.by_status["error"] == 1
    assert evaluation.summary.by_status["fail"] == 2  # INFRA-962 fails; none of INFRA-961 is counted


def test_an_unlisted_pass_is_counted_and_not_checked(assets: EvidenceSet) -> None:
    """Only listed rows must be renderable: a pass that is only counted shows nothing (listed, it is an error)."""

    def odd_pass(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
        yield tuple.__new__(Outcome, (Status.PASS, "it-assets", 1, "", (), None))

    r = make_rule("INFRA-963", odd_pass)
    assert evaluate([r], assets, as_of=AS_OF).summary.by_status["pass"] == 1
    [error] = evaluate([r], assets, as_of=AS_OF, include_passed=True).findings
    assert error.status is Status.ERROR and "record id is int 1" in error.message


class _NoStr(Exception):
    def __str__(self) -> str:
        raise RuntimeError("the rule's own __str__ fails")


class _NoRepr:
    def __repr__(self) -> str:
        raise RuntimeError("the rule's own __repr__ fails")

    def __hash__(self) -> int:
        raise ValueError("the rule's own __hash__ fails")


class _Unhashable:
    """Looks like a Status to a quick glance: it has a ``_value_``, but a list."""

    _value_: list[str] = []  # a deliberately wrong value: never mutated


def _raising(exc: BaseException) -> Callable[[Any, RuleContext], Iterator[Outcome]]:
    def check(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
        yield ctx.passed(evidence.records("it-assets")[0])
        raise exc

    return check


def _yielding(*outcomes: Any) -> Callable[[Any, RuleContext], Iterator[Outcome]]:
    def check(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
        yield from outcomes

    return check


@pytest.mark.parametrize(
    ("check", "said"),
    [
        (_raising(SystemExit(0)), "the rule raised SystemExit: 0"),  # was: the run ended, exit 0, no output
        (_raising(_NoStr()), "the rule raised _NoStr: <str() raised RuntimeError>"),
        (_yielding(_NoRepr()), "the rule yielded _NoRepr <repr() raised RuntimeError>, not an outcome"),
        (_yielding(_with(2, _NoRepr())), "the rule yielded an outcome whose record id is _NoRepr <repr() raised"),
        (_yielding(_with(5, _NoRepr())), "the rule yielded an outcome whose group is _NoRepr <repr() raised"),
        (_yielding(PassedRecords("it-assets", 3)), "the rule yielded passed records whose record ids is int 3"),
        (_yielding(_with(0, _Unhashable())), "the rule yielded an outcome whose status is _Unhashable <"),
    ],
)
@pytest.mark.parametrize("debug", [False, True])
def test_a_rule_s_own_hostile_code_is_an_error_finding(
    assets: EvidenceSet, check: Callable[[Any, RuleContext], Iterator[Outcome]], said: str, debug: bool
) -> None:
    """What a rule's own code does when the engine reports on it (exit, __str__, __repr__, __hash__) is its error."""
    evaluation = evaluate([make_rule("INFRA-964", check), make_rule("INFRA-965", owners_present)], assets,
                          as_of=AS_OF, debug=debug)  # fmt: skip
    [error] = [f for f in evaluation.findings if f.rule_id == "INFRA-964"]
    assert error.status is Status.ERROR and error.message.startswith(said)
    assert evaluation.summary.by_status["fail"] == 2  # the other rule still ran


def test_keyboard_interrupt_in_a_rule_stops_the_run(assets: EvidenceSet) -> None:
    """Ctrl-C is the user's: it is not a rule's error finding."""
    with pytest.raises(KeyboardInterrupt):
        evaluate([make_rule("INFRA-966", _raising(KeyboardInterrupt()))], assets, as_of=AS_OF)


def _yields(*picks: tuple[str, str | None, str | None, str | None]) -> Callable[[Any, RuleContext], Iterator[Outcome]]:
    """A rule yielding, per pick (status, kind, record id, group), that outcome with a message of its own."""
    status = {"pass": Status.PASS, "fail": Status.FAIL, "skip": Status.SKIP}

    def check(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
        for n, (said, kind, record_id, group) in enumerate(picks):
            yield Outcome(status[said], kind, record_id, f"problem {n}", group=group)

    return check


@pytest.mark.parametrize(
    ("picks", "named"),
    [
        ((("fail", "it-assets", "A-2", None), ("fail", "it-assets", "A-2", None)), "record 'A-2' of 'it-assets'"),
        ((("fail", "it-assets", "A-3", None), ("skip", "it-assets", "A-3", None)), "record 'A-3' of 'it-assets'"),
        # out of order, so not asked by the in-order shortcut
        (
            (
                ("fail", "it-assets", "A-3", None),
                ("fail", "it-assets", "A-1", None),
                ("fail", "it-assets", "A-3", None),
            ),
            "record 'A-3' of 'it-assets'",
        ),
        # an outcome naming no kind is of the rule's first kind: the same fingerprint
        ((("fail", None, "A-2", None), ("fail", "it-assets", "A-2", None)), "record 'A-2' of 'it-assets'"),
        ((("fail", "it-assets", None, "prod"), ("fail", "it-assets", None, "prod")), "group 'prod' of 'it-assets'"),
        ((("fail", "it-assets", None, None), ("skip", "it-assets", None, None)), "'it-assets' as a whole"),
        # a record both passed and failed was counted twice ("1 failed, 1 passed"), judged twice by the scorecard
        ((("pass", "it-assets", "A-1", None), ("fail", "it-assets", "A-1", None)), "record 'A-1' of 'it-assets'"),
        ((("fail", None, "A-1", None), ("pass", "it-assets", "A-1", None)), "record 'A-1' of 'it-assets'"),
        (
            (("skip", "it-assets", "A-1", None), ("pass", "it-assets", "A-2", None), ("pass", None, "A-1", None)),
            "record 'A-1' of 'it-assets'",
        ),
        ((("pass", "it-assets", None, "prod"), ("fail", "it-assets", None, "prod")), "group 'prod' of 'it-assets'"),
    ],
)
def test_two_outcomes_for_one_record_are_an_error_naming_it(
    assets: EvidenceSet, picks: tuple[tuple[str, str | None, str | None, str | None], ...], named: str
) -> None:
    """Waivers, baselines and diff tell findings apart by fingerprint (rule, kind, record, group): a rule that
    reported one record twice had two findings with one fingerprint; only the test harness refused it."""
    for include_passed in (False, True):
        evaluation = evaluate(
            [make_rule("INFRA-964", _yields(*picks)), make_rule("INFRA-965", owners_present)],
            assets,
            as_of=AS_OF,
            include_passed=include_passed,
        )
        [error] = [f for f in evaluation.findings if f.rule_id == "INFRA-964"]
        assert error.status is Status.ERROR
        assert error.message.startswith(f"the rule yielded two outcomes for {named} (")
        assert "'problem 0'" in error.message and "a rule gives one outcome per record" in error.message
        assert evaluation.summary.by_status["error"] == 1
        assert [f.status for f in evaluation.findings if f.rule_id == "INFRA-965"] == (
            [Status.PASS, Status.FAIL, Status.FAIL] if include_passed else [Status.FAIL, Status.FAIL]
        )  # the other rule still ran


@pytest.mark.parametrize(
    "picks",
    [
        (("fail", "it-assets", "A-3", None), ("fail", "it-assets", "A-1", None), ("skip", "it-assets", "A-2", None)),
        (("fail", "it-assets", None, "prod"), ("fail", "it-assets", None, "test"), ("skip", "it-assets", None, None)),
        (("fail", "it-assets", "A-1", None), ("fail", "governance-register", "A-1", None)),
        # a rule may pass a record as a whole and fail it in a group (two fingerprints), or pass it in two kinds
        (("pass", "it-assets", "A-1", None), ("fail", "it-assets", "A-1", "prod")),
        (("pass", "it-assets", "A-1", None), ("fail", "governance-register", "A-1", None)),
        (("pass", "it-assets", "A-2", None), ("fail", "it-assets", "A-1", None), ("pass", "it-assets", "A-3", None)),
        (("fail", "it-assets", "A-1", None), ("fail", "it-assets", "A-1", "prod")),
    ],
)
def test_one_outcome_per_record_group_and_kind_is_not_refused(
    assets: EvidenceSet, picks: tuple[tuple[str, str | None, str | None, str | None], ...]
) -> None:
    two_kinds = any(k == "governance-register" for _, k, _, _ in picks)
    meta = {"kinds": [], "any_of": ["it-assets", "governance-register"]} if two_kinds else {}
    for include_passed in (False, True):
        r = make_rule("INFRA-966", _yields(*picks), **meta)
        findings = evaluate([r], assets, as_of=AS_OF, include_passed=include_passed).findings
        assert Status.ERROR not in [f.status for f in findings], [f.message for f in findings]
        listed = [p for p in picks if include_passed or p[0] != "pass"]
        assert len(findings) == len(listed)


def _passes_and_fails(passed: list[Any], failed: list[str]) -> Callable[[Any, RuleContext], Iterator[Any]]:
    """A rule failing the records ``failed`` and passing ``passed`` in one PassedRecords (as declarative rules do)."""

    def check(evidence: Any, ctx: RuleContext) -> Iterator[Any]:
        for record_id in failed:
            yield ctx.failed({"id": record_id}, f"{record_id} is wrong")
        yield PassedRecords("it-assets", passed)

    return check


@pytest.mark.parametrize(
    ("passed", "failed"),
    [
        (["A-2"], ["A-1", "A-2"]),  # fewer passes than failures: the set is of the passes
        (["A-3", "A-1", "A-2"], ["A-2"]),  # more passes: the set is of the failures
        (["A-9", "A-1"], ["A-1"]),  # failures in order are marked ordered: the passes are still asked
    ],
)
def test_a_record_passed_in_passed_records_and_failed_is_an_error_naming_it(
    assets: EvidenceSet, passed: list[str], failed: list[str]
) -> None:
    """The summary said "1 failed, 1 passed" for one record, and with --include-passed two findings shared a
    fingerprint; with or without listing passes, the rule's result is one error naming the record."""
    twice = sorted(set(passed) & set(failed))[0]
    for include_passed in (False, True):
        evaluation = evaluate([make_rule("INFRA-964", _passes_and_fails(passed, failed))], assets, as_of=AS_OF,
                              include_passed=include_passed)  # fmt: skip
        [error] = evaluation.findings
        assert error.status is Status.ERROR
        assert error.message.startswith(f"the rule yielded two outcomes for record {twice!r} of 'it-assets' (fail: ")
        assert {status: n for status, n in evaluation.summary.by_status.items() if n} == {"error": 1}


@pytest.mark.parametrize("passed", [["A-3", "A-4"], [["A-1"]], [["A-1"]] * 5])
def test_passed_records_apart_from_the_failures_are_counted(assets: EvidenceSet, passed: list[Any]) -> None:
    """Passes of other records are counted as before; an unhashable pass id (only counted, never type-checked)
    does not crash the check (nor is it taken for the failed record whose id it holds)."""
    evaluation = evaluate([make_rule("INFRA-964", _passes_and_fails(passed, ["A-1", "A-2"]))], assets, as_of=AS_OF)
    assert [f.status for f in evaluation.findings] == [Status.FAIL, Status.FAIL]
    assert evaluation.summary.by_status["pass"] == len(passed)


# --- per-record rules ---------------------------------------------------------------------------------


def _per_record(how: str) -> Callable[[Any, RuleContext], Iterator[Any]]:
    """Fails A-2 and passes the other assets, and yields one outcome a per-record rule may not (``how``)."""

    def check(evidence: Any, ctx: RuleContext) -> Iterator[Any]:
        assets = evidence.records("it-assets")
        yield ctx.failed(assets[1], "no owner")
        if how == "passed":
            yield ctx.passed(assets[0])
            yield ctx.passed(assets[2])
        else:
            yield ctx.passed_records([assets[0], assets[2]])
        if how == "group":
            yield ctx.group_failed("it-assets", "production", "too many without an owner")
        elif how == "whole":
            yield ctx.skipped("too few assets to judge")
        elif how == "other kind":
            yield ctx.passed({"id": "ORG"}, kind="organisation")
        elif how == "other kind, counted":
            yield PassedRecords("organisation", ["ORG"])

    return check


@pytest.mark.parametrize(
    ("how", "said"),
    [
        ("group", "a fail for group 'production' of 'it-assets'"),
        ("whole", "a skip naming no record ('too few assets to judge')"),
        ("other kind", "a pass for a record of kind 'organisation'"),
        ("other kind, counted", "passed records of kind 'organisation'"),
    ],
)
@pytest.mark.parametrize("include_passed", [False, True])
def test_a_per_record_rule_yielding_what_the_declaration_forbids_is_an_error_finding(
    assets: EvidenceSet, how: str, said: str, include_passed: bool
) -> None:
    """Such an outcome depends on more than one record (or on another kind's): judged over ranges of the records it
    would change, so the rule cannot be per_record. Passes only counted are held to it too."""
    check = _per_record(how)
    meta = {"reads": ["organisation"]}
    evaluation = evaluate([make_rule("INFRA-970", check, per_record=True, **meta)], assets, as_of=AS_OF,
                          include_passed=include_passed)  # fmt: skip
    [error] = list(evaluation.findings)
    assert error.status is Status.ERROR and error.evidence is not None and error.evidence.record_id is None
    assert error.message == (
        f"the rule yielded {said}, but it is declared per_record: a per-record rule yields one outcome per record of "
        "'it-assets', each about that record alone (no group, no other kind, no outcome naming no record); drop "
        "per_record=True, or judge each record on its own"
    )
    # The same rule not declared per record is judged as before (a listed pass of a kind it only reads is refused
    # as it always was: _check_kinds).
    allowed = evaluate([make_rule("INFRA-971", check, **meta)], assets, as_of=AS_OF, include_passed=include_passed)
    assert not any("per_record" in f.message for f in allowed.findings)
    if how in ("group", "whole"):
        assert allowed.summary.by_status["error"] == 0 and allowed.summary.by_status["fail"] >= 1


@pytest.mark.parametrize("how", ["passed", "passed records"])
def test_a_per_record_rule_judging_each_record_is_judged_as_any_rule(assets: EvidenceSet, how: str) -> None:
    evaluation = evaluate([make_rule("INFRA-972", _per_record(how), per_record=True)], assets, as_of=AS_OF,
                          include_passed=True)  # fmt: skip
    assert statuses(evaluation.findings) == [
        ("INFRA-972", "pass", "A-1"), ("INFRA-972", "fail", "A-2"), ("INFRA-972", "pass", "A-3")
    ]  # fmt: skip
