"""Data services (DATA): data product ownership joined to the roles (RACI) register."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from capcheck.core.joins import join_key, join_keys
from capcheck.core.models import Outcome
from capcheck.core.rules import RuleContext, is_missing, rule

__all__ = ["RULES"]

CAF_A3 = (
    "https://www.ncsc.gov.uk/collection/cyber-assessment-framework/"
    "caf-objective-a-managing-security-risk/principle-a3-asset-management"
)
DQ_FRAMEWORK = "https://www.gov.uk/government/publications/the-government-data-quality-framework"


@rule(
    id="DATA-007",
    title="Data product owners hold the accountable role for their product",
    area="DATA",
    severity="medium",
    kinds=["data-products", "roles"],
    description=(
        "For every data product whose status is in statuses (default live) and that names an owner, the "
        "roles register has an accountable assignment in force for the product (subject = the product id, "
        "raci = accountable, status not vacant or ended) held by that owner. Products with no owner are "
        "DATA-001's concern."
    ),
    rationale=(
        "Ownership written in the data catalogue but absent from the organisation's record of roles is "
        "ownership nobody has agreed to: the named owner may not know, and nobody confirms it as people move."
        " Joining the two registers shows whether data ownership is real (NCSC CAF A3.a: responsibility for "
        "managing each asset is assigned; A1.b roles and responsibilities)."
    ),
    remediation=(
        "Record the owner's accountable assignment for the product in the roles register and have them "
        "confirm it, or correct the catalogue's owner to the person who holds the role."
    ),
    references=[CAF_A3, DQ_FRAMEWORK],
    tags=["data", "ownership", "raci", "join"],
    criteria=["caf-4.0:A3.a", "caf-4.0:A1.b", "govs-topics-1:005-data"],
    options={"statuses": ["live"]},
    version="1.2.0",
)
def data_owner_in_roles(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Join data-products (id, owner) to accountable roles assignments on the product."""
    kind = "data-products"
    statuses = set(ctx.options["statuses"])
    holders: dict[str, dict[str, str]] = {}
    for a in evidence.records("roles"):
        if (
            a.get("raci") == "accountable"
            and a.get("status") not in {"vacant", "ended"}
            and not is_missing(a.get("holder"))
        ):
            holders.setdefault(str(a.get("subject")), {})[str(a["holder"])] = str(a["id"])
    keys = {subject: join_keys(held) for subject, held in holders.items()}
    for product in evidence.records(kind):
        owner = product.get("owner")
        if product.get("status") not in statuses or is_missing(owner):  # no owner, or "TBC": DATA-001's finding
            continue
        held = holders.get(product["id"], {})
        if join_key(owner) in keys.get(product["id"], ()):
            yield ctx.passed(product, kind=kind)
        elif held:
            others = ", ".join(f"{h} ({i})" for h, i in held.items())
            yield ctx.failed(
                product,
                f"owner {owner} holds no accountable role for {product['id']}; the roles register names {others}",
                kind=kind,
                related=[("roles", i) for i in held.values()],
            )
        else:
            yield ctx.failed(product, f"no accountable role for {product['id']} in the roles register", kind=kind)


RULES = (data_owner_in_roles,)
