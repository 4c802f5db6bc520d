"""Python rules with optional kinds (``any_of``), group findings that name their records' file, and
``--debug`` tracebacks in the text report keeping their lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from capcheck.core.engine import evaluate
from capcheck.core.errors import PluginError
from capcheck.core.evidence import EvidenceSet
from capcheck.core.models import Outcome, Status
from capcheck.core.rules import Rule, RuleContext, rule

AS_OF = date(2026, 1, 1)
TEXT = {"description": "d", "rationale": "r", "remediation": "m"}
ASSET = {"name": "web", "product": "nginx", "environment": "production", "criticality": "high"}
RISK = {"title": "t", "owner": "o", "status": "open", "entry_type": "risk"}


def _owned(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    for kind in ("governance-register", "it-assets"):
        for record in evidence.records(kind):
            yield ctx.passed(record, kind=kind) if record.get("owner") else ctx.failed(record, "no owner", kind=kind)


def _make(**kinds: Any) -> Rule:
    return rule(id="GOV-901", title="Records have owners", area="GOV", severity="low", **kinds, **TEXT)(_owned)


def _write(workdir: Path, kind: str, records: list[dict[str, Any]], name: str | None = None) -> str:
    name = name or f"{kind}.json"
    (workdir / name).write_text(json.dumps({"kind": kind, "records": records}))
    return name


@pytest.fixture
def both(load, workdir: Path) -> EvidenceSet:
    a = _write(workdir, "it-assets", [{"id": "A-1", **ASSET}])
    g = _write(workdir, "governance-register", [{"id": "R-1", **RISK}])
    result: EvidenceSet = load(a, g)
    return result


def test_any_of_runs_with_one_of_its_kinds_and_skips_only_without_all(load, workdir: Path) -> None:
    r = _make(any_of=["governance-register", "it-assets"])
    assert r.meta.kinds == ("governance-register", "it-assets") and r.meta.required_kinds == ()
    only_assets = load(_write(workdir, "it-assets", [{"id": "A-1", **ASSET}]))
    found = evaluate([r], only_assets, as_of=AS_OF).findings
    assert [(f.status, f.evidence.record_id if f.evidence else None) for f in found] == [(Status.FAIL, "A-1")]

    none = load(_write(workdir, "supplier-contracts", [], name="c.json"))
    [skip] = evaluate([r], none, as_of=AS_OF).findings
    assert skip.status is Status.SKIP
    assert skip.message == "insufficient evidence: no 'governance-register' or 'it-assets' evidence was given"


def test_required_kinds_must_all_be_present_beside_any_of(load, workdir: Path, both: EvidenceSet) -> None:
    r = _make(kinds=["supplier-contracts"], any_of=["governance-register", "it-assets"])
    assert r.meta.required_kinds == ("supplier-contracts",)
    [skip] = evaluate([r], both, as_of=AS_OF).findings
    assert (skip.status, skip.message) == (
        Status.SKIP,
        "insufficient evidence: no 'supplier-contracts' evidence was given",
    )


@pytest.mark.parametrize(
    ("kinds", "cause"),
    [
        ({"any_of": ["it-assets"]}, "any_of names two or more kinds"),
        ({"kinds": ["it-assets"], "any_of": ["it-assets", "governance-register"]}, "'it-assets' named twice"),
        ({}, "kinds: Tuple should have at least 1 item"),
    ],
)
def test_bad_kind_declarations_are_located_errors(kinds: dict[str, Any], cause: str) -> None:
    with pytest.raises(PluginError) as info:
        _make(**kinds)
    [problem] = info.value.problems
    assert cause in problem.message and problem.path is not None and problem.path.endswith("test_optional_kinds.py")


def test_rules_show_tells_required_from_any_of(run_cli, workdir: Path) -> None:
    (workdir / "ours").mkdir()
    (workdir / "ours" / "__init__.py").write_text(
        "from capcheck import hookimpl, rule\n\n"
        "@rule(id='GOV-901', title='Records have owners', area='GOV', severity='low', kinds=['supplier-contracts'],\n"
        "      any_of=['governance-register', 'it-assets'], description='d', rationale='r', remediation='m')\n"
        "def owned(evidence, ctx):\n    return iter(())\n\n"
        "@hookimpl\ndef capcheck_rules():\n    return [owned]\n"
    )
    result = run_cli("rules", "show", "GOV-901", "--plugin", "./ours/")
    assert result.exit_code == 0, result.stderr
    assert "evidence kinds: supplier-contracts; and any one of: governance-register, it-assets" in result.stdout


def test_kinds_read_when_given_are_shown_as_such(run_cli) -> None:
    """A rule's reads change its outcomes (CYBER-004 leaves out the organisation's own row): ``kinds`` said of the
    organisation profile "no rule reads it", and ``rules show`` and the rule docs did not name it."""
    listing = run_cli("kinds").stdout
    profile = " ".join(listing.split("\norganisation ", 1)[1].split("\nprocurement-pipeline", 1)[0].split())
    assert (
        "no rule reads it" not in profile and "read it when given: COMM-008, CYBER-004, CYBER-007, GOV-006" in profile
    )
    shown = run_cli("rules", "show", "CYBER-004").stdout
    assert "evidence kinds: dspt-assessments; and, when given: organisation" in shown
    page = (Path(__file__).parents[1] / "docs" / "rules" / "CYBER-004.md").read_text(encoding="utf-8")
    assert "- **Evidence kinds:** `dspt-assessments`; and, when given, `organisation`" in page


def _by_group(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    late = [a for a in evidence.records("it-assets") if a["environment"] == "test"]
    yield ctx.group_failed("it-assets", "test", "late", related=[("it-assets", a["id"]) for a in late])
    yield ctx.group_passed("it-assets", "production")


def test_a_group_finding_names_the_file_its_records_come_from(load, workdir: Path) -> None:
    first = _write(workdir, "it-assets", [{"id": "A-1", **ASSET}], name="a-production.json")
    second = _write(workdir, "it-assets", [{"id": "A-2", **ASSET, "environment": "test"}], name="b-test.json")
    evidence = load(first, second)
    r = rule(id="INFRA-901", title="Groups hold", area="INFRA", severity="low", kinds=["it-assets"], **TEXT)(_by_group)
    found = {f.group: f for f in evaluate([r], evidence, as_of=AS_OF, include_passed=True).findings}
    failed = found["test"].evidence
    assert failed is not None and failed.file == "b-test.json"  # not the kind's first file
    passed = found["production"].evidence
    assert passed is not None and passed.file is None  # no record says which of the kind's two files

    one_file = load(_write(workdir, "it-assets", [{"id": "A-1", **ASSET}]))
    [*_, lone] = evaluate([r], one_file, as_of=AS_OF, include_passed=True).findings
    assert lone.evidence is not None and lone.evidence.file == "it-assets.json"


def test_debug_tracebacks_keep_their_lines_in_the_text_report(run_cli, workdir: Path) -> None:
    _write(workdir, "it-assets", [{"id": "A-1", **ASSET}])
    (workdir / "boom.py").write_text(
        "from capcheck import hookimpl, rule\n\n"
        "@rule(id='INFRA-902', title='Never raises', area='INFRA', severity='low', kinds=['it-assets'],\n"
        "      description='d', rationale='r', remediation='m')\n"
        "def boom(evidence, ctx):\n    raise RuntimeError('haunted\\x1b[2J')\n\n"
        "@hookimpl\ndef capcheck_rules():\n    return [boom]\n"
    )
    result = run_cli("check", "it-assets.json", "--plugin", "./boom.py", "--select", "INFRA-902", "--debug")
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "the rule raised RuntimeError: haunted" in line)
    assert lines[start + 1].strip() == "Traceback (most recent call last):"
    assert any(line.strip().startswith('File "') and "boom.py" in line for line in lines[start + 1 :])
    assert "\x1b[2J" not in result.stdout  # each line still escaped
    plain = run_cli("check", "it-assets.json", "--plugin", "./boom.py", "--select", "INFRA-902")
    assert "Traceback" not in plain.stdout
