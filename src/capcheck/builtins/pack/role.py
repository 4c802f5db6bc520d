"""Role clarity and operational boundaries (ROLE): joins between the roles (RACI) register and the
service catalogue, and key-person concentration as an aggregate over holders."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from capcheck.builtins.pack._options import whole
from capcheck.core.models import Outcome
from capcheck.core.rules import RuleContext, is_missing, rule

__all__ = ["RULES"]

CAF_A1 = (
    "https://www.ncsc.gov.uk/collection/cyber-assessment-framework/"
    "caf-objective-a-managing-security-risk/principle-a1-governance"
)
SERVICE_TEAM = "https://www.gov.uk/service-manual/the-team/what-each-role-does-in-service-team"

#: Assignment statuses that are not in force: a vacant or ended assignment holds nobody to account.
NOT_IN_FORCE = frozenset({"vacant", "ended"})


def in_force(assignment: Mapping[str, Any]) -> bool:
    """Whether a roles record is in force: not vacant or ended, and with a holder (not "TBC": a placeholder
    holds nobody to account)."""
    return assignment.get("status") not in NOT_IN_FORCE and not is_missing(assignment.get("holder"))


def accountable_by_subject(evidence: Any) -> dict[str, list[Mapping[str, Any]]]:
    """The accountable assignments in force, grouped by their subject id (file order kept)."""
    found: dict[str, list[Mapping[str, Any]]] = {}
    for assignment in evidence.records("roles"):
        if assignment.get("raci") == "accountable" and in_force(assignment):
            found.setdefault(str(assignment.get("subject")), []).append(assignment)
    return found


@rule(
    id="ROLE-001",
    title="Every live service has exactly one accountable role, held by its owner",
    area="ROLE",
    severity="high",
    version="1.2.0",
    kinds=["service-catalogue", "roles"],
    description=(
        "Every service whose status is in statuses (default live) has exactly one accountable assignment "
        "in force in the roles register (subject = the service id, raci = accountable, a holder, status "
        "not vacant or ended). When the catalogue names an owner, the accountable holder is that owner. "
        "No accountable role, several, or one held by someone other than the catalogue owner fails; so does "
        "a service with no catalogue owner (undetermined: the holder cannot be checked against it)."
    ),
    rationale=(
        "Two accountable owners means neither is; none means the service is run by default. NCSC CAF A1.b "
        "expects clarity on who has overall accountability for the systems that support an essential "
        "function, and key roles that are not left vacant or filled informally; GovS 005 expects accountable "
        "owners for digital services. Role clarity and operational boundaries is one of the review's "
        "capability areas."
    ),
    remediation=(
        "Agree who answers for the service, record one accountable assignment for it in the roles "
        "register (end the others, or make them responsible), and make the catalogue owner match."
    ),
    references=[CAF_A1, SERVICE_TEAM],
    tags=["ownership", "raci", "join"],
    criteria=["caf-4.0:A1.b", "govs-topics-1:005-governance"],
    options={"statuses": ["live"]},
)
def one_accountable_per_service(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Join service-catalogue ids to accountable roles assignments."""
    kind = "service-catalogue"
    statuses = set(ctx.options["statuses"])
    accountable = accountable_by_subject(evidence)
    vacant = {
        str(a.get("subject")) for a in evidence.records("roles") if a.get("raci") == "accountable" and not in_force(a)
    }
    for service in evidence.records(kind):
        if service.get("status") not in statuses:
            continue
        found = accountable.get(service["id"], [])
        related = [("roles", a["id"]) for a in found]
        owner = service.get("owner")
        if not found:
            why = " (the accountable role is vacant or ended)" if service["id"] in vacant else ""
            yield ctx.failed(service, f"no accountable role in force for this service{why}", kind=kind)
        elif len(found) > 1:
            holders = ", ".join(f"{a['holder']} ({a['id']})" for a in found)
            yield ctx.failed(
                service, f"{len(found)} accountable roles for one service: {holders}", kind=kind, related=related
            )
        elif is_missing(owner):
            # the catalogue names nobody to check the holder against: the rule cannot tell if it is held by the owner
            yield ctx.undetermined(service, ["owner"], kind=kind, what="the accountable role is held by the owner")
        elif found[0]["holder"] != owner:
            yield ctx.failed(
                service,
                f"the catalogue owner is {owner} but the accountable role ({found[0]['id']}) "
                f"is held by {found[0]['holder']}",
                kind=kind,
                related=related,
            )
        else:
            yield ctx.passed(service, kind=kind)


@rule(
    id="ROLE-004",
    title="No one is accountable for too many critical services",
    area="ROLE",
    severity="medium",
    kinds=["roles", "service-catalogue"],
    description=(
        "Per holder, the number of live services in the tiers option (default critical) for which they "
        "hold an accountable assignment in force is at most max_services (default 3). One outcome per "
        "holder of at least one such assignment."
    ),
    rationale=(
        "Concentrating accountability for the most critical services in one person is a key-person risk: they"
        " cannot give each service the attention it needs, and their absence leaves several national services"
        " without an owner at once. NCSC CAF A1.b expects the people in key roles to be given the time, "
        "authority and resources to carry out their duties (GovS 005 people and capability)."
    ),
    remediation=(
        "Move accountability for some of the holder's critical services to other senior owners, or "
        "appoint service owners below them and record the change in the roles register."
    ),
    references=[CAF_A1, SERVICE_TEAM],
    tags=["ownership", "key-person", "aggregate", "join"],
    criteria=["caf-4.0:A1.b", "govs-topics-1:005-workforce"],
    options={"max_services": 3, "tiers": ["critical"]},
    option_checks={"max_services": whole(0)},
    version="1.1.0",
)
def key_person_concentration(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Count each holder's accountable assignments on live services of the configured tiers."""
    kind = "roles"
    tiers = set(ctx.options["tiers"])
    limit = ctx.options["max_services"]
    critical = {
        s["id"]
        for s in evidence.records("service-catalogue")
        if s.get("status") == "live" and s.get("service_tier") in tiers
    }
    by_holder: dict[str, list[Mapping[str, Any]]] = {}
    for subject, assignments in accountable_by_subject(evidence).items():
        if subject in critical:
            for a in assignments:
                by_holder.setdefault(str(a["holder"]), []).append(a)
    tier_text = "/".join(sorted(tiers))
    for holder in sorted(by_holder):
        held = by_holder[holder]
        services = sorted({str(a["subject"]) for a in held})
        message = (
            f"{holder} is accountable for {len(services)} live {tier_text} services "
            f"({', '.join(services)}); the limit is {limit}"
        )
        if len(services) > limit:
            yield ctx.group_failed(kind, holder, message, related=[(kind, a["id"]) for a in held])
        else:
            yield ctx.group_passed(kind, holder, message)


RULES = (one_accountable_per_service, key_person_concentration)
