"""Terminal escaping: untrusted text shown visibly on one line, never obeyed as a control sequence.

Evidence values (file names, record ids, messages, waiver tickets) reach the text report, ``diff``'s
text output and the CLI's error messages. A raw ``ESC`` could clear the screen, forge colours or set
the window title (OSC), a ``CR`` could overwrite a line, a newline could forge one, a bidi override
could reorder it. :func:`terminal` shows every character that is not printable the way
:mod:`capcheck.core.escaping.controls` does (``␛``, ``␊``, ``\\x9b``, ``\\u202e`` ...), including format
characters (zero-width, soft hyphen) and line/paragraph separators; ordinary text, non-ASCII letters
and the plain space are unchanged.

:func:`width`, :func:`pad` and :func:`clip` measure and fit text in terminal columns: a CJK or emoji
character takes two columns, a combining mark none, so aligned columns stay aligned whatever the evidence holds.
"""

from __future__ import annotations

import unicodedata

from capcheck.core.escaping.controls import visible

__all__ = ["clip", "pad", "terminal", "width"]

#: Categories a terminal would obey or hide: controls, format characters, surrogates, line/paragraph separators.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def terminal(value: object) -> str:
    """``value`` as text safe to print on one terminal line: controls shown visibly, never obeyed."""
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(visible(ch) if unicodedata.category(ch) in _HIDDEN_CATEGORIES else ch for ch in text)


def _columns(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width(text: str) -> int:
    """How many terminal columns ``text`` takes (already made safe by :func:`terminal`)."""
    if text.isascii():
        return len(text)
    return sum(_columns(ch) for ch in text)


def pad(text: str, columns: int) -> str:
    """``text`` followed by spaces up to ``columns`` columns (unchanged when it is as wide or wider)."""
    return text + " " * max(0, columns - width(text))


def clip(text: str, columns: int) -> str:
    """``text`` cut to at most ``columns`` columns, ending with ``…`` when it was cut."""
    if width(text) <= columns:
        return text
    out: list[str] = []
    used = 0
    for ch in text:
        w = _columns(ch)
        if used + w > columns - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "\u2026"
