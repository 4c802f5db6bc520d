"""Values in the condition language: field access, durations, how values read in messages, and the
run environment a condition is bound in. Shared by the operators (:mod:`capcheck.builtins.declarative.operators`)
and the condition trees (:mod:`capcheck.builtins.declarative.conditions`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from capcheck.core.evidence import EvidenceSet

__all__ = [
    "Env",
    "NotADate",
    "Predicate",
    "Problems",
    "Record",
    "Test",
    "format_value",
    "make_getter",
    "parse_duration",
]

Record = Mapping[str, Any]
#: A bound condition: True, False, or None when a field it compares is missing (unknown).
Predicate = Callable[[Record], bool | None]
#: A bound operator: ``test(value, record)``; the record is read only by the operators whose operand
#: names another field (which return None when the other field is missing). Never called with a
#: missing value, except for the presence operators (``exists``/``missing``).
Test = Callable[[Any, Record], bool | None]
#: Problems found while compiling: ``(message, JSON pointer)``.
Problems = list[tuple[str, str]]

_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
_DURATION = re.compile(r"([0-9]{1,5})([dwmy])\Z")


class NotADate(Exception):
    """A date operator met a present value that is not an ISO date."""

    def __init__(self, field: str, value: Any) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field} is {format_value(value, quote=True)}, which is not a date (YYYY-MM-DD)")


@dataclass(frozen=True, slots=True)
class Env:
    """What binding a condition resolves: the as-of date, the option values and the evidence."""

    as_of: date
    options: Mapping[str, Any]
    evidence: EvidenceSet | None = None


def make_getter(path: str) -> Callable[[Record], Any]:
    """A function reading ``path`` (dotted for nested objects) from a record; None when missing."""
    parts = path.split(".")
    if len(parts) == 1:
        key = parts[0]
        return lambda record: record.get(key)

    def get(record: Record) -> Any:
        value: Any = record
        for part in parts:
            if type(value) is not dict:
                return None
            value = value.get(part)
        return value

    return get


def parse_duration(text: Any) -> int:
    """Days in a duration ``Nd``/``Nw``/``Nm``/``Ny`` (a month is 30 days, a year 365)."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{format_value(text, quote=True)} is not a duration (e.g. 90d, 12w, 6m, 2y)")
    return int(match.group(1)) * _DAYS[match.group(2)]


def format_value(value: Any, *, quote: bool = False, limit: int = 200) -> str:
    """A record value as shown in messages: lists joined, booleans lower-case, long text cut."""
    if type(value) is str and not quote and len(value) <= limit:
        return value  # the common case, first
    if value is None:
        return "<missing>"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        text = ", ".join(format_value(v, limit=limit) for v in value)
        quote = False
    elif isinstance(value, str):
        text = value
    elif isinstance(value, int | float):
        text = repr(value)
    else:
        text = "{...}" if isinstance(value, dict) else type(value).__name__
        quote = False
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{text}'" if quote and isinstance(value, str) else text
