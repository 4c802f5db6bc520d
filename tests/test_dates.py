"""Evidence dates: ISO dates and ISO date-times (their date part), one definition used everywhere."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capcheck.core.dates import add_days, date_screen, impossible_dates, is_date, parse_date

SCHEMAS = Path(__file__).parent.parent / "schemas" / "evidence"

HEADER = "id,name,product,environment,criticality,status,end_of_life,last_patched\n"


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2026-10-01", date(2026, 10, 1)),
        ("2026-10-01T00:01:00Z", date(2026, 10, 1)),
        ("2026-10-01T23:59:59.123456+05:30", date(2026, 10, 1)),
        ("2026-10-01 08:15", date(2026, 10, 1)),
        ("2026-10-01T08:15:00-0100", date(2026, 10, 1)),
    ],
)
def test_dates_and_date_times_give_their_date_part(value: str, day: date) -> None:
    assert is_date(value)
    assert parse_date(value) == day


@pytest.mark.parametrize(
    "value", ["2026-02-30", "2026-10-01T25:00", "2026-10-01T", "01/10/2026", "2026-10-1", "20261001", "", 20261001]
)
def test_impossible_or_other_shapes_are_not_dates(value: object) -> None:
    assert not is_date(value)
    assert parse_date(value) is None


def test_parsed_dates_are_remembered_boundedly_and_stay_right(monkeypatch: pytest.MonkeyPatch) -> None:
    import capcheck.core.dates as dates

    monkeypatch.setattr(dates, "_PARSED", {})
    monkeypatch.setattr(dates, "_PARSED_MAX", 2)
    values = ["2026-10-01", "2026-02-30", "2026-10-01T08:15:00Z", "2026-10-01", "x" * 50, "2026-02-30"]
    expected = [date(2026, 10, 1), None, date(2026, 10, 1), date(2026, 10, 1), None, None]
    assert [parse_date(v) for v in values] == expected
    assert [parse_date(v) for v in values] == expected  # the second time from the memo, where kept
    assert len(dates._PARSED) <= 2  # cleared when full
    assert "x" * 50 not in dates._PARSED  # long strings are never kept


def test_a_csv_export_with_timestamps_loads_and_is_judged_by_the_day(load, workdir: Path) -> None:
    (workdir / "it-assets.csv").write_text(
        HEADER + "A-1,a,p,production,low,in-service,2026-10-01T00:01:00Z,2026-09-30T23:59:00+00:00\n"
    )
    evidence = load("it-assets.csv")
    [record] = evidence.records("it-assets")
    assert record["end_of_life"] == "2026-10-01T00:01:00Z"
    assert parse_date(record["last_patched"]) == date(2026, 9, 30)


def test_an_impossible_timestamp_is_still_refused_with_its_location(load, workdir: Path) -> None:
    (workdir / "it-assets.csv").write_text(HEADER + "A-1,a,p,production,low,in-service,2026-10-01T24:30:00Z,\n")
    [problem] = load.problems("it-assets.csv")
    assert problem.startswith("it-assets.csv:2: /records/0/end_of_life: ")
    assert "2026-10-01T24:30:00Z" in problem


def test_impossible_dates_name_the_wrong_order_and_future_events() -> None:
    record = {"detected_on": "2026-03-10", "ico_reported_on": "2026-01-29T09:00:00Z", "resolved_on": "2026-11-26"}
    order = [("detected_on", "ico_reported_on"), ("detected_on", "resolved_on")]
    assert impossible_dates(record, order, ["resolved_on"], date(2026, 11, 25)) == [
        "ico_reported_on 2026-01-29 is before detected_on 2026-03-10",
        "resolved_on 2026-11-26 is after the as-of date 2026-11-25",
    ]
    # The same day is possible; so is an event on the as-of date; a missing date is not judged.
    same_day = {"detected_on": "2026-03-10", "ico_reported_on": "2026-03-10", "resolved_on": "2026-11-25"}
    assert impossible_dates(same_day, order, ["resolved_on"], date(2026, 11, 25)) == []
    assert impossible_dates({"detected_on": "2026-03-10"}, order, ["resolved_on"], date(2026, 11, 25)) == []


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.stem)
def test_kinds_declare_date_orders_and_past_events_over_their_date_fields(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    dates = {name for name, spec in schema["properties"].items() if spec.get("format") == "date"}
    pairs = schema.get("x-capcheck-date-order", [])
    past = schema.get("x-capcheck-past-dates", [])
    assert all(len(pair) == 2 and set(pair) <= dates for pair in pairs), pairs
    assert set(past) <= dates, past
    if dates:
        assert "x-capcheck-past-dates" in schema, f"{path.name}: say which date fields record past events"


# Dates around the as-of day and around each other, as dates, date-times, near-misses and other values.
_DAYS = st.dates(min_value=date(2026, 11, 20), max_value=date(2026, 11, 30))
_DATE_VALUES = st.one_of(
    _DAYS.map(date.isoformat),
    _DAYS.map(date.isoformat),
    _DAYS.map(lambda d: f"{d.isoformat()}T23:59:00Z"),
    _DAYS.map(lambda d: f"{d.isoformat()} 00:00"),
    st.sampled_from(["2026-11-31", "2026-11-2", "", "  ", "9999-99-99", "2026-11-25x"]),
    st.none(),
    st.integers(),
    st.booleans(),
)


@settings(max_examples=400)
@given(
    st.fixed_dictionaries({"a": _DATE_VALUES, "b": _DATE_VALUES}, optional={"c": _DATE_VALUES}),
    st.sampled_from([((), ("a",)), ((("a", "b"),), ()), ((("a", "b"), ("b", "c")), ("a", "c")), ((), ("a", "b"))]),
)
def test_the_date_screen_passes_every_record_with_impossible_dates(record: dict[str, object], rules: tuple) -> None:
    order, past = rules
    as_of = date(2026, 11, 25)
    if impossible_dates(record, order, past, as_of):
        assert date_screen(order, past, as_of)(record)


def test_the_date_screen_clears_possible_dates_and_flags_each_kind_of_problem() -> None:
    screen = date_screen([("start", "end")], ["start"], date(2026, 11, 25))
    assert not screen({"start": "2026-11-25", "end": "2026-11-25"})  # the same day is allowed
    assert not screen({"start": "2026-11-24", "end": None})
    assert screen({"start": "2026-11-24", "end": "2026-11-23"})  # wrong order
    assert screen({"start": "2026-11-26"})  # a past event after the as-of date
    one = date_screen([], ["patched"], date(2026, 11, 25))
    assert one({"patched": "2026-11-26"})
    assert not one({"patched": "2026-11-25"}) and not one({"patched": 20261126})


@pytest.mark.parametrize(
    ("day", "days", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 1)),
        (date(2026, 1, 1), -1, date(2025, 12, 31)),
        (date(9999, 12, 30), 1, date.max),
        (date.max, 1, date.max),  # "9999-12-31", a common "no end date", plus a window
        (date.max, 365, date.max),
        (date.min, -1, date.min),  # --as-of 0001-01-01 less a window
        (date(2026, 1, 1), 10**12, date.max),  # more days than timedelta holds
        (date(2026, 1, 1), -(10**12), date.min),
    ],
)
def test_add_days_holds_at_the_ends_of_the_calendar(day: date, days: int, expected: date) -> None:
    assert add_days(day, days) == expected
