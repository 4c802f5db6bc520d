"""The plugin as capcheck sees it: found through its entry point once installed, its kind extension
merged into capcheck's it-assets, its namespaced rules run by `capcheck check`."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from capcheck.cli import cli
from click.testing import CliRunner, Result


@pytest.fixture
def run(plugin_args: tuple[str, ...]) -> Callable[..., Result]:
    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, [*args, *plugin_args], catch_exceptions=False)

    return invoke


@pytest.mark.usefixtures("installed_plugin")
def test_capcheck_finds_the_installed_plugin_through_its_entry_point(run: Callable[..., Result]) -> None:
    listing = run("plugins")
    assert listing.exit_code == 0, listing.stderr
    [line] = [line for line in listing.stdout.splitlines() if line.startswith("example ")]
    assert "entry point" in line and "(capcheck-example " in line
    assert "1 kind" in line and "1 kind field" in line and "3 rules" in line


def test_the_kind_extension_is_merged_into_it_assets(run: Callable[..., Result]) -> None:
    shown = run("kinds", "--show", "it-assets")
    assert shown.exit_code == 0, shown.stderr
    [row] = [line.split() for line in shown.stdout.splitlines() if line.startswith("example_site ")]
    assert row[1] == "string" and row[-1] == "(extension)"


def test_a_check_runs_the_plugins_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Callable[..., Result]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("it-assets.csv").write_text(
        "id,name,product,environment,criticality,example_site\n"
        "A-1,web,nginx,production,high,Leeds\n"
        "A-2,db,postgresql,production,high,\n"
    )
    result = run("check", "it-assets.csv", "--select", "example.", "--as-of", "2026-11-25", "-f", "json")
    assert result.exit_code == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    assert sorted((f["rule_id"], f["status"], f["evidence"].get("record_id")) for f in findings) == [
        ("example.GOV-100", "skip", None),
        ("example.GOV-101", "skip", None),
        ("example.INFRA-100", "fail", "A-2"),
    ]
