"""The OCDS loader: the mapping on real Contracts Finder data, and every way an OCDS file can be wrong."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from capcheck.app.config import Config
from capcheck.app.runner import load_registry
from capcheck.builtins.loaders import ocds
from capcheck.builtins.loaders.ocds import load_ocds, procurement_route, value_lines
from capcheck.core.errors import EvidenceError
from capcheck.core.evidence import load_evidence
from capcheck.core.loading import Document, LoadContext, SourceFile

#: 19 real Contracts Finder and Sell2Wales releases (OGL v3.0; see tests/data/real/README.md).
EXTRACT = Path(__file__).resolve().parent.parent / "data" / "real" / "contracts-finder-extract.ocds.json"
PLUGINS: tuple[str, ...] = ()

CF = "ocds-b5fd17-"
#: Each release made here has an id of its own (OCDS: one id per release of a process; a second release with the
#: same id and other content is a conflict).
RELEASE_IDS = itertools.count(1)
#: The record fields that say where in the file(s) the record's data are.
PLACES = ("ocds_pointer", "ocds_releases")


def load(data: bytes | dict[str, Any] | list[Any], name: str = "x.ocds.json") -> Document:
    """Run the loader on bytes (or a value written as JSON) and return its one document."""
    raw = data if isinstance(data, bytes) else json.dumps(data, indent=1).encode()
    [doc] = load_ocds(SourceFile(path=Path(name), display=name, data=raw), LoadContext(kinds={}))
    return doc


def problems(data: bytes | dict[str, Any] | list[Any]) -> list[str]:
    """The located problems the loader raises, as ``path:line: /pointer: message`` strings."""
    with pytest.raises(EvidenceError) as info:
        load(data)
    return [str(p) for p in info.value.problems]


def award(award_id: str = "A1", **fields: Any) -> dict[str, Any]:
    """A minimal mappable OCDS award."""
    out: dict[str, Any] = {
        "id": award_id,
        "status": "active",
        "value": {"amount": 1000, "currency": "GBP"},
        "suppliers": [{"id": "S1", "name": "Acme Ltd"}],
        "contractPeriod": {"startDate": "2025-01-01T00:00:00Z", "endDate": "2026-01-01T00:00:00Z"},
    }
    out.update(fields)
    return {k: v for k, v in out.items() if v is not None}


def release(
    *awards: dict[str, Any], ocid: str = "ocds-x-1", date: str = "2025-01-01T00:00:00Z", **fields: Any
) -> dict[str, Any]:
    """A minimal release of ``awards`` with a tender title."""
    out: dict[str, Any] = {"ocid": ocid, "id": f"{ocid}-r{next(RELEASE_IDS)}", "date": date, "tag": ["award"]}
    out["tender"] = {"title": "Hosting"}
    if awards:
        out["awards"] = list(awards)
    out.update(fields)
    return out


@pytest.fixture(scope="module")
def extract() -> Document:
    return load(EXTRACT.read_bytes(), EXTRACT.name)


@pytest.fixture(scope="module")
def by_id(extract: Document) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in extract.records}


# ---------------------------------------------------------------------------------------------
# The real extract
# ---------------------------------------------------------------------------------------------


def test_fields_ocds_cannot_carry_are_declared_not_provided(extract: Document) -> None:
    assert extract.not_provided == {
        "owner",
        "last_review",
        "exit_plan",
        "exit_plan_reviewed",
        "risk_rating",
        "notice_period_days",
        "data_processing",
        "framework",
    }
    assert not extract.not_provided & {k for r in extract.records for k in r}  # never both mapped and not provided
    assert extract.notes[-1].startswith("not provided by OCDS (rules that need them report insufficient evidence): ")


def test_the_extract_maps_every_current_award_and_says_what_it_left_out(extract: Document) -> None:
    # 19 releases: 17 with an award; 2 superseded by a later release of the same award; 1 without a supplier name.
    assert len(extract.records) == 14
    assert extract.kind == "supplier-contracts"
    assert extract.collected_on == "2025-03-11"
    assert extract.source is not None
    assert extract.source.startswith("OCDS release package (UK public procurement notices")
    assert extract.source.endswith("; 14 awards mapped from 19 releases")
    assert extract.notes[:-1] == (
        "2 releases without awards or contracts (planning, tender) not mapped",
        "2 earlier award releases merged with a later release of the award"
        " (OCDS merging: each field's latest value wins)",
        "1 award not mapped (1 no supplier): /releases/18/awards/0",
    )


def test_each_record_points_at_its_award(extract: Document) -> None:
    assert extract.pointers is not None and len(extract.pointers) == len(extract.records)
    for i, record in enumerate(extract.records):
        assert extract.pointer(i) == record["ocds_pointer"]
        assert extract.pointer(i).startswith("/releases/") and "/awards/" in extract.pointer(i)


def test_a_framework_call_off_to_an_sme(by_id: dict[str, dict[str, Any]]) -> None:
    ocid = CF + "3cded792-703e-4049-9ec4-5d7bcd4790ff"
    assert by_id[ocid + "-1"] == {
        "id": ocid + "-1",  # Contracts Finder award ids start with the ocid already: kept as they are
        "title": "Digital & Data Partner",
        "supplier": "Solirius Ltd",
        "suppliers": ["Solirius Ltd"],
        "supplier_id": "06279757",
        "value": 60000000,
        "currency": "GBP",
        "start_date": "2025-01-13",
        "end_date": "2029-01-12",
        "status": "active",
        "procurement_route": "framework-call-off",
        "sme": True,
        "contract_type": "services",  # tender.mainProcurementCategory
        "category": by_id[ocid + "-1"]["category"],
        "buyer": "The Planning Inspectorate",
        "ocid": ocid,
        "notice_url": by_id[ocid + "-1"]["notice_url"],
        "ocds_award_id": ocid + "-1",
        "ocds_release_id": by_id[ocid + "-1"]["ocds_release_id"],
        "ocds_method": "selective",
        "ocds_method_details": "Call-off from a framework agreement",
        "ocds_pointer": "/releases/2/awards/0",
    }
    assert by_id[ocid + "-1"]["notice_url"].startswith("https://www.contractsfinder.service.gov.uk/Notice/")


def test_several_suppliers_the_first_is_the_supplier(by_id: dict[str, dict[str, Any]]) -> None:
    record = by_id[CF + "76485a2b-4074-427a-8782-2a6c3f9a2cb4-1"]
    assert record["supplier"] == "Hennessy Flooring Ltd"
    assert record["suppliers"] == ["Hennessy Flooring Ltd", "LGM Limited", "McManus Flooring"]
    assert "sme" not in record  # the supplier party gives no details.scale: unknown, not false
    # Dates are the date part as published (01:00+01:00 is still 19 July), not shifted to UTC.
    assert (record["start_date"], record["end_date"]) == ("2021-07-19", "2025-08-04")


def test_the_latest_release_of_an_award_wins(by_id: dict[str, dict[str, Any]]) -> None:
    # Two awardUpdates six minutes apart: the value was corrected from 10,932,000 to 109,320.
    record = by_id[CF + "09a309a3-8541-48b9-91c4-411c52e5bd34-1"]
    assert record["value"] == 109320
    assert record["ocds_pointer"] == "/releases/13/awards/0"


@pytest.mark.parametrize(
    ("award_id", "route"),
    [
        ("3cded792-703e-4049-9ec4-5d7bcd4790ff-1", "framework-call-off"),
        ("71b2b17c-1e8c-4a47-a886-0dd552b773a9-1", "framework-call-off"),  # Other - Direct Award from a Framework
        ("2308e41d-9971-41d3-a88d-7b0023aab0eb-1", "dynamic-purchasing-system"),
        ("c51f6270-417a-4270-9446-61267aa2b22f-1", "direct-award"),  # Single tender action (below threshold)
        ("194ee8dc-3539-4ac1-bdd6-8b36b014f525-1", "direct-award"),  # negotiated without prior publication
        ("92b3f797-6cf1-4acf-bf68-efcb8c78590d-1", "direct-award"),
        ("70dbee0a-df23-4911-b197-09b248426f52-1", "restricted"),
        ("2e43e09b-f320-4305-a202-81f4a1a807b0-1", "open"),
        ("ec967876-6c78-4d1e-a0bf-ca00ff06df42-1", "other"),  # "Other - "
        ("fa17348a-cbe3-4779-8ee6-21a661ea80e6-1", None),  # "Not specified" and no method
    ],
)
def test_procurement_routes_on_real_notices(by_id: dict[str, dict[str, Any]], award_id: str, route: str | None) -> None:
    assert by_id[CF + award_id].get("procurement_route") == route


def test_a_published_value_of_zero_is_kept(by_id: dict[str, dict[str, Any]]) -> None:
    assert by_id[CF + "0680da09-fd30-4187-9f12-1bf4a7636747-1"]["value"] == 0


def test_each_record_is_located_at_its_award(extract: Document) -> None:
    lines = EXTRACT.read_text().splitlines()
    for index, record in enumerate(extract.records):
        line = extract.locate(index)
        assert line is not None
        assert lines[line - 1].strip() == "{", record["id"]
        assert f'"id": "{record["ocds_award_id"]}"' in lines[line]  # the award's first key is its id


def test_the_records_are_valid_supplier_contracts(tmp_path: Path) -> None:
    registry = load_registry(Config(), [], list(PLUGINS))
    assert registry.loaders[".ocds.json"].name == "ocds"
    assert registry.loaders[".json"].name == "json"  # the core loader keeps plain JSON
    evidence = load_evidence([EXTRACT], loaders=registry.loaders, kinds=registry.kinds)
    assert evidence.count("supplier-contracts") == 14
    [info] = evidence.files
    assert (info.format, info.kind) == ("ocds", "supplier-contracts")
    assert info.notes[-2] == "1 award not mapped (1 no supplier): /releases/18/awards/0"
    ref = evidence.ref("supplier-contracts", CF + "09a309a3-8541-48b9-91c4-411c52e5bd34-1")
    assert ref.pointer == "/releases/13/awards/0"  # the award itself, not /records/<i>


def test_a_package_given_twice_is_read_once(tmp_path: Path) -> None:
    """The same releases in two packages (a monthly package and the cumulative one) are the same releases:
    read once, each contract in the first file by name, and the second file says so. They were duplicate ids."""
    registry = load_registry(Config(), [], list(PLUGINS))
    first, second = tmp_path / "a.ocds.json", tmp_path / "b.ocds.json"
    for path in (first, second):
        path.write_bytes(EXTRACT.read_bytes())
    evidence = load_evidence([second, first], loaders=registry.loaders, kinds=registry.kinds)
    assert evidence.count("supplier-contracts") == 14
    a, b = evidence.files
    assert (a.path, a.records, b.path, b.records) == (first.as_posix(), 14, second.as_posix(), 0)
    assert f"19 releases also in {first.as_posix()}, the same: read once" in b.notes


# ---------------------------------------------------------------------------------------------
# Mapping rules, on small packages
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "details", "route"),
    [
        ("selective", "Call-off from a framework agreement", "framework-call-off"),
        (None, "Other - Further Competition - Framework", "framework-call-off"),
        ("selective", "Call-off from a dynamic purchasing system", "dynamic-purchasing-system"),
        ("selective", "Competitive dialogue", "competitive-dialogue"),
        ("selective", "Competitive procedure with negotiation (above threshold)", "competitive-flexible"),
        ("direct", "Single tender action (below threshold)", "direct-award"),  # no competition, whatever the value
        (None, "Other - Direct award below threshold", "direct-award"),
        ("limited", "Competitive quotation (below threshold)", "below-threshold"),
        (None, "Other - Request for Quotation", "below-threshold"),
        ("direct", "Direct award", "direct-award"),
        ("limited", "Negotiated procedure without prior publication (above threshold)", "direct-award"),
        ("selective", "Restricted procedure", "restricted"),
        (None, "Other - Restricted procedure, below threshold", "restricted"),
        ("open", "Open procedure (below threshold)", "open"),
        ("open", "Open procedu    re", "open"),  # a real typo: the method decides
        ("selective", None, "restricted"),
        ("limited", "", "direct-award"),
        ("direct", "Not specified", "direct-award"),
        (None, "Other - ", "other"),
        (None, "Negotiated procedure", "other"),
        (None, "Not specified", None),
        (None, "Not applicable", None),
        (None, None, None),
        ("something-else", None, None),
    ],
)
def test_procurement_route(method: str | None, details: str | None, route: str | None) -> None:
    assert procurement_route(method, details) == route


@pytest.mark.parametrize(
    ("status", "expected"),
    [("active", "active"), ("pending", "pipeline"), ("cancelled", "terminated")],
)
def test_award_status(status: str, expected: str) -> None:
    [record] = load({"releases": [release(award(status=status))]}).records
    assert record["status"] == expected


def test_unsuccessful_awards_are_not_contracts() -> None:
    doc = load({"releases": [release(award("A1"), award("A2", status="unsuccessful"))]})
    assert [r["ocds_award_id"] for r in doc.records] == ["A1"]
    assert doc.notes[:-1] == ("1 unsuccessful award not mapped (not contracts)",)


def test_ids_are_made_unique_with_the_ocid() -> None:
    doc = load({"releases": [release(award("1"), ocid="ocds-a-1"), release(award("1"), ocid="ocds-a-2")]})
    assert [r["id"] for r in doc.records] == ["ocds-a-1/1", "ocds-a-2/1"]


def test_integer_ids_are_allowed() -> None:
    [record] = load({"releases": [release(award(7))]}).records
    assert record["id"] == "ocds-x-1/7"


def test_a_later_release_supersedes_by_date_not_file_order() -> None:
    later = release(award(value={"amount": 2, "currency": "GBP"}), date="2025-02-01T00:00:00+00:00")
    earlier = release(award(value={"amount": 1, "currency": "GBP"}), date="2025-01-01T00:00:00Z")
    doc = load({"releases": [later, earlier]})
    assert [r["value"] for r in doc.records] == [2]
    assert doc.records[0]["ocds_pointer"] == "/releases/0/awards/0"
    assert doc.pointers == ["/releases/0/awards/0"]
    assert doc.notes[:-1] == (
        "1 earlier award release merged with a later release of the award"
        " (OCDS merging: each field's latest value wins)",
    )


def test_a_contract_overrides_the_award_it_implements() -> None:
    contract = {
        "id": "C1",
        "awardID": "A1",
        "status": "terminated",
        "value": {"amount": 900, "currency": "GBP"},
        "period": {"startDate": "2025-02-01T00:00:00Z", "endDate": "2025-06-30T00:00:00Z"},
    }
    [record] = load({"releases": [release(award("A1"), contracts=[contract])]}).records
    assert (record["status"], record["value"]) == ("expired", 900)
    assert (record["start_date"], record["end_date"]) == ("2025-02-01", "2025-06-30")


def test_a_contract_in_a_later_release_applies_and_keeps_the_award_value() -> None:
    contract = {"id": "C1", "awardID": "A1", "status": "active"}
    later = release(contracts=[contract], date="2025-03-01T00:00:00Z")
    [record] = load({"releases": [release(award("A1", status="pending")), later]}).records
    assert (record["status"], record["value"], record["start_date"]) == ("active", 1000, "2025-01-01")


def test_an_award_implemented_by_several_contracts_is_a_record_per_contract() -> None:
    """OCDS allows several contracts per award (Paraguay's DNCP publishes one contract per supplier of a
    four-supplier award, each in its own release). Only the latest contract was kept, silently: the award
    read as one contract of PYG 184 million instead of four totalling PYG 2,116 million."""
    award_release = release(award("A1", value={"amount": 3000, "currency": "GBP"}, contractPeriod=None))

    def contract(contract_id: str, amount: int, day: str) -> dict[str, Any]:
        return release(
            contracts=[
                {
                    "id": contract_id,
                    "awardID": "A1",
                    "status": "active",
                    "value": {"amount": amount, "currency": "GBP"},
                    "period": {"startDate": f"2025-0{day}-01T00:00:00Z"},
                }
            ],
            date=f"2025-0{day}-15T00:00:00Z",
        )

    # The second contract is published again later (an update): it supersedes its earlier release.
    updated = contract("C2", 2100, "4")
    doc = load({"releases": [award_release, contract("C1", 900, "2"), contract("C2", 2000, "3"), updated]})
    assert sorted(
        (r["id"], r["value"], r["start_date"], r["ocds_contract_id"], r["ocds_pointer"]) for r in doc.records
    ) == [
        ("ocds-x-1/C1", 900, "2025-02-01", "C1", "/releases/1/contracts/0"),
        ("ocds-x-1/C2", 2100, "2025-04-01", "C2", "/releases/3/contracts/0"),
    ]
    assert {r["ocds_award_id"] for r in doc.records} == {"A1"}
    assert doc.source == "OCDS release package; 1 award mapped (as 2 contract records) from 4 releases"
    assert (
        "1 award implemented by several contracts: one record per contract (its id, value, period and status;"
        " its suppliers where the contract names them, else the award's)"
    ) in doc.notes
    # One contract of an award: the award's id, as before.
    [record] = load({"releases": [award_release, contract("C1", 900, "2")]}).records
    assert (record["id"], record["value"], record["ocds_pointer"]) == ("ocds-x-1/A1", 900, "/releases/0/awards/0")


def test_a_contract_that_names_its_supplier_is_with_that_supplier() -> None:
    """An award of two suppliers, each signing its own contract, the contract naming its supplier (the Contract
    suppliers extension as a list; Paraguay's DNCP writes one object): each record is with its own supplier,
    not the award's first for all of them."""
    two = award("A1", suppliers=[{"id": "S1", "name": "Acme Ltd"}, {"id": "S2", "name": "Beta plc"}])
    parties = [{"id": "S2", "name": "Beta plc", "roles": ["supplier"], "details": {"scale": "sme"}}]

    def signed(contract_id: str, suppliers: Any) -> dict[str, Any]:
        return {"id": contract_id, "awardID": "A1", "status": "active", "suppliers": suppliers}

    doc = load(
        {
            "releases": [
                release(two),
                release(
                    contracts=[signed("C1", [{"id": "S1", "name": "Acme Ltd"}]), signed("C2", {"id": "S2"})],
                    parties=parties,
                    date="2025-02-01T00:00:00Z",
                ),
            ]
        }
    )
    assert sorted((r["id"], r["supplier"], r["suppliers"], r.get("sme")) for r in doc.records) == [
        ("ocds-x-1/C1", "Acme Ltd", ["Acme Ltd"], None),
        ("ocds-x-1/C2", "Beta plc", ["Beta plc"], True),  # named through the contract release's parties
    ]
    # A contract that names no supplier keeps the award's.
    [record] = load({"releases": [release(two, contracts=[signed("C1", None)])]}).records
    assert record["suppliers"] == ["Acme Ltd", "Beta plc"]


def test_a_contract_release_alone_says_to_give_its_award_too() -> None:
    lone = release(contracts=[{"id": "C1", "awardID": "A1", "status": "active"}])
    assert problems(lone) == [
        "x.ocds.json:12: /contracts/0: this award cannot be read as a contract: a contract whose award is in no"
        " release given (publishers serve a contract's release apart from its award's: give the award's release"
        " too, in this file or in another OCDS file checked with it)"
    ]


def test_sme_from_the_first_suppliers_party_scale() -> None:
    parties = [
        {"id": "S1", "name": "Acme Ltd", "roles": ["supplier"], "details": {"scale": "micro"}},
        {"id": "B", "name": "Council", "roles": ["buyer"], "identifier": {"scheme": "GB-COH", "id": "123"}},
    ]
    [record] = load({"releases": [release(award(), parties=parties)]}).records
    assert record["sme"] is True
    assert record["buyer"] == "Council"  # from the party with the buyer role when there is no buyer
    assert "supplier_id" not in record  # the supplier has no Companies House identifier


def test_a_record_package_of_embedded_releases_reads_as_its_release_package_does() -> None:
    """OCDS records need not carry a compiledRelease: with the releases embedded, the latest release of each
    award wins, as in a release package. The real extract, regrouped by ocid into records."""
    package = json.loads(EXTRACT.read_text(encoding="utf-8"))
    by_ocid: dict[str, list[Any]] = {}
    for item in package["releases"]:
        by_ocid.setdefault(item["ocid"], []).append(item)
    records = [{"ocid": ocid, "releases": items} for ocid, items in by_ocid.items()]
    as_releases = load(package)
    as_records = load({"uri": package["uri"], "version": "1.1", "records": records})
    assert len(as_records.records) == len(as_releases.records) > 5
    strip = PLACES
    assert sorted(({k: v for k, v in r.items() if k not in strip} for r in as_records.records), key=str) == sorted(
        ({k: v for k, v in r.items() if k not in strip} for r in as_releases.records), key=str
    )
    assert all(p.startswith("/records/") and "/releases/" in p and "/awards/" in p for p in as_records.pointers)
    assert as_records.source.startswith("OCDS record package;")
    linked = {"ocid": "x", "releases": [{"url": "https://example.org/r1.json", "date": "2025-01-01", "tag": ["award"]}]}
    with pytest.raises(EvidenceError) as info:
        load({"records": [linked]})
    assert "/records/0: an OCDS record without 'compiledRelease' or embedded releases" in str(info.value.problems[0])


def test_a_supplier_named_only_in_parties() -> None:
    parties = [{"id": "S1", "name": "Acme Ltd", "roles": ["supplier"], "details": {"scale": "large"}}]
    [record] = load({"releases": [release(award(suppliers=[{"id": "S1"}]), parties=parties)]}).records
    assert (record["supplier"], record["sme"]) == ("Acme Ltd", False)


def test_a_record_package_is_read_through_its_compiled_releases() -> None:
    doc = load({"records": [{"ocid": "ocds-x-1", "compiledRelease": release(award())}]})
    [record] = doc.records
    assert record["ocds_pointer"] == "/records/0/compiledRelease/awards/0"
    assert doc.pointers == ["/records/0/compiledRelease/awards/0"]
    assert doc.source == "OCDS record package; 1 award mapped from 1 release"
    assert doc.notes[:-1] == ()
    assert doc.locate(0) == 16  # the award's "{", in the compiled release


def test_a_package_without_awards_gives_no_contracts() -> None:
    doc = load({"releases": [release(tag=["tender"])]})
    assert doc.records == []
    assert doc.notes[:-1] == ("1 release without awards or contracts (planning, tender) not mapped",)


def test_gaps_are_counted_while_some_awards_map() -> None:
    gaps = [award("A2", value=None), award("A3", contractPeriod={"endDate": "2026-01-01T00:00:00Z"})]
    doc = load({"releases": [release(award("A1"), *gaps)]})
    assert len(doc.records) == 1
    assert doc.notes[:-1] == (
        "2 awards not mapped (1 no contract start date; 1 no value): /releases/0/awards/1, /releases/0/awards/2",
    )


def test_when_no_award_maps_the_gaps_are_errors() -> None:
    found = problems({"releases": [release(award("A1", value=None)), release(award("A2", title=None, suppliers=[]))]})
    assert found == [
        "x.ocds.json:14: /releases/0/awards/0: this award cannot be read as a contract: no value",
        "x.ocds.json:41: /releases/1/awards/0: this award cannot be read as a contract: no supplier",
    ]


# ---------------------------------------------------------------------------------------------
# Not OCDS, or malformed OCDS: located errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"releases": [\n  {"ocid": 1,\n}', "x.ocds.json:2: malformed JSON: trailing comma is not allowed"),
        ([], "x.ocds.json:1: /: not an OCDS package: the top level must be an object"),
        ({"name": "register"}, "x.ocds.json:1: /: not an OCDS package: expected 'releases' (a release package)"),
        ({"releases": {}}, "x.ocds.json:2: /releases: 'releases' must be a list of releases"),
        ({"kind": "supplier-contracts", "records": []}, "x.ocds.json:2: /kind: this is a capcheck evidence document"),
        ({"releases": [1]}, "x.ocds.json:2: /releases/0: each release must be an object"),
        ({"releases": [{"id": "r"}]}, "x.ocds.json:3: /releases/0/ocid: the release has no 'ocid'"),
        ({"releases": [release(awards={})]}, "/releases/0/awards: 'awards' must be a list"),
        ({"releases": [release("not an award")]}, "/releases/0/awards/0: each of 'awards' must be an object"),
        ({"releases": [release({"status": "active"})]}, "x.ocds.json:14: /releases/0/awards/0: needs an 'id'"),
        ({"releases": [release(award(), award())]}, "/releases/0/awards/1: award id 'A1' is used twice"),
        ({"records": [{"ocid": "x", "releases": []}]}, "/records/0: an OCDS record without 'compiledRelease'"),
        (
            {"releases": [release(award(value={"amount": "1000"}))]},
            '/releases/0/awards/0/value/amount: value amount "1000" is not a number',
        ),
        (
            {"releases": [release(award(contractPeriod={"startDate": "next week"}))]},
            '/releases/0/awards/0/contractPeriod/startDate: "next week" is not an OCDS date-time',
        ),
    ],
)
def test_bad_ocds_is_a_located_error(data: Any, expected: str) -> None:
    found = problems(data)
    assert any(expected in p for p in found), found


def test_value_lines_ignores_brackets_in_strings() -> None:
    data = b'{"releases": [\n {"title": "a [b] {c}",\n  "awards": [\n   {"id": "x\\"]"},\n   {"id": 2}]}]}'
    found = value_lines(data, lambda path: path[:1] == ("releases",))
    assert found == {
        ("releases",): 1,
        ("releases", 0): 2,
        ("releases", 0, "awards"): 3,
        ("releases", 0, "awards", 0): 4,
        ("releases", 0, "awards", 1): 5,
    }


def test_an_ocds_package_named_json_is_recognised_by_its_content(tmp_path: Path) -> None:
    registry = load_registry(Config(), [], list(PLUGINS))
    plain = tmp_path / "notices.json"
    plain.write_bytes(EXTRACT.read_bytes())
    evidence = load_evidence(
        [plain], loaders=registry.loaders, kinds=registry.kinds, content_loaders=registry.content_loaders
    )
    assert [(f.format, f.kind, f.records) for f in evidence.files] == [("ocds", "supplier-contracts", 14)]


@pytest.mark.parametrize(
    ("head", "claimed"),
    [
        (b'{"uri": "u", "releases": [{"ocid": "ocds-1"', True),
        (b'\xef\xbb\xbf\n {"records": [{"ocid": "ocds-1", "releases": [{"url": "u"}]', True),
        (b'{"kind": "supplier-contracts", "records": [{"id": "C-1", "ocid": "ocds-1"}]}', False),
        (b'{"releases": []}', False),  # no ocid: not recognisably OCDS
        (b'[{"ocid": "ocds-1", "releases": []}]', False),
        (b'{"ocid": "ocds-1", "id": "r1", "date": "2025-01-01", "tag": ["award"], "initiationType": "tender"', True),
        (b'{"publisher": {"name": "p"}, "versionedRelease": {"planning": {"budget": {"amount": [', True),
        (b'{"ocid": "ocds-1", "name": "a register that only mentions an ocid"}', False),
        (b'{"ocid": "ocds-a1-mt-06", "id": "06", "tag": "award", "parties": [], "awards": [', True),  # Montreal
        (b'{"kind": "supplier-contracts", "records": [{"id": "C-1", "ocid": "ocds-1", "tags": ["x"]}]}', False),
        # OCDS's release schema names ocid, tag and initiationType as properties: a JSON Schema, not data
        (
            b'{"id": "release-schema.json", "$schema": "http://json-schema.org/draft-04/schema#", "properties":'
            b' {"ocid": {"type": "string"}, "tag": {}, "initiationType": {}, "tender": {}}}',
            False,
        ),
    ],
)
def test_the_content_test(head: bytes, claimed: bool) -> None:
    assert ocds.claims_ocds(head) is claimed


# ---------------------------------------------------------------------------------------------
# Single releases and records, and JSON Lines: what publishers' APIs and bulk downloads serve
# ---------------------------------------------------------------------------------------------


def _strip(doc: Document) -> list[dict[str, Any]]:
    """The records without their pointers, in a stable order (to compare two ways of packaging the same data)."""
    return sorted(({k: v for k, v in r.items() if k not in PLACES} for r in doc.records), key=str)


def test_a_single_release_is_read_as_a_package_of_one(tmp_path: Path) -> None:
    """OCDS APIs serve one release per request (Contracts Finder's, Moldova's, Colombia's): 5 of the 17
    publishers in open-contracting/sample-data's real examples publish only single releases and records.
    A single release was refused ('wrap it in a release package'), and, named .json, was not recognised."""
    package = json.loads(EXTRACT.read_text(encoding="utf-8"))
    single = package["releases"][2]  # an award no later release supersedes
    assert single["awards"] and "releases" not in single
    doc = load(single)
    [record] = doc.records
    assert record["ocds_pointer"] == "/awards/0" and doc.pointers == ["/awards/0"]
    assert doc.source == "OCDS release; 1 award mapped from 1 release"
    assert doc.locate(0) is not None and doc.locate(0) > 1
    assert [r for r in load(package).records if r["id"] == record["id"]] == [
        {**record, "ocds_pointer": "/releases/2/awards/0"}
    ]
    # Named .json, it is recognised by its content, not read as a capcheck evidence document.
    registry = load_registry(Config(), [], list(PLUGINS))
    plain = tmp_path / "notice.json"
    plain.write_text(json.dumps(single, indent=2), encoding="utf-8")
    evidence = load_evidence(
        [plain], loaders=registry.loaders, kinds=registry.kinds, content_loaders=registry.content_loaders
    )
    assert [(f.format, f.kind, f.records) for f in evidence.files] == [("ocds", "supplier-contracts", 1)]


def test_a_single_record_is_read_through_its_compiled_release() -> None:
    """A record served alone (not in a record package), with linked releases and its compiled release: the
    compiled release is its current state (was: read as a release package, its linked releases refused)."""
    linked = [{"url": "https://example.org/r1.json", "date": "2025-01-01T00:00:00Z", "tag": ["award"]}]
    doc = load({"ocid": "ocds-x-1", "releases": linked, "compiledRelease": release(award())})
    [record] = doc.records
    assert record["ocds_pointer"] == "/compiledRelease/awards/0"
    assert doc.source == "OCDS record; 1 award mapped from 1 release"
    # A record of embedded releases alone: the latest release of the award wins, as in a package.
    older, newer = release(award(title="old")), release(award(title="new"), date="2025-02-01T00:00:00Z")
    [record] = load({"ocid": "ocds-x-1", "releases": [newer, older]}).records
    assert (record["title"], record["ocds_pointer"]) == ("new", "/releases/0/awards/0")


def _jsonl(*objects: Any) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objects)


def load_lines(data: bytes) -> Document:
    [doc] = ocds.load_ocds_lines(SourceFile(path=Path("x.jsonl"), display="x.jsonl", data=data), LoadContext(kinds={}))
    return doc


def test_json_lines_read_as_one_package_located_by_line() -> None:
    """OCDS bulk downloads are JSON Lines (one release, record or package per line); capcheck could not read
    .jsonl at all. The real extract as one release per line gives the same contracts as its package, each at
    its line, and a later release of an award on any line supersedes an earlier one."""
    package = json.loads(EXTRACT.read_text(encoding="utf-8"))
    doc = load_lines(_jsonl(*package["releases"]))
    assert _strip(doc) == _strip(load(package))
    assert doc.source == "OCDS JSON Lines of 19 releases; 14 awards mapped from 19 releases"
    assert doc.notes[:-1] == (
        "2 releases without awards or contracts (planning, tender) not mapped",
        "2 earlier award releases merged with a later release of the award"
        " (OCDS merging: each field's latest value wins)",
        "1 award not mapped (1 no supplier): line 19 /awards/0",
    )
    for i, record in enumerate(doc.records):
        line = doc.locate(i)
        assert line is not None
        assert json.loads(_jsonl(*package["releases"]).splitlines()[line - 1])["id"] == record["ocds_release_id"]
        assert doc.pointer(i) == record["ocds_pointer"] and doc.pointer(i).startswith("/awards/")
    # Packages and records mix on the lines; the latest release of an award wins across lines.
    mixed = load_lines(
        _jsonl(
            {"releases": [release(award(title="old"))]}, {"ocid": "ocds-x-1", "compiledRelease": release(award("A2"))}
        )
        + b"\n"  # a blank line is skipped
        + _jsonl(release(award(title="new"), date="2025-03-01T00:00:00Z"))
    )
    assert sorted((r["id"], r["title"], mixed.locate(i)) for i, r in enumerate(mixed.records)) == [
        ("ocds-x-1/A1", "new", 4),
        ("ocds-x-1/A2", "Hosting", 2),
    ]
    assert mixed.source.startswith("OCDS JSON Lines of 1 record, 1 release, 1 release package;")


def test_a_bad_json_line_is_located_by_its_line() -> None:
    data = (
        _jsonl(release(award()))
        + b'{"ocid": "x",\n'
        + _jsonl({"name": "not OCDS"}, release(award("A1", value=None), ocid="y"))
    )
    with pytest.raises(EvidenceError) as info:
        load_lines(data)
    found = [str(p) for p in info.value.problems]
    assert found[0].startswith("x.jsonl:2: malformed JSON")
    assert found[1] == (
        "x.jsonl:3: /: not an OCDS release, record, release package or record package"
        " (each line of OCDS JSON Lines is one of these)"
    )
    with pytest.raises(EvidenceError) as info:
        load_lines(_jsonl({"ocid": "x", "id": "r", "awards": [award(), award()]}))
    assert [str(p) for p in info.value.problems] == [
        "x.jsonl:1: /awards/1: award id 'A1' is used twice in this release"
    ]
    with pytest.raises(EvidenceError) as info:
        load_lines(b"\n\n")
    assert [str(p) for p in info.value.problems] == [
        "x.jsonl:1: no OCDS releases, records or packages: the file has no lines of JSON"
    ]


def test_json_lines_through_the_cli(workdir: Path, run_cli: Any) -> None:
    package = json.loads(EXTRACT.read_text(encoding="utf-8"))
    (workdir / "notices.jsonl").write_bytes(_jsonl(*package["releases"]))
    result = run_cli("check", "notices.jsonl", "--as-of", "2026-01-01", "--select", "COMM-008", "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    [entry] = json.loads(result.stdout)["evidence"]
    assert (entry["format"], entry["kind"], entry["records"]) == ("ocds", "supplier-contracts", 14)


def test_a_single_tender_action_below_threshold_counts_as_a_direct_award(workdir: Path, run_cli: Any) -> None:
    """The Ministry of Defence's GBP 39.2m "Single tender action (below threshold)" skipped competition: COMM-005's
    share of direct awards counts it (it was read as a below-threshold purchase, and the share was 0.9%)."""
    (workdir / "notices.json").write_bytes(EXTRACT.read_bytes())
    result = run_cli("check", "notices.json", "--as-of", "2026-01-01", "--select", "COMM-005", "--format", "json")
    assert result.exit_code == 1, result.stderr
    [finding] = json.loads(result.stdout)["findings"]
    assert finding["status"] == "fail"
    assert finding["message"].startswith("GBP 40,161,681 of GBP 110,782,964 (4 of 14 contracts), 36.3%")
    bliss = CF + "c51f6270-417a-4270-9446-61267aa2b22f-1"
    assert (finding["related"][0]["record_id"], finding["related"][0]["pointer"]) == (bliss, "/releases/6/awards/0")


#: Rules that need a field OCDS cannot carry (owner, last_review, exit_plan, framework).
NEEDS_NOT_PROVIDED = ("COMM-001", "COMM-002", "COMM-004", "COMM-006")


def _statuses(run_cli: Any, path: str) -> dict[tuple[str, str], tuple[str, str]]:
    args = ["check", path, "--as-of", "2026-01-01", "--format", "json"]
    for rule_id in NEEDS_NOT_PROVIDED:
        args += ["--select", rule_id]
    result = run_cli(*args)
    assert result.exit_code in (0, 1), result.stderr
    findings = json.loads(result.stdout)["findings"]
    return {(f["rule_id"], f["evidence"]["record_id"]): (f["status"], f["message"]) for f in findings}


def test_fields_ocds_cannot_carry_are_insufficient_evidence_not_failures(workdir: Path, run_cli: Any) -> None:
    (workdir / "notices.json").write_bytes(EXTRACT.read_bytes())
    found = _statuses(run_cli, "notices.json")
    solirius = CF + "3cded792-703e-4049-9ec4-5d7bcd4790ff-1"  # an active GBP 60m framework call-off
    for rule_id, field in (("COMM-001", "owner"), ("COMM-002", "last_review"), ("COMM-004", "exit_plan")):
        assert found[(rule_id, solirius)] == (
            "skip",
            f"insufficient evidence: the ocds source does not carry `{field}`",
        )
    assert found[("COMM-006", solirius)][0] == "skip"  # OCDS 1.1 has no structured framework field
    assert {status for status, _ in found.values()} <= {"skip", "fail"}
    # A route the publisher left unstated is a gap in data OCDS can carry, but COMM-006 could never fail the
    # award whatever its route (in scope, it needs `framework`, which OCDS cannot carry): insufficient evidence,
    # not "cannot tell whether in scope" (10 real awards failed so). COMM-005 and COMM-008 judge the gap.
    unstated = found[("COMM-006", CF + "fa17348a-cbe3-4779-8ee6-21a661ea80e6-1")]  # 'Not specified'
    assert unstated == ("skip", "insufficient evidence: the ocds source does not carry `framework`")
    assert all(s == "skip" for (rule, _), (s, _) in found.items() if rule == "COMM-006")


def test_the_same_gaps_in_a_register_that_can_hold_them_fail(workdir: Path, run_cli: Any) -> None:
    """The same records written as a capcheck register: a missing owner there is the register's gap."""
    doc = load(EXTRACT.read_bytes(), EXTRACT.name)
    register = {"kind": "supplier-contracts", "records": doc.records}
    (workdir / "supplier-contracts.json").write_text(json.dumps(register))
    found = _statuses(run_cli, "supplier-contracts.json")
    solirius = CF + "3cded792-703e-4049-9ec4-5d7bcd4790ff-1"
    assert found[("COMM-001", solirius)][0] == "fail"
    assert found[("COMM-002", solirius)][0] == "fail"
    assert found[("COMM-004", solirius)][0] == "fail"
    assert found[("COMM-006", solirius)][0] == "fail"
    # and a register that leaves the route out cannot tell whether the contract is a call-off: undetermined
    assert found[("COMM-006", CF + "fa17348a-cbe3-4779-8ee6-21a661ea80e6-1")] == (
        "fail",
        "cannot tell whether in scope: `procurement_route` missing",
    )


@pytest.mark.parametrize(
    ("name", "original", "twice"),
    [
        ("contracts.ocds.json", '"tag": [', '"tag": "planning", "tag": ['),
        ("bom.json", '"version": "dev-master"', '"version": "dev-master", "version": "1.0.0"'),
        ("portal.spdx.json", '"versionInfo": "2.31.0",', '"versionInfo": "2.31.0", "versionInfo": "2.32.0",'),
    ],
)
def test_a_key_given_twice_in_a_published_format_is_located_not_dropped(
    workdir: Path, run_cli, name: str, original: str, twice: str
) -> None:
    """orjson keeps the last of two equal keys silently: each adapter refuses the file, naming the key."""
    fixtures = Path(__file__).resolve().parent.parent
    source = {
        "contracts.ocds.json": fixtures / "data" / "real" / "contracts-finder-extract.ocds.json",
        "bom.json": fixtures / "data" / "real" / "cyclonedx-laravel-7.12.0-bom.1.4.json",
        "portal.spdx.json": fixtures / "fixtures" / "sbom" / "referrals-portal.spdx.json",
    }[name]
    text = source.read_text(encoding="utf-8")
    assert original in text
    (workdir / name).write_text(text.replace(original, twice, 1), encoding="utf-8")
    result = run_cli("check", name, "--as-of", "2026-01-01")
    assert result.exit_code == 2
    key = twice.split('"')[1]
    line = next(i for i, ln in enumerate(text.splitlines(), 1) if original in ln)
    (problem,) = [ln.strip() for ln in result.stderr.splitlines() if "duplicate key" in ln]
    # the line of the object holding the key, the key's pointer
    assert problem.startswith(f"{name}:") and problem.endswith(f"/{key}: duplicate key {key!r}")
    at = int(problem.split(":")[1])
    assert at <= line and "{" in text.splitlines()[at - 1]


def test_a_bad_value_nested_deeper_than_orjson_writes_is_named_not_a_crash() -> None:
    """A message quoting the value (orjson writes 254 levels; the file may nest 1024) stopped the run as
    "the 'ocds' loader failed: TypeError: Recursion limit reached"."""
    package = {"releases": [release(award(value={"amount": 1, "currency": "GBP"}))]}
    text = json.dumps(package).replace('"amount": 1', '"amount": ' + '{"a": ' * 300 + "1" + "}" * 300, 1)
    [problem] = problems(text.encode())
    assert "value amount an object nested too deep to show is not a number" in problem


def test_a_package_nested_past_1024_levels_says_so_not_malformed() -> None:
    """orjson reads 1024 levels: past them it was "malformed JSON: depth limit exceeded" (well-formed JSON)."""
    package = {"releases": [release(award(value={"amount": 1, "currency": "GBP"}))]}
    text = json.dumps(package).replace('"amount": 1', '"amount":\n' + "[" * 1100 + "]" * 1100, 1)
    assert problems(text.encode()) == ["x.ocds.json:2: nested more than 1024 levels deep"]
