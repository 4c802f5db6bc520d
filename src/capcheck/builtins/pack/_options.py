"""Checks of the pack's Python rules' option values (``@rule(option_checks=...)``), run before any evidence is
read: a config's ``max_days = -5`` or ``max_ratio = 1.5`` is a config error with its line, not a rule that
silently passes or fails everything. Each check is given a value of its default's type, and raises
``ValueError`` saying why it is refused."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import re2

__all__ = ["each_of", "number", "one_of", "re2_pattern", "whole"]


def whole(low: int = 0) -> Callable[[Any], None]:
    """A whole number, at least ``low`` (days, counts)."""

    def check(value: Any) -> None:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"must be a whole number, not {value!r}")
        if value < low:
            raise ValueError(f"must be at least {low}, not {value!r}")

    return check


def number(low: float = 0, high: float | None = None) -> Callable[[Any], None]:
    """A number from ``low`` to ``high`` (a ratio from 0 to 1: 0.1 is 10%)."""

    def check(value: Any) -> None:
        if value < low or (high is not None and value > high):
            span = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
            raise ValueError(f"must be {span}, not {value!r}")

    return check


def one_of(choices: Sequence[str]) -> Callable[[Any], None]:
    """A string among ``choices``."""

    def check(value: Any) -> None:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, not {value!r}")

    return check


def each_of(choices: Sequence[str]) -> Callable[[Any], None]:
    """A list whose items are each among ``choices``."""

    def check(value: Any) -> None:
        wrong = [v for v in value if v not in choices]
        if wrong:
            raise ValueError(f"{wrong[0]!r} is not one of {', '.join(choices)}")

    return check


_QUIET = re2.Options()
_QUIET.log_errors = False  # the reason is raised, not logged to standard error


def re2_pattern(value: Any) -> None:
    """A regular expression the rule can compile with RE2 (linear time: no backreferences or lookaround)."""
    try:
        re2.compile(value, _QUIET)
    except re2.error as exc:
        cause = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        raise ValueError(f"{value!r} is not a regular expression RE2 compiles: {cause}") from None
