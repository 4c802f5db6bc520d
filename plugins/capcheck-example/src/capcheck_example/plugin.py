"""The module capcheck loads through the entry point: one function per hook the plugin implements.

Keep it small and cheap to import: capcheck imports every installed plugin on every run.
"""

from collections.abc import Sequence
from pathlib import Path

from capcheck import EvidenceKind, KindExtension, Rule, hookimpl

from capcheck_example.checks import RULES

#: The capcheck plugin API this plugin is written for: a capcheck that lacks it refuses the plugin by name.
CAPCHECK_PLUGIN_API = "1.1"

HERE = Path(__file__).resolve().parent


@hookimpl
def capcheck_kinds() -> Sequence[EvidenceKind]:
    """The plugin's evidence kinds: one JSON Schema per kind in kinds/ (the file name is the kind id)."""
    return [EvidenceKind.from_file(path) for path in sorted((HERE / "kinds").glob("*.schema.json"))]


@hookimpl
def capcheck_kind_extensions() -> Sequence[KindExtension]:
    """Fields the plugin adds to kinds it does not own: one JSON file per extended kind in kinds/
    (it-assets.extension.json adds the column example_site to capcheck's it-assets)."""
    return [KindExtension.from_file(path) for path in sorted((HERE / "kinds").glob("*.extension.json"))]


@hookimpl
def capcheck_rules() -> Sequence[Rule]:
    """The plugin's Python rules."""
    return list(RULES)


@hookimpl
def capcheck_rule_paths() -> Sequence[Path]:
    """The plugin's declarative rules: a directory of TOML rule files."""
    return [HERE / "rules"]
