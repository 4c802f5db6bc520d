"""The XML loaders' one expat set-up: a document type declaration refused at its line, nothing expanded."""

from __future__ import annotations

from typing import NoReturn

import pytest

from capcheck.builtins.loaders.xmlparse import guarded_parser


class Refused(Exception):
    pass


def refuse(line: int) -> NoReturn:
    raise Refused(line)


@pytest.mark.parametrize("namespaces", [True, False])
@pytest.mark.parametrize(
    ("document", "line"),
    [
        # billion laughs: refused at the DOCTYPE, before any entity is declared or expanded
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE r [\n<!ENTITY a "aaaaaaaaaa">\n<!ENTITY b "&a;&a;&a;&a;&a;">\n]>\n'
            + b"<r>&b;</r>",
            2,
        ),
        (b'<?xml version="1.0"?>\n\n<!DOCTYPE r SYSTEM "file:///etc/passwd">\n<r/>', 3),  # an external DTD
        (b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', 1),  # an external entity
        (b"<!DOCTYPE r><r/>", 1),  # any DOCTYPE
    ],
)
def test_a_doctype_is_refused_at_its_line(document: bytes, line: int, namespaces: bool) -> None:
    texts: list[str] = []
    parser = guarded_parser(refuse, namespaces=namespaces)
    parser.CharacterDataHandler = texts.append
    with pytest.raises(Refused) as info:
        parser.Parse(document, True)
    assert info.value.args == (line,)
    assert texts == []


def test_a_plain_document_reads_with_or_without_namespaces() -> None:
    names: list[str] = []
    parser = guarded_parser(refuse, buffer_size=1 << 16)
    parser.StartElementHandler = lambda name, _attributes: names.append(name)
    parser.Parse(b'<bom xmlns="urn:x"><c>1</c></bom>', True)
    assert names == ["urn:x bom", "urn:x c"] and parser.buffer_text and parser.buffer_size == 1 << 16
    names.clear()
    parser = guarded_parser(refuse, namespaces=False)
    parser.StartElementHandler = lambda name, _attributes: names.append(name)
    parser.Parse(b'<x:bom xmlns:x="urn:x"><x:c/></x:bom>', True)
    assert names == ["x:bom", "x:c"]
