"""Collaboration, gathering and analysing data (COLLAB): data products shared with partners,
joined to the data sharing agreements that must cover them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from capcheck.builtins.pack._dspt import current_edition, is_current
from capcheck.core.joins import join_key
from capcheck.core.models import Outcome
from capcheck.core.rules import RuleContext, rule

__all__ = ["RULES"]

ICO_CODE = (
    "https://ico.org.uk/for-organisations/uk-gdpr-guidance-and-resources/data-sharing/data-sharing-a-code-of-practice/"
)


@rule(
    id="COLLAB-006",
    title="Personal data shared with partners is covered by an active agreement",
    area="COLLAB",
    severity="high",
    kinds=["data-products", "data-sharing-agreements"],
    description=(
        "For every data product with personal_data = true and status in statuses (default live), each "
        "partner named in shared_with has an active data sharing agreement (same partner name, status "
        "active) that lists the product in its data_products. Products shared with nobody (an empty "
        "shared_with) are out of scope; a product with no personal_data or shared_with value (and not "
        "otherwise out of scope) fails as undetermined."
    ),
    rationale=(
        "Collaboration rests on trust that partners' data is shared under agreed terms. Personal data flowing"
        " to a partner with no agreement, or under an agreement that does not cover that data, is sharing "
        "nobody has shown to be lawful and appropriate (National Data Guardian standard 1; the ICO data "
        "sharing code), and a flow the organisation may not know about: NCSC CAF B3.a expects a good "
        "understanding of where important data is stored and where it travels."
    ),
    remediation=(
        "Stop the flow or put an agreement in place: add the product to the partner's active agreement "
        "(with a DPIA if the data differs), or agree a new one; then record it in both registers."
    ),
    references=[ICO_CODE, "https://www.dsptoolkit.nhs.uk/"],
    tags=["data-sharing", "privacy", "join"],
    criteria=["ndg-2016:1", "caf-4.0:B3.a"],
    options={"statuses": ["live"]},
    version="1.2.0",
)
def shared_personal_data_covered(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Join data-products.shared_with (partner names) to active agreements listing the product."""
    kind = "data-products"
    statuses = set(ctx.options["statuses"])
    # A partner in shared_with is a name or an ODS code: an agreement covers it by either (capcheck.core.joins).
    covering: dict[tuple[Any, str], list[Mapping[str, Any]]] = {}
    for agreement in evidence.records("data-sharing-agreements"):
        if agreement.get("status") != "active":
            continue
        names = {join_key(agreement.get("partner")), join_key(agreement.get("partner_ods_code"))} - {None}
        for product_id in agreement.get("data_products") or []:
            for name in names:
                covering.setdefault((name, str(product_id)), []).append(agreement)
    for product in evidence.records(kind):
        partners = product.get("shared_with")
        status = product.get("status")
        if product.get("personal_data") is False or partners == [] or (status not in statuses and status is not None):
            continue
        gap = ctx.missing(product, "personal_data", "status", "shared_with")
        if gap:  # it may hold personal data shared with someone: never silently out of scope
            yield ctx.undetermined(product, gap, kind=kind)
            continue
        found = {p: covering.get((join_key(p), product["id"]), []) for p in partners}
        uncovered = [p for p in partners if not found[p]]
        related = [("data-sharing-agreements", a["id"]) for p in partners for a in found[p]]
        if uncovered:
            yield ctx.failed(
                product,
                f"personal data shared with {', '.join(uncovered)} under no active agreement covering {product['id']}",
                kind=kind,
                related=related,
            )
        else:
            yield ctx.passed(product, kind=kind)


@rule(
    id="COLLAB-005",
    title="Partners' DSPT assessments are current",
    area="COLLAB",
    severity="medium",
    kinds=["data-sharing-agreements"],
    per_record=True,
    description=(
        "For every active agreement that shares personal data, the partner's DSPT status on record "
        "(partner_dspt_edition) is from the current DSPT edition: from an edition's publication deadline "
        "(30 June after its financial year; the editions and deadlines are data, "
        "rules/reference-data/dspt-editions.toml) a status from an earlier edition is out of date, however "
        "recently it was published. No edition recorded fails."
    ),
    rationale=(
        "The DSPT is an annual self-assessment: once this year's deadline has passed, last year's status says "
        "nothing about how the partner protects the data today, and before it a status published last summer "
        "is still the latest there can be. Judging by the edition and its deadline, not by the publication "
        "date's age, matches how the toolkit works. Sharing personal confidential data only where it is "
        "appropriate (National Data Guardian standard 1) needs evidence that is current."
    ),
    remediation=(
        "Look up the partner's latest published DSPT status on the toolkit's organisation search and record "
        "the status, edition and publication date; if it has not published for the current edition, treat it "
        "as not meeting the standards."
    ),
    references=["https://www.dsptoolkit.nhs.uk/OrganisationSearch"],
    tags=["data-sharing", "dspt", "assurance"],
    criteria=["ndg-2016:1"],
    version="2.0.1",
)
def partner_dspt_current(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Active personal-data agreements: the partner's DSPT edition is the current one (by deadline)."""
    current = current_edition(ctx.as_of)
    for agreement in evidence.records("data-sharing-agreements"):
        # status and personal_data are required by the kind's schema: never unknown here.
        if agreement.get("status") != "active" or agreement.get("personal_data") is not True:
            continue
        edition = agreement.get("partner_dspt_edition")
        edition = edition.strip() if isinstance(edition, str) else None
        if edition and is_current(edition, current):
            yield ctx.passed(agreement)
            continue
        due = f"since {current.deadline} the current edition is {current.name}" if current else "no edition is due"
        yield ctx.failed(
            agreement,
            f"agreement {agreement['id']}: {agreement.get('partner')}'s DSPT status on record is "
            f"{'from edition ' + edition if edition else 'of no recorded edition'}; {due}",
        )


RULES = (shared_personal_data_covered, partner_dspt_current)
