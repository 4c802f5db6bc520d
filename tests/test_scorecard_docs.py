"""The worked examples in docs/scorecard.md are computed, not just written: each must give the level it states."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from capcheck.assessment.facts import kind_facts
from capcheck.assessment.scorecard import ScorecardConfig, ScoredRule, compute_scorecard, facts_asked
from capcheck.assessment.sufficiency import bundled_scorecard_data
from capcheck.builtins.areas import bundled_areas
from capcheck.builtins.frameworks import bundled_frameworks
from capcheck.core.models import Severity, Status, Summary

DOC = Path(__file__).parents[1] / "docs" / "scorecard.md"
AS_OF = date(2026, 11, 25)
_BLOCK = re.compile(r"```toml\n# worked example: (?P<area>[A-Z]+)\n(?P<body>.*?)```", re.S)


def _examples() -> list[tuple[str, dict[str, Any]]]:
    return [(m["area"], tomllib.loads(m["body"])) for m in _BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def test_the_page_has_worked_examples() -> None:
    assert len(_examples()) >= 6


@pytest.mark.parametrize(("area", "example"), _examples())
def test_each_worked_example_gives_the_level_it_states(area: str, example: dict[str, Any]) -> None:
    data = bundled_scorecard_data()
    needs = data.needs[area]
    summary = Summary()
    rules = []
    for r in example["rules"]:
        for status in ("pass", "fail"):
            if r.get(status):
                summary.add(Status(status), Severity(r["severity"]), area, r[status], rule_id=r["id"])
        rules.append(ScoredRule(r["id"], area, r["id"], needs.kinds, tuple(r["criteria"])))
    fields = {k: {f: "x" for f in needs.fields.get(k, ())} for k in needs.kinds}
    records: dict[str, list[dict[str, Any]]] = {
        kind: [{"id": f"{kind}-{i}", "name": f"{kind} {i}", **fields.get(kind, {})} for i in range(n)]  # distinct
        for kind, n in example["records"].items()
    }
    if "organisation" in example:
        records["organisation"] = [{"id": "ORG", "name": "Example", **example["organisation"]}]
    records["attestations"] = [
        {"id": f"ATT-{i}", "assessor": "audit", "evidence_ref": "doc", **a}
        for i, a in enumerate(example.get("attestations", ()))
    ]
    areas = [a for a in bundled_areas() if a.id == area]
    asked = facts_asked(areas, rules)
    card = compute_scorecard(
        summary,
        areas,
        rules,
        ScorecardConfig(),
        facts={kind: kind_facts(kind, recs, asked, copies=asked.of(kind).fields) for kind, recs in records.items()},
        frameworks={fw.id: fw for fw in bundled_frameworks()},
        as_of=AS_OF,
    )
    [row] = card.rows
    got = row.as_dict()
    for key, wanted in example["expect"].items():
        assert (got[key] or "") == wanted, (key, got)


def test_the_configuration_example_is_valid(tmp_path: Path) -> None:
    from capcheck.app.config import load_config

    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Configuration") :]
    block = section[section.index("```toml\n") + 8 : section.index("```\n", section.index("```toml\n") + 8)]
    (tmp_path / "capcheck.toml").write_text(block, encoding="utf-8")
    config = load_config(tmp_path / "capcheck.toml").scorecard  # the real, strict loader
    assert config.min_level == {"*": 2, "COMM": 3}
    assert config.plausibility["trust"]["it-assets"].min == 50
    assert config.profiles["trust"].expected("caf-4.0:D1.a") == "achieved"
    other = {"min_level", "plausibility", "profiles"}
    assert config.model_dump(exclude=other) == ScorecardConfig().model_dump(exclude=other)  # the defaults, shown
    for key in ScorecardConfig.model_fields:
        assert f"{key} =" in block or f"scorecard.{key}." in block, f"[scorecard] {key} is not in docs/scorecard.md"


def test_every_area_page_says_what_the_scorecard_needs() -> None:
    from capcheck.builtins.frameworks import bundled_frameworks as frameworks

    titles = {f"{fw.id}:{c.id}": c.title for fw in frameworks() for c in fw.criteria}
    for area, needs in bundled_scorecard_data().needs.items():
        page = (DOC.parent / "areas" / f"{area.lower()}.md").read_text(encoding="utf-8")
        section = " ".join(page[page.index("**For the scorecard**") :].split())
        for kind in needs.kinds:
            assert f"`{kind}`" in section, (area, kind)
        for ref in needs.manual:
            assert f"`{ref}` ({titles[ref]})" in section, (area, ref)
