"""The public API: ``capcheck.__all__`` in step with its re-exports and its documentation, the plugin API
version check, and the hook reference generated from the hookspecs."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import capcheck
from capcheck.app.hookdocs import render_hook_reference
from capcheck.app.plugins import LocalPlugin, build_plugin_manager
from capcheck.core import hookspecs
from capcheck.core.errors import PluginError

ROOT = Path(__file__).resolve().parent.parent
INIT = ROOT / "src" / "capcheck" / "__init__.py"


def _type_checking_imports() -> dict[str, str]:
    tree = ast.parse(INIT.read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    return {
        alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("capcheck")
        for alias in node.names
    }


def test_all_names_every_reexport_once_and_each_resolves_to_its_home() -> None:
    homes = {name: module for module, names in capcheck._HOMES.items() for name in names}
    assert sorted(capcheck.__all__) == sorted([*homes, "__version__"])
    assert len(set(capcheck.__all__)) == len(capcheck.__all__)
    assert _type_checking_imports() == homes  # what mypy sees is what runs
    for name, module in homes.items():
        value = getattr(capcheck, name)
        assert value is getattr(__import__(module, fromlist=[name]), name)
    assert sorted(dir(capcheck)) == sorted(capcheck.__all__)
    with pytest.raises(AttributeError, match="has no attribute 'engine_internals'"):
        _ = capcheck.engine_internals


def test_every_public_name_is_in_the_stability_section_of_the_plugin_guide() -> None:
    guide = (ROOT / "docs" / "plugins.md").read_text()
    section = guide[guide.index("## Stability") :]
    section = section[: section.index("\n## ", 4)] if "\n## " in section[4:] else section
    missing = [name for name in capcheck.__all__ if f"`{name}`" not in section]
    assert not missing, f"not in docs/plugins.md#stability: {missing}"


def test_the_hook_reference_is_generated_from_the_hookspecs() -> None:
    page = (ROOT / "docs" / "hooks.md").read_text()
    assert page == render_hook_reference(), "docs/hooks.md is stale: python -m capcheck.app.hookdocs docs/hooks.md"
    hooks = [n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("capcheck_")]
    for name in hooks:
        assert f"### `{name}()`" in page
    assert f"**{hookspecs.PLUGIN_API_VERSION}**" in page
    assert "```python\n@hookimpl\ndef capcheck_kind_extensions():" in page  # examples fenced and dedented


def test_the_api_version_is_major_minor() -> None:
    assert re.fullmatch(r"[0-9]+\.[0-9]+", hookspecs.PLUGIN_API_VERSION)


def _plugin(tmp_path: Path, declared: str) -> LocalPlugin:
    path = tmp_path / "versioned.py"
    path.write_text(f"from capcheck import hookimpl\n\nCAPCHECK_PLUGIN_API = {declared}\n")
    return LocalPlugin(str(path))


def _bump(major: int = 0, minor: int = 0) -> str:
    have_major, have_minor = map(int, hookspecs.PLUGIN_API_VERSION.split("."))
    return repr(f"{have_major + major}.{have_minor + minor}")


def test_a_plugin_written_for_this_api_or_an_older_minor_loads(tmp_path: Path) -> None:
    build_plugin_manager([_plugin(tmp_path, repr(hookspecs.PLUGIN_API_VERSION))], entry_points=False)
    build_plugin_manager([_plugin(tmp_path, _bump(minor=-1))], entry_points=False)


@pytest.mark.parametrize(
    ("declared", "cause"),
    [
        (_bump(minor=1), "upgrade capcheck"),
        (_bump(major=1), "upgrade capcheck"),
        (_bump(major=-1), "upgrade the plugin"),
    ],
)
def test_a_plugin_needing_another_api_is_refused_naming_it(tmp_path: Path, declared: str, cause: str) -> None:
    plugin = _plugin(tmp_path, declared)
    with pytest.raises(PluginError) as info:
        build_plugin_manager([plugin], entry_points=False)
    [problem] = info.value.problems
    wanted = declared.strip("'")
    assert problem.message.startswith(f"plugin {plugin.name!r} needs capcheck plugin API {wanted}; capcheck ")
    assert f"provides {hookspecs.PLUGIN_API_VERSION}" in problem.message and cause in problem.message


@pytest.mark.parametrize("declared", ["'1'", "1.0", "'1.0.0'", "'v1.0'", "'\\u0661.\\u0660'"])
def test_a_malformed_api_declaration_is_refused(tmp_path: Path, declared: str) -> None:
    with pytest.raises(
        PluginError, match=re.escape("CAPCHECK_PLUGIN_API must be a 'MAJOR.MINOR' string such as '1.0'")
    ):
        build_plugin_manager([_plugin(tmp_path, declared)], entry_points=False)


def test_the_cli_says_which_plugin_needs_what(run_cli, workdir: Path) -> None:
    (workdir / "future.py").write_text("CAPCHECK_PLUGIN_API = '99.0'\n")
    result = run_cli("plugins", "--plugin", "./future.py")
    assert result.exit_code == 2
    assert "plugin './future.py' needs capcheck plugin API 99.0" in result.stderr


def test_capcheck_plugins_shows_the_api_a_plugin_declares(run_cli, workdir: Path) -> None:
    (workdir / "fits.py").write_text(f"CAPCHECK_PLUGIN_API = {hookspecs.PLUGIN_API_VERSION!r}\n")
    (workdir / "silent.py").write_text("")
    result = run_cli("plugins", "--plugin", "./fits.py", "--plugin", "./silent.py")
    assert result.exit_code == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert lines["./fits.py"].endswith(f"[plugin API {hookspecs.PLUGIN_API_VERSION}]")
    assert "plugin API" not in lines["./silent.py"]
