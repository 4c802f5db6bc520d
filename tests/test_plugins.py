"""Plugins: local modules (--plugin), installed entry points, and every way a plugin can be broken.

Each broken plugin must stop the run with exit 2 and a message naming it, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from capcheck import hookimpl
from capcheck.app.plugins import DEFAULT_PLUGINS, PluginInfo, build_plugin_manager
from capcheck.app.registry import build_registry

FIXTURES = Path(__file__).parent / "fixtures"


def _rule_source(run_cli, *args: str, rule_id: str) -> dict[str, str]:
    result = run_cli("rules", "list", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    [info] = [r for r in json.loads(result.stdout) if r["id"] == rule_id]
    source: dict[str, str] = info["source"]
    return source


def test_builtins_are_registered_as_plugins_in_order() -> None:
    pm, infos = build_plugin_manager(entry_points=False)
    builtins = [i.name for i in infos if i.origin == "builtin"]
    assert builtins[: len(DEFAULT_PLUGINS)] == list(DEFAULT_PLUGINS)
    assert all(i.distribution == "capcheck" for i in infos)
    registry = build_registry(pm, infos)
    assert registry.rules["COMM-004"].source.as_dict()["type"] == "builtin"
    assert registry.owners[("rule", "COMM-004")] == "capcheck.builtins.pack"


def test_a_module_by_name_comes_from_the_python_path(
    run_cli, copy_fixture: Callable[..., Path], workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_fixture("plugins/sample_plugin.py", "site/sample_plugin.py")
    monkeypatch.syspath_prepend(str(workdir / "site"))  # as PYTHONPATH=site would
    monkeypatch.delitem(sys.modules, "sample_plugin", raising=False)
    assert _rule_source(run_cli, "--plugin", "sample_plugin", rule_id="COMM-901") == {
        "type": "module",
        "name": "sample_plugin",
        "path": "site/sample_plugin.py",
        "sha256": hashlib.sha256((workdir / "site" / "sample_plugin.py").read_bytes()).hexdigest(),
    }


def test_a_module_name_is_never_imported_from_the_working_directory(run_cli, workdir: Path) -> None:
    """A module name is looked up on sys.path only: a file of that name beside the user is not run,
    and the message says how to name it if it was meant."""
    (workdir / "our_rules.py").write_text("open('ran', 'w').write('x')\n")
    result = run_cli("rules", "list", "--plugin", "our_rules")
    assert result.exit_code == 2
    assert (
        "plugin module 'our_rules' failed to import: ModuleNotFoundError: no module named 'our_rules' on the "
        "Python path (installed or on PYTHONPATH); capcheck never imports from the working or config directory "
        "implicitly: to load our_rules.py, name it './our_rules.py'"
    ) in result.stderr.replace(str(workdir) + "/", "")
    assert not (workdir / "ran").exists()


def test_a_plugin_package_directory_is_loaded_by_path_with_its_own_modules(run_cli, workdir: Path) -> None:
    """``--plugin ./ours/``: a package loaded from its path; its relative imports work, and its
    directory is not put on sys.path (its helpers module does not become importable as ``helpers``)."""
    (workdir / "ours").mkdir()
    (workdir / "ours" / "__init__.py").write_text(
        "from . import helpers\n"
        + (FIXTURES / "plugins" / "sample_plugin.py").read_text().replace('"COMM-901"', "helpers.RULE_ID", 1)
    )
    (workdir / "ours" / "helpers.py").write_text('RULE_ID = "COMM-901"\n')
    before = list(sys.path)
    source = _rule_source(run_cli, "--plugin", "./ours/", rule_id="COMM-901")
    # A package's code is all its modules: the digest is of their sha256sum-style listing, so a changed helper
    # changes it (what `cd ours && sha256sum $(find . -name '*.py' | sort)` prints, paths without './').
    listing = "".join(
        f"{hashlib.sha256((workdir / 'ours' / name).read_bytes()).hexdigest()}  {name}\n"
        for name in ("__init__.py", "helpers.py")
    )
    digest = hashlib.sha256(listing.encode()).hexdigest()
    assert source == {"type": "module", "name": "./ours/", "path": "ours", "sha256": digest}
    assert sys.path == before
    assert "helpers" not in sys.modules
    (workdir / "ours" / "helpers.py").write_text('RULE_ID = "COMM-901"  # changed\n')
    sys.modules.pop("ours", None)
    assert _rule_source(run_cli, "--plugin", "./ours/", rule_id="COMM-901")["sha256"] != digest


def test_a_plugin_file_importing_a_module_beside_it_is_told_to_become_a_package(run_cli, workdir: Path) -> None:
    (workdir / "ours").mkdir()
    (workdir / "ours" / "rules.py").write_text("import helpers\n")
    (workdir / "ours" / "helpers.py").write_text("open('ran-helpers', 'w').write('x')\n")
    result = run_cli("rules", "list", "--plugin", "./ours/rules.py")
    assert result.exit_code == 2
    assert (
        "plugin module './ours/rules.py' failed to import: ModuleNotFoundError: No module named 'helpers': a plugin "
        "file's directory is not put on sys.path; to import modules beside it, make the directory a package and "
        "load it with --plugin ours/ (relative imports)"
    ) in result.stderr
    assert not (workdir / "ran-helpers").exists()


def test_two_plugin_files_with_one_name_are_both_loaded(run_cli, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("plugins/sample_plugin.py", "a/rules.py")
    copy_fixture("plugins/dup_kind_plugin.py", "b/rules.py")
    result = run_cli("rules", "list", "--plugin", "./a/rules.py", "--plugin", "./b/rules.py")
    assert result.exit_code == 2  # b/rules.py was really loaded: its duplicate kind is refused
    assert "again by './b/rules.py'" in result.stderr


def test_a_local_module_by_file(run_cli, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("plugins/sample_plugin.py", "my_rules/contract_rules.py")
    source = _rule_source(run_cli, "--plugin", "./my_rules/contract_rules.py", rule_id="COMM-901")
    digest = hashlib.sha256((FIXTURES / "plugins" / "sample_plugin.py").read_bytes()).hexdigest()
    assert source == {
        "type": "module",
        "name": "./my_rules/contract_rules.py",
        "path": "my_rules/contract_rules.py",
        "sha256": digest,  # no distribution says which code ran: its hash does
    }


def test_a_local_plugin_rule_runs(run_cli, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("plugins/sample_plugin.py")
    copy_fixture("evidence/mixed/supplier-contracts.json")
    result = run_cli("check", "supplier-contracts.json", "--plugin", "./sample_plugin.py", "--select", "COMM-901")
    assert result.exit_code == 1
    assert "COMM-901  " in result.stdout
    assert "    supplier-contracts.json:7   CON-001  contract CON-001 has no category\n" in result.stdout


def test_plugins_command_lists_what_each_registered(run_cli, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("plugins/sample_plugin.py")
    result = run_cli("plugins", "--plugin", "./sample_plugin.py")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    [pack] = [line for line in lines if line.startswith("capcheck.builtins.pack ")]
    assert "builtin" in pack and "(capcheck " in pack and " rule" in pack
    [sample] = [line for line in lines if line.startswith("./sample_plugin.py ")]
    assert "module" in sample and "1 rule" in sample
    [ocds] = [line for line in lines if line.startswith("capcheck.builtins.loaders.ocds ")]
    assert ocds.endswith("1 content loader, 2 loader extensions")  # .json by content, .ocds.json and .jsonl by name


def test_two_content_loaders_of_one_name_stop_the_run() -> None:
    from capcheck.core.errors import PluginError
    from capcheck.core.loading import Loader

    class Twin:
        @hookimpl
        def capcheck_loaders(self) -> list[Loader]:
            return [Loader(name="ocds", extensions=(".json",), load=lambda s, c: [], claims=lambda head: False)]

    pm, infos = build_plugin_manager(entry_points=False)
    pm.register(Twin(), name="twin")
    with pytest.raises(
        PluginError, match=re.escape("content loader 'ocds' is registered twice: by 'capcheck.builtins.loaders.ocds'")
    ):
        build_registry(pm, [*infos, PluginInfo(name="twin", origin="module")])


@pytest.mark.parametrize(
    ("plugin", "expected"),
    [
        ("./broken_plugin.py", "plugin module './broken_plugin.py' failed to import: ModuleNotFoundError: "),
        ("no_such_plugin", "plugin module 'no_such_plugin' failed to import: ModuleNotFoundError: "),
        ("./missing.py", "plugin module './missing.py' failed to import: ModuleNotFoundError: no such plugin file"),
    ],
)
def test_a_plugin_that_fails_to_import(run_cli, copy_fixture: Callable[..., Path], plugin: str, expected: str) -> None:
    copy_fixture("plugins/broken_plugin.py")
    result = run_cli("rules", "list", "--plugin", plugin)
    assert result.exit_code == 2
    assert result.stderr.startswith("capcheck: plugin error: 1 problem\n")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("plugin", "expected"),
    [
        (
            "dup_rule_plugin",
            "dup_rule_plugin.py:11: rule 'COMM-004' is registered twice: by 'capcheck.builtins.pack' and again by "
            "'./dup_rule_plugin.py': the id is one of capcheck's built-in rules; put the plugin's namespace first, "
            "e.g. 'dup-rule-plugin.COMM-004' (docs/plugins.md#namespaces)",
        ),
        (
            "dup_kind_plugin",
            "evidence kind 'it-assets' is registered twice: by 'capcheck.core.kinds' "
            "and again by './dup_kind_plugin.py'",
        ),
        (
            "raising_hook_plugin",
            "plugin './raising_hook_plugin.py' failed in capcheck_rules(): RuntimeError: rule catalogue unavailable",
        ),
        (  # located at the @rule(...) to fix, as bad metadata is
            "unknown_area_plugin",
            "unknown_area_plugin.py:11: rule 'ZZZ-001' from './unknown_area_plugin.py' names unknown area 'ZZZ' "
            "(areas: ",
        ),
        (
            "unknown_kind_plugin",
            "unknown_kind_plugin.py:11: rule 'GOV-901' from './unknown_kind_plugin.py' reads unknown evidence kind "
            "'risk-log' (kinds: ",
        ),
    ],
)
def test_a_plugin_that_registers_something_invalid(
    run_cli, copy_fixture: Callable[..., Path], plugin: str, expected: str
) -> None:
    copy_fixture(f"plugins/{plugin}.py")
    result = run_cli("rules", "list", "--plugin", f"./{plugin}.py")
    assert result.exit_code == 2
    assert result.stderr.startswith("capcheck: plugin error: 1 problem\n")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_a_reporter_named_as_another_in_another_case_is_refused(run_cli, workdir: Path) -> None:
    """Formats are chosen in any case (--format JSON is json), yet 'JSON' registered beside the built-in 'json':
    --format json wrote the built-in's JSON and --format JSON the plugin's output."""
    (workdir / "shouting.py").write_text(
        "from capcheck import Reporter, hookimpl\n\n"
        "@hookimpl\ndef capcheck_reporters():\n    return [Reporter(name='JSON', render=lambda r, o: 'hijacked')]\n"
    )
    result = run_cli("plugins", "--plugin", "./shouting.py")
    assert result.exit_code == 2
    assert (
        "reporter 'JSON' is registered twice: as 'json' by 'capcheck.builtins.reporters.json' and again by "
        "'./shouting.py' (formats are named in any case)" in result.stderr
    )


def test_a_hook_returning_the_wrong_type(run_cli, workdir: Path) -> None:
    (workdir / "wrong_type.py").write_text(
        "from capcheck import hookimpl\n\n@hookimpl\ndef capcheck_rules():\n    return ['COMM-001']\n"
    )
    (workdir / "not_a_list.py").write_text(
        "from capcheck import hookimpl\n\n@hookimpl\ndef capcheck_areas():\n    return 'COMM'\n"
    )
    first = run_cli("kinds", "--plugin", "./wrong_type.py")
    assert first.exit_code == 2
    assert "plugin './wrong_type.py': capcheck_rules() returned a str, expected Rule" in first.stderr
    second = run_cli("kinds", "--plugin", "./not_a_list.py")
    assert second.exit_code == 2
    assert "plugin './not_a_list.py': capcheck_areas() must return a list, not str" in second.stderr


def test_a_hook_with_a_misspelt_argument_is_refused(run_cli, workdir: Path) -> None:
    """Located at the hook, saying what to write (pluggy's own message named no line, and its newlines
    showed as ␊ on one line)."""
    (workdir / "bad_signature.py").write_text(
        "from capcheck import hookimpl\n\n@hookimpl\ndef capcheck_rules(config):\n    return []\n"
        "\n@hookimpl\ndef capcheck_kinds(registry, flavour=None):\n    return []\n"
    )
    result = run_cli("kinds", "--plugin", "./bad_signature.py")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "capcheck: plugin error: 2 problems\n"
        "  bad_signature.py:7: plugin './bad_signature.py': capcheck_kinds(registry) takes 1 argument, but capcheck "
        "calls every hook with none: define it as capcheck_kinds() (docs/hooks.md)\n"
        "  bad_signature.py:3: plugin './bad_signature.py': capcheck_rules(config) takes 1 argument, but capcheck "
        "calls every hook with none: define it as capcheck_rules() (docs/hooks.md)\n"
    )


def test_a_hook_returning_none_is_refused(run_cli, workdir: Path) -> None:
    """A hook that forgot its ``return`` registered nothing, silently (pluggy drops None): a reporter plugin
    whose ``--format`` then was not there, or rules that never ran."""
    (workdir / "no_return.py").write_text(
        "from capcheck import Reporter, hookimpl\n\n\n@hookimpl\ndef capcheck_reporters():\n"
        "    [Reporter(name='ours', render=lambda result, options: '')]\n"
    )
    result = run_cli("kinds", "--plugin", "./no_return.py")
    assert result.exit_code == 2
    assert (
        "no_return.py:4: plugin './no_return.py': capcheck_reporters() returned None: return a list (an empty one "
        "registers nothing); is its `return` missing?"
    ) in result.stderr


def test_a_plugin_taking_an_id_of_the_declarative_pack_is_named_and_located(run_cli, workdir: Path) -> None:
    """A plugin's Python rules are registered before the declarative pack, so the clash was reported as a problem
    of the pack's own rule file, "again by" the pack; now it names the plugin's rule and a namespace to use."""
    (workdir / "takes_comm_001.py").write_text(
        "from capcheck import hookimpl, rule\n\n\n"
        "@rule(id='COMM-001', title='Taken id here', area='COMM', severity='low', kinds=['supplier-contracts'],\n"
        "      description='d', rationale='r', remediation='m')\n"
        "def taken(evidence, ctx):\n    return iter(())\n\n\n"
        "@hookimpl\ndef capcheck_rules():\n    return [taken]\n"
    )
    result = run_cli("rules", "list", "--plugin", "./takes_comm_001.py")
    assert result.exit_code == 2
    assert (
        "  takes_comm_001.py:4: rule 'COMM-001' is registered twice: by 'capcheck.builtins.declarative.toml_format' "
        "and again by './takes_comm_001.py': the id is one of capcheck's built-in rules; put the plugin's namespace "
        "first, e.g. 'takes-comm-001.COMM-001' (docs/plugins.md#namespaces)\n"
    ) in result.stderr
    assert "COMM-001.toml" not in result.stderr


def test_a_plugin_rule_folder_taking_a_built_in_id_is_located_at_its_file(run_cli, workdir: Path) -> None:
    pack = workdir / "ours" / "rules"
    pack.mkdir(parents=True)
    (workdir / "ours" / "__init__.py").write_text(
        "from pathlib import Path\n\nfrom capcheck import hookimpl\n\n\n@hookimpl\ndef capcheck_rule_paths():\n"
        "    return [Path(__file__).with_name('rules')]\n"
    )
    builtin = Path(__file__).parent.parent / "rules" / "COMM" / "COMM-001.toml"
    (pack / "COMM-001.toml").write_bytes(builtin.read_bytes())
    result = run_cli("rules", "list", "--plugin", "./ours/")
    assert result.exit_code == 2
    assert (
        "  ours/rules/COMM-001.toml: rule 'COMM-001' is registered twice: by "
        "'capcheck.builtins.declarative.toml_format' and again by './ours/': the id is one of capcheck's built-in "
        "rules; put the plugin's namespace first, e.g. 'ours.COMM-001' (docs/plugins.md#namespaces)\n"
    ) in result.stderr


def test_a_plugin_listed_in_the_config(run_cli, copy_fixture: Callable[..., Path], workdir: Path) -> None:
    copy_fixture("plugins/sample_plugin.py", "project/plugins/contract_rules.py")
    (workdir / "project" / "capcheck.toml").write_text('plugins = ["plugins/contract_rules.py"]\n')
    (workdir / "project" / "sub").mkdir()
    # Run from a subdirectory: the plugin file is relative to the config file, not the working directory.
    os.chdir(workdir / "project" / "sub")
    result = run_cli("rules", "list", "--select", "COMM-901")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("COMM-901 ")


# --- the trust boundary: code a config file names --------------------------------------------------

EVIL = "open('ran-evil', 'w').write('the config ran me')\n"


@pytest.fixture
def config_with_plugin(workdir: Path, copy_fixture: Callable[..., Path]) -> Path:
    """A checkout whose capcheck.toml names ``./evil.py``, which leaves a file ``ran-evil`` when run."""
    (workdir / "evil.py").write_text(EVIL)
    (workdir / "capcheck.toml").write_text('plugins = ["./evil.py"]\n')
    copy_fixture("evidence/mixed/supplier-contracts.json")
    return workdir


def test_check_says_on_stderr_which_config_plugin_it_ran(run_cli, config_with_plugin: Path, check_argv) -> None:
    result = run_cli(*check_argv("supplier-contracts.json"))
    assert result.exit_code == 1, result.stderr
    assert result.stderr == "capcheck: loaded plugin './evil.py': file evil.py, named by capcheck.toml\n"
    assert (config_with_plugin / "ran-evil").exists()


def test_a_plugin_named_on_the_command_line_is_reported_as_such(
    run_cli, copy_fixture: Callable[..., Path], check_argv
) -> None:
    copy_fixture("plugins/sample_plugin.py", "ours/sample_plugin.py")
    copy_fixture("evidence/mixed/supplier-contracts.json")
    result = run_cli(*check_argv("supplier-contracts.json"), "--plugin", "./ours/sample_plugin.py")
    assert result.stderr == (
        "capcheck: loaded plugin './ours/sample_plugin.py': file ours/sample_plugin.py, named by --plugin\n"
        "capcheck: warning: plugin './ours/sample_plugin.py' registers 1 id without a namespace (COMM-901), which "
        "capcheck's own ids may take later: put a namespace first, e.g. 'sample-plugin.COMM-901' "
        "(docs/plugins.md#namespaces)\n"
    )


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--no-config-plugins"], {}),
        ([], {"CAPCHECK_NO_CONFIG_PLUGINS": "1"}),
        ([], {"CAPCHECK_NO_CONFIG_PLUGINS": "y"}),  # fails closed: any value but 0/false/no/off
    ],
    ids=["flag", "environment", "environment-misspelt"],
)
@pytest.mark.parametrize("command", [["check", "supplier-contracts.json"], ["rules", "list"], ["validate", "."]])
def test_config_plugins_are_refused_when_turned_off(
    run_cli, config_with_plugin: Path, command: list[str], args: list[str], env: dict[str, str]
) -> None:
    result = run_cli(*command, *args, env=env)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "capcheck: plugin error: 1 problem\n"
        "  capcheck.toml:1: /plugins: config plugins are turned off (--no-config-plugins or "
        "CAPCHECK_NO_CONFIG_PLUGINS), and this config names './evil.py': Python code that would run. Run without "
        "the switch if you trust this checkout, or name a trusted config with --config\n"
    )
    assert not (config_with_plugin / "ran-evil").exists()


def test_config_plugins_run_when_the_environment_switch_says_0(run_cli, config_with_plugin: Path) -> None:
    result = run_cli("rules", "list", env={"CAPCHECK_NO_CONFIG_PLUGINS": "0"})
    assert result.exit_code == 0, result.stderr
    assert (config_with_plugin / "ran-evil").exists()


def test_the_plugins_command_says_where_each_local_plugin_came_from(run_cli, config_with_plugin: Path) -> None:
    result = run_cli("plugins")
    [line] = [line for line in result.stdout.splitlines() if line.startswith("./evil.py ")]
    assert line.endswith("[plugin './evil.py': file evil.py, named by capcheck.toml]")


def test_turning_config_plugins_off_leaves_command_line_plugins_and_plugin_free_configs_alone(
    run_cli, workdir: Path, copy_fixture: Callable[..., Path]
) -> None:
    copy_fixture("plugins/sample_plugin.py")
    (workdir / "capcheck.toml").write_text('fail_on = "high"\n')
    result = run_cli("rules", "list", "--select", "COMM-901", "--plugin", "./sample_plugin.py", "--no-config-plugins")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("COMM-901 ")


def test_a_config_in_a_parent_directory_is_named_when_its_plugin_runs(
    run_cli, config_with_plugin: Path, check_argv
) -> None:
    (config_with_plugin / "sub").mkdir()
    os.chdir(config_with_plugin / "sub")
    result = run_cli(*check_argv("../supplier-contracts.json"))
    assert result.stderr == (
        f"capcheck: loaded plugin './evil.py': file {config_with_plugin / 'evil.py'}, "
        f"named by {config_with_plugin / 'capcheck.toml'}\n"
    )
    assert (config_with_plugin / "sub" / "ran-evil").exists()  # it ran, and the user was told where from


# --- installed plugins: entry points --------------------------------------------------------------


@pytest.fixture
def installed_plugin(copy_fixture: Callable[..., Path], workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``capcheck-testplugin 0.1`` "installed": its dist-info and module on a temporary sys.path."""
    site = workdir / copy_fixture("plugins/site", "site")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "capcheck_testplugin", raising=False)  # import this copy, not a cached one
    return site


def test_an_entry_point_plugin_is_discovered_with_its_distribution(run_cli, installed_plugin: Path) -> None:
    source = _rule_source(run_cli, rule_id="GOV-950")
    assert source == {
        "type": "plugin",
        "name": "testplugin",
        "distribution": "capcheck-testplugin",
        "version": "0.1",
    }
    listing = run_cli("plugins")
    [line] = [line for line in listing.stdout.splitlines() if line.startswith("testplugin ")]
    assert "entry point" in line and "(capcheck-testplugin 0.1)" in line and "1 rule" in line


def test_check_names_an_installed_plugin_on_stderr_and_the_switch_leaves_it_alone(
    run_cli, installed_plugin: Path, copy_fixture: Callable[..., Path], check_argv
) -> None:
    copy_fixture("evidence/mixed/supplier-contracts.json")
    result = run_cli(*check_argv("supplier-contracts.json"), "--no-config-plugins")
    assert result.stderr == (
        "capcheck: loaded plugin 'testplugin': entry point capcheck_testplugin of capcheck-testplugin 0.1 (installed)\n"
        "capcheck: warning: plugin 'testplugin' registers 1 id without a namespace (GOV-950), which capcheck's own "
        "ids may take later: put a namespace first, e.g. 'testplugin.GOV-950' (docs/plugins.md#namespaces)\n"
    )


def test_entry_point_rules_reach_the_findings(
    run_cli, installed_plugin: Path, copy_fixture: Callable[..., Path]
) -> None:
    copy_fixture("evidence/mixed/governance-register.yaml")
    result = run_cli("check", "governance-register.yaml", "--select", "GOV-950", "--format", "json")
    doc = json.loads(result.stdout)
    assert [r["source"]["distribution"] for r in doc["rules"]] == ["capcheck-testplugin"]
    assert {f["rule_id"] for f in doc["findings"]} == {"GOV-950"}
    assert result.exit_code == 0  # GOV-950 is severity info, below the default --fail-on low


def test_an_entry_point_that_fails_to_import_names_its_distribution(run_cli, installed_plugin: Path) -> None:
    (installed_plugin / "capcheck_testplugin.py").write_text("raise ImportError('needs libfoo')\n")
    result = run_cli("kinds")
    assert result.exit_code == 2
    assert (
        "plugin 'testplugin' (entry point 'capcheck_testplugin' from capcheck-testplugin 0.1) failed to import: "
        "ImportError: needs libfoo (every command loads installed plugins: fix or uninstall capcheck-testplugin, or "
        "run 'capcheck --no-plugin-autoload COMMAND' to load none)\n"
    ) in result.stderr
    assert "Traceback" not in result.stderr


def test_entry_points_are_not_loaded_when_disabled(installed_plugin: Path) -> None:
    _pm, with_eps = build_plugin_manager()
    _pm, without = build_plugin_manager(entry_points=False)
    assert "testplugin" in [i.name for i in with_eps]
    assert "testplugin" not in [i.name for i in without]


def _listed(run_cli, *args: str) -> list[str]:
    result = run_cli(*args, "plugins")
    assert result.exit_code == 0, result.stderr
    return [line.split()[0] for line in result.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize(("value", "loaded"), [("1", False), ("yes", False), ("0", True), ("", True)])
def test_the_environment_switch_turns_entry_point_autoloading_off_for_any_command(
    run_cli, installed_plugin: Path, monkeypatch: pytest.MonkeyPatch, value: str, loaded: bool
) -> None:
    monkeypatch.setenv("CAPCHECK_DISABLE_PLUGIN_AUTOLOAD", value)
    assert ("testplugin" in _listed(run_cli)) is loaded
    assert ("GOV-950" in run_cli("rules", "list").stdout) is loaded


def test_the_global_flag_turns_autoloading_off_for_that_command_only(run_cli, installed_plugin: Path) -> None:
    assert "testplugin" not in _listed(run_cli, "--no-plugin-autoload")
    assert "testplugin" in _listed(run_cli)  # the next command is not affected
    named = run_cli("--no-plugin-autoload", "rules", "list", "--plugin", "capcheck_testplugin")
    assert "GOV-950" in named.stdout  # a plugin named explicitly still loads


def test_an_installed_plugin_named_again_with_plugin_is_loaded_once(run_cli, installed_plugin: Path) -> None:
    result = run_cli("rules", "list", "--plugin", "capcheck_testplugin", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in json.loads(result.stdout)].count("GOV-950") == 1


def test_a_plugins_own_rule_folder_named_with_rules_is_not_a_duplicate(
    run_cli, copy_fixture: Callable[..., Path], workdir: Path
) -> None:
    copy_fixture("plugins/typo_rules_plugin", "ours")
    rule = workdir / "ours" / "rules" / "COMM-960.toml"
    rule.write_text(rule.read_text().replace('"ownr"', '"owner"'))
    twice = run_cli("rules", "list", "--plugin", "./ours/", "--rules", "ours/rules", "--format", "json")
    assert twice.exit_code == 0, twice.stderr
    [listed] = [r for r in json.loads(twice.stdout) if r["id"] == "COMM-960"]
    assert listed["source"]["name"] == "./ours/"  # the plugin's, as when named once


# --- tracing ----------------------------------------------------------------------------------------


def test_trace_hooks_prints_every_hook_call(run_cli, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("plugins/sample_plugin.py")
    quiet = run_cli("kinds", "--plugin", "./sample_plugin.py")
    assert quiet.stderr == ""
    traced = run_cli("kinds", "--plugin", "./sample_plugin.py", env={"CAPCHECK_TRACE_HOOKS": "1"})
    assert traced.exit_code == 0
    lines = traced.stderr.splitlines()
    assert "capcheck_rules() in ./sample_plugin.py [hook]" in lines
    assert "capcheck_kinds() in capcheck.core.kinds [hook]" in lines
    # Built-ins first, in registration order.
    loaders = [line for line in lines if line.startswith("capcheck_loaders()")]
    assert loaders[0] == "capcheck_loaders() in capcheck.builtins.loaders.jsonfile [hook]"
    assert traced.stdout == quiet.stdout


def test_a_loader_that_raises_is_named_with_the_file(run_cli, copy_fixture: Callable[..., Path], workdir: Path) -> None:
    copy_fixture("plugins/buggy_loader_plugin.py")
    (workdir / "risks.sheet").write_text("anything")
    result = run_cli("check", "risks.sheet", "--plugin", "./buggy_loader_plugin.py")
    assert result.exit_code == 2
    assert "risks.sheet: the 'sheet' loader failed: KeyError: 'sheet1'" in result.stderr
    assert "internal error" not in result.stderr


def test_a_loader_whose_peek_raises_is_named_by_validate(
    run_cli, copy_fixture: Callable[..., Path], workdir: Path
) -> None:
    """A peek (Loader.kinds_of) that raises is taken as "cannot tell": a check loads the file well and is not split
    over processes, and nothing said why; validate says it, and --strict refuses it."""
    copy_fixture("plugins/buggy_loader_plugin.py")
    (workdir / "assets.peeky").write_text("anything")
    result = run_cli("validate", "assets.peeky", "--plugin", "./buggy_loader_plugin.py")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.endswith(
        "\nwarning: assets.peeky: the 'peeky' loader's kinds_of raised IndexError: list index out of range: a check"
        " cannot place the file before loading it, and runs in one process\n"
    )
    strict = run_cli("validate", "assets.peeky", "--plugin", "./buggy_loader_plugin.py", "--strict")
    assert strict.exit_code == 2 and "kinds_of raised IndexError" in strict.stderr
    check = run_cli("check", "assets.peeky", "--plugin", "./buggy_loader_plugin.py", "--jobs", "2")
    assert check.exit_code in (0, 1), check.stderr  # the check itself loads and judges the file


def test_a_loader_returning_something_else_is_named_not_the_enricher_after_it(
    run_cli, copy_fixture: Callable[..., Path], workdir: Path
) -> None:
    """A loader returning a dict was iterated as its keys, and the first enricher failed on a str: the built-in
    'dspt-status-text' enricher was named for the plugin's bug."""
    copy_fixture("plugins/buggy_loader_plugin.py")
    (workdir / "assets.ledger").write_text("anything")
    result = run_cli("check", "assets.ledger", "--plugin", "./buggy_loader_plugin.py")
    assert result.exit_code == 2
    assert ("  assets.ledger: the 'ledger' loader returned a dict, not a list of Document values\n") in result.stderr
    assert "enricher" not in result.stderr
    (workdir / "assets.tally").write_text("anything")
    result = run_cli("check", "assets.tally", "--plugin", "./buggy_loader_plugin.py")
    assert result.exit_code == 2  # it was an internal error: 'NoneType' object is not callable, when a line was wanted
    assert result.stderr.endswith(
        "  assets.tally: the 'tally' loader gave a Document whose locate is not a function (record index -> line, or "
        "None where the format cannot say: lambda i: None)\n"
    )


@pytest.mark.parametrize(
    ("evidence", "cause"),
    [
        (
            "A-1,web\nA-2,db\n",
            "the 'roster' loader failed to give the line of record 0: IndexError: no line table for record 0",
        ),
        (
            "A-1\nA-2,db\n",
            "the 'roster' loader failed to give the line of record 0: IndexError: no line table for record 0",
        ),
        (
            "A-1,web\nA-1,db\n",
            "the 'roster' loader failed to give the line of record 1: IndexError: no line table for record 1",
        ),
    ],
    ids=["placing-a-finding", "placing-a-schema-problem", "placing-a-duplicate-id"],
)
@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_loader_whose_locate_raises_is_named_with_the_file(
    run_cli, copy_fixture: Callable[..., Path], workdir: Path, evidence: str, cause: str, fmt: str
) -> None:
    """locate is called lazily (as a problem or a finding is placed): it was "internal error: IndexError", or
    "reporter 'text' failed", blaming the built-in reporter, after part of the report was written."""
    copy_fixture("plugins/raising_locate_plugin.py")
    (workdir / "assets.roster").write_text(evidence)
    result = run_cli("check", "assets.roster", "--plugin", "./raising_locate_plugin.py", "--format", fmt, "-o", "out")
    assert result.exit_code == 2
    assert result.stderr.endswith(f"  assets.roster: {cause}\n")
    assert "internal error" not in result.stderr
    assert "reporter" not in result.stderr
    assert not (workdir / "out").exists()


def test_a_loader_whose_locate_gives_no_line_number_is_named_not_written_into_reports(
    run_cli, copy_fixture: Callable[..., Path], workdir: Path
) -> None:
    """A line "line 1" went into every report as it was: text said "assets.notes:line 1", and the findings
    document held ``"line": line 1``, which is not JSON."""
    copy_fixture("plugins/raising_locate_plugin.py")
    (workdir / "assets.notes").write_text("A-1,web\n")
    result = run_cli("check", "assets.notes", "--plugin", "./raising_locate_plugin.py", "--format", "json")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "  assets.notes: the 'notes' loader gave 'line 1' as the line of record 0: a line is a whole number "
        "from 1, or None where the format cannot say\n"
    )


def test_a_kind_whose_schema_does_not_compile_is_refused_by_every_command(
    run_cli, copy_fixture: Callable[..., Path], workdir: Path
) -> None:
    """Refused when registered, located at the pattern; it was refused only when evidence of the kind was checked,
    with the validator's multi-line message on one line and no pointer."""
    copy_fixture("plugins/uncompiled_kind_plugin.py")
    (workdir / "risk-log.json").write_text('{"kind": "risk-log", "records": [{"id": "R-1"}]}')
    for args in (["check", "risk-log.json"], ["kinds"], ["rules", "list"]):
        result = run_cli(*args, "--plugin", "./uncompiled_kind_plugin.py")
        assert result.exit_code == 2, args
        assert result.stderr.endswith(
            "capcheck: plugin error: 1 problem\n  plugin './uncompiled_kind_plugin.py': evidence kind 'risk-log': "
            'schema /properties/id/pattern: does not compile: "(" is not a "regex"\n'
        ), args


def test_a_config_field_whose_schema_does_not_compile_names_the_config(run_cli, workdir: Path) -> None:
    (workdir / "capcheck.toml").write_text(
        '[kinds.it-assets]\nfields = { site = { type = "string", pattern = "a(" } }\n'
    )
    result = run_cli("kinds")
    assert result.exit_code == 2
    assert (
        "  capcheck.toml:1: /kinds/it-assets: extension of evidence kind 'it-assets': field 'site': "
        'schema /properties/site/pattern: does not compile: "a(" is not a "regex"\n'
    ) in result.stderr


def test_a_kind_schema_file_that_is_not_json_is_named_with_its_line(run_cli, workdir: Path) -> None:
    """It was the hook's exception: 'failed in capcheck_kinds(): JSONDecodeError: ... line 2 column 13', no file."""
    (workdir / "ours" / "kinds").mkdir(parents=True)
    (workdir / "ours" / "kinds" / "ours.log.schema.json").write_text('{"type": "object",\n "properties": {,}}\n')
    (workdir / "ours" / "__init__.py").write_text(
        "from pathlib import Path\n\nfrom capcheck import EvidenceKind, hookimpl\n\n\n@hookimpl\n"
        "def capcheck_kinds():\n    return [EvidenceKind.from_file(p) for p in Path(__file__).parent.glob('kinds/*')]\n"
    )
    result = run_cli("kinds", "--plugin", "./ours/")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "  ours/kinds/ours.log.schema.json:2: evidence kind 'ours.log': not JSON: Expecting property name enclosed "
        "in double quotes (column 17)\n"
    )


def test_a_rule_format_that_raises_is_named_with_the_file(run_cli, workdir: Path) -> None:
    (workdir / "yaml_rules_plugin.py").write_text(
        "from capcheck import hookimpl\n"
        "from capcheck.builtins.declarative import RuleFormat\n\n"
        "def compile_yaml(path, display, context):\n"
        "    raise ValueError('indentation is hard')\n\n"
        "@hookimpl\n"
        "def capcheck_rule_formats():\n"
        "    return [RuleFormat(name='yaml-rules', extensions=('.rules',), compile=compile_yaml)]\n"
    )
    (workdir / "ours").mkdir()
    (workdir / "ours" / "mine.rules").write_text("rule: nothing\n")
    result = run_cli("rules", "list", "--plugin", "./yaml_rules_plugin.py", "--rules", "ours")
    assert result.exit_code == 2
    assert "ours/mine.rules: the 'yaml-rules' rule format failed: ValueError: indentation is hard" in result.stderr


def test_a_rule_format_returning_something_else_is_named_with_the_file(run_cli, workdir: Path) -> None:
    """It was an internal error: AttributeError: 'dict' object has no attribute 'with_source'."""
    (workdir / "dict_rules_plugin.py").write_text(
        "from capcheck import RuleFormat, hookimpl\n\n"
        "def compile_rules(path, display, context):\n"
        "    return [{'id': 'ours.GOV-100'}]\n\n"
        "@hookimpl\n"
        "def capcheck_rule_formats():\n"
        "    return [RuleFormat(name='dict-rules', extensions=('.rules',), compile=compile_rules)]\n"
    )
    (workdir / "ours").mkdir()
    (workdir / "ours" / "mine.rules").write_text("rule: nothing\n")
    result = run_cli("rules", "list", "--plugin", "./dict_rules_plugin.py", "--rules", "ours")
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "capcheck: rule file error: 1 problem\n  ours/mine.rules: the 'dict-rules' rule format returned a dict, not a "
        "Rule\n"
    )


def test_a_misspelt_hook_is_refused_naming_the_plugin_and_the_hook_meant(
    run_cli, copy_fixture: Callable[..., Path]
) -> None:
    copy_fixture("plugins/misspelt_hook_plugin.py")
    result = run_cli("rules", "list", "--plugin", "./misspelt_hook_plugin.py")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1].strip() == (
        "misspelt_hook_plugin.py:9: plugin './misspelt_hook_plugin.py': capcheck_rule() is marked @hookimpl but "
        "is not a capcheck hook (did you mean 'capcheck_rules'?)"
    )
    assert "Traceback" not in result.stderr


def test_unmarked_capcheck_functions_in_a_plugin_are_refused(run_cli, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("plugins/unmarked_hook_plugin.py")
    result = run_cli("rules", "list", "--plugin", "./unmarked_hook_plugin.py")
    assert result.exit_code == 2
    lines = [line.strip() for line in result.stderr.splitlines()[1:]]
    assert lines[0] == (
        "unmarked_hook_plugin.py:8: plugin './unmarked_hook_plugin.py': capcheck_areas() is a capcheck hook but not "
        "marked @hookimpl, so it would never be called (decorate it with @capcheck.hookimpl)"
    )
    assert lines[1].startswith(
        "unmarked_hook_plugin.py:12: plugin './unmarked_hook_plugin.py': capcheck_helper() is not a capcheck hook "
        "(hooks: capcheck_areas, "
    )
    assert len(lines) == 2


def test_a_plugin_helper_without_the_hook_prefix_and_imported_names_are_left_alone(run_cli, workdir: Path) -> None:
    (workdir / "helpers_plugin.py").write_text(
        "from capcheck import hookimpl, rule\n\n"
        "def make_rules():\n    return []\n\n"
        "@hookimpl\ndef capcheck_rules():\n    return make_rules()\n"
    )
    result = run_cli("rules", "list", "--plugin", "./helpers_plugin.py")
    assert result.exit_code == 0, result.stderr


def test_a_plugin_rule_folder_reading_an_undeclared_field_stops_every_command(
    run_cli, copy_fixture: Callable[..., Path]
) -> None:
    copy_fixture("plugins/typo_rules_plugin")
    copy_fixture("evidence/clean", "evidence")
    for args in (["rules", "list"], ["validate", "evidence"], ["check", "evidence", "--as-of", "2025-04-01"]):
        result = run_cli(*args, "--plugin", "./typo_rules_plugin/")
        assert result.exit_code == 2, (args, result.stderr)
        assert (
            "typo_rules_plugin/rules/COMM-960.toml:10: /rule/0/require/field: unknown field 'ownr': kind "
            "'supplier-contracts' does not declare it (did you mean 'owner'?)"
        ) in result.stderr, args


def test_a_kind_with_a_bad_id_or_a_schema_that_is_no_json_schema_is_refused_at_registration(
    run_cli, copy_fixture: Callable[..., Path]
) -> None:
    copy_fixture("plugins/bad_kind_plugin.py")
    result = run_cli("rules", "list", "--plugin", "./bad_kind_plugin.py")
    assert result.exit_code == 2
    where = "plugin './bad_kind_plugin.py': evidence kind"
    assert [line.strip() for line in result.stderr.splitlines()[1:]] == [
        f"{where} 'risk log': the id must be lowercase words joined by hyphens (e.g. it-assets), "
        "after a namespace and a dot for a third party's kind (e.g. acme.staff-roster)",
        f"{where} 'risk-register': schema /properties/owner/type: not a JSON Schema (draft 2020-12): "
        "unknown type 'strin' (did you mean 'string'?)",
        f"{where} 'risk-register': schema /properties/score/minimum: not a JSON Schema (draft 2020-12): "
        "'high' is not of type 'number'",
    ]
    assert "Traceback" not in result.stderr


def test_bad_rule_metadata_is_located_at_the_rule_in_its_module(run_cli, copy_fixture: Callable[..., Path]) -> None:
    copy_fixture("plugins/bad_rule_meta_plugin.py")
    result = run_cli("check", ".", "--plugin", "./bad_rule_meta_plugin.py")
    assert result.exit_code == 2
    assert [line.strip() for line in result.stderr.splitlines()[1:]] == [
        "bad_rule_meta_plugin.py:11: rule 'COMM-902': severity: Input should be 'info', 'low', 'medium', 'high' or "
        "'critical'",
        "bad_rule_meta_plugin.py:11: rule 'COMM-902': version: String should match pattern '^[0-9]+(\\.[0-9]+){0,2}$'",
    ]
    assert "Traceback" not in result.stderr and "ValidationError" not in result.stderr


_SITE_RULE = (
    '[[rule]]\nid = "INFRA-950"\ntitle = "Assets name their owner"\narea = "INFRA"\nseverity = "low"\n'
    'kind = "our-assets"\ndescription = "d"\nrationale = "r"\nremediation = "m"\n'
    'message = "{name} at {site} has no owner"\nwhere = { field = "FIELD", exists = true }\n'
    'require = { field = "owner", exists = true }\n'
)


def test_a_kind_extending_another_declares_both_kinds_fields(
    run_cli, copy_fixture: Callable[..., Path], workdir: Path
) -> None:
    copy_fixture("plugins/extended_kind_plugin.py")
    (workdir / "ev").mkdir()
    record = {"id": "A1", "name": "db", "product": "p", "environment": "production", "criticality": "high"}
    (workdir / "ev" / "a.json").write_text(json.dumps({"kind": "our-assets", "records": [{**record, "site": "Leeds"}]}))
    (workdir / "site.toml").write_text(_SITE_RULE.replace("FIELD", "site"))
    (workdir / "typo.toml").write_text(_SITE_RULE.replace("FIELD", "sit"))
    plugin = ["--plugin", "./extended_kind_plugin.py", "--as-of", "2025-01-01", "--format", "json"]
    ran = run_cli("check", "ev", "--rules", "site.toml", "--select", "INFRA-950", *plugin)
    assert ran.exit_code == 1, ran.stderr
    (finding,) = json.loads(ran.stdout)["findings"]
    assert finding["message"] == "db at Leeds has no owner"
    # The base schema still applies to the extension's records.
    (workdir / "ev" / "a.json").write_text(
        json.dumps({"kind": "our-assets", "records": [{**record, "criticality": 5}]})
    )
    refused = run_cli("check", "ev", "--rules", "site.toml", "--select", "INFRA-950", *plugin)
    assert refused.exit_code == 2
    assert "ev/a.json:1: /records/0/criticality:" in refused.stderr
    # validate --strict agrees: a field of the extended kind is declared.
    strict = run_cli("validate", "--strict", "site.toml", "--plugin", "./extended_kind_plugin.py")
    assert strict.exit_code == 0, strict.stderr
    assert not [line for line in strict.stderr.splitlines() if line.startswith("warning:")]  # no field warning
    typo = run_cli("check", "ev", "--rules", "typo.toml", "--select", "INFRA-950", *plugin)
    assert typo.exit_code == 2
    assert (
        "typo.toml:11: /rule/0/where/field: unknown field 'sit': kind 'our-assets' does not declare it" in typo.stderr
    )


_EXITS = {
    "import": "import sys\nsys.exit(0)\n",
    "hook": "import sys\nfrom capcheck import hookimpl\n\n\n@hookimpl\ndef capcheck_rules():\n    sys.exit(0)\n",
    "reporter": (
        "import sys\nfrom capcheck import hookimpl\nfrom capcheck.core.reporting import Reporter\n\n\n"
        "def render(result, options):\n    sys.exit(0)\n\n\n"
        "@hookimpl\ndef capcheck_reporters():\n    return [Reporter(name='quiet', render=render)]\n"
    ),
}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("import", "plugin module './exits.py' failed to import: SystemExit: 0"),
        ("hook", "plugin './exits.py' failed in capcheck_rules(): SystemExit: 0"),
        ("reporter", "reporter 'quiet' (plugin './exits.py') failed: SystemExit: 0"),
    ],
)
def test_a_plugin_calling_sys_exit_is_its_error_not_the_run_s_result(
    run_cli, copy_fixture: Callable[..., Path], workdir: Path, where: str, expected: str
) -> None:
    """`sys.exit(0)` in a plugin's module, hook or reporter ended `check` with exit 0 and no report: a failing
    register passed CI (a rule doing so was already its error finding)."""
    (workdir / "exits.py").write_text(_EXITS[where])
    evidence = copy_fixture("evidence/mixed")
    fmt = ["--format", "quiet"] if where == "reporter" else []
    result = run_cli("check", evidence, "--as-of", "2025-04-01", "--plugin", "./exits.py", *fmt)
    assert result.exit_code == 2, result.output
    assert expected in result.stderr


def test_the_fast_attribute_scan_finds_what_pluggys_own_finds() -> None:
    """The manager's shortcut over a module's attributes (docs/performance.md) skips only what pluggy would:
    the same hook implementations, with the same options, for every built-in and for a module holding the
    cases the shortcut decides (a marked function, one marked under another name, an unmarked one, a
    staticmethod, a class, a plain value)."""
    import importlib
    import types

    import pluggy

    from capcheck.app.plugins import OPTIONAL_PLUGINS

    crafted = types.ModuleType("crafted_plugin")

    @hookimpl
    def capcheck_rules() -> list[object]:
        return []

    @hookimpl(specname="capcheck_areas")
    def areas_under_another_name() -> list[object]:
        return []

    def capcheck_kinds() -> list[object]:  # a hook's name, unmarked: not an implementation
        return []

    crafted.capcheck_rules = capcheck_rules  # type: ignore[attr-defined]  # a module built by hand
    crafted.areas = areas_under_another_name  # type: ignore[attr-defined]
    crafted.capcheck_kinds = capcheck_kinds  # type: ignore[attr-defined]
    crafted.wrapped = staticmethod(capcheck_rules)  # type: ignore[attr-defined]
    crafted.Thing = type("Thing", (), {})  # type: ignore[attr-defined]
    crafted.value = 3  # type: ignore[attr-defined]
    pm, _ = build_plugin_manager(entry_points=False)
    plain = pluggy.PluginManager("capcheck")
    modules = [importlib.import_module(name) for name in (*DEFAULT_PLUGINS, *OPTIONAL_PLUGINS)]
    found_any = 0
    for module in (*modules, crafted):
        ours = {n: pm.parse_hookimpl_opts(module, n) for n in dir(module)}
        theirs = {n: plain.parse_hookimpl_opts(module, n) for n in dir(module)}
        assert ours == theirs, module.__name__
        found_any += sum(opts is not None for opts in ours.values())
    crafted_found = {n for n in dir(crafted) if pm.parse_hookimpl_opts(crafted, n) is not None}
    assert crafted_found == {"capcheck_rules", "areas", "wrapped"}
    assert found_any > len(modules)
