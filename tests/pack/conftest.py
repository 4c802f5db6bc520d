"""Fixtures for the pack's Python rules: the mixed evidence and a judge that runs one rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from capcheck.builtins.pack import pack_rules
from capcheck.core.engine import evaluate
from capcheck.core.evidence import EvidenceSet
from capcheck.core.models import Finding
from capcheck.core.rules import Rule

AS_OF = date(2025, 4, 1)


@pytest.fixture
def mixed(load: Callable[..., EvidenceSet], copy_fixture: Callable[..., Path]) -> EvidenceSet:
    """The mixed evidence: passes and failures for every Python rule of the pack."""
    return load(copy_fixture("evidence/mixed", "evidence"))


def pack_rule(rule_id: str) -> Rule:
    [found] = [r for r in pack_rules() if r.id == rule_id]
    return found


Judge = Callable[..., dict[str, tuple[str, str]]]


@pytest.fixture
def judge() -> Judge:
    """``judge(rule_id, evidence, **options)`` -> {record id or group: (status, message)}, passes included."""

    def run(rule_id: str, evidence: EvidenceSet, as_of: date = AS_OF, **options: Any) -> dict[str, tuple[str, str]]:
        result = evaluate([pack_rule(rule_id)], evidence, as_of=as_of, options={rule_id: options}, include_passed=True)
        return {_key(f): (f.status.value, f.message) for f in result.findings}

    return run


def _key(f: Finding) -> str:
    if f.evidence is not None and f.evidence.record_id is not None:
        return f.evidence.record_id
    return f.group or "-"
