"""The built-in TOML evidence loader (``tomllib``); records are ``[[records]]`` tables."""

from __future__ import annotations

import re
from collections.abc import Sequence

from capcheck.core.hookspecs import hookimpl
from capcheck.core.loading import (
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

__all__ = ["load_toml"]

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


@hookimpl
def capcheck_loaders() -> Sequence[Loader]:
    """The TOML loader."""
    return [Loader(name="toml", extensions=(".toml",), load=load_toml, description="TOML evidence document")]
