"""Culture and skills (CULT): skill gaps and whether all staff have in-date IG and cyber security training."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import re2

from capcheck.builtins.pack._dates import days_before, impossible
from capcheck.builtins.pack._options import re2_pattern, whole
from capcheck.core.models import Outcome
from capcheck.core.rules import RuleContext, rule

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
    per_record=True,
    description=(
        "For every skill in the matrix, the gap between the level needed (target_level) and the level held "
        "(current_level), on the DDaT framework's 0-4 scale, is at most `max_gap` (default 1). A skill held "
        "above its target has no gap."
    ),
    rationale=(
        "A one-level gap usually closes with training and experience; a gap of two or more levels (awareness "
        "where practitioners are needed) means the work cannot be done well without hiring or buying it in "
        "(GovS 005 people and capability). Culture and skills is one of the review's capability areas."
    ),
    remediation=(
        "Close the gap with a funded plan: training and mentoring for a one-level step, recruitment, "
        "secondment or a supplier for larger gaps; reassess the levels afterwards."
    ),
    references=[DDAT, GOVS_005],
    tags=["skills-gap"],
    criteria=["govs-topics-1:005-workforce"],
    options={"max_gap": 1},
    option_checks={"max_gap": whole(0)},
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


#: Statuses under which a completion no longer counts, whatever its date says.
_NOT_COUNTING = frozenset({"expired", "not-started"})


def training_in_date(record: Any, as_of: date, period: int) -> bool:
    """Whether a training record shows an in-date completion on ``as_of``: completed within ``period`` days
    before it (not after it), not past ``expires_on`` (the expiry day itself no longer counts), not
    recorded as expired or not started, and with possible dates (CULT-003 judges each record the same way)."""
    if record.get("status") in _NOT_COUNTING or impossible(record, "training-records", as_of) is not None:
        return False
    age = days_before(record.get("completed_on"), as_of)
    if age is None or not 0 <= age <= period:
        return False
    left = days_before(record.get("expires_on"), as_of)
    return left is None or left < 0


@rule(
    id="CULT-004",
    title="All staff have in-date information governance and cyber security training",
    area="CULT",
    severity="medium",
    kinds=["training-records"],
    description=(
        "Every person in the training records has an in-date completion of an information governance or "
        "cyber security course: a course listed in `courses` (titles or codes), or, when that list is empty, "
        "one whose title or code matches `course_pattern` (default: data security, information governance, "
        "cyber security). In date means completed within `period_days` (default 365) before the as-of date, "
        "not past its expires_on, and not recorded as expired or not started. A person whose only such "
        "records are exempt is excused; a person with no such record at all is not covered. There is no "
        "95% allowance: since the 2023-24 edition the DSPT expects all staff to have an appropriate "
        "understanding of information governance and cyber security. Fewer than `min_people` (default 5) "
        "people is insufficient evidence. One finding, for the group 'all', naming the people not covered."
    ),
    rationale=(
        "Until July 2023 the Data Security and Protection Toolkit asked that at least 95% of staff complete "
        "data security awareness training each year. From the 2023-24 edition that threshold was replaced: "
        "all staff must have an appropriate understanding of information governance and cyber security "
        "(National Data Guardian standard 3), shown by training matched to a training needs analysis. "
        "Annual, in-date training for everyone is the evidence the training records can give; CULT-003 "
        "names each lapsed mandatory record."
    ),
    remediation=(
        "Give each person not covered the information governance and cyber security training their role "
        "needs (the national Data Security Awareness e-learning or a local equivalent), record completion "
        "and expiry, and keep the training needs analysis that says what each role needs."
    ),
    references=[DSPT, CAF_B6],
    tags=["training", "mandatory-training", "dspt", "aggregate"],
    criteria=["ndg-2016:3", "caf-4.0:B6.b"],
    options={
        "period_days": 365,
        "min_people": 5,
        "courses": [],
        "course_pattern": "(?i)data security|information governance|cyber security|\\bIG\\b",
    },
    option_checks={"period_days": whole(1), "min_people": whole(0), "course_pattern": re2_pattern},
    version="2.0.0",
)
def staff_ig_training(evidence: Any, ctx: RuleContext) -> Iterator[Outcome]:
    """Per person: at least one in-date IG or cyber security completion; every person must have one."""
    kind = "training-records"
    courses = {str(c) for c in ctx.options["courses"]}
    pattern = re2.compile(str(ctx.options["course_pattern"]))
    period = int(ctx.options["period_days"])

    def in_scope(record: Any) -> bool:
        names = [str(v) for v in (record.get("course"), record.get("course_code")) if v is not None]
        if courses:
            return any(n in courses for n in names)
        return any(pattern.search(n) is not None for n in names)

    covered: dict[str, bool] = {}
    excused: set[str] = set()
    evidence_of: dict[str, str] = {}
    for record in evidence.records(kind):
        person = str(record.get("person"))
        covered.setdefault(person, False)
        evidence_of.setdefault(person, record["id"])
        if not in_scope(record):
            continue
        if record.get("status") == "exempt":
            excused.add(person)
            continue
        if training_in_date(record, ctx.as_of, period):
            covered[person] = True
    people = {p: ok for p, ok in covered.items() if ok or p not in excused}
    total = len(people)
    if total < int(ctx.options["min_people"]):
        yield ctx.skipped(f"insufficient evidence: training records for {total} people", group="all")
        return
    missing = sorted(p for p, ok in people.items() if not ok)
    message = (
        f"{total - len(missing)} of {total} people have in-date information governance and cyber security "
        "training; the DSPT expects all staff to"
    )
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        related = [(kind, evidence_of[p]) for p in missing[:20]]
        yield ctx.group_failed(kind, "all", f"{message} (not covered: {shown})", related=related)
    else:
        yield ctx.group_passed(kind, "all", message)


RULES = (skill_gaps_small, staff_ig_training)
