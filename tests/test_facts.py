"""The scorecard's facts: what they hold of a kind's records, that they combine over any split, what is asked."""

from __future__ import annotations

import dataclasses
import json
import pickle
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capcheck.assessment.facts import FactsAsked, KindAsk, KindFacts, _copy_key, count_copies, kind_facts
from capcheck.assessment.scorecard import ScorecardConfig, ScoredRule, compute_scorecard, facts_asked
from capcheck.assessment.sufficiency import ATTESTATIONS_KIND, ORGANISATION_KIND, bundled_scorecard_data
from capcheck.builtins.areas import bundled_areas
from capcheck.builtins.frameworks import bundled_frameworks
from capcheck.core.models import Severity, Status, Summary

HELD = frozenset({"tbc", "n/a"})
ASKED = FactsAsked({"k": KindAsk((("a",), ("a", "b"), ())), "whole": KindAsk(whole=True)}, HELD)
FIELDS = (("a",), ("a", "b"), ())

#: Values a field may hold: blanks, placeholders in any case and spacing, values that look blank but are not
#: (false, 0), values that are copies of each other up to case and spacing, and unhashable ones.
VALUES = st.sampled_from(
    [None, "", [], {}, "TBC", " tbc ", "N/A", False, 0, 0.0, 1, True, "x", "X", " x", "y", ["x"], {"k": "x"}]
)
RECORDS = st.lists(
    st.fixed_dictionaries({}, optional={"a": VALUES, "b": VALUES, "c": VALUES}).map(lambda r: {"id": "r", **r}),
    max_size=30,
)


def _lacks(value: Any) -> bool:
    """What a missing field is, said plainly (docs/scorecard.md), one value at a time."""
    if value is None or value == "" or value == [] or value == {}:
        return True
    return isinstance(value, str) and value.strip().casefold() in HELD


def _numbered(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "id": f"r{i}"} for i, r in enumerate(records)]


@settings(max_examples=300)
@given(RECORDS, st.data())
def test_facts_of_any_split_combine_to_the_facts_of_the_whole(records: list[dict[str, Any]], data: Any) -> None:
    records = _numbered(records)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(records)), max_size=3)))
    parts = [records[i:j] for i, j in zip([0, *cuts], [*cuts, len(records)], strict=True)]
    for kind in ("k", "whole"):
        whole = kind_facts(kind, records, ASKED, copies=FIELDS)
        combined = kind_facts(kind, parts[0], ASKED, copies=FIELDS)
        for part in parts[1:]:
            combined = combined.combine(kind_facts(kind, part, ASKED, copies=FIELDS))
        assert combined == whole


@settings(max_examples=300)
@given(RECORDS)
def test_the_facts_count_what_the_records_hold(records: list[dict[str, Any]]) -> None:
    records = _numbered(records)
    facts = kind_facts("k", records, ASKED, copies=FIELDS)
    assert facts.count == len(records)
    for fields in FIELDS:
        usable = [r for r in records if not any(_lacks(r.get(f)) for f in fields)]
        assert facts.coverage(fields).usable == len(usable)
        assert dict(facts.coverage(fields).missing) == {
            f: n for f in fields if (n := sum(_lacks(r.get(f)) for r in records))
        }
        seen: set[str] = set()
        copies = 0
        for r in usable:
            key = _copy_key(r)
            copies += key in seen
            seen.add(key)
        assert facts.repeats(fields) == copies == count_copies(records, fields, HELD)


def test_facts_survive_pickling_and_say_what_they_were_not_asked() -> None:
    records = [{"id": "1", "a": "x", "b": "y"}, {"id": "2", "a": "X ", "b": " Y"}, {"id": "3", "a": "x", "b": "TBC"}]
    facts = kind_facts("k", records, ASKED, copies=[("a",)])
    assert pickle.loads(pickle.dumps(facts)) == facts
    assert pickle.loads(pickle.dumps(ASKED)) == ASKED  # what is asked goes to a worker too
    assert (facts.coverage(("a", "b")).usable, facts.repeats(("a",)), facts.repeats(("a", "b"))) == (2, 1, None)
    with pytest.raises(LookupError, match="not asked for the fields"):
        facts.coverage(("c",))
    with pytest.raises(LookupError, match="keep its records"):
        facts.whole()
    assert kind_facts("whole", records, ASKED).whole() == tuple(records)
    assert kind_facts("other", records, ASKED) == KindFacts("other", 3)  # a kind not asked: its count


def test_facts_of_other_kinds_or_asks_do_not_combine() -> None:
    facts = kind_facts("k", [{"id": "1"}], ASKED)
    with pytest.raises(ValueError, match="one kind at a time"):
        facts.combine(dataclasses.replace(facts, kind="j"))
    with pytest.raises(ValueError, match="different asks"):
        facts.combine(kind_facts("k", [{"id": "2"}], ASKED, copies=[("a",)]))


class _Reading(KindFacts):
    """Facts that note each fields tuple the scorecard reads."""

    read: set[tuple[str, tuple[str, ...]]] = set()

    def coverage(self, fields: tuple[str, ...]) -> Any:
        self.read.add((self.kind, fields))
        return super().coverage(fields)


@pytest.mark.parametrize("select", ["all", "COMM", "INFRA-001", "a plugin's area"])
def test_what_is_asked_is_exactly_what_the_scorecard_reads(select: str) -> None:
    data = bundled_scorecard_data()
    areas = list(bundled_areas())
    rules = [ScoredRule(f"{a.id}-001", a.id, "t", needs.kinds, ()) for a in areas if (needs := data.needs.get(a.id))]
    if select == "a plugin's area":  # an area the data does not list needs the kinds its rules read
        areas.append(areas[0].model_copy(update={"id": "ACME"}))
        rules = [ScoredRule("ACME-001", "ACME", "t", ("roles", "acme-kind"), ())]
    elif select != "all":
        rules = [r for r in rules if r.id.startswith(select.split("-")[0])]
    asked = facts_asked(areas, rules, data)
    kinds = set(asked.kinds) | {"unasked-kind"}
    records: dict[str, list[dict[str, Any]]] = {
        k: [{"id": "1", "owner": "x", "sponsor": "x", "end_date": "2026-01-01"}] for k in kinds
    }
    records[ORGANISATION_KIND] = [{"id": "O", "name": "n", "type": "trust", "headcount": 1000, "estate": {}}]
    records[ATTESTATIONS_KIND] = []
    _Reading.read = set()
    facts = {k: _Reading(**vars(kind_facts(k, recs, asked))) for k, recs in records.items()}
    compute_scorecard(
        Summary(),
        areas,
        rules,
        ScorecardConfig(),
        facts=facts,
        frameworks={fw.id: fw for fw in bundled_frameworks()},
        as_of=date(2026, 11, 25),
        data=data,
    )
    assert _Reading.read == {(k, f) for k, a in asked.kinds.items() for f in a.fields}
    assert _Reading.read  # the scorecard read coverage at all
    assert asked.of(ORGANISATION_KIND).whole and asked.of(ATTESTATIONS_KIND).whole
    assert asked.of("unasked-kind") == KindAsk()


def test_copies_the_facts_lack_are_asked_of_the_callback_or_refused() -> None:
    data = bundled_scorecard_data()
    area = next(a for a in bundled_areas() if a.id == "GOV")
    rules = [ScoredRule("GOV-001", "GOV", "t", ("governance-register",), ())]
    asked = facts_asked([area], rules, data)
    records: dict[str, list[dict[str, Any]]] = {
        "governance-register": [{"id": f"g{i}", "owner": f"o{i}"} for i in range(100)],
        ORGANISATION_KIND: [
            {"id": "O", "name": "n", "type": "trust", "headcount": 1000, "estate": {"governance-register": 100}}
        ],
    }
    facts = {k: kind_facts(k, recs, asked) for k, recs in records.items()}
    summary = Summary()
    summary.add(Status("pass"), Severity("high"), "GOV", 100, rule_id="GOV-001")

    def card(**extra: Any) -> Any:
        return compute_scorecard(
            summary,
            [area],
            rules,
            ScorecardConfig(),
            facts=facts,
            frameworks={fw.id: fw for fw in bundled_frameworks()},
            as_of=date(2026, 11, 25),
            data=data,
            **extra,
        )

    with pytest.raises(LookupError, match="did not count copies"):
        card()
    [row] = card(copies=lambda kind, fields: 60).rows
    assert row.level == 2 and row.cap is not None and "60 of 100 usable records repeat another" in row.cap


def test_the_examples_facts_cross_a_process_boundary_and_score_as_the_run_does() -> None:
    # The facts of every kind of the example, made by the real loaders (YAML dates, CSV cells, TOML), pickled as a
    # worker process would send them, give the scorecard the run gives from its own evidence.
    from collections import Counter
    from pathlib import Path

    from capcheck.app.config import Config
    from capcheck.app.runner import CheckRequest, load_registry, load_request_evidence, run_check, selected_rules
    from capcheck.core.engine import judged_nothing

    example = Path(__file__).resolve().parents[1] / "examples" / "northgate-health-digital" / "evidence"
    as_of = date(2026, 11, 25)
    registry = load_registry(Config())
    request = CheckRequest(paths=[example], as_of=as_of)
    result = run_check(request, registry)
    assert result.scorecard is not None
    evidence = load_request_evidence(registry, request)
    areas = list(registry.areas.values())
    scored = [
        ScoredRule(r.meta.id, r.meta.area, r.meta.title, r.meta.kinds, r.meta.criteria)
        for r in selected_rules(registry, request)
    ]
    asked = facts_asked(areas, scored)
    made = {k: kind_facts(k, evidence.records(k), asked, copies=asked.of(k).fields) for k in evidence.kinds()}
    collected: dict[str, list[tuple[str, str]]] = {}
    for f in evidence.files:
        if f.collected_on is not None:
            collected.setdefault(f.kind, []).append((f.path, f.collected_on))
    sent = pickle.loads(pickle.dumps(made))
    assert sent == made
    card = compute_scorecard(
        result.summary,
        areas,
        scored,
        ScorecardConfig(),
        facts=sent,
        frameworks=registry.frameworks,
        as_of=as_of,
        kinds=registry.kinds,
        available=Counter(r.meta.area for r in registry.rules.values()),
        collected=collected,
        judged_nothing=judged_nothing(result.findings.blocks),  # type: ignore[attr-defined]  # a run's Findings
    )
    assert card.blocks() == result.scorecard.blocks()


@pytest.mark.parametrize(
    "value",
    [
        *["   to be confirmed   ", "  ", "\t", " TBC ", "n/a", "TBC Smith", "alice", "", 0, False],
        *["\u0422\u0412\u0421", "TBC\u200b", "\u200b", "Jos\u00e9", "\u00c9lodie"],  # as it reads
        *["\u2800", "\x00", "T\x00BC", "\x00alice"],  # a Braille blank, controls
    ],
)
def test_a_field_is_missing_for_the_scorecard_exactly_when_it_is_for_the_rules(value: object) -> None:
    """One definition of missing (core.rules.is_missing): a padded placeholder or blank text was usable here."""
    from capcheck.core.rules import PLACEHOLDERS, is_missing

    records = [{"id": "R1", "owner": value}]
    asked = FactsAsked({"roles": KindAsk(fields=(("owner",),))}, placeholders=PLACEHOLDERS)
    usable = kind_facts("roles", records, asked).coverage(("owner",)).usable
    assert usable == (0 if is_missing(value) or value == "" else 1)


# --- the copy key: bounded on any text, the whole-text NFKD key wherever that is bounded -------------------


def _reference_copy_key(record: Mapping[str, Any]) -> str:
    """The copy key as it was defined first, NFKD over the whole text: the bounded one must agree with it."""
    import unicodedata

    import orjson

    from capcheck.assessment.facts import _MARKS
    from capcheck.core.lookalikes import LOOKALIKES, is_ignorable

    text = orjson.dumps({k: v for k, v in record.items() if k != "id"}, option=orjson.OPT_SORT_KEYS).decode()
    text = "".join(c for c in text if not is_ignorable(ord(c)))  # drawn as nothing
    text = _MARKS.sub("", unicodedata.normalize("NFKD", text)).translate(LOOKALIKES)
    spaced = " ".join(text.casefold().replace("\\n", " ").replace("\\r", " ").replace("\\t", " ").split())
    return spaced.replace(' "', '"').replace('" ', '"')


#: Text of every sort a register holds or a copier would try: accents (composed and not), combining marks of
#: other scripts in either order, full-width and ligature forms, Cyrillic and Greek look-alikes, Hangul, the
#: four-letter compatibility forms (the longest kept expanded), spaces of every kind.
_KEY_TEXT = st.text(
    alphabet=st.sampled_from(
        list("aAbBsSoOpP 1-'\"\\")
        + list("\u00e9\u00e7\u0301\u0327\u05b0\u0591\u1dc0\u0316\u0430\u043e\u0440\u039f\u200b\u00ad")
        + list("\uff53\ufb01\u2474\u3250\uac00\u1100\u00a0\u2003\t\n\u00df\u0130\u212a")
    ),
    max_size=12,
)


@given(_KEY_TEXT)
def test_the_bounded_copy_key_is_the_whole_text_nfkd_key(title: str) -> None:
    """Character by character (bounded) and NFKD of the whole text agree wherever no sign is longer than four
    letters: the same copies are found as before."""
    record = {"id": "x", "title": title, "owner": "o"}
    assert _copy_key(record) == _reference_copy_key(record)


@pytest.mark.parametrize("sign", ["\ufdfa", "\ufdfb", "\u3300", "\u321d"])
def test_a_copy_key_grows_at_most_fourfold(sign: str) -> None:
    """3,000 x U+FDFA (NFKD: 18 letters each) made a 54,000-character key, 230 times an ASCII record's time."""
    record = {"id": "x", "title": sign * 3000, "owner": "o"}
    assert len(_copy_key(record)) <= 4 * len(json.dumps(record, ensure_ascii=False))
    copy = {**record, "id": "y", "title": (sign * 3000).upper() + " "}
    assert count_copies([record, copy], ("owner",)) == 1


def test_copies_whose_combining_marks_are_in_another_order_are_still_copies() -> None:
    """NFKD puts combining marks in their canonical order; character by character, NFD does it."""
    records = [
        {"id": "a", "title": "x\u0591\u05b0y", "owner": "o"},
        {"id": "b", "title": "x\u05b0\u0591y", "owner": "o"},
    ]
    assert count_copies(records, ("owner",)) == 1
