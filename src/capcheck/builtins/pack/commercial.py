"""Commercial capability (COMM): supplier and contract management rules that join registers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from capcheck.builtins.pack._money import money, no_rate_message
from capcheck.core.joins import join_key, join_keys
from capcheck.core.models import Outcome, PassedRecords
from capcheck.core.rules import RuleContext, rule

__all__ = ["RULES"]

GOVS_008 = "https://www.gov.uk/government/publications/commercial-operating-standards-for-government"
CONTRACT_MGMT = "https://www.gov.uk/government/publications/the-sourcing-and-consultancy-playbooks"


@rule(
    id="COMM-003",
    title="Contract owners hold an accountable role in the governance register",
    area="COMM",
    severity="medium",
    kinds=["supplier-contracts", "governance-register"],
    description=(
        "Every live contract's owner (contract manager) appears as an owner in the governance "
        "register, so that the person managing the supplier is visible to the governance that "
        "oversees risks and decisions. Contracts with no owner at all are COMM-001's concern."
    ),
    rationale=(
        "A contract manager outside governance cannot be held to account by the boards for the risks on the "
        "contract, and those risks never reach them. Supplier management is part of the review's commercial "
        "capability area (GovS 008 contract management; GovS 005 governance and accountabilities)."
    ),
    remediation=(
        "Record the contract owner in the governance register (as the owner of the contract's "
        "supplier risk or a related decision), or move the contract to an owner who is."
    ),
    references=[GOVS_008, CONTRACT_MGMT],
    tags=["supplier-management", "join"],
    criteria=["govs-topics-1:008-supplier-management", "govs-topics-1:005-governance"],
    options={"statuses": ["active", "pipeline"]},
    version="1.1.0",
)
def contract_owner_in_governance(evidence: Any, ctx: RuleContext) -> Iterator[Outcome | PassedRecords]:
    """Join supplier-contracts.owner against governance-register.owner."""
    owners = join_keys(evidence.values("governance-register", "owner"))
    statuses = set(ctx.options["statuses"])
    kind = "supplier-contracts"
    failed = ctx.failed
    passing: list[str] = []  # yielded as one value (ctx.passed_records): passes are only counted
    keep = passing.append
    held: dict[str, bool] = {}  # owner as written -> holds a role: a register names few owners many times
    for contract in evidence.records(kind):
        owner = contract.get("owner")
        if contract.get("status") not in statuses or not owner:
            continue
        found = held.get(owner) if type(owner) is str else None
        if found is None:
            found = join_key(owner) in owners
            if type(owner) is str:
                held[owner] = found
        if found:
            keep(contract["id"])
        else:
            yield failed(contract, f"contract owner {owner!r} holds no role in the governance register", kind=kind)
    if passing:
        yield ctx.passed_records(passing, kind=kind)


@rule(
    id="COMM-004",
    title="High-value contracts have an exit plan",
    area="COMM",
    severity="high",
    kinds=["supplier-contracts"],
    description=(
        "Active or pipeline contracts worth at least the threshold (default GBP 1,000,000) record "
        "an exit plan (exit_plan = true). A value in another currency (the record's currency) is converted "
        "with gbp_rates (GBP per unit, e.g. {EUR = 0.85}); without a rate the contract fails as not judgeable."
    ),
    rationale=(
        "Without an exit plan the organisation cannot leave a supplier without service loss, which weakens "
        "its negotiating position and its resilience. Technology Code of Practice point 11 counts managing "
        "contract exits successfully among the aims of a purchasing strategy (GovS 008 contract management; "
        "GDS guidance on managing cloud lock-in)."
    ),
    remediation="Write and approve an exit plan for the contract and record exit_plan = true.",
    references=[GOVS_008, "https://www.gov.uk/guidance/managing-technical-lock-in-in-the-cloud"],
    tags=["supplier-management", "lock-in"],
    criteria=["govs-topics-1:008-exit", "tcop-2021-11:11"],
    options={"value_threshold": 1_000_000, "statuses": ["active", "pipeline"], "gbp_rates": {}},
    version="1.2.0",
)
def high_value_exit_plan(evidence: Any, ctx: RuleContext) -> Iterator[Outcome | PassedRecords]:
    """Contracts at or above the value threshold need exit_plan true."""
    threshold = ctx.options["value_threshold"]
    statuses = set(ctx.options["statuses"])
    rates = ctx.options["gbp_rates"]
    passing: list[str] = []  # yielded as one value (ctx.passed_records): passes are only counted
    for contract in evidence.records("supplier-contracts"):
        value = money(contract, "value", rates)
        if contract.get("status") not in statuses or value is None:
            continue
        if value.gbp is None:
            yield ctx.failed(contract, no_rate_message(value, "COMM-004"))
            continue
        if value.gbp < threshold:
            continue
        if contract.get("exit_plan") is True:
            passing.append(contract["id"])
        elif (unknown := ctx.not_provided(contract, ["exit_plan"])) is not None:
            yield unknown  # the source format (OCDS) cannot say: insufficient evidence, not a failure
        else:
            yield ctx.failed(
                contract,
                f"contract worth {value} with {contract.get('supplier', 'its supplier')} has no exit plan",
            )
    if passing:
        yield ctx.passed_records(passing)


RULES = (contract_owner_in_governance, high_value_exit_plan)
