"""The streaming JSON writer: the bytes of the whole document encoded at once, written in pieces.

The reference is how the document was written before it was streamed: ``orjson.dumps`` of
``result_document`` (``OPT_INDENT_2``; on a lone surrogate, of its ``json_safe`` copy), raw
characters escaped by ``json_text``, and a newline.
"""

from __future__ import annotations

import dataclasses
import io
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from capcheck.app.config import Config
from capcheck.app.runner import CheckRequest, load_registry, load_request_evidence
from capcheck.builtins.reporters import json as json_reporter
from capcheck.builtins.reporters.json import render_json, result_document, write_json
from capcheck.core.engine import evaluate
from capcheck.core.escaping.json import json_safe, json_text
from capcheck.core.models import Outcome, RunResult, Status
from capcheck.core.outcomes import Findings
from capcheck.core.reporting import RenderOptions, stream_atomic
from capcheck.core.rules import rule

EVIDENCE = Path(__file__).parent / "fixtures" / "evidence"
AS_OF = date(2026, 11, 25)
#: The hostile record ids in the fixture evidence (as conftest.py lists them).
HOSTILE_CONTRACT_ID = '</script><script>alert(1)</script>|=HYPERLINK("http://evil.example","x")'
HOSTILE_ASSET_ID = "=cmd|' /C calc'!A0"

#: Messages no encoder leaves alone: C0/C1 controls, DEL, separators, bidi, quotes, a lone surrogate.
HOSTILE = ["\x1b[2J\x00\x7f", "\x9b31m\u2028\u202e", 'q"\\/', "\ud800 lone", "é😀\r\n\t", ""]


def reference(result: RunResult) -> bytes:
    doc = result_document(result)
    try:
        encoded = orjson.dumps(doc, option=orjson.OPT_INDENT_2)
    except orjson.JSONEncodeError:
        encoded = orjson.dumps(json_safe(doc), option=orjson.OPT_INDENT_2)
    return (json_text(encoded.decode("utf-8")) + "\n").encode("utf-8")


def streamed(result: RunResult) -> bytes:
    out = io.BytesIO()
    write_json(result, RenderOptions(), out)
    return out.getvalue()


def _hostile_check(evidence: Any, ctx: Any) -> Iterator[Outcome]:
    for n, record in enumerate(evidence.records("supplier-contracts")):
        yield ctx.failed(record, HOSTILE[n % len(HOSTILE)])
    yield Outcome(Status.FAIL, "supplier-contracts", "not-a-record", HOSTILE[3])
    yield Outcome(Status.SKIP, "no-such-kind", None, HOSTILE[1], group=HOSTILE[0])
    yield Outcome(Status.ERROR, None, None, HOSTILE[2], related=(("it-assets", HOSTILE_ASSET_ID),))


@pytest.fixture(scope="module")
def hostile_result(default_result: RunResult) -> RunResult:
    """The usual run, plus a rule whose messages and groups hold every hostile piece (a lone surrogate too)."""
    hostile = rule(id="COMM-990", area="COMM", title="Hostile messages are written safely", severity="high",
                   kinds=["supplier-contracts"], description="d", rationale="r", remediation="f\x9bix \u2029")(
        _hostile_check)  # fmt: skip
    evidence = load_request_evidence(load_registry(Config()), CheckRequest(paths=[EVIDENCE]))
    evaluation = evaluate([hostile], evidence, as_of=AS_OF)
    return dataclasses.replace(default_result, findings=evaluation.findings)


@pytest.mark.parametrize("name", ["full_result", "default_result", "governed_result", "empty_result", "hostile_result"])
def test_streamed_document_is_the_whole_document(name: str, request: pytest.FixtureRequest) -> None:
    result: RunResult = request.getfixturevalue(name)
    expected = reference(result)
    assert streamed(result) == expected
    assert render_json(result, RenderOptions()).encode("utf-8") == expected
    # The same findings as plain Finding values (a plugin's result) take the dictionary path: same bytes.
    assert streamed(dataclasses.replace(result, findings=tuple(result.findings))) == expected


def test_hostile_values_are_escaped(hostile_result: RunResult) -> None:
    text = streamed(hostile_result).decode("utf-8")
    assert isinstance(hostile_result.findings, Findings)
    assert not {ch for ch in text if ch in "\x00\x1b\x7f\x9b\u2028\u202e"}
    assert "\\ud800 lone" in text  # the lone surrogate as its escape text
    assert HOSTILE_CONTRACT_ID.replace('"', '\\"') in text


@pytest.mark.parametrize("name", ["full_result", "governed_result", "hostile_result"])
def test_chunks_join_at_any_size(name: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices of any size, waived rows inside a slice, and rows the column path refuses in one with others."""
    result: RunResult = request.getfixturevalue(name)
    expected = reference(result)
    for size in (1, 2, 7, 64):
        monkeypatch.setattr(json_reporter, "_CHUNK", size)
        assert streamed(result) == expected


class _Broken:
    """A stream that fails after its first few writes (a full disk)."""

    def __init__(self) -> None:
        self.writes = 0

    def write(self, data: bytes) -> int:
        self.writes += 1
        if self.writes > 3:
            raise OSError(28, "No space left on device")
        return len(data)


def test_a_failing_stream_fails_the_write(full_result: RunResult) -> None:
    with pytest.raises(OSError, match="No space"):
        write_json(full_result, RenderOptions(), _Broken())


def test_a_streamed_file_is_whole_or_untouched(full_result: RunResult, tmp_path: Path) -> None:
    target = tmp_path / "findings.json"
    target.write_text("previous")

    def half(stream: Any) -> None:
        stream.write(b"{" * (3 << 20))  # past the writer's buffer: some bytes reach the temporary file
        raise RuntimeError("the reporter broke")

    with pytest.raises(RuntimeError):
        stream_atomic(target, half)
    assert target.read_text() == "previous"
    assert os.listdir(tmp_path) == ["findings.json"]
    stream_atomic(target, lambda stream: write_json(full_result, RenderOptions(), stream))
    assert target.read_bytes() == reference(full_result)


def test_stdout_and_file_hold_the_same_document(run_cli: Any, workdir: Path) -> None:
    """``-f json`` streams to standard output what ``-o`` streams to a file (timestamps apart)."""
    common = ["check", str(EVIDENCE), "--as-of", AS_OF.isoformat(), "-f", "json"]
    printed = run_cli(*common).stdout
    assert run_cli(*common, "-o", "out.json").exit_code == 1

    def stable(text: str) -> list[str]:
        return [line for line in text.splitlines() if '"started":' not in line and '"finished":' not in line]

    assert stable(printed) == stable((workdir / "out.json").read_text(encoding="utf-8"))


STREAMING_PLUGIN = """
from capcheck.core.hookspecs import hookimpl
from capcheck.core.reporting import Reporter

def render(result, options):
    return "whole\\n"

def write(result, options, stream):
    stream.write(b"half")
    raise ValueError("the writer broke")

@hookimpl
def capcheck_reporters():
    return [Reporter(name="halfway", render=render, write=write)]
"""


def test_a_streaming_reporter_that_raises_is_the_plugins_error(run_cli: Any, workdir: Path) -> None:
    """A plugin's ``write`` that raises stops the run naming the reporter and its plugin (exit 2), and
    leaves no file behind; without ``write`` the same plugin's ``render`` would have been used."""
    (workdir / "halfway.py").write_text(STREAMING_PLUGIN)
    common = ["check", str(EVIDENCE), "--as-of", AS_OF.isoformat(), "--plugin", "./halfway.py", "-f", "halfway"]
    result = run_cli(*common, "-o", "out.txt")
    assert result.exit_code == 2
    assert "reporter 'halfway'" in result.stderr and "ValueError: the writer broke" in result.stderr
    assert sorted(p.name for p in workdir.iterdir() if p.is_file()) == ["halfway.py"]  # no report, no temporary file
    result = run_cli(*common)
    assert result.exit_code == 2 and "the writer broke" in result.stderr
