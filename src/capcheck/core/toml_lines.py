"""Where each key of a TOML document is written: its line, by JSON pointer (for config problems' lines).

:func:`key_lines` scans a document that already parsed (``tomllib`` said it is TOML) and records the line
of every key, table header and array item: ``/options/COMM-001/max_days`` is the line of ``max_days = 9``
under ``[options.COMM-001]``; a table is the line of its first header (or first dotted key) naming it; an
array of tables' item ``/mapping/1`` is its second ``[[mapping]]`` header. :func:`line_of` finds the line
of a pointer, or of the nearest enclosing key written (a value's problem inside an inline table or array
is on the line of its key at worst). It is best effort: it never raises, and a pointer it cannot place
gets None (the problem is still named by its pointer).
"""

from __future__ import annotations

import bisect
import contextlib
import re
import tomllib
from collections.abc import Mapping

from capcheck.core.side_inputs import escape_token

__all__ = ["key_lines", "line_of"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
#: Where a scalar value (number, boolean, date) ends.
_SCALAR_END = re.compile(r"[,\]}\n#]|$")


def key_lines(text: str) -> dict[str, int]:
    """The line (1-based) of each key, table and array item of a TOML document, by JSON pointer.

    The document must be TOML (parse it first); on text that is not, what was found before the scanner
    lost its way is returned."""
    scanner = _Scanner(text)
    with contextlib.suppress(IndexError, ValueError, tomllib.TOMLDecodeError):  # not TOML: keep what was placed
        scanner.document()
    return scanner.lines


def line_of(lines: Mapping[str, int], pointer: str) -> int | None:
    """The line of ``pointer`` in a :func:`key_lines` table, else of the nearest enclosing key found; None if none."""
    while pointer:
        line = lines.get(pointer)
        if line is not None:
            return line
        pointer = pointer.rpartition("/")[0]
    return None


class _Scanner:
    """A recursive-descent walk over valid TOML that records where keys are, not what values are."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.lines: dict[str, int] = {}
        #: How many ``[[...]]`` headers each array of tables has had so far (by its resolved path).
        self.arrays: dict[tuple[str | int, ...], int] = {}
        self.last = -1

    def _line(self, at: int) -> int:
        return bisect.bisect_left(self.newlines, at) + 1

    def _mark(self, parts: tuple[str | int, ...], at: int, *, first: bool = False) -> None:
        pointer = "".join(f"/{escape_token(p)}" for p in parts)
        if first:
            self.lines.setdefault(pointer, self._line(at))
        else:
            self.lines[pointer] = self._line(at)

    def _blank(self, newlines: bool = True) -> None:
        """Skip spaces, tabs, comments and (when ``newlines``) line ends."""
        text, n = self.text, len(self.text)
        while self.i < n:
            c = text[self.i]
            if c in " \t" or (newlines and c in "\r\n"):
                self.i += 1
            elif c == "#":
                end = text.find("\n", self.i)
                self.i = n if end < 0 else end
            else:
                return

    def document(self) -> None:
        table: tuple[str | int, ...] = ()
        while True:
            self._blank()
            if self.i >= len(self.text):
                return
            at = self.i
            if self.text.startswith("[[", at):
                self.i += 2
                keys = self._key()
                table = self._resolve(keys, array=True, at=at)
                self.i = self.text.index("]]", self.i) + 2
            elif self.text[at] == "[":
                self.i += 1
                keys = self._key()
                table = self._resolve(keys, array=False, at=at)
                self.i = self.text.index("]", self.i) + 1
            else:
                self._pair(table)

    def _resolve(self, keys: list[str], *, array: bool, at: int) -> tuple[str | int, ...]:
        """A header's path, with the current item of each array of tables on the way; marks its line."""
        parts: tuple[str | int, ...] = ()
        for n, key in enumerate(keys):
            parts = (*parts, key)
            last = n == len(keys) - 1
            if last and array:
                count = self.arrays.get(parts, 0)
                self.arrays[parts] = count + 1
                self._mark(parts, at, first=True)
                parts = (*parts, count)
                self._mark(parts, at)
            elif parts in self.arrays:
                self._mark(parts, at, first=True)
                parts = (*parts, self.arrays[parts] - 1)
            else:
                self._mark(parts, at, first=not last)
        return parts

    def _key(self) -> list[str]:
        """A (dotted) key: its parts, unquoted."""
        keys: list[str] = []
        text = self.text
        while True:
            self._blank(newlines=False)
            c = text[self.i]
            if c == '"':
                start = self.i
                self._basic_string()
                keys.append(tomllib.loads(f"k = {text[start : self.i]}")["k"])
            elif c == "'":
                end = text.index("'", self.i + 1)
                keys.append(text[self.i + 1 : end])
                self.i = end + 1
            else:
                match = _BARE_KEY.match(text, self.i)
                if match is None:
                    raise ValueError(f"no key at offset {self.i}")
                keys.append(match.group())
                self.i = match.end()
            self._blank(newlines=False)
            if self.i < len(text) and text[self.i] == ".":
                self.i += 1
                continue
            return keys

    def _pair(self, table: tuple[str | int, ...]) -> None:
        """``key = value``: marks the key (and each dotted prefix it opens), then walks the value."""
        at = self.i
        keys = self._key()
        for n in range(1, len(keys)):
            self._mark((*table, *keys[:n]), at, first=True)
        parts = (*table, *keys)
        self._mark(parts, at)
        self._blank(newlines=False)
        if self.text[self.i] != "=":
            raise ValueError(f"no '=' at offset {self.i}")
        self.i += 1
        self._blank(newlines=False)
        self._value(parts)

    def _value(self, parts: tuple[str | int, ...]) -> None:
        text = self.text
        c = text[self.i]
        if c == '"':
            self._basic_string()
        elif c == "'":
            if text.startswith("'''", self.i):
                self.i = text.index("'''", self.i + 3) + 3
                while self.i < len(text) and text[self.i] == "'":  # up to two quotes end the content
                    self.i += 1
            else:
                self.i = text.index("'", self.i + 1) + 1
        elif c == "[":
            self.i += 1
            n = 0
            while True:
                self._blank()
                self._advancing()
                if text[self.i] == "]":
                    self.i += 1
                    return
                self._mark((*parts, n), self.i)
                self._value((*parts, n))
                n += 1
                self._blank()
                if text[self.i] == ",":
                    self.i += 1
        elif c == "{":
            self.i += 1
            while True:
                self._blank()
                self._advancing()
                if text[self.i] == "}":
                    self.i += 1
                    return
                self._pair(parts)
                self._blank()
                if text[self.i] == ",":
                    self.i += 1
        else:
            match = _SCALAR_END.search(text, self.i)
            self.i = match.start() if match is not None else len(text)

    def _advancing(self) -> None:
        """Refuse to go round a loop again at the same place (text that is not TOML): never hang."""
        if self.i == self.last:
            raise ValueError(f"stuck at offset {self.i}")
        self.last = self.i

    def _basic_string(self) -> None:
        """Step over a basic string, one-line or multi-line (escapes honoured)."""
        text = self.text
        if text.startswith('"""', self.i):
            self.i += 3
            while not text.startswith('"""', self.i):
                self.i += 2 if text[self.i] == "\\" else 1
            self.i += 3
            while self.i < len(text) and text[self.i] == '"':  # up to two quotes end the content
                self.i += 1
            return
        self.i += 1
        while text[self.i] != '"':
            self.i += 2 if text[self.i] == "\\" else 1
        self.i += 1
