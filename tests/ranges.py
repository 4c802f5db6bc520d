"""Judging a rule over ranges of its records and comparing the merge with the whole: helpers for the tests of
``engine.merge_blocks`` (tests/test_engine_ranges.py, the declarative rules' tests)."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from hypothesis import strategies as st

from capcheck.core.engine import Judged, StatusCounts, evaluate_range, evaluate_rule
from capcheck.core.evidence import EvidenceSet, evidence_from_records
from capcheck.core.kinds import EvidenceKind
from capcheck.core.outcomes import Findings, RuleOutcomes, in_order
from capcheck.core.rules import Rule

__all__ = ["Records", "assert_same", "cuts_of", "judge_ranges", "judge_whole"]

#: Records by kind, as ``evidence_from_records`` takes them.
Records = Mapping[str, Sequence[Mapping[str, Any]]]


def _evidence(records: Records, kinds: Mapping[str, EvidenceKind]) -> EvidenceSet:
    return evidence_from_records(records, kinds=kinds)


def judge_whole(
    r: Rule,
    records: Records,
    kinds: Mapping[str, EvidenceKind],
    as_of: date,
    options: Mapping[str, Any] | None = None,
    include_passed: bool = False,
) -> tuple[RuleOutcomes, StatusCounts]:
    """The rule judged over every record at once (``evaluate_rule``)."""
    return evaluate_rule(
        r,
        _evidence(records, kinds),
        as_of=as_of,
        options={r.id: options or {}},
        severities={},
        include_passed=include_passed,
    )


def judge_ranges(
    r: Rule,
    records: Records,
    kinds: Mapping[str, EvidenceKind],
    cuts: Sequence[int],
    as_of: date,
    options: Mapping[str, Any] | None = None,
    include_passed: bool = False,
) -> list[Judged]:
    """The rule judged over each range of its first kind's records that ``cuts`` (sorted positions) make, the
    other kinds whole in each (``evaluate_range``); a kind not given stays not given in every range."""
    kind = r.meta.kinds[0]
    own = records.get(kind)
    bounds = [0, *cuts, len(own) if own is not None else max(cuts, default=0)]
    parts = []
    for start, stop in itertools.pairwise(bounds):
        ranged = {**records, kind: own[start:stop]} if own is not None else records
        parts.append(
            evaluate_range(
                r,
                _evidence(ranged, kinds),
                as_of=as_of,
                options={r.id: options or {}},
                severities={},
                include_passed=include_passed,
            )
        )
    return parts


def assert_same(
    whole: tuple[RuleOutcomes, StatusCounts],
    merged: tuple[RuleOutcomes, StatusCounts],
    records: Records,
    kinds: Mapping[str, EvidenceKind],
) -> None:
    """The merge is what one evaluation gives: the rows (as a multiset), counts, ``ordered`` (the same for the same
    rows; true only for rows in the findings' order), and the findings, as values and as JSON."""
    (block, counts), (joined, joined_counts) = whole, merged
    assert joined_counts == counts
    assert Counter(joined.rows) == Counter(block.rows)
    if joined.ordered:  # a promise the findings' sort relies on
        assert in_order(joined.rows, joined.default_kind, [o.record_id for o in joined.rows])
    if joined.rows == block.rows:
        assert joined.ordered == block.ordered
    places = _evidence(records, kinds)
    ours, theirs = Findings([joined], places), Findings([block], places)
    assert list(ours) == list(theirs)
    assert json.dumps(list(ours.json_forms())) == json.dumps(list(theirs.json_forms()))


def cuts_of(n: int) -> st.SearchStrategy[list[int]]:
    """Sorted cut positions in ``0..n``: one to four ranges, empty ones among them."""
    return st.lists(st.integers(0, n), max_size=3).map(sorted)
