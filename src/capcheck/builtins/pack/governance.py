"""Governance and assurance (GOV): rules that follow links inside the governance register."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from capcheck.builtins.pack._dspt import (
    current_edition,
    edition_of,
    is_current,
    latest_per_organisation,
    own_codes,
    publication,
)
from capcheck.core.models import Outcome, PassedRecords, Status
from capcheck.core.rules import RuleContext, is_missing, rule

__all__ = ["RULES"]


@rule(
    id="GOV-002",
    title="High risks are linked to controls that exist in the register",
    area="GOV",
    severity="high",
    version="1.1.0",
    kinds=["governance-register"],
    description=(
        "Every open risk scoring at or above the threshold (default 15 of 25) lists at least one "
        "linked control, and every linked control id is a control entry in the register. An open risk "
        "with no risk_score fails as undetermined: it may be a high one."
    ),
    rationale=(
        "A high risk with no control, or with a control that is not in the register, is an unmanaged risk: "
        "nobody can assure the control operates (NCSC CAF A2.a risk management process; GovS 007 security "
        "risk management)."
    ),
    remediation="Add or link the controls that treat the risk, and register each control.",
    references=[
        "https://www.gov.uk/government/publications/government-functional-standard-govs-007-security",
        "https://www.ncsc.gov.uk/collection/cyber-assessment-framework",
    ],
    tags=["risk-management", "join"],
    criteria=["caf-4.0:A2.a", "govs-topics-1:007-risk"],
    options={"min_score": 15},
)
def high_risks_linked_to_controls(evidence: Any, ctx: RuleContext) -> Iterator[Outcome | PassedRecords]:
    """Check linked_controls of high open risks against the register's control entries."""
    kind = "governance-register"
    controls = {r["id"] for r in evidence.records(kind) if r.get("entry_type") == "control"}
    min_score = ctx.options["min_score"]
    new, fail = tuple.__new__, Status.FAIL  # ctx.failed(entry, why), built as the tuple it is
    passing: list[str] = []  # yielded as one value (PassedRecords): passes are only counted
    keep = passing.append
    for entry in evidence.records(kind):
        get = entry.get
        if get("entry_type") != "risk" or get("status") == "closed":
            continue
        score = get("risk_score")
        if is_missing(score):
            yield ctx.undetermined(entry, ["risk_score"])  # an open risk with no score may be a high one
            continue
        if not isinstance(score, int) or score < min_score:
            continue
        linked = get("linked_controls") or []
        missing = [c for c in linked if c not in controls]
        if not linked:
            yield new(Outcome, (fail, kind, entry["id"], f"risk scored {score} has no linked controls", (), None))
        elif missing:
            why = f"risk scored {score} links controls not in the register: {', '.join(missing)}"
            yield new(Outcome, (fail, kind, entry["id"], why, (), None))
        else:
            keep(entry["id"])
    if passing:
        yield PassedRecords(kind, passing)


@rule(
    id="GOV-006",
    title="The organisation's own DSPT assessment is current and meets the standards",
    area="GOV",
    severity="high",
    kinds=["dspt-assessments"],
    reads=["organisation"],
    description=(
        "The organisation's own Data Security and Protection Toolkit record (relationship = self; the "
        "latest row per organisation when the register keeps history) has a status of Standards Met or "
        "Standards Exceeded (the accepted statuses are an option) from the current DSPT edition: from an "
        "edition's publication deadline (30 June after its financial year; the editions are data, "
        "rules/reference-data/dspt-editions.toml) last year's status no longer counts. The edition is "
        "the record's edition field or the prefix of its status_text. A row whose org_code is the "
        "organisation profile's org_code is its own whatever its relationship says (a national status "
        "export lists every organisation as a partner)."
    ),
    rationale=(
        "Every organisation with access to NHS patient data must publish a DSPT self-assessment each year: "
        "against the National Data Guardian's ten standards or, from 2024-25 for NHS trusts, ICBs, CSUs and "
        "arm's-length bodies, against the CAF-aligned outcomes. It is a self-assessment, not independent "
        "assurance, but a stale or unmet one leaves the board without even that evidence (NCSC CAF A2.c: "
        "confidence in the effectiveness of the security of your technology, people and processes)."
    ),
    remediation=(
        "Complete and publish this year's DSPT assessment with the SIRO's sign-off; where standards are not "
        "met, agree an improvement plan with NHS England and record the published status."
    ),
    references=[
        "https://www.dsptoolkit.nhs.uk/",
        "https://www.ncsc.gov.uk/collection/cyber-assessment-framework/"
        "caf-objective-a-managing-security-risk/principle-a2-risk-management",
    ],
    tags=["assurance", "dspt"],
    criteria=["caf-4.0:A2.c"],
    options={"accepted_statuses": ["standards-met", "standards-exceeded"]},
    version="2.1.1",
)
def own_dspt_current_and_met(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """The organisation's latest own row: an accepted status from the current edition."""
    kind = "dspt-assessments"
    accepted = set(ctx.options["accepted_statuses"])
    current = current_edition(ctx.as_of)
    for record in latest_per_organisation(evidence.records(kind), ("self",), own_codes(evidence)):
        edition = edition_of(record)
        problems = []
        if record.get("status") not in accepted:
            problems.append(f"its status is not one of {', '.join(sorted(accepted))}")
        if not is_current(edition, current):
            assert current is not None  # is_current is true when no edition is due yet
            problems.append(f"since {current.deadline} the current edition is {current.name}")
        if not problems:
            yield ctx.passed(record, kind=kind)
            continue
        status = record.get("status_text") or record.get("status")
        when = publication(record)
        yield ctx.failed(
            record,
            f"own DSPT assessment {record.get('org_code')}: '{status}' (edition {edition or 'none'}, {when}): "
            f"{'; '.join(problems)}",
            kind=kind,
        )


RULES = (high_risks_linked_to_controls, own_dspt_current_and_met)
