"""How the tests name the plugin: installed, capcheck finds it through its entry point; from a source
checkout without the install step, ``src/`` is put on the path and the plugin module is named."""

import sys
from importlib import metadata
from pathlib import Path

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
