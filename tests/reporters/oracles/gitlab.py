"""The oracle: the gitlab reporter as it rendered before it streamed (main at b9f0b91), kept verbatim.

The streaming writer is held byte-identical to it (tests/reporters/test_streaming.py).

The built-in ``gitlab`` reporter: a GitLab Code Quality report.

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
annotation formats (most important first); JSON escaping keeps every evidence value a string.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from oracles.annotations import annotated, place

from capcheck.core.escaping.json import json_safe, json_text
from capcheck.core.models import Finding, RunResult, Severity, Status
from capcheck.core.reporting import RenderOptions

__all__ = ["GITLAB_SEVERITY", "render_gitlab"]

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


def render_gitlab(result: RunResult, options: RenderOptions) -> str:
    """Render the failures and errors as a GitLab Code Quality report (a JSON array)."""
    issues = []
    used: set[str] = set()
    for f in annotated(result):
        fingerprint = f.fingerprint or hashlib.sha256(f"{f.rule_id}\x1f{f.message}".encode()).hexdigest()[:32]
        n = 1
        unique = fingerprint
        while unique in used:  # GitLab shows one issue per fingerprint: two errors of one rule stay two
            n += 1
            unique = hashlib.sha256(f"{fingerprint}\x1f{n}".encode()).hexdigest()[:32]
        used.add(unique)
        issues.append(_issue(f, unique))
    return json_text(json.dumps(json_safe(issues), indent=2, ensure_ascii=False)) + "\n"
