"""The pack's date helpers: impossible_check is impossible, for a rule that asks it of every record."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capcheck.builtins.pack._dates import _date_rules, impossible, impossible_check

AS_OF = date(2026, 11, 25)
KINDS = ["security-incidents", "supplier-contracts", "it-assets", "governance-register", "training-records"]
_DAYS = st.dates(min_value=date(2026, 11, 20), max_value=date(2026, 11, 30)).map(date.isoformat)
_VALUES = st.one_of(_DAYS, _DAYS.map(lambda d: d + "T12:00:00Z"), st.sampled_from(["", "2026-11-31", "x"]), st.none())


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=150)
@given(data=st.data())
def test_impossible_check_says_what_impossible_says(kind: str, data: Any) -> None:
    order, past = _date_rules(kind)
    fields = sorted({f for pair in order for f in pair} | set(past))
    record = data.draw(st.fixed_dictionaries({f: _VALUES for f in fields}))
    assert impossible_check(kind, AS_OF)(record) == impossible(record, kind, AS_OF)


def test_impossible_check_finds_a_future_patch_date() -> None:
    assert impossible_check("it-assets", AS_OF)({"last_patched": "2026-11-26"}) == (
        "impossible dates: last_patched 2026-11-26 is after the as-of date 2026-11-25"
    )
    assert impossible_check("it-assets", AS_OF)({"last_patched": "2026-11-25"}) is None
