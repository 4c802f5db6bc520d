"""The capcheck exception tree: every problem the CLI turns into a message and exit code 2.

::

    CapcheckError                 anything that stops a run before or outside rule evaluation
    ├── UsageError                a bad option or argument (unknown rule id, bad date, ...)
    ├── ConfigError               capcheck.toml / [tool.capcheck] is unreadable or invalid
    ├── PluginError               a plugin failed to import or registered a duplicate or invalid item
    ├── RuleFileError             a declarative rule file is unreadable or invalid
    ├── EvidenceError             one or more evidence files are unreadable or invalid
    └── OutputError               an output (a report file, standard output) could not be written whole

Each carries a list of :class:`Problem` values (file, line, JSON pointer, cause), so that
the CLI can print ``path:line: /pointer: cause`` for every one of them. A rule that raises
while it runs never produces one of these: the engine turns it into an ``error`` finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CapcheckError",
    "ConfigError",
    "EvidenceError",
    "OutputError",
    "PluginError",
    "Problem",
    "RuleFileError",
    "UsageError",
    "elide",
]


def elide(message: str, limit: int = 240) -> str:
    """A message (or a pointer) that may embed a value from an input, cut in the middle so that its
    start and its end (a message's verdict, a pointer's last keys) stay. Also ``side_inputs.elide``."""
    if len(message) <= limit:
        return message
    return message[: limit - 60] + "…" + message[-59:]


@dataclass(frozen=True, slots=True)
class Problem:
    """One located problem in an input: ``path:line: /pointer: message``."""

    message: str
    path: str | None = None
    line: int | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.path is not None:
            parts.append(self.path if self.line is None else f"{self.path}:{self.line}")
        if self.pointer is not None:
            # A pointer spells keys from the input, of any length: cut like a message (the value keeps it whole).
            parts.append(elide(self.pointer) or "/")
        parts.append(self.message)
        return ": ".join(parts)


class CapcheckError(Exception):
    """Base class: a run cannot go on. Holds one or more problems."""

    #: The heading the CLI prints before the problems.
    kind = "error"

    def __init__(self, problems: Problem | str | Iterable[Problem | str]) -> None:
        if isinstance(problems, str | Problem):
            problems = [problems]
        self.problems: list[Problem] = [p if isinstance(p, Problem) else Problem(p) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(CapcheckError):
    """An option or argument given on the command line (or its config twin) is invalid."""

    kind = "usage error"


class ConfigError(CapcheckError):
    """The configuration file cannot be read or does not validate."""

    kind = "config error"


class PluginError(CapcheckError):
    """A plugin failed to load or registered something invalid or duplicated."""

    kind = "plugin error"


class RuleFileError(CapcheckError):
    """A declarative rule file cannot be read or does not validate."""

    kind = "rule file error"


class EvidenceError(CapcheckError):
    """Evidence cannot be loaded: unreadable, malformed, schema-invalid or duplicated."""

    kind = "evidence error"


class OutputError(CapcheckError):
    """An output could not be written whole (a full disk, a file size limit, an I/O error), or would
    overwrite an input: nothing is left truncated or overwritten without exit 2."""

    kind = "output error"
