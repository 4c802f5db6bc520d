"""Culture and skills (CULT): skill gaps and the share of staff with in-date mandatory training."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from capcheck.models import Outcome
from capcheck.pack._dates import days_before
from capcheck.rules import RuleContext, rule

__all__ = ["RULES"]

DDAT = "https://www.gov.uk/government/collections/digital-data-and-technology-profession-capability-framework"
GOVS_005 = "https://www.gov.uk/government/publications/government-functional-standard-govs-005-digital"
DSPT = "https://www.dsptoolkit.nhs.uk/"
CAF_B6 = (
    "https://www.ncsc.gov.uk/collection/cyber-assessment-framework/"
    "caf-objective-b-protecting-against-cyber-attack/principle-b6-staff-awareness-and-training"
)
LEVELS = ("none", "awareness", "working", "practitioner", "expert")


def _level(value: Any) -> int | None:
    """A skill level 0-4 as an int, or None when absent or not a whole number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        return None
    return int(value)


def _name(level: int) -> str:
    """A level with its framework name, e.g. ``3 (practitioner)``."""
    return f"{level} ({LEVELS[level]})" if 0 <= level < len(LEVELS) else str(level)


@rule(
    id="CULT-001",
    title="Skill gaps are at most one level",
    area="CULT",
    severity="medium",
    kinds=["skills-matrix"],
    description=(
        "For every skill in the matrix, the gap between the level needed (target_level) and the level held "
        "(current_level), on the DDaT framework's 0-4 scale, is at most `max_gap` (default 1). A skill held "
        "above its target has no gap."
    ),
    rationale=(
        "The capability review compared the skills the organisation has with those it needs. A one-level gap "
        "closes with training and experience inside a year; a gap of two or more levels (awareness where "
        "practitioners are needed) means the work cannot be done well without hiring or buying it in "
        "(GovS 005 people and capability; Service Standard point 6)."
    ),
    remediation=(
        "Close the gap with a funded plan: training and mentoring for a one-level step, recruitment, "
        "secondment or a supplier for larger gaps; reassess the levels afterwards."
    ),
    references=[
        DDAT,
        GOVS_005,
        "https://www.gov.uk/service-manual/service-standard/point-6-have-a-multidisciplinary-team",
    ],
    tags=["skills-gap"],
    criteria=["govs:005-workforce", "gds-ss:6"],
    options={"max_gap": 1},
)
def skill_gaps_small(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Compare target_level - current_level with the allowed gap, per skill."""
    max_gap = int(ctx.options["max_gap"])
    for skill in evidence.records("skills-matrix"):
        current, target = _level(skill.get("current_level")), _level(skill.get("target_level"))
        if current is None or target is None:
            yield ctx.failed(skill, f"skill {skill['id']} ({skill.get('skill')}) has no whole-number levels")
            continue
        gap = target - current
        if gap > max_gap:
            yield ctx.failed(
                skill,
                f"skill {skill['id']} ({skill.get('skill')}) is held at level {_name(current)} but needed at "
                f"{_name(target)}: a gap of {gap} levels; the limit is {max_gap}",
            )
        else:
            yield ctx.passed(skill)


@rule(
    id="CULT-004",
    title="At least 95% of staff have in-date mandatory training",
    area="CULT",
    severity="medium",
    kinds=["training-records"],
    description=(
        "Across all people in the training records, the share whose every mandatory course (mandatory = true, "
        "not status = exempt; limited to `courses` by title or course code when that list is not empty) was "
        "completed within `period_days` (default 365) of the as-of date is at least `min_ratio` (default 0.95, "
        "the Data Security and Protection Toolkit's 95% staff training threshold). Fewer than `min_people` "
        "(default 5) people is insufficient evidence. One finding, for the group 'all'."
    ),
    rationale=(
        "Training is a culture measure when it reaches everyone: the NHS Data Security and Protection Toolkit "
        "asks organisations to show that at least 95% of staff completed data security awareness training in "
        "the last twelve months (National Data Guardian standard 3). CULT-003 names each lapsed record; this "
        "rule says whether the organisation as a whole meets the bar."
    ),
    remediation=(
        "Chase lapsed and never-completed learners through their line managers, schedule completion before "
        "the toolkit submission, and report the rate to the board until it holds above the threshold."
    ),
    references=[DSPT, CAF_B6],
    tags=["training", "mandatory-training", "dspt", "aggregate"],
    criteria=["dspt:3", "caf:B6.b"],
    options={"min_ratio": 0.95, "period_days": 365, "min_people": 5, "courses": []},
)
def staff_training_share(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Group mandatory records by person; a person is in date when every such record is."""
    kind = "training-records"
    courses = {str(c) for c in ctx.options["courses"]}
    period = int(ctx.options["period_days"])
    people: dict[str, bool] = {}
    lapsed: dict[str, str] = {}
    for record in evidence.records(kind):
        if record.get("mandatory") is not True or record.get("status") == "exempt":
            continue
        if courses and record.get("course") not in courses and record.get("course_code") not in courses:
            continue
        person = str(record.get("person"))
        age = days_before(record.get("completed_on"), ctx.as_of)
        in_date = age is not None and 0 <= age <= period
        people[person] = people.get(person, True) and in_date
        if not in_date:
            lapsed.setdefault(person, record["id"])
    total = len(people)
    if total < int(ctx.options["min_people"]):
        yield ctx.skipped(f"insufficient evidence: mandatory training records for {total} people", group="all")
        return
    in_date_count = sum(people.values())
    ratio = in_date_count / total
    limit = float(ctx.options["min_ratio"])
    message = (
        f"{in_date_count} of {total} people ({ratio:.1%}) have all mandatory training in date; "
        f"the threshold is {limit:.0%}"
    )
    if ratio < limit:
        yield ctx.group_failed(kind, "all", message, related=[(kind, i) for _, i in sorted(lapsed.items())[:20]])
    else:
        yield ctx.group_passed(kind, "all", message)


RULES = (skill_gaps_small, staff_training_share)
