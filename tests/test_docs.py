"""Docs are part of the feature: these fail when a command, option, config key, hook, kind or rule is undocumented."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from capcheck.app.config import Config
from capcheck.app.runner import load_registry
from capcheck.cli import cli
from capcheck.core import hookspecs
from capcheck.core.kinds import bundled_kinds

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
DOCS = ROOT / "docs"


def _commands(group: click.Group, prefix: str = "capcheck") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            out.extend(_commands(command, path))
        else:
            out.append((path, command))
    return out


@pytest.mark.parametrize(("path", "command"), _commands(cli), ids=lambda x: x if isinstance(x, str) else "")
def test_every_command_and_option_is_in_the_readme(path: str, command: click.Command) -> None:
    assert path in README, f"{path} is not in the README's command list"
    if path in ("capcheck check", "capcheck baseline create"):
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt not in ("--help", "--config", "--debug"):
                    assert opt in README, f"{path} {opt} is not documented in the README"


def test_every_config_key_is_documented() -> None:
    page = (DOCS / "configuration.md").read_text()
    for key in Config.model_fields:
        if key != "source":
            assert f"| `{key}` |" in page, f"config key {key!r} is missing from docs/configuration.md"


def test_the_complete_config_example_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = (DOCS / "configuration.md").read_text()
    example = re.search(r"```toml\n# capcheck.toml\n(.*?)```", page, re.S)
    assert example is not None
    # keep what needs no files of the reader's: the rest is checked by the config model alone
    text = "\n".join(
        line
        for line in example.group(1).splitlines()
        if not line.startswith(("paths", "rules", "plugins", "waivers", "baseline"))
    )
    (tmp_path / "capcheck.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    evidence = ROOT / "examples" / "northgate-health-digital" / "evidence"
    result = CliRunner().invoke(cli, ["check", str(evidence), "--as-of", "2026-11-25", "-f", "json"])
    assert result.exit_code == 1, result.stderr  # failures, not a config error


def test_every_hook_is_specified_with_an_example_and_listed_in_the_plugin_guide() -> None:
    guide = (DOCS / "plugins.md").read_text()
    hooks = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("capcheck_")]
    assert len(hooks) >= 8
    for name in hooks:
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert "Example::" in doc and ":return:" in doc, f"{name} lacks an example or a return description"
        assert f"`{name}()`" in guide, f"{name} is not in docs/plugins.md"


def test_every_kind_is_in_the_evidence_reference() -> None:
    page = (DOCS / "evidence.md").read_text()
    for kind in bundled_kinds():
        assert f"| `{kind.id}` |" in page, f"kind {kind.id} is missing from docs/evidence.md"


def test_every_area_page_names_its_rules() -> None:
    registry = load_registry(Config())
    for area in registry.areas.values():
        page = DOCS / "areas" / f"{area.id.lower()}.md"
        assert page.is_file(), f"no docs/areas/{area.id.lower()}.md"
        text = page.read_text()
        missing = sorted(r.meta.id for r in registry.rules.values() if r.meta.area == area.id and r.meta.id not in text)
        assert not missing, f"{page.name} does not mention {missing}"


def test_every_mapping_key_is_in_the_mapping_reference_and_its_examples_are_valid() -> None:
    import tomllib

    from capcheck.core.mapping import MAPPING_KEYS
    from capcheck.core.mapping_config import compile_mappings

    page = (DOCS / "bring-your-own-registers.md").read_text()
    for key in MAPPING_KEYS:
        assert f"| `{key}` |" in page, f"mapping key {key!r} is missing from docs/bring-your-own-registers.md"
    examples = re.findall(r"```toml\n(.*?)```", page, re.S)
    assert len(examples) >= 2
    for example in examples:
        tables = tomllib.loads(example)["mapping"]
        assert tables and compile_mappings(tables)


def test_the_findings_document_in_the_findings_reference_is_valid() -> None:
    # docs/findings.md shows an auditor the document field by field: it must be one the schema accepts
    # (its "...": "..." members only say that more of the same follow).
    import json

    import jsonschema

    from capcheck.core.resources import load_schema

    text = (DOCS / "findings.md").read_text()
    found = re.search(r"## The document\n\n```json\n(.*?)\n```", text, re.S)
    assert found is not None

    def elide(value: object) -> object:
        if isinstance(value, dict):
            return {k: elide(v) for k, v in value.items() if k != "..."}
        if isinstance(value, list):
            return [elide(v) for v in value]
        return value

    document = elide(json.loads(found.group(1)))
    validator = jsonschema.Draft202012Validator(load_schema("findings"), format_checker=jsonschema.FormatChecker())
    assert [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document)] == []


def test_the_plugin_guides_give_the_plugin_api_version_in_force() -> None:
    version = hookspecs.PLUGIN_API_VERSION
    plugins = (ROOT / "docs" / "plugins.md").read_text()
    assert f"(`MAJOR.MINOR`, now `{version}`)" in plugins
    assert f'CAPCHECK_PLUGIN_API = "{version}"' in plugins
    assert f'`CAPCHECK_PLUGIN_API = "{version}"`' in (ROOT / "docs" / "writing-rules.md").read_text()
    source = Path(hookspecs.__file__).read_text()
    history = " ".join(source.split("History:", 1)[1].split("PLUGIN_API_VERSION")[0].split())
    assert f"; {version} " in history, "hookspecs.py's version history stops before the version in force"


def test_every_hook_example_can_be_copied_beside_the_built_ins() -> None:
    # The reporter example registered 'csv' and the rule-format example '.toml': copied, each stopped the run
    # as registered twice.
    registry = load_registry(Config())
    taken = {
        "Reporter": (r'Reporter\(name="([^"]+)"', set(registry.reporters)),
        "RuleFormat": (r"RuleFormat\([^)]*extensions=\(([^)]*)\)", set(registry.rule_formats)),
        "Loader": (r"Loader\((?![^\n]*claims=)[^\n]*extensions=\(([^)]*)\)", set(registry.loaders)),
        "Area": (r'Area\(id="([^"]+)"', set(registry.areas)),
    }
    clashes = []
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction):
        example = (inspect.getdoc(fn) or "").partition("Example::")[2]
        for what, (pattern, names) in taken.items():
            for found in re.findall(pattern, example):
                keys = {k.strip().strip("\"'") for k in found.split(",")} - {""}
                clashes += [f"{name}: {what} {k!r}" for k in keys & names]
    assert not clashes, f"hook examples that clash with a built-in: {clashes}"


def test_the_readmes_first_rules_run_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The two rules of "Writing a first rule", copied as they stand, run over the example organisation.
    toml = re.search(r"```toml\n# our-rules/COMM-101.toml\n(.*?)```", README, re.S)
    python = re.search(r"```python\n(# our_capcheck_rules.py\n.*?)```", README, re.S)
    assert toml and python, "the README lost its first rules"
    (tmp_path / "our-rules").mkdir()
    (tmp_path / "our-rules" / "COMM-101.toml").write_text(toml.group(1))
    (tmp_path / "our_capcheck_rules.py").write_text(python.group(1))
    monkeypatch.chdir(tmp_path)
    evidence = ROOT / "examples" / "northgate-health-digital" / "evidence"
    argv = ["check", str(evidence), "--as-of", "2026-11-25", "--rules", "our-rules/"]
    argv += ["--plugin", "./our_capcheck_rules.py", "--select", "COMM-101", "--select", "ours.", "--compact"]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 1, result.stderr
    assert " ours.COMM-102 medium CON-2020-003: no owner\n" in result.stdout
    assert re.search(r"^Summary: \d+ failed \(\d+ medium\), 0 errors, 0 skipped, \d+ passed", result.stdout, re.M)


def test_the_readmes_example_output_is_what_capcheck_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    # "Two commands": the first command's output, as the README quotes it (its line count, and each line it
    # shows, in order; `...` marks lines left out), is what that command prints today, with the exit code it says.
    command = re.search(r"\.venv/bin/capcheck (check examples/\S+ --as-of \d{4}-\d\d-\d\d)\n", README)
    stated = re.search(r"What it prints \((\d+) lines;", README)
    excerpt = re.search(r"```text\n(capcheck \d.*?)```", README, re.S)
    assert command and stated and excerpt, "the README lost its first command or its output"
    assert "The first command exits with code 1" in README
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, command.group(1).split())
    assert result.exit_code == 1, result.stderr
    printed = result.stdout.splitlines()
    assert len(printed) == int(stated.group(1))
    at = 0
    for line in excerpt.group(1).splitlines():
        if line == "...":
            continue
        assert line in printed[at:], f"the README shows a line capcheck no longer prints: {line!r}"
        at = printed.index(line, at) + 1


def test_the_readmes_pack_figures_are_the_packs() -> None:
    # "The built-in pack has rules in all 11 areas ..., reading 15 evidence kinds."
    stated = re.search(r"The built-in pack has rules in all (\d+) areas .*?reading (\d+) evidence kinds", README, re.S)
    assert stated, "the README lost its pack figures"
    registry = load_registry(Config())
    rules = list(registry.rules.values())
    assert all(r.source.type == "builtin" for r in rules)
    assert len({r.meta.area for r in rules}) == len(registry.areas) == int(stated.group(1))
    assert len({k for r in rules for k in r.meta.kinds}) == int(stated.group(2))
