"""The oracle: the github reporter as it rendered before it streamed (main at b9f0b91), kept verbatim.

The streaming writer is held byte-identical to it (tests/reporters/test_streaming.py).

The built-in ``github`` reporter: GitHub Actions workflow commands, and a job summary.

``capcheck check --format github`` in a workflow step annotates the evidence files: each failure is an
``::error``, ``::warning`` or ``::notice`` command (critical and high failures and rule errors are
errors, medium failures warnings, low and info failures notices) with ``file``, ``line`` and a ``title``
naming the rule, and a message with the record, what is wrong and the fix. GitHub shows only 10 annotations
of each level per step: the most important are written first, at most :data:`MAX_PER_LEVEL` of each level,
and a line says how many were left out. Every failure is still in the log, grouped per area with
``::group::`` (collapsed), one line each.

When ``$GITHUB_STEP_SUMMARY`` is set, :func:`append_step_summary` appends the Markdown report (the
``markdown`` reporter's) to the job summary.

Evidence values go through :mod:`capcheck.core.escaping.ci`: no value can end a command, add a property or
start a command of its own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from oracles.annotations import annotated, area_groups, capped, closing_lines, place

from capcheck.core.escaping.ci import defuse, github_data, github_property
from capcheck.core.models import Finding, RunResult, Severity, Status
from capcheck.core.reporting import RenderOptions, first_sentence
from capcheck.core.wording import plural

__all__ = ["MAX_PER_LEVEL", "STEP_SUMMARY", "append_step_summary", "render_github"]

#: GitHub shows at most 10 error, 10 warning and 10 notice annotations per step: more are dropped unseen.
MAX_PER_LEVEL = 10
#: The environment variable naming the job summary file.
STEP_SUMMARY = "GITHUB_STEP_SUMMARY"


def level(f: Finding) -> str:
    """The workflow command for a finding: ``error``, ``warning`` or ``notice``."""
    if f.status is Status.ERROR or f.severity.rank >= Severity.HIGH.rank:
        return "error"
    return "warning" if f.severity is Severity.MEDIUM else "notice"


def _command(f: Finding) -> str:
    properties = []
    at = place(f)
    if at.file is not None:
        properties.append(f"file={github_property(at.file)}")
    if at.line is not None:
        properties.append(f"line={at.line}")
    properties.append(f"title={github_property(f'{f.rule_id} {f.title}')}")
    message = f"{at.subject}: {f.message}"
    if f.status is Status.FAIL:
        message_data = github_data(message) + "%0A" + github_data(f"Fix: {first_sentence(f.remediation)}")
    else:
        message_data = github_data(message)
    return f"::{level(f)} {','.join(properties)}::{message_data}"


def render_github(result: RunResult, options: RenderOptions) -> str:
    """Render the result as GitHub Actions workflow commands: annotations, and the log grouped per area."""
    findings = annotated(result)
    kept, left_out = capped(findings, level, MAX_PER_LEVEL)
    lines = [f"capcheck {defuse(result.tool_version)} · as of {result.as_of.isoformat()}"]
    lines.extend(_command(f) for f in kept)
    if left_out:
        lines.append(
            f"capcheck: {plural(left_out, 'more failure')} not annotated (GitHub shows {MAX_PER_LEVEL} of each "
            "level per step; the most severe are above): every one is listed below and in the job summary"
        )
    for title, group in area_groups(result, findings):
        lines.extend([f"::group::{github_data(title)}", *group, "::endgroup::"])
    lines.extend(closing_lines(result))
    return "\n".join(lines) + "\n"


def append_step_summary(result: RunResult, options: RenderOptions, environ: Mapping[str, str] | None = None) -> None:
    """Append the Markdown report to the job summary (``$GITHUB_STEP_SUMMARY``), when the variable is set.

    :raises capcheck.core.errors.OutputError: the file cannot be written whole (named, exit 2).
    """
    path = (os.environ if environ is None else environ).get(STEP_SUMMARY)
    if not path:
        return
    from capcheck.builtins.reporters.markdown import render_markdown
    from capcheck.core.process import output_error

    text = render_markdown(result, options)
    try:
        with open(path, "a", encoding="utf-8") as summary:
            summary.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise output_error(Path(path).as_posix(), exc) from None
