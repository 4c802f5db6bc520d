"""Innovation (INNOV): stage gates on the innovation pipeline, and adoption into live services."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from capcheck.builtins.pack._options import one_of
from capcheck.core.models import Outcome
from capcheck.core.rules import RuleContext, is_missing, is_placeholder, missing_words, rule

__all__ = ["RULES"]

ASSESSMENTS = "https://www.gov.uk/service-manual/service-assessments"
POINT_10 = "https://www.gov.uk/service-manual/service-standard/point-10-define-what-success-looks-like"
POINT_14 = "https://www.gov.uk/service-manual/service-standard/point-14-operate-a-reliable-service"
TCOP_12 = "https://www.gov.uk/guidance/the-technology-code-of-practice"

#: The pipeline's stages in order; "stopped" is an exit, not a stage on the path.
STAGES = ("idea", "discovery", "alpha", "beta", "live", "adopted")


def stage_index(stage: Any) -> int | None:
    """The position of a stage on the path from idea to adoption, or None (stopped, unknown)."""
    return STAGES.index(stage) if stage in STAGES else None


@rule(
    id="INNOV-003",
    title="Items past discovery have passed their stage gates",
    area="INNOV",
    severity="high",
    kinds=["innovation-pipeline"],
    per_record=True,
    description=(
        "Stage gates, by the stage an item has reached: from benefits_from (default alpha) it has a "
        "benefits case (benefits_case = true); from assessed_from (default beta) its last service "
        "assessment outcome is met; from funded_from (default live) its funding is secured. Every gate "
        "the item's stage has reached must hold. Idea and discovery items, and stopped ones, are out of scope."
    ),
    rationale=(
        "An industrialised process moves an idea forward only when it has earned it: a benefits case before "
        "money is spent building (Service Standard point 10: identify measurements that show how well the "
        "service solves the problem it is meant to solve), a passed service assessment before real users rely"
        " on it (Technology Code of Practice point 13: meet the Service Standard), and secured funding before"
        " it goes live so that it can be run. Without gates, pilots drift into live use unassessed and "
        "unfunded."
    ),
    remediation=(
        "Hold the missing gate: write the benefits case, book the service assessment, or secure run "
        "funding; until then, take the item back to the last stage whose gates it passed."
    ),
    references=[ASSESSMENTS, POINT_10, TCOP_12],
    tags=["innovation", "stage-gate"],
    criteria=["gds-ss-2019:10", "tcop-2021-11:13"],
    options={"benefits_from": "alpha", "assessed_from": "beta", "funded_from": "live"},
    option_checks={name: one_of(STAGES) for name in ("benefits_from", "assessed_from", "funded_from")},
)
def stage_gates(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Check each gate the item's stage has reached."""
    # (the stage a gate applies from, and a check giving the problem or None)
    gates: list[tuple[str, Callable[[Mapping[str, Any]], str | None]]] = [
        (
            ctx.options["benefits_from"],
            lambda r: None if r.get("benefits_case") is True else "no benefits case",
        ),
        (
            ctx.options["assessed_from"],
            lambda r: (
                None
                if r.get("assessment_outcome") == "met"
                else f"service assessment outcome {r.get('assessment_outcome', 'not recorded')} (needs met)"
            ),
        ),
        (
            ctx.options["funded_from"],
            lambda r: None if r.get("funding_secured") is True else "funding not secured",
        ),
    ]
    for name, _ in gates:
        if stage_index(name) is None:
            raise ValueError(f"option value {name!r} is not a pipeline stage ({', '.join(STAGES)})")
    discovery = STAGES.index("discovery")
    for item in evidence.records("innovation-pipeline"):
        reached = stage_index(item.get("stage"))
        if reached is None or reached <= discovery:
            continue
        problems = [p for gate, check in gates if reached >= STAGES.index(gate) and (p := check(item)) is not None]
        if problems:
            yield ctx.failed(item, f"{item['stage']} item: {'; '.join(problems)}")
        else:
            yield ctx.passed(item)


@rule(
    id="INNOV-005",
    title="Live and adopted innovations land in a live service with an adoption owner",
    area="INNOV",
    severity="medium",
    kinds=["innovation-pipeline", "service-catalogue"],
    description=(
        "Every item at stage live or adopted names an adoption owner (adoption_owner) and a target "
        "service (target_service) that is a live service in the service catalogue."
    ),
    rationale=(
        "Innovation that is not adopted into a service somebody runs dies when the pilot team moves on. "
        "Landing each innovation in a catalogued live service, with a named owner for its adoption, is what "
        "turns a pilot into business as usual (Service Standard point 14, operate a reliable service; GovS "
        "005 accountable owners)."
    ),
    remediation=(
        "Agree with a service owner which live service will run the innovation, record it as "
        "target_service, and name the adoption owner; add the service to the catalogue if it is new."
    ),
    references=[POINT_14, ASSESSMENTS],
    tags=["innovation", "adoption", "join"],
    criteria=["gds-ss-2019:14", "govs-topics-1:005-governance"],
    options={"stages": ["live", "adopted"]},
    version="1.1.0",
)
def adopted_into_live_service(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Join innovation-pipeline.target_service to live service-catalogue records."""
    kind = "innovation-pipeline"
    stages = set(ctx.options["stages"])
    for item in evidence.records(kind):
        if item.get("stage") not in stages:
            continue
        problems: list[str] = []
        related: list[tuple[str, str]] = []
        owner = item.get("adoption_owner")
        if is_missing(owner):
            problems.append("no adoption owner" + _placeholder("adoption_owner", owner))
        target = item.get("target_service")
        service = evidence.get("service-catalogue", target) if isinstance(target, str) else None
        if is_missing(target):
            problems.append("no target service" + _placeholder("target_service", target))
        elif service is None:
            problems.append(f"target service {target} is not in the service catalogue")
        else:
            related.append(("service-catalogue", str(target)))
            if service.get("status") != "live":
                problems.append(f"target service {target} is {service.get('status', 'of unknown status')}, not live")
        if problems:
            yield ctx.failed(item, f"{item['stage']} item: {'; '.join(problems)}", kind=kind, related=related)
        else:
            yield ctx.passed(item, kind=kind)


def _placeholder(field: str, value: Any) -> str:
    """`` (`field` "TBC" is a placeholder)`` when ``value`` is one, so the register's owner knows what to fix."""
    return f" ({missing_words(field, value)})" if is_placeholder(value) else ""


RULES = (stage_gates, adopted_into_live_service)
