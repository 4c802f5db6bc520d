"""The built-in ``gitlab`` reporter: a GitLab Code Quality report.

``capcheck check --report gitlab=gl-code-quality.json`` writes the JSON array GitLab reads from
``artifacts: reports: codequality:`` (a subset of the Code Climate issue format): one issue per ``fail``
or ``error`` finding, with

* ``description``: rule id and title, the record, and what is wrong;
* ``check_name``: the rule id;
* ``fingerprint``: the finding's stable identity (rule, kind, record or group: not the line), so the merge
  request widget shows an issue as *new* or *resolved* by comparing it with the target branch's report;
* ``severity``: ``info`` (info), ``minor`` (low), ``major`` (medium), ``critical`` (high), ``blocker``
  (critical, and rule errors: the check is incomplete);
* ``location.path`` (the evidence file, relative to where capcheck ran: run it from the repository root)
  and ``location.lines.begin`` (the record's line, 1 when unknown).

Waived and baselined failures are accepted and left out, like skips and passes. Issues are in the order of the
annotation formats (most important first), written as their findings are made (:class:`Annotated`), a chunk
at a time; JSON escaping keeps every evidence value a string.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

import orjson

from capcheck.builtins.reporters.annotations import Annotated, Segment, place
from capcheck.core.escaping.json import json_safe, json_text
from capcheck.core.hookspecs import hookimpl
from capcheck.core.models import Finding, RunResult, Severity, Status, fingerprint_bytes
from capcheck.core.reporting import ByteStream, RenderOptions, Reporter, render_by

__all__ = ["GITLAB_SEVERITY", "render_gitlab", "write_gitlab"]

#: capcheck's severities as GitLab's.
GITLAB_SEVERITY = {
    Severity.INFO: "info",
    Severity.LOW: "minor",
    Severity.MEDIUM: "major",
    Severity.HIGH: "critical",
    Severity.CRITICAL: "blocker",
}


def _issue(f: Finding, fingerprint: str) -> dict[str, Any]:
    at = place(f)
    return {
        "description": f"{f.rule_id} {f.title}: {at.subject}: {f.message}",
        "check_name": f.rule_id,
        "fingerprint": fingerprint,
        "severity": "blocker" if f.status is Status.ERROR else GITLAB_SEVERITY[f.severity],
        # GitLab needs a path and a line: the repository's root and line 1 for a finding about no file.
        "location": {"path": at.file or ".", "lines": {"begin": at.line or 1}},
    }


#: Issues encoded at a time.
_CHUNK = 512


def _issues(plan: Annotated) -> Iterator[dict[str, Any]]:
    """Each annotated finding's issue, in order, its fingerprint made unique among its rule's issues."""

    # A run's fingerprint names its rule (it hashes the rule id first), so two rules' never meet: a rule's
    # set of used fingerprints is dropped once its last segment is written, not kept for the whole run.
    # Findings built by hand may carry any fingerprint: one set for them all.
    def scope(segment: Segment) -> str:
        return segment.rule_id if plan.lazy else ""

    left: dict[str, int] = {}
    for segment in plan.segments:
        left[scope(segment)] = left.get(scope(segment), 0) + 1
    used_by_rule: dict[str, set[str]] = {}
    for segment in plan.segments:
        used = used_by_rule.setdefault(scope(segment), set())
        for f in segment.made(None):
            fingerprint = (
                f.fingerprint or hashlib.sha256(fingerprint_bytes(f"{f.rule_id}\x1f{f.message}")).hexdigest()[:32]
            )
            n = 1
            unique = fingerprint
            while unique in used:  # GitLab shows one issue per fingerprint: two errors of one rule stay two
                n += 1
                unique = hashlib.sha256(f"{fingerprint}\x1f{n}".encode()).hexdigest()[:32]
            used.add(unique)
            yield _issue(f, unique)
        left[scope(segment)] -= 1
        if not left[scope(segment)]:
            del used_by_rule[scope(segment)]


def _items(issues: list[dict[str, Any]]) -> str:
    """Issues as ``json.dumps(issues, indent=2, ensure_ascii=False)`` writes them (orjson writes the same for
    strings and integers, faster), a lone surrogate as its escape text (as :func:`json_text`)."""
    try:
        return orjson.dumps(issues, option=orjson.OPT_INDENT_2).decode("utf-8")
    except orjson.JSONEncodeError:  # a lone surrogate
        return orjson.dumps(json_safe(issues), option=orjson.OPT_INDENT_2).decode("utf-8")


def write_gitlab(result: RunResult, options: RenderOptions, stream: ByteStream) -> None:
    """Write the failures and errors as a GitLab Code Quality report (a JSON array), a chunk of issues at a
    time as their findings are made."""
    issues = _issues(Annotated(result))
    written = False
    while chunk := list(islice(issues, _CHUNK)):
        # `[\n  {...},\n  {...}\n]` -> `\n  {...},\n  {...}`: the items, without the brackets.
        items = json_text(_items(chunk)[1:-2])
        stream.write((("," if written else "[") + items).encode("utf-8"))
        written = True
    stream.write(b"\n]\n" if written else b"[]\n")


#: Render the failures and errors as a GitLab Code Quality report (the text :func:`write_gitlab` writes).
render_gitlab = render_by(write_gitlab)


@hookimpl
def capcheck_reporters() -> Sequence[Reporter]:
    """The GitLab Code Quality reporter."""
    return [
        Reporter(
            name="gitlab",
            render=render_gitlab,
            write=write_gitlab,
            description="GitLab Code Quality report (merge request widget)",
            extension=".json",
        )
    ]
