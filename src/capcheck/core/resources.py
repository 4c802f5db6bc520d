"""Where capcheck's own data files are: the rule pack (``rules/``) and the schemas (``schemas/``).

In a built wheel they are packaged as ``capcheck/_data/``; in a source checkout (and an editable
install) they are the top-level ``rules/`` and ``schemas/`` directories of the repository.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["data_dir", "load_schema", "schema_path"]

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # src/capcheck: this module is in capcheck/core


@cache
def data_dir(name: str) -> Path:
    """The directory of capcheck's data ``name`` (``"rules"`` or ``"schemas"``)."""
    packaged = _PACKAGE_DIR / "_data" / name
    if packaged.is_dir():
        return packaged
    checkout = _PACKAGE_DIR.parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"capcheck data directory {name!r} is missing from this installation")


def schema_path(name: str) -> Path:
    """The path of a bundled schema, e.g. ``findings`` -> ``schemas/findings.schema.json``."""
    return data_dir("schemas") / f"{name}.schema.json"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A bundled schema, parsed (cached: treat it as read-only)."""
    with schema_path(name).open("rb") as fh:
        result: dict[str, Any] = json.load(fh)
    return result
