"""``capcheck diff``: what changed between two JSON findings documents, keyed by fingerprint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from capcheck.builtins.reporters.json import FINDINGS_SCHEMA_VERSION
from capcheck.core.errors import Problem, UsageError
from capcheck.core.escaping.markdown import DEFAULT_LIMIT, fit_comment, md_escape, truncated_line
from capcheck.core.escaping.terminal import terminal
from capcheck.core.models import Severity, display_path
from capcheck.core.side_inputs import FINDINGS_MAX_BYTES, duplicate_fingerprints, read_json, shorten, version_problem
from capcheck.core.wording import plural

__all__ = ["diff_documents", "load_findings_document", "render_diff"]

_FAILING = {"fail", "waived", "baselined"}
#: The keys every finding must have for a diff (strings).
_REQUIRED = ("fingerprint", "rule_id", "status", "severity")
#: Keys a finding may have, each a string or null.
_OPTIONAL = ("area", "group", "message")
#: Keys of a finding's evidence, each of this type or null.
_EVIDENCE: dict[str, tuple[type, str]] = {
    "kind": (str, "a string"),
    "record_id": (str, "a string"),
    "file": (str, "a string"),
    "line": (int, "an integer"),
}
_SEVERITIES = tuple(s.value for s in Severity)
#: The oldest findings document format diff reads: a finding's fingerprint, rule, status, severity and evidence
#: have had the same meaning (and fingerprints the same values) since 1.0.
OLDEST_FINDINGS_MAJOR = 1
#: The most problems one findings document reports.
_MAX_PROBLEMS = 50


def _other_document(doc: Any) -> str | None:
    """What ``doc`` is when it is a document capcheck writes that is not findings (a baseline, SARIF ...)."""
    if not isinstance(doc, dict):
        return None
    if "capcheck_baseline" in doc:
        return "a capcheck baseline (from 'capcheck baseline create')"
    if isinstance(doc.get("runs"), list) and ("sarif" in str(doc.get("$schema", "")).lower() or "version" in doc):
        return "a SARIF log (from 'capcheck check --format sarif')"
    if isinstance(doc.get("counts"), dict) and "new" in doc and "fixed" in doc:
        return "a diff (from 'capcheck diff --format json')"
    return None


def load_findings_document(path: Path) -> dict[str, Any]:
    """Read a ``capcheck check --format json`` document."""
    shown = display_path(path)
    doc = read_json(path, what="findings file", error=UsageError, limit=FINDINGS_MAX_BYTES)
    other = _other_document(doc)
    if other is not None:
        raise UsageError(
            Problem(
                f"{other}, not a findings document: diff compares two 'capcheck check --format json' outputs",
                path=shown,
            )
        )
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list) or "tool" not in doc:
        raise UsageError(Problem("not a capcheck findings document (capcheck check --format json)", path=shown))
    wrong_version = version_problem(
        doc.get("schema_version"),
        current=FINDINGS_SCHEMA_VERSION,
        oldest_major=OLDEST_FINDINGS_MAJOR,
        what="findings document format",
    )
    if wrong_version is not None:
        raise UsageError(Problem(wrong_version, path=shown, pointer="/schema_version"))
    problems: list[Problem] = []
    for index, finding in enumerate(doc["findings"]):
        if not isinstance(finding, dict):
            problems.append(Problem("each finding must be an object", path=shown, pointer=f"/findings/{index}"))
            continue
        for key in _REQUIRED:
            if not isinstance(finding.get(key), str):
                got = "missing" if key not in finding else f"not a string: {shorten(finding[key])}"
                problems.append(Problem(f"{key!r} is {got}", path=shown, pointer=f"/findings/{index}/{key}"))
        severity = finding.get("severity")
        if isinstance(severity, str) and severity not in _SEVERITIES:
            problems.append(
                Problem(
                    f"'severity' is {shorten(severity)}, not one of {', '.join(_SEVERITIES)}",
                    path=shown,
                    pointer=f"/findings/{index}/severity",
                )
            )
        for key in _OPTIONAL:
            if finding.get(key) is not None and not isinstance(finding[key], str):
                problems.append(
                    Problem(
                        f"{key!r} must be a string or null, not {shorten(finding[key])}",
                        path=shown,
                        pointer=f"/findings/{index}/{key}",
                    )
                )
        evidence = finding.get("evidence")
        if evidence is not None and not isinstance(evidence, dict):
            problems.append(
                Problem("'evidence' must be an object or null", path=shown, pointer=f"/findings/{index}/evidence")
            )
        elif evidence is not None:
            for key, (expected, words) in _EVIDENCE.items():
                value = evidence.get(key)
                if value is not None and (not isinstance(value, expected) or isinstance(value, bool)):
                    problems.append(
                        Problem(
                            f"{key!r} must be {words} or null, not {shorten(value)}",
                            path=shown,
                            pointer=f"/findings/{index}/evidence/{key}",
                        )
                    )
        if len(problems) >= _MAX_PROBLEMS:
            break
    if not problems:
        # A rule that reports one record twice gives both findings one fingerprint: a diff reads them as one
        # as long as they agree on what it compares; two that disagree (a hand-made or merged document)
        # would be classified by whichever came last.
        problems = duplicate_fingerprints(doc["findings"], shown, same=_compared)
    if problems:
        raise UsageError(problems[:_MAX_PROBLEMS])
    return doc


def _compared(f: dict[str, Any]) -> tuple[Any, ...]:
    """What a diff compares of a finding, besides its fingerprint (its message aside)."""
    return (f["rule_id"], f["status"] in _FAILING and f["status"], f["severity"])


def _entry(f: dict[str, Any]) -> dict[str, Any]:
    ev = f.get("evidence") or {}
    return {
        "fingerprint": f["fingerprint"],
        "rule_id": f["rule_id"],
        "status": f["status"],
        "severity": f["severity"],
        "area": f.get("area"),
        "kind": ev.get("kind"),
        "record_id": ev.get("record_id"),
        "group": f.get("group"),
        "file": ev.get("file"),
        "line": ev.get("line"),
        "message": f.get("message", ""),
    }


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Classify every failing finding of either document.

    * ``new``: failing now (status fail), not failing before;
    * ``fixed``: failing before, not failing now (passed, or no longer reported);
    * ``persisting``: failing in both;
    * ``changed_severity``: failing in both with a different severity;
    * ``newly_waived``: failing before, waived now.
    """
    before = {f["fingerprint"]: _entry(f) for f in old["findings"] if f.get("status") in _FAILING}
    after = {f["fingerprint"]: _entry(f) for f in new["findings"] if f.get("status") in _FAILING}
    out: dict[str, list[dict[str, Any]]] = {
        "new": [],
        "fixed": [],
        "persisting": [],
        "changed_severity": [],
        "newly_waived": [],
    }
    for fp in sorted(after):
        now = after[fp]
        was = before.get(fp)
        if was is None:
            if now["status"] == "fail":
                out["new"].append(now)
            continue
        out["persisting"].append(now)
        if was["severity"] != now["severity"]:
            out["changed_severity"].append({**now, "old_severity": was["severity"]})
        if now["status"] == "waived" and was["status"] != "waived":
            out["newly_waived"].append(now)
    out["fixed"] = [before[fp] for fp in sorted(before) if fp not in after]
    for items in out.values():
        items.sort(key=lambda e: (e["rule_id"], str(e["record_id"] or e["group"] or ""), e["fingerprint"]))
    return {
        "before": {"as_of": old.get("as_of"), "tool": old.get("tool")},
        "after": {"as_of": new.get("as_of"), "tool": new.get("tool")},
        "counts": {k: len(v) for k, v in out.items()},
        **out,
    }


def _where(e: dict[str, Any]) -> str:
    key = e["record_id"] or e["group"] or e["kind"] or ""
    loc = f"{e['file']}:{e['line']}" if e.get("file") and e.get("line") else (e.get("file") or "")
    return f"{key} ({loc})" if loc else str(key)


_SECTIONS = (
    ("new", "New failures"),
    ("fixed", "Fixed"),
    ("changed_severity", "Changed severity"),
    ("newly_waived", "Newly waived"),
    ("persisting", "Persisting"),
)
#: Longest message (and location) listed in a Markdown diff; longer ones are cut.
MAX_MESSAGE = 300


def _markdown(diff: dict[str, Any], most: int) -> str:
    """The Markdown diff, listing at most ``most`` entries per section (the rest counted)."""
    counts = diff["counts"]
    lines = [
        "## capcheck diff",
        "",
        "| " + " | ".join(title for _, title in _SECTIONS) + " |",
        "|" + "---|" * len(_SECTIONS),
        "| " + " | ".join(str(counts[key]) for key, _ in _SECTIONS) + " |",
    ]
    for key, title in _SECTIONS[:4]:
        if diff[key]:
            lines += ["", f"### {title}", ""]
            for e in diff[key][:most]:
                extra = f" (was {md_escape(e['old_severity'], 20)})" if key == "changed_severity" else ""
                lines.append(
                    f"- **{md_escape(e['rule_id'], 40)}** {md_escape(e['severity'], 20)}{extra}: "
                    f"{md_escape(_where(e), MAX_MESSAGE)}: {md_escape(e['message'], MAX_MESSAGE)}"
                )
            if len(diff[key]) > most:
                lines += ["", truncated_line(len(diff[key]) - most)]
    return "\n".join(lines) + "\n"


def render_diff(diff: dict[str, Any], fmt: str, markdown_limit: int = DEFAULT_LIMIT) -> str:
    """Render a diff as text, JSON or Markdown (kept under ``markdown_limit`` characters; 0: no limit).

    Every value comes from the two findings documents, so it is escaped for the medium: the terminal
    (:func:`~capcheck.core.escaping.terminal.terminal`) or Markdown
    (:func:`~capcheck.core.escaping.markdown.md_escape`).
    """
    if fmt == "json":
        return json.dumps(diff, indent=2) + "\n"  # ASCII: control characters and surrogates are \u-escaped
    if fmt == "markdown":
        most = max((len(diff[key]) for key, _ in _SECTIONS[:4]), default=0)
        return fit_comment(lambda n: _markdown(diff, n), most, markdown_limit)
    counts = diff["counts"]
    lines = [
        ", ".join(
            plural(counts[key], "new failure") if key == "new" else f"{counts[key]} {title.lower()}"
            for key, title in _SECTIONS
        )
        + f" (as of {terminal(diff['before']['as_of'])} -> {terminal(diff['after']['as_of'])})"
    ]
    for key, title in _SECTIONS[:4]:
        if diff[key]:
            lines += ["", f"{title}:"]
            for e in diff[key]:
                extra = f" (was {terminal(e['old_severity'])})" if key == "changed_severity" else ""
                lines.append(
                    f"  {terminal(e['rule_id']):<10} {terminal(e['severity']):<8}{extra} "
                    f"{terminal(_where(e))}: {terminal(e['message'])}"
                )
    return "\n".join(lines) + "\n"
