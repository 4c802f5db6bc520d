"""The built-in capability pack as a whole: every area covered, every rule grounded in a public criterion."""

from __future__ import annotations

from collections import Counter

import pytest

from capcheck.app.config import Config
from capcheck.app.registry import Registry
from capcheck.app.runner import load_registry
from capcheck.builtins.frameworks import coverage


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(Config())


def test_every_area_has_at_least_four_rules(registry: Registry) -> None:
    per_area = Counter(r.meta.area for r in registry.rules.values())
    assert set(per_area) == set(registry.areas)
    thin = {area: n for area, n in per_area.items() if n < 4}
    assert not thin, f"areas with fewer than 4 rules: {thin}"
    assert sum(per_area.values()) >= 44


def test_every_rule_references_a_public_criterion(registry: Registry) -> None:
    for rule in registry.rules.values():
        meta = rule.meta
        assert any(ref.startswith("https://") for ref in meta.references), meta.id
        assert meta.criteria, f"{meta.id} names no framework criterion"


def test_every_framework_has_automated_and_manual_criteria_listed(registry: Registry) -> None:
    criteria = {r.meta.id: r.meta.criteria for r in registry.rules.values()}
    for framework in registry.frameworks.values():
        rows = coverage(framework, criteria)
        if not framework.criteria:  # an edition whose criteria are not in a bundled source says so
            assert "not bundled" in framework.description, framework.id
            continue
        if framework.id.startswith("capcheck"):  # capcheck's own manual criteria: what no register can show
            assert all(row.mode == "manual" for row in rows)
            continue
        assert any(row.mode == "automated" for row in rows), f"{framework.id}: no rule encodes any criterion"
    caf = coverage(registry.frameworks["caf-4.0"], criteria)
    assert any(row.mode == "manual" for row in caf)  # the CAF is not fully automatable, and says so


def test_rule_options_are_documented_in_the_rule_reference(registry: Registry) -> None:
    from capcheck.app.ruledocs import render_rule

    for rule in registry.rules.values():
        page = render_rule(rule, registry)
        for option in rule.meta.options:
            assert f"`{option}`" in page, (rule.meta.id, option)
