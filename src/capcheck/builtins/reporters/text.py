"""The built-in text reporter: a report people read at a terminal.

The default (``grouped``) layout lists failing rules most severe first: each rule once, with its title and a
one-line fix, its records beneath (paths relative to the evidence root, with the line). The first
``--limit`` rules are detailed with a few records each; the rest are named on one line per severity. Skips
for evidence that was not given at all are one line per missing kind, with what to add. Waived and
baselined findings are counted, and listed only when ``--show`` asks. The scorecard shows the selected
areas in aligned columns, and the summary ends the report: failures by severity, then the verdict.

``compact`` is one line per finding (``path:line: RULE severity record: message``, for grep and editors);
``quiet`` is the summary alone. These display options (:class:`RenderOptions`) never change the result, the
exit code or any other format.

Colour is used only when asked (``RenderOptions.color``: a terminal, or ``FORCE_COLOR``). Every value that
comes from evidence, waivers, the baseline or plugins goes through
:func:`capcheck.core.escaping.terminal.terminal`: control characters are shown (``␛[2J``), never obeyed, and each
finding stays on one line; columns are measured with :func:`~capcheck.core.escaping.terminal.width`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice, pairwise
from typing import TYPE_CHECKING

from capcheck.core.escaping.terminal import clip, pad, terminal, width
from capcheck.core.hookspecs import hookimpl
from capcheck.core.models import STATUS_ORDER, Finding, RunResult, Severity, Status
from capcheck.core.outcomes import Findings
from capcheck.core.reporting import (
    ByteStream,
    FirstFew,
    RenderOptions,
    Reporter,
    cut_value,
    finding_runs,
    finding_subject,
    first_sentence,
    render_by,
    verdict_word,
)
from capcheck.core.wording import plural

if TYPE_CHECKING:  # annotations only: the result carries these
    from capcheck.assessment.criteria import CriterionResult
    from capcheck.assessment.scorecard import Scorecard
    from capcheck.assessment.waivers import WaiverState

__all__ = [
    "SHOW_CHOICES",
    "parse_show",
    "render_summary_line",
    "render_text",
    "summary_line",
    "verdict_line",
    "write_text",
]

#: What ``--show`` takes: the statuses to list, and ``criteria`` for the per-criterion view.
SHOW_CHOICES = ("fail", "error", "skip", "waived", "baselined", "pass", "criteria")
#: Records detailed per rule within ``--limit`` (all of them with ``--limit 0``).
RECORDS_PER_RULE = 3


def parse_show(items: Iterable[str]) -> frozenset[str]:
    """What to list, from ``--show`` values or ``[display] show`` items (each may be comma-separated, any
    case): the one check of both. :raises ValueError: an item is not in :data:`SHOW_CHOICES`, or none is given."""
    chosen = {part.strip().lower() for item in items for part in item.split(",") if part.strip()}
    unknown = sorted(chosen - set(SHOW_CHOICES))
    if unknown or not chosen:
        raise ValueError(f"{', '.join(map(repr, unknown)) or 'nothing'} is not one of {', '.join(SHOW_CHOICES)}")
    return frozenset(chosen)


_STATUS_COLOUR = {
    Status.FAIL: "31",
    Status.ERROR: "35",
    Status.SKIP: "33",
    Status.PASS: "32",
    Status.WAIVED: "2",
    Status.BASELINED: "2",
}
_SEVERITY_COLOUR = {
    Severity.CRITICAL: "1;31",
    Severity.HIGH: "31",
    Severity.MEDIUM: "33",
    Severity.LOW: "36",
    Severity.INFO: "2",
}
_LEVEL_COLOUR = {1: "31", 2: "33", 3: "36", 4: "32", 5: "1;32"}
_CRITERION_LABEL = {
    "achieved": "achieved",
    "partially-achieved": "partial",
    "not-achieved": "NOT ACHIEVED",
    "not-assessed": "not assessed",
}
_CRITERION_COLOUR = {"achieved": "32", "partially-achieved": "33", "not-achieved": "31", "not-assessed": "2"}
#: The most profile gaps listed with ``--show criteria``; the rest are counted.
_MAX_GAPS = 10
#: The widest location or record column in a rule's block; longer ones push the message right.
_MAX_COLUMN = 40


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _shown(result: RunResult, options: RenderOptions) -> frozenset[str]:
    default = {"fail", "error", "skip"} | ({"pass"} if result.include_passed else set())
    if options.show is None:
        return frozenset(default)
    if options.show <= {"criteria"}:  # `--show criteria` adds a view; it does not hide the findings
        return frozenset(default | options.show)
    return options.show


def _missing_kind(f: Finding, given: frozenset[str]) -> bool:
    """A skip because no evidence of a kind was given at all (not about a record, group or file; a rule
    with no record in its scope of a kind that was given is not one)."""
    ev = f.evidence
    return (
        f.status is Status.SKIP
        and ev is not None
        and ev.file is None
        and ev.record_id is None
        and f.group is None
        and ev.kind not in given
    )


def _evidence_root(result: RunResult) -> str:
    """The deepest directory holding every evidence file ('' when they share none)."""
    dirs = [os.path.dirname(e.path) for e in result.evidence]
    if not dirs:
        return ""
    try:
        root = os.path.commonpath(dirs)
    except ValueError:  # absolute and relative paths, or different drives
        return ""
    # The file system's root is no common directory to speak of ("2 evidence files in //"): paths stay whole.
    return "" if root in (".", "") or os.path.dirname(root) == root else root.replace(os.sep, "/")


def _relative(path: str, root: str) -> str:
    return path[len(root) + 1 :] if root and path.startswith(root + "/") else path


def _shown_first(f: Finding) -> tuple[object, ...]:
    """The order of a rule's records: failures before the rest, each status in the one order of findings."""
    return (STATUS_ORDER.index(f.status), f.sort_key())


@dataclass
class _Rule:
    """One rule's listed findings, for the grouped layout: how many of each status, and the first few in
    the order they are shown."""

    rule_id: str
    title: str
    area: str
    severity: Severity
    remediation: str
    #: The findings shown first (``keep`` of them, failures before the rest, each status in the one order).
    first: FirstFew[Finding] = field(default_factory=lambda: FirstFew(RECORDS_PER_RULE, _shown_first))
    by: dict[Status, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """How many findings it lists."""
        return self.first.count

    @property
    def findings(self) -> list[Finding]:
        """The findings it shows first, in order."""
        return self.first.items()

    def add(self, f: Finding) -> None:
        """Count a listed finding, and keep it when it is among the first shown."""
        self.by[f.status] = self.by.get(f.status, 0) + 1
        self.first.add(f)

    def rank(self, area_order: dict[str, tuple[int, str]]) -> tuple[object, ...]:
        """Errors first, then failures (accepted ones too) most severe first, then skips, then passes."""
        statuses = set(self.by)
        if Status.ERROR in statuses:
            klass = 0
        elif statuses & {Status.FAIL, Status.WAIVED, Status.BASELINED}:
            klass = 1
        elif Status.SKIP in statuses:
            klass = 2
        else:
            klass = 3
        return (klass, -self.severity.rank, area_order.get(self.area, (1000, self.area)), self.rule_id)

    def failing(self) -> bool:
        """Whether it lists a failure (accepted or not) or an error."""
        return any(s in (Status.FAIL, Status.ERROR, Status.WAIVED, Status.BASELINED) for s in self.by)

    def count(self) -> int:
        """Its failures and errors, or (a rule with neither) all its listed findings."""
        failing = self.by.get(Status.FAIL, 0) + self.by.get(Status.ERROR, 0)
        return failing or self.total

    def counts(self) -> str:
        by = self.by
        words = {Status.FAIL: "failed", Status.SKIP: "skipped", Status.PASS: "passed"}
        order = (Status.ERROR, Status.FAIL, Status.WAIVED, Status.BASELINED, Status.SKIP, Status.PASS)
        return ", ".join(
            plural(by[s], "error") if s is Status.ERROR else f"{by[s]} {words.get(s, s.value)}"
            for s in order
            if by.get(s)
        )


class _Text:
    """The pieces of the report, from one result and the display options."""

    def __init__(self, result: RunResult, options: RenderOptions) -> None:
        self.result = result
        self.options = options
        self.color = options.color
        self.show = _shown(result, options)
        self.root = _evidence_root(result)
        self.area_order = {a.id: (a.order, a.id) for a in result.areas}
        self.given = frozenset(e.kind for e in result.evidence)
        self.info = {r.id: r for r in result.rules}
        #: The listed skips for kinds nobody gave, in the findings' order (gathered by a pass over them).
        self.missing: list[Finding] = []
        #: The listed findings' rules (the grouped layout's pass gathers them).
        self.rules: list[_Rule] = []

    def gather(self) -> None:
        """Read the findings once: each listed one counted under its rule (the first few kept, all of them
        with ``--limit 0``), and the skips for kinds nobody gave set apart.

        Of a run's findings (each rule's in the one order) only those that may be shown are made: a rule's
        first few of each status, found by status, and its skips (to tell those for kinds nobody gave)."""
        findings = self.result.findings
        keep = None if self.options.limit <= 0 else RECORDS_PER_RULE
        rules: dict[str, _Rule] = {}
        if keep is None or not isinstance(findings, Findings):
            for f in findings:
                if self._listed(f.status, f.severity):
                    self._take(rules, f, keep)
        else:
            for run in finding_runs(findings):
                firsts: dict[Status, list[int]] = {}
                counted: Counter[Status] = Counter()
                for k, status in enumerate(run.statuses):
                    if not self._listed(status, run.severity):
                        continue
                    if status is Status.SKIP and _missing_kind(f := findings[run.start + k], self.given):
                        self.missing.append(f)
                        continue
                    counted[status] += 1
                    few = firsts.setdefault(status, [])
                    if len(few) < keep:
                        few.append(run.start + k)
                for status in STATUS_ORDER:  # each status's first few, made; the rule keeps the first overall
                    for i in firsts.get(status, ()):
                        self._take(rules, findings[i], keep)
                for status, n in counted.items():  # the rest are counted, not made
                    rest = n - len(firsts[status])
                    rule = rules[run.rule_id]
                    rule.by[status] += rest
                    rule.first.count += rest
        self.rules = sorted(rules.values(), key=lambda r: r.rank(self.area_order))

    def _take(self, rules: dict[str, _Rule], f: Finding, keep: int | None) -> None:
        """A listed finding: set apart when its kind was not given, else counted under its rule."""
        if _missing_kind(f, self.given):
            self.missing.append(f)
            return
        rule = rules.get(f.rule_id)
        if rule is None:
            meta = self.info.get(f.rule_id)
            rule = rules[f.rule_id] = _Rule(
                f.rule_id,
                meta.title if meta else f.title,
                f.area,
                meta.severity if meta else f.severity,
                meta.remediation if meta else f.remediation,
                FirstFew(keep, _shown_first),
            )
        rule.add(f)

    def _listed(self, status: Status, severity: Severity) -> bool:
        """Whether a finding of this status and severity is listed (``--show``, ``--min-severity``)."""
        if status.value not in self.show:
            return False
        if status is Status.ERROR:  # the check is incomplete: always said
            return True
        floor = self.options.min_severity
        return floor is None or severity.rank >= floor.rank

    # -- pieces ---------------------------------------------------------------------------------

    def header(self) -> list[str]:
        r = self.result
        records = sum(f.records for f in r.evidence)
        where = f" in {terminal(self.root)}/" if self.root else ""
        return [
            f"capcheck {terminal(r.tool_version)} · as of {r.as_of.isoformat()} · "
            f"{plural(len(r.evidence), 'evidence file')}{where} ({plural(records, 'record')}) · "
            f"{plural(len(r.rules), 'rule')}"
        ]

    def _where(self, f: Finding, root: str) -> str:
        ev = f.evidence
        if ev is None or ev.file is None:
            return terminal(ev.kind if ev is not None else "-")
        path = terminal(_relative(ev.file, root))
        return path if ev.line is None else f"{path}:{ev.line}"

    def _record_lines(self, rule: _Rule, findings: Sequence[Finding]) -> list[str]:
        rows = []
        statuses = set(rule.by)
        mixed = len(statuses) > 1
        label_w = max(len(s.value) for s in statuses) if mixed else 0
        for f in findings:
            status = ""
            if mixed or f.status not in (Status.FAIL, Status.ERROR):
                label = f"{f.status.value.upper():<{label_w}}"
                status = _paint(label, _STATUS_COLOUR.get(f.status, "0"), self.color) + " "
            message, *traceback = f.message.rstrip("\n").split("\n") if self._traceback(f) else [f.message]
            subject = terminal(cut_value(finding_subject(f)))
            rows.append((self._where(f, self.root), subject, status, terminal(cut_value(message)), traceback))
        where_w = min(_MAX_COLUMN, max((width(w) for w, *_ in rows), default=0))
        subject_w = min(_MAX_COLUMN, max((width(s) for _, s, *_ in rows), default=0))
        lines = []
        for w, s, status, message, traceback in rows:
            lines.append(f"    {pad(w, where_w)}  {pad(s, subject_w)}  {status}{message}".rstrip())
            lines.extend(f"        {terminal(line)}".rstrip() for line in traceback)
        return lines

    def _traceback(self, f: Finding) -> bool:
        """Whether to show a rule error's message line by line: its traceback, under ``--debug`` only (each
        line escaped). Otherwise a newline in a message is shown visibly: no value starts a line of its own."""
        return self.options.debug and f.status is Status.ERROR and "\n" in f.message

    def _fix(self, remediation: str) -> str:
        """The remediation's first sentence, whole: a fix cut mid-word helps nobody."""
        return terminal(first_sentence(remediation))

    def _rule_header(self, rule: _Rule) -> str:
        if Status.ERROR in rule.by:  # the rule raised: that comes before severity
            sev = _paint(f"{'ERROR':<8}", _STATUS_COLOUR[Status.ERROR], self.color)
        elif rule.failing():
            sev = _paint(f"{rule.severity.value.upper():<8}", _SEVERITY_COLOUR[rule.severity], self.color)
        else:  # skips or passes only: its severity would read as a failure
            status = rule.findings[0].status
            sev = _paint(f"{status.value.upper():<8}", _STATUS_COLOUR.get(status, "0"), self.color)
        return f"{sev} {_paint(terminal(rule.rule_id), '1', self.color)}  {terminal(rule.title)}  · {rule.counts()}"

    def grouped(self) -> list[str]:
        rules = self.rules
        limit = self.options.limit
        detailed = rules if limit <= 0 else rules[:limit]
        out: list[str] = []
        for rule in detailed:
            out.append("")
            out.append(self._rule_header(rule))
            if any(s in (Status.FAIL, Status.WAIVED, Status.BASELINED) for s in rule.by):
                out.append(_paint("    fix: ", "2", self.color) + self._fix(rule.remediation))
            shown = rule.findings if limit <= 0 else rule.findings[:RECORDS_PER_RULE]
            out.extend(self._record_lines(rule, shown))
            if len(shown) < rule.total:
                out.append(f"    … {rule.total - len(shown)} more (--limit 0 or --compact lists them all)")
        out.extend(self._more(rules[len(detailed) :]))
        return out

    def _more(self, rules: Sequence[_Rule]) -> list[str]:
        """The rules beyond ``--limit``: their ids and counts, one line (wrapped) per severity."""
        if not rules:
            return []
        out = ["", f"{plural(len(rules), 'more rule')} (--limit N details more; --compact lists every finding):"]
        by_severity: dict[Severity, list[str]] = {}
        for rule in rules:
            counted = str(rule.count()) if rule.failing() else rule.counts()  # "1 skipped": not a failure
            by_severity.setdefault(rule.severity, []).append(f"{terminal(rule.rule_id)} ({counted})")
        for severity in sorted(by_severity, key=lambda s: -s.rank):
            label = _paint(f"{severity.value:<8}", _SEVERITY_COLOUR[severity], self.color)
            out.extend(_wrap(by_severity[severity], f"  {label} ", " " * 11, self.options.width))
        return out

    def compact(self) -> Iterator[str]:
        """One line per listed finding, most severe first, then by area and in the one order of findings;
        the skips for kinds nobody gave are set apart (``missing``) as they are passed."""
        for f in self._by_severity():
            if not self._listed(f.status, f.severity):
                continue
            if _missing_kind(f, self.given):
                self.missing.append(f)
                continue
            where = self._where(f, "")
            status = "" if f.status is Status.FAIL else f" {f.status.value}"
            sev = _paint(f.severity.value, _SEVERITY_COLOUR[f.severity], self.color)
            subject, message = terminal(cut_value(finding_subject(f))), terminal(cut_value(f.message))
            yield f"{where}: {terminal(f.rule_id)} {sev}{status} {subject}: {message}"

    def _by_severity(self) -> Iterable[Finding]:
        """The findings most severe first, then by area, then in the one order of findings.

        A run's findings are in area order, each area's most severe first: read one severity at a time
        (its rules' rows, still in order), none is held. Findings in another order are sorted."""
        findings = self.result.findings
        area_order = self.area_order
        if isinstance(findings, Findings):
            blocks = findings.blocks
            ranks = [area_order.get(b.area, (1000, b.area)) for b in blocks]
            if all(a <= b for a, b in pairwise(ranks)):
                areas = list(dict.fromkeys(b.area for b in blocks))
                return chain.from_iterable(
                    Findings([b for b in blocks if b.severity is severity], findings.evidence, areas)
                    for severity in sorted(Severity, key=lambda s: -s.rank)
                )
        return sorted(findings, key=lambda f: (-f.severity.rank, area_order.get(f.area, (1000, f.area)), f.sort_key()))

    def not_checked(self) -> list[str]:
        """Skips for kinds nobody gave: one line per kind, with what to add or leave out."""
        if not self.missing:
            return []
        by_kind: dict[str, list[str]] = {}
        for f in self.missing:
            kind = f.evidence.kind if f.evidence is not None else "?"
            ids = by_kind.setdefault(kind, [])
            if f.rule_id not in ids:
                ids.append(f.rule_id)
        skipped = {rule_id for ids in by_kind.values() for rule_id in ids}
        out = [
            "",
            _paint("Not checked", "1", self.color)
            + f": {plural(len(skipped), 'rule')} skipped, no evidence of {plural(len(by_kind), 'kind')} was given",
        ]
        kind_w = min(_MAX_COLUMN, max(width(terminal(k)) for k in by_kind))
        for kind, ids in sorted(by_kind.items()):
            ids.sort()
            shown = ", ".join(terminal(i) for i in ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
            out.append(
                f"  {pad(terminal(kind), kind_w)}  {plural(len(ids), 'rule')} ({shown}): add it "
                f"('capcheck schema {terminal(kind)}'), or {self._leave_out(ids)}"
            )
        return out

    def _leave_out(self, ids: Sequence[str]) -> str:
        """How to leave rules out: their areas when the rules are whole areas, else --select."""
        areas = sorted({r.area for r in self.result.rules if r.id in ids}, key=lambda a: self.area_order.get(a, (0, a)))
        whole = all({r.id for r in self.result.rules if r.area == a} <= set(ids) for a in areas)
        if whole and areas:
            return " ".join(f"--ignore {terminal(a)}" for a in areas)
        return "narrow --select"

    def scorecard(self) -> list[str]:
        card = self.result.scorecard
        if card is None or not card.rows:
            return []
        return ["", *_scorecard_lines(card, self.color)]

    def criteria(self) -> list[str]:
        card = self.result.scorecard
        if card is None or "criteria" not in self.show:
            return []
        return _criteria_lines(card.criteria, self.color) + _gap_lines(card)

    def notes(self) -> list[str]:
        """What loaders said about their files (``Document.notes``), one line per note."""
        notes = [(e.path, note) for e in self.result.evidence for note in e.notes]
        if not notes:
            return []
        return ["", _paint("Notes", "1", self.color), *(f"  {terminal(p)}: {terminal(n)}" for p, n in notes)]

    def summary(self) -> list[str]:
        r = self.result
        lines = [summary_line(r)]
        lines.extend(_waiver_lines(r.waivers, self.color))
        baseline = r.baseline
        if baseline is not None:
            lines.append(
                f"Baseline {terminal(baseline.file)}: {plural(baseline.matched, 'known failure')} baselined, "
                f"{baseline.new_failures} new, {len(baseline.fixed)} fixed since the baseline"
            )
        lines.extend(f"Gate: {terminal(message)}" for message in r.gate_failures)
        lines.append(verdict_line(r, self.color, self.options.unwritten))
        return lines

    def display_note(self) -> list[str]:
        """Say what the display options left out, so a filtered report is never mistaken for the whole."""
        hidden = []
        counts = self.result.summary.by_status
        listed_by = self._listed_counts()
        for status in ("fail", "error", "waived", "baselined"):
            listed = listed_by.get(status, 0)
            if counts.get(status, 0) > listed:
                n = counts[status] - listed
                hidden.append(plural(n, "error") if status == "error" else f"{n} {_DONE.get(status, status)}")
        if not hidden:
            return []
        return [f"Not listed: {', '.join(hidden)} (--show and --min-severity choose what is listed)"]

    def _listed_counts(self) -> dict[str, int]:
        """How many findings of each status are listed (what ``--show`` and ``--min-severity`` keep), from
        the findings' statuses: a rule's severity decides for all of its findings."""
        counts: dict[str, int] = {}
        shown, floor = self.show, self.options.min_severity
        for run in finding_runs(self.result.findings):
            for status, n in Counter(run.statuses).items():
                if status.value not in shown:
                    continue
                if status is not Status.ERROR and floor is not None and run.severity.rank < floor.rank:
                    continue
                counts[status.value] = counts.get(status.value, 0) + n
        return counts


def _wrap(items: Iterable[str], first: str, rest: str, columns: int) -> list[str]:
    lines: list[str] = []
    current = first
    start = True
    for item in items:
        piece = item if start else f", {item}"
        if not start and width(current) + width(piece) > columns:
            lines.append(current + ",")
            current = rest + item
        else:
            current += piece
        start = False
    lines.append(current)
    return lines


def _unjudged_reasons(card: Scorecard, unjudged: list[str]) -> dict[str, list[str]]:
    """Why each area no rule judged got no level, grouped: a rule raised, the evidence given held nothing its
    rules could judge (an SBOM's assets for INFRA's rules, which need an environment), or no evidence at all."""
    reasons: dict[str, list[str]] = {}
    for row in card.rows:
        if row.area not in unjudged:
            continue
        if row.errors:
            why = "a rule raised an error"
        elif any(c.present for c in row.coverage):
            why = "the evidence given had no record their rules could judge"
        else:
            why = "no evidence their rules read"
        reasons.setdefault(why, []).append(row.area)
    return reasons


def _scorecard_lines(card: Scorecard, color: bool) -> list[str]:
    """The selected areas' rows in aligned columns; areas no selected rule judges are named in one line."""
    rows = [row for row in card.rows if row.rules_judged or row.level is not None]
    unselected = [row.area for row in card.rows if not row.rules]
    unjudged = [row.area for row in card.rows if row.rules and not row.rules_judged and row.level is None]
    out = [
        _paint("Scorecard", "1", color) + " (levels from framework criteria and evidence coverage; docs/scorecard.md)"
    ]
    table: list[tuple[str, str, str, str, str]] = []
    levels: list[int | None] = []
    for row in rows:
        level = row.level
        bar = ("#" * level + "." * (5 - level)) if level is not None else "-----"
        label = f"{bar} {level} {row.name}" if level is not None else f"{bar} {row.name}"
        counts = row.counts()
        crit = "/".join(
            str(counts.get(k, 0)) for k in ("achieved", "partially-achieved", "not-achieved", "not-assessed")
        )
        note = row.cap or row.basis
        table.append((terminal(row.area), terminal(label), crit, f"{row.rules_judged}/{row.rules}", terminal(note)))
        levels.append(level)
    head = ("area", "level", "criteria A/P/N/-", "rules", "why")
    widths = [max([width(head[i])] + [width(t[i]) for t in table]) for i in range(4)]
    out.append(
        f"  {pad(head[0], widths[0])}  {pad(head[1], widths[1])}  {head[2]:>{widths[2]}}  {head[3]:>{widths[3]}}  why"
    )
    for (area, label, crit, judged, note), level in zip(table, levels, strict=True):
        painted = _paint(pad(label, widths[1]), _LEVEL_COLOUR.get(level, "2") if level is not None else "2", color)
        out.append(f"  {pad(area, widths[0])}  {painted}  {crit:>{widths[2]}}  {judged:>{widths[3]}}  {note}".rstrip())
    for why, areas in _unjudged_reasons(card, unjudged).items():
        out.append(f"  (nothing judged for {', '.join(terminal(a) for a in areas)}: {why})")
    if unselected:
        out.append(f"  (no rule selected for {', '.join(terminal(a) for a in unselected)})")
    for flag in card.organisation.flags:
        out.append(f"  Organisation: {terminal(flag)} (caps every area at 2)")
    for note in card.notes:
        out.append(f"  Note: {terminal(note)}")
    org_type = card.organisation.type
    if org_type:
        gaps = card.gaps
        verdict = (
            "met"
            if card.profile_met
            else f"not met: {len(gaps)} of {len(card.expected)} criteria below it (--show criteria lists them)"
        )
        out.append(f"  Profile ({terminal(org_type)}): {verdict}")
    return out


def _gap_lines(card: Scorecard) -> list[str]:
    if not card.organisation.type or not card.gaps:
        return []
    gaps = card.gaps
    out = ["", f"Profile gaps ({terminal(card.organisation.type)})"]
    for gap in gaps[:_MAX_GAPS]:
        expected = gap.expected.value if gap.expected else None
        out.append(
            f"  {terminal(gap.ref)}: {gap.status.value}, expected {expected} ({', '.join(gap.areas) or 'no area'})"
        )
    if len(gaps) > _MAX_GAPS:
        out.append(f"  ... and {len(gaps) - _MAX_GAPS} more gaps (the JSON, Markdown and HTML reports list them all)")
    return out


def _criteria_lines(criteria: Sequence[CriterionResult], color: bool) -> list[str]:
    """The per-criterion view: each criterion's status with the rules and attestation behind it."""
    if not criteria:
        return []
    out = ["", _paint("Criteria", "1", color) + " (CAF-style roll-up of rules and attestations)"]
    ref_w = min(_MAX_COLUMN, max(width(terminal(c.ref)) for c in criteria))
    for c in criteria:
        status = c.status.value
        label = _paint(f"{_CRITERION_LABEL.get(status, status):<12}", _CRITERION_COLOUR.get(status, "0"), color)
        title = pad(clip(terminal(c.title), 50), 50)
        out.append(f"  {label} {pad(terminal(c.ref), ref_w)} {title} {terminal('; '.join(c.behind()))}".rstrip())
    return out


_DONE = {"fail": "failed"}

_WAIVER_NOTE = {
    "expired": "expired on {expires}: it no longer applies",
    "unused": "matched no failure: remove it, or fix its rule or records",
    "expiring": "expires on {expires} ({days_left} days)",
    "future": "approved on {approved_on}: not in force yet",
}


def _waiver_lines(report: Sequence[WaiverState] | None, color: bool) -> list[str]:
    if not report:
        return []
    active = sum(1 for w in report if w.state in ("active", "expiring"))
    matched = sum(w.matched for w in report)
    out = [f"Waivers: {active} of {len(report)} applied to {plural(matched, 'failure')}"]
    for w in report:
        note = _WAIVER_NOTE.get(w.state)
        if note:
            label = _paint(f"{w.state:<8}", "31" if w.state in ("expired", "future") else "33", color)
            waiver = w.waiver
            where = f"{waiver.file}:{waiver.line}" if waiver.line else waiver.file
            approved_on = waiver.approved_on.isoformat() if waiver.approved_on else ""
            text = note.format(expires=waiver.expires.isoformat(), days_left=w.days_left, approved_on=approved_on)
            out.append(
                f"  {label} {terminal(where)} {terminal(waiver.rule)} {terminal(waiver.ticket)}: {terminal(text)}"
            )
    return out


def summary_line(result: RunResult) -> str:
    """``Summary: N failed (by severity), ... waived, baselined, errors, skipped, passed``: the counts."""
    s = result.summary
    by_sev = ", ".join(
        f"{s.by_severity[sev.value]} {sev.value}" for sev in reversed(Severity) if s.by_severity[sev.value]
    )
    return (
        f"Summary: {s.by_status['fail']} failed"
        + (f" ({by_sev})" if by_sev else "")
        + "".join(f", {s.by_status[k]} {k}" for k in ("waived", "baselined") if s.by_status.get(k))
        + f", {plural(s.by_status['error'], 'error')}, {s.by_status['skip']} skipped, {s.by_status['pass']} passed"
        + ("" if result.include_passed or not s.by_status["pass"] else " (--include-passed lists them)")
    )


def verdict_line(result: RunResult, color: bool, unwritten: Sequence[str] = ()) -> str:
    """``Result: PASSED|FAILED|INCOMPLETE|NOT JUDGED - why (exit N)``.

    ``unwritten`` names the outputs this run could not write (``RenderOptions.unwritten``): the run then
    exits 2 whatever the checks found, and the line says so, the checks' own verdict after it."""
    code = result.exit_code
    threshold = result.fail_on.value if result.fail_on else "never"
    if code == 2:
        verdict = _paint("INCOMPLETE", "35", color) + " - a rule raised an error; the check is incomplete"
    elif code == 1 and result.gate_failures:
        verdict = _paint("FAILED", "31", color) + " - an area is below its minimum maturity level"
    elif code == 1:
        verdict = _paint("FAILED", "31", color) + f" - failures at or above '{threshold}'"
    elif verdict_word(result) == "NOT JUDGED":
        skipped = result.summary.by_status["skip"]
        verdict = (
            _paint("NOT JUDGED", "33", color)
            + f" - no rule judged any record ({skipped} skipped: no evidence they could judge)"
        )
    elif result.fail_on is None:
        verdict = _paint("PASSED", "32", color) + " - --fail-on never: failures are reported, none fails the run"
    else:
        verdict = _paint("PASSED", "32", color) + f" - no failures at or above '{threshold}'"
    if unwritten:
        names = ", ".join(terminal(option) for option in unwritten)
        incomplete = _paint("INCOMPLETE", "35", color) + f" - {plural(len(unwritten), 'output')} not written"
        return f"Result: {incomplete} ({names}); the checks: {verdict} (exit 2)"
    return f"Result: {verdict} (exit {code})"


def render_summary_line(result: RunResult, color: bool = False) -> str:
    """One line for the terminal when the report went to a file: the verdict and the counts."""
    s = result.summary
    by_sev = ", ".join(
        f"{s.by_severity[sev.value]} {sev.value}" for sev in reversed(Severity) if s.by_severity[sev.value]
    )
    counts = f"{s.by_status['fail']} failed" + (f" ({by_sev})" if by_sev else "")
    counts += "".join(f", {s.by_status[k]} {k}" for k in ("waived", "baselined") if s.by_status.get(k))
    counts += f", {plural(s.by_status['error'], 'error')}, {s.by_status['skip']} skipped, {s.by_status['pass']} passed"
    return f"capcheck: {verdict_line(result, color).removeprefix('Result: ')}: {counts}\n"


#: Lines written at a time.
_CHUNK = 2048


def write_text(result: RunResult, options: RenderOptions, stream: ByteStream) -> None:
    """Write the report for people: failing rules most severe first, the scorecard, then the summary.

    The grouped layout reads the findings once (:meth:`_Text.gather`); the compact layout writes its
    lines as the findings are read, a chunk at a time; the quiet layout reads none."""
    text = _Text(result, options)

    def put(lines: Iterable[str]) -> None:
        stream.write("".join(line + "\n" for line in lines).encode("utf-8"))

    if options.layout == "quiet":
        put(text.summary())
        return
    put(text.header())
    if options.layout == "compact":
        body = text.compact()
        first = True
        while chunk := list(islice(body, _CHUNK)):
            put(["", *chunk] if first else chunk)
            first = False
    else:
        text.gather()
        put(text.grouped())
    put(text.not_checked())
    put(text.scorecard())
    put(text.criteria())
    put(text.notes())
    put([""])
    put(text.display_note())
    put(text.summary())


#: Render the report for people (the text :func:`write_text` writes).
render_text = render_by(write_text)


@hookimpl
def capcheck_reporters() -> Sequence[Reporter]:
    """The text reporter."""
    return [
        Reporter(
            name="text",
            render=render_text,
            write=write_text,
            description="for people: failing rules most severe first, with the fix; the scorecard; the verdict",
            extension=".txt",
        )
    ]
