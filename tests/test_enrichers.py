"""Enrichers (``capcheck_enrichers``): plugins complete loaded documents before validation."""

from __future__ import annotations

import json
from pathlib import Path

from capcheck.app.config import Config
from capcheck.app.registry import Registry
from capcheck.app.runner import load_registry
from capcheck.core.evidence import load_evidence

FIXTURES = Path(__file__).parent / "fixtures" / "plugins"
ASSET = {"id": "A-1", "name": "web", "product": "rhel", "environment": "production", "criticality": "high"}


def test_the_built_in_enrichers_are_registered() -> None:
    registry: Registry = load_registry(Config())
    assert {e.name: e.kinds for e in registry.enrichers} == {
        "dspt-status-text": ("dspt-assessments",),
        "endoflife": ("it-assets",),
    }
    assert registry.owners[("enricher", "endoflife")] == "capcheck.builtins.lifecycle"
    assert registry.owners[("enricher", "dspt-status-text")] == "capcheck.builtins.loaders.dspt"


def test_a_plugin_enricher_fills_in_its_kind_and_says_so(workdir: Path) -> None:
    evidence = workdir / "ev"
    evidence.mkdir()
    records = [{**ASSET, "team": "platform"}, {**ASSET, "id": "A-2", "team": "platform", "owner": "alice"}]
    (evidence / "it-assets.json").write_text(json.dumps({"kind": "it-assets", "records": records}))
    contracts = [
        {
            "id": "C-1",
            "title": "Hosting",
            "supplier": "Acme",
            "value": 10,
            "start_date": "2024-01-01",
            "status": "active",
        }
    ]
    (evidence / "supplier-contracts.json").write_text(json.dumps({"kind": "supplier-contracts", "records": contracts}))
    registry = load_registry(Config(), plugins=[str(FIXTURES / "enricher_plugin.py")])
    assert [e.name for e in registry.enrichers] == ["dspt-status-text", "endoflife", "team-leads"]  # registration order
    loaded = load_evidence(
        [evidence], loaders=registry.loaders, kinds=registry.kinds, enrichers=registry.enrichers,
        options={"team_leads": {"platform": "platform-lead"}},
    )  # fmt: skip
    assert loaded.get("it-assets", "A-1")["owner"] == "platform-lead"  # filled in, from the config's options
    assert loaded.get("it-assets", "A-1")["owner_source"] == "team leads register"
    assert loaded.get("it-assets", "A-2")["owner"] == "alice"  # the register's own value is kept
    assert "team" not in loaded.get("supplier-contracts", "C-1")  # other kinds untouched
    notes = {f.kind: f.notes for f in loaded.files}
    assert "owners from the team leads register: it-assets" in notes["it-assets"]
    assert not any("team leads" in n for n in notes["supplier-contracts"])


def test_an_enricher_that_raises_names_itself_and_the_file(run_cli, workdir: Path) -> None:
    evidence = workdir / "ev"
    evidence.mkdir()
    (evidence / "it-assets.json").write_text(json.dumps({"kind": "it-assets", "records": [ASSET]}))
    plugin = str(FIXTURES / "broken_enricher_plugin.py")
    result = run_cli("check", str(evidence), "--plugin", plugin)
    assert result.exit_code == 2
    assert "ev/it-assets.json: the 'boom' enricher failed: KeyError: 'site'" in result.stderr
    assert "Traceback" not in result.stderr


def test_two_enrichers_with_one_name_name_both_plugins(run_cli, workdir: Path) -> None:
    plugin = str(FIXTURES / "duplicate_enricher_plugin.py")
    result = run_cli("plugins", "--plugin", plugin)
    assert result.exit_code == 2
    assert "enricher 'endoflife' is registered twice: by 'capcheck.builtins.lifecycle'" in result.stderr
