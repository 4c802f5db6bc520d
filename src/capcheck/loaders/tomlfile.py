"""The built-in TOML evidence loader (``tomllib``); records are ``[[records]]`` tables."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence

from capcheck.hookspecs import hookimpl
from capcheck.loaders import (
    Document,
    LoadContext,
    Loader,
    SourceFile,
    decode_text,
    from_envelope,
    normalise_values,
)

__all__ = ["load_toml"]

_RECORD_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*records[ \t]*\]\]", re.M)
_AT_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def load_toml(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Parse a TOML evidence document."""
    text = decode_text(source)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _AT_LINE.search(message)
        cause = _AT_LINE.sub("", message).strip()
        raise source.fail(f"malformed TOML: {cause}", line=int(match.group(1)) if match else None) from None
    except RecursionError:
        raise source.fail("malformed TOML: nested too deeply") from None
    doc = normalise_values(source, doc)
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
