"""Workforce strategy (WORK): whether the workforce plan lands, as aggregates over its posts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from capcheck.builtins.pack._options import number, whole
from capcheck.core.models import Outcome
from capcheck.core.rules import RuleContext, rule

__all__ = ["RULES"]

GOVS_005 = "https://www.gov.uk/government/publications/government-functional-standard-govs-005-digital"
DDAT = "https://www.gov.uk/government/collections/digital-data-and-technology-profession-capability-framework"
KIND = "workforce-plan"


def _fte(value: Any) -> float | None:
    """A whole-time equivalent as a float, or None when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@rule(
    id="WORK-004",
    title="Each team's actual capacity is within tolerance of its planned FTE",
    area="WORK",
    severity="medium",
    version="1.1.0",
    kinds=[KIND],
    description=(
        "Per team, the sum of actual_fte over its posts is within `tolerance` (default 10%) of the sum of "
        "planned_fte, in either direction. A vacant post with no actual_fte counts as 0. A team with a post "
        "that has no planned_fte fails as undetermined (the missing figure could put it anywhere against its "
        "plan); a team with fewer than `min_posts` (default 3) posts, or with a planned total of 0, is skipped "
        "as insufficient evidence."
    ),
    rationale=(
        "The plan's FTE is the capacity the organisation decided it needs; a team running well below it is "
        "carrying vacancies the services feel, and one well above it is working outside the plan (GovS 005 "
        "people and capability). Workforce strategy is one of the review's capability areas."
    ),
    remediation=(
        "Recruit or redeploy to close a shortfall; for an excess, bring the posts into the plan (or end them) "
        "so the plan describes the team that actually exists."
    ),
    references=[GOVS_005, DDAT],
    tags=["capacity", "aggregate"],
    criteria=["govs-topics-1:005-workforce"],
    options={"tolerance": 0.1, "min_posts": 3},
    option_checks={"tolerance": number(0), "min_posts": whole(0)},
)
def team_capacity_within_plan(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Sum planned and actual FTE per team; compare their ratio with 1 +/- tolerance."""
    teams: dict[str, list[tuple[Any, float, float]]] = {}
    unplanned: dict[str, list[str]] = {}  # per team, posts with no planned_fte: the plan cannot be judged
    for post in evidence.records(KIND):
        team = str(post.get("team", "<missing>"))
        planned = _fte(post.get("planned_fte"))
        if planned is None:
            if ctx.missing(post, "planned_fte"):
                unplanned.setdefault(team, []).append(post["id"])
            continue
        actual = _fte(post.get("actual_fte"))
        teams.setdefault(team, []).append((post, planned, actual or 0.0))
    tolerance = float(ctx.options["tolerance"])
    min_posts = int(ctx.options["min_posts"])
    for team in sorted(set(teams) | set(unplanned)):
        posts = teams.get(team, [])
        gaps = unplanned.get(team, [])
        planned_total = sum(p for _, p, _ in posts)
        actual_total = sum(a for _, _, a in posts)
        if gaps and len(posts) + len(gaps) >= min_posts:
            # the missing planned FTE could put the team anywhere against its plan: never silently left out
            yield ctx.group_failed(
                KIND,
                team,
                f"cannot tell whether {team} is within its plan: {len(gaps)} post{'s' if len(gaps) != 1 else ''} "
                f"with no planned_fte ({', '.join(gaps[:5])}{', ...' if len(gaps) > 5 else ''})",
                related=[(KIND, i) for i in gaps[:20]],
            )
            continue
        if len(posts) < min_posts or planned_total <= 0:
            yield ctx.skipped(
                f"insufficient evidence: {len(posts)} planned posts, {planned_total:g} planned FTE in {team}",
                kind=KIND,
                group=team,
            )
            continue
        ratio = actual_total / planned_total
        message = (
            f"{team} has {actual_total:g} FTE in post against {planned_total:g} planned ({ratio:.0%}); "
            f"the tolerance is {tolerance:.0%} either way"
        )
        if abs(ratio - 1.0) > tolerance + 1e-9:
            off_plan = [post["id"] for post, planned, actual in posts if actual != planned]
            yield ctx.group_failed(KIND, team, message, related=[(KIND, i) for i in off_plan[:20]])
        else:
            yield ctx.group_passed(KIND, team, message)


RULES = (team_capacity_within_plan,)
