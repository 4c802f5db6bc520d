"""The DSPT editions data and the latest-row helper the DSPT rules share."""

from __future__ import annotations

from datetime import date

import pytest

from capcheck.builtins.pack._dspt import current_edition, edition_of, editions, latest_per_organisation


def test_the_editions_are_data_with_their_june_deadlines() -> None:
    known = {e.name: e.deadline for e in editions()}
    assert known["22/23"] == date(2023, 6, 30)
    assert known["23/24"] == date(2024, 6, 30)
    assert known["24/25"] == date(2025, 6, 30)
    assert known["25/26"] == date(2026, 6, 30)


@pytest.mark.parametrize(
    ("as_of", "name"),
    [
        (date(2026, 6, 29), "24/25"),
        (date(2026, 6, 30), "25/26"),
        (date(2026, 7, 1), "25/26"),
        (date(2023, 6, 29), None),
    ],
)
def test_the_current_edition_changes_on_the_deadline_day(as_of: date, name: str | None) -> None:
    edition = current_edition(as_of)
    assert (edition.name if edition else None) == name


def test_stale_editions_data_is_an_error() -> None:
    assert current_edition(date(2027, 7, 1)) is not None  # a year and a day of grace
    with pytest.raises(ValueError, match="add the editions due by 2027-07-02"):
        current_edition(date(2027, 7, 2))


def test_edition_comes_from_the_field_or_the_status_text() -> None:
    assert edition_of({"edition": "24/25", "status_text": "23/24 Standards Met"}) == "24/25"
    assert edition_of({"status_text": "22/23 Approaching Standards"}) == "22/23"
    assert edition_of({"status_text": "Not Published"}) is None


def test_latest_row_per_organisation_keeps_file_order() -> None:
    rows = [
        {"id": "1", "org_code": "B", "relationship": "partner", "published_on": "2025-01-01"},
        {"id": "2", "org_code": "A", "relationship": "partner", "published_on": "2026-01-01"},
        {"id": "3", "org_code": "b", "relationship": "partner", "published_on": "2026-01-01"},
        {"id": "4", "org_code": "A", "relationship": "partner", "published_on": "2024-01-01"},
        {"id": "5", "org_code": "C", "relationship": "self", "published_on": "2026-01-01"},
    ]
    assert [r["id"] for r in latest_per_organisation(rows, ("partner",))] == ["2", "3"]


@pytest.mark.parametrize(
    ("organisation", "code", "shown"),
    [
        ("LEEDS TEACHING HOSPITALS NHS TRUST", "RR8", "partner LEEDS TEACHING HOSPITALS NHS TRUST (RR8)"),
        ("NHS WEST YORKSHIRE ICB (X2C4Y)", "X2C4Y", "partner NHS WEST YORKSHIRE ICB (X2C4Y)"),  # named with its code
        ("NHS WEST YORKSHIRE ICB (x2c4y) ", "X2C4Y", "partner NHS WEST YORKSHIRE ICB (x2c4y) "),  # in any case
        ("ACME (R0B) SERVICES", "R0B", "partner ACME (R0B) SERVICES (R0B)"),  # the code only at the end counts
    ],
)
def test_a_dspt_message_names_the_code_once(organisation: str, code: str, shown: str) -> None:
    from capcheck.builtins.pack.cyber import _who

    assert _who({"relationship": "partner", "organisation": organisation, "org_code": code}) == shown
