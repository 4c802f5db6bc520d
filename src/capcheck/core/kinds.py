"""Evidence kinds: a kind id plus the JSON Schema of one record; the built-in kinds plugin.

A kind is data: one draft 2020-12 schema per kind, in ``schemas/evidence/<kind>.schema.json``.
The schema's ``title`` and ``description`` document the kind; its ``properties`` type CSV cells.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from capcheck.core import ids
from capcheck.core.dates import is_date
from capcheck.core.errors import Problem
from capcheck.core.hookspecs import hookimpl
from capcheck.core.resources import data_dir
from capcheck.core.side_inputs import is_version, shorten
from capcheck.core.wording import did_you_mean, suggestion

__all__ = [
    "CONFIG_OWNER",
    "DEFAULT_KIND_VERSION",
    "KIND_ID",
    "EvidenceKind",
    "FieldType",
    "KindExtension",
    "KindFields",
    "describe_kind",
    "extend_kinds",
    "kind_problems",
]

#: The version of a kind's schema that declares none (every built-in kind's).
DEFAULT_KIND_VERSION = "1.0"

#: How a CSV cell is typed: one of these, from the schema property's ``type``.
FieldType = str  # "string" | "integer" | "number" | "boolean" | "array:<item type>"


@dataclass(frozen=True)
class EvidenceKind:
    """An evidence kind: ``id`` (``it-assets``), a title, and the JSON Schema of one record."""

    id: str
    title: str
    schema: Mapping[str, Any]
    description: str = ""
    schema_file: str | None = field(default=None, compare=False)
    #: The fields added by kind extensions, and the plugin that added each (``extend_kinds`` fills it).
    extended_by: Mapping[str, str] = field(default_factory=dict, compare=False)

    @classmethod
    def from_file(cls, path: Path) -> EvidenceKind:
        """Read a kind from ``<kind-id>.schema.json`` (the id is the file name's first part).

        :raises PluginError: the file cannot be read or is not JSON (its path, and the line where it breaks).
        """
        try:
            with path.open("rb") as fh:
                schema = json.load(fh)
        except (OSError, ValueError) as exc:  # a plugin's schema file: named here, not as its hook's exception
            from capcheck.core.errors import PluginError
            from capcheck.core.models import display_path

            line = getattr(exc, "lineno", None)
            what = f"evidence kind {path.name.removesuffix('.schema.json')!r}: "
            cause = what + (
                f"not JSON: {exc.msg} (column {exc.colno})"
                if isinstance(exc, json.JSONDecodeError)
                else f"cannot read its schema: {type(exc).__name__}: {getattr(exc, 'strerror', None) or exc}"
            )
            raise PluginError(Problem(cause, path=display_path(path), line=line)) from None
        kind_id = path.name.removesuffix(".schema.json")
        described = schema if isinstance(schema, dict) else {}  # not an object: kind_problems says so
        return cls(
            id=kind_id,
            title=str(described.get("title", kind_id)),
            description=str(described.get("description", "")),
            schema=schema,
            schema_file=str(path),
        )

    @cached_property
    def records_validator(self) -> Any:
        """A compiled (jsonschema-rs) validator of a *list* of records of this kind.

        Formats are validated; ``date`` is :func:`capcheck.core.dates.is_date`. Validating the whole list
        in one call avoids a Python-to-Rust crossing per record; the
        errors it reports carry the record index in their instance path.
        """
        import jsonschema_rs

        item = {k: v for k, v in self.schema.items() if k != "$schema"}
        # Its own resource, so that a local "#/$defs/..." reference resolves in the kind's schema, not the wrapper.
        item.setdefault("$id", f"urn:capcheck:kind:{self.id}")
        wrapper = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "array",
            "items": item,
        }
        strict = jsonschema_rs.validator_for(wrapper, validate_formats=True, retriever=refuse_retrieval)
        # "date" also accepts a date-time (its date part is the date): one definition, capcheck.core.dates.
        lenient = jsonschema_rs.validator_for(
            wrapper, validate_formats=True, formats={"date": is_date}, retriever=refuse_retrieval
        )
        return _RecordsValidator(strict, lenient)

    @cached_property
    def field_types(self) -> dict[str, FieldType]:
        """The type of each declared field, for typing CSV cells (``array:string`` for lists)."""
        types: dict[str, FieldType] = {}
        props = self.schema.get("properties", {})
        for name, spec in props.items():
            types[name] = _field_type(spec)
        return types

    @cached_property
    def declared_fields(self) -> frozenset[str] | None:
        """The top-level fields the schema declares, or None when it leaves field names open.

        A field is declared by a ``properties`` entry of the schema or of a schema it is composed of
        (``allOf``/``anyOf``/``oneOf``, ``if``/``then``/``else``, a local ``$ref``): a kind extending
        another with ``allOf`` declares both's fields. ``patternProperties`` anywhere, or no
        ``properties`` at all, leaves the names open (None): rules reading it are not checked.
        """
        found: set[str] = set()
        seen: set[str] = set()

        def walk(node: Any) -> bool:
            if not isinstance(node, Mapping):
                return True
            if "patternProperties" in node:
                return False
            props = node.get("properties")
            if isinstance(props, Mapping):
                found.update(str(k) for k in props)
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/") and ref not in seen:
                seen.add(ref)
                target: Any = self.schema
                for part in ref[2:].split("/"):
                    target = (
                        target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, Mapping) else None
                    )
                if not walk(target):
                    return False
            subs = [node.get(k) for k in ("if", "then", "else")]
            for key in ("allOf", "anyOf", "oneOf"):
                value = node.get(key)
                subs.extend(value if isinstance(value, list) else [])
            return all(walk(sub) for sub in subs if sub is not None)

        return frozenset(found) if walk(self.schema) and found else None

    @property
    def date_order(self) -> tuple[tuple[str, str], ...]:
        """The ``(earlier, later)`` date pairs of a record (schema ``x-capcheck-date-order``)."""
        return tuple((str(a), str(b)) for a, b in self.schema.get("x-capcheck-date-order", ()))

    @property
    def past_dates(self) -> tuple[str, ...]:
        """The date fields that record past events (schema ``x-capcheck-past-dates``)."""
        return tuple(str(f) for f in self.schema.get("x-capcheck-past-dates", ()))

    @property
    def schema_version(self) -> str:
        """The version of the kind's schema (schema ``x-capcheck-schema-version``; ``"1.0"`` when it says none).

        An evidence file's ``schema_version`` of another major is refused: it follows a schema this one is not.
        """
        return str(self.schema.get("x-capcheck-schema-version", DEFAULT_KIND_VERSION))

    @property
    def required(self) -> Sequence[str]:
        """The fields every record must have."""
        return tuple(self.schema.get("required", ()))


class _RecordsValidator:
    """Validates with jsonschema-rs's own date format first (all in Rust) and only when that fails with
    :func:`capcheck.core.dates.is_date` as the date format (a Python call per date value): files of plain
    dates pay nothing for date-times being accepted."""

    __slots__ = ("lenient", "strict")

    def __init__(self, strict: Any, lenient: Any) -> None:
        self.strict = strict
        self.lenient = lenient

    def is_valid(self, instance: Any) -> bool:
        """Whether ``instance`` is valid (date-times accepted as dates)."""
        return bool(self.strict.is_valid(instance) or self.lenient.is_valid(instance))

    def iter_errors(self, instance: Any) -> Any:
        """The errors of ``instance`` (date-times accepted as dates)."""
        return self.lenient.iter_errors(instance)


#: A kind id: lowercase words joined by hyphens (``it-assets``), a third party's after its namespace
#: (``acme.staff-roster``); the rule schema's ``kind`` pattern (one definition: :mod:`capcheck.core.ids`).
KIND_ID = re.compile(ids.KIND_ID)
#: The types a JSON Schema ``type`` may name.
_JSON_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")


def kind_problems(kind: EvidenceKind, owner: str) -> list[Problem]:
    """What is wrong with a kind as registered by plugin ``owner``: an id off the pattern, a schema
    that is not a draft 2020-12 JSON Schema object (checked against the meta-schema). Each problem
    names the plugin and the kind; a schema problem also the schema file, when known, and the pointer.
    """
    problems: list[Problem] = []
    where = f"plugin {owner!r}: evidence kind {kind.id!r}"
    if not isinstance(kind.id, str) or not KIND_ID.fullmatch(kind.id):
        problems.append(
            Problem(
                f"{where}: the id must be lowercase words joined by hyphens (e.g. it-assets), "
                "after a namespace and a dot for a third party's kind (e.g. acme.staff-roster)"
            )
        )
    if not isinstance(kind.schema, Mapping):
        problems.append(Problem(f"{where}: the schema must be a JSON object, not {type(kind.schema).__name__}"))
        return problems
    declared = kind.schema.get("x-capcheck-schema-version", DEFAULT_KIND_VERSION)
    if not is_version(declared):
        problems.append(
            Problem(
                f'{where}: x-capcheck-schema-version must be a version such as "1.0", not {shorten(declared)}',
                path=kind.schema_file,
                pointer="/x-capcheck-schema-version" if kind.schema_file is not None else None,
            )
        )
        return problems
    return problems + _schema_problems(kind.schema, where, kind.schema_file) + _date_field_problems(kind, where)


def _date_field_problems(kind: EvidenceKind, where: str) -> list[Problem]:
    """``x-capcheck-date-order`` is a list of ``[earlier, later]`` pairs and ``x-capcheck-past-dates`` a list of
    fields, each a field the kind declares: a misspelt one was ignored, so its impossible dates passed."""
    declared = kind.declared_fields
    problems: list[Problem] = []

    def problem(pointer: str, cause: str) -> None:
        if kind.schema_file is not None:
            problems.append(Problem(f"{where}: {cause}", path=kind.schema_file, pointer=pointer))
        else:
            problems.append(Problem(f"{where}: schema {pointer}: {cause}"))

    def check_field(pointer: str, name: Any) -> None:
        if not isinstance(name, str):
            problem(pointer, f"a field name, not {shorten(name)}")
        elif declared is not None and name not in declared:
            problem(pointer, f"unknown field {name!r}: the kind does not declare it{did_you_mean(name, declared)}")

    order = kind.schema.get("x-capcheck-date-order", [])
    if not isinstance(order, list):
        problem("/x-capcheck-date-order", "a list of [earlier, later] pairs of date fields")
    else:
        for i, pair in enumerate(order):
            if not isinstance(pair, list) or len(pair) != 2:
                problem(f"/x-capcheck-date-order/{i}", f"an [earlier, later] pair of date fields, not {shorten(pair)}")
                continue
            for j, name in enumerate(pair):
                check_field(f"/x-capcheck-date-order/{i}/{j}", name)
    past = kind.schema.get("x-capcheck-past-dates", [])
    if not isinstance(past, list):
        problem("/x-capcheck-past-dates", "a list of date fields")
    else:
        for i, name in enumerate(past):
            check_field(f"/x-capcheck-past-dates/{i}", name)
    return problems


def compile_problems(kind: EvidenceKind, owner: str) -> list[Problem]:
    """Whether a kind's schema compiles: one can pass the meta-schema and still not compile (a ``pattern``
    that is no regular expression). Checked when a plugin or a config registers or extends a kind, so every
    command says so, not only the first check of its evidence; the compiled validator is kept for that check.
    A problem in a field an extension added names the extension's owner, else the kind's (``owner``)."""
    try:
        kind.records_validator  # noqa: B018  (compiled for its errors; cached on the kind for validation)
    except Exception as exc:  # jsonschema-rs's ValidationError, or anything a plugin's odd schema raises
        parts = [str(p) for p in getattr(exc, "instance_path", None) or ()]
        parts = parts[1:] if parts[:1] == ["items"] else parts  # the validator wraps the kind's schema in items
        pointer = "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)
        message = getattr(exc, "message", None)
        cause = (message if isinstance(message, str) else f"{type(exc).__name__}: {exc}").splitlines()[0]
        added_by = kind.extended_by.get(parts[1]) if parts[:1] == ["properties"] and len(parts) > 1 else None
        if added_by is not None:
            where = f"{_who(added_by)}: extension of evidence kind {kind.id!r}: field {parts[1]!r}"
            return [Problem(f"{where}: schema {pointer}: does not compile: {cause}")]
        where = f"{_who(owner)}: evidence kind {kind.id!r}"
        if kind.schema_file is not None:
            return [Problem(f"{where}: the schema does not compile: {cause}", path=kind.schema_file, pointer=pointer)]
        return [Problem(f"{where}: schema {pointer or '/'}: does not compile: {cause}")]
    return []


def _schema_problems(schema: Mapping[str, Any], where: str, schema_file: str | None) -> list[Problem]:
    """The ways ``schema`` is not a draft 2020-12 JSON Schema, each after ``where``; and each reference out of
    it, which the validator would have fetched (a config's ``$ref = "file:///..."`` or ``"https://..."``)."""
    outside = [
        Problem(
            f"{where}: schema {pointer}: {shorten(target)} is not a reference within the schema ('#/...'): "
            "capcheck fetches no file or URL",
            path=schema_file,
        )
        for pointer, target in _outside_references(schema, "")
    ]
    return outside + _draft_problems(schema, where, schema_file)


#: The keywords whose value is a URI reference another schema is fetched from.
_REFERENCES = ("$ref", "$dynamicRef")


def _outside_references(node: Any, pointer: str) -> list[tuple[str, str]]:
    """(pointer, target) of every ``$ref``/``$dynamicRef`` in ``node`` that does not start with ``#``."""
    found: list[tuple[str, str]] = []
    if isinstance(node, Mapping):
        for key, value in node.items():
            here = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if key in _REFERENCES and isinstance(value, str) and not value.startswith("#"):
                found.append((here, value))
            else:
                found += _outside_references(value, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _outside_references(value, f"{pointer}/{index}")
    return found


def refuse_retrieval(uri: str) -> Any:
    """A schema retriever that fetches nothing: every reference a kind's schema makes is within it."""
    raise ValueError(f"capcheck fetches no file or URL a schema refers to ({uri})")


def _draft_problems(schema: Mapping[str, Any], where: str, schema_file: str | None) -> list[Problem]:
    """The ways ``schema`` is not a draft 2020-12 JSON Schema, each after ``where``."""
    import jsonschema_rs

    try:
        valid = jsonschema_rs.meta.is_valid(dict(schema))
    except Exception:  # not JSON at all (a Python object in it): the slow walk below says where
        valid = False
    if valid:
        return []
    import jsonschema  # only for a schema that is not valid: its messages are the clearer ones

    meta = jsonschema.Draft202012Validator(jsonschema.Draft202012Validator.META_SCHEMA)
    try:
        errors = sorted(meta.iter_errors(dict(schema)), key=lambda e: list(map(str, e.absolute_path)))
    except Exception as exc:  # e.g. a value jsonschema cannot walk
        return [Problem(f"{where}: the schema is not a JSON Schema: {type(exc).__name__}: {exc}")]
    problems: list[Problem] = []
    for error in errors:
        path = [str(part) for part in error.absolute_path]
        pointer = "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in path)
        message = error.message
        if path and path[-1] == "type" and isinstance(error.instance, str):
            hint = suggestion(error.instance, _JSON_TYPES, f"types: {', '.join(_JSON_TYPES)}")
            message = f"unknown type {error.instance!r} ({hint})"
        if schema_file is not None:  # a schema file: its path and the pointer locate the problem
            problems.append(
                Problem(f"{where}: not a JSON Schema (draft 2020-12): {message}", path=schema_file, pointer=pointer)
            )
        else:
            problems.append(Problem(f"{where}: schema {pointer or '/'}: not a JSON Schema (draft 2020-12): {message}"))
    return problems


@dataclass(frozen=True)
class KindExtension:
    """Fields a plugin adds to a registered kind (``it-assets``) without registering a kind of its own.

    ``fields`` maps each new field's name to its JSON Schema (``{"site": {"type": "string"}}``);
    ``required`` names those of them every record must have (an organisation's own columns; a
    published plugin should leave its fields optional, so that others' evidence stays valid).
    The fields are added to the kind's top-level ``properties``: declarative rules may read them
    and CSV cells of them are typed. A field the kind or another extension already defines
    differently is an error naming both.
    """

    kind: str
    fields: Mapping[str, Mapping[str, Any]]
    required: Sequence[str] = ()
    description: str = ""

    @classmethod
    def from_file(cls, path: Path) -> KindExtension:
        """Read an extension kept as data: a JSON file such as ``it-assets.extension.json``::

            {"extends": "it-assets", "description": "...",
             "properties": {"acme_site": {"type": "string"}}, "required": []}

        :raises PluginError: the file cannot be read, is not JSON, or is not of that shape (file and pointer).
        """
        from capcheck.core.errors import PluginError
        from capcheck.core.models import display_path
        from capcheck.core.side_inputs import RULE_FILE_MAX_BYTES, read_document

        shown = display_path(path)
        doc = read_document(
            path,
            shown=shown,
            what="kind extension file",
            error=PluginError,
            limit=RULE_FILE_MAX_BYTES,
            formats=(".json",),
        ).value

        def bad(pointer: str, cause: str) -> PluginError:
            return PluginError(Problem(f"kind extension: {cause}", path=shown, pointer=pointer))

        if not isinstance(doc, dict):
            raise bad("", "the file holds a JSON object with 'extends' and 'properties'")
        allowed = ("$schema", "description", "extends", "properties", "required", "title")
        for key in doc:
            if key not in allowed:
                hint = suggestion(key, allowed, f"keys: {', '.join(allowed)}")
                raise bad(f"/{key}", f"unknown key {key!r} ({hint})")
        if not isinstance(doc.get("extends"), str):
            raise bad("/extends", "'extends' names the kind the fields are added to (e.g. \"it-assets\")")
        if not isinstance(doc.get("properties"), dict):
            raise bad("/properties", "'properties' maps each field it adds to its JSON Schema")
        required = doc.get("required", [])
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            raise bad("/required", "'required' is a list of field names")
        return cls(
            kind=doc["extends"],
            fields=doc["properties"],
            required=tuple(required),
            description=str(doc.get("description", "")),
        )


#: What a field name may be (the rule schema's ``fieldName``, undotted).
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def extend_kinds(
    kinds: Mapping[str, EvidenceKind], owners: Mapping[str, str], extensions: Sequence[tuple[str, KindExtension]]
) -> tuple[dict[str, EvidenceKind], list[Problem]]:
    """The kinds with the ``(plugin, extension)`` pairs applied in order, and what is wrong with them.

    :param owners: the plugin that registered each kind, to name in a conflict.
    :return: every kind (extended ones replaced by their merged copies) and the problems: an unknown
        kind, a field name or schema that is not one, a required field the extension does not add,
        a field defined twice differently (naming both sides).
    """
    out = dict(kinds)
    problems: list[Problem] = []
    added: dict[tuple[str, str], tuple[str, Mapping[str, Any]]] = {}  # (kind, field) -> (plugin, schema)
    for owner, ext in extensions:
        where = f"{_who(owner)}: extension of evidence kind {ext.kind!r}"
        kind = out.get(ext.kind)
        if kind is None:
            hint = suggestion(str(ext.kind), list(out), "see 'capcheck kinds'")
            problems.append(Problem(f"{where}: no such kind ({hint})"))
            continue
        if not isinstance(ext.fields, Mapping) or not ext.fields:
            problems.append(Problem(f"{where}: 'fields' must map at least one field name to its JSON Schema"))
            continue
        bad = [
            f"{where}: field {name!r} is not a field name (letters, digits, '_' and '-')"
            for name in ext.fields
            if not isinstance(name, str) or not _FIELD_NAME.fullmatch(name)
        ]
        bad += [
            f"{where}: field {name!r}: its schema must be a JSON object, not {type(spec).__name__}"
            for name, spec in ext.fields.items()
            if not isinstance(spec, Mapping)
        ]
        bad += [
            f"{where}: required field {name!r} is not one of the fields it adds"
            for name in ext.required
            if name not in ext.fields
        ]
        if bad:
            problems.extend(Problem(text) for text in bad)
            continue
        schema_errors = _schema_problems({"properties": dict(ext.fields)}, where, None)
        if schema_errors:
            problems.extend(schema_errors)
            continue
        properties = dict(kind.schema.get("properties", {}))
        declared = kind.declared_fields or frozenset()
        new_fields: dict[str, str] = {}
        for name, spec in ext.fields.items():
            earlier = added.get((kind.id, name))
            if earlier is not None:
                if dict(earlier[1]) != dict(spec):
                    problems.append(
                        Problem(
                            f"{where}: field {name!r} is defined twice: as {_shown(spec)} by {_who(owner)} and as "
                            f"{_shown(earlier[1])} by {_who(earlier[0])}"
                        )
                    )
                continue
            if name in declared:
                own = properties.get(name)
                if own is None or dict(own) != dict(spec):
                    theirs = _shown(own) if own is not None else "part of its schema"
                    problems.append(
                        Problem(
                            f"{where}: field {name!r} is defined twice: as {_shown(spec)} by {_who(owner)} and as "
                            f"{theirs} by the kind itself (registered by {_who(owners.get(kind.id, '?'))})"
                        )
                    )
                continue  # the kind's own, identical: nothing to add
            added[(kind.id, name)] = (owner, spec)
            properties[name] = dict(spec)
            new_fields[name] = owner
        # a required field may be one the extension adds or one the kind has, defined identically: "our
        # records must state their owner" makes an optional field of the kind compulsory
        newly_required = [f for f in dict.fromkeys(ext.required) if f not in kind.required]
        if not new_fields and not newly_required:
            continue
        schema = dict(kind.schema)
        schema["properties"] = properties
        if newly_required:
            schema["required"] = [*kind.required, *newly_required]
        out[kind.id] = replace(kind, schema=schema, extended_by={**kind.extended_by, **new_fields})
    return out, problems


#: How a config file is named as the owner of the kind extensions it declares (``[kinds.<id>]``).
CONFIG_OWNER = "config "


def _who(owner: str) -> str:
    """A plugin, or a config file, as a message names it."""
    return owner if owner.startswith(CONFIG_OWNER) else f"plugin {owner!r}"


class KindFields(BaseModel):
    """A config file's ``[kinds."<id>"]`` table: the fields an organisation adds to a registered kind
    (its own columns), as a :class:`KindExtension` owned by the config file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fields: dict[str, dict[str, Any]] = Field(
        min_length=1, description='Field name -> its JSON Schema, e.g. site = { type = "string" }.'
    )
    required: list[str] = Field(default_factory=list, description="Those of the fields every record must have.")

    def extension(self, kind: str) -> KindExtension:
        """The extension this table declares for ``kind``."""
        return KindExtension(kind=kind, fields=self.fields, required=tuple(self.required))


def _shown(spec: Any) -> str:
    """A field's schema, compactly, for a message."""
    return json.dumps(spec, sort_keys=True, default=str)


def describe_kind(kind: EvidenceKind, owner: str) -> list[str]:
    """``capcheck kinds --show``: the kind and each field of its (merged) schema, its type, whether it is
    required, and where it came from (the kind's plugin, or the extension that added it)."""
    lines = [f"{kind.id}  {kind.title}", f"registered by: {owner}"]
    if kind.description:
        lines.append(kind.description)
    lines.append("")
    props = kind.schema.get("properties", {})
    rows = [("field", "type", "required", "from")]
    choices: list[tuple[str, str]] = []  # what a register must write in a field with a closed set of values
    for name, spec in props.items():
        shown = kind.field_types.get(name, "string")
        if isinstance(spec, Mapping):
            if shown == "string" and spec.get("format") == "date":
                shown = "date"
            if isinstance(spec.get("enum"), list):
                choices.append((name, ", ".join(str(v) for v in spec["enum"])))
        rows.append(
            (
                name,
                shown,
                "yes" if name in kind.required else "",
                kind.extended_by.get(name, owner) + (" (extension)" if name in kind.extended_by else ""),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines.extend(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip() for r in rows)
    undeclared = sorted((kind.declared_fields or frozenset()) - set(props))
    if undeclared:
        lines.append(f"declared by composed schemas: {', '.join(undeclared)}")
    if choices:
        width = max(len(name) for name, _ in choices)
        lines += ["", "choices:", *(f"  {name:<{width}}  {values}" for name, values in choices)]
    lines.append("")
    lines.append(f"the merged JSON Schema: capcheck schema {kind.id}")
    return lines


def _field_type(spec: Mapping[str, Any]) -> FieldType:
    t = spec.get("type", "string")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    if t == "array":
        items = spec.get("items", {})
        return "array:" + _field_type(items if isinstance(items, Mapping) else {})
    if t in ("integer", "number", "boolean"):
        return str(t)
    return "string"


def bundled_kinds() -> list[EvidenceKind]:
    """The kinds shipped in ``schemas/evidence/``, in name order."""
    directory = data_dir("schemas") / "evidence"
    return [EvidenceKind.from_file(p) for p in sorted(directory.glob("*.schema.json"))]


@hookimpl
def capcheck_kinds() -> Sequence[EvidenceKind]:
    """The built-in evidence kinds."""
    return bundled_kinds()
