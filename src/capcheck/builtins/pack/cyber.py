"""Cyber security (CYBER): incident handling rules that compare dates within a record, and the
supply chain's DSPT statuses (each organisation's latest row, judged against the current edition).

The declarative language compares a date with the as-of date, not two dates of one record with a
limit between them; containment and breach-reporting deadlines need that, so they live here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from capcheck.builtins.pack._dates import impossible_check, parse_date
from capcheck.builtins.pack._dspt import (
    current_edition,
    edition_of,
    is_current,
    latest_per_organisation,
    own_codes,
    publication,
)
from capcheck.builtins.pack._options import each_of, whole
from capcheck.core.models import Outcome
from capcheck.core.rules import RuleContext, rule

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
    per_record=True,
    description=(
        "Every incident of a severity in scope (default high and critical) was contained no more "
        "than max_days (default 2) days after it was detected (contained_on - detected_on). An "
        "incident not yet contained fails once max_days have passed since detection, and is "
        "skipped while it is still inside the target."
    ),
    rationale=(
        "The longer an attacker keeps access, the more systems and data are lost: ransomware "
        "spreads in hours. NCSC CAF D1.a expects an incident response plan and D1.b the capability "
        "to enact it, including effective limitation of impact; National Data Guardian standard 6 "
        "expects action immediately after a breach. The days from detection to containment show "
        "whether they work."
    ),
    remediation=(
        "Contain the incident now (isolate hosts, revoke access) and record contained_on; in the "
        "post-incident review, find what slowed containment and update the response plan."
    ),
    references=[CAF_D1, DSPT, GOVS_007],
    tags=["incident-management", "response"],
    criteria=["caf-4.0:D1.a", "caf-4.0:D1.b", "ndg-2016:6", "govs-topics-1:007-incidents"],
    options={"severities": ["high", "critical"], "max_days": 2},
    option_checks={"severities": each_of(("low", "medium", "high", "critical")), "max_days": whole(0)},
    version="1.1.0",
)
def incidents_contained_in_time(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Days from detected_on to contained_on (or to the as-of date when not contained) against max_days."""
    severities = set(ctx.options["severities"])
    max_days = int(ctx.options["max_days"])
    impossible = impossible_check(KIND, ctx.as_of)  # the kind's date rules read once, not per incident
    for incident in evidence.records(KIND):
        if incident.get("severity") not in severities:
            continue
        if (problem := impossible(incident)) is not None:
            yield ctx.failed(incident, problem)
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
        days = (contained - detected).days  # never negative: impossible() failed such a record above
        if days > max_days:
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
    per_record=True,
    description=(
        "Every personal data breach (personal_data_breach = true) not assessed as unreportable "
        "(ico_reportable is not false) was reported to the ICO no more than max_days (default 3: "
        "72 hours, counted in whole days) after detection: ico_reported_on - detected_on. A breach "
        "not reported fails once max_days have passed, and is skipped while the deadline is open. "
        "A breach listed as reported to the ICO without an ico_reported_on date fails: the "
        "deadline cannot be shown to have been met. An incident with no personal_data_breach value (and "
        "not assessed as unreportable) fails as undetermined: it may be a breach."
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
    criteria=["ndg-2016:6", "caf-4.0:D1.a", "govs-topics-1:007-incidents"],
    options={"max_days": 3},
    option_checks={"max_days": whole(0)},
    version="1.2.0",
)
def breaches_reported_to_ico(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Days from detected_on to ico_reported_on for reportable personal data breaches."""
    max_days = int(ctx.options["max_days"])
    impossible = impossible_check(KIND, ctx.as_of)  # the kind's date rules read once, not per incident
    for incident in evidence.records(KIND):
        if incident.get("personal_data_breach") is False or incident.get("ico_reportable") is False:
            continue
        gap = ctx.missing(incident, "personal_data_breach")
        if gap:
            yield ctx.undetermined(incident, gap)
            continue
        if (problem := impossible(incident)) is not None:
            yield ctx.failed(incident, problem)
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


DSPT_KIND = "dspt-assessments"
CAF_A4 = (
    "https://www.ncsc.gov.uk/collection/cyber-assessment-framework/"
    "caf-objective-a-managing-security-risk/principle-a4-supply-chain"
)
SUPPLY_CHAIN = ("partner", "supplier")


def _who(record: Any) -> str:
    """``partner LEEDS TEACHING HOSPITALS NHS TRUST (RR8)``: the code once, even where the published name
    already ends with it (the DSPT exports name some organisations ``NAME (CODE)``)."""
    name, code = str(record.get("organisation")), record.get("org_code")
    shown = (
        name if code is not None and name.rstrip().upper().endswith(f"({str(code).upper()})") else f"{name} ({code})"
    )
    return f"{record.get('relationship')} {shown}"


def _status(record: Any) -> str:
    return str(record.get("status_text") or record.get("status"))


@rule(
    id="CYBER-004",
    title="Partners and suppliers meet the DSPT standards",
    area="CYBER",
    severity="high",
    kinds=[DSPT_KIND],
    reads=["organisation"],
    description=(
        "Every partner NHS body and supplier in the DSPT register (relationship partner or supplier) has "
        "a published status of Standards Met or Standards Exceeded (the accepted statuses are an option) "
        "in its latest row: a register kept as history (a row per edition) is judged on each "
        "organisation's latest row (by published_on), earlier rows are not judged. Approaching "
        "Standards, Standards Not Met and Not Published fail. Whether the status is from the current "
        "edition is CYBER-007's question. The organisation's own row (its org_code is the organisation "
        "profile's) is GOV-006's, not a partner's, whatever its relationship says."
    ),
    rationale=(
        "Data shared with a partner or processed by a supplier is only as safe as that organisation's "
        "controls. The DSPT status is the NHS's common evidence of them; relying on an organisation that has "
        "not met the standards is a supply chain risk the board must know about (NCSC CAF A4.a supply chain; "
        "National Data Guardian standard 10: IT suppliers are held accountable for protecting the personal "
        "confidential data they process)."
    ),
    remediation=(
        "Ask the organisation for its DSPT improvement plan and target date, record the risk in the "
        "governance register, and limit or condition data flows until it meets the standards."
    ),
    references=[DSPT, CAF_A4],
    tags=["supply-chain", "dspt", "assurance"],
    criteria=["caf-4.0:A4.a", "ndg-2016:10"],
    options={"accepted_statuses": ["standards-met", "standards-exceeded"]},
    version="1.2.1",
)
def supply_chain_dspt_met(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """The latest row per partner or supplier has an accepted status."""
    accepted = set(ctx.options["accepted_statuses"])
    for record in latest_per_organisation(evidence.records(DSPT_KIND), SUPPLY_CHAIN, own_codes(evidence)):
        if record.get("status") in accepted:
            yield ctx.passed(record, kind=DSPT_KIND)
        else:
            yield ctx.failed(
                record,
                f"{_who(record)} has DSPT status '{_status(record)}' ({publication(record)})",
                kind=DSPT_KIND,
            )


@rule(
    id="CYBER-007",
    title="Partners' and suppliers' DSPT statuses are current",
    area="CYBER",
    severity="medium",
    kinds=[DSPT_KIND],
    reads=["organisation"],
    description=(
        "Every partner and supplier in the DSPT register has, in its latest row, a status from the "
        "current DSPT edition: from an edition's publication deadline (30 June after its financial year; "
        "the editions and deadlines are data, rules/reference-data/dspt-editions.toml) a status from an "
        "earlier edition is out of date. The edition is the record's edition field or the prefix of its "
        'status_text ("24/25 Standards Met"); a row with neither fails. A register kept as history '
        "is judged on each organisation's latest row; the organisation's own row (its org_code is the "
        "organisation profile's) is GOV-006's."
    ),
    rationale=(
        "Assurance over the supply chain is only as good as its latest evidence. A status from an earlier "
        "edition of the toolkit says nothing about the organisation's controls today (NCSC CAF A4.a supply "
        "chain; National Data Guardian standard 10: IT suppliers are held accountable for the data they "
        "process)."
    ),
    remediation=(
        "Refresh the record from the DSPT portal's published status list; where no current assessment is "
        "published, ask the organisation for its submission date and record the gap as a risk."
    ),
    references=[DSPT, CAF_A4],
    tags=["supply-chain", "dspt", "assurance", "review"],
    criteria=["caf-4.0:A4.a", "ndg-2016:10"],
    version="2.1.2",
)
def supply_chain_dspt_current(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """The latest row per partner or supplier is from the edition current at the as-of date."""
    current = current_edition(ctx.as_of)
    for record in latest_per_organisation(evidence.records(DSPT_KIND), SUPPLY_CHAIN, own_codes(evidence)):
        edition = edition_of(record)
        if is_current(edition, current):
            yield ctx.passed(record, kind=DSPT_KIND)
            continue
        assert current is not None  # is_current is true when no edition is due yet
        shown = f"is from edition {edition}" if edition else f"names no edition ({publication(record)})"
        yield ctx.failed(
            record,
            f"{_who(record)}: the latest DSPT status on record, '{_status(record)}', {shown}; "
            f"since {current.deadline} the current edition is {current.name}",
            kind=DSPT_KIND,
        )


RULES = (incidents_contained_in_time, breaches_reported_to_ico, supply_chain_dspt_met, supply_chain_dspt_current)
