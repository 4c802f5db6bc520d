"""Text as people read it: characters drawn as nothing, and letters drawn like Latin ones.

Two judges compare values as they look, not as they are encoded: the scorecard's copy key (a copy of a record
changed only in such characters is still a copy: :mod:`capcheck.assessment.facts`) and the placeholders (an
owner written "TBC" in Cyrillic letters (U+0422 U+0412 U+0421), in full-width ones or with a zero width space is
still "TBC": :func:`capcheck.core.rules.is_missing`). One definition of each table for both.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["IGNORABLE", "LOOKALIKES", "drawn_as_nothing", "is_ignorable", "is_plain_ascii", "plain_form"]

#: The characters drawn as nothing, as ranges of code points: Unicode's Default_Ignorable_Code_Point (the soft
#: hyphen, zero width spaces and joiners, direction marks and overrides, invisible operators, variation selectors,
#: Hangul fillers, tag characters); the controls (category Cc) that are not white space (``str.strip`` removes
#: those: tab, line breaks, U+001C-U+001F, U+0085); the format characters (category Cf) that are not ignorable by
#: that property yet have no glyph (the interlinear annotation controls, the Egyptian hieroglyph format controls;
#: the prepended concatenation marks, U+0600-U+0605 and the like, are drawn with the digits they precede and are
#: kept); and the symbols and letters whose glyph is empty (U+2800 BRAILLE PATTERN BLANK, U+1D159 MUSICAL SYMBOL
#: NULL NOTEHEAD, U+16FE4 KHITAN SMALL SCRIPT FILLER): an owner of three Braille blanks was an owner. The reports
#: show most of them (:mod:`capcheck.core.escaping.controls`), but nobody reads every record for them.
IGNORABLE = (
    (0x0000, 0x0008),
    (0x000E, 0x001B),
    (0x007F, 0x0084),
    (0x0086, 0x009F),
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x2800, 0x2800),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFFB),
    (0x13430, 0x1343F),
    (0x16FE4, 0x16FE4),
    (0x1BCA0, 0x1BCA3),
    (0x1D159, 0x1D159),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
#: Cyrillic and Greek letters drawn like Latin ones (Unicode's confusables.txt, the letters NFKD and NFKC leave
#: alone), as a ``str.translate`` table to the Latin letters they look like.
LOOKALIKES = str.maketrans(
    "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0456\u0458\u0455\u0501\u04bb\u051b\u051d\u04cf"
    "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0406\u0408\u0405\u04ae"
    "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u03bf\u03bd",
    "aeopcyxijsdhqwlABEKMHOPCTXIJSYABEZHIKMNOPTYXov",
)


#: :data:`IGNORABLE` as one character class: removing them from a text is one C pass, not a call per character.
_IGNORED = re.compile("[" + "".join(f"{re.escape(chr(low))}-{re.escape(chr(high))}" for low, high in IGNORABLE) + "]")


def is_ignorable(code: int) -> bool:
    """Whether the character of code point ``code`` is drawn as nothing (:data:`IGNORABLE`)."""
    return any(low <= code <= high for low, high in IGNORABLE)


def drawn_as_nothing(text: str) -> bool:
    """Whether ``text`` shows nothing: empty once the characters drawn as nothing (:data:`IGNORABLE`) and white
    space are dropped (``"\u200b\u2800"``, ``"\x00"``; not ``"A\u200b"``)."""
    return not _IGNORED.sub("", text).strip()


def is_plain_ascii(text: str) -> bool:
    """Whether ``text`` is printable ASCII (a tab or a line break is not): it reads as it is written, and
    :func:`plain_form` only trims and case-folds it. The ASCII controls (``\\x00``) are drawn as nothing."""
    return text.isascii() and text.isprintable()


def plain_form(text: str) -> str:
    """``text`` as it reads, to compare with plain words: characters drawn as nothing dropped, compatibility
    forms as their plain letters (NFKC: a full-width T, U+FF34, is ``T``), look-alike letters as Latin ones, spaces at
    either end dropped, case-folded. A printable ASCII text is only trimmed and case-folded; callers that meet
    mostly such text test it first (:func:`is_plain_ascii`)."""
    if not (text.isascii() and text.isprintable()):
        # C-speed passes only: a megabyte of text costs milliseconds (a loop per character took 0.6 s)
        text = unicodedata.normalize("NFKC", _IGNORED.sub("", text)).translate(LOOKALIKES)
    return text.strip().casefold()
