"""CycloneDX XML BOMs read as the JSON ones are: components as ``it-assets`` (a built-in adapter).

Build tools write CycloneDX as XML as often as JSON (the Maven and Gradle plugins write both; older tools
only XML). The XML is read into the shape of the JSON BOM (``metadata.component``, ``components`` with
nested ``components``, ``licenses``, ``supplier``) and mapped by :func:`capcheck.builtins.loaders.cyclonedx.
bom_documents`, so a BOM gives the same records in either form. Each record's pointer is the JSON pointer
the same component has in the JSON form (``/components/3/components/0``), and its line is its
``<component>`` element's.

A BOM has no document type declaration: one (and any entity declared in it) is refused before it is
expanded, so entity tricks cannot make the reader fetch files or expand text without bound. Elements of
other namespaces (extensions) are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn
from xml.parsers import expat

from capcheck.builtins.loaders.cyclonedx import bom_documents
from capcheck.builtins.loaders.ocds import JsonPath
from capcheck.builtins.loaders.xmlparse import guarded_parser
from capcheck.core.loading import Document, LoadContext, SourceFile

__all__ = ["load_cyclonedx_xml"]

_NAMESPACE = re.compile(r"http://cyclonedx\.org/schema/bom/(1\.[0-9])\Z")
#: The deepest element nesting read (a BOM's components nest two elements a level; JSON BOMs stop at 1024).
MAX_DEPTH = 512
#: A component's child elements whose text is kept as it is, by the JSON key they are.
_TEXT = ("name", "version", "group", "purl", "publisher", "author", "description")


@dataclass
class _Element:
    """One element as read: its local name, attributes, text, children and line."""

    name: str
    namespace: str
    attributes: dict[str, str]
    line: int
    text: list[str] = field(default_factory=list)
    children: list[_Element] = field(default_factory=list)

    def child(self, name: str) -> _Element | None:
        return next((c for c in self.children if c.name == name), None)

    def value(self) -> str:
        """The text, its white space collapsed (XML writers wrap long names across lines)."""
        return " ".join("".join(self.text).split())


def _parse(source: SourceFile) -> _Element:
    """The document's root element; a located problem for malformed XML or a document type declaration."""
    stack: list[_Element] = []
    root: list[_Element] = []

    def refuse(line: int) -> NoReturn:
        raise source.fail(
            "a document type declaration (DOCTYPE or ENTITY) is not allowed in a CycloneDX BOM", line=line
        )

    parser = guarded_parser(refuse)

    def start(tag: str, attributes: dict[str, str]) -> None:
        if len(stack) >= MAX_DEPTH:
            raise source.fail(f"elements nested more than {MAX_DEPTH} levels deep", line=parser.CurrentLineNumber)
        namespace, _, name = tag.rpartition(" ")
        element = _Element(name, namespace, attributes, parser.CurrentLineNumber)
        (stack[-1].children if stack else root).append(element)
        stack.append(element)

    def end(_tag: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1].text.append(data)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(source.data, True)
    except expat.ExpatError as exc:
        raise source.fail(f"malformed XML: {expat.ErrorString(exc.code)}", line=exc.lineno) from None
    except (LookupError, ValueError) as exc:  # an encoding declared that expat hands Python, which cannot read it
        raise source.fail(
            f"malformed XML: its declared encoding cannot be read ({exc}): save it as UTF-8", line=1
        ) from None
    return root[0]


class _Reader:
    """Turns the XML elements into the JSON BOM's shape, noting each component's line by its JSON path."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.lines: dict[JsonPath, int] = {}

    def children(self, element: _Element | None, name: str) -> list[_Element]:
        if element is None:
            return []
        return [c for c in element.children if c.name == name and c.namespace == self.namespace]

    def component(self, element: _Element, path: JsonPath) -> dict[str, Any]:
        self.lines[path] = element.line
        out: dict[str, Any] = {key: element.attributes[key] for key in ("type", "bom-ref") if key in element.attributes}
        for name in _TEXT:
            for found in self.children(element, name)[:1]:
                out[name] = found.value()
        supplier = self.children(element, "supplier")
        if supplier:
            names = self.children(supplier[0], "name")
            out["supplier"] = {"name": names[0].value()} if names else {}
        licences: list[dict[str, Any]] = []
        for holder in self.children(element, "licenses"):
            for entry in holder.children:
                if entry.namespace != self.namespace:
                    continue
                if entry.name == "expression":
                    licences.append({"expression": entry.value()})
                elif entry.name == "license":
                    licence = {k: c.value() for k in ("id", "name") for c in self.children(entry, k)[:1]}
                    licences.append({"license": licence})
        if licences:
            out["licenses"] = licences
        nested = [
            self.component(child, (*path, "components", i))
            for holder in self.children(element, "components")
            for i, child in enumerate(self.children(holder, "component"))
        ]
        if nested or self.children(element, "components"):
            out["components"] = nested
        return out

    def bom(self, root: _Element, spec: str) -> dict[str, Any]:
        doc: dict[str, Any] = {"bomFormat": "CycloneDX", "specVersion": spec}
        metadata = self.children(root, "metadata")
        if metadata:
            meta: dict[str, Any] = {}
            self.lines[("metadata",)] = metadata[0].line
            for stamp in self.children(metadata[0], "timestamp")[:1]:
                meta["timestamp"] = stamp.value()
            for main in self.children(metadata[0], "component")[:1]:
                meta["component"] = self.component(main, ("metadata", "component"))
            doc["metadata"] = meta
        components = self.children(root, "components")
        if components:
            self.lines[("components",)] = components[0].line
            doc["components"] = [
                self.component(child, ("components", i))
                for i, child in enumerate(self.children(components[0], "component"))
            ]
        for key, item in (("services", "service"), ("vulnerabilities", "vulnerability")):
            for holder in self.children(root, key)[:1]:
                doc[key] = self.unread(holder, key, item)  # counted in a note, not read
        return doc

    def unread(self, holder: _Element, key: str, item: str) -> list[dict[str, Any]]:
        """An empty object for each ``item`` of ``holder``, holding those nested in it (a service's own
        ``<services>``), for the note that counts them as not read."""
        out: list[dict[str, Any]] = []
        for child in self.children(holder, item):
            inner = self.children(child, key)[:1]
            out.append({key: self.unread(inner[0], key, item)} if inner else {})
        return out


def load_cyclonedx_xml(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Read a CycloneDX XML BOM (1.x): one ``it-assets`` record per software component, as from its JSON form.

    :raises EvidenceError: not well-formed XML, a document type declaration, not a CycloneDX 1.x BOM, or a
        malformed component; each problem names the file and line (and the component's JSON pointer).
    """
    root = _parse(source)
    match = _NAMESPACE.match(root.namespace)
    if root.name != "bom" or match is None:
        found = f"<{root.name}>" + (f" in namespace {root.namespace!r}" if root.namespace else " (no namespace)")
        raise source.fail(
            "not a CycloneDX BOM: the root element must be <bom> in the namespace"
            f" http://cyclonedx.org/schema/bom/1.x; found {found} (capcheck reads no other XML)",
            line=root.line,
        )
    reader = _Reader(root.namespace)
    doc = reader.bom(root, match.group(1))
    lines: Mapping[JsonPath, int] = reader.lines
    return bom_documents(source, doc, f"{match.group(1)} (XML)", lambda: lines)
