"""End-of-life data: the bundled snapshot, matching assets to release cycles, filling in what registers lack."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from capcheck.builtins.lifecycle import fill_end_of_life, purl_base, snapshot
from capcheck.core.loading import Document

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "rules" / "reference-data" / "endoflife.json"
REAL = Path(__file__).resolve().parent / "data" / "real"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("refresh_endoflife", ROOT / "tools" / "refresh_endoflife.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def asset(asset_id: str = "A1", **fields: Any) -> dict[str, Any]:
    return {"id": asset_id, "name": "host", "environment": "production", "criticality": "high", **fields}


def filled(*records: dict[str, Any], names: dict[str, str] | None = None) -> Document:
    doc = Document(kind="it-assets", records=list(records), locate=lambda i: None)
    fill_end_of_life(doc, names)
    return doc


def test_the_snapshot_is_dated_and_complete() -> None:
    data = snapshot()
    assert data.date == "2026-08-22"
    assert len(data.products) == 47
    assert sum(len(c) for c in data.products.values()) == 818
    source = json.loads(SNAPSHOT.read_text())["source"]
    assert source["licence"].startswith("MIT")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # product id and version: the longest cycle the version is in
        ({"product": "python", "version": "3.8.20"}, {"end_of_life": "2024-10-07"}),
        ({"product": "log4j", "version": "2.12.4"}, {"end_of_life": "2021-12-14"}),
        ({"product": "log4j", "version": "2.17.1"}, {"end_of_life_announced": False}),  # only cycle "2" fits
        # the title, any case, and a version written with spaces
        ({"product": "Microsoft Windows Server", "version": "2012 R2"}, {"end_of_life": "2023-10-10"}),
        # an SBOM component: its package URL carries the product and the version
        (
            {"product": "log4j-core", "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.12.1?type=jar"},
            {"end_of_life": "2021-12-14"},
        ),
        # OpenSSL's letter releases, as upstream and as Debian version them, are in their cycle
        ({"product": "openssl", "version": "1.1.1k"}, {"end_of_life": "2023-09-11"}),
        ({"product": "openssl", "version": "1.1.1n-0+deb11u5"}, {"end_of_life": "2023-09-11"}),
        ({"product": "openssl", "version": "1.0.2zk"}, {"end_of_life": "2019-12-31"}),
        # no end of life announced is a state of its own, not unknown
        ({"product": "apache-http-server", "version": "2.4.62"}, {"end_of_life_announced": False}),
    ],
)
def test_assets_are_matched_by_product_or_purl(fields: dict[str, Any], expected: dict[str, Any]) -> None:
    [record] = filled(asset(**fields)).records
    assert {k: record[k] for k in expected} == expected
    assert record["end_of_life_source"].startswith("endoflife.date snapshot of 2026-08-22: ")


@pytest.mark.parametrize("version", ["1.1.10", "1.1.1x9", "1.1.1kb2", "1.1.1abc"])
def test_a_version_that_only_shares_digits_with_a_cycle_is_not_in_it(version: str) -> None:
    assert snapshot().cycle("openssl", version) is None


def test_the_register_wins_and_unknown_stays_unknown() -> None:
    doc = filled(
        asset("A1", product="python", version="3.8", end_of_life="2030-01-01"),
        asset("A2", product="python", version="3.8", end_of_life_announced=False),
        asset("A3", product="Cisco IOS XE", version="17.9"),
        asset("A4", product="python", version="1.5"),  # no such cycle in the snapshot
        asset("A5", product="python"),  # no version: cannot tell the cycle
        asset("A6", product="python", version="3.9"),
    )
    a1, a2, a3, a4, a5, a6 = doc.records
    assert a1["end_of_life"] == "2030-01-01" and "end_of_life_source" not in a1
    assert "end_of_life" not in a2 and "end_of_life_source" not in a2
    for unknown in (a3, a4, a5):
        assert not {"end_of_life", "end_of_life_announced", "end_of_life_source"} & set(unknown)
    assert a6["end_of_life"] == "2025-10-31"
    assert doc.notes == (
        "end of life from the endoflife.date snapshot of 2026-08-22: 1 dated, 0 with none announced, "
        "0 ended with no date; 3 not in the snapshot (unknown)",
        "2 assets state a later end of life than the endoflife.date snapshot of 2026-08-22 (the register's is "
        "used): A1 python 3.8: 2030-01-01, snapshot 2024-10-07; A2 python 3.8: none announced, snapshot 2024-10-07",
    )


def test_assets_none_of_which_is_in_the_snapshot_are_noted_too() -> None:
    """A 2019 Java SBOM (dropwizard's 167 components, each with a purl) matched nothing and got no note: INFRA-006
    then judged none of its components with nothing to say why. A register's assets by product alone are noted
    once one of them matches (the counts above)."""
    jackson = "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10?type=jar"
    doc = filled(asset("J1", product="jackson-databind", purl=jackson), asset("J2", product="python"))
    assert doc.notes == (
        "end of life: 2 assets without one, none in the endoflife.date snapshot of 2026-08-22 (matched by purl, or "
        "product and version; endoflife_products in the config maps local product names): unknown",
    )
    assert filled(asset("J3", product="jackson-databind", version="2.9.10")).notes == ()  # a register's, not an SBOM's


def test_a_register_claiming_support_the_vendor_ended_is_noted_not_believed_silently() -> None:
    # 40 Windows Server 2008 hosts "supported until 2099" rated INFRA good, with nothing in the output to say
    # that the vendor ended support in 2020. The register still wins; the note says it disagrees.
    hosts = [asset(f"H{i}", product="windows-server", version="2008-sp2", end_of_life="2099-01-01") for i in range(40)]
    same = asset("S1", product="windows-server", version="2008-sp2", end_of_life="2020-01-14")  # agrees: no note
    earlier = asset("S2", product="python", version="3.8", end_of_life="2024-01-01")  # stricter: no note
    unknown = asset("S3", product="no-such-product", version="1", end_of_life="2099-01-01")
    doc = filled(*hosts, same, earlier, unknown)
    assert [r["end_of_life"] for r in doc.records[:1]] == ["2099-01-01"]  # the register wins
    assert doc.notes == (
        "40 assets state a later end of life than the endoflife.date snapshot of 2026-08-22 (the register's is "
        "used): H0 windows-server 2008-sp2: 2099-01-01, snapshot 2020-01-14; H1 windows-server 2008-sp2: "
        "2099-01-01, snapshot 2020-01-14; H2 windows-server 2008-sp2: 2099-01-01, snapshot 2020-01-14 and 37 more",
    )
    assert filled(hosts[0]).notes[0].startswith("1 asset states a later end of life")


def test_a_later_end_of_life_is_judged_on_its_date_alone() -> None:
    """The note compares a statement's first ten characters (its date) with the snapshot's end: a date-time on the
    snapshot's day is not later, the day after is; a cycle that ended with no date published has no date to compare a
    stated one with, but is later than none announced (a null statement is none)."""
    doc = filled(
        asset("S1", product="python", version="3.8", end_of_life="2024-10-07T23:59:59Z"),  # the snapshot's day
        asset("S2", product="python", version="3.8", end_of_life="2024-10-07"),
        asset("L1", product="python", version="3.8", end_of_life="2024-10-08"),  # a day later
        asset("E1", product="nodejs", version="3", end_of_life="2099-01-01"),  # ended, no date: nothing to compare
        asset("E2", product="nodejs", version="3", end_of_life_announced=False),
        asset("N1", product="nodejs", version="3", end_of_life=None, end_of_life_announced=False),
        asset("T1", product="python", version="3.8", end_of_life_announced=True),
    )
    assert doc.notes == (
        "3 assets state a later end of life than the endoflife.date snapshot of 2026-08-22 (the register's is "
        "used): L1 python 3.8: 2024-10-08, snapshot 2024-10-07; E2 nodejs 3: none announced, snapshot ended; "
        "N1 nodejs 3: none announced, snapshot ended",
    )
    assert all("end_of_life_source" not in r for r in doc.records)  # each states one: none is filled in


def test_local_product_names_map_to_snapshot_ids() -> None:
    [record] = filled(asset(product="Win Srv", version="2019"), names={"win srv": "windows-server"}).records
    assert record["end_of_life"] == "2029-01-09"


def test_other_kinds_are_untouched() -> None:
    doc = Document(kind="roles", records=[{"id": "R1", "product": "python", "version": "3.8"}], locate=lambda i: None)
    fill_end_of_life(doc)
    assert doc.records == [{"id": "R1", "product": "python", "version": "3.8"}]


def test_purl_base() -> None:
    assert purl_base("pkg:npm/%40angular/core@17.0.1#sub") == ("pkg:npm/@angular/core", "17.0.1")
    assert purl_base("pkg:pypi/Django") == ("pkg:pypi/django", None)


def test_findings_cite_the_snapshot(workdir: Path, run_cli: Any) -> None:
    register = {
        "kind": "it-assets",
        "records": [
            asset("A1", product="python", version="3.8", status="in-service"),
            asset("A2", product="nginx", version="1.30.1", status="in-service"),
        ],
    }
    (workdir / "assets.json").write_text(json.dumps(register))
    result = run_cli("check", "assets.json", "--as-of", "2026-11-25", "--select", "INFRA-001", "--format", "json")
    assert result.exit_code == 1, result.stderr
    findings = {f["evidence"]["record_id"]: f for f in json.loads(result.stdout)["findings"]}
    assert findings["A1"]["message"] == (
        "host: python 3.8: end-of-life date 2024-10-07 (endoflife.date snapshot of 2026-08-22: python 3.8); "
        "it must be after 2026-11-25"
    )
    assert "A2" not in findings  # nginx 1.30: no end of life announced, so supported (a pass, not listed)


def test_the_boundary_day_is_past_end_of_life(workdir: Path, run_cli: Any) -> None:
    register = {"kind": "it-assets", "records": [asset("A1", product="python", version="3.9", status="in-service")]}
    (workdir / "assets.json").write_text(json.dumps(register))
    for as_of, code in (("2025-10-30", 0), ("2025-10-31", 1)):
        result = run_cli("check", "assets.json", "--as-of", as_of, "--select", "INFRA-001")
        assert result.exit_code == code, (as_of, result.stdout)


def test_the_refresh_tool_converts_a_checkout(tmp_path: Path) -> None:
    repo = tmp_path / "endoflife.date"
    (repo / "products").mkdir(parents=True)
    (repo / "products" / "python.md").write_text(
        "---\ntitle: Python\nidentifiers:\n-   purl: pkg:generic/python\n-   cpe: cpe:/a:python:python\n"
        'releases:\n-   releaseCycle: "3.9"\n    eol: 2025-10-31\n    eoas: 2022-05-17\n'
        '-   releaseCycle: "3.14"\n    eol: false\n---\n\n# Python\n'
    )
    (repo / "products" / "other.md").write_text("---\ntitle: Other\nreleases: []\n---\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    env = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "-C", str(repo), *env, "add", "."], check=True)
    subprocess.run(["git", "-C", str(repo), *env, "commit", "-qm", "x", "--date", "2026-01-02T00:00:00Z"], check=True)
    out = tmp_path / "endoflife.json"
    code = _tool().main(["--repo", str(repo), "--products", "python", "--date", "2026-01-02", "--out", str(out)])
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["source"]["date"] == "2026-01-02"
    assert doc["products"] == {
        "python": {
            "title": "Python",
            "purls": ["pkg:generic/python"],
            "cycles": [{"cycle": "3.9", "eol": "2025-10-31", "eoas": "2022-05-17"}, {"cycle": "3.14", "eol": False}],
        }
    }


def test_the_bundled_snapshot_is_what_the_tool_writes(tmp_path: Path) -> None:
    """The bundled file is the tool's deterministic output (no hand edits): re-writing it changes nothing."""
    tool = _tool()
    doc = json.loads(SNAPSHOT.read_text())
    out = tmp_path / "again.json"
    tool.write(doc["products"], doc["source"], out)
    assert out.read_bytes() == SNAPSHOT.read_bytes()
