"""Date helpers for Python rules: evidence dates are ISO strings."""

from __future__ import annotations

from datetime import date
from typing import Any

__all__ = ["days_before", "parse_date"]


def parse_date(value: Any) -> date | None:
    """An ISO date (``2024-05-01``, or the date part of a timestamp), or None if not a date."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def days_before(value: Any, as_of: date) -> int | None:
    """How many days ``value`` (an ISO date) is before ``as_of`` (negative if after), or None."""
    parsed = parse_date(value)
    return None if parsed is None else (as_of - parsed).days
