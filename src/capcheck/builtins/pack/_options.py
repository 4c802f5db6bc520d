"""Checks of the pack's Python rules' option values (``@rule(option_checks=...)``), run before any evidence is
read: a config's ``max_days = -5`` or ``max_ratio = 1.5`` is a config error with its line, not a rule that
silently passes or fails everything. Each check is given a value of its default's type, and raises
``ValueError`` saying why it is refused."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["each_of", "number", "one_of", "whole"]


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
