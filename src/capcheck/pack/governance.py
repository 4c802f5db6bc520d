"""Governance and assurance (GOV): rules that follow links inside the governance register."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from capcheck.models import Outcome
from capcheck.rules import RuleContext, rule

__all__ = ["RULES"]


@rule(
    id="GOV-002",
    title="High risks are linked to controls that exist in the register",
    area="GOV",
    severity="high",
    kinds=["governance-register"],
    description=(
        "Every open risk scoring at or above the threshold (default 15 of 25) lists at least one "
        "linked control, and every linked control id is a control entry in the register."
    ),
    rationale=(
        "A high risk with no control, or with a control that is not in the register, is an "
        "unmanaged risk: nobody can assure the control operates (GovS 007 security; NCSC CAF A.2)."
    ),
    remediation="Add or link the controls that treat the risk, and register each control.",
    references=[
        "https://www.gov.uk/government/publications/government-functional-standard-govs-007-security",
        "https://www.ncsc.gov.uk/collection/cyber-assessment-framework",
    ],
    tags=["risk-management", "join"],
    criteria=["caf:A2.a", "govs:007-risk"],
    options={"min_score": 15},
)
def high_risks_linked_to_controls(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Check linked_controls of high open risks against the register's control entries."""
    kind = "governance-register"
    controls = {r["id"] for r in evidence.records(kind) if r.get("entry_type") == "control"}
    min_score = ctx.options["min_score"]
    for entry in evidence.records(kind):
        score = entry.get("risk_score")
        if entry.get("entry_type") != "risk" or entry.get("status") == "closed":
            continue
        if not isinstance(score, int) or score < min_score:
            continue
        linked = entry.get("linked_controls") or []
        missing = [c for c in linked if c not in controls]
        if not linked:
            yield ctx.failed(entry, f"risk scored {score} has no linked controls")
        elif missing:
            yield ctx.failed(
                entry,
                f"risk scored {score} links controls not in the register: {', '.join(missing)}",
            )
        else:
            yield ctx.passed(entry)


RULES = (high_risks_linked_to_controls,)
