"""JSON escaping: what a JSON encoder leaves raw, escaped; what UTF-8 cannot carry, made visible.

Encoders escape only ``\\x00``-``\\x1f``: DEL, the C1 controls (``\\x9b`` is a terminal's CSI), the
line/paragraph separators and the bidi controls stay raw, and act on whoever prints or views
the file. :func:`json_text` rewrites each as its ``\\uXXXX`` escape: outside strings JSON text is
ASCII, so the document means exactly the same. A lone surrogate (Python's stand-in for an
undecodable byte in a file name) makes ``orjson`` refuse the document and a UTF-8 write fail:
:func:`json_safe` writes each as its escape text (``\\udcff``, :mod:`capcheck.core.escaping.controls`) in
every string, keys included; reporters call it only when encoding failed, so the common case costs nothing.
"""

from __future__ import annotations

import re
from typing import Any

from capcheck.core.escaping.controls import INVISIBLE, visible

__all__ = ["indented", "json_safe", "json_text"]

_SURROGATE = re.compile("[\ud800-\udfff]")
_RAW = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff" + INVISIBLE + "]"
)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    # A surrogate cannot be written at all: the string gets its escape text, as json_safe gives it.
    if 0xD800 <= code <= 0xDFFF:
        return f"\\\\u{code:04x}"
    if code > 0xFFFF:  # a tag character: JSON escapes it as its UTF-16 surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_text(encoded: str) -> str:
    """Encoded JSON (``ensure_ascii=False``) with what encoders leave raw (DEL, C1, separators, bidi) as
    ``\\uXXXX``, and each lone surrogate as its escape text (:func:`json_safe`), in one pass."""
    if encoded.isascii() and "\x7f" not in encoded:  # the common case: nothing to rewrite, two C scans
        return encoded
    return _RAW.sub(_escaped, encoded)


def json_safe(data: Any) -> Any:
    """``data`` (JSON-like: dicts, lists, scalars) with every lone surrogate in its strings made visible."""
    if isinstance(data, str):
        return _SURROGATE.sub(lambda m: visible(m.group()), data)
    if isinstance(data, dict):
        return {json_safe(k): json_safe(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [json_safe(v) for v in data]
    return data


def indented(data: list[Any] | dict[str, Any]) -> str:
    """``data`` as ``json.dumps(data, indent=2, ensure_ascii=False)`` writes it (orjson writes the same for
    strings, integers, booleans, lists and dicts, faster), a lone surrogate as its escape text (:func:`json_safe`).
    The streaming reporters (SARIF, OSCAL) encode their items in chunks with it."""
    import orjson  # only when a reporter writes: never on start-up

    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode("utf-8")
    except orjson.JSONEncodeError:  # a lone surrogate
        return orjson.dumps(json_safe(data), option=orjson.OPT_INDENT_2).decode("utf-8")
