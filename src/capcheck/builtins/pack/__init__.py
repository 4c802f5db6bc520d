"""The built-in capability pack's Python rules (joins and aggregates), registered as a plugin.

Declarative rules of the pack live in the top-level ``rules/`` directory as data; rules that need
joins across registers or aggregates live here, one module per area, each exporting ``RULES``.
Modules are found by name (``pkgutil``), so adding an area's module needs no edit here.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from functools import cache

from capcheck.core.hookspecs import hookimpl
from capcheck.core.rules import Rule

__all__ = ["pack_rules"]


@cache
def pack_rules() -> tuple[Rule, ...]:
    """Every Python rule of the pack: the ``RULES`` of each public module in this package, by name."""
    found: list[Rule] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        found.extend(getattr(module, "RULES", ()))
    return tuple(found)


@hookimpl
def capcheck_rules() -> Sequence[Rule]:
    """The pack's Python rules."""
    return pack_rules()
