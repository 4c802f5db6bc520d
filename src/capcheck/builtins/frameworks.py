"""Frameworks: public criteria (NCSC CAF outcomes, Service Standard points ...) and their coverage.

A framework is one edition of a published text, as data (``rules/frameworks/<id>.toml``: a ``[framework]``
table with its ``edition``, and ``[[criterion]]`` tables), registered by the built-in plugin here through
``capcheck_frameworks``. The id ends with the edition (``caf-4.0``), so the criteria rules name in their
``criteria`` metadata (``"caf-4.0:B4.d"``) say which text they cite; a criterion no rule names is
*manual* — it needs a person's judgement, as Prowler lists uncovered requirements.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from capcheck.core.errors import PluginError, Problem
from capcheck.core.hookspecs import hookimpl
from capcheck.core.models import Framework, display_path
from capcheck.core.resources import bundled_toml, data_dir

__all__ = ["CriterionCoverage", "bundled_frameworks", "coverage", "load_framework"]


def load_framework(path: Path) -> Framework:
    """Read one framework file: a ``[framework]`` table (with its ``edition``) and ``[[criterion]]`` tables.

    :raises PluginError: the file is unreadable, not TOML, or not a valid framework (``file: cause``).
    """
    where = display_path(path)
    try:
        doc = bundled_toml(path)  # parsed ahead when it is one of capcheck's own files
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PluginError(Problem(f"cannot read framework file: {exc}", path=where)) from exc
    head = doc.get("framework")
    if not isinstance(head, dict):
        raise PluginError(Problem("a framework file needs a [framework] table", path=where))
    criteria = doc.get("criterion", [])
    try:
        return Framework(**head, criteria=tuple(criteria) if isinstance(criteria, list) else criteria)
    except ValidationError as exc:
        problems = [
            Problem(err["msg"], path=where, pointer=_pointer(err["loc"])) for err in exc.errors(include_url=False)
        ]
        raise PluginError(problems) from exc


def _pointer(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a pointer into the file: ``/framework/edition``, ``/criterion/3/id``."""
    if loc and loc[0] == "criteria":
        return "/" + "/".join(["criterion", *(str(part) for part in loc[1:])])
    return "/" + "/".join(["framework", *(str(part) for part in loc)])


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
