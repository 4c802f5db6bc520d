"""Date helpers for Python rules: evidence dates are ISO strings."""

from __future__ import annotations

from datetime import date
from typing import Any

from capcheck.dates import parse_date

__all__ = ["days_before", "parse_date"]


def days_before(value: Any, as_of: date) -> int | None:
    """How many days ``value`` (an ISO date) is before ``as_of`` (negative if after), or None."""
    parsed = parse_date(value)
    return None if parsed is None else (as_of - parsed).days
