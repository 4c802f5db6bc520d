"""Ids and namespaces: ``acme.CULT-101`` and ``acme.staff-roster`` are accepted wherever an id is, never
collide with the pack's, and the JSON Schemas repeat the one definition in ``capcheck.core.ids``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from capcheck.core import ids
from capcheck.core.errors import UsageError
from capcheck.core.models import RuleMeta, fingerprint
from capcheck.core.resources import load_schema
from capcheck.core.rules import Rule, RuleContext, rule, select_rules

FIXTURES = Path(__file__).parent / "fixtures"
PLUGIN = ["--plugin", str(FIXTURES / "plugins" / "namespaced_plugin.py")]
TEXT = {"description": "d", "rationale": "r", "remediation": "m"}


@pytest.mark.parametrize(
    ("some_id", "ok"),
    [
        ("COMM-001", True),
        ("acme.CULT-101", True),
        ("nhs-digital.INFRA-1001", True),
        ("ACME.CULT-101", False),  # a namespace is lowercase
        ("acme/CULT-101", False),
        ("acme..CULT-101", False),
        ("a.b.CULT-101", False),  # one namespace
        ("acme.", False),
        ("-acme.CULT-101", False),
    ],
)
def test_rule_id_pattern(some_id: str, ok: bool) -> None:
    assert bool(re.match(ids.RULE_ID, some_id)) is ok


@pytest.mark.parametrize(
    ("some_id", "ok"),
    [
        ("it-assets", True),
        ("acme.staff-roster", True),
        ("Acme.staff-roster", False),
        ("acme.staff_roster", False),
        ("acme.b.c", False),
        ("acme/staff-roster", False),
    ],
)
def test_kind_id_pattern(some_id: str, ok: bool) -> None:
    assert bool(re.match(ids.KIND_ID, some_id)) is ok


@pytest.mark.parametrize(
    ("plugin", "suggested"),
    [
        ("capcheck-acme", "acme"),  # a distribution: its capcheck- prefix dropped
        ("capcheck_testplugin", "testplugin"),
        ("NHS Digital", "nhs-digital"),
        ("./our_rules.py", "our-rules"),  # a plugin file: its stem
        ("plugins/ours/", "ours"),  # a package directory
        ("acme_rules.checks", "acme-rules"),  # a module: its top package
        ("capcheck", "acme"),  # never the reserved namespace
        ("9lives", "acme"),  # never one the pattern refuses
    ],
)
def test_a_namespace_is_suggested_from_a_plugins_name(plugin: str, suggested: str) -> None:
    assert ids.suggest_namespace(plugin) == suggested
    assert re.fullmatch(ids.NAMESPACE, suggested) and suggested != ids.RESERVED_NAMESPACE


def _patterns(node: Any, key: str) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, dict) and "pattern" in v:
                found.append(v["pattern"])
            found.extend(_patterns(v, key))
    elif isinstance(node, list):
        for v in node:
            found.extend(_patterns(v, key))
    return found


def test_the_schemas_repeat_the_id_patterns() -> None:
    rule_schema = load_schema("rule")
    assert ids.RULE_ID in _patterns(rule_schema, "id")
    assert set(_patterns(rule_schema, "kind")) == {ids.KIND_ID}
    assert set(_patterns(load_schema("findings"), "id")) == {ids.RULE_ID}
    waiver_rule = _patterns(load_schema("waivers"), "rule")
    assert waiver_rule == [ids.RULE_ID.removesuffix("-[0-9]{3,4}$") + "(-[0-9]{0,4})?$"]


def test_ids_split_and_normalise() -> None:
    assert (ids.namespace_of("acme.CULT-101"), ids.local_id("acme.CULT-101")) == ("acme", "CULT-101")
    assert (ids.namespace_of("COMM-001"), ids.local_id("COMM-001")) == (None, "COMM-001")
    assert ids.normalise_rule_id(" ACME.cult-101 ") == "acme.CULT-101"
    assert ids.normalise_rule_id("comm-001") == "COMM-001"


def _meta(rule_id: str, area: str, kinds: tuple[str, ...] = ("it-assets",)) -> RuleMeta:
    return RuleMeta.model_validate(
        {"id": rule_id, "title": "t holds", "area": area, "severity": "low", "kinds": kinds, **TEXT}
    )


def test_a_namespaced_rule_belongs_to_the_area_after_its_namespace() -> None:
    assert _meta("acme.CULT-101", "CULT", ("acme.staff-roster",)).area == "CULT"
    with pytest.raises(ValueError, match="must start with its area 'COMM'"):
        _meta("acme.CULT-101", "COMM")


def _make(rule_id: str, tags: tuple[str, ...] = ()) -> Rule:
    def check(evidence: Any, ctx: RuleContext) -> Any:
        return iter(())

    area = ids.local_id(rule_id).split("-")[0]
    return rule(id=rule_id, title="t holds", area=area, severity="low", kinds=["it-assets"], tags=tags, **TEXT)(check)


RULES = {
    r.id: r for r in map(_make, ("CULT-001", "CULT-102", "COMM-001", "acme.CULT-101", "acme.COMM-001", "beta.CULT-101"))
}


@pytest.mark.parametrize(
    ("selector", "chosen"),
    [
        ("acme.", ["acme.COMM-001", "acme.CULT-101"]),
        ("ACME.", ["acme.COMM-001", "acme.CULT-101"]),
        ("acme.CULT", ["acme.CULT-101"]),
        ("acme.cult-101", ["acme.CULT-101"]),
        ("acme.CULT-1", ["acme.CULT-101"]),
        ("CULT", ["CULT-001", "CULT-102", "acme.CULT-101", "beta.CULT-101"]),  # the area stays the area
        ("CULT-1", ["CULT-102"]),  # an id prefix never reaches into a namespace
        ("COMM-001", ["COMM-001"]),
    ],
)
def test_selection_by_namespace(selector: str, chosen: list[str]) -> None:
    assert [r.id for r in select_rules(RULES, [selector])] == chosen


def test_a_bare_namespace_is_a_usage_error_that_says_how() -> None:
    with pytest.raises(UsageError, match=re.escape("a namespace is selected with its dot: 'acme.'")):
        select_rules(RULES, ["acme"])


def test_namespaced_fingerprints_differ_from_the_packs() -> None:
    assert fingerprint("acme.COMM-001", "supplier-contracts", "C-1", None) != fingerprint(
        "COMM-001", "supplier-contracts", "C-1", None
    )


@pytest.fixture
def roster(workdir: Path) -> Path:
    (workdir / "evidence").mkdir()
    (workdir / "evidence" / "acme.staff-roster.json").write_text(
        json.dumps({"kind": "acme.staff-roster", "records": [{"id": "P-1", "mentor": "P-2"}, {"id": "P-2"}]})
    )
    (workdir / "evidence" / "supplier-contracts.json").write_text(
        json.dumps(
            {
                "kind": "supplier-contracts",
                "records": [
                    {
                        "id": "C-1",
                        "title": "Hosting",
                        "supplier": "S",
                        "value": 1,
                        "start_date": "2025-01-01",
                        "status": "active",
                    }
                ],
            }
        )
    )
    return workdir / "evidence"


def test_a_namespaced_plugin_runs_end_to_end(run_cli, roster: Path, workdir: Path) -> None:
    base = ["check", "evidence", "--as-of", "2026-01-01", "--select", "acme.", *PLUGIN]
    result = run_cli(*base, "-f", "json")
    assert result.exit_code == 1, result.stderr
    doc = json.loads(result.stdout)
    fails = sorted((f["rule_id"], f["evidence"]["kind"], f["evidence"]["record_id"]) for f in doc["findings"])
    assert fails == [("acme.COMM-001", "supplier-contracts", "C-1"), ("acme.CULT-101", "acme.staff-roster", "P-2")]
    assert doc["evidence"][0]["kind"] == "acme.staff-roster"

    sarif = json.loads(run_cli(*base, "-f", "sarif").stdout)
    run = sarif["runs"][0]
    assert sorted(r["id"] for r in run["tool"]["driver"]["rules"]) == ["acme.COMM-001", "acme.CULT-101"]
    assert sorted(r["ruleId"] for r in run["results"]) == ["acme.COMM-001", "acme.CULT-101"]

    # a waiver by namespaced id, a baseline of the rest, and a per-rule config setting
    (workdir / "waivers.yaml").write_text(
        "waivers:\n  - rule: acme.CULT\n    records: [P-2]\n    reason: mentor joins in January\n"
        "    approved_by: Head of People\n    ticket: HR-1\n    expires: 2026-03-01\n"
    )
    made = run_cli(
        "baseline",
        "create",
        "evidence",
        "--as-of",
        "2026-01-01",
        "--select",
        "acme.COMM",
        *PLUGIN,
        "--output",
        "base.json",
    )
    assert made.exit_code == 0, made.stderr
    assert [e["rule_id"] for e in json.loads((workdir / "base.json").read_text())["findings"]] == ["acme.COMM-001"]
    (workdir / "capcheck.toml").write_text('[severity]\n"acme.CULT-101" = "critical"\n')
    governed = run_cli(*base, "--waivers", "waivers.yaml", "--baseline", "base.json", "-f", "json")
    assert governed.exit_code == 0, governed.stderr
    statuses = {f["rule_id"]: (f["status"], f["severity"]) for f in json.loads(governed.stdout)["findings"]}
    assert statuses == {"acme.CULT-101": ("waived", "critical"), "acme.COMM-001": ("baselined", "low")}

    shown = run_cli("rules", "show", "ACME.cult-101", *PLUGIN)
    assert shown.exit_code == 0 and shown.stdout.startswith("acme.CULT-101  Every member of staff has a mentor")


def test_an_unquoted_namespaced_id_in_the_config_says_to_quote_it(run_cli, roster: Path, workdir: Path) -> None:
    (workdir / "capcheck.toml").write_text("[options.acme.CULT-101]\nx = 1\n")
    result = run_cli("check", "evidence", *PLUGIN)
    assert result.exit_code == 2
    assert 'a namespaced rule id is quoted in TOML: "acme.<ID>"' in result.stderr


def test_the_built_in_pack_and_kinds_stay_unprefixed() -> None:
    from capcheck.app.config import Config
    from capcheck.app.runner import load_registry

    registry = load_registry(Config())
    assert [r.id for r in registry.rules.values() if ids.namespace_of(r.id) is not None] == []
    assert [k for k in registry.kinds if ids.namespace_of(k) is not None] == []
