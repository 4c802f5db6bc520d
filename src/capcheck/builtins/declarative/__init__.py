"""Declarative rules: the rule file format type and what compiling a rule file may consult.

A :class:`RuleFormat` compiles one rule file into :class:`~capcheck.core.rules.Rule` values once,
before evaluation. The built-in format reads TOML (:mod:`capcheck.builtins.declarative.toml_format`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from capcheck.core.kinds import EvidenceKind
    from capcheck.core.rules import Rule

__all__ = ["CompileContext", "RuleFormat"]


@dataclass(frozen=True)
class CompileContext:
    """What a rule compiler checks references against: registered areas and kinds."""

    areas: frozenset[str]
    kinds: Mapping[str, EvidenceKind]


@dataclass(frozen=True)
class RuleFormat:
    """A declarative rule file format, chosen by extension.

    ``compile(path, display, context)`` returns the file's rules (each with
    ``RuleSource(type="file", name=display, path=display)``) or raises
    :class:`~capcheck.core.errors.RuleFileError` with file, line/pointer and cause.
    """

    name: str
    extensions: tuple[str, ...]
    compile: Callable[[Path, str, CompileContext], Sequence[Rule]]
    description: str = ""
