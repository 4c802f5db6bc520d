"""SPDX 2.x SBOMs (JSON) read as ``it-assets``: one record per package (a built-in adapter).

The SPDX counterpart of :mod:`capcheck.builtins.loaders.cyclonedx`, with the same record shape: each package
becomes an ``it-assets`` record with its name, version (``versionInfo``), package URL (the
``PACKAGE-MANAGER``/``purl`` external reference), supplier (``supplier``, else ``originator``; "Person:
" / "Organization: " and contact dropped) and licence (``licenseConcluded``, else ``licenseDeclared``;
``NOASSERTION`` and ``NONE`` say nothing); the package the document describes (``documentDescribes``)
is each record's ``system``. A file is claimed by its content (``"spdxVersion": "SPDX-2.x"``). What an
SBOM cannot say (environment, criticality, owner ...) is not provided by the source, as for CycloneDX.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

from capcheck.builtins.loaders.cyclonedx import NOT_PROVIDED
from capcheck.builtins.loaders.ocds import JsonPath, load_json_bytes, value_lines
from capcheck.core.errors import EvidenceError, Problem
from capcheck.core.hookspecs import hookimpl
from capcheck.core.loading import Document, LoadContext, Loader, SourceFile, fixed_kinds

__all__ = ["KIND", "claims_spdx", "load_spdx"]

#: The kind the records belong to.
KIND = "it-assets"
_MARKER = re.compile(rb'"spdxVersion"\s*:\s*"SPDX-2\.[0-9]"|"@context"\s*:\s*"https?://spdx\.org/rdf/3')
_SPDX3 = re.compile(r"spdx\.org/rdf/3")
_PARTY = re.compile(r"\s*(?:Person|Organization|Tool)\s*:\s*(.*?)\s*(?:\([^()]*\))?\s*\Z", re.IGNORECASE)
_SAYS_NOTHING = frozenset({"NOASSERTION", "NONE"})


def claims_spdx(head: bytes) -> bool:
    """Whether a JSON file's first bytes hold ``"spdxVersion": "SPDX-2.x"`` (or an SPDX 3 JSON-LD context, which
    the loader refuses saying so rather than leaving it to the JSON loader's 'missing kind')."""
    return _MARKER.search(head) is not None


def _text(value: Any) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    return text if text and text not in _SAYS_NOTHING else None


def _party(value: Any) -> str | None:
    """``Organization: Acme Ltd (ops@acme.example)`` -> ``Acme Ltd``."""
    text = _text(value)
    match = _PARTY.match(text) if text else None
    return (match.group(1) or None) if match else text


def _purl(package: Mapping[str, Any]) -> str | None:
    refs = package.get("externalRefs")
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, dict) and ref.get("referenceType") == "purl":
            return _text(ref.get("referenceLocator"))
    return None


def load_spdx(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Read an SPDX 2.x JSON document: one ``it-assets`` record per package.

    :raises EvidenceError: not JSON, not SPDX 2.x, or a malformed package; each problem names the file,
        line and JSON pointer (``/packages/3``).
    """
    data, doc = load_json_bytes(source)
    prefix: JsonPath = ()
    if isinstance(doc, dict) and list(doc) == ["sbom"] and isinstance(doc["sbom"], dict):
        doc, prefix = doc["sbom"], ("sbom",)  # GitHub's dependency-graph SBOM API wraps the document
    version = doc.get("spdxVersion") if isinstance(doc, dict) else None
    if isinstance(doc, dict) and _SPDX3.search(str(doc.get("@context", ""))):
        raise source.fail(
            "an SPDX 3 document (JSON-LD) is not read: capcheck reads SPDX 2.x (JSON or tag-value) and CycloneDX;"
            " export the SBOM as SPDX 2.3 JSON, or as CycloneDX, from the tool that made it",
            line=1,
            pointer="/@context",
        )
    if not isinstance(version, str) or not version.startswith("SPDX-2."):
        raise source.fail(
            'not an SPDX 2.x document: the top level must be an object with "spdxVersion": "SPDX-2.x"', line=1
        )

    @cache
    def all_lines() -> Mapping[JsonPath, int]:
        depth = len(prefix)
        return {
            path[depth:]: line
            for path, line in value_lines(
                data,
                lambda path: (
                    path[:depth] == prefix and len(path) <= depth + 2 and path[depth : depth + 1] == ("packages",)
                ),
            ).items()
        }

    return spdx_documents(source, doc, version, all_lines, prefix)


def spdx_documents(
    source: SourceFile,
    doc: Mapping[str, Any],
    version: str,
    all_lines: Callable[[], Mapping[JsonPath, int]],
    prefix: JsonPath = (),
) -> list[Document]:
    """The ``it-assets`` document of a parsed SPDX 2.x document (JSON, or tag-value read into its shape), whose
    packages' lines ``all_lines()`` gives by path (``("packages", 3)``), called only when a line is needed."""

    def line_of(path: JsonPath) -> int | None:
        lines = all_lines()
        return lines.get(path) or lines.get(path[:1])

    def problem(message: str, path: JsonPath) -> Problem:
        return source.problem(message, line=line_of(path), pointer="".join(f"/{p}" for p in (*prefix, *path)))

    packages = doc.get("packages", [])
    if not isinstance(packages, list):
        raise EvidenceError([problem("'packages' must be a list", ("packages",))])
    problems: list[Problem] = []
    by_id: dict[str, Mapping[str, Any]] = {}
    for i, package in enumerate(packages):
        if not isinstance(package, dict):
            problems.append(problem("each package must be an object", ("packages", i)))
        elif _text(package.get("name")) is None:
            problems.append(problem("the package has no 'name' (required by SPDX)", ("packages", i)))
        elif isinstance(package.get("SPDXID"), str):
            by_id[package["SPDXID"]] = package
    if problems:
        raise EvidenceError(problems)
    described = doc.get("documentDescribes")
    if not isinstance(described, list):  # SPDX 2.3 deprecates it for DESCRIBES relationships of the document
        relationships = doc.get("relationships")
        described = [
            r.get("relatedSpdxElement")
            for r in (relationships if isinstance(relationships, list) else [])
            if isinstance(r, dict)
            and r.get("relationshipType") == "DESCRIBES"
            and r.get("spdxElementId") == doc.get("SPDXID")
        ]
    main = next((by_id[d] for d in described if isinstance(d, str) and d in by_id), None)
    if main is not None:
        main_version = _text(main.get("versionInfo"))
        system = f"{_text(main.get('name'))}@{main_version}" if main_version else _text(main.get("name"))
    else:
        system = _text(doc.get("name"))
    records: list[dict[str, Any]] = []
    paths: list[JsonPath] = []
    for i, package in enumerate(packages):
        name = str(_text(package["name"]))
        package_version = _text(package.get("versionInfo"))
        purl = _purl(package)
        identity = purl or _text(package.get("SPDXID")) or f"{name}@{package_version or ''}"
        record: dict[str, Any] = {
            "id": f"{system}/{identity}" if system else identity,
            "name": name,
            "product": name,
            "asset_type": "application" if package is main else "other",
            "sbom_pointer": "".join(f"/{p}" for p in (*prefix, "packages", i)),
        }
        licence = _text(package.get("licenseConcluded")) or _text(package.get("licenseDeclared"))
        optional = {
            "version": package_version,
            "purl": purl,
            "vendor": _party(package.get("supplier")) or _party(package.get("originator")),
            "licences": [licence] if licence else None,
            "system": system,
        }
        record.update({k: v for k, v in optional.items() if v is not None})
        records.append(record)
        paths.append(("packages", i))
    created = doc.get("creationInfo", {}).get("created") if isinstance(doc.get("creationInfo"), dict) else None

    def locate(index: int) -> int | None:
        return line_of(paths[index]) if index < len(paths) else None

    return [
        Document(
            kind=KIND,
            records=records,
            locate=locate,
            source=f"{version} SBOM" + (f" of {system}" if system else "") + f"; {len(records)} packages",
            collected_on=created[:10] if isinstance(created, str) and re.match(r"\d{4}-\d{2}-\d{2}", created) else None,
            pointers=["".join(f"/{p}" for p in (*prefix, "packages", i)) for i in range(len(records))],
            notes=(
                "not provided by an SBOM (rules that need them report insufficient evidence): "
                + ", ".join(sorted(NOT_PROVIDED)),
            ),
            not_provided=NOT_PROVIDED,
        )
    ]


def _load_tag_value(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """The tag-value form, read by :mod:`capcheck.builtins.loaders.spdx_tagvalue` (imported when one is read)."""
    from capcheck.builtins.loaders.spdx_tagvalue import load_spdx_tag_value

    return load_spdx_tag_value(source, context)


@hookimpl
def capcheck_loaders() -> Sequence[Loader]:
    """The SPDX loaders: ``*.spdx.json`` by name, any ``.json`` file holding ``"spdxVersion": "SPDX-2.x"``, and
    tag-value documents (``.spdx``)."""
    description = "SPDX 2.x JSON SBOM: packages as it-assets"
    return [
        Loader(
            name="spdx",
            extensions=(".spdx.json",),
            load=load_spdx,
            description=description,
            kinds_of=fixed_kinds(KIND),
        ),
        Loader(
            name="spdx",
            extensions=(".json",),
            load=load_spdx,
            description=description + ", recognised by its content",
            claims=claims_spdx,
            kinds_of=fixed_kinds(KIND),
        ),
        Loader(
            name="spdx",
            extensions=(".spdx",),
            load=_load_tag_value,
            description="SPDX 2.x tag-value SBOM: packages as it-assets",
            kinds_of=fixed_kinds(KIND),
        ),
    ]
