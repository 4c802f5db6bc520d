"""The built-in capability areas plugin: the 11 areas of the review, read from ``rules/areas.toml``."""

from __future__ import annotations

import tomllib
from collections.abc import Sequence

from capcheck.core.hookspecs import hookimpl
from capcheck.core.models import Area
from capcheck.core.resources import data_dir

__all__ = ["bundled_areas"]


def bundled_areas() -> list[Area]:
    """The areas in ``rules/areas.toml``, in review order."""
    with (data_dir("rules") / "areas.toml").open("rb") as fh:
        doc = tomllib.load(fh)
    return [Area(**entry) for entry in doc["area"]]


@hookimpl
def capcheck_areas() -> Sequence[Area]:
    """The 11 built-in capability areas."""
    return bundled_areas()
