"""OCDS across files: a contracting process's releases, in whichever files, compiled by the OCDS merge routine."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from capcheck.app.config import Config
from capcheck.app.runner import Registry, load_registry
from capcheck.builtins.loaders.ocds import Compiler, block_lines, release_blocks, value_lines
from capcheck.core.errors import EvidenceError
from capcheck.core.evidence import EvidenceSet, load_evidence
from capcheck.core.mapping_config import compile_mappings
from capcheck.core.models import display_path

DATA = Path(__file__).resolve().parent.parent / "data"
#: 19 real Contracts Finder and Sell2Wales releases (OGL v3.0; see tests/data/real/README.md).
EXTRACT = DATA / "real" / "contracts-finder-extract.ocds.json"
#: Hand-made: one process's tender, award and award update in three files (a package, a package, JSON Lines),
#: a contract in one file for an award in another (award id 7, contract awardID "7"), and a release repeated.
SPLIT = DATA / "ocds-split"
KIND = "supplier-contracts"
#: The record fields that say where the record's data are (they differ with the files, not with the data).
PLACES = ("ocds_pointer", "ocds_releases")


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry(Config(), [], [])


def evidence(registry: Registry, *paths: Path) -> EvidenceSet:
    return load_evidence(
        list(paths), loaders=registry.loaders, kinds=registry.kinds, content_loaders=registry.content_loaders
    )


def contents(found: EvidenceSet) -> list[dict[str, Any]]:
    """The records without where they are, in a stable order."""
    return sorted(({k: v for k, v in r.items() if k not in PLACES} for r in found.records(KIND)), key=str)


def package(releases: list[Any], template: dict[str, Any]) -> bytes:
    return json.dumps({**template, "releases": releases}, indent=1).encode()


def test_the_real_extract_split_across_files_reads_as_its_package_does(registry: Registry, tmp_path: Path) -> None:
    """Publishers split a process's releases across monthly packages: the award in one, its update in the next.
    Each file was read on its own, and the award released again was a duplicate id (exit 2). Read together, the
    files give the package's contracts, whatever their order or names."""
    whole = json.loads(EXTRACT.read_text(encoding="utf-8"))
    releases = whole["releases"]
    for name, start in (("p1.ocds.json", 0), ("p2.ocds.json", 1), ("p3.ocds.json", 2)):
        (tmp_path / "split" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "split" / name).write_bytes(package(releases[start::3], whole))
    one = evidence(registry, EXTRACT)
    split = evidence(registry, tmp_path / "split")
    assert contents(split) == contents(one)
    assert len(contents(one)) == 14
    # An award and its later release in two files: the record is where the latest release is, and lists both.
    across = [r for r in split.records(KIND) if len({p.split(" ")[0] for p in r.get("ocds_releases", [])}) > 1]
    assert across
    for record in across:
        latest = record["ocds_releases"][-1].split(" ")[0]
        assert split.ref(KIND, record["id"]).file == latest
    # The same files under other names, given in the other order: the same contracts.
    (tmp_path / "renamed").mkdir()
    for old, new in (("p1", "z"), ("p2", "y"), ("p3", "x")):
        shutil.copy(tmp_path / "split" / f"{old}.ocds.json", tmp_path / "renamed" / f"{new}.ocds.json")
    renamed = evidence(registry, *sorted((tmp_path / "renamed").iterdir(), reverse=True))
    assert contents(renamed) == contents(one)


def test_a_process_in_three_files_is_compiled_field_by_field(registry: Registry) -> None:
    found = evidence(registry, SPLIT)
    a1 = found.get(KIND, "ocds-m-1/A1")
    assert a1 is not None
    # The tender (file a) gives the title and route; the award (file b) the supplier and start; the update
    # (file c) a new amount, keeping the currency, and a null end date removes it.
    assert (a1["title"], a1["procurement_route"], a1["buyer"]) == (
        "Cloud hosting",
        "framework-call-off",
        "NHS Example Trust",
    )
    assert (a1["supplier"], a1["sme"], a1["supplier_id"], a1["start_date"]) == (
        "Acme Ltd",
        True,
        "01234567",
        "2025-03-01",
    )
    assert (a1["value"], a1["currency"], a1.get("end_date")) == (1500, "GBP", None)
    assert a1["ocds_release_id"] == "m1-update"
    a, b, c = (_shown(SPLIT / name) for name in ("a-tender.ocds.json", "b-award.ocds.json", "c-update.jsonl"))
    assert a1["ocds_releases"] == [
        f"{a} /releases/0 (m1-tender)",
        f"{b} /releases/0 (m1-award)",
        f"{c} line 1 (m1-update)",
    ]
    ref = found.ref(KIND, "ocds-m-1/A1")
    assert (ref.file, ref.line, ref.pointer) == (c, 1, "/awards/0")
    # A contract in file c for an award in file b (award id 7, awardID "7": ids compare as text): the contract's
    # status wins; it was "a contract whose award is not in this file".
    m2 = found.get(KIND, "ocds-m-2/7")
    assert m2 is not None and (m2["status"], m2["value"]) == ("active", 500)
    assert found.ref(KIND, "ocds-m-2/7").file == b
    tender, _award, update = found.files
    assert tender.records == 0 and "1 release without awards or contracts (planning, tender) not mapped" in tender.notes
    assert f"1 release compiled with releases of the same contracting processes (ocid) in {b}, {c}: each record" in (
        " ".join(tender.notes)
    )
    assert f"1 release also in {b}, the same: read once" in update.notes


def test_the_compiled_records_do_not_depend_on_file_names_or_order(registry: Registry, tmp_path: Path) -> None:
    for source in SPLIT.iterdir():
        # Reversed names: the walk reads c's JSON Lines first and a's tender last.
        shutil.copy(source, tmp_path / source.name.replace("a-", "3-").replace("b-", "2-").replace("c-", "1-"))
    assert contents(evidence(registry, tmp_path)) == contents(evidence(registry, SPLIT))


def _shown(path: Path) -> str:
    """How capcheck shows a path (relative to the working directory where it can)."""
    return display_path(path)


def test_a_release_given_twice_with_other_content_names_both_files(registry: Registry, tmp_path: Path) -> None:
    whole = json.loads(EXTRACT.read_text(encoding="utf-8"))
    first = whole["releases"][2]
    changed = json.loads(json.dumps(first))
    changed["awards"][0]["value"]["amount"] = 1
    (tmp_path / "a.ocds.json").write_bytes(package([first], whole))
    (tmp_path / "b.ocds.json").write_bytes(package([changed], whole))
    with pytest.raises(EvidenceError) as info:
        evidence(registry, tmp_path)
    [problem] = info.value.problems
    assert (problem.path, problem.pointer) == (_shown(tmp_path / "b.ocds.json"), "/releases/0")
    assert problem.message.startswith(
        f"release {first['id']!r} of {first['ocid']!r} is also at {_shown(tmp_path / 'a.ocds.json')}:"
    )
    assert "with different content" in problem.message


def test_releases_of_one_date_merge_by_file_name_whatever_the_order(registry: Registry, tmp_path: Path) -> None:
    whole = json.loads(EXTRACT.read_text(encoding="utf-8"))
    first = whole["releases"][2]
    second = json.loads(json.dumps(first))
    second["id"] = "another-release-id"
    second["awards"][0]["value"]["amount"] = 1
    (tmp_path / "x.ocds.json").write_bytes(package([first], whole))
    (tmp_path / "y.ocds.json").write_bytes(package([second], whole))
    for order in (
        (tmp_path / "x.ocds.json", tmp_path / "y.ocds.json"),
        (tmp_path / "y.ocds.json", tmp_path / "x.ocds.json"),
    ):
        [record] = evidence(registry, *order).records(KIND)
        assert record["value"] == 1  # y's: the same date, and y is named after x


def test_a_combining_loaders_problems_stay_in_the_order_of_the_files(registry: Registry, tmp_path: Path) -> None:
    lone = {"ocid": "o", "id": "r", "date": "2025-01-01T00:00:00Z", "tag": ["contract"], "initiationType": "tender"}
    lone["contracts"] = [{"id": "C1", "awardID": "A1", "status": "active"}]
    (tmp_path / "a.ocds.json").write_text(json.dumps({"releases": [lone]}))
    (tmp_path / "b.json").write_text("{")
    with pytest.raises(EvidenceError) as info:
        evidence(registry, tmp_path)
    assert [Path(p.path or "").name for p in info.value.problems] == ["a.ocds.json", "b.json"]


def test_a_release_file_whose_only_award_has_a_gap_is_a_note_beside_the_others(
    registry: Registry, tmp_path: Path
) -> None:
    """Publishers' APIs serve a release a file. The real extract's award with no supplier (/releases/18) in a file
    of its own stopped the check ('this award cannot be read as a contract: no supplier'); in the package it is a
    note. Given together, the files are one evidence: the same 14 contracts, the gap a note on its file."""
    whole = json.loads(EXTRACT.read_text(encoding="utf-8"))
    template = {k: v for k, v in whole.items() if k != "releases"}
    releases = whole["releases"]
    assert releases[18]["awards"][0]["suppliers"] == [{"id": "GB-CFS-173", "name": None}]  # named nowhere
    (tmp_path / "notices.json").write_bytes(package(releases[:18], template))
    (tmp_path / "notice-19.json").write_bytes(package(releases[18:], template))
    found = evidence(registry, tmp_path)
    assert contents(found) == contents(evidence(registry, EXTRACT))
    assert len(found.records(KIND)) == 14
    [alone] = [f for f in found.files if Path(f.path).name == "notice-19.json"]
    assert alone.records == 0
    assert "1 award not mapped (1 no supplier): /releases/0/awards/0" in alone.notes
    # that file alone still yields no contract: its gap is an error
    with pytest.raises(EvidenceError) as info:
        evidence(registry, tmp_path / "notice-19.json")
    assert [(p.pointer, p.message) for p in info.value.problems] == [
        ("/releases/0/awards/0", "this award cannot be read as a contract: no supplier")
    ]


def test_the_compiler_follows_the_ocds_merge_routine_and_changes_no_release() -> None:
    first: dict[str, Any] = {
        "id": "r1",
        "date": "2025-01-01T00:00:00Z",
        "tag": ["award"],
        "ocid": "o",
        "tender": {"title": "T", "value": {"amount": 1, "currency": "GBP"}, "submissionMethod": ["electronic"]},
        "parties": [{"id": 1, "name": "A", "additionalIdentifiers": [{"id": "x"}, {"id": "y"}]}],
        "awards": [{"id": "A1", "status": "pending", "title": "old"}, {"title": "no id"}],
    }
    second: dict[str, Any] = {
        "id": "r2",
        "tag": ["awardUpdate"],
        "tender": {"value": {"amount": 2}, "submissionMethod": ["written"]},
        "parties": [{"id": "1", "additionalIdentifiers": [{"id": "z"}]}, {"id": 2, "name": "B"}],
        "awards": [{"id": "A1", "status": "active", "title": None}, {"title": "no id"}],
        "contracts": [],
    }
    as_given = json.dumps([first, second])
    compiler = Compiler()
    compiler.add(first)
    into = compiler.add(second)
    compiled = compiler.compiled
    assert json.dumps([first, second]) == as_given  # values are shared with the releases, copied before a change
    assert "id" not in compiled and "tag" not in compiled and "date" not in compiled  # omitted when merged
    assert compiled["tender"] == {
        "title": "T",
        "value": {"amount": 2, "currency": "GBP"},
        "submissionMethod": ["written"],
    }
    # Items by id (1 and "1" are one party); a whole-list array replaced; a new id appended.
    assert compiled["parties"] == [
        {"id": "1", "name": "A", "additionalIdentifiers": [{"id": "z"}]},
        {"id": 2, "name": "B"},
    ]
    # null removes a field; an item without an id is never merged with another.
    assert compiled["awards"] == [{"id": "A1", "status": "active"}, {"title": "no id"}, {"title": "no id"}]
    assert into["awards"][0] is compiled["awards"][0] and into["awards"][1] is compiled["awards"][2]
    assert "contracts" not in compiled  # an empty array of objects changes nothing


# ---------------------------------------------------------------------------------------------
# Lines of awards in a large package, from where the keys are
# ---------------------------------------------------------------------------------------------


def _items(path: tuple[str | int, ...]) -> bool:
    return len(path) >= 2 and path[-2] in ("awards", "contracts") and isinstance(path[-1], int)


def _blocks(doc: dict[str, Any]) -> list[tuple[Any, str, int]]:
    return [b for i, r in enumerate(doc["releases"]) for b in release_blocks(("releases", i), r)]


@pytest.mark.parametrize("indent", [None, 1, 4])
def test_award_lines_from_the_keys_agree_with_the_token_scan(indent: int | None) -> None:
    whole = json.loads(EXTRACT.read_text(encoding="utf-8"))
    # Several awards in one release, and contracts before awards in another.
    whole["releases"][2]["awards"].append({**whole["releases"][2]["awards"][0], "id": "second"})
    whole["releases"][3] = {"contracts": [{"id": "C", "awardID": "x"}], **whole["releases"][3]}
    data = json.dumps(whole, indent=indent).encode()
    fast = block_lines(data, _blocks(whole))
    assert fast == value_lines(data, _items)
    assert len(fast) >= 17


def test_a_key_of_that_name_elsewhere_is_never_taken_for_a_release_key() -> None:
    """A nested "awards" key (an extension's) makes the keys outnumber the releases' own: no fast answer (the
    loader then scans every token); a key merely containing the name (escaped quotes) is not one."""
    whole = json.loads(EXTRACT.read_text(encoding="utf-8"))
    whole["releases"][1]["planning"] = {"awards": [{"id": "not an award"}]}
    assert block_lines(json.dumps(whole, indent=1).encode(), _blocks(whole)) == {}
    del whole["releases"][1]["planning"]
    whole["releases"][1]['x"awards'] = ["not a key of awards"]
    data = json.dumps(whole, indent=1).encode()
    assert b'\\"awards"' in data
    assert block_lines(data, _blocks(whole)) == value_lines(data, _items) != {}


def test_a_finding_on_a_nested_awards_key_file_is_still_located(registry: Registry, tmp_path: Path) -> None:
    whole = json.loads(EXTRACT.read_text(encoding="utf-8"))
    whole["releases"][0]["planning"] = {"awards": [{"id": "not an award"}]}
    path = tmp_path / "p.ocds.json"
    path.write_text(json.dumps(whole, indent=1))
    found = evidence(registry, path)
    data = path.read_bytes()
    lines = value_lines(data, _items)
    for record in found.records(KIND):
        ref = found.ref(KIND, record["id"])
        steps = tuple(int(p) if p.isdigit() else p for p in (ref.pointer or "").split("/")[1:])
        assert ref.line == lines[steps]


def test_a_mapping_naming_an_ocds_file_applies_to_its_combined_records(registry: Registry, tmp_path: Path) -> None:
    """A mapping named file is read by its extension's loader (no content recognition); for OCDS the mapping
    applies once the files are combined, to the records each file ends up holding."""
    for source in SPLIT.iterdir():
        shutil.copy(source, tmp_path / source.name)
    table = {
        "files": "b-award.ocds.json",
        "kind": KIND,
        "values": {"status": {"active": "active", "pipeline": "pipeline"}},
    }
    table["rename"] = {"ocds_award_id": "award_ref"}
    found = load_evidence(
        [tmp_path],
        loaders=registry.loaders,
        kinds=registry.kinds,
        content_loaders=registry.content_loaders,
        mappings=compile_mappings([table], shown="capcheck.toml"),
    )
    [mapped] = [f for f in found.files if f.path.endswith("b-award.ocds.json")]
    assert mapped.mapping is not None and mapped.records == 1
    b_record, c_record = found.get(KIND, "ocds-m-2/7"), found.get(KIND, "ocds-m-1/A1")
    assert b_record is not None and c_record is not None
    assert (b_record["award_ref"], "ocds_award_id" in b_record) == ("7", False)  # b's record, mapped
    assert (c_record["ocds_award_id"], "award_ref" in c_record) == ("A1", False)  # c's record, not


def test_two_record_packages_of_one_process_give_its_latest_state(registry: Registry, tmp_path: Path) -> None:
    """A record's compiled release is the process's state at a time, often under one id from month to month:
    two record packages holding it are two states, merged by date, not a release given twice."""
    whole = json.loads(EXTRACT.read_text(encoding="utf-8"))
    earlier = json.loads(json.dumps(whole["releases"][2]))
    later = json.loads(json.dumps(earlier))
    earlier["id"] = later["id"] = f"{earlier['ocid']}-compiled"
    later["date"] = "2030-01-01T00:00:00Z"
    later["awards"][0]["value"]["amount"] = 1
    for name, compiled in (("a.ocds.json", later), ("b.ocds.json", earlier)):
        records = [{"ocid": compiled["ocid"], "compiledRelease": compiled}]
        (tmp_path / name).write_text(json.dumps({"uri": "x", "version": "1.1", "records": records}))
    [record] = evidence(registry, tmp_path).records(KIND)
    assert record["value"] == 1


def test_a_process_of_many_award_releases_costs_in_proportion(registry: Registry, tmp_path: Path) -> None:
    """A hostile (or a framework's) process: n releases of one ocid, each awarding once. Each release rebuilt the
    compiler's index of award ids, and each of the n records wrote the n releases' places anew: 4,000 releases
    took 11 CPU s and 1.7 GB. Eight times the releases must cost about eight times the compiling, not 64, and
    the records share the places' text."""
    award = json.loads((SPLIT / "b-award.ocds.json").read_text(encoding="utf-8"))
    template, release = {k: v for k, v in award.items() if k != "releases"}, award["releases"][0]

    def releases(n: int) -> list[dict[str, Any]]:
        return [
            {**release, "id": f"r{i}", "tender": {"id": "t", "title": "Hosting"}, "awards": [{"id": f"A{i}", "v": i}]}
            for i in range(n)
        ]

    def cpu(n: int) -> float:
        given = releases(n)
        started = time.process_time()
        compiler = Compiler()
        for one in given:
            compiler.add(one)
        spent = time.process_time() - started
        assert [a["id"] for a in compiler.compiled["awards"]] == [f"A{i}" for i in range(n)]
        return spent

    small = min(cpu(500) for _ in range(3))
    assert min(cpu(4000) for _ in range(2)) < 24 * max(small, 0.002)

    (tmp_path / "p.ocds.json").write_bytes(package(releases(40), template))
    for one in (tmp_path / "p.ocds.json",):
        text = one.read_text(encoding="utf-8").replace('"v": ', '"status": "active", "v": ')
        one.write_text(
            text.replace(
                '"v": ',
                '"value": {"amount": 1, "currency": "GBP"}, "suppliers": [{"id": "S1",'
                ' "name": "Acme"}], "contractPeriod": {"startDate": "2025-03-01T00:00:00Z"},'
                ' "v": ',
            ),
            encoding="utf-8",
        )
    first, *others = evidence(registry, tmp_path).records(KIND)
    assert len(others) == 39 and len(first["ocds_releases"]) == 40
    # One list for the process: a list of the n places per record was 8 bytes a release a record (8,000
    # releases: 598 MiB peak, 1.2 CPU s to load; shared, 113 MiB and 0.4 s).
    assert all(other["ocds_releases"] is first["ocds_releases"] for other in others)


def test_a_note_names_a_few_of_the_files_a_process_shares(registry: Registry, tmp_path: Path) -> None:
    """n files of one release each of one process: each file's note named the n - 1 others (and each file held a
    set of them): 20,000 such files ran out of 4 GB. A note names five and counts the rest."""
    award = json.loads((SPLIT / "b-award.ocds.json").read_text(encoding="utf-8"))
    template, release = {k: v for k, v in award.items() if k != "releases"}, award["releases"][0]
    for i in range(12):
        given = {**release, "id": f"r{i}", "tender": {"id": "t", "title": "Hosting"}}
        given["awards"] = [{**release["awards"][0], "id": f"A{i}"}]
        (tmp_path / f"p{i:02}.ocds.json").write_bytes(package([given], template))
    found = evidence(registry, tmp_path)
    [note] = [n for n in found.files[0].notes if "compiled with releases" in n]
    others = ", ".join(display_path(tmp_path / f"p{i:02}.ocds.json") for i in range(1, 6))
    assert f"(ocid) in {others} and 6 more files: each record" in note
    [note] = [n for n in found.files[5].notes if "compiled with releases" in n]
    others = ", ".join(display_path(tmp_path / f"p{i:02}.ocds.json") for i in (0, 1, 2, 3, 4))
    assert f"(ocid) in {others} and 6 more files: each record" in note
