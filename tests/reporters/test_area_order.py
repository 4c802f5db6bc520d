"""One order of areas in every format: the review's (``Area.order``), never the areas' ids sorted.

The example's evidence fails rules in every area. Each format is rendered from one run and the
areas of its findings are read back in the order the format lists them: the archival formats
(JSON, CSV, SARIF, JUnit) list them area by area in the review's order; the views a person reads from
the top (the terminal, the HTML report's table, the Markdown report's failures, and the CI annotations,
capped per step) put the most severe first and, within a severity, the review's order.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from capcheck.app.config import Config
from capcheck.app.runner import load_registry
from capcheck.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EVIDENCE = ROOT / "examples" / "northgate-health-digital" / "evidence"
RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


@pytest.fixture(scope="module")
def review() -> dict[str, int]:
    areas = sorted(load_registry(Config()).areas.values(), key=lambda a: (a.order, a.id))
    ranks = {a.id: i for i, a in enumerate(areas)}
    assert list(ranks) != sorted(ranks), "the review's order must differ from the ids' for this test to mean much"
    return ranks


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("reports")
    formats = ("json", "csv", "sarif", "html", "junit", "markdown", "text")
    args = ["check", str(EVIDENCE), "--as-of", "2026-11-25", "--no-progress", "--format", "json"]
    args += ["-o", str(out / "main.json")]
    for name in formats:
        args += ["--report", f"{name}={out / ('report.' + name)}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    return {name: (out / f"report.{name}").read_text(encoding="utf-8") for name in formats}


def _runs(areas: list[str]) -> list[str]:
    """The areas in the order they come, each run of one area once."""
    out: list[str] = []
    for area in areas:
        if not out or out[-1] != area:
            out.append(area)
    return out


def _area_of(rule_id: str) -> str:
    return rule_id.rsplit(".", 1)[-1].split("-")[0]


def _in_review_order(areas: list[str], review: dict[str, int], at_least: int) -> None:
    runs = _runs(areas)
    assert len(runs) == len(set(runs)), f"an area comes back after another: {runs}"
    assert runs == sorted(runs, key=review.__getitem__), runs
    assert len(runs) >= at_least, runs


def test_archival_formats_list_areas_in_the_review_order(reports: dict[str, str], review: dict[str, int]) -> None:
    orders = {
        "json": [f["area"] for f in json.loads(reports["json"])["findings"]],
        "csv": [row["area"] for row in csv.DictReader(io.StringIO(reports["csv"]))],
        "sarif": [_area_of(r["ruleId"]) for r in json.loads(reports["sarif"])["runs"][0]["results"]],
        "junit": [s.get("name", "").split()[0] for s in ET.fromstring(reports["junit"]).iter("testsuite")],
    }
    for areas in orders.values():
        _in_review_order(areas, review, at_least=len(review))
    summary = list(json.loads(reports["json"])["summary"]["by_area"])
    assert summary == sorted(summary, key=review.__getitem__)


def test_the_terminal_puts_the_most_severe_first_then_the_review_order(
    reports: dict[str, str], review: dict[str, int]
) -> None:
    text = re.findall(r"^(CRITICAL|HIGH|MEDIUM|LOW|INFO)\s+([A-Z]+)-\d{3}", reports["text"], re.M)
    assert len(text) >= 3
    keys = [(-RANK[sev.lower()], review[area]) for sev, area in text]
    assert keys == sorted(keys), text


def test_the_html_report_puts_the_most_important_first_then_the_review_order(
    reports: dict[str, str], review: dict[str, int]
) -> None:
    """The page's first rows are what a reader must see (the example's 18 critical failures come late in
    the review's order, beyond the first page): errors, failures most severe first, then accepted failures,
    skips; within one status class and severity, the review's order."""
    attention = {"error": 0, "fail": 1, "waived": 2, "baselined": 2, "skip": 3, "pass": 4}
    rows = _html_rows(reports["html"])
    keys = [(attention[str(r[0])], -RANK[str(r[1])], review[str(r[2])]) for r in rows]
    assert keys == sorted(keys)
    critical = [r for r in rows if r[:2] == ["fail", "critical"]]
    assert critical and rows[: len(critical)] == critical
    assert len({r[2] for r in critical}) >= 2, "the review's order is held within a severity"


def test_the_markdown_report_lists_the_most_important_failures_first_then_the_review_order(
    reports: dict[str, str], review: dict[str, int]
) -> None:
    """A pull-request comment lists 50 of the example's 1,199 failures: they were the first 50 area by area (all
    ROLE, none of the 18 critical failures); now errors, then failures most severe first, each severity in the
    review's order of areas, and the note says by severity what the cap left out."""
    failures = _markdown(reports["markdown"])
    rows = re.findall(r"^\| (\*\*error\*\*|fail) \| (\w+) \| `([A-Z]+)-\d{3}` \|", failures, re.M)
    keys = [(status == "fail", -RANK[sev], review[area]) for status, sev, area in rows]
    assert keys == sorted(keys), rows
    summary = json.loads(reports["json"])["summary"]
    assert len(rows) == 50 < summary["by_status"]["fail"]
    critical = [r for r in rows if r[1] == "critical"]
    assert len(critical) == 18 and rows[:18] == critical
    assert len({r[2] for r in critical}) >= 2, "the review's order is held within a severity"
    assert "#### Critical failures (18)" in failures
    left_out = re.search(r"truncated: (\d+) more findings.*Left out: (.*)\.$", failures, re.M)
    assert left_out, failures[-600:]
    named = dict((m[2], int(m[1])) for m in re.finditer(r"(\d+) (\w+) failures?", left_out[2]))
    assert "critical" not in named and sum(named.values()) == int(left_out[1])


def _html_rows(page: str) -> list[list[object]]:
    block = page[page.index('<script type="application/json" id="findings-data">') :]
    block = block[block.index(">") + 1 : block.index("</script>")]
    rows: list[list[object]] = json.loads(block)["rows"]
    return rows


def _markdown(markdown: str) -> str:
    """The Markdown report's failures section (the summary tables above it list areas, not findings)."""
    start = markdown.find("### Failures and errors")
    assert start != -1, markdown[:2000]
    return markdown[start:]
