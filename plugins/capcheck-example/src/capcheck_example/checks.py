"""The plugin's Python rules: for what the declarative language cannot say (joins, dates, aggregates)."""

from collections.abc import Iterator
from datetime import date

from capcheck import EvidenceSet, Outcome, Rule, RuleContext, rule

__all__ = ["RULES"]

KIND = "example.register"
#: The review date field of each register the rule reads: this plugin's own, or capcheck's governance register.
REVIEW_FIELDS = {KIND: "review_date", "governance-register": "next_review"}


@rule(
    id="example.GOV-101",
    title="Register entries are reviewed on time",
    area="GOV",
    severity="medium",
    any_of=list(REVIEW_FIELDS),  # either register is enough: the rule is skipped only when neither is given
    description="Every entry of the example register, and of the governance register, has a review date that has "
    "not passed.",
    rationale="An entry nobody reviews stops describing what is true; a dated review keeps the register honest.",
    remediation="Review the entry and record its next review date.",
    tags=["example"],
)
def entries_reviewed_on_time(evidence: EvidenceSet, ctx: RuleContext) -> Iterator[Outcome]:
    """Fail an entry whose review date has passed; an entry without one cannot be judged (a failure too)."""
    for kind, field in REVIEW_FIELDS.items():
        for entry in evidence.records(kind):  # empty for the register that was not given
            if gap := ctx.missing(entry, field):
                yield ctx.undetermined(entry, gap, kind=kind, what="reviewed on time")
                continue
            due = date.fromisoformat(str(entry[field])[:10])
            if due < ctx.as_of:
                yield ctx.failed(entry, f"entry {entry['id']} was due for review on {due.isoformat()}", kind=kind)
            else:
                yield ctx.passed(entry, kind=kind)


#: Every Python rule of the plugin (plugin.py registers them).
RULES: tuple[Rule, ...] = (entries_reviewed_on_time,)
