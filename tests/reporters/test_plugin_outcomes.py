"""A plugin rule's outcomes, whatever strings they hold, through ``capcheck check`` and every built-in reporter.

A plugin's outcome is not evidence: no loader refused its lone surrogates, NUL or control characters. Hypothesis
draws record ids, groups, kinds, messages and related records from any text (lone surrogates, NUL, C0/C1 controls,
bidi overrides, 100,000-character strings); one run writes the text layout on stdout and every other format as a
report. Each must be written (no traceback, no reporter failure), be a valid document of its format, carry no raw
control character, and the exit code must be the one the findings give.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from jsonschema.validators import validator_for

from capcheck.cli import cli
from capcheck.core.models import fingerprint

HERE = Path(__file__).parent
PLUGIN = HERE.parent / "fixtures" / "plugins" / "hostile_outcomes_plugin.py"
EVIDENCE = HERE.parent / "fixtures" / "evidence" / "clean"
SCHEMAS = HERE.parent.parent / "schemas"
SARIF_SCHEMA = HERE.parent / "data" / "external-schemas" / "sarif-schema-2.1.0.json"
RULE = "hostile.COMM-901"
#: Every built-in format but text, written as --report beside the text layout on stdout.
REPORTS = ("json", "sarif", "junit", "markdown", "csv", "html", "github", "azure-devops", "gitlab")
LAYOUTS = ([], ["--compact"], ["--quiet"], ["--limit", "0"], ["--show", "fail,error,skip,pass"])

_PIECES = ["\ud800", "\udfff", "\ud83d", "\ude00", "\x00", "\x1b[2J", "\r\n", "\x85", "\x9b", "\u202e", "\u2066",
           "\u2028", "\ufffe", "</script>", "<img src=x onerror=alert(1)>", "]]>", "&", "=1+1", "@team", "|", "`",
           "::", "##vso[", "%0A"]  # fmt: skip
#: Any text, lone surrogates included (``st.characters()`` leaves them out).
_TEXT = st.lists(st.sampled_from(_PIECES) | st.characters(), max_size=8).map("".join)
#: Any text, now and then 100,000 characters long.
_VALUE = _TEXT | _TEXT.filter(bool).map(lambda s: (s * (100_000 // len(s) + 1))[:100_000])
#: An outcome's own kind is one the rule declares (another is an error finding: tests/test_engine.py); the
#: related records' kinds are any text.
_KIND = st.none() | st.just("supplier-contracts")
_ROW = st.tuples(
    st.sampled_from(["pass", "fail", "fail", "skip", "error"]),
    _KIND,
    st.none() | st.sampled_from(["CON-101", "CON-102"]) | _VALUE,
    _VALUE,
    st.lists(st.tuples(st.just("supplier-contracts") | _TEXT, st.just("CON-102") | _VALUE), max_size=2),
    st.none() | _VALUE,
)
#: Each example is a whole check writing ten formats (about 0.4 s, most of it showing 100,000-character values):
#: a few examples, and no shrinking (minutes per failure at this cost; the failing rows are printed as drawn).
FEW = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)

#: Raw characters no output may carry: C0/C1 controls (Cc), lone surrogates (Cs), line and paragraph separators
#: (Zl, Zp) and the bidi controls, as one class (a regular expression: the documents are megabytes).
_HIDDEN = "\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"


def _raw_controls(text: str, allowed: str = "\n") -> set[str]:
    """The raw control, surrogate, separator and bidi characters in ``text`` other than ``allowed``."""
    return set(re.findall(f"[{_HIDDEN}]", text)) - set(allowed)


def _expected_exit(rows: list[Any]) -> int:
    statuses = {row[0] for row in rows}
    return 2 if "error" in statuses else 1 if "fail" in statuses else 0


def _validate(schema_path: Path, document: Any) -> None:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    errors = list(validator_for(schema)(schema).iter_errors(document))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


def _check_documents(out: Path, listed: int) -> None:
    """Each report is UTF-8, parses in its format, shows the rule's findings, and hides no raw control."""
    text = {fmt: (out / f"report.{fmt}").read_bytes().decode("utf-8") for fmt in REPORTS}  # strict: no surrogate
    for fmt in ("json", "sarif", "gitlab", "markdown", "github", "azure-devops"):
        assert not _raw_controls(text[fmt]), fmt
    doc = json.loads(text["json"])
    _validate(SCHEMAS / "findings.schema.json", doc)
    assert sum(f["rule_id"] == RULE for f in doc["findings"]) == listed
    _validate(SARIF_SCHEMA, json.loads(text["sarif"]))
    assert isinstance(json.loads(text["gitlab"]), list)
    assert not _raw_controls(text["junit"], allowed="\n\t")
    ET.fromstring(text["junit"].encode("utf-8"))
    assert not _raw_controls(text["csv"], allowed="\n\r\t")
    limit = csv.field_size_limit(1 << 24)  # a 100,000-character value with its controls shown is a longer cell
    try:
        assert sum(row[0] == RULE for row in csv.reader(io.StringIO(text["csv"], newline=""))) == listed
    finally:
        csv.field_size_limit(limit)
    assert not _raw_controls(text["html"], allowed="\n\t")
    tags = _Tags()
    tags.feed(text["html"])
    assert tags.tags.count("script") == 2  # the page's own script and its data block: no value opened one
    assert "img" not in tags.tags and tags.handlers == []  # no value made an element or an event handler


#: One outcome per record, group or kind as a whole, as a rule gives (two are one error finding: tests/test_engine.py).
_ROWS = st.lists(_ROW, min_size=1, max_size=4, unique_by=lambda row: (row[1] or "supplier-contracts", row[2], row[5]))


@FEW
@given(rows=_ROWS, layout=st.sampled_from(LAYOUTS))
def test_any_outcome_strings_through_every_reporter(tmp_path_factory: pytest.TempPathFactory, rows: list[Any],
                                                    layout: list[str]) -> None:  # fmt: skip
    out = tmp_path_factory.mktemp("out")
    spec = out / "outcomes.json"
    spec.write_text(json.dumps(rows), encoding="utf-8")  # ASCII: lone surrogates as \ud800 escapes
    reports = [arg for fmt in REPORTS for arg in ("--report", f"{fmt}={out / f'report.{fmt}'}")]
    args = ["check", str(EVIDENCE), "--plugin", str(PLUGIN), "--select", RULE, "--include-passed", "--no-progress"]
    result = CliRunner().invoke(cli, [*args, *layout, *reports], env={"CAPCHECK_TEST_OUTCOMES": str(spec)})
    assert "Traceback" not in result.output and "failed:" not in result.output, result.output[-2000:]
    assert result.exit_code == _expected_exit(rows), result.output[-2000:]
    assert isinstance(result.exception, SystemExit | None)
    stdout = result.stdout
    assert not _raw_controls(stdout)
    stdout.encode("utf-8")
    assert re.search(r"^Result: (PASSED|FAILED|INCOMPLETE|NOT JUDGED) ", stdout, re.MULTILINE)
    _check_documents(out, len(rows))


def _check(spec: Path, *args: str) -> Any:
    base = ["check", str(EVIDENCE), "--plugin", str(PLUGIN), "--select", RULE, "--no-progress"]
    return CliRunner().invoke(cli, [*base, *args], env={"CAPCHECK_TEST_OUTCOMES": str(spec)})


def test_a_lone_surrogate_is_shown_as_its_escape_text_and_baselined_by_its_fingerprint(tmp_path: Path) -> None:
    """The documented rendering (docs/security.md): escape text in every format; the fingerprint hashes the value
    itself, so ``baseline create`` then ``check --baseline`` accepts the same failure."""
    spec = tmp_path / "outcomes.json"
    spec.write_text(json.dumps([["fail", None, "C-\ud800", "lost \udcff", [], None]]), encoding="utf-8")
    result = _check(spec, "-f", "json", "--report", f"junit={tmp_path / 'junit.xml'}", "--report",
                    f"text={tmp_path / 'text.txt'}")  # fmt: skip
    assert result.exit_code == 1, result.output
    [finding] = [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == RULE]
    assert finding["evidence"]["record_id"] == "C-\\ud800" and finding["message"] == "lost \\udcff"
    assert finding["fingerprint"] == fingerprint(RULE, "supplier-contracts", "C-\ud800", None)
    assert 'name="hostile.COMM-901 Outcomes come from a hostile plugin: C-\\ud800"' in (
        tmp_path / "junit.xml"
    ).read_text(encoding="utf-8")
    assert "C-\\ud800  lost \\udcff" in (tmp_path / "text.txt").read_text(encoding="utf-8")
    baseline = tmp_path / "baseline.json"
    created = CliRunner().invoke(
        cli,
        ["baseline", "create", str(EVIDENCE), "--plugin", str(PLUGIN), "--select", RULE, "--output", str(baseline)],
        env={"CAPCHECK_TEST_OUTCOMES": str(spec)},
    )
    assert created.exit_code == 0, created.output
    assert json.loads(baseline.read_text(encoding="utf-8"))["findings"][0]["record_id"] == "C-\ud800"
    again = _check(spec, "--baseline", str(baseline))
    assert again.exit_code == 0, again.output
    assert "1 baselined" in again.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
def test_a_real_process_writes_a_lone_surrogate_to_stdout(tmp_path: Path, fmt: str) -> None:
    """The console's own stdout (strict UTF-8, or ASCII under a C locale) takes every format: nothing left to encode."""
    spec = tmp_path / "outcomes.json"
    spec.write_text(json.dumps([["fail", None, "C-\ud800", "\x1b[2J\u202e", [], "g\udcff"]]), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAPCHECK_")}
    env.update(CAPCHECK_TEST_OUTCOMES=str(spec), LC_ALL="C", PYTHONIOENCODING="utf-8:strict")
    argv = [sys.executable, "-m", "capcheck", "check", str(EVIDENCE), "--plugin", str(PLUGIN), "--select", RULE]
    proc = subprocess.run([*argv, "-f", fmt], env=env, capture_output=True, timeout=60, check=False)
    assert proc.returncode == 1, proc.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in proc.stderr
    assert "\\ud800" in proc.stdout.decode("utf-8")  # shown as its escape text, and the output is UTF-8
