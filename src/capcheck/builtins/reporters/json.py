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

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from itertools import chain, islice, repeat
from operator import itemgetter
from typing import Any, cast

import orjson

from capcheck.core.escaping.json import json_safe, json_text
from capcheck.core.evidence import EvidenceSet, RecordPlaces
from capcheck.core.hookspecs import hookimpl
from capcheck.core.models import Finding, Outcome, RunResult, Status
from capcheck.core.outcomes import Findings, RuleOutcomes, Span, fingerprint_prefix, row_fingerprint
from capcheck.core.reporting import ByteStream, RenderOptions, Reporter, render_by, write_segment

__all__ = ["FINDINGS_SCHEMA_VERSION", "finding_forms", "render_json", "result_document", "write_json"]

#: The version of the findings document's shape (``schemas/findings.schema.json``).
FINDINGS_SCHEMA_VERSION = "2.2"


def _timestamp(value: datetime) -> str:
    return value.isoformat(timespec="seconds").replace("+00:00", "Z")


def _settings(result: RunResult) -> dict[str, Any]:
    """What decided the verdicts besides evidence and rules: thresholds, selection, the scorecard method."""
    out: dict[str, Any] = {
        "fail_on": result.fail_on.value if result.fail_on else "never",
        "include_passed": result.include_passed,
        "select": list(result.select),
        "ignore": list(result.ignore),
        "severity": {rule: result.severity_overrides[rule].value for rule in sorted(result.severity_overrides)},
        "options": {rule: dict(result.option_overrides[rule]) for rule in sorted(result.option_overrides)},
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


#: The reporter's name, under which a rule's block keeps its findings made elsewhere (``RuleOutcomes.segments``).
SEGMENT = "json"
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
        # Each chunk's items follow a comma, the first's dropped. A block made where its records are is copied from
        # its part's file as it is (in the kernel, into an output file: write_segment).
        if write_segment(stream, chunk, 0 if written else 1) or isinstance(chunk, bytes):
            written = True
    stream.write(b"\n  ]" if written else b"]")
    stream.write(tail)
    stream.write(b"\n")


#: Render the findings document as indented JSON (the text :func:`write_json` writes).
render_json = render_by(write_json)


def _finding_chunks(findings: Sequence[Finding]) -> Iterator[bytes | Span]:
    """The findings as the document's list items, each after a comma, ``,\n    {...},\n    {...}``, a chunk
    at a time (the first chunk's comma is the writer's to drop); a block made where its records are as its
    segment, bytes or where they are kept in a file."""
    if isinstance(findings, Findings):
        for chunk in _row_items(findings):
            if isinstance(chunk, bytes | Span):  # a block's findings made and encoded where its records are
                yield chunk
            else:
                yield _escaped(chunk[0] if len(chunk) == 1 else "".join(chunk))  # one run alone: not copied
        return
    forms = (f.as_dict() for f in findings)
    while forms_chunk := list(islice(forms, _CHUNK)):
        yield _escaped("," + _items(forms_chunk))


def _items(forms: list[dict[str, Any]]) -> str:
    # `[\n  {...},\n  {...}\n]` -> `\n    {...},\n    {...}`: one level deeper, the brackets dropped.
    return _dumps(forms)[1:-2].replace("\n", "\n  ")


def _token(value: str) -> str:
    """A string as orjson writes it, a lone surrogate as its escape text (as :func:`_dumps` writes it)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except orjson.JSONEncodeError:
        return orjson.dumps(json_safe(value)).decode("utf-8")


def _row_items(findings: Findings) -> Iterator[list[str] | bytes | Span]:
    """The rows as list items, written from a template per rule: byte for byte what :func:`_items` writes
    for :meth:`Findings.json_forms` (a test holds them equal), without a dictionary per finding. A block whose
    findings were made where its records are (``RuleOutcomes.segments``) comes as those bytes.

    A rule's rows go a slice of :data:`_CHUNK` at a time, split around waived rows. A run of rows that
    are all plain (records of the evidence, of one kind in one file, without related records) is written
    column by column (:func:`_plain_items`): its messages and record ids encoded by one ``orjson.dumps``
    each, its fingerprints hashed in one pass, and the items joined at once from the template's constant
    parts and the columns, so that no Python function is called per row. A waived row, and every row of a
    run that is not plain, go row by row (:func:`_row_item`); a row with related records or a waiver, of a
    kind spread over several files, or holding a lone surrogate (orjson refuses it) takes the dictionary
    path.
    """
    places: dict[str, Any] = {}  # the json_form cache of EvidenceSet.place
    kinds: dict[str, _KindTemplate] = {}
    chunk: list[str] = []  # a row's item or a run of rows' items, each item after a comma
    count = 0  # the rows in chunk
    for block in findings.blocks:
        made = block.segments.get(SEGMENT)
        if made is not None:  # written where the block's records are (capcheck.app.parallel)
            if chunk:
                yield chunk
                chunk, count = [], 0
            yield made
            continue
        for items, n in _block_items(findings, block, kinds, places):
            chunk.append(items)
            count += n
            if count >= _CHUNK:
                yield chunk
                chunk, count = [], 0
    if chunk:
        yield chunk


def _block_items(
    findings: Findings, block: RuleOutcomes, kinds: dict[str, _KindTemplate], places: dict[str, Any]
) -> Iterator[tuple[str, int]]:
    """One rule's rows as list items: runs of items (each item after a comma) and how many rows each holds."""
    evidence = findings.evidence
    rule = _RuleTemplate.of(block)
    rows = block.rows
    waived = sorted(block.waivers)  # such rows take the dictionary path; the runs between them may not
    item = partial(_row_item, findings, block, rule, kinds, places)  # position -> the row's item
    for start in range(0, len(rows), _CHUNK):
        stop = min(start + _CHUNK, len(rows))
        at = start
        for special in (*waived[bisect_left(waived, start) : bisect_left(waived, stop)], stop):
            if at < special:
                run = _plain_items(block, rule, rows[at:special], kinds, evidence)
                if run is not None:
                    yield run, special - at
                else:
                    yield "".join(map(item, range(at, special))), special - at
            if special < stop:
                yield item(special), 1
            at = special + 1


def json_segment(findings: Findings, block: RuleOutcomes) -> Iterator[bytes]:
    """One rule's findings as the findings document lists them (each item after a comma), escaped and encoded:
    the bytes :func:`write_json` writes for the block, made apart (:attr:`Reporter.segment`), a run of at most
    :data:`_CHUNK` rows at a time (a block joined whole, escaped and encoded was three copies of it in fresh
    memory: at 1M records a register, hundreds of megabytes a rule, and its cost was mostly the pages)."""
    for items, _ in _block_items(findings, block, {}, {}):
        yield _escaped(items)


def _kind_template(kinds: dict[str, _KindTemplate], evidence: EvidenceSet, kind: str) -> _KindTemplate:
    template = kinds.get(kind)
    if template is None:
        template = kinds[kind] = _KindTemplate.of(evidence, kind)
    return template


def _encoded(values: list[str]) -> list[str] | None:
    """Each string's JSON text between its quotes, by one ``orjson.dumps`` of them all; None when one holds
    a lone surrogate. Within the text of a list of strings, ``","`` is only ever a separator: a quote
    inside a string is escaped, so the quote after a comma there cannot be one."""
    try:
        text = orjson.dumps(values).decode()
    except orjson.JSONEncodeError:
        return None
    return text[2:-2].split('","')


def _plain_items(
    block: RuleOutcomes,
    rule: _RuleTemplate,
    rows: list[Outcome],
    kinds: dict[str, _KindTemplate],
    evidence: EvidenceSet,
) -> str | None:
    """The run's items, each after a comma, written column by column; None when a row is not plain (see
    :func:`_row_items`)."""
    default = block.default_kind
    kind_set = set(map(_KIND, rows))
    kind = default if kind_set <= {None, default} else kind_set.pop() if len(kind_set) == 1 else None
    if kind is None or any(map(_RELATED, rows)):
        return None
    template = _kind_template(kinds, evidence, kind)
    one = template.places
    record_ids: list[str] = list(map(_RECORD_ID, rows))
    if one is None or None in record_ids:
        return None
    found = list(map(one.ids.get, record_ids))
    if None in found:  # not records of the evidence
        return None
    indices = cast(list[int], found)
    lines = list(map(one.locate, indices))
    has_lines = lines[0] is not None
    if (None in lines) if has_lines else any(x is not None for x in lines):
        return None  # some records with a line, some without: row by row
    messages: list[str] = list(map(_MESSAGE, rows))
    if "" in messages:  # a pass without a message says the rule's title
        messages = [m or (block.title if o.status is _PASS else "") for m, o in zip(messages, rows, strict=True)]
    groups: list[str | None] = list(map(_GROUP_OF, rows))
    grouped = groups.count(None) != len(groups)
    if grouped and None in groups:
        return None
    ids_text = _encoded(record_ids)
    messages_text = _encoded(messages)
    groups_text = _encoded(groups) if grouped else []  # type: ignore[arg-type]  # none is None here
    if ids_text is None or messages_text is None or groups_text is None:
        return None
    fingerprints = block.fingerprints(rows)
    # Each item is the constant parts of the template with the row's value of each column between them.
    parts: list[tuple[str, Iterable[str]]] = [
        ("," + rule.head, map(_STATUS, rows)),
        (rule.middle + '"', messages_text),
        (f'",\n      "evidence": {template.record_head}"', ids_text),
    ]
    after = '"' + template.file
    if has_lines:
        parts.append((after + _LINE, map(str, lines)))
        after = ""
    if one.first:  # a range of the file's records (a split check's part): their positions in the file
        indices = [index + one.first for index in indices]
    if one.rows:
        parts.append((after + _ROW, map(str, map(_NEXT, indices))))
        after = ""
    if one.pointers is None:
        parts.append((after + _POINTER + '"/records/', map(str, indices)))
    else:
        pointers = _encoded(list(map(one.pointer, indices)))
        if pointers is None:
            return None
        parts.append((after + _POINTER + '"', pointers))
    after = '"\n      }'
    if grouped:
        parts.append((after + _GROUP + '"', groups_text))
        after = '"'
    parts.append((after + rule.tail, fingerprints))
    columns: list[Iterable[str]] = []
    for constant, column in parts:
        columns += (repeat(constant), column)
    columns.append(repeat('"\n    }'))
    # Every column has a value per row and the constants repeat: zip stops with the rows.
    return "".join(chain.from_iterable(zip(*columns, strict=False)))


def _row_item(
    findings: Findings,
    block: RuleOutcomes,
    rule: _RuleTemplate,
    kinds: dict[str, _KindTemplate],
    places: dict[str, Any],
    position: int,
) -> str:
    """One row as a list item, after a comma (the row-by-row path of :func:`_row_items`)."""
    o = block.rows[position]
    kind = o.kind or block.default_kind
    template = _kind_template(kinds, findings.evidence, kind)
    one = template.places
    if o.related or (block.waivers and position in block.waivers) or template.spread:
        return "," + _items([findings.json_form(block, position, places)])
    dumps = orjson.dumps
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
                at = index + one.first  # its position in the file (a range of it loaded alone: first > 0)
                pointer = _RECORDS_POINTER % at if one.pointers is None else _token(one.pointer(index))
                ev = (
                    f"{template.record_head}{dumps(record_id).decode()}{template.file}"
                    f"{'' if line is None else _LINE + str(line)}"
                    f"{_ROW + str(at + 1) if one.rows else ''}{_POINTER}{pointer}\n      }}"
                )
        message = dumps(o.message or (block.title if status == "pass" else "")).decode()
        group = "" if o.group is None else f"{_GROUP}{dumps(o.group).decode()}"
    except orjson.JSONEncodeError:  # a lone surrogate: the dictionary path makes it visible
        return "," + _items([findings.json_form(block, position, places)])
    return (
        f',{rule.head}{status}{rule.middle}{message},\n      "evidence": {ev}{group}'
        f'{rule.tail}{row_fingerprint(fingerprint_prefix(block.rule_id, kind), o)}"\n    }}'
    )


_PASS = Status.PASS
_STATUS = itemgetter(0)
_KIND = itemgetter(1)
_RECORD_ID = itemgetter(2)
_MESSAGE = itemgetter(3)
_RELATED = itemgetter(4)
_GROUP_OF = itemgetter(5)
_NEXT = (1).__add__
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


@dataclass(frozen=True, slots=True)
class _RuleTemplate:
    """The parts of a finding that one rule fixes, encoded once: before the status, between the status and
    the message, and from the remediation to the fingerprint."""

    head: str
    middle: str
    tail: str

    @classmethod
    def of(cls, block: RuleOutcomes) -> _RuleTemplate:
        return cls(
            head=(
                f'\n    {{\n      "rule_id": {_token(block.rule_id)},'
                f'\n      "rule_version": {_token(block.rule_version)},\n      "status": "'
            ),
            middle=(
                f'",\n      "severity": "{block.severity._value_}",\n      "area": {_token(block.area)},'
                f'\n      "title": {_token(block.title)},\n      "message": '
            ),
            tail=f',\n      "remediation": {_token(block.remediation)},\n      "fingerprint": "',
        )


@hookimpl
def capcheck_reporters() -> Sequence[Reporter]:
    """The JSON reporter."""
    return [
        Reporter(
            name="json",
            render=render_json,
            write=write_json,
            segment=json_segment,
            description="findings document for auditors (schemas/findings.schema.json)",
            extension=".json",
        )
    ]
