"""SPDX 2.x tag-value documents (``.spdx``) read as the JSON ones are: packages as ``it-assets``.

Tag-value is SPDX's own text form (``PackageName: hello``), written by many SBOM tools and the form of
most of the SPDX project's examples. The document is read into the shape of SPDX JSON (``packages`` with
``versionInfo``, ``supplier``, ``licenseConcluded``, ``externalRefs``; ``relationships``) and mapped by
:func:`capcheck.builtins.loaders.spdx.spdx_documents`, so a document gives the same records in either form.
A package's pointer is the one it has in the JSON form (``/packages/3``) and its line is its
``PackageName`` line. Files, snippets and extracted licences are sections of their own: their tags never
reach a package. A line that is not ``Tag: value`` (outside a ``<text>`` block) stops the run with its line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from capcheck.builtins.loaders.ocds import JsonPath
from capcheck.builtins.loaders.spdx import spdx_documents
from capcheck.core.loading import Document, LoadContext, SourceFile, decode_text
from capcheck.core.side_inputs import shorten

__all__ = ["load_spdx_tag_value"]

_LINE = re.compile(r"([A-Za-z][A-Za-z0-9]*)\s*:\s?(.*)\Z")
#: Package tags -> the SPDX JSON key they are.
_PACKAGE_TAGS = {
    "SPDXID": "SPDXID",
    "PackageVersion": "versionInfo",
    "PackageSupplier": "supplier",
    "PackageOriginator": "originator",
    "PackageLicenseConcluded": "licenseConcluded",
    "PackageLicenseDeclared": "licenseDeclared",
}
#: Document tags (before the first package or file) -> the SPDX JSON key they are.
_DOCUMENT_TAGS = {"SPDXVersion": "spdxVersion", "SPDXID": "SPDXID", "DocumentName": "name"}
#: Tags that open a section other than a package: what follows belongs to it, not to the last package.
_OTHER_SECTIONS = frozenset({"FileName", "SnippetSPDXID", "LicenseID"})


def _tags(source: SourceFile) -> list[tuple[int, str, str]]:
    """The ``(line, tag, value)`` entries of the document; a ``<text>`` value may span lines."""
    entries: list[tuple[int, str, str]] = []
    lines = decode_text(source).splitlines()
    i = 0
    while i < len(lines):
        number, line = i + 1, lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise source.fail(f"not an SPDX tag-value line ('Tag: value'): {shorten(line)}", line=number)
        tag, value = match.group(1), match.group(2).strip()
        if value.startswith("<text>"):
            parts = [value.removeprefix("<text>")]
            while "</text>" not in parts[-1]:
                if i >= len(lines):
                    raise source.fail(f"{tag}: a <text> value with no </text>", line=number)
                parts.append(lines[i])
                i += 1
            value = "\n".join(parts).split("</text>", 1)[0].strip()
        entries.append((number, tag, value))
    return entries


def load_spdx_tag_value(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Read an SPDX 2.x tag-value document: one ``it-assets`` record per package, as from its JSON form.

    :raises EvidenceError: not UTF-8 text, a line that is not ``Tag: value``, not SPDX 2.x, or a package with
        no name; each problem names the file and line.
    """
    doc: dict[str, Any] = {}
    packages: list[dict[str, Any]] = []
    relationships: list[dict[str, str]] = []
    lines: dict[JsonPath, int] = {}
    section: str = "document"
    for number, tag, value in _tags(source):
        if tag == "PackageName":
            lines[("packages", len(packages))] = number
            packages.append({"name": value})
            section = "package"
        elif tag in _OTHER_SECTIONS:
            section = tag
        elif tag == "Relationship":
            parts = value.split()
            if len(parts) >= 3:
                relationships.append(
                    {"spdxElementId": parts[0], "relationshipType": parts[1], "relatedSpdxElement": parts[2]}
                )
        elif tag == "Created" and section == "document":
            doc["creationInfo"] = {"created": value}
        elif section == "document" and tag in _DOCUMENT_TAGS:
            doc[_DOCUMENT_TAGS[tag]] = value
        elif section == "package" and tag in _PACKAGE_TAGS:
            packages[-1].setdefault(_PACKAGE_TAGS[tag], value)
        elif section == "package" and tag == "ExternalRef":
            parts = value.split()
            if len(parts) >= 3:
                packages[-1].setdefault("externalRefs", []).append(
                    {"referenceCategory": parts[0], "referenceType": parts[1], "referenceLocator": parts[2]}
                )
    version = doc.get("spdxVersion")
    if not isinstance(version, str) or not version.startswith("SPDX-2."):
        raise source.fail("not an SPDX 2.x tag-value document: it must begin with 'SPDXVersion: SPDX-2.x'", line=1)
    doc["packages"] = packages
    doc["relationships"] = relationships
    return spdx_documents(source, doc, f"{version} (tag-value)", lambda: lines)
