"""The text reporter: every evidence, waiver and baseline value is shown on its line, never obeyed."""

from __future__ import annotations

import dataclasses

from capcheck.models import RunResult
from capcheck.reporters import RenderOptions
from capcheck.reporters.text import render_text

OSC_TITLE = "\x1b]0;owned\x07"


def test_waiver_ticket_and_file_reach_the_terminal_escaped(governed_result: RunResult, options: RenderOptions) -> None:
    # The defect: waiver tickets and file names were printed raw (ESC[2J, OSC window titles).
    assert governed_result.waivers is not None and governed_result.baseline is not None
    report = tuple(
        dataclasses.replace(
            w,
            waiver=dataclasses.replace(w.waiver, ticket=f"RISK-1\x1b[2J{OSC_TITLE}", file="waivers\rFAKE.yaml"),
            state="expiring",
        )
        for w in governed_result.waivers
    )
    baseline = dataclasses.replace(governed_result.baseline, file="base\x1b[31m.json")
    result = dataclasses.replace(governed_result, waivers=report, baseline=baseline)
    text = render_text(result, options)
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "RISK-1\u241b[2J\u241b]0;owned\u2407" in text
    assert "waivers\u240dFAKE.yaml:" in text
    assert "Baseline base\u241b[31m.json:" in text


def test_evidence_file_names_and_values_are_escaped(default_result: RunResult, options: RenderOptions) -> None:
    f = default_result.findings[0]
    assert f.evidence is not None
    ev = dataclasses.replace(f.evidence, file=f"ev/x{OSC_TITLE}.csv", line=7, record_id="A\nFAIL  forged")
    result = dataclasses.replace(default_result, findings=(dataclasses.replace(f, evidence=ev, message="m\x9b2J"),))
    text = render_text(result, options)
    assert "\x1b" not in text and "\x9b" not in text
    assert "ev/x\u241b]0;owned\u2407.csv:7 [A\u240aFAIL  forged]: m\\x9b2J" in text
    assert not any(line.startswith("FAIL") for line in text.splitlines())


def test_colour_codes_are_only_the_reporters_own(default_result: RunResult) -> None:
    text = render_text(default_result, RenderOptions(color=True))
    assert "\x1b[" in text  # colour is on; every ESC is ours and starts an SGR sequence
    assert text.count("\x1b") == text.count("\x1b[")
