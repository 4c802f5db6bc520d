"""The runner: a check end to end without the CLI (for CI wrappers and notebooks)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from capcheck.app.config import Config, load_config
from capcheck.app.runner import CheckRequest, load_registry, run_check
from capcheck.core.errors import ConfigError, EvidenceError, UsageError
from capcheck.core.models import Severity

PY_RULES = ("COMM-003", "COMM-004", "GOV-002", "INFRA-003", "INFRA-004")


@pytest.fixture
def mixed(copy_fixture: Callable[..., Path]) -> Path:
    return copy_fixture("evidence/mixed", "evidence")


def test_run_check_returns_the_result(mixed: Path) -> None:
    result = run_check(CheckRequest(paths=[mixed], select=PY_RULES, as_of=date(2025, 4, 1)))
    assert result.as_of == date(2025, 4, 1)
    assert [r.id for r in result.rules] == list(PY_RULES)
    assert result.summary.by_status["fail"] == 7
    assert result.exit_code == 1
    assert result.started <= result.finished
    assert [f.path for f in result.evidence] == [
        "evidence/governance-register.yaml",
        "evidence/it-assets.csv",
        "evidence/supplier-contracts.json",
    ]


@pytest.mark.parametrize(("fail_on", "code"), [(Severity.CRITICAL, 1), (None, 0)])
def test_fail_on(mixed: Path, fail_on: Severity | None, code: int) -> None:
    request = CheckRequest(paths=[mixed], select=PY_RULES, as_of=date(2025, 4, 1), fail_on=fail_on)
    assert run_check(request).exit_code == code


def test_as_of_defaults_to_today(mixed: Path) -> None:
    assert run_check(CheckRequest(paths=[mixed], select=["COMM-004"])).as_of == date.today()


def test_a_registry_can_be_reused(mixed: Path) -> None:
    registry = load_registry(Config())
    first = run_check(CheckRequest(paths=[mixed], select=["GOV-002"], as_of=date(2025, 4, 1)), registry)
    second = run_check(CheckRequest(paths=[mixed], select=["GOV-002"], as_of=date(2025, 4, 1)), registry)
    assert first.findings == second.findings


def test_config_overrides_reach_the_rules(mixed: Path, workdir: Path) -> None:
    (workdir / "capcheck.toml").write_text('[severity]\n"GOV-002" = "low"\n\n[options."GOV-002"]\nmin_score = 8\n')
    config = load_config(workdir / "capcheck.toml")
    result = run_check(CheckRequest(paths=[mixed], config=config, select=["GOV-002"], as_of=date(2025, 4, 1)))
    failed = sorted(f.evidence.record_id for f in result.findings if f.evidence and f.status.value == "fail")
    assert failed == ["RSK-002", "RSK-003", "RSK-004"]
    assert {f.severity for f in result.findings} == {Severity.LOW}
    assert result.rules[0].severity is Severity.LOW


def test_the_request_is_taken_as_given_and_the_config_decides_no_precedence(mixed: Path) -> None:
    # The config's select/ignore are merged by capcheck.app.settings; the runner runs what the request says.
    config = Config(select=["COMM"], ignore=["COMM-003"])
    result = run_check(CheckRequest(paths=[mixed], config=config, select=["COMM-003", "GOV-002"]))
    assert [r.id for r in result.rules] == ["COMM-003", "GOV-002"]
    assert result.select == ("COMM-003", "GOV-002") and result.ignore == ()
    with pytest.raises(UsageError, match="no rules left to run"):
        run_check(CheckRequest(paths=[mixed], select=["COMM-003"], ignore=["COMM-003"]))


def test_inputs_are_checked_before_any_rule_runs(workdir: Path) -> None:
    with pytest.raises(UsageError):
        run_check(CheckRequest(paths=[Path("nowhere")], select=["NOPE"]))
    with pytest.raises(ConfigError):
        run_check(CheckRequest(paths=[Path("nowhere")], config=Config(options={"COMM-999": {}})))
    with pytest.raises(EvidenceError):
        run_check(CheckRequest(paths=[Path("nowhere")]))


def test_rules_from_files_carry_the_file_hash(mixed: Path, workdir: Path) -> None:
    import hashlib

    rules = workdir / "ours"
    rules.mkdir()
    text = (
        '[[rule]]\nid = "COMM-950"\ntitle = "Contracts have owners"\narea = "COMM"\nseverity = "low"\n'
        'kind = "supplier-contracts"\ndescription = "d"\nrationale = "r"\nremediation = "m"\n'
        'require = { field = "owner", exists = true }\n'
    )
    (rules / "COMM-950.toml").write_text(text)
    result = run_check(CheckRequest(paths=[mixed], rule_paths=[rules], select=["COMM-950", "COMM-001"]))
    sources = {r.id: r.source.as_dict() for r in result.rules if r.source is not None}
    assert sources["COMM-950"] == {
        "type": "file",
        "name": "ours/COMM-950.toml",
        "path": "ours/COMM-950.toml",
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
    }
    assert sources["COMM-001"]["type"] == "builtin" and len(sources["COMM-001"]["sha256"]) == 64
