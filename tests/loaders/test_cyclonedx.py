"""The CycloneDX adapter: components as it-assets, recognised by content, located by pointer and line."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from capcheck.builtins.loaders.cyclonedx import NOT_PROVIDED, claims_cyclonedx, load_cyclonedx
from capcheck.core.errors import EvidenceError
from capcheck.core.loading import Document, LoadContext, SourceFile

REAL = Path(__file__).resolve().parent.parent / "data" / "real"
LARAVEL = REAL / "cyclonedx-laravel-7.12.0-bom.1.4.json"
CBOM = REAL / "cyclonedx-CBOM_Certificate-bom.json"
SAASBOM = REAL / "cyclonedx-SaaSBOM_apigateway-microservices-datastores-bom.json"
SYSTEM = "cyclonedx-php-composer-demo@dev-master"


def load(data: bytes | dict[str, Any], name: str = "bom.json") -> Document:
    raw = data if isinstance(data, bytes) else json.dumps(data, indent=1).encode()
    [doc] = load_cyclonedx(SourceFile(path=Path(name), display=name, data=raw), LoadContext(kinds={}))
    return doc


def problems(data: bytes | dict[str, Any]) -> list[str]:
    with pytest.raises(EvidenceError) as info:
        load(data)
    return [str(p) for p in info.value.problems]


def bom(*components: Any, spec: str = "1.5") -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": spec,
        "metadata": {"component": {"type": "application", "name": "Referrals", "version": "3.1"}},
        "components": list(components),
    }


def test_the_real_sbom_maps_every_component() -> None:
    doc = load(LARAVEL.read_bytes(), LARAVEL.name)
    assert (doc.kind, len(doc.records)) == ("it-assets", 62)
    first = doc.records[0]
    assert first == {
        "id": f"{SYSTEM}/pkg:composer/asm89/stack-cors@1.3.0",
        "name": "asm89/stack-cors",
        "product": "stack-cors",
        "version": "1.3.0",
        "purl": "pkg:composer/asm89/stack-cors@1.3.0",
        "vendor": "Alexander",  # no supplier or publisher: the author
        "licences": ["MIT"],
        "asset_type": "other",
        "cyclonedx_type": "library",
        "system": SYSTEM,
        "sbom_pointer": "/components/0",
    }
    assert doc.pointer(0) == "/components/0"
    assert doc.locate(0) == 53  # the component's "{"
    assert LARAVEL.read_text().splitlines()[52].strip() == "{"
    assert all(r["purl"].startswith("pkg:composer/") for r in doc.records)
    assert doc.not_provided == NOT_PROVIDED
    assert doc.source == f"CycloneDX 1.4 SBOM of {SYSTEM}; 62 components"


def test_components_that_are_not_assets_are_counted_not_mapped() -> None:
    doc = load(CBOM.read_bytes())
    assert doc.records == []
    assert doc.notes[0] == "components that are not IT assets, not mapped: 4 cryptographic-asset"


def test_services_and_vulnerabilities_are_counted_as_not_read() -> None:
    doc = load(
        {**json.loads(LARAVEL.read_text()), "services": [{"name": "api"}, {"name": "db"}], "vulnerabilities": [{}]}
    )
    assert "not read: 2 services, 1 vulnerability" in doc.notes


def test_services_nested_in_a_service_are_counted_too() -> None:
    """The real SaaSBOM lists one API gateway made of five services (microservices, Postgres, S3) in its own
    `services`: six services not read, not one."""
    doc = load(SAASBOM.read_bytes())
    assert doc.records == []
    listed = json.loads(SAASBOM.read_text())["services"]
    assert (len(listed), len(listed[0]["services"])) == (1, 5)
    assert doc.notes[0] == "not read: 6 services"


def test_nested_components_are_read_with_their_pointer() -> None:
    doc = load(
        bom(
            {
                "type": "application",
                "name": "portal",
                "version": "2",
                "components": [{"type": "library", "name": "log4j-core", "group": "org.apache.logging.log4j"}],
            }
        )
    )
    assert [(r["id"], r["name"], doc.pointer(i)) for i, r in enumerate(doc.records)] == [
        ("Referrals@3.1/portal@2", "portal", "/components/0"),
        (
            "Referrals@3.1/org.apache.logging.log4j/log4j-core@",
            "org.apache.logging.log4j/log4j-core",
            "/components/0/components/0",
        ),
    ]


def test_a_package_nested_under_two_components_is_one_asset_counted_in_a_note() -> None:
    """The CycloneDX npm tools list a package under every parent whose node_modules holds it (the same purl,
    another bom-ref): the real juice-shop 'bare' SBOM lists 137 such repeats, and each was a duplicate-id
    error that stopped the run. The package is one component of the system: read once, the repeats counted."""

    def dep(parent: str, name: str) -> dict[str, Any]:
        return {
            "type": "library",
            "name": name,
            "version": "4.3.4",
            "purl": f"pkg:npm/{name}@4.3.4",
            "bom-ref": f"{parent}|{name}@4.3.4",
        }

    doc = load(
        bom(
            {"type": "library", "name": "agent-base", "version": "6.0.2", "components": [dep("agent-base", "debug")]},
            {
                "type": "library",
                "name": "agentkeepalive",
                "version": "4.2.1",
                "components": [dep("agentkeepalive", "debug"), dep("agentkeepalive", "ms")],
            },
        )
    )
    assert [r["sbom_pointer"] for r in doc.records] == [
        "/components/0",
        "/components/0/components/0",
        "/components/1",
        "/components/1/components/1",
    ]
    assert [r["id"] for r in doc.records].count("Referrals@3.1/pkg:npm/debug@4.3.4") == 1
    assert doc.notes[0] == (
        "1 component listed again (the same purl, bom-ref or name@version as one read before, e.g. a package"
        " nested under two others) read once: /components/1/components/0"
    )


@pytest.mark.parametrize(
    ("head", "claimed"),
    [
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.6"', True),
        (b'{\n  "$schema": "http://cyclonedx.org/schema/bom-1.4.schema.json",\n  "bomFormat":"CycloneDX"', True),
        (b'{"kind": "it-assets", "records": []}', False),
        (b'{"spdxVersion": "SPDX-2.3"}', False),
    ],
)
def test_the_content_test(head: bytes, claimed: bool) -> None:
    assert claims_cyclonedx(head) is claimed


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (bom({"type": "library", "version": "1"}), "bom.json:12: /components/0: the component has no 'name'"),
        (bom("lodash"), "bom.json:11: /components/0: each component must be an object"),
        (
            bom({"type": "library", "name": "x", "version": 2}),
            "bom.json:12: /components/0/version: 'version' must be a string",
        ),
        (bom(spec="2.0"), "bom.json:1: /specVersion: unsupported CycloneDX specVersion '2.0'"),
        (
            {"bomFormat": "CycloneDX", "specVersion": "1.4", "components": {"a": 1}},
            "bom.json:4: /components: 'components' must be a list",
        ),
    ],
)
def test_bad_input_is_located(document: dict[str, Any], expected: str) -> None:
    [problem] = problems(document)
    assert problem.startswith(expected)


def test_an_sbom_runs_through_check_without_failing_on_what_it_cannot_say(workdir: Path, run_cli: Any) -> None:
    shutil.copyfile(LARAVEL, workdir / "bom.json")
    result = run_cli("check", "bom.json", "--as-of", "2026-11-25", "--select", "INFRA", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [(e["format"], e["kind"], e["records"]) for e in doc["evidence"]] == [("cyclonedx", "it-assets", 62)]
    statuses = Counter((f["rule_id"], f["status"]) for f in doc["findings"])
    assert statuses[("INFRA-001", "skip")] == 62
    assert statuses[("INFRA-004", "skip")] == 62
    assert not [f for f in doc["findings"] if f["status"] == "fail"]
    one = next(f for f in doc["findings"] if f["rule_id"] == "INFRA-004")
    assert one["message"].startswith("insufficient evidence: the cyclonedx source does not carry `")
    assert one["evidence"]["pointer"].startswith("/components/")
    # INFRA-002 groups by environment, which an SBOM cannot carry: the group says so (it was "<missing>").
    text = run_cli("check", "bom.json", "--as-of", "2026-11-25", "--select", "INFRA-002").stdout
    assert "<missing>" not in text and "bom.json  not provided by the source  SKIP" in text, text


def test_an_end_of_life_component_fails_infra_006_citing_the_snapshot(workdir: Path, run_cli: Any) -> None:
    old = {
        "type": "library",
        "name": "log4j",
        "group": "log4j",
        "version": "1.2.17",
        "purl": "pkg:maven/log4j/log4j@1.2.17",
    }
    (workdir / "bom.json").write_text(json.dumps(bom(old)))
    result = run_cli("check", "bom.json", "--as-of", "2026-11-25", "--select", "INFRA", "--format", "json")
    assert result.exit_code == 1, result.stderr
    [failure] = [f for f in json.loads(result.stdout)["findings"] if f["status"] == "fail"]
    assert failure["rule_id"] == "INFRA-006"
    assert failure["message"] == (
        "Referrals@3.1: log4j/log4j 1.2.17: end of life 2015-10-15 (endoflife.date snapshot of 2026-08-22: log4j 1); "
        "it must be after 2026-11-25"
    )
    assert (failure["evidence"]["pointer"], failure["evidence"]["line"]) == ("/components/0", 1)  # one-line JSON


def test_a_bom_without_a_metadata_component_is_a_system_named_after_its_file(workdir: Path, run_cli) -> None:
    """Some generators write no metadata component: the components are still one system's parts (INFRA-006 judges
    them), named after the file, and a note says so."""
    doc = bom({"type": "framework", "name": "django", "version": "3.2.25", "purl": "pkg:pypi/django@3.2.25"})
    del doc["metadata"]
    (workdir / "portal.cdx.json").write_text(json.dumps(doc, indent=1))
    result = run_cli("check", "portal.cdx.json", "--as-of", "2026-11-25", "--select", "INFRA-006", "--format", "json")
    assert result.exit_code == 1, result.stderr
    out = json.loads(result.stdout)
    [failed] = [f for f in out["findings"] if f["status"] == "fail"]
    assert failed["evidence"]["record_id"] == "portal/pkg:pypi/django@3.2.25"
    assert out["evidence"][0]["notes"][0] == (
        "no metadata component names the system: the components are taken as parts of 'portal'"
    )


def _nested_bom_bytes(depth: int, duplicate_at_leaf: bool = False) -> bytes:
    """A BOM whose components nest ``depth`` deep, written as text (json.dumps recurses too deep to build it)."""
    leaf = (
        '{"type": "library", "name": "leaf", "version": "1"' + (', "name": "again"' if duplicate_at_leaf else "") + "}"
    )
    for i in range(depth):
        leaf = f'{{"type": "library", "name": "c{i}", "version": "1", "components": [{leaf}]}}'
    head = '{"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"component": {"name": "app"}}, '
    return f'{head}"components": [{leaf}]}}'.encode()


def test_components_nested_deeper_than_orjson_writes_are_read_and_their_duplicates_named() -> None:
    """orjson reads 1024 levels but writes 254: the duplicate-key test re-serialised the document and a BOM
    nested over 126 components deep stopped the run as "the 'cyclonedx' loader failed: TypeError"."""
    doc = load(_nested_bom_bytes(300))
    assert len(doc.records) == 301
    assert any(r["name"] == "leaf" for r in doc.records)
    [problem] = problems(_nested_bom_bytes(300, duplicate_at_leaf=True))
    assert "duplicate key 'name'" in problem and problem.startswith("bom.json:1: /components/0/")
