"""The Northgate example's estate generator: byte-identical output, ids apart from the hand-written registers,
the stated scale, real end-of-life dates, and a minority of records with gaps."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

from capcheck.cli import cli
from capcheck.core.kinds import bundled_kinds

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "northgate-health-digital"
ESTATE = EXAMPLE / "evidence" / "estate"
#: Every evidence kind but the two the example keeps by hand (profile and attestations).
GENERATED_KINDS = {
    "data-products",
    "data-sharing-agreements",
    "delivery-portfolio",
    "dspt-assessments",
    "governance-register",
    "innovation-pipeline",
    "it-assets",
    "procurement-pipeline",
    "roles",
    "security-incidents",
    "service-catalogue",
    "skills-matrix",
    "supplier-contracts",
    "training-records",
    "workforce-plan",
}
AS_OF = "2026-11-25"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("northgate_generate", EXAMPLE / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def _records(kind: str) -> list[dict[str, Any]]:
    doc = json.loads((ESTATE / f"{kind}.json").read_bytes())
    assert doc["kind"] == kind
    assert doc["collected_on"] == "2026-11-20"
    records: list[dict[str, Any]] = doc["records"]
    return records


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("estate")
    assert gen.main(["--out", str(out)]) == 0
    return out


def test_regenerating_rewrites_the_committed_files_byte_for_byte(regenerated: Path) -> None:
    committed = sorted(p.name for p in ESTATE.iterdir())
    assert sorted(p.name for p in regenerated.iterdir()) == committed
    for name in committed:
        assert (regenerated / name).read_bytes() == (ESTATE / name).read_bytes(), (
            f"{name} differs from what generate.py writes: run python examples/northgate-health-digital/generate.py"
        )


def test_the_estate_covers_every_kind_but_profile_and_attestations() -> None:
    assert {p.stem for p in ESTATE.glob("*.json")} == GENERATED_KINDS
    assert {k.id for k in bundled_kinds()} >= GENERATED_KINDS


def test_the_example_with_its_estate_validates() -> None:
    """Schemas hold for every generated record, and no generated id repeats a hand-written one (capcheck checks)."""
    result = CliRunner().invoke(cli, ["validate", str(EXAMPLE / "evidence")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("kind", "clash"), [("it-assets", "CI-1001"), ("people", "NGH-1001")])
def test_a_clash_with_a_hand_written_id_stops_the_generator(
    kind: str, clash: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = gen.hand_written_ids()
    monkeypatch.setattr(gen, "hand_written_ids", lambda: {**real, kind: real.get(kind, set()) | {clash}})
    with pytest.raises(SystemExit, match=clash):
        gen.main(["--out", str(tmp_path)])
    assert list(tmp_path.iterdir()) == [], "nothing is written when ids clash"


def test_the_estate_has_the_scale_of_a_national_body() -> None:
    posts = _records("workforce-plan")
    people = {p["incumbent"] for p in posts if "incumbent" in p}
    assert len(posts) >= 850 and len(people) >= 750
    assert len(_records("it-assets")) >= 400
    assert len(_records("supplier-contracts")) >= 150
    assert len({c["supplier_id"] for c in _records("supplier-contracts")}) >= 80
    assert len(_records("governance-register")) >= 400
    incidents = sorted(i["detected_on"] for i in _records("security-incidents"))
    assert len(incidents) >= 100
    assert date.fromisoformat(incidents[-1]) - date.fromisoformat(incidents[0]) >= timedelta(days=600)


def test_everyone_in_post_has_a_data_security_awareness_record() -> None:
    posts = _records("workforce-plan")
    people = {p["incumbent"] for p in posts if "incumbent" in p}
    assert all("incumbent" not in p for p in posts if p["status"] == "vacant")
    training = _records("training-records")
    assert {t["person"] for t in training if t["course_code"] == "DSA-L1"} == people
    assert {t["person"] for t in training} == people


def test_end_of_life_dates_are_endoflife_dates() -> None:
    eol = gen.load_eol()
    assets = [a for a in _records("it-assets") if a["product"] in eol]
    assert len(assets) >= 250
    for asset in assets:
        assert asset.get("end_of_life") == eol[asset["product"]]["cycles"][asset["version"]], asset["id"]


def _share(items: list[Any], predicate: Any) -> float:
    return sum(1 for item in items if predicate(item)) / len(items)


def test_most_records_are_well_kept_and_a_minority_has_gaps() -> None:
    contracts = _records("supplier-contracts")
    active = [c for c in contracts if c["status"] == "active"]
    assert 0.01 <= _share(active, lambda c: "owner" not in c) <= 0.2
    assert 0.01 <= _share(active, lambda c: c["end_date"] < AS_OF) <= 0.25
    exposed = [
        a for a in _records("it-assets") if a["internet_facing"] and a["status"] == "in-service" and "last_patched" in a
    ]
    assert len(exposed) >= 20
    late = date.fromisoformat(AS_OF) - timedelta(days=14)
    assert 0.05 <= _share(exposed, lambda a: a["last_patched"] < late.isoformat()) <= 0.5
    mandatory = [t for t in _records("training-records") if t["mandatory"] and t["status"] != "exempt"]
    year_ago = (date.fromisoformat(AS_OF) - timedelta(days=365)).isoformat()
    assert 0.03 <= _share(mandatory, lambda t: t.get("completed_on", "") < year_ago) <= 0.25


def test_cross_references_resolve_mostly_but_not_always() -> None:
    contract_ids = {c["id"] for c in _records("supplier-contracts")}
    refs = [a["supplier_contract"] for a in _records("it-assets") if "supplier_contract" in a]
    assert 0.9 <= _share(refs, lambda r: r in contract_ids) < 1
    register = _records("governance-register")
    controls = {r["id"] for r in register if r["entry_type"] == "control"}
    links = [c for r in register for c in r.get("linked_controls", [])]
    assert 0.9 <= _share(links, lambda c: c in controls) < 1
    service_ids = {s["id"] for s in _records("service-catalogue")}
    subjects = [r["subject"] for r in _records("roles") if r["subject_type"] == "service"]
    assert set(subjects) == service_ids
