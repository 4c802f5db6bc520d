"""The CSV reporter: one row per finding, fixed columns, formula injection neutralised."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest

from capcheck.builtins.reporters.csv import COLUMNS, render_csv
from capcheck.core.models import RunResult
from capcheck.core.reporting import RenderOptions


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_header_and_rows(full_result: RunResult, options: RenderOptions) -> None:
    text = render_csv(full_result, options)
    rows = _rows(text)
    assert tuple(rows[0]) == COLUMNS
    assert COLUMNS == (
        "rule_id",
        "rule_version",
        "status",
        "severity",
        "area",
        "title",
        "message",
        "kind",
        "record_id",
        "file",
        "line",
        "row",
        "pointer",
        "group",
        "fingerprint",
        "remediation",
        "waiver_ticket",
        "waiver_expires",
        "waiver_approved_by",
    )
    assert len(rows) == len(full_result.findings) + 1
    assert all(len(r) == len(COLUMNS) for r in rows)
    for finding, row in zip(full_result.findings, rows[1:], strict=True):
        cells = dict(zip(COLUMNS, row, strict=True))
        assert cells["rule_id"] == finding.rule_id
        assert cells["status"] == finding.status.value
        assert cells["fingerprint"] == finding.fingerprint
        if finding.evidence is not None and finding.evidence.line is not None:
            assert cells["line"] == str(finding.evidence.line)
    assert "\r\n" not in text.replace('"\r\n', "")  # line terminator is \n
    assert text.endswith("\n")


def test_csv_rows_carry_the_csv_row_number(full_result: RunResult, options: RenderOptions) -> None:
    rows = [dict(zip(COLUMNS, r, strict=True)) for r in _rows(render_csv(full_result, options))[1:]]
    asset_rows = [r for r in rows if r["kind"] == "it-assets" and r["record_id"]]
    assert asset_rows and all(r["row"].isdigit() for r in asset_rows)
    contract_rows = [r for r in rows if r["kind"] == "supplier-contracts" and r["record_id"]]
    assert contract_rows and all(r["row"] == "" for r in contract_rows)


def test_formula_injection_is_neutralised(
    full_result: RunResult, options: RenderOptions, hostile_contract_id: str, hostile_asset_id: str
) -> None:
    rows = _rows(render_csv(full_result, options))
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    ids = {r[COLUMNS.index("record_id")] for r in rows[1:]}
    assert "'" + hostile_asset_id in ids
    assert hostile_contract_id in ids  # starts with '<': left alone, quoted by the csv module
    messages = [r[COLUMNS.index("message")] for r in rows[1:]]
    assert any(m.startswith("'+SUM(1;2)") for m in messages)


def test_empty(empty_result: RunResult, options: RenderOptions) -> None:
    assert render_csv(empty_result, options) == ",".join(COLUMNS) + "\n"


def test_waiver_columns(governed_result: RunResult, options: RenderOptions) -> None:
    rows = [dict(zip(COLUMNS, r, strict=True)) for r in _rows(render_csv(governed_result, options))[1:]]
    assert len(rows) == len(governed_result.findings)
    waived = {(r["rule_id"], r["record_id"]): r for r in rows if r["status"] == "waived"}
    assert len(waived) == governed_result.summary.by_status["waived"] == 3
    comm = waived[("COMM-004", "CON-001")]
    assert (comm["waiver_ticket"], comm["waiver_expires"], comm["waiver_approved_by"]) == (
        "RISK-101",
        "2027-06-30",
        "Director of Commercial",
    )
    assert waived[("INFRA-001", "CI-003")]["waiver_ticket"] == "CHG-2001"
    for r in rows:
        if r["status"] != "waived":
            assert r["waiver_ticket"] == r["waiver_expires"] == r["waiver_approved_by"] == "", r
    assert {r["status"] for r in rows} >= {"fail", "waived", "baselined", "skip"}


def test_hostile_waiver_is_neutralised(
    governed_result: RunResult, options: RenderOptions, hostile_contract_id: str
) -> None:
    rows = _rows(render_csv(governed_result, options))
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    cells = [dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]]
    hostile = next(r for r in cells if r["rule_id"] == "COMM-001" and r["record_id"] == hostile_contract_id)
    assert hostile["status"] == "waived"
    assert hostile["waiver_ticket"] == "'+RISK-102 <b>"
    assert hostile["waiver_approved_by"] == "'=cmd|' /C calc'!A0"


def test_bare_carriage_return_starts_no_row(default_result: RunResult, options: RenderOptions) -> None:
    # The defect: "\r" was left unquoted, so "x\r=1+1" became a second row starting with a live "=1+1".
    finding = dataclasses.replace(default_result.findings[0], message="x\r=1+1")
    text = render_csv(dataclasses.replace(default_result, findings=(finding,)), options)
    assert '"x\r=1+1"' in text
    rows = _rows(text)
    assert len(rows) == 2 and rows[1][COLUMNS.index("message")] == "x\r=1+1"


def test_the_streamed_file_equals_the_rendered_text(
    full_result: RunResult, options: RenderOptions, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``write_csv`` (what ``-o``/``--report`` use) writes exactly what ``render_csv`` returns, in any chunk size."""
    import capcheck.builtins.reporters.csv as module

    text = module.render_csv(full_result, options)
    assert len(list(csv.reader(io.StringIO(text)))) == len(full_result.findings) + 1
    for chunk in (1, 3, 2048):
        monkeypatch.setattr(module, "_CHUNK", chunk)
        out = io.BytesIO()
        module.write_csv(full_result, options, out)
        assert out.getvalue().decode("utf-8") == text
