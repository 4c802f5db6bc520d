"""The built-in TOML evidence loader (``tomllib``); records are ``[[records]]`` tables."""

from __future__ import annotations

import re
import tomllib
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
from capcheck.core.side_inputs import parse_toml

__all__ = ["envelope_kind", "load_toml"]

_RECORD_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*records[ \t]*\]\]", re.M)


def load_toml(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Parse a TOML evidence document."""
    text = decode_text(source)
    # The strict TOML parser every input file shares: located errors for huge integers and deep nesting too.
    doc = normalise_values(source, parse_toml(text, source, max_depth=MAX_DEPTH))
    headers = [text.count("\n", 0, m.start()) + 1 for m in _RECORD_HEADER.finditer(text)]

    def locate(index: int) -> int | None:
        return headers[index] if index < len(headers) else None

    def key_line(key: str) -> int | None:
        match = re.search(rf"^[ \t]*{re.escape(key)}[ \t]*=", text, re.M)
        return text.count("\n", 0, match.start()) + 1 if match else None

    return [from_envelope(source, doc, locate, key_line=key_line)]


#: The first line that opens a table (``[[records]]``): the top-level keys are all above it.
_TABLE_LINE = re.compile(r"^[ \t]*\[", re.M)


def envelope_kind(head: bytes, whole: bool) -> str | None:
    """The top-level ``kind`` of a TOML evidence document, read from its first bytes (``whole``: all of them), or
    None unless they say it for certain.

    Top-level keys all come before the first table header, so the lines above it (whole lines only) are parsed
    alone: were the header line inside a multi-line string or array, the part would not parse, and the answer
    is None; were the part cut off by the head's end, a later line could only repeat ``kind``, which the loader
    refuses.
    """
    text = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    if not whole:
        text = text[: text.rfind(b"\n") + 1]  # complete lines only
    try:
        top = text.decode("utf-8")
    except UnicodeDecodeError:
        return None
    table = _TABLE_LINE.search(top)
    if table is not None:
        top = top[: table.start()]
    try:
        kind = tomllib.loads(top).get("kind")
    except tomllib.TOMLDecodeError:
        return None
    return kind if type(kind) is str and kind else None


def kinds_of_toml(path: Path, head: bytes, context: LoadContext) -> frozenset[str] | None:
    """The TOML loader's peek (``Loader.kinds_of``): the envelope's ``kind``, from the lines above the first table."""
    kind = envelope_kind(head, whole=len(head) < HEAD_BYTES)
    return frozenset({kind}) if kind is not None else None


@hookimpl
def capcheck_loaders() -> Sequence[Loader]:
    """The TOML loader."""
    return [
        Loader(
            name="toml",
            extensions=(".toml",),
            load=load_toml,
            description="TOML evidence document",
            kinds_of=kinds_of_toml,
        )
    ]
