"""CycloneDX SBOMs (JSON) read as ``it-assets``: one record per software component (a built-in adapter).

A software bill of materials already lists what a system is built from. Each component (nested ones
included) becomes one ``it-assets`` record: its name, version, package URL (``purl``), supplier and
licences; the BOM's metadata component (the product the BOM describes) is each record's ``system``.
A file is claimed by its content (``"bomFormat": "CycloneDX"``), whatever it is called.

What an SBOM cannot say about an asset (its environment, criticality, owner, hosting, exposure, patch
and backup regime: :data:`NOT_PROVIDED`) is declared not provided by the source: rules that need those
fields report insufficient evidence for these records, not failures. Components that are not software
or hardware assets (CycloneDX 1.6 ``cryptographic-asset``, ``data``) are counted in a note, not mapped.
A component that is not an object, has no name, or a list that is not a list stops the run with the
file, line and JSON pointer (``/components/3/components/0``), which is also each record's location.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import cache
from typing import Any

from capcheck.builtins.loaders.ocds import JsonPath, json_text, load_json_bytes, value_lines
from capcheck.core.errors import EvidenceError, Problem
from capcheck.core.hookspecs import hookimpl
from capcheck.core.loading import Document, LoadContext, Loader, SourceFile, fixed_kinds
from capcheck.core.side_inputs import shorten
from capcheck.core.wording import plural

__all__ = ["KIND", "NOT_PROVIDED", "bom_documents", "claims_cyclonedx", "load_cyclonedx"]

#: The kind the records belong to.
KIND = "it-assets"
#: The kind's fields a CycloneDX BOM has no place for: where and how the component runs and who owns it.
NOT_PROVIDED = frozenset(
    {
        "environment",
        "criticality",
        "owner",
        "hosting",
        "internet_facing",
        "last_patched",
        "deployment",
        "backup",
        "status",
        "supplier_contract",
    }
)
#: CycloneDX component type -> the kind's ``asset_type``; types absent here are not assets (not mapped).
ASSET_TYPES: Mapping[str, str] = {
    "application": "application",
    "framework": "other",
    "library": "other",
    "container": "platform",
    "platform": "platform",
    "operating-system": "platform",
    "device": "other",
    "device-driver": "other",
    "firmware": "other",
    "file": "other",
    "machine-learning-model": "other",
}
#: How many pointers of repeated components the note lists before it only counts.
MAX_LISTED = 5
_MARKER = re.compile(rb'"bomFormat"\s*:\s*"CycloneDX"')
_VERSION = re.compile(r"1\.[0-9]\Z")


def claims_cyclonedx(head: bytes) -> bool:
    """Whether a JSON file's first bytes hold ``"bomFormat": "CycloneDX"``."""
    return _MARKER.search(head) is not None


def _pointer(path: Sequence[str | int]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _licences(component: Mapping[str, Any]) -> list[str]:
    """SPDX ids, names or expressions of ``licenses`` (``[{"license": {"id": "MIT"}}, {"expression": ...}]``)."""
    found: list[str] = []
    entries = component.get("licenses")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        licence = entry.get("license")
        if isinstance(licence, dict):
            name = _text(licence.get("id")) or _text(licence.get("name"))
        else:
            name = _text(entry.get("expression"))
        if name and name not in found:
            found.append(name)
    return found


def _supplier(component: Mapping[str, Any]) -> str | None:
    supplier = component.get("supplier")
    name = _text(supplier.get("name")) if isinstance(supplier, dict) else None
    return name or _text(component.get("publisher")) or _text(component.get("author"))


class _Walk:
    """Walks the component tree, mapping assets and collecting located problems."""

    def __init__(self, source: SourceFile, line_of: Any, system: str | None) -> None:
        self.source = source
        self.line_of = line_of
        self.system = system
        self.records: list[dict[str, Any]] = []
        self.paths: list[JsonPath] = []
        self.problems: list[Problem] = []
        self.not_assets: dict[str, int] = {}
        #: Record id -> the path it was first read at; then the paths of the same component listed again.
        self.seen: dict[str, JsonPath] = {}
        self.repeated: list[JsonPath] = []

    def problem(self, message: str, path: JsonPath) -> None:
        self.problems.append(self.source.problem(message, line=self.line_of(path), pointer=_pointer(path)))

    def components(self, holder: Mapping[str, Any], path: JsonPath) -> Iterator[tuple[dict[str, Any], JsonPath]]:
        items = holder.get("components")
        if items is None:
            return
        if not isinstance(items, list):
            self.problem("'components' must be a list", (*path, "components"))
            return
        for i, item in enumerate(items):
            item_path = (*path, "components", i)
            if not isinstance(item, dict):
                self.problem("each component must be an object", item_path)
                continue
            yield item, item_path
            yield from self.components(item, item_path)

    def add(self, component: dict[str, Any], path: JsonPath) -> None:
        kind = component.get("type")
        asset_type = ASSET_TYPES.get(kind) if isinstance(kind, str) else None
        if asset_type is None:
            shown = kind if isinstance(kind, str) else "no type"
            self.not_assets[shown] = self.not_assets.get(shown, 0) + 1
            return
        name = _text(component.get("name"))
        if name is None:
            self.problem("the component has no 'name' (required by CycloneDX)", path)
            return
        group = _text(component.get("group"))
        version = component.get("version")
        if version is not None and not isinstance(version, str):
            self.problem(f"'version' must be a string, not {shorten(json_text(version))}", (*path, "version"))
            return
        purl = _text(component.get("purl"))
        identity = purl or _text(component.get("bom-ref")) or f"{group + '/' if group else ''}{name}@{version or ''}"
        record_id = f"{self.system}/{identity}" if self.system else identity
        if record_id in self.seen:
            # One package installed at several places in a dependency tree (npm's nested node_modules: the
            # CycloneDX npm tools list it under each parent, with the same purl): one component of the system.
            self.repeated.append(path)
            return
        self.seen[record_id] = path
        record: dict[str, Any] = {
            "id": record_id,
            "name": f"{group}/{name}" if group else name,
            "product": name,
            "asset_type": asset_type,
            "cyclonedx_type": kind,
            "sbom_pointer": _pointer(path),
        }
        optional = {
            "version": _text(version),
            "purl": purl,
            "vendor": _supplier(component),
            "licences": _licences(component) or None,
            "system": self.system,
        }
        record.update({k: v for k, v in optional.items() if v is not None})
        self.records.append(record)
        self.paths.append(path)


def _counted(items: list[Any], key: str) -> int:
    """How many items a list holds with those nested under ``key`` in them (a SaaSBOM's service lists the
    services it is made of in its own ``services``): each is one not read."""
    count, stack = 0, [items]
    while stack:
        for item in stack.pop():
            count += 1
            if isinstance(item, dict) and isinstance(inner := item.get(key), list):
                stack.append(inner)
    return count


def load_cyclonedx(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """Read a CycloneDX JSON BOM: one ``it-assets`` record per software component.

    :raises EvidenceError: not JSON, not a CycloneDX 1.x BOM, or a malformed component; each problem
        names the file, line and JSON pointer.
    """
    data, doc = load_json_bytes(source)
    if not isinstance(doc, dict) or doc.get("bomFormat") != "CycloneDX":
        raise source.fail('not a CycloneDX BOM: the top level must be an object with "bomFormat": "CycloneDX"', line=1)
    spec = doc.get("specVersion")
    if not isinstance(spec, str) or _VERSION.match(spec) is None:
        raise source.fail(
            f"unsupported CycloneDX specVersion {shorten(str(spec))} (1.x is read)", line=1, pointer="/specVersion"
        )

    @cache
    def all_lines() -> dict[JsonPath, int]:
        return value_lines(data, lambda path: bool(path) and path[0] in ("components", "metadata"))

    return bom_documents(source, doc, spec, all_lines)


def bom_documents(
    source: SourceFile, doc: Mapping[str, Any], spec: str, all_lines: Callable[[], Mapping[JsonPath, int]]
) -> list[Document]:
    """The ``it-assets`` document of a parsed CycloneDX BOM (JSON, or XML read into the same shape), whose
    components' lines ``all_lines()`` gives by JSON path (called only when a line is needed)."""

    def line_of(path: JsonPath) -> int | None:
        lines = all_lines()
        for end in range(len(path), 0, -1):
            if path[:end] in lines:
                return lines[path[:end]]
        return None

    metadata: Mapping[str, Any] = doc["metadata"] if isinstance(doc.get("metadata"), dict) else {}
    main: Mapping[str, Any] = metadata["component"] if isinstance(metadata.get("component"), dict) else {}
    main_name = _text(main.get("name"))
    main_version = _text(main.get("version"))
    system = f"{main_name}@{main_version}" if main_name and main_version else main_name
    unnamed = system is None
    if unnamed:  # the components are still one system's parts: name it after the file, and say so
        system = source.path.name.removesuffix(".json").removesuffix(".cdx").removesuffix(".bom") or source.path.name
    walk = _Walk(source, line_of, system)
    for component, path in walk.components(doc, ()):
        walk.add(component, path)
    if walk.problems:
        raise EvidenceError(walk.problems)

    notes = []
    if unnamed:
        notes.append(f"no metadata component names the system: the components are taken as parts of {system!r}")
    if walk.repeated:
        listed = ", ".join(_pointer(path) for path in walk.repeated[:MAX_LISTED])
        more = f" and {len(walk.repeated) - MAX_LISTED} more" if len(walk.repeated) > MAX_LISTED else ""
        notes.append(
            f"{plural(len(walk.repeated), 'component')} listed again (the same purl, bom-ref or name@version as"
            f" one read before, e.g. a package nested under two others) read once: {listed}{more}"
        )
    if walk.not_assets:
        counted = ", ".join(f"{n} {kind}" for kind, n in sorted(walk.not_assets.items()))
        notes.append(f"components that are not IT assets, not mapped: {counted}")
    unread = [
        plural(_counted(doc[key], key), noun) if isinstance(doc[key], list) else key
        for key, noun in (("services", "service"), ("vulnerabilities", "vulnerability"))
        if doc.get(key)
    ]
    if unread:
        notes.append(f"not read: {', '.join(unread)}")  # counted: nothing is dropped without a number
    notes.append(
        "not provided by an SBOM (rules that need them report insufficient evidence): "
        + ", ".join(sorted(NOT_PROVIDED))
    )
    timestamp = metadata.get("timestamp")
    tool = f"CycloneDX {spec} SBOM" + (f" of {system}" if not unnamed else "")

    def locate(index: int) -> int | None:
        return line_of(walk.paths[index]) if index < len(walk.paths) else None

    return [
        Document(
            kind=KIND,
            records=walk.records,
            locate=locate,
            source=f"{tool}; {len(walk.records)} components",
            collected_on=timestamp[:10]
            if isinstance(timestamp, str) and re.match(r"\d{4}-\d{2}-\d{2}", timestamp)
            else None,
            pointers=[_pointer(path) for path in walk.paths],
            notes=tuple(notes),
            not_provided=NOT_PROVIDED,
        )
    ]


def _load_xml(source: SourceFile, context: LoadContext) -> Sequence[Document]:
    """The XML form, read by :mod:`capcheck.builtins.loaders.cyclonedx_xml` (imported when an XML file is read)."""
    from capcheck.builtins.loaders.cyclonedx_xml import load_cyclonedx_xml

    return load_cyclonedx_xml(source, context)


@hookimpl
def capcheck_loaders() -> Sequence[Loader]:
    """The CycloneDX loaders: ``*.cdx.json`` by name, any ``.json`` file holding ``"bomFormat": "CycloneDX"``,
    and ``.xml`` files (CycloneDX XML, the only XML capcheck reads)."""
    description = "CycloneDX JSON SBOM: components as it-assets"
    return [
        Loader(
            name="cyclonedx",
            extensions=(".cdx.json",),
            load=load_cyclonedx,
            description=description,
            kinds_of=fixed_kinds(KIND),
        ),
        Loader(
            name="cyclonedx",
            extensions=(".json",),
            load=load_cyclonedx,
            description=description + ", recognised by its content",
            claims=claims_cyclonedx,
            kinds_of=fixed_kinds(KIND),
        ),
        Loader(
            name="cyclonedx",
            extensions=(".xml",),
            load=_load_xml,
            description="CycloneDX XML SBOM: components as it-assets (the only XML read)",
            kinds_of=fixed_kinds(KIND),
        ),
    ]
