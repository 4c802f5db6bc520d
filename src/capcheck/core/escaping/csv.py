"""CSV escaping: cells no spreadsheet runs as a formula, quoted so that no value can start a new row.

A spreadsheet evaluates a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` (some also after
leading spaces, tabs, line breaks or quote characters, or with the full-width U+FF1D, U+FF0B, U+FF0D, U+FF20), and
a cell starting with a tab or a carriage return is suspect too. Such a cell gets a leading ``'``,
which spreadsheets show as text. A cell holding a comma, a double quote, a carriage return or a line
feed is always quoted (RFC 4180, quotes doubled): the csv module only quotes its line terminator's
characters, so with ``\\n`` endings a bare ``\\r`` was left unquoted and ``x\\r=1+1`` started a new row
with a live formula. Other control characters are revealed (:mod:`capcheck.core.escaping.controls`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from capcheck.core.escaping.controls import hidden_pattern, visible

__all__ = ["FORMULA_START", "csv_cell", "csv_line"]

#: What makes a spreadsheet read a cell as a formula (after any leading blanks or quotes).
FORMULA_START = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
#: Leading characters spreadsheets may skip before looking for a formula.
_LEADING = " \t\r\n\"'\u00a0\u3000"
#: First characters that need a closer look (a formula start, or a blank or quote before one).
_SUSPECT = frozenset(FORMULA_START) | frozenset(_LEADING)
_HIDDEN = hidden_pattern("\t\r\n")
_QUOTE_IF = re.compile('[,"\r\n]')


def csv_cell(value: object) -> str:
    """A cell's text that no spreadsheet will evaluate as a formula (CSV injection), before quoting."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if not text.isprintable():
        text = _HIDDEN.sub(lambda m: visible(m.group()), text)
    if text[:1] in _SUSPECT and (text.startswith(("\t", "\r")) or text.lstrip(_LEADING).startswith(FORMULA_START)):
        return "'" + text
    return text


def _quoted(text: str) -> str:
    if text.isprintable() and "," not in text and '"' not in text:  # no CR/LF either: they are not printable
        return text
    if _QUOTE_IF.search(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


def csv_line(cells: Iterable[object]) -> str:
    """One CSV record: each cell neutralised (:func:`csv_cell`), quoted when it must be, ending in ``\\n``."""
    return ",".join(_quoted(csv_cell(c)) for c in cells) + "\n"
