"""Evidence dates, defined once: an ISO date, or an ISO date-time whose date part is the date.

Service-management and CMDB exports write timestamps (``2026-10-01T00:01:00Z``) where a register
means a day. Wherever a kind's schema says ``"format": "date"`` such a value is accepted, and every
comparison uses its date part (the first ten characters) as written, with no time-zone shift: the
day the exporting system recorded is the day that is judged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

__all__ = ["DATE_SHAPE", "add_days", "date_screen", "impossible_dates", "is_date", "parse_date"]

#: The shape of an evidence date: ``YYYY-MM-DD``, optionally followed by ``T`` (or a space) and a
#: time with an optional offset. :func:`is_date` also checks that the date and time exist.
DATE_SHAPE = re.compile(
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?\Z"
)


def is_date(value: Any) -> bool:
    """Whether ``value`` is an evidence date (a real ISO date, or a real ISO date-time)."""
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-" and value[5] != "W":
        try:  # the common case first: a plain date
            date.fromisoformat(value)
        except ValueError:
            return False
        return value[:4].isdigit()
    if type(value) is not str or DATE_SHAPE.match(value) is None:
        return False
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value.replace(",", "."))
    except ValueError:
        return False
    return True


def add_days(day: date, days: int) -> date:
    """``day`` moved by ``days`` (back when negative), held at the first or last day a date can be.

    Evidence may hold any real date (``9999-12-31`` is a common "no end date"), and ``--as-of`` too: a
    window reaching past either end is every date on that side, so ``9999-12-31`` plus a year is
    ``9999-12-31`` rather than an ``OverflowError`` that stopped the run or made a rule an error.
    """
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


#: Parsed dates by their text: registers repeat a few thousand dates across millions of records, and
#: rules parse the same columns again and again. Bounded (cleared when full); short strings only.
_PARSED: dict[str, date | None] = {}
_PARSED_MAX = 1 << 16
_DATE_TEXT_MAX = 40
_UNSET: Any = object()


def parse_date(value: Any) -> date | None:
    """The date of an evidence date (the date part of a date-time), or None if ``value`` is not one."""
    if type(value) is not str:
        return None
    found = _PARSED.get(value, _UNSET)
    if found is _UNSET:
        found = date.fromisoformat(value[:10]) if is_date(value) else None
        if len(value) <= _DATE_TEXT_MAX:
            if len(_PARSED) >= _PARSED_MAX:
                _PARSED.clear()
            _PARSED[value] = found
    return found  # type: ignore[no-any-return]  # _PARSED holds only dates and None


def impossible_dates(
    record: Mapping[str, Any], order: Iterable[Sequence[str]], past: Iterable[str], as_of: date
) -> list[str]:
    """What is impossible about a record's dates: a pair given in the wrong order (each ``(earlier, later)``
    pair of ``order``; the same day is allowed), or a date of a past event (``past``) after ``as_of``.
    A kind declares both in its schema (``x-capcheck-date-order``, ``x-capcheck-past-dates``)."""
    problems: list[str] = []
    for earlier, later in order:
        first, second = parse_date(record.get(earlier)), parse_date(record.get(later))
        if first is not None and second is not None and second < first:
            problems.append(f"{later} {second} is before {earlier} {first}")
    for name in past:
        day = parse_date(record.get(name))
        if day is not None and day > as_of:
            problems.append(f"{name} {day} is after the as-of date {as_of}")
    return problems


def date_screen(
    order: Sequence[Sequence[str]], past: Sequence[str], as_of: date
) -> Callable[[Mapping[str, Any]], bool]:
    """A cheap test that is true for every record :func:`impossible_dates` finds a problem in (and for a few
    it does not): rules that judge every record ask it first, and :func:`impossible_dates` only when it is true.

    It compares the raw strings: an evidence date's first ten characters order as its date does, so a
    pair in the wrong order has ``later < earlier`` as strings, and a date after ``as_of`` is greater
    than ``as_of``'s ISO text (a date-time on that very day is too, and is then cleared by the full test).
    """
    pairs = tuple((str(a), str(b)) for a, b in order)
    names = tuple(past)
    day = as_of.isoformat()
    if not pairs and len(names) == 1:
        (name,) = names

        def one_past(record: Mapping[str, Any]) -> bool:
            value = record.get(name)
            return type(value) is str and value > day

        return one_past

    def screen(record: Mapping[str, Any]) -> bool:
        get = record.get
        for earlier, later in pairs:
            first, second = get(earlier), get(later)
            if type(first) is str and type(second) is str and second < first:
                return True
        for name in names:
            value = get(name)
            if type(value) is str and value > day:
                return True
        return False

    return screen
