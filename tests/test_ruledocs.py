"""The rule reference in docs/rules/ is generated from rule metadata and must not be stale."""

from __future__ import annotations

from pathlib import Path

import pytest
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
    header = (out / "index.md").read_text().splitlines(keepends=True)[0]  # a page the reference wrote
    (out / "ZZZ-999.md").write_text(header + "a page for a rule that no longer exists\n")
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


def test_only_pages_the_reference_wrote_are_removed_as_stale(tmp_path: Path) -> None:
    """`rules docs --output docs` removed every .md there that was not a rule's page: the README, the user's notes."""
    out = tmp_path / "docs"
    out.mkdir()
    (out / "README.md").write_text("# Our docs\n")
    (out / "COMM-999.md").write_text("notes about a rule we plan\n")
    header = rule_doc_files(load_registry(Config()))["index.md"].splitlines(keepends=True)[0]
    (out / "OLD-001.md").write_text(header + "\n# OLD-001: a rule that no longer exists\n")
    runner = CliRunner()
    assert runner.invoke(cli, ["rules", "docs", "--output", str(out), "--check"]).exit_code == 1  # OLD-001 is stale
    assert runner.invoke(cli, ["rules", "docs", "--output", str(out)]).exit_code == 0
    assert (out / "README.md").read_text() == "# Our docs\n"
    assert (out / "COMM-999.md").read_text() == "notes about a rule we plan\n"
    assert not (out / "OLD-001.md").exists()
    assert runner.invoke(cli, ["rules", "docs", "--output", str(out), "--check"]).exit_code == 0


def test_select_and_ignore_document_only_the_chosen_rules(tmp_path: Path) -> None:
    """`rules docs` had no --select/--ignore (every other rule command takes a selection): a plugin author could
    not generate the reference of their own rules alone. The chosen rules' pages and an index of them (saying
    what chose them) are written; --check compares the same selection; a page of a rule left out is kept."""
    registry = load_registry(Config())
    comm = sorted(rid for rid, r in registry.rules.items() if r.meta.area == "COMM")
    assert len(comm) > 2
    runner = CliRunner()
    out = tmp_path / "rules"
    argv = ["rules", "docs", "--output", str(out), "--select", "COMM", "--ignore", comm[0]]
    result = runner.invoke(cli, argv)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(["index.md", *(f"{rid}.md" for rid in comm[1:])])
    index = (out / "index.md").read_text()
    assert (
        f"{len(comm) - 1} rules in 1 capability area. The rules chosen by `--select COMM --ignore {comm[0]}`" in index
    )
    assert "## COMM: " in index and "## INFRA: " not in index and f"[{comm[0]}]" not in index
    assert (out / f"{comm[1]}.md").read_text() == render_rule(registry.rules[comm[1]], registry)
    assert runner.invoke(cli, [*argv, "--check"]).exit_code == 0
    assert runner.invoke(cli, ["rules", "docs", "--output", str(out), "--check"]).exit_code == 1  # the whole set
    # Every page, then a selection: the pages of the rules left out are kept, never removed as stale.
    assert runner.invoke(cli, ["rules", "docs", "--output", str(out)]).exit_code == 0
    assert runner.invoke(cli, [*argv]).exit_code == 0
    assert len(list(out.glob("*.md"))) == len(registry.rules) + 1
    assert runner.invoke(cli, [*argv, "--check"]).exit_code == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--select", "COMX"], "--select: unknown rule id, area or tag 'COMX' (did you mean 'COMM'?)"),
        (["--ignore", "INFRA-999"], "--ignore: unknown rule id, area or tag 'INFRA-999'"),
        (["--select", "COMM", "--ignore", "COMM"], "no rules left to run"),
    ],
)
def test_a_bad_selection_is_a_usage_error_and_writes_nothing(tmp_path: Path, argv: list[str], message: str) -> None:
    out = tmp_path / "rules"
    result = CliRunner().invoke(cli, ["rules", "docs", "--output", str(out), *argv])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()
