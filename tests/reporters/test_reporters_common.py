"""All five reporters: registered as built-in plugins, written by the CLI, scorecard gate shown."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from capcheck.app.config import Config
from capcheck.app.runner import load_registry
from capcheck.builtins.reporters.csv import render_csv
from capcheck.builtins.reporters.html import render_html
from capcheck.builtins.reporters.json import render_json
from capcheck.builtins.reporters.junit import render_junit
from capcheck.builtins.reporters.markdown import render_markdown
from capcheck.builtins.reporters.sarif import render_sarif
from capcheck.builtins.reporters.text import render_text
from capcheck.cli import cli
from capcheck.core.models import Finding, RunResult, Status
from capcheck.core.reporting import RenderOptions, finding_subject, subject_label

FORMATS = {"sarif": ".sarif", "junit": ".xml", "markdown": ".md", "csv": ".csv", "html": ".html"}
RENDERERS = (render_sarif, render_junit, render_markdown, render_csv, render_html)
GATE = "COMM: level 2 (developing) is below the minimum level 3"


def test_registered_as_built_in_plugins() -> None:
    registry = load_registry(Config())
    for name, extension in FORMATS.items():
        reporter = registry.reporters[name]
        assert reporter.extension == extension
        assert reporter.description


def test_cli_writes_every_format(tmp_path: Path) -> None:
    evidence = Path(__file__).parent / "fixtures" / "evidence"
    args = ["check", str(evidence), "--as-of", "2026-11-25", "--format", "sarif", "-o", str(tmp_path / "out.sarif")]
    for name, extension in FORMATS.items():
        args += ["--report", f"{name}={tmp_path / ('report' + extension)}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert json.loads((tmp_path / "report.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    ET.fromstring((tmp_path / "report.xml").read_text(encoding="utf-8"))
    assert (tmp_path / "report.md").read_text(encoding="utf-8").startswith("## ")
    assert (tmp_path / "report.csv").read_text(encoding="utf-8").startswith("rule_id,")
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("render", RENDERERS, ids=lambda r: r.__name__)
def test_renders_every_result(
    render: object, full_result: RunResult, default_result: RunResult, empty_result: RunResult, options: RenderOptions
) -> None:
    for result in (full_result, default_result, empty_result):
        text = render(result, options)  # type: ignore[operator]
        assert isinstance(text, str) and text.endswith("\n")


@pytest.mark.parametrize("render", RENDERERS, ids=lambda r: r.__name__)
def test_deterministic(render: object, default_result: RunResult, options: RenderOptions) -> None:
    assert render(default_result, options) == render(default_result, options)  # type: ignore[operator]


def test_gate_failures_are_shown(default_result: RunResult, options: RenderOptions, schemas: Path) -> None:
    gated = dataclasses.replace(default_result, gate_failures=(GATE,))
    assert GATE in render_markdown(gated, options)
    assert "Gate failed" in render_html(gated, options)
    sarif = json.loads(render_sarif(gated, options))
    assert sarif["runs"][0]["invocations"][0]["properties"]["gateFailures"] == [GATE]
    junit = render_junit(gated, options)
    root = ET.fromstring(junit)
    case = root.find(".//testcase[@classname='capcheck.COMM.gate']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "gate"
    suite = root.find("testsuite[@package='capcheck.COMM']")
    assert suite is not None
    assert int(suite.get("failures", "0")) == sum(1 for c in suite.iter("testcase") if c.find("failure") is not None)
    xmlschema = pytest.importorskip("xmlschema", reason="xmlschema is a test dependency")
    for xsd in ("junit-10.xsd", "JUnit.xsd"):
        xmlschema.XMLSchema(str(schemas / xsd)).validate(junit)


def test_docs_cover_every_format() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "reporters.md").read_text(encoding="utf-8")
    for name, extension in FORMATS.items():
        assert f"`{name}`" in docs and f"`{extension}`" in docs


def test_an_undecodable_file_name_is_reported_not_fatal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The defect: a directory named with a non-UTF-8 byte gave paths with a lone surrogate ("\udcff"), and the
    # JSON reporter failed ("surrogates not allowed"), as did writing SARIF, CSV or Markdown to a UTF-8 file.
    evidence = Path(__file__).parent / "fixtures" / "evidence" / "it-assets.csv"
    folder = os.fsencode(tmp_path) + b"/ev/sub\xff"
    os.makedirs(folder)
    with open(folder + b"/it-assets.csv", "wb") as fh:
        fh.write(evidence.read_bytes())
    monkeypatch.chdir(tmp_path)
    args = ["check", "ev", "--as-of", "2026-11-25", "--format", "json", "-o", "out.json"]
    for name, extension in FORMATS.items():
        args += ["--report", f"{name}=report{extension}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    doc = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert doc["evidence"][0]["path"] == "ev/sub\\udcff/it-assets.csv"
    sarif = json.loads((tmp_path / "report.sarif").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["artifacts"][0]["location"]["uri"] == "ev/sub%FF/it-assets.csv"
    assert "ev/sub\\udcff/it-assets.csv" in (tmp_path / "report.csv").read_text(encoding="utf-8")
    ET.fromstring((tmp_path / "report.xml").read_bytes())


def _whole_register(result: RunResult) -> tuple[RunResult, Finding]:
    """``result`` with one failure about a whole register (group ``all``) beside one about a record."""
    record = next(
        f for f in result.findings if f.status is Status.FAIL and f.evidence is not None and f.evidence.record_id
    )
    assert record.evidence is not None
    whole = dataclasses.replace(
        record, group="all", evidence=dataclasses.replace(record.evidence, record_id=None), fingerprint="a" * 32
    )
    return dataclasses.replace(result, findings=(record, whole)), whole


def test_a_whole_register_is_named_all_kind_records_for_people_and_all_in_the_data(
    default_result: RunResult, options: RenderOptions
) -> None:
    result, whole = _whole_register(default_result)
    assert whole.evidence is not None
    kind = whole.evidence.kind
    label = f"all {kind} records"
    assert finding_subject(whole) == label

    markdown = render_markdown(result, options)
    [row] = [line for line in markdown.splitlines() if f"`{whole.rule_id}`" in line and label in line]
    assert row.count(" \u00b7 ") == 1 and f" \u00b7 {label} | " in row, row
    assert f"{kind}: all" not in markdown

    page = render_html(result, options)
    assert f"<td>{label}</td>" in page
    block = page[page.index('id="findings-data">') :]
    data = json.loads(block[block.index(">") + 1 : block.index("</script>")])
    rows = [dict(zip(sorted(data["columns"], key=data["columns"].get), r, strict=True)) for r in data["rows"]]
    [shown] = [r for r in rows if r["fingerprint"] == whole.fingerprint]
    assert shown["subject"] == label and shown["record"] is None

    text = render_text(result, dataclasses.replace(options, layout="compact", limit=0))
    assert f" {label}: " in text

    sarif = json.loads(render_sarif(result, options))
    results = sarif["runs"][0]["results"]
    [sarif_result] = [r for r in results if r["partialFingerprints"]["capcheckFingerprint/v1"] == whole.fingerprint]
    assert sarif_result["message"]["text"].startswith(f"{label}: ")
    assert sarif_result["properties"]["group"] == "all"
    assert sarif_result["locations"][0]["logicalLocations"][0]["name"] == "all"

    # The data keeps the value: JSON's group, CSV's group column (CSV has no human "record" column).
    [doc] = [f for f in json.loads(render_json(result, options))["findings"] if f["fingerprint"] == whole.fingerprint]
    assert doc["group"] == "all" and "record_id" not in doc["evidence"]
    [csv_row] = [r for r in csv.DictReader(io.StringIO(render_csv(result, options))) if r["fingerprint"] == "a" * 32]
    assert csv_row["group"] == "all" and csv_row["record_id"] == ""


def test_a_fixed_baseline_entry_about_a_whole_register_is_named_like_a_finding(
    governed_result: RunResult, options: RenderOptions
) -> None:
    assert governed_result.baseline is not None
    entry = {
        "rule_id": "DELIV-008",
        "severity": "medium",
        "kind": "products",
        "record_id": None,
        "group": "all",
        "message": "too much waterfall",
        "fingerprint": "f" * 32,
    }
    baseline = dataclasses.replace(governed_result.baseline, fixed=(entry,))
    result = dataclasses.replace(governed_result, baseline=baseline)
    assert "| DELIV-008 | all products records | too much waterfall |" in render_markdown(result, options)
    assert '<td class="mono">all products records</td>' in render_html(result, options)


@pytest.mark.parametrize(
    ("kind", "record_id", "group", "label"),
    [
        ("it-assets", "WEB-01", "all", "WEB-01"),  # a record id wins over any group
        ("it-assets", None, "all", "all it-assets records"),
        ("it-assets", None, "production", "production"),
        ("it-assets", None, None, "it-assets evidence"),
        (None, None, "all", "all records"),
        (None, None, None, "evidence"),
    ],
)
def test_subject_label(kind: str | None, record_id: str | None, group: str | None, label: str) -> None:
    assert subject_label(kind, record_id, group) == label


@pytest.mark.parametrize("fmt", ["text", "compact", "github", "azure"])
def test_a_10_mb_value_makes_no_10_mb_line_in_a_log(default_result: RunResult, fmt: str) -> None:
    """A log is read by people (the text report, the GitHub and Azure logs): a record id and a message of 10 MB
    each made the text report three 10 MB lines and the GitHub log 63 MB. Each value is cut at MAX_LOG_VALUE
    characters, saying how many more the JSON report has."""
    from capcheck.builtins.reporters.azure import render_azure
    from capcheck.builtins.reporters.github import render_github
    from capcheck.core.reporting import MAX_LOG_VALUE

    first = next(f for f in default_result.findings if f.status is Status.FAIL and f.evidence is not None)
    assert first.evidence is not None
    big_id, big_message = "I" * (10 << 20), "M" * (10 << 20)
    evidence = dataclasses.replace(first.evidence, record_id=big_id)
    finding = dataclasses.replace(first, evidence=evidence, message=big_message)
    result = dataclasses.replace(default_result, findings=(finding,))
    options = RenderOptions(color=False, layout="compact" if fmt == "compact" else "grouped", limit=0)
    render = {"github": render_github, "azure": render_azure}.get(fmt, render_text)
    text = render(result, options)
    assert max(len(line) for line in text.splitlines()) < 3 * MAX_LOG_VALUE
    more = f"\u2026 ({(10 << 20) - MAX_LOG_VALUE:,} more characters: the JSON report has it whole)"
    assert "I" * MAX_LOG_VALUE + more in text and "I" * (MAX_LOG_VALUE + 1) not in text
    assert "M" * MAX_LOG_VALUE + more in text and "M" * (MAX_LOG_VALUE + 1) not in text
    assert len(text) < 100_000
