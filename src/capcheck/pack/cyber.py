"""Cyber security (CYBER): incident handling rules that compare dates within a record.

The declarative language compares a date with the as-of date, not two dates of one record with a
limit between them; containment and breach-reporting deadlines need that, so they live here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from capcheck.models import Outcome
from capcheck.pack._dates import parse_date
from capcheck.rules import RuleContext, rule

__all__ = ["RULES"]

KIND = "security-incidents"
CAF_D1 = (
    "https://www.ncsc.gov.uk/collection/cyber-assessment-framework/"
    "caf-objective-d-minimising-the-impact-of-cyber-security-incidents/principle-d1-response-and-recovery-planning"
)
ICO_BREACH = "https://ico.org.uk/for-organisations/report-a-breach/personal-data-breach/personal-data-breaches-a-guide/"
DSPT = "https://www.dsptoolkit.nhs.uk/"
GOVS_007 = "https://www.gov.uk/government/publications/government-functional-standard-govs-007-security"


@rule(
    id="CYBER-001",
    title="Serious incidents are contained within the containment target",
    area="CYBER",
    severity="high",
    kinds=[KIND],
    description=(
        "Every incident of a severity in scope (default high and critical) was contained no more "
        "than max_days (default 2) days after it was detected (contained_on - detected_on). An "
        "incident not yet contained fails once max_days have passed since detection, and is "
        "skipped while it is still inside the target."
    ),
    rationale=(
        "The longer an attacker keeps access, the more systems and data are lost: ransomware "
        "spreads in hours. NCSC CAF D1 expects a response plan and the capability to contain "
        "incidents quickly; the days from detection to containment show whether they work."
    ),
    remediation=(
        "Contain the incident now (isolate hosts, revoke access) and record contained_on; in the "
        "post-incident review, find what slowed containment and update the response plan."
    ),
    references=[CAF_D1, DSPT, GOVS_007],
    tags=["incident-management", "response"],
    criteria=["caf:D1.a", "caf:D1.b", "dspt:6", "govs:007-incidents"],
    options={"severities": ["high", "critical"], "max_days": 2},
)
def incidents_contained_in_time(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Days from detected_on to contained_on (or to the as-of date when not contained) against max_days."""
    severities = set(ctx.options["severities"])
    max_days = int(ctx.options["max_days"])
    for incident in evidence.records(KIND):
        if incident.get("severity") not in severities:
            continue
        detected = parse_date(incident.get("detected_on"))
        if detected is None:
            yield ctx.skipped("no valid detected_on date: containment time unknown", record=incident)
            continue
        contained = parse_date(incident.get("contained_on"))
        severity = incident.get("severity")
        if contained is None:
            open_days = (ctx.as_of - detected).days
            if open_days <= max_days:
                yield ctx.skipped(
                    f"not yet contained, {open_days} days after detection: still inside the {max_days}-day target",
                    record=incident,
                )
            else:
                yield ctx.failed(
                    incident,
                    f"{severity} incident detected on {detected} is not contained after {open_days} days; "
                    f"the target is {max_days} days",
                )
            continue
        days = (contained - detected).days
        if days < 0:
            yield ctx.failed(incident, f"contained_on {contained} is before detected_on {detected}")
        elif days > max_days:
            yield ctx.failed(
                incident,
                f"{severity} incident was contained {days} days after detection ({detected} to {contained}); "
                f"the target is {max_days} days",
            )
        else:
            yield ctx.passed(incident)


@rule(
    id="CYBER-002",
    title="Reportable personal data breaches are reported to the ICO within 72 hours",
    area="CYBER",
    severity="critical",
    kinds=[KIND],
    description=(
        "Every personal data breach (personal_data_breach = true) not assessed as unreportable "
        "(ico_reportable is not false) was reported to the ICO no more than max_days (default 3: "
        "72 hours, counted in whole days) after detection: ico_reported_on - detected_on. A breach "
        "not reported fails once max_days have passed, and is skipped while the deadline is open. "
        "A breach listed as reported to the ICO without an ico_reported_on date fails: the "
        "deadline cannot be shown to have been met."
    ),
    rationale=(
        "UK GDPR Article 33 requires a controller to report a personal data breach that risks "
        "people's rights and freedoms to the ICO without undue delay and within 72 hours of "
        "becoming aware of it. In the NHS the report is made through the DSPT Incident Reporting "
        "Tool. A late report is a breach of the law in itself, so this rule is critical."
    ),
    remediation=(
        "Report the breach to the ICO (through the DSPT Incident Reporting Tool) now and record "
        "ico_reported_on; review why the breach assessment was late and rehearse the reporting "
        "route with the DPO and the incident managers."
    ),
    references=[ICO_BREACH, DSPT, CAF_D1],
    tags=["incident-management", "data-protection", "legal"],
    criteria=["dspt:6", "caf:D1.a", "govs:007-incidents"],
    options={"max_days": 3},
)
def breaches_reported_to_ico(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Days from detected_on to ico_reported_on for reportable personal data breaches."""
    max_days = int(ctx.options["max_days"])
    for incident in evidence.records(KIND):
        if incident.get("personal_data_breach") is not True or incident.get("ico_reportable") is False:
            continue
        detected = parse_date(incident.get("detected_on"))
        if detected is None:
            yield ctx.skipped("no valid detected_on date: the reporting deadline is unknown", record=incident)
            continue
        reported = parse_date(incident.get("ico_reported_on"))
        listed = "ico" in (incident.get("reported_to") or [])
        if reported is None:
            waited = (ctx.as_of - detected).days
            if listed:
                yield ctx.failed(
                    incident,
                    "listed as reported to the ICO but has no ico_reported_on date to show the deadline was met",
                )
            elif waited <= max_days:
                yield ctx.skipped(
                    f"not yet reported, {waited} days after detection: the {max_days}-day deadline is still open",
                    record=incident,
                )
            else:
                yield ctx.failed(
                    incident,
                    f"personal data breach detected on {detected} was not reported to the ICO ({waited} days later); "
                    f"the deadline is {max_days} days",
                )
            continue
        days = (reported - detected).days
        if days > max_days:
            yield ctx.failed(
                incident,
                f"personal data breach was reported to the ICO {days} days after detection ({detected} to {reported}); "
                f"the deadline is {max_days} days (72 hours)",
            )
        else:
            yield ctx.passed(incident)


RULES = (incidents_contained_in_time, breaches_reported_to_ico)
