"""Money in evidence: values carry a currency (ISO 4217, GBP when absent); thresholds are in GBP.

A value in another currency is converted with the rule's ``gbp_rates`` option (GBP per unit of the
currency, e.g. ``{EUR = 0.85}``); without a rate the record cannot be judged against a GBP threshold
and the rule says so in a failing finding, never a silent pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

__all__ = ["GBP", "Money", "check_rates", "money", "no_rate_message", "shown"]

GBP = "GBP"


class Money(NamedTuple):
    """A record's value as written (``amount`` in ``currency``) and, when it can be known, in GBP.

    A named tuple: rules read one per record (a frozen dataclass costs three attribute sets)."""

    amount: float
    currency: str
    gbp: float | None

    def __str__(self) -> str:
        return shown(self.amount, self.currency)


def shown(amount: float, currency: str) -> str:
    """An amount as messages show it: ``EUR 2,000,000``."""
    return f"{currency} {amount:,.0f}"


def money(record: Mapping[str, Any], field: str, rates: Mapping[str, Any]) -> Money | None:
    """The record's ``field`` with its currency (``currency``, GBP when absent), converted to GBP with
    ``rates`` (GBP per unit); None when the field is not a number. ``gbp`` is None when no rate is given."""
    value = record.get(field)
    kind = type(value)
    if kind is not int and kind is not float and (kind is bool or not isinstance(value, int | float)):
        return None  # exact types first: this runs once per record of a register
    currency = record.get("currency") or GBP
    if type(currency) is not str:
        currency = str(currency)
    amount = float(value)  # type: ignore[arg-type]  # an int or a float: checked above
    if currency == GBP:
        return _new(Money, (amount, currency, amount))
    rate = rates.get(currency)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0:
        return _new(Money, (amount, currency, None))
    return _new(Money, (amount, currency, amount * float(rate)))


_new = tuple.__new__  # Money(...) runs the named tuple's Python __new__: this is the tuple, built at once


def no_rate_message(value: Money, rule_id: str) -> str:
    """Why a value in another currency cannot be judged, and how to fix it."""
    return (
        f"cannot judge a {value.currency} value ({value}) against a GBP threshold: set "
        f'gbp_rates = {{ {value.currency} = <GBP per {value.currency}> }} in [options."{rule_id}"]'
    )


def check_rates(rates: Any) -> None:
    """The ``gbp_rates`` option (a table, as its default): each rate a number above 0, GBP per unit of its currency.
    A rate that is not would leave that currency's values unjudged, each finding blaming the missing rate.

    :raises ValueError: the first rate that is not.
    """
    for currency, rate in rates.items():
        if isinstance(rate, bool) or not isinstance(rate, int | float) or rate <= 0:
            raise ValueError(f"the rate of {currency!r} must be a number above 0 (GBP per {currency}), not {rate!r}")
