"""The built-in JSON reporter: the auditor's record, following ``schemas/findings.schema.json``.

The document is streamed (:func:`write_json`): everything but the findings is encoded as one
document with an empty ``findings`` list, and the findings are written into its place in chunks,
each chunk encoded by orjson and indented one level deeper, so that neither the whole document
nor its text is ever built. The bytes are those of ``orjson.dumps(result_document(result),
OPT_INDENT_2)`` escaped, plus a newline (a test holds them equal).

Byte-identical for the same evidence, rules and as-of date, apart from ``run.started`` and
``run.finished``: every list is in a defined order and keys are written in a fixed order.
Control characters, DEL, C1, separators and bidi controls are ``\\u``-escaped
(:func:`capcheck.escaping.json.json_text`); a lone surrogate (an undecodable byte in a file name) is
written as its escape text (:func:`capcheck.escaping.json.json_safe`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

import orjson

from capcheck.escaping.json import json_safe, json_text
from capcheck.hookspecs import hookimpl
from capcheck.models import Finding, RunResult
from capcheck.outcomes import Findings
from capcheck.reporters import ByteStream, RenderOptions, Reporter

__all__ = ["FINDINGS_SCHEMA_VERSION", "finding_forms", "render_json", "result_document", "write_json"]

#: The version of the findings document's shape (``schemas/findings.schema.json``).
FINDINGS_SCHEMA_VERSION = "2.0"


def _timestamp(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _settings(result: RunResult) -> dict[str, Any]:
    """What decided the verdicts besides evidence and rules: thresholds, selection, the scorecard method."""
    out: dict[str, Any] = {
        "fail_on": result.fail_on.value if result.fail_on else "never",
        "include_passed": result.include_passed,
        "select": list(result.select),
        "ignore": list(result.ignore),
    }
    if result.scorecard_method is not None:
        out["scorecard"] = result.scorecard_method.model_dump(mode="json")
    return out


def result_document(result: RunResult) -> dict[str, Any]:
    """The findings document as plain data (what ``--format json`` writes)."""
    doc = _document(result)
    doc["findings"] = list(finding_forms(result.findings))
    return doc


def finding_forms(findings: Sequence[Finding]) -> Iterator[dict[str, Any]]:
    """Each finding's JSON form (:meth:`Finding.as_dict`), in order; straight from a run's compact outcomes."""
    if isinstance(findings, Findings):
        return findings.json_forms()
    return (f.as_dict() for f in findings)


def _document(result: RunResult) -> dict[str, Any]:
    """The findings document with an empty ``findings`` list (its place: the findings are streamed)."""
    doc: dict[str, Any] = {
        "schema_version": FINDINGS_SCHEMA_VERSION,
        "tool": {"name": "capcheck", "version": result.tool_version},
        "as_of": result.as_of.isoformat(),
        "run": {"started": _timestamp(result.started), "finished": _timestamp(result.finished)},
        "settings": _settings(result),
        "result": {
            "exit_code": result.exit_code,
            "outcome": _outcome(result.exit_code),
            "gate_failures": list(result.gate_failures),
        },
        "evidence": [f.as_dict() for f in result.evidence],
        "rules": [r.as_dict() for r in result.rules],
        "findings": [],
        "summary": result.summary.as_dict(),
    }
    # The optional blocks follow in name order (baseline, criteria, organisation, profile, scorecard, waivers).
    blocks: dict[str, Any] = {}
    if result.scorecard is not None:
        blocks.update(result.scorecard.blocks())
    if result.waivers is not None:
        blocks["waivers"] = [w.as_dict() for w in result.waivers]
    if result.baseline is not None:
        blocks["baseline"] = result.baseline.as_dict()
    for key in sorted(blocks):
        doc[key] = blocks[key]
    return doc


def _outcome(code: int) -> str:
    return {0: "passed", 1: "failed", 2: "incomplete"}[code]


#: Where the findings go in the document encoded with none: at the top level, the one raw newline
#: followed by exactly two spaces and this key (a string's newline is escaped; nested keys are indented more).
_FINDINGS_SLOT = b'\n  "findings": []'
#: Findings encoded per orjson call: big enough to keep the calls few, small enough to keep memory flat.
_CHUNK = 2048


def _encode(data: Any) -> bytes:
    """``data`` as indented JSON, escaped (:func:`json_text`), lone surrogates made visible (:func:`json_safe`)."""
    try:
        encoded = orjson.dumps(data, option=orjson.OPT_INDENT_2)
    except orjson.JSONEncodeError:
        encoded = orjson.dumps(json_safe(data), option=orjson.OPT_INDENT_2)
    if encoded.isascii() and b"\x7f" not in encoded:  # the common case: nothing to rewrite
        return encoded
    return json_text(encoded.decode("utf-8")).encode("utf-8")


def write_json(result: RunResult, options: RenderOptions, stream: ByteStream) -> None:
    """Write the findings document to ``stream``, the findings in chunks (the streaming entry point)."""
    head, tail = _encode(_document(result)).split(_FINDINGS_SLOT)
    stream.write(head)
    stream.write(b'\n  "findings": [')
    forms = finding_forms(result.findings)
    written = False
    while chunk := list(islice(forms, _CHUNK)):
        # `[\n  {...},\n  {...}\n]` -> `\n    {...},\n    {...}`: one level deeper, brackets dropped.
        encoded = _encode(chunk)[1:-2].replace(b"\n", b"\n  ")
        stream.write(b"," + encoded if written else encoded)
        written = True
    stream.write(b"\n  ]" if written else b"]")
    stream.write(tail)
    stream.write(b"\n")


def render_json(result: RunResult, options: RenderOptions) -> str:
    """Render the findings document as indented JSON (the text :func:`write_json` writes)."""
    out = io.BytesIO()
    write_json(result, options, out)
    return out.getvalue().decode("utf-8")


@hookimpl
def capcheck_reporters() -> Sequence[Reporter]:
    """The JSON reporter."""
    return [
        Reporter(
            name="json",
            render=render_json,
            write=write_json,
            description="findings document for auditors (schemas/findings.schema.json)",
            extension=".json",
        )
    ]
