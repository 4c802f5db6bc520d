"""The built-in ``azure-devops`` reporter: Azure Pipelines logging commands.

``capcheck check --format azure-devops`` in a pipeline step raises each failure as an issue of the run:
``##vso[task.logissue type=error;sourcepath=FILE;linenumber=N;code=RULE-ID]record: message``
(critical and high failures and rule errors are errors, the rest warnings). The run summary lists issues
one by one, so at most :data:`MAX_PER_TYPE` of each type are raised, the most important first, and a line
says how many were left out. Every failure is still in the log, grouped per area with ``##[group]``.

The exit code still decides whether the step fails; the issues are what the summary shows. Evidence values
go through :mod:`capcheck.core.escaping.ci`: Azure's agent finds ``##vso[`` anywhere in a line, so no value may
hold one, or end the command's properties early.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import islice

from capcheck.builtins.reporters.annotations import Annotated, closing_lines, place
from capcheck.core.escaping.ci import azure_data, azure_property, defuse
from capcheck.core.hookspecs import hookimpl
from capcheck.core.models import Finding, RunResult, Severity, Status
from capcheck.core.reporting import ByteStream, RenderOptions, Reporter, cut_value, render_by
from capcheck.core.wording import plural

__all__ = ["MAX_PER_TYPE", "render_azure", "write_azure"]

#: The most issues of each type (error, warning): the run summary lists every one, and 1,000 drown it.
MAX_PER_TYPE = 50
#: Log lines written at a time.
_CHUNK = 1024


def issue_type(status: Status, severity: Severity) -> str:
    """``error`` (critical and high failures, rule errors) or ``warning``, for a finding of this status and severity."""
    return "error" if status is Status.ERROR or severity.rank >= Severity.HIGH.rank else "warning"


def _command(f: Finding) -> str:
    properties = [f"type={issue_type(f.status, f.severity)}"]
    at = place(f)
    if at.file is not None:
        properties.append(f"sourcepath={azure_property(at.file)}")
    if at.line is not None:
        properties.append(f"linenumber={at.line}")
    properties.append(f"code={azure_property(f.rule_id)}")
    message = f"{f.rule_id} {f.title}: {at.subject}: {cut_value(f.message)}"
    return f"##vso[task.logissue {';'.join(properties)}]{azure_data(message)}"


def write_azure(result: RunResult, options: RenderOptions, stream: ByteStream) -> None:
    """Write the result as Azure Pipelines logging commands: issues, and the log grouped per area, each log
    line as its finding is made."""
    plan = Annotated(result)
    kept = plan.capped(issue_type, MAX_PER_TYPE)
    left_out = plan.total - len(kept)
    lines = [f"capcheck {defuse(result.tool_version)} · as of {result.as_of.isoformat()}"]
    lines.extend(_command(f) for f in kept)
    if left_out:
        lines.append(
            f"capcheck: {plural(left_out, 'more failure')} not raised as issues (at most {MAX_PER_TYPE} of each "
            "type, the most severe above): every one is listed below"
        )
    stream.write(("\n".join(lines) + "\n").encode("utf-8"))
    for title, group in plan.area_groups():
        stream.write(f"##[group]{defuse(title)}\n".encode())
        while chunk := list(islice(group, _CHUNK)):
            stream.write(("\n".join(chunk) + "\n").encode("utf-8"))
        stream.write(b"##[endgroup]\n")
    stream.write(("\n".join(closing_lines(result, options.unwritten)) + "\n").encode("utf-8"))


#: Render the result as Azure Pipelines logging commands (the text :func:`write_azure` writes).
render_azure = render_by(write_azure)


@hookimpl
def capcheck_reporters() -> Sequence[Reporter]:
    """The Azure Pipelines reporter."""
    return [
        Reporter(
            name="azure-devops",
            render=render_azure,
            write=write_azure,
            description="Azure Pipelines issues (the most severe) and the log grouped per area",
            extension=".log",
        )
    ]
