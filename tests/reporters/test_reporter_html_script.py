"""The HTML report's script run in node over a tiny DOM (fixtures/html_script_dom.js): no browser needed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from capcheck.builtins.reporters.html import _JS, render_html
from capcheck.core.models import RunResult
from capcheck.core.reporting import RenderOptions

NODE = shutil.which("node")
DOM = Path(__file__).resolve().parent / "fixtures" / "html_script_dom.js"
needs_node = pytest.mark.skipif(NODE is None, reason="no node binary on PATH - the script's DOM tests not run")


def _run(page: str, actions: list[str], fragment: str = "") -> list[dict[str, Any]]:
    """The page's state after its script started and after each action (see the DOM stub's header)."""
    assert NODE is not None
    [data] = re.findall(r'<script type="application/json" id="findings-data">(.*?)</script>', page, re.S)
    selects = {
        name: [unescape(v) for v in re.findall(r'<option value="([^"]+)"', body)]
        for name, body in re.findall(r'<select name="(\w+)"[^>]*>(.*?)</select>', page, re.S)
    }
    request = {
        "script": _JS,
        "data": data,
        "sorts": re.findall(r'<th data-sort="(\w+)"', page),
        "selects": selects,
        "hash": fragment,
        "actions": actions,
    }
    proc = subprocess.run(
        [NODE, str(DOM)], input=json.dumps(request), capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    states: list[dict[str, Any]] = json.loads(proc.stdout)
    return states


@needs_node
def test_reset_clears_the_sort_and_the_filters(full_result: RunResult, options: RenderOptions) -> None:
    """Reset cleared the filters but kept a column's sort: the table stayed sorted, its header still marked."""
    page = render_html(full_result, options)
    start, by_rule, descending, filtered, reset = _run(page, ["sort:rule", "sort:rule", "set:status=fail", "reset"])
    assert start["rows"] and set(start["aria"].values()) == {"none"} and start["hash"] == ""
    assert by_rule["aria"]["rule"] == "ascending" and by_rule["hash"] == "#sort=rule"
    assert descending["rows"] != start["rows"], "the sort must change the order, or this test proves nothing"
    assert filtered["hash"] == "#status=fail&sort=-rule" and len(filtered["rows"]) < len(start["rows"])
    assert reset == start, "Reset shows the page as it opened: every row, most important first, no sort marked"


@needs_node
def test_reset_clears_a_sort_read_from_the_url(full_result: RunResult, options: RenderOptions) -> None:
    page = render_html(full_result, options)
    [start] = _run(page, [])
    opened, reset = _run(page, ["reset"], "#sort=-message&q=web")
    assert opened["aria"]["message"] == "descending" and opened["values"]["q"] == "web"
    assert reset == start


def _located(location: str) -> tuple[str, int]:
    """A location as a reader orders it: by file, then by line as a number (none first)."""
    file, _, line = location.rpartition(":")
    return (file, int(line)) if file and line.isdigit() else (location, 0)


@needs_node
def test_sorting_by_location_orders_lines_as_numbers(full_result: RunResult, options: RenderOptions) -> None:
    """`governance-register.yaml:25` came before `governance-register.yaml:6`: locations were compared as text."""
    page = render_html(full_result, options)
    [data] = re.findall(r'<script type="application/json" id="findings-data">(.*?)</script>', page, re.S)
    block = json.loads(data)
    column = block["columns"]["location"]
    by_fingerprint = {r[block["columns"]["fingerprint"]]: r for r in block["rows"]}
    _, ascending, descending = _run(page, ["sort:location", "sort:location"])
    for state, reverse in ((ascending, False), (descending, True)):
        located = [_located(by_fingerprint[f][column]) for f in state["rows"]]
        assert located == sorted(located, reverse=reverse)
    lines = {line for _, line in located}
    assert {6, 16, 25} <= lines, "the fixture must have lines of one and two digits in one file"
