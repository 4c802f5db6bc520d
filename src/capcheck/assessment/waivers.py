"""Governed waivers: accepted failures, each with a reason, an approver, a ticket and an expiry.

A waivers file (YAML or TOML, ``schemas/waivers.schema.json``) lists waivers; each names a rule
(id or prefix) and records (ids or globs, or aggregate group names). After evaluation, a failing
finding that an unexpired waiver covers becomes ``waived`` and carries the waiver; it no longer
fails the run. Every waiver is reported with its state:

* ``active``   - it applied to at least one failure;
* ``expiring`` - active, and it expires within the warning window (``waiver_warn_days``);
* ``unused``   - it matched no failure (the problem is fixed, or the waiver is wrong);
* ``expired``  - its expiry date has passed: it no longer applies, the failures count again;
* ``future``   - it was approved after the as-of date: it is not in force yet, the failures count.

A waiver applies from ``approved_on`` (when given) to ``expires``, both days included: one
"approved" after the as-of date would otherwise hide today's failures and run ``waiver_max_days``
past that date. A waiver lasting longer than ``waiver_max_days`` (from ``approved_on``, or from the
as-of date when it has none), one that expires before it was approved, and one whose reason,
approver, ticket or a record says nothing (blank) are refused as invalid, like an incomplete one:
exit 2 with file and pointer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

from capcheck.core.errors import ConfigError, Problem
from capcheck.core.models import Finding, Status, Summary
from capcheck.core.rules import is_missing, missing_words
from capcheck.core.side_inputs import WAIVERS_MAX_BYTES, SideDocument, elide, first_errors, read_document, shorten
from capcheck.core.wording import suggestion

if TYPE_CHECKING:  # annotations only
    from capcheck.core.outcomes import RuleOutcomes

__all__ = ["Waiver", "WaiverState", "apply_waivers", "first_waiver_naming", "load_waivers", "unknown_rule_problems"]

#: A record pattern with a glob character (fnmatch: ``*``, ``?``, ``[``); any other names one id exactly.
_GLOB = re.compile(r"[*?\[]")
#: Default longest waiver, in days.
DEFAULT_MAX_DAYS = 366
#: What a waiver must say for real, each field: a placeholder (TBC, n/a) there says nothing.
_SAYS = {
    "approved_by": "who approved the exception",
    "ticket": "which record governs it",
    "reason": "why the failure is accepted",
}
#: Default warning window before expiry, in days.
DEFAULT_WARN_DAYS = 30


@dataclass(frozen=True)
class Waiver:
    """One validated waiver."""

    index: int
    rule: str
    records: tuple[str, ...]
    reason: str
    approved_by: str
    ticket: str
    expires: date
    approved_on: date | None
    file: str
    line: int | None

    def covers(self, finding: Finding) -> bool:
        """Whether this waiver names the finding's rule and record (or group)."""
        key = finding.evidence.record_id if finding.evidence and finding.evidence.record_id else finding.group
        return self.names_rule(finding.rule_id) and self.names(key)

    def in_force(self, as_of: date) -> bool:
        """Whether the waiver applies on ``as_of``: from its approval (when dated) to its expiry, inclusive."""
        return (self.approved_on is None or self.approved_on <= as_of) and as_of <= self.expires

    def names_rule(self, rule_id: str) -> bool:
        """Whether this waiver names the rule: its id, an id prefix with its hyphen (``INFRA-00``), or its
        area (``INFRA``, ``acme.INFRA``: the rules ``INFRA-...``, never those of an area ``INFRAX``), as
        ``--select`` reads them."""
        if rule_id == self.rule:
            return True
        return rule_id.startswith(self.rule if "-" in self.rule else self.rule + "-")

    def names(self, key: str | None) -> bool:
        """Whether this waiver names a record id (or, for a finding without one, its group)."""
        return key is not None and any(fnmatchcase(key, pattern) for pattern in self.records)

    @property
    def pointer(self) -> str:
        """Where the waiver is in its file, as a JSON pointer."""
        return f"/waivers/{self.index}"

    def echo(self) -> dict[str, Any]:
        """The waiver as echoed on every finding it accepts (its JSON form)."""
        out: dict[str, Any] = {
            "file": self.file,
            "pointer": self.pointer,
            "rule": self.rule,
            "records": list(self.records),
            "reason": self.reason,
            "approved_by": self.approved_by,
            "ticket": self.ticket,
            "expires": self.expires.isoformat(),
        }
        if self.approved_on is not None:
            out["approved_on"] = self.approved_on.isoformat()
        return out


@dataclass(frozen=True)
class WaiverState:
    """One waiver's line of the waiver report: its state this run and how many failures it accepted."""

    waiver: Waiver
    state: str  # "active" | "expiring" | "unused" | "expired" | "future"
    matched: int
    #: Days from the as-of date to the expiry (negative once expired).
    days_left: int

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (an entry of the ``waivers`` block of the findings document)."""
        w = self.waiver
        return {**w.echo(), "line": w.line, "state": self.state, "matched": self.matched, "days_left": self.days_left}


def _lines(document: SideDocument, suffix: str) -> list[int]:
    """The line each waiver starts on (YAML list items under ``waivers``, TOML ``[[waivers]]``)."""
    if suffix == ".toml":
        text = document.text
        return [
            text.count("\n", 0, m.start()) + 1 for m in re.finditer(r"^[ \t]*\[\[[ \t]*waivers[ \t]*\]\]", text, re.M)
        ]
    import yaml

    node = document.node
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "waivers" and isinstance(value, yaml.SequenceNode):
                return [item.start_mark.line + 1 for item in value.value]
    return []


#: What a blank field (spaces only, or too little besides them: the schema's patterns) is told.
_BLANK = {
    "reason": "says too little: a reason needs at least 10 characters besides spaces",
    "approved_by": "names nobody: at least 2 characters besides spaces",
    "ticket": "is blank",
    "records": "is blank",
}


def _field(where: Sequence[str | int]) -> str | int | None:
    """The waiver field an error is about (``records`` for one of its items)."""
    if len(where) > 2 and where[2] == "records":
        return "records"
    return where[2] if len(where) > 2 else None


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else value


def _explain(error: Any, where: list[Any]) -> list[tuple[str, str]]:
    """``(pointer, message)`` for one schema error, said for a person: an unknown key with the key meant, a
    rule that is no rule id with how to write one (the schema's own words are a regular expression)."""
    pointer = "".join(f"/{p}" for p in where)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        return [
            (f"{pointer}/{key}", f"unknown key {shorten(key)} ({suggestion(str(key), allowed, ', '.join(allowed))})")
            for key in sorted(set(map(str, error.instance)) - set(allowed))
        ]
    if error.validator == "pattern" and where[-1:] == ["rule"] and isinstance(error.instance, str):
        namespace, dot, local = error.instance.rpartition(".")
        meant = f"{namespace.lower()}{dot}{local.upper()}"
        hint = (
            f" (did you mean {meant!r}?)"
            if meant != error.instance and re.fullmatch(error.validator_value, meant)
            else ""
        )
        return [
            (
                pointer,
                f"{shorten(error.instance)} is not a rule id, id prefix or area{hint}: write one as INFRA-001, "
                "INFRA-00 or INFRA (a plugin's after its namespace: acme.INFRA-101)",
            )
        ]
    if error.validator == "required":
        return [(pointer, f"incomplete waiver: {error.message}")]
    if error.validator == "pattern" and (field := _field(where)) in _BLANK:
        return [(pointer, _BLANK[field])]
    return [(pointer, elide(error.message))]


def load_waivers(path: Path, *, as_of: date, max_days: int = DEFAULT_MAX_DAYS) -> list[Waiver]:
    """Read and validate a waivers file.

    :raises ConfigError: unreadable, malformed, schema-invalid or over-long waivers, each with
        file, line and pointer.
    """
    import jsonschema

    from capcheck.core.models import display_path
    from capcheck.core.resources import load_schema

    shown = display_path(path)
    document = read_document(
        path,
        shown=shown,
        what="waivers file",
        error=ConfigError,
        limit=WAIVERS_MAX_BYTES,
        formats=(".yaml", ".yml", ".toml"),
    )
    doc = document.value
    if isinstance(doc, dict) and isinstance(doc.get("waivers"), list):
        # YAML and TOML dates arrive as date objects: the schema speaks of ISO strings.
        doc["waivers"] = [{k: _iso(v) for k, v in w.items()} if isinstance(w, dict) else w for w in doc["waivers"]]
    lines = _lines(document, path.suffix.lower())
    validator = jsonschema.Draft202012Validator(load_schema("waivers"), format_checker=jsonschema.FormatChecker())
    problems: list[Problem] = []
    errors, more = first_errors(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    for error in errors:
        where = list(error.absolute_path)
        index = where[1] if len(where) > 1 and where[0] == "waivers" and isinstance(where[1], int) else None
        for pointer, message in _explain(error, where):
            problems.append(
                Problem(
                    message,
                    path=shown,
                    line=lines[index] if index is not None and index < len(lines) else None,
                    pointer=pointer,
                )
            )
    if more:
        problems.append(Problem(f"... and more problems: the first {len(errors)} are listed", path=shown))
    if problems:
        raise ConfigError(problems)
    waivers: list[Waiver] = []
    for index, entry in enumerate(doc["waivers"]):
        expires = date.fromisoformat(entry["expires"])
        approved_on = date.fromisoformat(entry["approved_on"]) if "approved_on" in entry else None
        start = approved_on or as_of
        line = lines[index] if index < len(lines) else None
        # Who approved it, under which record and why, as the rules read a value: "TBC" as the approver is an
        # exception nobody approved (core.rules.is_missing: placeholders, look-alikes of them, blanks).
        unsaid = [
            Problem(f"{missing_words(name, entry[name])}: a waiver says {says}", path=shown, line=line, pointer=at)
            for name, says in _SAYS.items()
            if is_missing(entry[name]) and (at := f"/waivers/{index}/{name}")
        ]
        if unsaid:
            problems.extend(unsaid)
            continue
        if approved_on is not None and expires < approved_on:
            problems.append(
                Problem(
                    f"the waiver expires on {expires.isoformat()}, before it was approved ({approved_on.isoformat()})",
                    path=shown,
                    line=line,
                    pointer=f"/waivers/{index}/expires",
                )
            )
            continue
        if (expires - start).days > max_days:
            problems.append(
                Problem(
                    f"the waiver runs {(expires - start).days} days from {start.isoformat()}; the longest allowed is "
                    f"{max_days} (config waiver_max_days)",
                    path=shown,
                    line=line,
                    pointer=f"/waivers/{index}/expires",
                )
            )
            continue
        waivers.append(
            Waiver(
                index=index,
                rule=entry["rule"],
                records=tuple(entry["records"]),
                reason=entry["reason"],
                approved_by=entry["approved_by"],
                ticket=entry["ticket"],
                expires=expires,
                approved_on=approved_on,
                file=shown,
                line=line,
            )
        )
    if problems:
        raise ConfigError(problems)
    return waivers


def first_waiver_naming(waivers: Sequence[Waiver]) -> Callable[[str | None], Waiver | None]:
    """A function giving the first of ``waivers`` (in file order) that names a record id or group.

    A pattern without a glob character is looked up; only waivers with a glob are tried one by one. Every
    waiver tried in turn for every failure made 20,000 waivers of one area take 4.6 s against 100 failures,
    growing with their product (a waivers file may hold 100,000; an estate, as many failures)."""
    exact: dict[str, Waiver] = {}
    for w in waivers:
        for pattern in w.records:
            if not _GLOB.search(pattern):
                exact.setdefault(pattern, w)
    globbed = [w for w in waivers if any(_GLOB.search(pattern) for pattern in w.records)]

    def first(key: str | None) -> Waiver | None:
        if key is None:
            return None
        named = exact.get(key)
        # a waiver with a glob wins only when it comes before the first naming the key exactly
        return next((w for w in globbed if (named is None or w.index < named.index) and w.names(key)), named)

    return first


def unknown_rule_problems(waivers: Sequence[Waiver], rule_ids: Collection[str], *, as_of: date) -> list[Problem]:
    """A problem for each waiver not yet expired whose ``rule`` names no rule of ``rule_ids`` (as an id, an id
    prefix or an area): it could accept nothing, and was reported ``unused`` only once the evidence had been
    judged. An expired waiver is left to the report (a record of a rule since retired, say)."""
    from capcheck.core.wording import did_you_mean

    areas = sorted({r.rsplit("-", 1)[0] for r in rule_ids})
    known = sorted(rule_ids)
    problems = []
    for w in waivers:
        if as_of > w.expires or any(w.names_rule(r) for r in rule_ids):
            continue
        hint = did_you_mean(w.rule, [*known, *areas])
        problems.append(
            Problem(
                f"waiver {w.index + 1}: rule {shorten(w.rule)} names no rule of this run{hint}: it could accept "
                "nothing (see 'capcheck rules list')",
                path=w.file,
                line=w.line,
                pointer=f"{w.pointer}/rule",
            )
        )
    return problems


def apply_waivers(
    outcomes: Sequence[RuleOutcomes],
    summary: Summary,
    waivers: Sequence[Waiver],
    *,
    as_of: date,
    warn_days: int = DEFAULT_WARN_DAYS,
) -> tuple[WaiverState, ...]:
    """Mark the failures that unexpired waivers cover as ``waived``; report every waiver's state.

    Works on the compact outcomes, in place: each rule's block is matched against the waivers
    naming its rule (the first in file order wins), and the summary is recounted. Returns the
    waiver report.
    """
    live = [w for w in waivers if w.in_force(as_of)]
    matched = {w.index: 0 for w in waivers}
    for block in outcomes:
        candidates = [w for w in live if w.names_rule(block.rule_id)]
        if not candidates:
            continue
        moved = 0
        first_naming = first_waiver_naming(candidates)
        for position, outcome in enumerate(block.rows):
            if outcome.status is not Status.FAIL:
                continue
            waiver = first_naming(outcome.record_id or outcome.group)
            if waiver is not None:
                matched[waiver.index] += 1
                block.set_status(position, Status.WAIVED, waiver)
                moved += 1
        if moved:
            summary.move(block.rule_id, block.severity, block.area, Status.FAIL, Status.WAIVED, moved)
    report: list[WaiverState] = []
    for w in waivers:
        days_left = (w.expires - as_of).days
        if days_left < 0:
            state = "expired"
        elif not w.in_force(as_of):
            state = "future"
        elif not matched[w.index]:
            state = "unused"
        elif days_left <= warn_days:
            state = "expiring"
        else:
            state = "active"
        report.append(WaiverState(w, state, matched[w.index], days_left))
    return tuple(report)
