"""``capcheck new rule``: a rule skeleton that validates and a case file that passes, to start from.

The skeleton checks one optional field of the kind (it ``exists``); the case file holds one record that
passes and one that fails, built from the kind's schema. The author then edits the condition, the
metadata and the cases.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from capcheck.errors import UsageError
from capcheck.kinds import EvidenceKind
from capcheck.registry import Registry

__all__ = ["Scaffold", "next_rule_id", "scaffold_rule"]

#: Numbers below this are left to the built-in pack; new rules start here.
FIRST_LOCAL_NUMBER = 100


@dataclass(frozen=True)
class Scaffold:
    """What ``new rule`` writes: the rule file and the case file, with their contents."""

    rule_id: str
    rule_path: Path
    rule_text: str
    case_path: Path
    case_text: str


def next_rule_id(registry: Registry, area: str, taken_in: Path) -> str:
    """The first free ``AREA-NNN`` from 100 up: not registered, and no file of that name in ``taken_in``."""
    used = {r.meta.id for r in registry.rules.values()}
    if taken_in.is_dir():
        used |= {p.stem.upper() for p in taken_in.iterdir()}
    number = FIRST_LOCAL_NUMBER
    while f"{area}-{number:03d}" in used:
        number += 1
    return f"{area}-{number:03d}"


def _example(name: str, spec: dict[str, Any]) -> Any:
    """A plausible value for a schema property."""
    if "enum" in spec:
        return spec["enum"][0]
    kind = spec.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return max(1, int(spec.get("minimum", 1)))
    if kind == "array":
        return [_example(name, spec.get("items", {}))]
    if spec.get("format") == "date":
        return "2026-01-01"
    return f"example {name.replace('_', ' ')}"


def _checked_field(kind: EvidenceKind) -> str:
    props = kind.schema.get("properties", {})
    optional = [name for name in props if name not in kind.required and name != "id"]
    if not optional:
        raise UsageError(f"kind {kind.id!r} declares no optional field for a starter rule to check")
    return "owner" if "owner" in optional else optional[0]


def _record(kind: EvidenceKind, record_id: str, field: str | None) -> dict[str, Any]:
    props = kind.schema.get("properties", {})
    record: dict[str, Any] = {"id": record_id}
    for name in kind.required:
        if name != "id":
            record[name] = _example(name, props.get(name, {}))
    if field is not None:
        record[field] = _example(field, props.get(field, {}))
    return record


def _flow(record: dict[str, Any]) -> str:
    """A YAML flow mapping (JSON is valid YAML; keys unquoted where plain)."""
    parts = []
    for key, value in record.items():
        parts.append(f"{key}: {json.dumps(value)}")
    return "{" + ", ".join(parts) + "}"


def scaffold_rule(
    registry: Registry,
    *,
    area: str,
    kind_id: str,
    out: Path,
    cases: Path,
    python: bool = False,
    rule_id: str | None = None,
) -> Scaffold:
    """Build (not write) a starter rule of ``area`` reading ``kind_id``, and its case file."""
    area = area.upper()
    if area not in registry.areas:
        raise UsageError(f"unknown area {area!r} (areas: {', '.join(sorted(registry.areas))})")
    kind = registry.kinds.get(kind_id)
    if kind is None:
        raise UsageError(f"unknown evidence kind {kind_id!r} (see 'capcheck kinds')")
    if rule_id is None:
        rule_id = next_rule_id(registry, area, out)
    elif not re.fullmatch(rf"{area}-[0-9]{{3,4}}", rule_id) or rule_id in registry.rules:
        raise UsageError(f"{rule_id!r} is not a free id of area {area} (like {area}-100)")
    field = _checked_field(kind)
    title = f"{kind.title} records name their {field.replace('_', ' ')}"
    prefix = rule_id.split("-")[1]
    passing = _record(kind, f"{prefix}-PASS", field)
    failing = _record(kind, f"{prefix}-FAIL", None)
    case_text = (
        f"# Cases for {rule_id}: evidence, and the status expected for each record id (see capcheck.testing).\n"
        f"rule: {rule_id}\n"
        "as_of: 2026-11-25\n"
        "cases:\n"
        f"  - name: a record with {field} passes, one without fails\n"
        "    evidence:\n"
        f"      {kind.id}:\n"
        f"        - {_flow(passing)}\n"
        f"        - {_flow(failing)}\n"
        f"    expect: {{{passing['id']}: pass, {failing['id']}: fail}}\n"
    )
    metadata = {
        "id": rule_id,
        "title": title,
        "area": area,
        "severity": "medium",
        "description": f"Every {kind.id} record states its {field}. TODO: say exactly what this rule checks.",
        "rationale": "TODO: why it matters, in terms of the capability and the public criterion it encodes.",
        "remediation": f"TODO: how to fix a failing record (e.g. record its {field}).",
    }
    if python:
        module = re.sub(r"[^a-z0-9]+", "_", f"{area.lower()}_{prefix}_rule")
        rule_path = out / f"{module}.py"
        function = f"{kind.id.replace('-', '_')}_have_{field}"
        rule_text = (
            f'"""{rule_id}: {title} (a starter rule from `capcheck new rule`)."""\n\n'
            "from capcheck import hookimpl, rule\n\n\n"
            "@rule(\n"
            + "".join(f"    {key}={json.dumps(value)},\n" for key, value in metadata.items())
            + f"    kinds=[{json.dumps(kind.id)}],\n"
            "    references=[],  # TODO: the public criteria it encodes (URLs)\n"
            ")\n"
            f"def {function}(evidence, ctx):\n"
            f'    """Pass the records that state {field}; fail the others."""\n'
            f"    for record in evidence.records({json.dumps(kind.id)}):\n"
            f"        if record.get({json.dumps(field)}) is not None:\n"
            "            yield ctx.passed(record)\n"
            "        else:\n"
            f"            yield ctx.failed(record, f\"record {{record['id']}} has no {field}\")\n\n\n"
            "@hookimpl\n"
            "def capcheck_rules():\n"
            f"    return [{function}]\n"
        )
    else:
        rule_path = out / f"{rule_id}.toml"
        rule_text = (
            f"# {rule_id}: a starter rule from `capcheck new rule`; `capcheck schema rule` documents every key.\n"
            "[[rule]]\n"
            + "".join(f"{key} = {json.dumps(value)}\n" for key, value in metadata.items())
            + 'version = "1.0.0"\n'
            + f"kind = {json.dumps(kind.id)}\n"
            + "references = []  # TODO: the public criteria it encodes (URLs)\n"
            + "tags = []\n"
            + f'message = "record {{id}} has no {field}"\n'
            + f"require = {{ field = {json.dumps(field)}, exists = true }}\n"
        )
    return Scaffold(
        rule_id=rule_id,
        rule_path=rule_path,
        rule_text=rule_text,
        case_path=cases / f"{rule_id}.yaml",
        case_text=case_text,
    )
