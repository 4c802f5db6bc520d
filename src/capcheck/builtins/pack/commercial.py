"""Commercial capability (COMM): supplier and contract management rules that join registers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from capcheck.builtins.pack._money import GBP, check_rates, money, no_rate_message
from capcheck.builtins.pack._options import number
from capcheck.core.joins import join_key, join_keys
from capcheck.core.models import Outcome, PassedRecords, Status
from capcheck.core.rules import RuleContext, is_missing, rule

__all__ = ["RULES"]

GOVS_008 = "https://www.gov.uk/government/publications/commercial-operating-standards-for-government"
CONTRACT_MGMT = "https://www.gov.uk/government/publications/the-sourcing-and-consultancy-playbooks"


@rule(
    id="COMM-003",
    title="Contract owners hold an accountable role in the governance register",
    area="COMM",
    severity="medium",
    kinds=["supplier-contracts", "governance-register"],
    per_record=True,
    columns=["governance-register.owner"],
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
    version="1.2.0",
)
def contract_owner_in_governance(evidence: Any, ctx: RuleContext) -> Iterator[Outcome | PassedRecords]:
    """Join supplier-contracts.owner against governance-register.owner."""
    owners = join_keys(evidence.values("governance-register", "owner"))
    statuses = set(ctx.options["statuses"])
    kind = "supplier-contracts"
    new, fail = tuple.__new__, Status.FAIL  # ctx.failed(contract, why, kind=kind), built as the tuple it is
    passing: list[str] = []  # yielded as one value (PassedRecords): passes are only counted
    keep = passing.append
    # Owner as written -> why it fails (None: it holds a role): a register names few owners many times.
    held: dict[str, str | None] = {}
    for contract in evidence.records(kind):
        get = contract.get
        owner = get("owner")
        if get("status") not in statuses or is_missing(owner):  # no owner, or "TBC": COMM-001's finding
            continue
        if type(owner) is str:
            try:
                why = held[owner]
            except KeyError:
                why = held[owner] = _no_role(owner, owners)
        else:
            why = _no_role(owner, owners)
        if why is None:
            keep(contract["id"])
        else:
            yield new(Outcome, (fail, kind, contract["id"], why, (), None))
    if passing:
        yield PassedRecords(kind, passing)


def _no_role(owner: Any, owners: frozenset[str]) -> str | None:
    """Why a contract owner fails COMM-003 (None: a governance register owner)."""
    if join_key(owner) in owners:
        return None
    return f"contract owner {owner!r} holds no role in the governance register"


@rule(
    id="COMM-004",
    title="High-value contracts have an exit plan",
    area="COMM",
    severity="high",
    kinds=["supplier-contracts"],
    per_record=True,
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
    option_checks={"value_threshold": number(0), "gbp_rates": check_rates},
    version="1.2.0",
)
def high_value_exit_plan(evidence: Any, ctx: RuleContext) -> Iterator[Outcome | PassedRecords]:
    """Contracts at or above the value threshold need exit_plan true."""
    threshold = ctx.options["value_threshold"]
    statuses = set(ctx.options["statuses"])
    rates = ctx.options["gbp_rates"]
    kind = "supplier-contracts"
    new, fail = tuple.__new__, Status.FAIL  # ctx.failed(contract, why), built as the tuple it is
    lacking = evidence.declares_not_provided(kind)  # ctx.not_provided can only find a field lacking then
    passing: list[str] = []  # yielded as one value (PassedRecords): passes are only counted
    keep = passing.append
    for contract in evidence.records(kind):
        get = contract.get
        if get("status") not in statuses:
            continue
        # money()'s commonest case inline: a number in GBP (no currency given, or GBP) under the threshold.
        amount, currency = get("value"), get("currency")
        gbp = (type(amount) is int or type(amount) is float) and (not currency or currency == GBP)
        if gbp and float(amount) < threshold:
            continue
        if (value := money(contract, "value", rates)) is None:
            continue
        if value.gbp is None:
            yield new(Outcome, (fail, kind, contract["id"], no_rate_message(value, "COMM-004"), (), None))
            continue
        if value.gbp < threshold:
            continue
        if get("exit_plan") is True:
            keep(contract["id"])
        elif lacking and (unknown := ctx.not_provided(contract, ["exit_plan"])) is not None:
            yield unknown  # the source format (OCDS) cannot say: insufficient evidence, not a failure
        else:
            why = f"contract worth {value} with {get('supplier', 'its supplier')} has no exit plan"
            yield new(Outcome, (fail, kind, contract["id"], why, (), None))
    if passing:
        yield PassedRecords(kind, passing)


RULES = (contract_owner_in_governance, high_value_exit_plan)
