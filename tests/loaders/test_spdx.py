"""The SPDX adapter: packages as it-assets, recognised by content, located by pointer and line.

The documents here are synthetic, written for these tests in the shape of SPDX 2.3 JSON (the
specification's own examples are not copied into the repository): tests/fixtures/sbom/.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from capcheck.builtins.loaders.spdx import claims_spdx, load_spdx
from capcheck.core.errors import EvidenceError
from capcheck.core.loading import Document, LoadContext, SourceFile

SBOMS = Path(__file__).resolve().parent.parent / "fixtures" / "sbom"
#: Three packages (an application described by the document, a library with a purl, a bare one saying
#: NOASSERTION); tests/loaders/test_spdx_tagvalue.py reads the same written as tag-value (referrals.spdx).
DOCUMENT: dict[str, Any] = json.loads((SBOMS / "referrals.spdx.json").read_text(encoding="utf-8"))


def load(data: dict[str, Any]) -> Document:
    raw = json.dumps(data, indent=1).encode()
    [doc] = load_spdx(SourceFile(path=Path("sbom.json"), display="sbom.json", data=raw), LoadContext(kinds={}))
    return doc


def test_packages_become_assets_of_the_described_system() -> None:
    doc = load(DOCUMENT)
    app, log4j, bare = doc.records
    assert log4j == {
        "id": "referrals@3.1/pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        "name": "log4j-core",
        "product": "log4j-core",
        "version": "2.14.1",
        "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        "vendor": "Apache Software Foundation",
        "licences": ["Apache-2.0"],
        "asset_type": "other",
        "system": "referrals@3.1",
        "sbom_pointer": "/packages/1",
    }
    assert app["asset_type"] == "application" and app["vendor"] == "Trust IT"
    assert bare == {  # NOASSERTION says nothing: no licence, no vendor
        "id": "referrals@3.1/SPDXRef-x",
        "name": "x",
        "product": "x",
        "asset_type": "other",
        "system": "referrals@3.1",
        "sbom_pointer": "/packages/2",
    }
    assert doc.pointer(1) == "/packages/1"
    assert doc.locate(1) is not None and doc.locate(1) > (doc.locate(0) or 0)
    assert doc.collected_on == "2026-09-01"
    assert doc.source == "SPDX-2.3 SBOM of referrals@3.1; 3 packages"
    assert "environment" in doc.not_provided


@pytest.mark.parametrize(
    ("head", "claimed"),
    [(b'{"spdxVersion": "SPDX-2.3", "SPDXID"', True), (b'{"spdxVersion":"SPDX-3.0"', False), (b'{"kind": "x"}', False)],
)
def test_the_content_test(head: bytes, claimed: bool) -> None:
    assert claims_spdx(head) is claimed


@pytest.mark.parametrize(
    ("packages", "expected"),
    [
        ([{"SPDXID": "SPDXRef-a"}], "sbom.json:4: /packages/0: the package has no 'name' (required by SPDX)"),
        (["lodash"], "sbom.json:3: /packages/0: each package must be an object"),
    ],
)
def test_bad_packages_are_located(packages: list[Any], expected: str) -> None:
    with pytest.raises(EvidenceError) as info:
        load({"spdxVersion": "SPDX-2.3", "packages": packages})
    assert [str(p) for p in info.value.problems] == [expected]


def test_an_spdx_sbom_gets_its_end_of_life_from_the_snapshot(workdir: Path, run_cli: Any) -> None:
    shutil.copyfile(SBOMS / "referrals.spdx.json", workdir / "sbom.json")
    result = run_cli("check", "sbom.json", "--as-of", "2026-11-25", "--select", "INFRA", "--format", "json")
    assert result.exit_code == 0, result.stderr  # nothing fails on what an SBOM cannot say
    doc = json.loads(result.stdout)
    [entry] = doc["evidence"]
    assert (entry["format"], entry["records"]) == ("spdx", 3)
    assert entry["source"] == "SPDX-2.3 SBOM of referrals@3.1; 3 packages"
    # log4j-core 2.14.1 is matched by its purl to log4j's cycle "2": no end of life announced
    notes = " ".join(entry["notes"])
    assert "end of life from the endoflife.date snapshot of 2026-08-22: 0 dated, 1 with none announced" in notes


FIXTURE = SBOMS / "referrals-portal.spdx.json"


def test_a_real_looking_spdx_sbom_runs_with_pointer_and_line_per_package(workdir: Path, run_cli) -> None:
    shutil.copyfile(FIXTURE, workdir / "referrals-portal.spdx.json")
    result = run_cli(
        "check", "referrals-portal.spdx.json", "--as-of", "2026-11-25", "--select", "INFRA-006", "--format", "json"
    )
    assert result.exit_code == 1, result.stderr
    doc = json.loads(result.stdout)
    failed = {f["evidence"]["pointer"]: f for f in doc["findings"] if f["status"] == "fail"}
    # Django 3.2, Python 3.8 and Debian's OpenSSL 1.1.1n: past their end of life; requests publishes no lifecycle
    assert sorted(failed) == ["/packages/1", "/packages/2", "/packages/4"]
    lines = FIXTURE.read_text().splitlines()
    for finding in failed.values():
        line = finding["evidence"]["line"]
        assert lines[line - 1].strip() == "{" and '"name"' in lines[line]  # the package object's own line
    (info,) = doc["evidence"]
    assert (info["format"], info["kind"], info["records"]) == ("spdx", "it-assets", 5)


def test_the_described_package_is_the_system_by_a_describes_relationship() -> None:
    """SPDX 2.3 deprecates documentDescribes: syft and GitHub say what the document describes by relationship."""
    doc = load(json.loads(FIXTURE.read_text()))
    app = next(r for r in doc.records if r["name"] == "referrals-portal")
    assert app["asset_type"] == "application"
    assert {r["system"] for r in doc.records} == {"referrals-portal@1.4.2"}


def test_github_s_wrapped_sbom_reads_with_pointers_into_the_wrapper(workdir: Path) -> None:
    """GitHub's dependency-graph API returns {"sbom": {...SPDX...}}: read as the document, pointed at inside it."""
    plain = load(json.loads(FIXTURE.read_text()))
    text = json.dumps({"sbom": json.loads(FIXTURE.read_text())}, indent=2)
    source = SourceFile(path=Path("github-sbom.json"), display="github-sbom.json", data=text.encode())
    [wrapped] = load_spdx(source, LoadContext(kinds={}))
    assert [r["id"] for r in wrapped.records] == [r["id"] for r in plain.records]
    assert wrapped.pointers[2] == "/sbom/packages/2" and wrapped.records[2]["sbom_pointer"] == "/sbom/packages/2"
    line = wrapped.locate(2)
    assert line is not None and '"SPDXID": "SPDXRef-Package-binary-python-3.8.18"' in text.splitlines()[line + 1]
