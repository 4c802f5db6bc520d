"""Frameworks: public criteria (NCSC CAF outcomes, Service Standard points ...) and their coverage.

A framework is data (``rules/frameworks/<id>.toml``: a ``[framework]`` table and ``[[criterion]]``
tables), registered by the built-in plugin here through ``capcheck_frameworks``. Rules name the
criteria they encode in their ``criteria`` metadata (``"caf:B4.d"``); a criterion no rule names is
*manual* — it needs a person's judgement, as Prowler lists uncovered requirements.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from capcheck.hookspecs import hookimpl
from capcheck.models import Framework
from capcheck.resources import data_dir

__all__ = ["CriterionCoverage", "bundled_frameworks", "coverage", "load_framework"]


def load_framework(path: Path) -> Framework:
    """Read one framework file."""
    with path.open("rb") as fh:
        doc = tomllib.load(fh)
    return Framework(**doc["framework"], criteria=tuple(doc.get("criterion", ())))


def bundled_frameworks() -> list[Framework]:
    """The frameworks in ``rules/frameworks/``, by file name."""
    return [load_framework(p) for p in sorted((data_dir("rules") / "frameworks").glob("*.toml"))]


@hookimpl
def capcheck_frameworks() -> Sequence[Framework]:
    """The built-in frameworks."""
    return bundled_frameworks()


@dataclass(frozen=True)
class CriterionCoverage:
    """One criterion and the rules that encode it (none: ``manual``)."""

    framework: str
    id: str
    title: str
    group: str
    rules: tuple[str, ...]

    @property
    def ref(self) -> str:
        """``<framework>:<id>``, as rules name it."""
        return f"{self.framework}:{self.id}"

    @property
    def mode(self) -> str:
        """``automated`` when a rule encodes it, else ``manual``."""
        return "automated" if self.rules else "manual"

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"id": self.ref, "title": self.title, "group": self.group, "mode": self.mode, "rules": list(self.rules)}


def coverage(framework: Framework, rule_criteria: Mapping[str, Iterable[str]]) -> list[CriterionCoverage]:
    """Each criterion of ``framework`` with the ids of the rules (by id -> criteria) that encode it."""
    by_criterion: dict[str, list[str]] = {}
    for rule_id, refs in rule_criteria.items():
        for ref in refs:
            by_criterion.setdefault(ref, []).append(rule_id)
    return [
        CriterionCoverage(
            framework=framework.id,
            id=c.id,
            title=c.title,
            group=c.group,
            rules=tuple(sorted(by_criterion.get(f"{framework.id}:{c.id}", ()))),
        )
        for c in framework.criteria
    ]
