"""The built-in capability areas plugin: the 11 areas of the review, read from ``rules/areas.toml``."""

from __future__ import annotations

from collections.abc import Sequence

from capcheck.core.hookspecs import hookimpl
from capcheck.core.models import Area
from capcheck.core.resources import bundled_toml, data_dir

__all__ = ["bundled_areas"]


def bundled_areas() -> list[Area]:
    """The areas in ``rules/areas.toml``, in review order."""
    doc = bundled_toml(data_dir("rules") / "areas.toml")
    return [Area(**entry) for entry in doc["area"]]


@hookimpl
def capcheck_areas() -> Sequence[Area]:
    """The 11 built-in capability areas."""
    return bundled_areas()
