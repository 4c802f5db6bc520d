"""The plugin as a user meets it: discovered through its entry point, and its rules in `capcheck check x.ocds.json`
(capcheck's own built-in loader reads the OCDS file)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from capcheck.app.plugins import build_plugin_manager
from click.testing import Result

RunCli = Callable[..., Result]
MODULE = "capcheck_ocds.plugin"


@pytest.mark.usefixtures("installed_plugin")
def test_the_installed_plugin_is_discovered_through_its_entry_point(run_cli: RunCli) -> None:
    _pm, infos = build_plugin_manager()
    [info] = [i for i in infos if i.name == "ocds"]
    assert (info.origin, info.distribution) == ("entry point", "capcheck-ocds")
    listing = run_cli("plugins")
    assert listing.exit_code == 0, listing.stderr
    [line] = [line for line in listing.stdout.splitlines() if line.startswith("ocds ")]
    assert "entry point" in line and "(capcheck-ocds " in line
    rules = json.loads(run_cli("rules", "list", "--format", "json").stdout)
    sources = {r["id"]: r["source"] for r in rules if r["id"] in ("ocds.COMM-910", "ocds.COMM-911")}
    assert sources["ocds.COMM-910"]["distribution"] == "capcheck-ocds"
    assert sources["ocds.COMM-911"]["type"] != "builtin"


def test_the_plugin_registers_its_rules(run_cli: RunCli) -> None:
    listing = run_cli("plugins")
    assert listing.exit_code == 0, listing.stderr
    [line] = [line for line in listing.stdout.splitlines() if line.startswith(("ocds ", f"{MODULE} "))]
    assert "1 rule" in line or "rules" in line
    rules = {r["id"]: r for r in json.loads(run_cli("rules", "list", "--format", "json").stdout)}
    assert rules["ocds.COMM-910"]["title"] == "A fair share of contract value goes to SMEs"
    assert rules["ocds.COMM-911"]["title"] == "Contracts shown as active have not passed their end date"


def _check(run_cli: RunCli, *args: str) -> dict:
    result = run_cli("check", "contracts.ocds.json", "--as-of", "2026-01-01", "--format", "json", *args)
    assert result.exit_code == 1, result.stderr  # failures at or above 'low'
    doc: dict = json.loads(result.stdout)
    return doc


def test_check_an_ocds_file_end_to_end(run_cli: RunCli) -> None:
    doc = _check(
        run_cli, "--select", "ocds.COMM-911", "--select", "COMM-008", "--select", "ocds.COMM-910", "--include-passed"
    )
    [info] = doc["evidence"]
    assert (info["path"], info["format"], info["kind"], info["records"]) == (
        "contracts.ocds.json",
        "ocds",
        "supplier-contracts",
        14,
    )
    assert info["source"].endswith("; 14 awards mapped from 19 releases")
    assert "1 award not mapped (1 no supplier): /releases/18/awards/0" in info["notes"]
    failed = {(f["rule_id"], f["evidence"]["record_id"]): f for f in doc["findings"] if f["status"] == "fail"}
    # ocds.COMM-911: five awards still published as active ended before 2026-01-01.
    ended = sorted(rid for rule_id, rid in failed if rule_id == "ocds.COMM-911")
    assert len(ended) == 5
    kpmg = failed[("ocds.COMM-911", "ocds-b5fd17-71b2b17c-1e8c-4a47-a886-0dd552b773a9-1")]
    assert kpmg["message"] == (
        "contract ocds-b5fd17-71b2b17c-1e8c-4a47-a886-0dd552b773a9-1 (CCS RM6187 Direct Award - LD Fresh Eyes "
        "Review) with KPMG LLP is recorded as active but ended on 2024-04-30"
    )
    evidence = kpmg["evidence"]
    assert evidence["file"] == "contracts.ocds.json"
    assert evidence["pointer"] == "/releases/10/awards/0"  # the award in the OCDS file, not /records/<i>
    published = json.loads(Path("contracts.ocds.json").read_bytes())
    assert published["releases"][10]["awards"][0]["id"] == evidence["record_id"]
    lines = Path("contracts.ocds.json").read_text().splitlines()
    assert lines[evidence["line"] - 1].strip() == "{"
    assert '"id": "ocds-b5fd17-71b2b17c-1e8c-4a47-a886-0dd552b773a9-1"' in lines[evidence["line"]]
    # The core rule pack judges the OCDS records too: COMM-008, a direct award above the threshold.
    webex = failed[("COMM-008", "ocds-b5fd17-92b3f797-6cf1-4acf-bf68-efcb8c78590d-1")]
    assert "was procured by direct-award, not a competitive route" in webex["message"]
    # ocds.COMM-910: one aggregate over the register; SME suppliers hold most of the value here.
    [sme] = [f for f in doc["findings"] if f["rule_id"] == "ocds.COMM-910"]
    assert sme["status"] == "pass"
    assert "went to SMEs; the target is 33%" in sme["message"]


def test_text_output_shows_file_and_line(run_cli: RunCli) -> None:
    result = run_cli("check", "contracts.ocds.json", "--as-of", "2026-01-01", "--select", "ocds.COMM-911", "--compact")
    assert result.exit_code == 1, result.stderr
    assert (
        "contracts.ocds.json:1505: ocds.COMM-911 medium ocds-b5fd17-71b2b17c-1e8c-4a47-a886-0dd552b773a9-1: "
        in result.stdout
    )
    # What the loader did not map is listed under Notes, file by file.
    assert "\nNotes\n  contracts.ocds.json: 2 releases without awards or contracts" in result.stdout
    assert "\n  contracts.ocds.json: 1 award not mapped (1 no supplier): /releases/18/awards/0\n" in result.stdout


def test_a_directory_is_walked_for_ocds_files(run_cli: RunCli, workdir: Path) -> None:
    (workdir / "published").mkdir()
    (workdir / "contracts.ocds.json").rename(workdir / "published" / "contracts.ocds.json")
    result = run_cli("check", "published", "--as-of", "2026-01-01", "--select", "ocds.COMM-911", "--format", "json")
    assert result.exit_code == 1, result.stderr
    assert [e["format"] for e in json.loads(result.stdout)["evidence"]] == ["ocds"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            '{"kind": "supplier-contracts", "records": []}',
            "bad.ocds.json:1: /kind: this is a capcheck evidence document ('kind' and 'records'), not OCDS",
        ),
        (
            '{"uri": "x",\n "publisher": {"name": "us"}}',
            "bad.ocds.json:1: /: not an OCDS package: expected 'releases' (a release package) or 'records'",
        ),
        (
            '{"releases": [\n  {"ocid": "ocds-1", "awards": [\n    {"id": "1", "status": "active"}]}]}',
            "bad.ocds.json:3: /releases/0/awards/0: this award cannot be read as a contract: no supplier",
        ),
    ],
)
def test_bad_ocds_stops_the_run_with_a_located_message(
    run_cli: RunCli, workdir: Path, content: str, expected: str
) -> None:
    (workdir / "bad.ocds.json").write_text(content)
    result = run_cli("check", "bad.ocds.json")
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
