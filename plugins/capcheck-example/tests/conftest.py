"""How the tests name the plugin: installed, capcheck finds it through its entry point; from a source
checkout without the install step, ``src/`` is put on the path and the plugin module is named."""

import sys
from importlib import metadata
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
MODULE = "capcheck_example.plugin"

try:
    import capcheck_example  # noqa: F401  (installed, or on the path already)
except ModuleNotFoundError:  # a source checkout without the install step
    sys.path.insert(0, str(HERE.parent / "src"))

#: Whether the installed distribution declares the entry point (then capcheck loads the plugin itself).
INSTALLED = any(ep.value == MODULE for ep in metadata.entry_points(group="capcheck"))
#: What to pass as ``plugins=`` to capcheck.testing: always the module, installed or not (the harness loads
#: no installed plugin by itself, so another plugin in the environment cannot break these tests).
PLUGINS: tuple[str, ...] = (MODULE,)


@pytest.fixture
def plugin_modules() -> tuple[str, ...]:
    """What to pass as ``plugins=`` to capcheck.testing (a fixture, not an import from conftest: two
    plugins' test folders collected in one pytest session would share one ``conftest`` module name)."""
    return PLUGINS


@pytest.fixture
def installed_plugin() -> None:
    """Skip a test that needs the plugin installed (found through its entry point)."""
    if not INSTALLED:
        pytest.skip("not installed: capcheck finds it only when named with --plugin")


@pytest.fixture
def plugin_args() -> tuple[str, ...]:
    """What the command line needs to load the plugin: nothing once installed, else ``--plugin MODULE``."""
    return () if INSTALLED else ("--plugin", MODULE)
