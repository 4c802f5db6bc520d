"""Baselines: adopt capcheck on an organisation that already fails many checks.

``capcheck baseline create`` records today's failures (by stable fingerprint) in a file;
``capcheck check --baseline FILE`` then reports those failures as ``baselined`` — visible, but not
failing the build — while new failures still fail it. Baseline entries that no longer fail are
listed as *fixed*. Fingerprints ignore file positions and messages, so re-ordering records or
editing unrelated fields does not break the match.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from capcheck.core.errors import ConfigError, Problem
from capcheck.core.models import RunResult, Status, Summary, display_path
from capcheck.core.side_inputs import (
    BASELINE_MAX_BYTES,
    duplicate_fingerprints,
    elide,
    first_errors,
    read_json,
    version_problem,
)

if TYPE_CHECKING:  # annotations only
    from capcheck.core.models import Outcome
    from capcheck.core.outcomes import RuleOutcomes

__all__ = ["BASELINE_VERSION", "BaselineReport", "apply_baseline", "baseline_document", "load_baseline"]

BASELINE_VERSION = "1.0"
#: The most problems one baseline file reports.
_MAX_PROBLEMS = 50


@dataclass(frozen=True)
class BaselineReport:
    """What a baseline did this run: the failures it matched, the new ones, its entries now fixed."""

    #: The baseline file as shown in messages.
    file: str
    #: Entries in the file.
    entries: int
    #: Failures (or waived failures) the baseline recorded.
    matched: int
    #: Failures the baseline does not record: they still fail the run.
    new_failures: int
    #: The file's entries that no longer fail, as written in it (sorted by rule id, then fingerprint).
    fixed: tuple[Mapping[str, Any], ...] = ()
    #: Fingerprints of waived failures the file also records, sorted (SARIF's ``baselineState``).
    waived_matched: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (the ``baseline`` block of the findings document)."""
        return {
            "file": self.file,
            "entries": self.entries,
            "matched": self.matched,
            "new_failures": self.new_failures,
            "fixed": list(self.fixed),
            "waived_matched": list(self.waived_matched),
        }


def baseline_document(result: RunResult) -> dict[str, Any]:
    """The baseline file's content: every current failure, keyed by fingerprint, sorted.

    One entry per fingerprint: a rule that reports one record twice gives both failures one fingerprint,
    which one entry baselines (a second would make the file one :func:`load_baseline` refuses).
    """
    entries = []
    written: set[str] = set()
    for f in result.findings:
        if f.status is not Status.FAIL or f.fingerprint in written:
            continue
        written.add(f.fingerprint)
        ev = f.evidence
        entries.append(
            {
                "fingerprint": f.fingerprint,
                "rule_id": f.rule_id,
                "severity": f.severity.value,
                "kind": ev.kind if ev else None,
                "record_id": ev.record_id if ev else None,
                "group": f.group,
                "message": f.message,
            }
        )
    entries.sort(key=lambda e: (e["rule_id"], e["fingerprint"]))
    return {
        "capcheck_baseline": BASELINE_VERSION,
        "tool": {"name": "capcheck", "version": result.tool_version},
        "as_of": result.as_of.isoformat(),
        "findings": entries,
    }


def load_baseline(path: Path) -> dict[str, dict[str, Any]]:
    """Read a baseline file: fingerprint -> entry.

    :raises ConfigError: unreadable or malformed, not a baseline, or not valid against
        ``schemas/baseline.schema.json`` (every problem, each with its JSON pointer).
    """
    import jsonschema_rs

    from capcheck.core.resources import load_schema

    shown = display_path(path)
    doc = read_json(path, what="baseline file", error=ConfigError, limit=BASELINE_MAX_BYTES)
    if not isinstance(doc, dict) or "capcheck_baseline" not in doc:
        raise ConfigError(
            Problem("not a capcheck baseline (create one with 'capcheck baseline create')", path=shown, pointer="")
        )
    wrong_version = version_problem(
        doc["capcheck_baseline"], current=BASELINE_VERSION, oldest_major=1, what="baseline format"
    )
    if wrong_version is not None:
        raise ConfigError(Problem(wrong_version, path=shown, pointer="/capcheck_baseline"))
    schema = load_schema("baseline")
    problems: list[Problem] = []
    # The compiled validator checks a valid file in one call (a baseline of a large register lists
    # hundreds of thousands of entries); only a file it refuses is walked again by `jsonschema`, whose
    # messages are clearer and which is the judge (jsonschema-rs is no more lenient for this schema).
    if not jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(doc):
        import jsonschema

        validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        errors, _ = first_errors(
            validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path], limit=_MAX_PROBLEMS
        )
        problems = [
            Problem(elide(error.message), path=shown, pointer="".join(f"/{p}" for p in error.absolute_path))
            for error in errors
        ]
    if problems:
        raise ConfigError(problems[:_MAX_PROBLEMS])
    problems = duplicate_fingerprints(doc["findings"], shown)
    if problems:
        raise ConfigError(problems[:_MAX_PROBLEMS])
    return {entry["fingerprint"]: entry for entry in doc["findings"]}


def apply_baseline(
    outcomes: Sequence[RuleOutcomes], summary: Summary, baseline: dict[str, dict[str, Any]], *, file: str
) -> BaselineReport:
    """Mark failures found in the baseline as ``baselined``; list baseline entries now fixed.

    Works on the compact outcomes, in place, and recounts the summary; a fingerprint is computed
    only for a failing or waived row.
    """
    seen: set[str] = set()
    waived: list[str] = []
    new = 0
    fail, waived_status = Status.FAIL, Status.WAIVED
    for block in outcomes:
        moved = 0
        rows = block.rows
        positions = [i for i, o in enumerate(rows) if o.status is fail or o.status is waived_status]
        for position, fingerprint in zip(positions, block.fingerprints([rows[i] for i in positions]), strict=True):
            if rows[position].status is fail:
                if fingerprint in baseline:
                    _check_names(baseline[fingerprint], fingerprint, block, rows[position], file)
                    seen.add(fingerprint)
                    block.set_status(position, Status.BASELINED)
                    moved += 1
                else:
                    new += 1
            elif fingerprint in baseline:
                seen.add(fingerprint)
                waived.append(fingerprint)
        if moved:
            summary.move(block.rule_id, block.severity, block.area, Status.FAIL, Status.BASELINED, moved)
    fixed = [baseline[fp] for fp in sorted(baseline) if fp not in seen]
    fixed.sort(key=lambda e: (str(e.get("rule_id")), str(e.get("fingerprint"))))
    return BaselineReport(file, len(baseline), len(seen), new, tuple(fixed), tuple(sorted(set(waived))))


def _check_names(entry: Mapping[str, Any], matched: str, block: RuleOutcomes, row: Outcome, file: str) -> None:
    """Refuse a baseline entry whose rule, kind, record or group (where it gives them) is not that of the failure
    its fingerprint matched. People read an entry (a pull request's diff, the fixed list) and capcheck matches its
    fingerprint alone: relabelled, a critical failure's fingerprint would be baselined under a harmless name."""
    actual = (block.rule_id, row.kind or block.default_kind, row.record_id, row.group)
    said = (entry.get("rule_id"), entry.get("kind"), entry.get("record_id"), entry.get("group"))
    if all(given is None or given == real for given, real in zip(said, actual, strict=True)):
        return
    named, claimed = (f"{r} {k or '-'} {i or g or '-'}" for r, k, i, g in (actual, said))
    raise ConfigError(
        Problem(
            f"fingerprint {matched} is that of {named}, not of the finding the entry names ({claimed})",
            path=file,
        )
    )
