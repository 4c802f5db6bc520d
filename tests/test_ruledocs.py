"""The rule reference in docs/rules/ is generated from rule metadata and must not be stale."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from capcheck.app.config import Config
from capcheck.app.ruledocs import render_rule, rule_doc_files
from capcheck.app.runner import load_registry
from capcheck.cli import cli

DOCS = Path(__file__).resolve().parent.parent / "docs" / "rules"


def test_committed_rule_docs_are_up_to_date() -> None:
    files = rule_doc_files(load_registry(Config()))
    stale = [name for name, text in files.items() if not (DOCS / name).is_file() or (DOCS / name).read_text() != text]
    extra = sorted({p.name for p in DOCS.glob("*.md")} - set(files))
    assert not stale and not extra, f"run 'capcheck rules docs': stale {stale[:10]}, removed {extra[:10]}"


def test_every_rule_page_has_the_fixed_sections() -> None:
    registry = load_registry(Config())
    for rule in registry.rules.values():
        page = render_rule(rule, registry)
        for section in ("## What it checks", "## Why it matters", "## How to fix"):
            assert section in page, (rule.meta.id, section)
        assert rule.meta.title in page


def test_check_mode_reports_stale_docs_and_write_mode_fixes_them(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "rules"
    stale = runner.invoke(cli, ["rules", "docs", "--output", str(out), "--check"])
    assert stale.exit_code == 1
    written = runner.invoke(cli, ["rules", "docs", "--output", str(out)])
    assert written.exit_code == 0, written.output
    (out / "ZZZ-999.md").write_text("a page for a rule that no longer exists\n")
    assert runner.invoke(cli, ["rules", "docs", "--output", str(out), "--check"]).exit_code == 1
    runner.invoke(cli, ["rules", "docs", "--output", str(out)])
    assert not (out / "ZZZ-999.md").exists()
    assert runner.invoke(cli, ["rules", "docs", "--output", str(out), "--check"]).exit_code == 0


def test_the_rule_reference_never_overwrites_an_input(tmp_path: Path, monkeypatch) -> None:
    """A page that is the config (or a rule or plugin file) under another name is refused, as check refuses it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "capcheck.toml").write_text('fail_on = "high"\n')
    out = tmp_path / "docs" / "rules"
    out.mkdir(parents=True)
    (out / "index.md").symlink_to(tmp_path / "capcheck.toml")
    result = CliRunner().invoke(cli, ["rules", "docs"])
    assert result.exit_code == 2
    assert "docs/rules/index.md: --output would overwrite an input of this check: refused" in result.output
    assert (tmp_path / "capcheck.toml").read_text() == 'fail_on = "high"\n'
    assert [p.name for p in out.iterdir()] == ["index.md"]  # nothing written
    (out / "index.md").unlink()
    assert CliRunner().invoke(cli, ["rules", "docs"]).exit_code == 0
