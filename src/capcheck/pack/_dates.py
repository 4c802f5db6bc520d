"""Date helpers for Python rules: evidence dates are ISO strings."""

from __future__ import annotations

from datetime import date
from typing import Any

from capcheck.dates import impossible_dates, parse_date
from capcheck.resources import load_schema

__all__ = ["days_before", "impossible", "parse_date"]


def impossible(record: Any, kind: str, as_of: date) -> str | None:
    """Why a record of a bundled ``kind`` has impossible dates (its schema's date order and past-event
    fields, :func:`capcheck.dates.impossible_dates`), as a finding message; None when its dates are possible."""
    schema = load_schema(f"evidence/{kind}")
    problems = impossible_dates(
        record, schema.get("x-capcheck-date-order", ()), schema.get("x-capcheck-past-dates", ()), as_of
    )
    return f"impossible dates: {'; '.join(problems)}" if problems else None


def days_before(value: Any, as_of: date) -> int | None:
    """How many days ``value`` (an ISO date) is before ``as_of`` (negative if after), or None."""
    parsed = parse_date(value)
    return None if parsed is None else (as_of - parsed).days
