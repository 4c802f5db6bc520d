"""Date helpers for Python rules: evidence dates are ISO strings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

from capcheck.core.dates import date_screen, impossible_dates, parse_date
from capcheck.core.resources import load_schema

__all__ = ["days_before", "impossible", "impossible_check", "parse_date"]


def impossible(record: Any, kind: str, as_of: date) -> str | None:
    """Why a record of a bundled ``kind`` has impossible dates (its schema's date order and past-event
    fields, :func:`capcheck.core.dates.impossible_dates`), as a finding message; None when its dates are possible."""
    order, past = _date_rules(kind)
    problems = impossible_dates(record, order, past, as_of)
    return f"impossible dates: {'; '.join(problems)}" if problems else None


def impossible_check(kind: str, as_of: date) -> Callable[[Any], str | None]:
    """:func:`impossible` for one kind and as-of date, for a rule that asks it of every record: the kind's
    date rules read once, and :func:`~capcheck.core.dates.impossible_dates` asked only of records that
    the cheap :func:`~capcheck.core.dates.date_screen` cannot clear."""
    order, past = _date_rules(kind)
    if not order and not past:
        return lambda record: None
    screen = date_screen(order, past, as_of)

    def check(record: Any) -> str | None:
        if not screen(record):
            return None
        problems = impossible_dates(record, order, past, as_of)
        return f"impossible dates: {'; '.join(problems)}" if problems else None

    return check


@cache
def _date_rules(kind: str) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """A bundled kind's date order pairs and past-event fields (read once: rules ask per record)."""
    schema = load_schema(f"evidence/{kind}")
    order = tuple((str(a), str(b)) for a, b in schema.get("x-capcheck-date-order", ()))
    return order, tuple(schema.get("x-capcheck-past-dates", ()))


def days_before(value: Any, as_of: date) -> int | None:
    """How many days ``value`` (an ISO date) is before ``as_of`` (negative if after), or None."""
    parsed = parse_date(value)
    return None if parsed is None else (as_of - parsed).days
