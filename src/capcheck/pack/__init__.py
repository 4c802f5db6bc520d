"""The built-in capability pack's Python rules (joins and aggregates), registered as a plugin.

Declarative rules of the pack live in the top-level ``rules/`` directory as data; rules that
need joins across registers or aggregates live here, one module per area.
"""

from __future__ import annotations

from collections.abc import Sequence

from capcheck.hookspecs import hookimpl
from capcheck.pack import commercial, governance, infrastructure
from capcheck.rules import Rule

__all__ = ["PACK_RULES"]

#: Every Python rule of the pack, by module.
PACK_RULES: tuple[Rule, ...] = (*commercial.RULES, *governance.RULES, *infrastructure.RULES)


@hookimpl
def capcheck_rules() -> Sequence[Rule]:
    """The pack's Python rules."""
    return PACK_RULES
