"""The built-in YAML evidence loader: safe loading only, no aliases, bounded nesting.

The safety checks are :func:`capcheck.core.side_inputs.parse_yaml`'s, shared with every YAML side input:
the event stream is read first to reject aliases (the "billion laughs" bomb) and nesting deeper
than :data:`~capcheck.core.loading.MAX_DEPTH` before any object is built; then the document is composed
(for line numbers) and constructed with the *safe* constructor, so tags such as
``!!python/object`` are errors, never code, and a duplicate key is an error with its line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from capcheck.core.hookspecs import hookimpl
from capcheck.core.loading import (
    HEAD_BYTES,
    MAX_DEPTH,
    Document,
    LoadContext,
    Loader,
    SourceFile,
    decode_text,
    from_envelope,
    normalise_values,
)
from capcheck.core.side_inputs import parse_yaml

__all__ = ["envelope_kind", "load_yaml"]


def load_yaml(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Parse a YAML evidence document."""
    import yaml  # lazily: PyYAML costs start-up time, and only a YAML file needs it

    decode_text(source)  # strict UTF-8 with the bad byte's offset; the text itself is not kept
    # libyaml reads the bytes as they are: holding a decoded copy too would cost up to 4x their size.
    node, doc = parse_yaml(source.data, source, max_depth=MAX_DEPTH, holds="evidence")
    if node is None:
        raise source.fail("the file is empty: expected an object with 'kind' and 'records'", line=1)
    doc = normalise_values(source, doc)

    record_lines: list[int] = []
    key_lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key_lines[str(key_node.value)] = key_node.start_mark.line + 1
            if key_node.value == "records" and isinstance(value_node, yaml.SequenceNode):
                record_lines = [item.start_mark.line + 1 for item in value_node.value]

    def locate(index: int) -> int | None:
        return record_lines[index] if index < len(record_lines) else None

    return [from_envelope(source, doc, locate, key_line=key_lines.get)]


# ---------------------------------------------------------------- the peek: the kind, from the first lines

#: A top-level ``key: value`` line of a block mapping (a plain key at column 0; the value to the line's end).
_MEMBER = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?: +(.*))?")
#: A quoted value closed on its line (possessive: a long line is scanned once).
_QUOTED = re.compile(r""""(?:[^"\\]++|\\.)*+"|'(?:[^']++|'')*+'""")
#: The ``kind`` value the peek accepts: a plain or simply quoted name (no escape to interpret).
_KIND_VALUE = re.compile(r"""(?:([A-Za-z][A-Za-z0-9_.-]*)|"([^"\\]*)"|'([^']*)')(?: +#.*)? *""")
#: Plain scalars YAML 1.1 (PyYAML) reads as a boolean or null, not a string.
_NOT_STRINGS = frozenset(
    {"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE"}
    | {"on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL"}
)
#: Line breaks YAML 1.1 knows beside "\n" ("\r" only ends a line before "\n" here), and the tab.
_ODD_BREAKS = re.compile("[\r\x85\u2028\u2029\t]")


def envelope_kind(head: bytes, whole: bool) -> str | None:
    """The top-level ``kind`` of a YAML evidence document, read from its first lines (``whole``: all of them),
    or None unless they say it for certain.

    Only the plainest layout is read: the top level a block mapping whose members before ``kind`` each sit on one
    line (``key: value`` at column 0, the value closed on its line), blank lines, comments and a first ``---``;
    ``kind``'s value plain or quoted without escapes, and the next line that is not blank starting at column 0 (so
    the value does not go on). Anything else (records first, a nested or multi-line value, flow style, anchors,
    tabs, a value YAML reads as a boolean or null) is None: the loader's parser is the only full reader of YAML.
    """
    text = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if not whole:
        text = text[: text.rfind(b"\n") + 1]  # complete lines only
    try:
        lines = text.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None
    if not whole:
        lines.pop()  # the empty string after the last newline
    lines = [line.removesuffix("\r") for line in lines]
    started = False
    for number, line in enumerate(lines):
        if _ODD_BREAKS.search(line):
            return None
        if not line.strip(" ") or line.startswith("#"):
            continue
        if line.rstrip(" ") == "---" and not started:
            started = True
            continue
        started = True
        member = _MEMBER.fullmatch(line)
        if member is None:
            return None
        key, value = member.group(1), member.group(2) or ""
        if key != "kind":
            if not _one_line(value):
                return None
            continue
        found = _KIND_VALUE.fullmatch(value)
        if found is None or found.group(1) in _NOT_STRINGS:
            return None
        kind = next(group for group in found.groups() if group is not None)
        following = next((later for later in lines[number + 1 :] if later.strip(" ") and later[0] != "#"), None)
        if following is None and not whole:
            return None  # the next line may go on with the value
        if following is not None and following[:1] in (" ", "\t"):
            return None
        return kind or None
    return None


def _one_line(value: str) -> bool:
    """Whether a member's value is wholly on its line: a quoted scalar closed on it, or a plain one that opens
    nothing (its first character no indicator: not a flow collection, block scalar, anchor, alias or tag), each
    perhaps followed by a comment. A plain value holding ": " is an error the parser reports: refused too. No value
    (null, or a nested block: its lines are indented, or open with "- ", and the peek stops there) is on its line."""
    if not value or value.startswith("#"):
        return True
    if value[:1] in ('"', "'"):
        quoted = _QUOTED.match(value)
        if quoted is None:
            return False
        rest = value[quoted.end() :]
        return not rest.strip(" ") or (rest[:1] == " " and rest.lstrip(" ")[:1] == "#")
    if not value[0].isascii() or not (value[0].isalnum() or value[0] in "_./("):
        return False
    comment = value.find(" #")
    plain = (value if comment < 0 else value[:comment]).rstrip(" ")
    return ": " not in plain and not plain.endswith(":")


def kinds_of_yaml(path: Path, head: bytes, context: LoadContext) -> frozenset[str] | None:
    """The YAML loader's peek (``Loader.kinds_of``): the envelope's ``kind``, when its first lines say it plainly."""
    kind = envelope_kind(head, whole=len(head) < HEAD_BYTES)
    return frozenset({kind}) if kind is not None else None


@hookimpl
def capcheck_loaders() -> Sequence[Loader]:
    """The YAML loader."""
    return [
        Loader(
            name="yaml",
            extensions=(".yaml", ".yml"),
            load=load_yaml,
            description="YAML evidence document",
            kinds_of=kinds_of_yaml,
        )
    ]
