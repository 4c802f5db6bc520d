"""IT infrastructure (INFRA): out-of-date technology, as aggregates over the asset inventory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from capcheck.builtins.pack._dates import days_before, impossible_check, parse_date
from capcheck.builtins.pack._options import number, whole
from capcheck.core.models import Outcome, PassedRecords, Status
from capcheck.core.rules import RuleContext, is_missing, rule, undetermined_message
from capcheck.core.wording import plural

__all__ = ["RULES"]

CAF_B4 = "https://www.ncsc.gov.uk/collection/cyber-assessment-framework/caf-objective-b-protecting-against-cyber-attack/principle-b4-system-security"


@rule(
    id="INFRA-003",
    title="Each environment keeps end-of-life assets below the limit",
    area="INFRA",
    severity="high",
    kinds=["it-assets"],
    description=(
        "Per environment, the share of in-service assets that are not known to be supported stays "
        "at or below the limit (default 10%): an asset counts when its end_of_life date is on or "
        "before the as-of date, or when it has no end_of_life date and does not record "
        "end_of_life_announced = false (as INFRA-001 judges it; assets hosted as one of "
        "exempt_hosting, default saas, count as supported). An asset with no status counts as in service "
        "and unsupported (the worst case: it may be). Environments with fewer assets than min_assets are "
        "skipped as insufficient evidence."
    ),
    rationale=(
        "A single unsupported asset is a finding for INFRA-001; a high share per environment shows a "
        "lifecycle process that does not work (NCSC CAF B4.d vulnerability management; National Data Guardian"
        " standard 8; GovS 005 technology lifecycle). Out-of-date technology is one of the review's "
        "capability areas."
    ),
    remediation="Plan and fund upgrades or replacements for the environment's end-of-life assets.",
    references=[CAF_B4],
    tags=["lifecycle", "aggregate"],
    criteria=["caf-4.0:B4.d", "ndg-2016:8", "govs-topics-1:005-technology-lifecycle"],
    options={"max_ratio": 0.1, "min_assets": 3, "exempt_hosting": ["saas"]},
    option_checks={"max_ratio": number(0, 1), "min_assets": whole(0)},
    version="1.3.1",
)
def eol_share_per_environment(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Group in-service assets by environment; compare the end-of-life share with the limit."""
    kind = "it-assets"
    exempt = set(ctx.options["exempt_hosting"])
    as_of = ctx.as_of
    # Per environment, in one pass: how many assets, those not known to be supported, and those with no
    # status that may be in service and unsupported (counted against the limit, listed after the others,
    # so that a missing column can never pass an environment).
    groups: dict[str, tuple[list[int], list[Any], list[Any]]] = {}
    # Whether each end_of_life value is on or before the as-of day (None: not a date), once per value.
    ended: dict[Any, bool | None] = {}
    not_carried: list[str] = []  # assets whose source format cannot say their environment or status (an SBOM)
    lacking = evidence.declares_not_provided(kind)
    for asset in evidence.records(kind):
        get = asset.get
        status = get("status")
        if status != "in-service" and not is_missing(status):
            continue  # a missing status is not a retired asset: it is counted as undetermined
        if lacking and (skip := ctx.not_provided(asset, ["environment", "status"], kind=kind)) is not None:
            not_carried.append(skip.message)
            continue
        environment = get("environment", "unknown")
        group = groups.get(environment) if type(environment) is str else None
        if group is None:
            group = groups.setdefault(str(environment), ([0], [], []))
        group[0][0] += 1
        # Not known to be supported on the as-of day (INFRA-001's judgement): its end of life is on or
        # before that day, or it has no end-of-life date without stating that none is announced. An
        # exempt hosting is supported by its supplier (as INFRA-001, which leaves it out of scope).
        if get("hosting") in exempt:
            unsupported = False
        else:
            end = get("end_of_life")
            try:
                over = ended[end]
            except KeyError:
                over = ended[end] = _ended(end, as_of)
            except TypeError:  # an unhashable value (a list): not a date
                over = None
            unsupported = get("end_of_life_announced") is not False if over is None else over
        if unsupported:
            group[1].append(asset)
        elif status != "in-service":  # missing (the only other status let through)
            group[2].append(asset)
    if not_carried:
        count = f" ({len(not_carried)} assets)" if len(not_carried) > 1 else ""
        yield ctx.skipped(not_carried[0] + count, kind=kind, group="not provided by the source")
    limit = float(ctx.options["max_ratio"])
    for env in sorted(groups):
        (total,), past, unsure = groups[env]
        if total < ctx.options["min_assets"]:
            yield ctx.skipped(f"insufficient evidence: only {plural(total, f'{env} asset')}", kind=kind, group=env)
            continue
        past += unsure
        ratio = len(past) / total
        message = (
            f"{len(past)} of {total} {env} assets ({ratio:.1%}) are past end of life or have no "
            f"end-of-life date; the limit is {limit:.1%}"
        )
        if unsure:
            why = undetermined_message(unsure[0], ["status"], "in service and supported")
            message += f" ({len(unsure)} undetermined, counted as unsupported: {unsure[0]['id']}: {why})"
        if ratio > limit:
            yield ctx.group_failed(kind, env, message, related=[(kind, a["id"]) for a in past[:20]])
        else:
            yield ctx.group_passed(kind, env, message)


def _ended(value: Any, as_of: date) -> bool | None:
    """Whether an end-of-life value is a date on or before ``as_of``; None when it is not a date."""
    end = parse_date(value)
    return None if end is None else end <= as_of


@rule(
    id="INFRA-004",
    title="Internet-facing assets are patched within the patch window",
    area="INFRA",
    severity="critical",
    kinds=["it-assets"],
    per_record=True,
    description=(
        "In-service assets with internet_facing = true were last patched no more than max_days "
        "(default 14) before the as-of date. An internet-facing asset with no last_patched date fails. "
        "Assets hosted as one of exempt_hosting (default: saas) are out of scope: their supplier patches them. "
        "An asset with no internet_facing or status value (and not otherwise out of scope) fails as undetermined."
    ),
    rationale=(
        "Internet-facing systems are attacked first; NCSC guidance and Cyber Essentials expect "
        "critical and high-risk updates within 14 days of release."
    ),
    remediation="Patch the asset (or take it off the internet) and record last_patched.",
    references=[CAF_B4, "https://www.ncsc.gov.uk/cyberessentials/overview"],
    tags=["patching", "cyber"],
    criteria=["caf-4.0:B4.d", "ndg-2016:9"],
    options={"max_days": 14, "exempt_hosting": ["saas"]},
    option_checks={"max_days": whole(0)},
    version="1.4.0",
)
def internet_facing_patched(evidence: Any, ctx: RuleContext) -> Iterator[Outcome | PassedRecords]:
    """Compare last_patched with the as-of date for internet-facing assets."""
    kind = "it-assets"
    max_days = ctx.options["max_days"]
    exempt = set(ctx.options["exempt_hosting"])
    as_of = ctx.as_of
    possible = impossible_check(kind, as_of)
    # Days since each last_patched value, worked out once per value: registers repeat a few hundred dates.
    ages: dict[Any, int | None] = {}
    new, fail = tuple.__new__, Status.FAIL  # ctx.failed(asset, why), built as the tuple it is
    passing: list[str] = []  # yielded as one value (PassedRecords): passes are only counted
    keep = passing.append
    for asset in evidence.records(kind):
        get = asset.get
        facing, status = get("internet_facing"), get("status")
        if facing is False or (status != "in-service" and not is_missing(status)):
            continue
        if get("hosting") in exempt:
            continue
        if facing is not True or status != "in-service":  # both present is the common case: no gap
            gap = ctx.missing(asset, "internet_facing", "status")
            if gap:
                # an SBOM cannot say: insufficient evidence; a register that could: undetermined
                yield ctx.not_provided(asset, gap) or ctx.undetermined(asset, gap)
                continue
        if (problem := possible(asset)) is not None:
            yield new(Outcome, (fail, kind, asset["id"], problem, (), None))
            continue
        patched = get("last_patched")
        try:
            age = ages[patched]
        except KeyError:
            age = ages[patched] = days_before(patched, as_of)
        except TypeError:  # an unhashable value (a list): not a date
            age = None
        if age is None:
            why = f"internet-facing {get('name', asset['id'])} has no last_patched date"
            yield new(Outcome, (fail, kind, asset["id"], why, (), None))
        elif age > max_days:
            why = (
                f"internet-facing {get('name', asset['id'])} last patched {age} days ago "
                f"({asset['last_patched']}); the window is {max_days} days"
            )
            yield new(Outcome, (fail, kind, asset["id"], why, (), None))
        else:
            keep(asset["id"])
    if passing:
        yield PassedRecords(kind, passing)


RULES = (eol_share_per_environment, internet_facing_patched)
