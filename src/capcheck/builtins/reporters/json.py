"""The built-in JSON reporter: the auditor's record, following ``schemas/findings.schema.json``.

The document is streamed (:func:`write_json`): everything but the findings is encoded as one
document with an empty ``findings`` list, and the findings are written into its place in chunks,
each chunk encoded by orjson and indented one level deeper, so that neither the whole document
nor its text is ever built. The bytes are those of ``orjson.dumps(result_document(result),
OPT_INDENT_2)`` escaped, plus a newline (a test holds them equal).

Byte-identical for the same evidence, rules and as-of date, apart from ``run.started`` and
``run.finished``: every list is in a defined order and keys are written in a fixed order.
Control characters, DEL, C1, separators and bidi controls are ``\\u``-escaped
(:func:`capcheck.core.escaping.json.json_text`); a lone surrogate (an undecodable byte in a file name) is
written as its escape text (:func:`capcheck.core.escaping.json.json_safe`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

import orjson

from capcheck.core.escaping.json import json_safe, json_text
from capcheck.core.evidence import EvidenceSet, RecordPlaces
from capcheck.core.hookspecs import hookimpl
from capcheck.core.models import Finding, RunResult
from capcheck.core.outcomes import Findings, fingerprint_prefix, row_fingerprint
from capcheck.core.reporting import ByteStream, RenderOptions, Reporter

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
#: Findings encoded per chunk: big enough to keep the calls few, small enough to keep memory flat.
_CHUNK = 2048


def _dumps(data: Any) -> str:
    """``data`` as orjson writes it indented, lone surrogates made visible (:func:`json_safe`), not yet escaped."""
    try:
        encoded = orjson.dumps(data, option=orjson.OPT_INDENT_2)
    except orjson.JSONEncodeError:
        encoded = orjson.dumps(json_safe(data), option=orjson.OPT_INDENT_2)
    return encoded.decode("utf-8")


def _escaped(text: str) -> bytes:
    """Encoded JSON text with what encoders leave raw escaped (:func:`json_text`), as UTF-8."""
    return json_text(text).encode("utf-8")


def write_json(result: RunResult, options: RenderOptions, stream: ByteStream) -> None:
    """Write the findings document to ``stream``, the findings in chunks (the streaming entry point)."""
    head, tail = _escaped(_dumps(_document(result))).split(_FINDINGS_SLOT)
    stream.write(head)
    stream.write(b'\n  "findings": [')
    written = False
    for chunk in _finding_chunks(result.findings):
        stream.write(b"," + chunk if written else chunk)
        written = True
    stream.write(b"\n  ]" if written else b"]")
    stream.write(tail)
    stream.write(b"\n")


def render_json(result: RunResult, options: RenderOptions) -> str:
    """Render the findings document as indented JSON (the text :func:`write_json` writes)."""
    out = io.BytesIO()
    write_json(result, options, out)
    return out.getvalue().decode("utf-8")


def _finding_chunks(findings: Sequence[Finding]) -> Iterator[bytes]:
    """The findings as the document's list items, ``\n    {...},\n    {...}``, a chunk at a time."""
    if isinstance(findings, Findings):
        for chunk in _row_items(findings):
            yield _escaped(",".join(chunk))
        return
    forms = (f.as_dict() for f in findings)
    while forms_chunk := list(islice(forms, _CHUNK)):
        yield _escaped(_items(forms_chunk))


def _items(forms: list[dict[str, Any]]) -> str:
    # `[\n  {...},\n  {...}\n]` -> `\n    {...},\n    {...}`: one level deeper, the brackets dropped.
    return _dumps(forms)[1:-2].replace("\n", "\n  ")


def _token(value: str) -> str:
    """A string as orjson writes it, a lone surrogate as its escape text (as :func:`_dumps` writes it)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except orjson.JSONEncodeError:
        return orjson.dumps(json_safe(value)).decode("utf-8")


def _row_items(findings: Findings) -> Iterator[list[str]]:
    """The rows as list items, written from a template per rule: byte for byte what :func:`_items` writes
    for :meth:`Findings.json_forms` (a test holds them equal), without a dictionary per finding. A row
    with related records or a waiver, of a kind spread over several files, or holding a lone surrogate
    (orjson refuses it) takes the dictionary path.
    """
    evidence = findings.evidence
    places: dict[str, Any] = {}  # the json_form cache of EvidenceSet.place
    kinds: dict[str, _KindTemplate] = {}
    chunk: list[str] = []
    dumps = orjson.dumps
    for block in findings.blocks:
        head = (
            f'\n    {{\n      "rule_id": {_token(block.rule_id)},\n      "rule_version": {_token(block.rule_version)},'
            '\n      "status": "'
        )
        middle = (
            f'",\n      "severity": "{block.severity._value_}",\n      "area": {_token(block.area)},'
            f'\n      "title": {_token(block.title)},\n      "message": '
        )
        tail = f',\n      "remediation": {_token(block.remediation)},\n      "fingerprint": "'
        title = block.title
        waivers = block.waivers
        prefixes: dict[str, str] = {}
        for position, o in enumerate(block.rows):
            kind = o.kind or block.default_kind
            template = kinds.get(kind)
            if template is None:
                template = kinds[kind] = _KindTemplate.of(evidence, kind)
            one = template.places
            if o.related or (waivers and position in waivers) or template.spread:
                chunk.append(_items([findings.json_form(block, position, places)]))
            else:
                prefix = prefixes.get(kind)
                if prefix is None:
                    prefix = prefixes[kind] = fingerprint_prefix(block.rule_id, kind)
                status = o.status._value_
                record_id = o.record_id
                try:
                    if record_id is None:
                        ev = template.nowhere
                    else:
                        index = one.ids.get(record_id) if one is not None else None
                        if index is None or one is None:  # not a record of the evidence
                            ev = f"{template.record_head}{dumps(record_id).decode()}\n      }}"
                        else:
                            line = one.locate(index)
                            pointer = _RECORDS_POINTER % index if one.pointers is None else _token(one.pointer(index))
                            ev = (
                                f"{template.record_head}{dumps(record_id).decode()}{template.file}"
                                f"{'' if line is None else _LINE + str(line)}"
                                f"{_ROW + str(index + 1) if one.rows else ''}{_POINTER}{pointer}\n      }}"
                            )
                    message = dumps(o.message or (title if status == "pass" else "")).decode()
                    group = "" if o.group is None else f"{_GROUP}{dumps(o.group).decode()}"
                except orjson.JSONEncodeError:  # a lone surrogate: the dictionary path makes it visible
                    chunk.append(_items([findings.json_form(block, position, places)]))
                else:
                    chunk.append(
                        f'{head}{status}{middle}{message},\n      "evidence": {ev}{group}'
                        f'{tail}{row_fingerprint(prefix, o)}"\n    }}'
                    )
            if len(chunk) >= _CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


_LINE = ',\n        "line": '
_ROW = ',\n        "row": '
_POINTER = ',\n        "pointer": '
_GROUP = ',\n      "group": '
#: The envelope's pointer of record i, as a JSON string (digits need no escaping).
_RECORDS_POINTER = '"/records/%d"'


@dataclass(frozen=True, slots=True)
class _KindTemplate:
    """The parts of a finding's evidence that one kind fixes, encoded once."""

    #: Where its records are, when one file holds them all.
    places: RecordPlaces | None
    #: Its records are spread over several files (such rows take the dictionary path).
    spread: bool
    #: The evidence of a finding about the kind as a whole (no record id).
    nowhere: str
    #: The evidence up to a record id's value.
    record_head: str
    #: The ``file`` member of a record's evidence.
    file: str

    @classmethod
    def of(cls, evidence: EvidenceSet, kind: str) -> _KindTemplate:
        places = evidence.places(kind)
        first = evidence.sole_file(kind)
        where = f'{{\n        "kind": {_token(kind)}'
        return cls(
            places=places,
            spread=places is None and evidence.has(kind),
            nowhere=where + ("\n      }" if first is None else f',\n        "file": {_token(first)}\n      }}'),
            record_head=f'{where},\n        "record_id": ',
            file="" if places is None else f',\n        "file": {_token(places.file)}',
        )


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
