"""The plugin module capcheck loads through the entry point: one function per hook it implements.

Keep this module small and cheap to import: capcheck imports every installed plugin on every run,
so it only wires the hooks to the modules that do the work.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from capcheck import Rule, hookimpl

from capcheck_ocds.rules import RULES

__all__ = ["RULE_DIR", "capcheck_rule_paths", "capcheck_rules"]

#: The plugin's declarative rules, shipped inside the package (see ``[tool.hatch.build]``).
RULE_DIR = Path(__file__).resolve().with_name("toml_rules")


@hookimpl
def capcheck_rules() -> Sequence[Rule]:
    """The plugin's Python rules."""
    return list(RULES)


@hookimpl
def capcheck_rule_paths() -> Sequence[Path]:
    """The plugin's declarative rule pack (a directory of TOML rule files)."""
    return [RULE_DIR]
