"""Commercial capability (COMM): procurement vehicles and the forward commercial pipeline.

An aggregate by contract value (declarative aggregates count records, not sum values) and a join
from expiring contracts to the procurement-pipeline register.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from datetime import date
from functools import cache
from typing import Any

from capcheck.builtins.pack._dates import impossible_check, parse_date
from capcheck.builtins.pack._money import check_rates, money, no_rate_message
from capcheck.builtins.pack._options import number, one_of, whole
from capcheck.core.dates import add_days
from capcheck.core.models import Outcome
from capcheck.core.resources import data_dir
from capcheck.core.rules import RuleContext, is_missing, rule
from capcheck.core.wording import plural

__all__ = ["RULES"]

CONTRACTS = "supplier-contracts"
PIPELINE = "procurement-pipeline"
GOVS_008 = "https://www.gov.uk/government/publications/commercial-operating-standards-for-government"
TCOP = "https://www.gov.uk/guidance/the-technology-code-of-practice"
PROCUREMENT_ACT = "https://www.gov.uk/government/collections/procurement-act-2023-guidance-documents"


def _value(record: Any, rates: Mapping[str, Any]) -> float | None:
    """The record's value in GBP (converted with ``rates``), or None when absent or not convertible."""
    value = money(record, "value", rates)
    return None if value is None else value.gbp


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
        "A contract with no procurement_route counts as a direct award (it may be one). "
        "Fewer than min_contracts contracts in scope (default 5) is insufficient evidence. Values are "
        "summed in GBP: a value in another currency is converted with gbp_rates; a contract with no rate "
        "for its currency fails on its own (not judgeable) and is left out of the share."
    ),
    rationale=(
        "Direct awards and single tender actions skip competition. A few are justified (urgency, a sole "
        "supplier); a large share shows procurement vehicles not being used and incumbents locked in. "
        "Technology Code of Practice point 11 asks contracts to ensure competition from the widest possible "
        "range of suppliers (GovS 008 sourcing)."
    ),
    remediation=(
        "Plan re-procurement of the largest direct awards through frameworks or competitive "
        "procedures (see the contracts listed with the finding) and start early enough to compete."
    ),
    references=[GOVS_008, TCOP, PROCUREMENT_ACT],
    tags=["procurement", "procurement-vehicles", "competition", "aggregate"],
    criteria=["govs-topics-1:008-procurement", "tcop-2021-11:11"],
    options={
        "max_ratio": 0.1,
        "routes": ["direct-award"],
        "statuses": ["active"],
        "measure": "value",
        "min_contracts": 5,
        "gbp_rates": {},
    },
    option_checks={
        "max_ratio": number(0, 1),
        "measure": one_of(("count", "value")),
        "min_contracts": whole(0),
        "gbp_rates": check_rates,
    },
    version="1.2.1",
)
def direct_award_share(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Share of value (or count) procured by the routes in ``routes`` among contracts in scope."""
    statuses = set(ctx.options["statuses"])
    routes = set(ctx.options["routes"])
    by_count = ctx.options["measure"] == "count"
    limit = float(ctx.options["max_ratio"])
    rates = ctx.options["gbp_rates"]
    scope = [c for c in evidence.records(CONTRACTS) if c.get("status") in statuses]
    gbp: dict[int, float | None] = {}  # id(contract) -> _value(contract, rates), worked out once per contract

    def value_of(contract: Any) -> float | None:
        key = id(contract)
        if key not in gbp:
            gbp[key] = _value(contract, rates)
        return gbp[key]

    if not by_count:
        kept = []
        for contract in scope:
            value = money(contract, "value", rates)
            if value is None:
                continue
            if value.gbp is None:
                yield ctx.failed(contract, no_rate_message(value, "COMM-005"), kind=CONTRACTS)
                continue
            gbp[id(contract)] = value.gbp
            kept.append(contract)
        scope = kept
    group = "all"
    if len(scope) < int(ctx.options["min_contracts"]):
        yield ctx.skipped(f"insufficient evidence: only {plural(len(scope), 'contract')} in scope", group=group)
        return
    # A contract with no procurement_route may have been awarded directly: it counts as one (the worst case).
    unsure = [c for c in scope if is_missing(c.get("procurement_route"))]
    direct = [c for c in scope if c.get("procurement_route") in routes] + unsure
    if by_count:
        part, total = float(len(direct)), float(len(scope))
        what = f"{len(direct)} of {len(scope)} contracts"
    else:
        part = sum(value_of(c) or 0.0 for c in direct)
        total = sum(value_of(c) or 0.0 for c in scope)
        what = f"GBP {part:,.0f} of GBP {total:,.0f} ({len(direct)} of {len(scope)} contracts)"
    if total <= 0:
        yield ctx.skipped("insufficient evidence: the contracts in scope have no value", group=group)
        return
    ratio = part / total
    message = f"{what}, {ratio:.1%}, were awarded by {', '.join(sorted(routes))}; the limit is {limit:.1%}"
    if unsure:
        message += f" ({len(unsure)} with no procurement_route counted as direct awards, e.g. {unsure[0]['id']})"
    if ratio > limit:
        biggest = sorted(direct, key=lambda c: value_of(c) or 0.0, reverse=True)[:20]
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
        "Re-procurement takes months; a contract that reaches its end with nothing in the pipeline is "
        "extended without competition, awarded directly, or leaves a service unsupported. Technology Code of "
        "Practice point 11 says contracts cannot be extended automatically unless there are extenuating "
        "circumstances; GovS 008 expects procurement planned ahead of need."
    ),
    remediation=(
        "Add the contract's re-procurement to the commercial pipeline, or take and record the "
        "decision to extend, let it lapse or bring it in-house, with the approving board."
    ),
    references=[GOVS_008, TCOP, PROCUREMENT_ACT],
    tags=["procurement", "pipeline", "contract-expiry", "join"],
    criteria=["govs-topics-1:008-procurement", "govs-topics-1:008-supplier-management", "tcop-2021-11:11"],
    options={"horizon_days": 180, "min_value": 0, "gbp_rates": {}},
    option_checks={"horizon_days": whole(0), "min_value": number(0), "gbp_rates": check_rates},
    version="1.1.0",
)
def expiring_contracts_in_pipeline(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Join contracts ending within the horizon to procurement-pipeline.replaces_contract."""
    horizon = add_days(ctx.as_of, int(ctx.options["horizon_days"]))
    min_value = float(ctx.options["min_value"])
    covering: dict[str, list[Any]] = {}
    for item in evidence.records(PIPELINE):
        replaced = item.get("replaces_contract")
        if isinstance(replaced, str):
            covering.setdefault(replaced, []).append(item)
    rates = ctx.options["gbp_rates"]
    impossible = impossible_check(CONTRACTS, ctx.as_of)  # the kind's date rules read once, not per contract
    for contract in evidence.records(CONTRACTS):
        if contract.get("status") != "active":
            continue
        end = parse_date(contract.get("end_date"))
        if end is not None and end > horizon:
            continue
        value = _value(contract, rates)  # None (kept in scope) when it cannot be converted
        if value is not None and value < min_value:
            continue
        if (problem := impossible(contract)) is not None:
            yield ctx.failed(contract, problem, kind=CONTRACTS)
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
        live = [i for i in items if i.get("stage") not in ("cancelled", "decided")]  # "decided" counts as a decision
        # A decision counts once it is taken: a decision_date after the as-of date is not one yet.
        decided = [
            i for i in items if i.get("decision") and (d := parse_date(i.get("decision_date"))) and d <= ctx.as_of
        ]
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


THRESHOLDS_FILE = "reference-data/procurement-thresholds.toml"
AUTHORITIES = ("central-government", "sub-central")
#: The organisation kind's body types, as Procurement Act 2023 buyers (national bodies are taken to be
#: central government; a supplier or other body is not a contracting authority: the lower threshold is assumed).
_AUTHORITY_OF = {
    "national-body": "central-government",
    "trust": "sub-central",
    "icb": "sub-central",
    "csu": "sub-central",
}
_TYPE_OF = {"goods": "goods-services", "services": "goods-services", "works": "works", "light-touch": "light-touch"}


@cache
def procurement_thresholds() -> tuple[tuple[date, Mapping[str, Mapping[str, int]]], ...]:
    """The threshold periods (from-date, authority -> contract type -> GBP incl. VAT), oldest first."""
    path = data_dir("rules") / THRESHOLDS_FILE
    with path.open("rb") as fh:
        doc = tomllib.load(fh)
    periods: list[tuple[date, Mapping[str, Mapping[str, int]]]] = []
    for i, period in enumerate(doc.get("period", [])):
        start = period.get("from")
        table = {a: period.get(a) for a in AUTHORITIES}
        ok = type(start) is date and all(
            isinstance(t, dict) and all(isinstance(t.get(k), int) and t[k] > 0 for k in set(_TYPE_OF.values()))
            for t in table.values()
        )
        if not ok:
            raise ValueError(
                f"{path}: period {i}: needs 'from' (a date) and {', '.join(AUTHORITIES)} tables of amounts"
            )
        periods.append((start, table))
    if not periods or [p[0] for p in periods] != sorted(p[0] for p in periods):
        raise ValueError(f"{path}: periods must be listed oldest first")
    return tuple(periods)


def _authority(evidence: Any, option: str) -> tuple[str, str]:
    """The buyer type whose thresholds apply, and a note when it was assumed rather than known."""
    if option:
        return option, ""
    bodies = [r for r in evidence.records("organisation") if r.get("type")]
    if not bodies:
        return "central-government", " (no organisation record: central government thresholds assumed)"
    kind = str(bodies[0].get("type"))
    if kind in _AUTHORITY_OF:
        return _AUTHORITY_OF[kind], ""
    return "central-government", f" (organisation type {kind}: central government thresholds assumed)"


@rule(
    id="COMM-008",
    title="Contracts above the procurement threshold use a competitive route",
    area="COMM",
    severity="high",
    kinds=[CONTRACTS],
    per_record=True,
    reads=["organisation"],
    description=(
        "Every contract with a status in scope (default active and pipeline) whose value, with VAT at "
        "vat_rate (default 0.2; values are recorded without VAT, the thresholds include it), is at or above "
        "its Procurement Act 2023 threshold was procured by a competitive route: open, restricted, "
        "competitive dialogue, the competitive flexible procedure, a framework call-off or a dynamic "
        "purchasing system (the routes are an option). The threshold depends on the buyer (central "
        "government, or sub-central such as NHS trusts, ICBs and CSUs: from the organisation record's type, "
        "or the authority option; with neither, central government is assumed and the finding says so), on "
        "the contract_type (goods and services, works, light-touch services; goods or services when absent) "
        "and on the period in force at the contract's start_date (before the first period, the first period's, "
        "which the finding says); the figures are data "
        "(rules/reference-data/procurement-thresholds.toml). value_threshold, when above 0, replaces them "
        "for every contract. A value in another currency is converted with gbp_rates; without a rate the "
        "contract fails as not judgeable. Direct awards, below-threshold purchases and unknown routes fail."
    ),
    rationale=(
        "Above the threshold, procurement law and GovS 008 expect competition: it tests value for money and "
        "the market, and a string of direct awards locks the organisation into incumbents. Technology Code of"
        " Practice point 11 asks contracts to ensure competition from the widest possible range of suppliers."
    ),
    remediation=(
        "Re-procure competitively at the next break or renewal; until then record the legal justification "
        "for the direct award (and the transparency notice) and the approval in the governance register."
    ),
    references=[
        "https://www.gov.uk/government/publications/ppn-1123-new-thresholds",
        "https://www.legislation.gov.uk/ukpga/2023/54/schedule/1",
        GOVS_008,
        TCOP,
    ],
    tags=["procurement", "procurement-vehicles", "competition"],
    criteria=["govs-topics-1:008-procurement", "tcop-2021-11:11"],
    options={
        "value_threshold": 0,
        "authority": "",
        "vat_rate": 0.2,
        "statuses": ["active", "pipeline"],
        "gbp_rates": {},
        "competitive_routes": [
            "open",
            "restricted",
            "competitive-dialogue",
            "competitive-flexible",
            "framework-call-off",
            "dynamic-purchasing-system",
        ],
    },
    option_checks={
        "value_threshold": number(0),
        "authority": one_of(("", *AUTHORITIES)),
        "vat_rate": number(0, 1),
        "gbp_rates": check_rates,
    },
    version="2.0.0",
)
def competitive_above_threshold(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Contracts at or above their buyer's and type's threshold (with VAT) need a competitive route."""
    statuses = set(ctx.options["statuses"])
    routes = set(ctx.options["competitive_routes"])
    override = float(ctx.options["value_threshold"])
    vat = 1.0 + float(ctx.options["vat_rate"])
    rates = ctx.options["gbp_rates"]
    option = str(ctx.options["authority"])
    if option and option not in AUTHORITIES:
        raise ValueError(f"option 'authority' must be one of {', '.join(AUTHORITIES)} (or empty), not {option!r}")
    authority, note = _authority(evidence, option)
    periods = procurement_thresholds()
    # The thresholds in force on each start date, looked up once per date: registers repeat dates a lot.
    in_force: dict[date, tuple[date, Mapping[str, Mapping[str, int]]]] = {}
    for contract in evidence.records(CONTRACTS):
        if contract.get("status") not in statuses or (value := money(contract, "value", rates)) is None:
            continue
        if value.gbp is None:
            yield ctx.failed(contract, no_rate_message(value, "COMM-008"), kind=CONTRACTS)
            continue
        contract_type = _TYPE_OF.get(str(contract.get("contract_type")), "goods-services")
        started = parse_date(contract.get("start_date"))
        start = started or ctx.as_of
        period = in_force.get(start)
        if period is None:
            period = in_force[start] = next(((f, t) for f, t in reversed(periods) if f <= start), periods[0])
        since, table = period
        threshold = override if override > 0 else float(table[authority][contract_type])
        gross = round(value.gbp * vat, 2)  # to the penny: an exact boundary must not hinge on float error
        if gross < threshold:
            continue
        if override > 0:
            which = f"threshold of GBP {override:,.0f} (option value_threshold)"
        else:
            # A start before the first period is judged on its figures, which were not in force then: say so.
            early = started is not None and started < since
            first = f", the earliest capcheck holds: the contract started {started}" if early else ""
            which = (
                f"{authority} {contract_type} threshold of GBP {threshold:,.0f} incl. VAT (from {since}{first}){note}"
            )
        if contract.get("procurement_route") in routes:
            yield ctx.passed(contract, kind=CONTRACTS)
            continue
        worth = str(value) if value.currency == "GBP" else f"{value} (GBP {value.gbp:,.0f})"
        yield ctx.failed(
            contract,
            f"contract {contract['id']} ({contract.get('title')}) with {contract.get('supplier')}, worth {worth} "
            f"before VAT, GBP {gross:,.0f} with VAT, is at or above the {which} but was procured by "
            f"{contract.get('procurement_route', 'an unrecorded route')}, not a competitive route",
            kind=CONTRACTS,
        )


RULES = (direct_award_share, expiring_contracts_in_pipeline, competitive_above_threshold)
