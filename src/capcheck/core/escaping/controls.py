"""How every output shows a control character it must not pass through: visibly, the same way everywhere.

C0 controls and DEL become their Unicode control pictures (``\\x1b`` -> ``␛``, ``\\r`` -> ``␍``,
``\\n`` -> ``␊``, ``\\x07`` -> ``␇``, ``\\x7f`` -> ``␡``); any other hidden character becomes its
escape text (the C1 CSI ``\\x9b`` -> ``\\x9b``, a bidi override ``\\u202e``, a zero width space
``\\u200b``, a lone surrogate from an undecodable file name ``\\udcff``). An auditor reading any report sees
that a value held ``ESC[2J``, and no terminal, spreadsheet, browser or XML parser acts on it.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["INVISIBLE", "hidden_pattern", "reveal", "visible"]

#: The invisible characters no register's text needs but to hide or disguise something: the zero width space,
#: the Mongolian vowel separator, the word joiner and invisible operators, the deprecated format controls,
#: the zero width no-break space (a BOM inside text), the interlinear annotation controls and the tag
#: characters (text invisible to a reader, "ASCII smuggling"). ``CON-\ufeff001`` looked like ``CON-001`` in
#: every file format (the terminal showed it). The zero width joiners (U+200C/D: some scripts and emoji need
#: them), the soft hyphen and the variation selectors are text, and are kept.
INVISIBLE = "\u180e\u200b\u2060-\u2064\u206a-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f"
#: What every file format reveals: C0/C1 controls and DEL, surrogates (UTF-8 cannot encode them), the
#: line and paragraph separators (line breaks to some viewers), the bidi controls (they reorder what a
#: reader sees: "Trojan Source"), the :data:`INVISIBLE` characters, and the non-characters U+FFFE/F.
_HIDDEN = (
    "\x00-\x1f\x7f-\x9f\ud800-\udfff\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff" + INVISIBLE
)


def visible(ch: str) -> str:
    """The visible stand-in of one character: a control picture for C0 and DEL, else escape text."""
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


@lru_cache(maxsize=8)
def hidden_pattern(keep: str = "") -> re.Pattern[str]:
    """The compiled class of hidden characters (see the module docstring) other than those in ``keep``."""
    allowed = "".join(re.escape(ch) for ch in keep)
    return re.compile(f"[{_HIDDEN}]" if not keep else f"(?![{allowed}])[{_HIDDEN}]")


def _visible_match(match: re.Match[str]) -> str:
    return visible(match.group())


def reveal(text: str, keep: str = "") -> str:
    """``text`` with every hidden character (see the module docstring) but those in ``keep`` made visible."""
    if text.isprintable():  # every hidden character is non-printable: the common case costs one C call
        return text
    return hidden_pattern(keep).sub(_visible_match, text)
