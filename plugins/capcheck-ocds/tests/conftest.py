"""Fixtures for the plugin's tests: the real OCDS extract, how to name the plugin, a CLI runner.

The tests are meant to run with the plugin installed (``pip install -e plugins/capcheck-ocds``), so
capcheck finds it through its entry point. They also run from a source checkout with only capcheck
installed: then ``src/`` is put on ``sys.path`` and the plugin is named explicitly, the way a user
names a local plugin with ``--plugin``. capcheck's own test suite runs them that way.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
#: The real extract: 19 Contracts Finder and Sell2Wales releases (see data/README.md).
EXTRACT = DATA / "contracts-finder-extract.ocds.json"
MODULE = "capcheck_ocds.plugin"

try:
    import capcheck_ocds  # noqa: F401  (installed, or on the path already)
except ModuleNotFoundError:  # a source checkout without the install step
    sys.path.insert(0, str(HERE.parent / "src"))

#: Whether the installed distribution declares the entry point (then capcheck loads the plugin itself).
INSTALLED = any(ep.value == MODULE for ep in metadata.entry_points(group="capcheck"))
#: What to pass as ``plugins=`` to capcheck.testing: always the module, installed or not (the harness
#: loads no installed plugin by itself, so another plugin in the environment cannot break these tests).
PLUGINS: tuple[str, ...] = (MODULE,)
#: The same for the command line.
PLUGIN_ARGS: tuple[str, ...] = () if INSTALLED else ("--plugin", MODULE)


@pytest.fixture
def plugin_modules() -> tuple[str, ...]:
    """What to pass as ``plugins=`` to capcheck.testing (a fixture, not an import from conftest: two
    plugins' test folders collected in one pytest session would share one ``conftest`` module name)."""
    return PLUGINS


@pytest.fixture
def installed_plugin() -> None:
    """Skip a test that needs the plugin installed (found through its entry point)."""
    if not INSTALLED:
        pytest.skip("capcheck-ocds is not installed (pip install -e plugins/capcheck-ocds)")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch working directory holding a copy of the extract (messages show paths relative to it)."""
    monkeypatch.chdir(tmp_path)
    for name in ("CAPCHECK_DEBUG", "CAPCHECK_TRACE_HOOKS", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    shutil.copyfile(EXTRACT, tmp_path / "contracts.ocds.json")
    return tmp_path


@pytest.fixture
def run_cli(workdir: Path) -> Callable[..., Result]:
    """Run ``capcheck ARGS...`` in the working directory, with the plugin loaded either way."""
    from capcheck.cli import cli

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, [*args, *PLUGIN_ARGS], catch_exceptions=False)

    return run
