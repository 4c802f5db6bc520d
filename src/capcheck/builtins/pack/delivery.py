"""Delivery model (DELIV): products joined to the assets they run on, for deployment automation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from capcheck.core.models import Outcome
from capcheck.core.rules import RuleContext, rule

__all__ = ["RULES"]

PORTFOLIO = "delivery-portfolio"
ASSETS = "it-assets"


@rule(
    id="DELIV-007",
    title="Running products deploy to production without manual steps",
    area="DELIV",
    severity="medium",
    version="1.1.0",
    kinds=[PORTFOLIO, ASSETS],
    description=(
        "For every product in a running phase (`phases`, default private-beta, public-beta, live), none of "
        "the in-service production assets it lists in `assets` (it-assets ids) has a deployment method in "
        "`manual_methods` (default: manual). A listed id missing from the asset inventory fails: the product's "
        "estate is not known. A production asset with no status counts as in service; a product none of whose "
        "assets is deployed by hand fails as undetermined if one has no deployment (or status) value. A product "
        "that lists no production assets is skipped."
    ),
    rationale=(
        "Multi-speed IT often means a modern product team whose releases still wait on hand-built servers. "
        "Deployment automation is a DORA capability behind short lead times and low failure rates, and "
        "Service Standard point 14 expects teams to be able to deploy software changes regularly without "
        "significant downtime."
    ),
    remediation=(
        "Bring the product's manually deployed assets into the delivery pipeline (infrastructure as code, "
        "automated configuration and release), then record deployment = automated in the asset inventory."
    ),
    references=[
        "https://dora.dev/capabilities/deployment-automation/",
        "https://www.gov.uk/service-manual/service-standard/point-14-operate-a-reliable-service",
    ],
    tags=["automation", "join"],
    criteria=["dora-2022:deployment-automation", "gds-ss-2019:14"],
    options={"phases": ["private-beta", "public-beta", "live"], "manual_methods": ["manual"]},
)
def products_deploy_automatically(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Join each running product's assets to the inventory; fail on manual production deployment."""
    phases = {str(p) for p in ctx.options["phases"]}
    manual = {str(m) for m in ctx.options["manual_methods"]}
    for product in evidence.records(PORTFOLIO):
        if product.get("phase") not in phases:
            continue
        listed = product.get("assets") or []
        unknown = [a for a in listed if evidence.get(ASSETS, a) is None]
        production = [
            asset
            for a in listed
            if (asset := evidence.get(ASSETS, a)) is not None
            and asset.get("environment") == "production"
            and asset.get("status") in ("in-service", None)  # no status: it may be in service, so it is judged
        ]
        name = product.get("name", product["id"])
        if unknown:
            yield ctx.failed(
                product,
                f"{name} lists assets not in the asset inventory: {', '.join(map(str, unknown))}",
                kind=PORTFOLIO,
            )
            continue
        if not production:
            yield ctx.skipped(f"{name} lists no in-service production assets", kind=PORTFOLIO, record=product)
            continue
        by_hand = [a for a in production if a.get("deployment") in manual]
        unsure = [a for a in production if ctx.missing(a, "deployment", "status")]
        if unsure and not by_hand:
            named = ", ".join(f"{a['id']} ({', '.join(ctx.missing(a, 'deployment', 'status'))})" for a in unsure[:5])
            yield ctx.failed(
                product,
                f"{name}: cannot tell whether {len(unsure)} of {len(production)} production assets are in service "
                f"and deployed automatically: missing {named}",
                kind=PORTFOLIO,
                related=[(ASSETS, a["id"]) for a in unsure[:20]],
            )
        elif by_hand:
            yield ctx.failed(
                product,
                f"{name}: {len(by_hand)} of {len(production)} production assets are deployed by hand "
                f"({', '.join(str(a.get('name', a['id'])) for a in by_hand[:5])})",
                kind=PORTFOLIO,
                related=[(ASSETS, a["id"]) for a in by_hand[:20]],
            )
        else:
            yield ctx.passed(product, kind=PORTFOLIO)


RULES = (products_deploy_automatically,)
