"""The one expat set-up of the XML loaders (CycloneDX XML, the ``.xlsx`` reader): a document type declaration refused.

A document type declaration is refused as the parser meets it, before its internal subset is read, so no
entity can be declared: none expanded (billion laughs) and none fetched (external entities; expat fetches
none without a handler anyway). What refusing means is the caller's: ``refuse`` is called with the line
of the declaration and raises the caller's error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn
from xml.parsers import expat

__all__ = ["guarded_parser"]


def guarded_parser(refuse: Callable[[int], NoReturn], *, namespaces: bool = True, buffer_size: int = 0) -> Any:
    """An expat parser that calls ``refuse(line)`` on a DOCTYPE or ENTITY declaration, its text buffered.

    :param namespaces: element names are ``"uri local"`` (namespace processing), else as written.
    :param buffer_size: the text buffer's size (expat's default when 0).
    """
    parser = expat.ParserCreate(namespace_separator=" ") if namespaces else expat.ParserCreate()

    def declared(*_: Any) -> NoReturn:
        refuse(parser.CurrentLineNumber)

    parser.buffer_text = True
    if buffer_size:
        parser.buffer_size = buffer_size
    parser.StartDoctypeDeclHandler = declared
    parser.EntityDeclHandler = declared
    return parser
