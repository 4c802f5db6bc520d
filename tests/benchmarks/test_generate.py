"""The benchmark data generator: deterministic per seed, valid against the kind schemas."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from capcheck.builtins.loaders.csvfile import load_csv
from capcheck.core.kinds import bundled_kinds
from capcheck.core.loading import LoadContext, SourceFile
from generator import load_generator

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas" / "evidence"
N = 400  # more than the core owner pool (160), so the governance register names every core owner


gen = load_generator()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Evidence for seed 7, N records per kind, as JSON."""
    out = tmp_path_factory.mktemp("gen-json")
    assert gen.main(["--records", str(N), "--seed", "7", "--out", str(out)]) == 0
    return out


def _records(directory: Path, kind: str) -> list[dict[str, Any]]:
    doc = json.loads((directory / f"{kind}.json").read_bytes())
    assert doc["kind"] == kind
    assert doc["schema_version"] == "1.0"
    assert doc["collected_on"] == "2026-11-20"
    records: list[dict[str, Any]] = doc["records"]
    return records


def _validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def test_writes_the_three_kinds(generated: Path) -> None:
    assert sorted(p.name for p in generated.iterdir()) == sorted(f"{k}.json" for k in gen.KINDS)


@pytest.mark.parametrize("kind", ["supplier-contracts", "it-assets", "governance-register"])
def test_output_validates_against_the_schema(generated: Path, kind: str) -> None:
    records = _records(generated, kind)
    assert len(records) == N
    validator = _validator(kind)
    errors = [f"{r.get('id')}: {e.message}" for r in records for e in validator.iter_errors(r)]
    assert errors == []
    assert len({r["id"] for r in records}) == N, "ids are unique"


def test_one_record_per_line(generated: Path) -> None:
    lines = (generated / "it-assets.json").read_bytes().splitlines()
    assert len(lines) == N + 2
    assert lines[1].startswith(b'{"id":"CI-00000001"')


def test_same_seed_same_bytes(generated: Path, tmp_path: Path) -> None:
    gen.generate(N, 7, tmp_path)
    for kind in gen.KINDS:
        assert (tmp_path / f"{kind}.json").read_bytes() == (generated / f"{kind}.json").read_bytes(), kind


def test_other_seed_other_data(generated: Path, tmp_path: Path) -> None:
    gen.generate(N, 8, tmp_path)
    for kind in gen.KINDS:
        assert (tmp_path / f"{kind}.json").read_bytes() != (generated / f"{kind}.json").read_bytes(), kind


def test_zero_records(tmp_path: Path) -> None:
    gen.generate(0, 1, tmp_path)
    for kind in gen.KINDS:
        assert _records(tmp_path, kind) == []


def test_csv_output_loads_and_validates(tmp_path: Path) -> None:
    assert gen.main(["--records", "200", "--seed", "3", "--out", str(tmp_path), "--format", "csv"]) == 0
    kinds = {k.id: k for k in bundled_kinds()}
    context = LoadContext(kinds=kinds)
    for kind in gen.KINDS:
        path = tmp_path / f"{kind}.csv"
        (document,) = load_csv(SourceFile(path=path, display=path.name, data=path.read_bytes()), context)
        assert len(document.records) == 200
        validator = _validator(kind)
        assert [e.message for r in document.records for e in validator.iter_errors(r)] == []
    # CSV and JSON carry the same records, except that an empty list cell in CSV is the empty list (JSON
    # leaves the key out).
    gen.generate(200, 3, tmp_path / "json")
    register = load_csv(
        SourceFile(
            path=tmp_path / "governance-register.csv",
            display="governance-register.csv",
            data=(tmp_path / "governance-register.csv").read_bytes(),
        ),
        context,
    )[0].records
    assert any(r.get("linked_controls") == [] for r in register)
    register = [{k: v for k, v in r.items() if v != []} for r in register]
    assert register == _records(tmp_path / "json", "governance-register")


def test_references_mostly_resolve(generated: Path) -> None:
    contracts = _records(generated, "supplier-contracts")
    assets = _records(generated, "it-assets")
    register = _records(generated, "governance-register")
    owners = {r["owner"] for r in register if "owner" in r}
    assert set(gen.CORE_OWNERS) <= owners
    assert not owners & set(gen.STRAY_OWNERS)
    for records in (contracts, assets):
        used = [r["owner"] for r in records if "owner" in r]
        share = sum(o in owners for o in used) / len(used)
        assert 0.85 < share < 1.0
    contract_ids = {r["id"] for r in contracts}
    refs = [a["supplier_contract"] for a in assets if "supplier_contract" in a]
    assert 0.9 < sum(ref in contract_ids for ref in refs) / len(refs) < 1.0


def test_a_realistic_share_fails_typical_checks(tmp_path: Path) -> None:
    """Each typical check fails for some records, and for well under half of them."""
    gen.generate(5000, 11, tmp_path)
    contracts = _records(tmp_path, "supplier-contracts")
    assets = _records(tmp_path, "it-assets")
    register = _records(tmp_path, "governance-register")
    as_of, year_before, quarter_before = "2026-11-25", "2025-11-25", "2026-08-27"
    active = [c for c in contracts if c["status"] == "active"]
    high_value = [c for c in active if c["value"] >= 1_000_000]
    live = [a for a in assets if a["environment"] == "production" and a["status"] == "in-service"]
    exposed = [a for a in assets if a["internet_facing"] and "last_patched" in a]
    risks = [r for r in register if r["entry_type"] == "risk"]
    shares = {
        "contract without owner": sum("owner" not in c for c in active) / len(active),
        "contract review stale": sum(c["last_review"] < year_before for c in active) / len(active),
        "high-value without exit plan": sum(not c["exit_plan"] for c in high_value) / len(high_value),
        "active past end date": sum(c["end_date"] < as_of for c in active) / len(active),
        "production past end of life": sum(a.get("end_of_life", "9999") < as_of for a in live) / len(live),
        "internet-facing unpatched": sum(a["last_patched"] < quarter_before for a in exposed) / len(exposed),
        "entry without owner": sum("owner" not in r for r in register) / len(register),
        "next review overdue": sum(r.get("next_review", "9999") < as_of for r in register) / len(register),
        "risk without controls": sum("linked_controls" not in r for r in risks) / len(risks),
    }
    for check, share in shares.items():
        assert 0.03 < share < 0.4, f"{check}: {share:.2%}"
    assert Counter(c["status"] for c in contracts).keys() == {"pipeline", "active", "expired", "terminated"}


def test_high_failure_scenario_validates_and_is_deterministic(generated: Path, tmp_path: Path) -> None:
    assert gen.main(["--records", str(N), "--seed", "7", "--scenario", "high-failure", "--out", str(tmp_path)]) == 0
    gen.generate(N, 7, tmp_path / "again", scenario="high-failure")
    for kind in gen.KINDS:
        records = _records(tmp_path, kind)
        assert [e.message for r in records for e in _validator(kind).iter_errors(r)] == []
        assert len({r["id"] for r in records}) == N
        data = (tmp_path / f"{kind}.json").read_bytes()
        assert data == (tmp_path / "again" / f"{kind}.json").read_bytes(), kind
        assert data != (generated / f"{kind}.json").read_bytes(), kind


def test_high_failure_owners_are_missing_far_more_often(tmp_path: Path) -> None:
    """The knobs reach the data: a typical-scenario share becomes a high one (run.py measures the rest)."""
    gen.generate(3000, 11, tmp_path / "typical")
    gen.generate(3000, 11, tmp_path / "high", scenario="high-failure")
    for kind in gen.KINDS:
        typical = sum("owner" not in r for r in _records(tmp_path / "typical", kind)) / 3000
        high = sum("owner" not in r for r in _records(tmp_path / "high", kind)) / 3000
        assert typical < 0.1 < 0.2 < high, (kind, typical, high)
