"""The built-in JSON reporter: the auditor's record, following ``schemas/findings.schema.json``.

Byte-identical for the same evidence, rules and as-of date, apart from ``run.started`` and
``run.finished``: every list is in a defined order and keys are written in a fixed order.
Control characters, DEL, C1, separators and bidi controls are ``\\u``-escaped
(:func:`capcheck.escaping.json.json_text`); a lone surrogate (an undecodable byte in a file name) is
written as its escape text (:func:`capcheck.escaping.json.json_safe`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from capcheck.escaping.json import json_safe, json_text
from capcheck.hookspecs import hookimpl
from capcheck.models import RunResult
from capcheck.reporters import RenderOptions, Reporter

__all__ = ["FINDINGS_SCHEMA_VERSION", "render_json", "result_document"]

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
        "findings": [f.as_dict() for f in result.findings],
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


def render_json(result: RunResult, options: RenderOptions) -> str:
    """Render the findings document as indented JSON."""
    doc = result_document(result)
    try:
        encoded = orjson.dumps(doc, option=orjson.OPT_INDENT_2)
    except orjson.JSONEncodeError:
        encoded = orjson.dumps(json_safe(doc), option=orjson.OPT_INDENT_2)
    return json_text(encoded.decode("utf-8")) + "\n"


@hookimpl
def capcheck_reporters() -> Sequence[Reporter]:
    """The JSON reporter."""
    return [
        Reporter(
            name="json",
            render=render_json,
            description="findings document for auditors (schemas/findings.schema.json)",
            extension=".json",
        )
    ]
