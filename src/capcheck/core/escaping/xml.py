"""XML escaping: untrusted text that XML 1.0 can carry, for JUnit (SARIF's JSON uses :mod:`.json`).

XML 1.0 cannot carry most C0 controls, surrogates or U+FFFE/F at all (a parser rejects the
document), and discourages DEL and the C1 controls; a raw carriage return is read back as a line
feed. :func:`xml_text` reveals all of them (:mod:`capcheck.core.escaping.controls`), keeping tab and line
feed; ElementTree escapes ``& < > "`` itself.
"""

from __future__ import annotations

from capcheck.core.escaping.controls import reveal

__all__ = ["xml_text"]


def xml_text(value: object) -> str:
    """``value`` as text XML 1.0 can carry: hidden characters revealed, tab and line feed kept."""
    return reveal("" if value is None else str(value), keep="\t\n")
