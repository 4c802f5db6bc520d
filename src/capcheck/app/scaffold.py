"""``capcheck new rule`` and ``capcheck new plugin``: skeletons that validate and cases that pass, to start from.

A rule skeleton checks one optional field of the kind (it ``exists``); its case file holds one record
that passes and one that fails, built from the kind's schema. A plugin skeleton is a pip-installable
package (templates in ``templates/plugin/``): a namespaced kind, a declarative and a Python rule, their
case files and a test that runs them. The author then edits the conditions, the metadata and the cases.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from capcheck.app.registry import Registry
from capcheck.core.errors import UsageError
from capcheck.core.ids import NAMESPACE, RESERVED_NAMESPACE, local_id
from capcheck.core.kinds import EvidenceKind
from capcheck.core.wording import did_you_mean

__all__ = ["Scaffold", "module_name", "next_rule_id", "refuse_builtin_pack", "scaffold_plugin", "scaffold_rule"]

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


def module_name(rule_id: str) -> str:
    """The Python module a ``--python`` starter rule is written to: ``infra_100_rule`` for ``INFRA-100``,
    ``acme_cult_100_rule`` for ``acme.CULT-100``."""
    return re.sub(r"[^a-z0-9]+", "_", f"{rule_id.lower()}_rule")


def _taken(rule_id: str, out: Path, cases: Path) -> bool:
    """Whether a file of the id is in the rules or the cases folder already, in either style (so that a
    ``--python`` scaffold after a TOML one does not take the TOML one's case file)."""
    return any(
        p.exists() for p in (out / f"{rule_id}.toml", out / f"{module_name(rule_id)}.py", cases / f"{rule_id}.yaml")
    )


def next_rule_id(registry: Registry, area: str, out: Path, cases: Path, namespace: str | None = None) -> str:
    """The first free id of ``area`` from 100 up (``AREA-NNN``, or ``namespace.AREA-NNN``): not
    registered, and no rule file (TOML or Python) in ``out`` nor case file in ``cases`` of that id."""
    prefix = f"{namespace}.{area}" if namespace else area
    number = FIRST_LOCAL_NUMBER
    while f"{prefix}-{number:03d}" in registry.rules or _taken(f"{prefix}-{number:03d}", out, cases):
        number += 1
    return f"{prefix}-{number:03d}"


def _source_packs(target: Path) -> list[Path]:
    """The rule packs of capcheck source trees that hold ``target``: a folder whose ``pyproject.toml`` names
    the project ``capcheck`` and whose ``rules/`` has the pack's ``areas.toml`` (a clone of capcheck, whatever
    capcheck is installed: its ``./rules`` is the pack its next install ships)."""
    import tomllib

    packs = []
    for folder in (target, *target.parents):
        if (folder / "rules" / "areas.toml").is_file() and (folder / "pyproject.toml").is_file():
            try:
                project = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8")).get("project")
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if isinstance(project, dict) and project.get("name") == "capcheck":
                packs.append(folder / "rules")
    return packs


def refuse_builtin_pack(path: Path, option: str) -> None:
    """Refuse to write a starter into capcheck's own rule pack (or its case files): run in capcheck's
    repository, the default ``./rules`` *is* the pack, and a rule there would ship as a built-in."""
    from capcheck.core.resources import data_dir

    target = path.resolve()
    packs = {data_dir("rules").resolve(), *_source_packs(target)}
    for builtin in (p for pack in packs for p in (pack, pack.parent / "tests" / "rule_cases")):
        if target == builtin or builtin in target.parents:
            raise UsageError(
                f"{path.as_posix()} is capcheck's built-in rule pack: a new rule goes in a folder of your own "
                f"({option} DIR, e.g. {option} ./my-rules)"
            )


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
    namespace: str | None = None,
) -> Scaffold:
    """Build (not write) a starter rule of ``area`` reading ``kind_id``, and its case file.

    :param namespace: the publisher namespace of the new id (``acme`` makes ``acme.GOV-100``).
    """
    area = area.upper()
    if area not in registry.areas:
        hint = did_you_mean(area, registry.areas)
        raise UsageError(f"unknown area {area!r}{hint} (areas: {', '.join(sorted(registry.areas))})")
    kind = registry.kinds.get(kind_id)
    if kind is None:
        raise UsageError(
            f"unknown evidence kind {kind_id!r}{did_you_mean(kind_id, registry.kinds)} (see 'capcheck kinds')"
        )
    if namespace is not None and not re.fullmatch(NAMESPACE, namespace):
        raise UsageError(f"{namespace!r} is not a namespace (lowercase words joined by hyphens, e.g. acme)")
    if namespace == RESERVED_NAMESPACE:
        raise UsageError(_RESERVED)
    if rule_id is None:
        rule_id = next_rule_id(registry, area, out, cases, namespace)
    else:
        ns_part = rf"{re.escape(namespace)}\." if namespace else rf"(?:{NAMESPACE}\.)?"
        if not re.fullmatch(rf"{ns_part}{area}-[0-9]{{3,4}}", rule_id) or rule_id in registry.rules:
            like = f"{namespace}.{area}-100" if namespace else f"{area}-100"
            raise UsageError(f"{rule_id!r} is not a free id of area {area} (like {like})")
    field = _checked_field(kind)
    subject = re.sub(r"\s*\([^)]*\)$", "", kind.title)  # "Training records (learning management system)"
    subject = subject if subject.lower().endswith("records") else f"{subject} records"
    title = f"{subject} name their {field.replace('_', ' ')}"
    prefix = local_id(rule_id).split("-")[1]
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
        rule_path = out / f"{module_name(rule_id)}.py"
        function = f"{kind.id.replace('-', '_').replace('.', '_')}_have_{field}"
        rule_text = (
            f'"""{rule_id}: {title} (a starter rule from `capcheck new rule`)."""\n\n'
            "from collections.abc import Iterator, Sequence\n\n"
            "from capcheck import EvidenceSet, Outcome, Rule, RuleContext, hookimpl, rule\n\n\n"
            "@rule(\n"
            + "".join(f"    {key}={json.dumps(value)},\n" for key, value in metadata.items())
            + f"    kinds=[{json.dumps(kind.id)}],\n"
            "    references=[],  # TODO: the public criteria it encodes (URLs)\n"
            ")\n"
            f"def {function}(evidence: EvidenceSet, ctx: RuleContext) -> Iterator[Outcome]:\n"
            f'    """Pass the records that state {field}; fail the others (absent, null, blank or a placeholder)."""\n'
            f"    for record in evidence.records({json.dumps(kind.id)}):\n"
            f"        if ctx.missing(record, {json.dumps(field)}):  # as the TOML starter's exists = true\n"
            f"            yield ctx.failed(record, f\"record {{record['id']}} has no {field}\")\n"
            "        else:\n"
            "            yield ctx.passed(record)\n\n\n"
            "@hookimpl\n"
            "def capcheck_rules() -> Sequence[Rule]:\n"
            '    """The rules of this plugin module."""\n'
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


#: Why ``capcheck`` is neither a plugin name nor a namespace for a starter (the registry refuses such ids).
_RESERVED = (
    f"{RESERVED_NAMESPACE!r} is reserved for capcheck's own ids: use your publisher's name as the namespace "
    "(e.g. acme; docs/plugins.md#namespaces)"
)

#: The plugin skeleton's files: ``string.Template`` text (``.tmpl``), with ``__name__`` tokens in their paths.
PLUGIN_TEMPLATES = Path(__file__).resolve().parent / "templates" / "plugin"


def scaffold_plugin(registry: Registry, name: str, *, area: str = "GOV") -> dict[Path, str]:
    """Build (not write) the files of a pip-installable plugin ``capcheck-<name>``, by path relative to
    the folder it goes in: a kind ``<name>.register``, a declarative rule ``<name>.<AREA>-100``, a Python
    rule ``<name>.<AREA>-101``, their case files, a test that runs them, a README and a pyproject naming
    the ``capcheck`` entry point. ``name`` is the plugin's namespace (lowercase words joined by hyphens).
    """
    from string import Template

    from capcheck._version import __version__
    from capcheck.core.hookspecs import PLUGIN_API_VERSION

    if not re.fullmatch(NAMESPACE, name):
        raise UsageError(
            f"{name!r} is not a plugin name: lowercase words joined by hyphens (e.g. acme, nhs-digital); it is "
            "also the namespace of the plugin's ids (acme.GOV-100)"
        )
    if name == RESERVED_NAMESPACE:  # its ids would be refused at load
        raise UsageError(_RESERVED)
    area = area.upper()
    if area not in registry.areas:
        hint = did_you_mean(area, registry.areas)
        raise UsageError(f"unknown area {area!r}{hint} (areas: {', '.join(sorted(registry.areas))})")
    package = "capcheck_" + name.replace("-", "_")
    values = {
        "ns": name,
        "dist": f"capcheck-{name}",
        "package": package,
        "area": area,
        "kind": f"{name}.register",
        "rule_toml": f"{name}.{area}-100",
        "rule_py": f"{name}.{area}-101",
        "api": PLUGIN_API_VERSION,
        "capcheck_version": ".".join(__version__.split(".")[:2]),
    }
    tokens = {"__package__": package, "__kind__": values["kind"], "__rule_toml__": values["rule_toml"]}
    tokens["__rule_py__"] = values["rule_py"]
    files: dict[Path, str] = {}
    for template in sorted(p for p in PLUGIN_TEMPLATES.rglob("*") if p.is_file()):
        relative = template.relative_to(PLUGIN_TEMPLATES).as_posix()
        for token, value in tokens.items():
            relative = relative.replace(token, value)
        text = template.read_text(encoding="utf-8")
        if relative.endswith(".tmpl"):
            relative = relative.removesuffix(".tmpl")
            text = Template(text).substitute(values)
        files[Path(f"capcheck-{name}") / relative] = text
    return files
