"""Matching values across registers: one join key for names, owners and codes."""

from __future__ import annotations

import pytest

from capcheck.core.joins import join_key, join_keys


@pytest.mark.parametrize(
    ("a", "b"),
    [(" alice", "alice"), ("Alice", "ALICE"), ("Leeds  Teaching\tHospitals", "leeds teaching hospitals")],
)
def test_text_matches_whatever_its_case_and_spacing(a: str, b: str) -> None:
    assert join_key(a) == join_key(b)
    assert join_key(a) in join_keys([b])


def test_different_text_and_other_types_do_not_match() -> None:
    assert join_key("alice") != join_key("alicia")
    assert join_key("al ice") != join_key("alice")
    assert join_key(1) == 1 and join_key(None) is None
