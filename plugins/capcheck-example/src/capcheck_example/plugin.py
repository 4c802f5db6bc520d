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
    """One more column for capcheck's built-in it-assets kind: the site an asset runs at. Named after the
    namespace, so that another publisher's `site` can never clash with it."""
    return [
        KindExtension(
            kind="it-assets",
            fields={"example_site": {"type": "string", "description": "The site the asset runs at."}},
        )
    ]


@hookimpl
def capcheck_rules() -> Sequence[Rule]:
    """The plugin's Python rules."""
    return list(RULES)


@hookimpl
def capcheck_rule_paths() -> Sequence[Path]:
    """The plugin's declarative rules: a directory of TOML rule files."""
    return [HERE / "rules"]
