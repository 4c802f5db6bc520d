"""The built-in JSON evidence loader: orjson to parse, record lines found at load (fast paths, else a bracket scan)."""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate, repeat
from operator import countOf
from pathlib import Path
from typing import Any

import orjson

from capcheck.core.errors import EvidenceError
from capcheck.core.hookspecs import hookimpl
from capcheck.core.loading import (
    HEAD_BYTES,
    ByteRange,
    Document,
    LineTable,
    LoadContext,
    Loader,
    RangeError,
    SourceFile,
    decode_text,
    file_stamp,
    from_envelope,
    open_regular,
    read_range,
)
from capcheck.core.side_inputs import parse_json

__all__ = [
    "Tally",
    "divide_json",
    "envelope_kind",
    "load_json",
    "load_json_range",
    "record_lines",
    "record_lines_by_layout",
    "record_lines_flat",
    "tally",
]

# One step of the scan: skip (possessively, so no backtracking) any run of non-bracket text and
# whole strings (the "unrolled loop" form, fastest in `re`), then capture the next structural
# bracket. Brackets inside strings never count.
_NEXT_BRACKET = re.compile(rb'[^"\[\]{}]*+(?:"[^"\\]*+(?:\\.[^"\\]*+)*+"[^"\[\]{}]*+)*+([\[\]{}])', re.S)
_RECORDS_KEY = re.compile(rb'"records"\s*:\s*$')
_KEY = re.compile(rb'"((?:[^"\\]|\\.)*)"\s*:')


def record_lines(data: bytes | bytearray) -> list[int]:
    """The 1-based line of each object in the top-level ``records`` array, in order.

    One pass over the bytes at C speed per bracket, so it costs a few brackets per record;
    capcheck runs it only for files that :func:`record_lines_flat` and :func:`record_lines_by_layout`
    cannot place (records sharing lines with each other and with nested objects).
    """
    lines: list[int] = []
    depth = 0
    in_records = False
    line = 1
    last = 0
    for match in _NEXT_BRACKET.finditer(data):
        pos = match.start(1)
        char = data[pos]
        if char in b"[{":
            depth += 1
            if depth == 2 and char == 0x5B and _RECORDS_KEY.search(data, max(0, pos - 256), pos):
                in_records = True
            elif depth == 3 and in_records and char == 0x7B:
                line += data.count(b"\n", last, pos)
                last = pos
                lines.append(line)
        else:
            depth -= 1
            if depth == 1:
                in_records = False
    return lines


_LINE_START_OBJECT = re.compile(rb"\n([ \t]*)\{")


def record_lines_by_layout(data: bytes | bytearray, records: Sequence[Any]) -> list[int] | None:
    """The fast path: the lines of the records when each record starts its own line, else None.

    Exports usually write one record per line, or pretty-print with every record's ``{`` on a line
    of its own at one indent. In valid JSON a newline is never inside a string, so a line starting
    with ``{`` starts an object. Take the lines that start an object, group them by indent, and
    accept a group only if it has exactly one line per record and each record's own id appears
    between its line and the next: then the group is the records. Anything else (one-line files,
    records sharing lines) returns None and :func:`record_lines` scans the brackets instead.
    """
    if not records:
        return None
    try:
        tokens = [_id_token(r["id"]) for r in records]
    except (TypeError, KeyError):
        return None  # not every record is an object with a string id: validation reports it
    by_indent: dict[bytes, list[int]] = {}
    for match in _LINE_START_OBJECT.finditer(data):
        by_indent.setdefault(match.group(1), []).append(match.end() - 1)
    find = data.find
    for group in by_indent.values():  # in order of first appearance: the records' indent comes first
        if len(group) != len(records):
            continue
        ends = [*group[1:], len(data)]
        for token, start, end in zip(tokens, group, ends, strict=True):
            if find(token, start, end) < 0:
                break
        else:
            return _lines_at(data, group)
    return None


def _id_token(record_id: str) -> bytes:
    """The id as a JSON string token; plain printable ASCII ids (nearly all) without the encoder."""
    if type(record_id) is not str:
        raise TypeError(record_id)
    if record_id.isascii() and record_id.isprintable() and '"' not in record_id and "\\" not in record_id:
        return b'"' + record_id.encode("ascii") + b'"'
    return orjson.dumps(record_id)


@dataclass(frozen=True, slots=True)
class Tally:
    """What a JSON file's colons, ``{`` and newlines say (:func:`tally`), wherever they are."""

    colons: int
    braces: int
    newlines: int
    #: The file's ``{`` and newlines, in the order of the file, nothing else (a few percent of its bytes).
    shape: bytes


#: Every byte but the three a :class:`Tally` counts.
_NOT_TALLIED = bytes(sorted(set(range(256)) - set(b":{\n")))


def tally(data: bytes | bytearray) -> Tally:
    """The colons, ``{`` and newlines of ``data``, in one pass over its bytes: the loader's checks count all
    three, and each ``bytes.count`` was a pass of its own (0.15-0.2 CPU s each over a 500 MB register), as was
    the search for a record's brace after each newline that the shape now answers (:func:`record_lines_flat`).
    Deleting every other byte leaves a few percent of the file, counted at next to no cost."""
    kept = data.translate(None, _NOT_TALLIED)
    shape = kept.translate(None, b":")
    braces = shape.count(b"{")
    return Tally(len(kept) - len(shape), braces, len(shape) - braces, bytes(shape))


def record_lines_flat(
    data: bytes | bytearray, records: Sequence[Any], *, objects: bool | None = None, tally: Tally | None = None
) -> Sequence[int] | None:
    """The fastest path: the lines of the records when they are flat objects each starting its own line.

    When the file holds as many ``{`` as the envelope and the records (every record an object), no
    other object exists and no string holds a brace, so every ``{`` at the start of a line (after
    the first record's indent) is a record's, in order: no record needs to be found by its id. Each
    step runs at C speed; anything else returns None and :func:`record_lines_by_layout` decides.
    ``objects`` says whether every record is a ``dict`` when the caller knows (None: find out);
    ``tally`` is :func:`tally` of ``data`` when the caller made it (None: the bytes are counted here).
    """
    count = len(records)
    if not count or not (countOf(map(type, records), dict) == count if objects is None else objects):
        return None
    envelope = data.find(b"{")
    first = data.find(b"{", envelope + 1)
    line_start = data.rfind(b"\n", 0, first)
    if first < 0 or line_start < envelope or data[line_start + 1 : first].strip(b" \t"):
        return None  # the first record does not start its line
    if (data.count(b"{") if tally is None else tally.braces) != count + 1:
        return None  # nested objects, or braces in strings
    # (The empty group: findall then lists the one empty bytes object, not a new 2-byte object per record.)
    at_indent = re.compile(b"\n" + re.escape(bytes(data[line_start + 1 : first])) + b"\\{()")
    line = data.count(b"\n", 0, first) + 1
    last = data.rfind(b"{")  # the last record's: the envelope's is the first
    # One record a line (the usual export). Every brace but the envelope's is a record's, so record i is on
    # the first record's line plus the newlines before its brace: when exactly one newline parts each two
    # records' braces, the lines are consecutive. The tally's shape (the braces and newlines alone, in order)
    # from the first record's brace to the last's is then "{", and "\n{" for each record after the first:
    # the envelope's brace and the newlines before the first record's (line - 1) come before it, and the
    # newlines after the last record's brace after it. Without a tally: as many newlines from the first
    # record to the last as records after the first, each followed by a record's brace. Counted, no position kept.
    if tally is not None:
        end = len(tally.shape) - data.count(b"\n", last)
        if end - line == 2 * count - 1 and tally.shape.find(b"{{", line, end) < 0:
            return range(line, line + count)
    elif data.count(b"\n", first, last) == count - 1 and len(at_indent.findall(data, first, last + 1)) == count - 1:
        return range(line, line + count)
    starts = list(map(re.Match.end, at_indent.finditer(data, line_start)))
    if len(starts) != count:
        return None  # some records share a line
    return array("I", accumulate(map(data.count, repeat(b"\n"), starts, starts[1:]), initial=line))


def _line_table(
    data: bytes | bytearray, doc: Any, objects: bool | None = None, tally: Tally | None = None
) -> Sequence[int]:
    """The line of each record (0 for a record that is not an object, which has none), made while the
    file is loaded so that its bytes are not kept: findings need the lines of most records anyway.
    ``objects``: whether every record is a ``dict``, when the caller knows; ``tally``: :func:`tally` of
    ``data``, when the caller made it."""
    records = doc.get("records") if isinstance(doc, dict) else None
    if not isinstance(records, list):
        return ()
    envelope = data.find(b"{")
    if data.find(b"\n", envelope, data.rfind(b"}")) < 0:  # one line: every record on it
        line = data.count(b"\n", 0, envelope) + 1
        return array("I", [line if type(r) is dict else 0 for r in records])
    table = record_lines_flat(data, records, objects=objects, tally=tally)
    if table is not None:
        return table
    fast = record_lines_by_layout(data, records)
    if fast is not None:
        return array("I", fast)
    # The scan finds the records that are objects; a record that is not (a string, a list)
    # has no line, and must not shift the lines of the records after it.
    found = record_lines(data)
    if any(type(r) is not dict for r in records):
        lines = iter(found)
        return array("I", [next(lines, 0) if type(r) is dict else 0 for r in records])
    return array("I", found)


def _lines_at(data: bytes | bytearray, starts: list[int]) -> list[int]:
    lines: list[int] = []
    line, last = 1, 0
    for start in starts:
        line += data.count(b"\n", last, start)
        last = start
        lines.append(line)
    return lines


def _key_lines(data: bytes) -> Callable[[str], int | None]:
    """Find the line of a top-level key (used only to locate envelope problems)."""

    def find(key: str) -> int | None:
        for match in _KEY.finditer(data):
            if match.group(1).decode("utf-8", "replace") == key:
                return data.count(b"\n", 0, match.start()) + 1
        return None

    return find


#: A colon after a character that is neither a quote nor whitespace: inside a string, never a key's.
#: (The colon first, so that ``re`` looks for it at C speed and tests the character before only there.)
_COLON_IN_STRING = re.compile(rb':(?<=[^"\s]:)')
_RECORD_POINTER = re.compile(r"^/records/(\d+)(?:/|$)")
#: Evidence nests at most this deep in JSON (orjson's own limit).
_JSON_MAX_DEPTH = 1024


def _refuse_duplicate_keys(
    source: SourceFile, data: bytes, doc: Any, objects: bool | None = None, tally: Tally | None = None
) -> None:
    """Raise for a key that appears twice in one object (orjson keeps the last one silently).

    Every member of an object in the file has exactly one colon outside strings, right after its
    key's closing quote or after whitespace; every other colon is inside a string. So ``colons in the
    file, less those that follow another character (inside a string for sure) >= members in the file
    >= members orjson kept``, the second equal only when no key was dropped as a duplicate. Three
    checks, at C speed, accept a file when the two ends meet:

    * the members of the envelope and of the records that are objects (``sum(map(len, records))``)
      equal the colons: flat registers with no colon in a string (no nested object either);
    * or they equal the colons less those after a character other than a quote or whitespace (a
      title "Digital outcomes: beta", a time "10:30"): flat registers, any such colons in strings;
    * else the colons of orjson's re-serialisation of the parsed data equal the file's: orjson
      writes a string's colons as they are, so unless the file escapes one (``\\u003a``), both
      have as many colons in strings, and the file has more colons only when keys were dropped.

    Only a file that passes none (or escapes a colon) is parsed again, strictly, to name the key and
    where it is.
    """
    if _keys_unique(data, doc, objects, tally):
        return
    try:
        parse_json(decode_text(source), source, max_depth=_JSON_MAX_DEPTH)
    except EvidenceError as exc:
        # The strict parse knows the pointer; the record's line comes from the bracket scan.
        [problem] = exc.problems
        match = _RECORD_POINTER.match(problem.pointer or "")
        if problem.line is None and match is not None:
            lines = record_lines(data)
            index = int(match.group(1))
            if index < len(lines):
                raise source.fail(problem.message, line=lines[index], pointer=problem.pointer) from None
        raise


def _keys_unique(data: bytes | bytearray, doc: Any, objects: bool | None = None, tally: Tally | None = None) -> bool:
    """Whether the parsed ``doc`` kept every key of ``data`` (no object repeats a key), when the three checks of
    :func:`_refuse_duplicate_keys` tell at C speed; False when they cannot (a duplicate, or an escaped colon).
    ``tally``: :func:`tally` of ``data``, when the caller made it."""
    colons = data.count(b":") if tally is None else tally.colons
    members = _members_lower_bound(doc, objects)
    if colons == members or colons - len(_COLON_IN_STRING.findall(data)) == members:
        return True
    try:
        written = orjson.dumps(doc).count(b":")
    except orjson.JSONEncodeError:  # nested deeper than orjson writes (254 levels; it reads 1024): parse strictly
        return False
    return (b"\\" not in data or b"\\u003" not in data) and colons == written


def _members_lower_bound(doc: Any, objects: bool | None = None) -> int:
    """A lower bound of the members of the parsed document: its top level's and its records' (when
    every record is an object: ``objects``, found out when None), at C speed; objects nested deeper are
    not counted (-1: not an object)."""
    if type(doc) is not dict:
        return -1
    members = len(doc)
    records: Any = doc.get("records")
    if objects if objects is not None else _all_objects(records):
        members += sum(map(len, records))
    return members


def _all_objects(records: Any) -> bool:
    """Whether ``records`` is a list of ``dict`` only (at C speed; asked once per file)."""
    return type(records) is list and countOf(map(type, records), dict) == len(records)


def load_json(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Parse a JSON evidence document."""
    data = source.data
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:  # never valid in JSON: say where, before parsing
        decode_text(source)
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        decode_text(source)  # bytes that are not UTF-8: say so (with the line), not orjson's message
        line = data.count(b"\n", 0, exc.pos) + 1 if exc.pos is not None else None
        cause = str(exc.msg).split(": line ")[0]
        if cause == "depth limit exceeded":  # well-formed, but deeper than orjson reads (the strict parse's bound)
            raise source.fail(f"nested more than {_JSON_MAX_DEPTH} levels deep", line=line) from None
        raise source.fail(f"malformed JSON: {cause}", line=line) from None
    objects = _all_objects(doc.get("records")) if type(doc) is dict else False
    counted = tally(data)
    _refuse_duplicate_keys(source, data, doc, objects, counted)

    locate = LineTable(_line_table(data, doc, objects, counted))
    return [from_envelope(source, doc, locate, key_line=_key_lines(data))]


# ---------------------------------------------------------------- the peek: the kind, from the first bytes

_WHITESPACE = re.compile(rb"[ \t\n\r]*+")
#: A whole JSON string token (no raw control character: orjson refuses those); an escape is checked when decoded.
_STRING = re.compile(rb'"[^"\\\x00-\x1f]*+(?:\\.[^"\\\x00-\x1f]*+)*+"', re.S)
#: A number or literal, up to the first byte that cannot continue it (which the caller checks is there).
_SCALAR = re.compile(rb"(?:-?(?:0|[1-9][0-9]*+)(?:\.[0-9]++)?(?:[eE][+-]?[0-9]++)?|true|false|null)(?=[ \t\n\r,}\]])")


def envelope_kind(head: bytes, whole: bool) -> str | None:
    """The ``kind`` at the top level of a JSON evidence document, read from its first bytes (``whole``: all of
    them), or None when they do not say it for certain.

    A small scanner, not a parser of the whole head: it walks the top-level object member by member, skipping
    each value (a nested object's own ``kind`` key, strings holding brackets or quotes), decodes keys and the
    value as JSON does (``"\\u006bind"`` is ``kind``), and gives None for a top level that is not an object, a
    ``kind`` that is not a non-empty string, two top-level ``kind`` keys, anything malformed, and a head that ends
    before the ``kind`` member is whole (records first, in a long file). Past the ``kind``, a head that ends (or
    a file the loader refuses, which stops the run wherever it is read) keeps the kind found.
    """
    pos = _space(head, 3 if head.startswith(b"\xef\xbb\xbf") else 0)  # the loader drops one BOM
    if head[pos : pos + 1] != b"{":
        return None
    kind: str | None = None
    pos += 1
    # Wherever the bytes stop making sense: a whole file is malformed (None), a head may be cut off (the kind so far).
    while True:
        token = _STRING.match(head, _space(head, pos))
        if token is None:  # "}" (after no member, or a comma: malformed), the head's end, or not JSON
            return None if whole else kind
        pos = _space(head, token.end())
        if head[pos : pos + 1] != b":":
            return None if whole else kind
        pos = _space(head, pos + 1)
        key = _decoded(token.group())
        if key == "kind":
            value = _STRING.match(head, pos)
            found = _decoded(value.group()) if value is not None else None
            if value is None or kind is not None or type(found) is not str or not found:
                return None  # not a non-empty string (or cut off), or a second kind (the loader refuses the file)
            kind, after = found, value.end()
            if head.find(b"kind", after) < 0 and head.find(b"\\u", after) < 0:
                return kind  # no second kind key can follow in the head (spelt plainly or escaped): skip the scan
        elif key is None:
            return None
        else:
            skipped = _skip_value(head, pos)
            if skipped is None:
                return None if whole else kind
            after = skipped
        pos = _space(head, after)
        following = head[pos : pos + 1]
        if following == b"}":  # the top level's end: only white space may follow
            return kind if not whole or not head[pos + 1 :].strip(b" \t\n\r") else None
        if following != b",":
            return None if whole else kind
        pos += 1


def _space(head: bytes, pos: int) -> int:
    """Where the JSON white space at ``pos`` ends."""
    match = _WHITESPACE.match(head, pos)
    return match.end() if match is not None else pos


def _decoded(token: bytes) -> Any:
    """A JSON string token's value (None if it does not decode, as orjson would refuse it)."""
    if b"\\" not in token:
        try:
            return token[1:-1].decode("utf-8")
        except UnicodeDecodeError:
            return None
    try:
        return orjson.loads(token)
    except orjson.JSONDecodeError:
        return None


def _skip_value(head: bytes, pos: int) -> int | None:
    """Where the JSON value at ``pos`` ends, or None when it is not whole in ``head`` (or is malformed)."""
    first = head[pos : pos + 1]
    if first == b'"':
        token = _STRING.match(head, pos)
        return token.end() if token is not None else None
    if first not in (b"{", b"["):
        scalar = _SCALAR.match(head, pos)
        return scalar.end() if scalar is not None else None
    closers: list[bytes] = []
    while True:
        # Anchored at each step: a string cut off by the head's end stops the walk (never a bracket inside it).
        step = _NEXT_BRACKET.match(head, pos)
        if step is None:
            return None
        pos = step.end()
        bracket = step.group(1)
        if len(closers) > _JSON_MAX_DEPTH:
            return None  # deeper than the loader reads
        if bracket == b"{":
            closers.append(b"}")
        elif bracket == b"[":
            closers.append(b"]")
        elif closers.pop() != bracket:
            return None  # "[1}": malformed
        if not closers:
            return pos


def kinds_of_json(path: Path, head: bytes, context: LoadContext) -> frozenset[str] | None:
    """The JSON loader's peek (``Loader.kinds_of``): the envelope's ``kind``, when its first bytes say it."""
    kind = envelope_kind(head, whole=len(head) < HEAD_BYTES)
    return frozenset({kind}) if kind is not None else None


# ---------------------------------------------------------------- ranges: one register divided over processes

#: The envelope's first bytes (the BOM the loader drops).
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class _Layout:
    """Where a JSON evidence document's records are, in the layout ranges support: the envelope (any members, the
    ``records`` member anywhere among them) with each record starting its own line at one indent."""

    #: The byte after the records list's ``[``, and the start of the first record's line.
    opened: int
    first_line: int
    #: The records' indent (the bytes before each record's ``{`` on its line).
    indent: bytes
    #: The records list's ``]``: the last range ends there.
    closed: int
    #: The envelope with an empty records list, parsed, and its bytes.
    envelope: dict[str, Any]
    envelope_bytes: bytes


def _records_opening(head: bytes) -> tuple[int, int, bytes] | None:
    """From a file's first bytes: the position after the envelope's ``records`` list's ``[``, the start of the line
    of its first record, and the records' indent; None unless the first record is an object starting its own line
    within the head (a head cut off before, anything malformed, an empty or one-line list)."""
    pos = _space(head, len(_BOM) if head.startswith(_BOM) else 0)
    if head[pos : pos + 1] != b"{":
        return None
    pos += 1
    while True:
        token = _STRING.match(head, _space(head, pos))
        if token is None:
            return None
        pos = _space(head, token.end())
        if head[pos : pos + 1] != b":":
            return None
        pos = _space(head, pos + 1)
        if _decoded(token.group()) == "records":
            if head[pos : pos + 1] != b"[":
                return None
            opened = pos + 1
            first = _space(head, opened)
            line_start = head.rfind(b"\n", 0, first) + 1
            indent = head[line_start:first]
            if head[first : first + 1] != b"{" or line_start <= opened - 1 or indent.strip(b" \t"):
                return None  # not an object, on the list's own line, or after a line of only a carriage return
            return opened, line_start, indent
        skipped = _skip_value(head, pos)
        if skipped is None:
            return None
        pos = _space(head, skipped)
        if head[pos : pos + 1] != b",":
            return None
        pos += 1


def _layout(path: Path, head: bytes, tail: bytes, size: int) -> _Layout | None:
    """The records' layout from a file's first and last bytes (``tail``: the file's last ``len(tail)`` bytes), or
    None when ranges cannot be cut in it: the records list does not close on the line of its last record's end, or
    the envelope (the file less its records) is not one ``load_json`` takes as it is."""
    opening = _records_opening(head)
    if opening is None:
        return None
    opened, first_line, indent = opening
    offset = size - len(tail)
    # The last record starts the last line at the records' indent (JSON has no raw newline inside a string).
    last = tail.rfind(b"\n" + indent + b"{")
    if last < 0 or offset + last + 1 < first_line:
        return None
    end = _skip_value(tail, last + 1 + len(indent))
    if end is None:
        return None
    closed = _space(tail, end)
    if tail[closed : closed + 1] != b"]":
        return None
    closed += offset
    skip = len(_BOM) if head.startswith(_BOM) else 0
    envelope_bytes = head[skip:opened] + tail[closed - offset :]
    try:
        envelope = orjson.loads(envelope_bytes)
    except orjson.JSONDecodeError:
        return None
    if type(envelope) is not dict or envelope.get("records") != [] or not _keys_unique(envelope_bytes, envelope):
        return None
    try:
        from_envelope(SourceFile(path, path.as_posix(), envelope_bytes), envelope, lambda i: None)
    except EvidenceError:
        return None  # a load of the whole file says what is wrong
    return _Layout(opened, first_line, indent, closed, envelope, envelope_bytes)


#: The envelope a range's records are parsed in (:func:`load_json_range`): their first line is its second.
_RANGE_OPEN = b'{"records":[\n'
_RANGE_CLOSE = b"\n]}"
#: How many bytes are read at each cut point to find the next record's line.
_WINDOW = 1 << 16


def divide_json(path: Path, size: int, parts: int, context: LoadContext) -> list[ByteRange] | None:
    """Where a JSON evidence document can be cut (``Loader.divide``): at the starts of lines holding a record's
    ``{`` at the records' indent, near ``size / parts`` apart; None unless the records list is in the supported
    layout (:func:`_layout`), or when a ``[[mapping]]`` that skips rows names the file (its counts are the file's)."""
    mapping = context.mapping_for(path)
    if parts < 1 or (mapping is not None and mapping.skip_rows):
        return None
    with open_regular(path) as stream:
        stamp = file_stamp(stream)
        if stamp[0] != size:
            return None
        head = stream.read(HEAD_BYTES)
        stream.seek(max(0, size - HEAD_BYTES))
        layout = _layout(path, head, stream.read(HEAD_BYTES), size)
        if layout is None:
            return None
        marker = b"\n" + layout.indent + b"{"
        starts = [layout.first_line]
        for part in range(1, parts):
            target = layout.first_line + (layout.closed - layout.first_line) * part // parts
            if target < starts[-1]:
                continue
            stream.seek(target)
            found = stream.read(_WINDOW).find(marker)
            if found >= 0 and starts[-1] < target + found + 1 < layout.closed:
                starts.append(target + found + 1)
    ends = [*starts[1:], layout.closed]
    return [ByteRange(start, end, *stamp) for start, end in zip(starts, ends, strict=True)]


def load_json_range(path: Path, span: ByteRange, context: LoadContext) -> Sequence[Document]:
    """Load one range of a JSON evidence document (``Loader.load_range``), from :func:`divide_json`.

    The range's records are parsed as a list; its lines are the file's (the newlines before it counted); its
    first record's index is the count of lines since the first record's, which holds because every range but the
    last must hold as many newlines as records: one record a line. Raises :class:`RangeError` when the range is not
    whole records in that layout, when the envelope is not as divided, or for any problem a whole load reports.
    """
    # The range as the records of a small envelope, their first line its second: the loader's own line tables apply.
    # The range is read into the envelope's bytes (no copy of hundreds of megabytes to frame it).
    read = read_range(path, span, tail=HEAD_BYTES, frame=(_RANGE_OPEN, _RANGE_CLOSE))
    layout = _layout(path, read.head, read.tail, span.size)
    if layout is None:
        raise RangeError("the records are not in the layout divided")
    whole = read.framed
    assert whole is not None  # asked for
    opened = len(_RANGE_OPEN)
    stop = len(whole) - len(_RANGE_CLOSE)  # the range's end in the envelope
    last = span.end == layout.closed
    if span.start < layout.first_line or span.end > layout.closed or not whole.startswith(layout.indent + b"{", opened):
        raise RangeError("not a range of whole records")
    end = stop
    if not last:
        while end > opened and whole[end - 1] in b" \t\r\n":
            end -= 1
        if end == opened or whole[end - 1] != 0x2C:  # a comma
            raise RangeError("the range does not end after a record")
        end -= 1
    trailing = whole.count(b"\n", end, stop)  # the newlines after the last record's comma
    if end < stop:
        whole[end:] = _RANGE_CLOSE  # the comma and what follows it dropped
    try:
        doc = orjson.loads(whole)
    except orjson.JSONDecodeError:
        raise RangeError("the range is not whole records") from None
    records = doc["records"]
    counted = tally(whole)
    # The range's newlines: the joined bytes' less the two added, and those after the last record's comma.
    if not last and counted.newlines - 2 + trailing != len(records):
        raise RangeError("the records do not each start a line of their own")
    objects = _all_objects(records)
    if not _keys_unique(whole, doc, objects, counted):
        raise RangeError("a key may repeat in a record")
    table = _line_table(whole, doc, objects, counted)
    shift = read.newlines + 1 - 2  # the range's first line is the file's newlines + 1, the envelope's line 2
    lines: Sequence[int]
    if type(table) is range:
        lines = range(table.start + shift, table.stop + shift)
    else:
        lines = array("I", [line + shift if line else 0 for line in table])
    envelope = layout.envelope
    source = SourceFile(path, path.as_posix(), layout.envelope_bytes)
    try:
        document = from_envelope(source, envelope, LineTable(lines), key_line=_key_lines(layout.envelope_bytes))
    except EvidenceError:
        raise RangeError("the envelope is not valid") from None
    document.records = records
    document.first = read.newlines - read.head.count(b"\n", 0, layout.first_line)
    return [document]


@hookimpl
def capcheck_loaders() -> Sequence[Loader]:
    """The JSON loader."""
    return [
        Loader(
            name="json",
            extensions=(".json",),
            load=load_json,
            description="JSON evidence document",
            kinds_of=kinds_of_json,
            divide=divide_json,
            load_range=load_json_range,
        )
    ]
