"""The plugin's Python rules: what a declarative rule cannot say (here, a share of summed values).

A Python rule is a generator function decorated with :func:`capcheck.rule`. It receives the whole
evidence set and a context (as-of date, options, outcome constructors) and yields outcomes; the
engine adds provenance (file, line, pointer), waivers and severities. Rule ids start with a
registered area (``COMM``); ids in the 9xx range are left to plugins by convention.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from capcheck import EvidenceSet, Outcome, RuleContext, rule

__all__ = ["RULES", "sme_share_of_contract_value"]

CONTRACTS = "supplier-contracts"
NAO_SME = "https://www.nao.org.uk/reports/governments-spending-with-small-and-medium-sized-enterprises/"
PROCUREMENT_ACT = "https://www.gov.uk/government/collections/procurement-act-2023-guidance-documents"
GOVS_008 = "https://www.gov.uk/government/publications/commercial-operating-standards-for-government"


def _value(record: Mapping[str, Any]) -> float | None:
    value = record.get("value")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@rule(
    id="ocds.COMM-910",
    title="A fair share of contract value goes to SMEs",
    area="COMM",
    severity="low",
    kinds=[CONTRACTS],
    description=(
        "Across contracts with a status in scope (default active) whose supplier's size is known "
        "(`sme` true or false), the share of total contract value awarded directly to small and medium-sized "
        'enterprises is at least min_share (default 33%). With measure = "count" the share of contracts '
        "is used instead. Contracts whose supplier size is unknown are left out and counted in the message; "
        "fewer than min_contracts known contracts (default 5) is insufficient evidence. OCDS publishers give "
        "the size as the supplier party's details.scale (sme, micro or large)."
    ),
    rationale=(
        "UK government has long aimed to spend one pound in three with SMEs (that ambition counts supply-chain "
        "spend, which award data does not show; departments now set targets for direct spend, so set min_share "
        "to your own). A low direct share means lots too large or routes closed to small suppliers, and spend "
        "concentrated in a few large incumbents; the Procurement Act 2023 requires authorities to have regard "
        "to the barriers SMEs face (GovS 008 market management)."
    ),
    remediation=(
        "Review how requirements are packaged and advertised: split into lots, use below-threshold open "
        "quotations and DPS call-offs that SMEs can reach, and record supplier size on every award. The "
        "largest non-SME contracts are listed with the finding."
    ),
    references=[NAO_SME, PROCUREMENT_ACT, GOVS_008],
    tags=["procurement", "sme", "aggregate", "ocds"],
    criteria=["govs-topics-1:008-procurement"],
    version="1.0.0",
    options={"min_share": 0.33, "statuses": ["active"], "measure": "value", "min_contracts": 5},
)
def sme_share_of_contract_value(evidence: EvidenceSet, ctx: RuleContext) -> Iterator[Outcome]:
    """One aggregate outcome (group ``all``): the SME share of value (or count) against ``min_share``."""
    statuses = set(ctx.options["statuses"])
    by_count = ctx.options["measure"] == "count"
    target = float(ctx.options["min_share"])
    scope = [c for c in evidence.records(CONTRACTS) if c.get("status") in statuses]
    if not by_count:
        scope = [c for c in scope if _value(c) is not None]
    known = [c for c in scope if isinstance(c.get("sme"), bool)]
    unknown = len(scope) - len(known)
    unknown_note = f"; {unknown} contracts with an unknown supplier size left out" if unknown else ""
    group = "all"
    if len(known) < int(ctx.options["min_contracts"]):
        yield ctx.skipped(
            f"insufficient evidence: {len(known)} contracts in scope with a known supplier size{unknown_note}",
            group=group,
        )
        return
    smes = [c for c in known if c["sme"] is True]
    if by_count:
        part, total = float(len(smes)), float(len(known))
        what = f"{len(smes)} of {len(known)} contracts"
    else:
        part = sum(_value(c) or 0.0 for c in smes)
        total = sum(_value(c) or 0.0 for c in known)
        what = f"GBP {part:,.0f} of GBP {total:,.0f} ({len(smes)} of {len(known)} contracts)"
    if total <= 0:
        yield ctx.skipped(f"insufficient evidence: the contracts in scope have no value{unknown_note}", group=group)
        return
    share = part / total
    message = f"{what}, {share:.1%}, went to SMEs; the target is {target:.0%}{unknown_note}"
    if share >= target:
        yield ctx.group_passed(CONTRACTS, group, message)
        return
    largest = sorted((c for c in known if c["sme"] is False), key=lambda c: _value(c) or 0.0, reverse=True)[:20]
    yield ctx.group_failed(CONTRACTS, group, message, related=[(CONTRACTS, c["id"]) for c in largest])


#: Every Python rule of the plugin, in the order ``capcheck_rules`` registers them.
RULES = (sme_share_of_contract_value,)
