"""JSON escaping: the encoder escapes every control character; what is left is text UTF-8 cannot carry.

A lone surrogate (Python's stand-in for an undecodable byte in a file name, ``\\udcff``) makes
``orjson`` refuse the document and a UTF-8 write fail. :func:`json_safe` writes each one as its
escape text (``\\udcff``, as :mod:`capcheck.escaping.controls` shows it) in every string of a
document, keys included. Reporters call it only when encoding failed, so the common case costs nothing.
"""

from __future__ import annotations

import re
from typing import Any

from capcheck.escaping.controls import visible

__all__ = ["json_safe"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def json_safe(data: Any) -> Any:
    """``data`` (JSON-like: dicts, lists, scalars) with every lone surrogate in its strings made visible."""
    if isinstance(data, str):
        return _SURROGATE.sub(lambda m: visible(m.group()), data)
    if isinstance(data, dict):
        return {json_safe(k): json_safe(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [json_safe(v) for v in data]
    return data
