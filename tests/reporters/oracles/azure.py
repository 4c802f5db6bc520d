"""The oracle: the azure reporter as it rendered before it streamed (main at b9f0b91), kept verbatim.

The streaming writer is held byte-identical to it (tests/reporters/test_streaming.py).

The built-in ``azure-devops`` reporter: Azure Pipelines logging commands.

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

from oracles.annotations import annotated, area_groups, capped, closing_lines, place

from capcheck.core.escaping.ci import azure_data, azure_property, defuse
from capcheck.core.models import Finding, RunResult, Severity, Status
from capcheck.core.reporting import RenderOptions
from capcheck.core.wording import plural

__all__ = ["MAX_PER_TYPE", "render_azure"]

#: The most issues of each type (error, warning): the run summary lists every one, and 1,000 drown it.
MAX_PER_TYPE = 50


def issue_type(f: Finding) -> str:
    """``error`` (critical and high failures, rule errors) or ``warning``."""
    return "error" if f.status is Status.ERROR or f.severity.rank >= Severity.HIGH.rank else "warning"


def _command(f: Finding) -> str:
    properties = [f"type={issue_type(f)}"]
    at = place(f)
    if at.file is not None:
        properties.append(f"sourcepath={azure_property(at.file)}")
    if at.line is not None:
        properties.append(f"linenumber={at.line}")
    properties.append(f"code={azure_property(f.rule_id)}")
    message = f"{f.rule_id} {f.title}: {at.subject}: {f.message}"
    return f"##vso[task.logissue {';'.join(properties)}]{azure_data(message)}"


def render_azure(result: RunResult, options: RenderOptions) -> str:
    """Render the result as Azure Pipelines logging commands: issues, and the log grouped per area."""
    findings = annotated(result)
    kept, left_out = capped(findings, issue_type, MAX_PER_TYPE)
    lines = [f"capcheck {defuse(result.tool_version)} · as of {result.as_of.isoformat()}"]
    lines.extend(_command(f) for f in kept)
    if left_out:
        lines.append(
            f"capcheck: {plural(left_out, 'more failure')} not raised as issues (at most {MAX_PER_TYPE} of each "
            "type, the most severe above): every one is listed below"
        )
    for title, group in area_groups(result, findings):
        lines.extend([f"##[group]{defuse(title)}", *group, "##[endgroup]"])
    lines.extend(closing_lines(result))
    return "\n".join(lines) + "\n"
