"""Terminal escaping: untrusted text shown visibly on one line, never obeyed as a control sequence.

Evidence values (file names, record ids, messages, waiver tickets) reach the text report, ``diff``'s
text output and the CLI's error messages. A raw ``ESC`` could clear the screen, forge colours or set
the window title (OSC), a ``CR`` could overwrite a line, a newline could forge one, a bidi override
could reorder it. :func:`terminal` shows every character that is not printable the way
:mod:`capcheck.escaping.controls` does (``␛``, ``␊``, ``\\x9b``, ``\\u202e`` ...), including format
characters (zero-width, soft hyphen) and line/paragraph separators; ordinary text, non-ASCII letters
and the plain space are unchanged.
"""

from __future__ import annotations

import unicodedata

from capcheck.escaping.controls import visible

__all__ = ["terminal"]

#: Categories a terminal would obey or hide: controls, format characters, surrogates, line/paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def terminal(value: object) -> str:
    """``value`` as text safe to print on one terminal line: controls shown visibly, never obeyed."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(visible(ch) if unicodedata.category(ch) in _HIDDEN_CATEGORIES else ch for ch in text)
