"""Matching values written by people across registers, defined once: names, owners and codes.

Registers are kept by different teams and exported by different systems: one writes
``LEEDS TEACHING HOSPITALS NHS TRUST``, another ``Leeds Teaching Hospitals NHS Trust``, a third
``" alice"``. Two text values *match* when they are equal after :func:`join_key`: surrounding
spaces dropped, runs of white space made one space, case folded. Where an organisation has a
code (an ODS code), rules match on the code as well as the name (COLLAB-006).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["join_key", "join_keys"]


def join_key(value: Any) -> Any:
    """The value two registers' entries are compared by: text trimmed, spaces collapsed, case folded;
    any other value unchanged."""
    if type(value) is str:
        return " ".join(value.split()).casefold()
    return value


def join_keys(values: Iterable[Any]) -> frozenset[Any]:
    """The join keys of ``values`` (for ``join_key(v) in join_keys(...)`` tests)."""
    return frozenset(join_key(v) for v in values)
