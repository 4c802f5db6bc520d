"""The built-in ``github`` reporter: GitHub Actions workflow commands, and a job summary.

``capcheck check --format github`` in a workflow step annotates the evidence files: each failure is an
``::error``, ``::warning`` or ``::notice`` command (critical and high failures and rule errors are
errors, medium failures warnings, low and info failures notices) with ``file``, ``line`` and a ``title``
naming the rule, and a message with the record, what is wrong and the fix. GitHub shows only 10 annotations
of each level per step: the most important are written first, at most :data:`MAX_PER_LEVEL` of each level,
and a line says how many were left out. Every failure is still in the log, grouped per area with
``::group::`` (collapsed), one line each, written as its finding is made (:class:`Annotated`: the order
and the cap worked out from the findings' statuses, each finding made once).

When ``$GITHUB_STEP_SUMMARY`` is set, :func:`append_step_summary` appends the Markdown report (the
``markdown`` reporter's) to the job summary.

Evidence values go through :mod:`capcheck.core.escaping.ci`: no value can end a command, add a property or
start a command of its own.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from itertools import islice
from pathlib import Path

from capcheck.builtins.reporters.annotations import Annotated, closing_lines, place
from capcheck.core.escaping.ci import defuse, github_data, github_property
from capcheck.core.hookspecs import hookimpl
from capcheck.core.models import Finding, RunResult, Severity, Status
from capcheck.core.reporting import ByteStream, RenderOptions, Reporter, cut_value, first_sentence, render_by
from capcheck.core.wording import plural

__all__ = ["MAX_PER_LEVEL", "STEP_SUMMARY", "append_step_summary", "render_github", "write_github"]

#: GitHub shows at most 10 error, 10 warning and 10 notice annotations per step: more are dropped unseen.
MAX_PER_LEVEL = 10
#: The environment variable naming the job summary file.
STEP_SUMMARY = "GITHUB_STEP_SUMMARY"


#: Log lines written at a time.
_CHUNK = 1024


def level(status: Status, severity: Severity) -> str:
    """The workflow command for a finding of this status and severity: ``error``, ``warning`` or ``notice``."""
    if status is Status.ERROR or severity.rank >= Severity.HIGH.rank:
        return "error"
    return "warning" if severity is Severity.MEDIUM else "notice"


def _command(f: Finding) -> str:
    properties = []
    at = place(f)
    if at.file is not None:
        properties.append(f"file={github_property(at.file)}")
    if at.line is not None:
        properties.append(f"line={at.line}")
    properties.append(f"title={github_property(f'{f.rule_id} {f.title}')}")
    message = f"{at.subject}: {cut_value(f.message)}"
    if f.status is Status.FAIL:
        message_data = github_data(message) + "%0A" + github_data(f"Fix: {first_sentence(f.remediation)}")
    else:
        message_data = github_data(message)
    return f"::{level(f.status, f.severity)} {','.join(properties)}::{message_data}"


def write_github(result: RunResult, options: RenderOptions, stream: ByteStream) -> None:
    """Write the result as GitHub Actions workflow commands: annotations, and the log grouped per area, each
    log line as its finding is made."""
    plan = Annotated(result)
    kept = plan.capped(level, MAX_PER_LEVEL)
    left_out = plan.total - len(kept)
    lines = [f"capcheck {defuse(result.tool_version)} · as of {result.as_of.isoformat()}"]
    lines.extend(_command(f) for f in kept)
    if left_out:
        lines.append(
            f"capcheck: {plural(left_out, 'more failure')} not annotated (GitHub shows {MAX_PER_LEVEL} of each "
            "level per step; the most severe are above): every one is listed below and in the job summary"
        )
    stream.write(("\n".join(lines) + "\n").encode("utf-8"))
    for title, group in plan.area_groups():
        stream.write(f"::group::{github_data(title)}\n".encode())
        while chunk := list(islice(group, _CHUNK)):
            stream.write(("\n".join(chunk) + "\n").encode("utf-8"))
        stream.write(b"::endgroup::\n")
    stream.write(("\n".join(closing_lines(result, options.unwritten)) + "\n").encode("utf-8"))


#: Render the result as GitHub Actions workflow commands (the text :func:`write_github` writes).
render_github = render_by(write_github)


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


@hookimpl
def capcheck_reporters() -> Sequence[Reporter]:
    """The GitHub Actions reporter."""
    return [
        Reporter(
            name="github",
            render=render_github,
            write=write_github,
            description="GitHub Actions annotations (the most severe), the log grouped per area, a job summary",
            extension=".log",
        )
    ]
