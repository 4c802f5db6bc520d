"""The CycloneDX XML adapter: the same records as the JSON form, located by line; no DTD; other XML refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from capcheck.builtins.loaders.cyclonedx import load_cyclonedx
from capcheck.builtins.loaders.cyclonedx_xml import load_cyclonedx_xml
from capcheck.core.errors import EvidenceError
from capcheck.core.loading import Document, LoadContext, SourceFile

REAL = Path(__file__).resolve().parent.parent / "data" / "real"
#: The same real BOM as XML and as JSON (CycloneDX/bom-examples, CC0-1.0; tests/data/real/README.md).
LARAVEL_XML = REAL / "cyclonedx-laravel-7.12.0-bom.1.4.xml"
LARAVEL_JSON = REAL / "cyclonedx-laravel-7.12.0-bom.1.4.json"
NS = "http://cyclonedx.org/schema/bom/1.5"


def load(data: bytes, name: str = "bom.xml") -> Document:
    [doc] = load_cyclonedx_xml(SourceFile(path=Path(name), display=name, data=data), LoadContext(kinds={}))
    return doc


def problems(data: bytes) -> list[str]:
    with pytest.raises(EvidenceError) as info:
        load(data)
    return [str(p) for p in info.value.problems]


def test_the_real_xml_bom_reads_as_its_json_form() -> None:
    """capcheck read CycloneDX only as JSON: the XML form (which Maven, Gradle and PHP Composer tools write)
    was 'cannot read .xml files', and in a directory it was skipped without a word."""
    xml = load(LARAVEL_XML.read_bytes(), LARAVEL_XML.name)
    [json_doc] = load_cyclonedx(
        SourceFile(path=LARAVEL_JSON, display=LARAVEL_JSON.name, data=LARAVEL_JSON.read_bytes()), LoadContext(kinds={})
    )
    assert len(xml.records) == 62
    assert xml.records == json_doc.records
    assert xml.pointers == json_doc.pointers
    assert xml.not_provided == json_doc.not_provided
    assert xml.source == "CycloneDX 1.4 (XML) SBOM of cyclonedx-php-composer-demo@dev-master; 62 components"
    lines = LARAVEL_XML.read_text(encoding="utf-8").splitlines()
    for i in range(len(xml.records)):
        line = xml.locate(i)
        assert line is not None and lines[line - 1].lstrip().startswith("<component ")


def _bom(body: str, ns: str = NS) -> bytes:
    return f'<?xml version="1.0"?>\n<bom xmlns="{ns}" version="1">\n{body}\n</bom>\n'.encode()


def test_nested_components_licences_and_supplier() -> None:
    doc = load(
        _bom(
            """<metadata><timestamp>2026-10-01T12:00:00Z</timestamp>
  <component type="application"><name>Referrals</name><version>3.1</version></component></metadata>
<components>
  <component type="application" bom-ref="portal">
    <supplier><name>Acme
      Ltd</name></supplier>
    <name>portal</name><version>2</version>
    <licenses><license><id>MIT</id></license><expression>Apache-2.0 OR MIT</expression></licenses>
    <components>
      <component type="library"><group>org.apache.logging.log4j</group><name>log4j-core</name>
        <version>2.14.1</version><purl>pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1</purl></component>
    </components>
    <x:extension xmlns:x="urn:other"><x:name>ignored</x:name></x:extension>
  </component>
  <component type="data"><name>records</name></component>
</components>
<services><service><name>api</name></service></services>"""
        )
    )
    assert [(r["id"], doc.pointer(i), doc.locate(i)) for i, r in enumerate(doc.records)] == [
        ("Referrals@3.1/portal", "/components/0", 6),
        ("Referrals@3.1/pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "/components/0/components/0", 12),
    ]
    portal = doc.records[0]
    assert (portal["vendor"], portal["licences"], portal["name"]) == (
        "Acme Ltd",
        ["MIT", "Apache-2.0 OR MIT"],
        "portal",
    )
    assert doc.records[1]["name"] == "org.apache.logging.log4j/log4j-core"
    assert doc.collected_on == "2026-10-01"
    assert doc.notes[:-1] == ("components that are not IT assets, not mapped: 1 data", "not read: 1 service")


def test_services_nested_in_a_service_are_counted_as_not_read() -> None:
    """As in the JSON form (the real SaaSBOM): a service's own <services> are services too."""
    doc = load(
        _bom(
            """<components><component type="library"><name>lib</name><version>1</version></component></components>
<services><service><name>gateway</name><services><service><name>api</name></service>
<service><name>db</name><services><service><name>replica</name></service></services></service></services></service>
<service><name>s3</name></service></services>"""
        )
    )
    assert "not read: 5 services" in doc.notes


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"<bom><components>", "bom.xml:1: malformed XML: no element found"),
        # An encoding expat leaves to Python's codecs, which have none by that name, or not one expat can use
        # (the loader-properties test found it: "the 'cyclonedx' loader failed: LookupError").
        (
            b'<?xml version="1.0" encoding="U9TF-8"?>\n<bom/>',
            "bom.xml:1: malformed XML: its declared encoding cannot be read (unknown encoding: U9TF-8): save it as"
            " UTF-8",
        ),
        (
            b'<?xml version="1.0" encoding="rot13"?>\n<bom/>',
            "bom.xml:1: malformed XML: its declared encoding cannot be read ('rot13' is not a text encoding; use"
            " codecs.decode() to handle arbitrary codecs): save it as UTF-8",
        ),
        (
            b'<?xml version="1.0" encoding="shift_jis"?>\n<bom/>',
            "bom.xml:1: malformed XML: its declared encoding cannot be read (multi-byte encodings are not supported):"
            " save it as UTF-8",
        ),
        (
            b'<?xml version="1.0"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0"/>',
            "bom.xml:2: not a CycloneDX BOM: the root element must be <bom> in the namespace"
            " http://cyclonedx.org/schema/bom/1.x; found <project> in namespace 'http://maven.apache.org/POM/4.0.0'"
            " (capcheck reads no other XML)",
        ),
        (
            _bom("<components><component type='library'><version>1</version></component></components>"),
            "bom.xml:3: /components/0: the component has no 'name' (required by CycloneDX)",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE bom [\n <!ENTITY a "aaaaaaaaaa">\n <!ENTITY b "&a;&a;&a;&a;&a;">\n]>\n'
            b'<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components><component type="library">'
            b"<name>&b;</name></component></components></bom>",
            "bom.xml:2: a document type declaration (DOCTYPE or ENTITY) is not allowed in a CycloneDX BOM",
        ),
    ],
)
def test_bad_xml_is_located(data: bytes, expected: str) -> None:
    assert problems(data) == [expected]


def test_absurd_nesting_is_located_not_a_recursion_error() -> None:
    deep = "<components><component type='library'><name>x</name>" * 400 + "</component></components>" * 400
    found = problems(_bom(deep))
    assert found == ["bom.xml:3: elements nested more than 512 levels deep"]


def test_an_xml_bom_runs_through_check_in_a_directory(workdir: Path, run_cli: Any) -> None:
    (workdir / "evidence").mkdir()
    (workdir / "evidence" / "bom.xml").write_bytes(LARAVEL_XML.read_bytes())
    result = run_cli("check", "evidence", "--as-of", "2026-01-01", "--select", "INFRA-006", "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    [entry] = json.loads(result.stdout)["evidence"]
    assert (entry["format"], entry["kind"], entry["records"]) == ("cyclonedx", "it-assets", 62)
