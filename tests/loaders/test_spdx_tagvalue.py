"""SPDX tag-value documents: the same records as the JSON form, located by line; SPDX 3 refused saying so."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from capcheck.builtins.loaders.spdx import load_spdx
from capcheck.builtins.loaders.spdx_tagvalue import load_spdx_tag_value
from capcheck.core.errors import EvidenceError
from capcheck.core.loading import Document, LoadContext, SourceFile

#: A real SPDX 2.2 tag-value document (spdx/spdx-examples; its DataLicense is CC0-1.0: tests/data/real/README.md).
REAL = Path(__file__).resolve().parent.parent / "data" / "real" / "spdx-example6-lib.spdx"

SBOMS = Path(__file__).resolve().parent.parent / "fixtures" / "sbom"
#: The SPDX 2.3 JSON document of tests/loaders/test_spdx.py (three packages) and the same written as tag-value,
#: with a creator, a file section and a multi-line text between the packages.
AS_JSON = SBOMS / "referrals.spdx.json"
TAG_VALUE = SBOMS / "referrals.spdx"


def load(data: bytes, name: str = "sbom.spdx") -> Document:
    [doc] = load_spdx_tag_value(SourceFile(path=Path(name), display=name, data=data), LoadContext(kinds={}))
    return doc


def test_tag_value_reads_as_its_json_form() -> None:
    """capcheck read SPDX only as JSON: a tag-value document (SPDX's own text form) was 'cannot read .spdx
    files', and skipped unread in a directory."""
    [from_json] = load_spdx(
        SourceFile(path=Path("s.spdx.json"), display="s.spdx.json", data=AS_JSON.read_bytes()), LoadContext(kinds={})
    )
    doc = load(TAG_VALUE.read_bytes())
    assert doc.records == from_json.records
    assert doc.pointers == from_json.pointers == ["/packages/0", "/packages/1", "/packages/2"]
    lines = TAG_VALUE.read_text(encoding="utf-8").splitlines()
    assert [lines[(doc.locate(i) or 0) - 1] for i in range(3)] == [  # each package's PackageName line
        "PackageName: referrals",
        "PackageName: log4j-core",
        "PackageName: x",
    ]
    assert doc.records[0]["version"] == "3.1"  # the text block's "PackageVersion: 9" is text
    assert "licences" not in doc.records[0]  # the file's licence is the file's, not the package's
    assert doc.collected_on == "2026-09-01"
    assert doc.source == "SPDX-2.3 (tag-value) SBOM of referrals@3.1; 3 packages"


def test_the_real_tag_value_document() -> None:
    doc = load(REAL.read_bytes(), REAL.name)
    assert [(r["name"], r.get("version"), r["asset_type"]) for r in doc.records] == [
        ("go-1.15", "1.15.4", "application"),
        ("go", "1.15.4", "other"),
        ("go.fmt", "1.15.4", "other"),
        ("go.reflect", "1.15.4", "other"),
        ("go.strconv", "1.15.4", "other"),
    ]
    assert {r["system"] for r in doc.records} == {"go-1.15@1.15.4"}
    assert doc.records[0]["vendor"] == "Canonical Ltd."


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"SPDXVersion: SPDX-2.3\nPackageName: a\nthis is not a tag\n", "sbom.spdx:3: not an SPDX tag-value line"),
        (b"SPDXVersion: SPDX-2.3\nPackageComment: <text>never closed\n", "sbom.spdx:2: PackageComment: a <text> value"),
        (b"DocumentName: x\n", "sbom.spdx:1: not an SPDX 2.x tag-value document"),
        (b"SPDXVersion: SPDX-2.3\nPackageName:\n", "sbom.spdx:2: /packages/0: the package has no 'name'"),
        (b"SPDXVersion: SPDX-2.3\nPackageName: caf\xe9\n", "sbom.spdx:2: not valid UTF-8"),
    ],
)
def test_bad_tag_value_is_located(data: bytes, expected: str) -> None:
    with pytest.raises(EvidenceError) as info:
        load(data)
    assert str(info.value.problems[0]).startswith(expected), info.value.problems


def test_spdx_3_is_refused_saying_what_is_read(workdir: Path, run_cli: Any) -> None:
    """An SPDX 3 JSON-LD document got the JSON loader's 'missing kind' and 'unknown top-level key @context'."""
    (workdir / "sbom.spdx3.json").write_text(
        json.dumps({"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}), encoding="utf-8"
    )
    shutil.copyfile(TAG_VALUE, workdir / "app.spdx")
    result = run_cli("check", "sbom.spdx3.json", "--select", "INFRA-006")
    assert result.exit_code == 2
    assert "sbom.spdx3.json:1: /@context: an SPDX 3 document (JSON-LD) is not read" in result.stderr
    result = run_cli("check", "app.spdx", "--select", "INFRA-006", "--as-of", "2026-01-01", "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    [entry] = json.loads(result.stdout)["evidence"]
    assert (entry["format"], entry["records"]) == ("spdx", 3)
