"""Commercial capability (COMM): procurement vehicles and the forward commercial pipeline.

An aggregate by contract value (declarative aggregates count records, not sum values) and a join
from expiring contracts to the procurement-pipeline register.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from capcheck.models import Outcome
from capcheck.pack._dates import parse_date
from capcheck.rules import RuleContext, rule

__all__ = ["RULES"]

CONTRACTS = "supplier-contracts"
PIPELINE = "procurement-pipeline"
GOVS_008 = "https://www.gov.uk/government/publications/commercial-operating-standards-for-government"
TCOP = "https://www.gov.uk/guidance/the-technology-code-of-practice"
PROCUREMENT_ACT = "https://www.gov.uk/government/collections/procurement-act-2023-guidance-documents"


def _value(record: Any) -> float | None:
    value = record.get("value")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@rule(
    id="COMM-005",
    title="Direct awards stay a small share of contract value",
    area="COMM",
    severity="medium",
    kinds=[CONTRACTS],
    description=(
        "Across contracts with a status in scope (default active), the share of total contract "
        "value awarded by the non-competitive routes (default direct-award) is at most max_ratio "
        '(default 10%). With measure = "count" the share of contracts is used instead of value. '
        "Fewer than min_contracts contracts in scope (default 5) is insufficient evidence."
    ),
    rationale=(
        "Direct awards and single tender actions skip competition. A few are justified (urgency, a "
        "sole supplier); a large share shows procurement vehicles not being used and incumbents "
        "locked in, which the capability review found (GovS 008 sourcing; Technology Code of "
        "Practice point 11, use common government sourcing routes)."
    ),
    remediation=(
        "Plan re-procurement of the largest direct awards through frameworks or competitive "
        "procedures (see the contracts listed with the finding) and start early enough to compete."
    ),
    references=[GOVS_008, TCOP, PROCUREMENT_ACT],
    tags=["procurement", "procurement-vehicles", "competition", "aggregate"],
    criteria=["govs:008-procurement", "tcop:11"],
    options={
        "max_ratio": 0.1,
        "routes": ["direct-award"],
        "statuses": ["active"],
        "measure": "value",
        "min_contracts": 5,
    },
)
def direct_award_share(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Share of value (or count) procured by the routes in ``routes`` among contracts in scope."""
    statuses = set(ctx.options["statuses"])
    routes = set(ctx.options["routes"])
    by_count = ctx.options["measure"] == "count"
    limit = float(ctx.options["max_ratio"])
    scope = [c for c in evidence.records(CONTRACTS) if c.get("status") in statuses]
    if not by_count:
        scope = [c for c in scope if _value(c) is not None]
    group = "all"
    if len(scope) < int(ctx.options["min_contracts"]):
        yield ctx.skipped(f"insufficient evidence: only {len(scope)} contracts in scope", group=group)
        return
    direct = [c for c in scope if c.get("procurement_route") in routes]
    if by_count:
        part, total = float(len(direct)), float(len(scope))
        what = f"{len(direct)} of {len(scope)} contracts"
    else:
        part = sum(_value(c) or 0.0 for c in direct)
        total = sum(_value(c) or 0.0 for c in scope)
        what = f"GBP {part:,.0f} of GBP {total:,.0f} ({len(direct)} of {len(scope)} contracts)"
    if total <= 0:
        yield ctx.skipped("insufficient evidence: the contracts in scope have no value", group=group)
        return
    ratio = part / total
    message = f"{what}, {ratio:.1%}, were awarded by {', '.join(sorted(routes))}; the limit is {limit:.1%}"
    if ratio > limit:
        biggest = sorted(direct, key=lambda c: _value(c) or 0.0, reverse=True)[:20]
        yield ctx.group_failed(CONTRACTS, group, message, related=[(CONTRACTS, c["id"]) for c in biggest])
    else:
        yield ctx.group_passed(CONTRACTS, group, message)


@rule(
    id="COMM-007",
    title="Contracts near their end have a re-procurement or a recorded decision",
    area="COMM",
    severity="high",
    kinds=[CONTRACTS, PIPELINE],
    description=(
        "Every active contract worth at least min_value (default 0) whose end_date is within the "
        "horizon (default 180 days) after the as-of date, or has already passed while the contract "
        "is still active, is named as replaces_contract by a procurement-pipeline record that "
        "either is a live procurement (stage not cancelled) or records a decision (extend, lapse, "
        "insource ...) with its decision_date. An active contract with no end_date fails: its "
        "re-procurement cannot be planned."
    ),
    rationale=(
        "Re-procurement takes months; a contract that reaches its end with nothing in the pipeline "
        "is extended without competition, awarded directly, or leaves a service unsupported. GovS "
        "008 requires a forward commercial pipeline and planned re-procurement; the review found "
        "contracts rolling over for lack of it."
    ),
    remediation=(
        "Add the contract's re-procurement to the commercial pipeline, or take and record the "
        "decision to extend, let it lapse or bring it in-house, with the approving board."
    ),
    references=[GOVS_008, PROCUREMENT_ACT],
    tags=["procurement", "pipeline", "contract-expiry", "join"],
    criteria=["govs:008-procurement", "govs:008-supplier-management"],
    options={"horizon_days": 180, "min_value": 0},
    version="1.1.0",
)
def expiring_contracts_in_pipeline(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Join contracts ending within the horizon to procurement-pipeline.replaces_contract."""
    horizon = ctx.as_of + timedelta(days=int(ctx.options["horizon_days"]))
    min_value = float(ctx.options["min_value"])
    covering: dict[str, list[Any]] = {}
    for item in evidence.records(PIPELINE):
        replaced = item.get("replaces_contract")
        if isinstance(replaced, str):
            covering.setdefault(replaced, []).append(item)
    for contract in evidence.records(CONTRACTS):
        end = parse_date(contract.get("end_date"))
        value = _value(contract)
        if contract.get("status") != "active" or (end is not None and end > horizon):
            continue
        if value is not None and value < min_value:
            continue
        if end is None:  # nobody can plan the re-procurement of a contract whose end is not recorded
            yield ctx.failed(
                contract,
                f"active contract with {contract.get('supplier', 'its supplier')} has no end_date: its "
                "re-procurement cannot be planned; record the end date (or the break date of a rolling contract)",
                kind=CONTRACTS,
            )
            continue
        items = covering.get(contract["id"], [])
        live = [i for i in items if i.get("stage") != "cancelled"]
        decided = [i for i in items if i.get("decision") and parse_date(i.get("decision_date")) is not None]
        if live or decided:
            yield ctx.passed(contract, kind=CONTRACTS)
            continue
        when = f"ended on {end} but is still active" if end < ctx.as_of else f"ends on {end}"
        note = " (its only pipeline entries are cancelled with no decision)" if items else ""
        yield ctx.failed(
            contract,
            f"contract with {contract.get('supplier', 'its supplier')} {when} and has no procurement in the "
            f"pipeline and no recorded decision{note}",
            kind=CONTRACTS,
            related=[(PIPELINE, i["id"]) for i in items],
        )


RULES = (direct_award_share, expiring_contracts_in_pipeline)
