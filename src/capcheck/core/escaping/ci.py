"""CI logs: GitHub Actions workflow commands and Azure Pipelines logging commands, never forged by evidence.

A CI runner reads the job's log line by line and *obeys* some lines: GitHub's ``::error file=…::msg``,
``::add-mask::`` and the older ``##[command]`` form, Azure's ``##vso[task.setvariable …]``. Evidence
that reaches such a line (a record id, a message quoting a supplier's name) must not end the command early,
add a property or start a command of its own:

* every value is first made safe for a terminal (:func:`~capcheck.core.escaping.terminal.terminal`): a newline
  or carriage return is shown (``␊``), so no value starts a line;
* ``##`` becomes ``#%23``: Azure's agent (and GitHub's runner, for the older form) finds ``##vso[`` and
  ``##[`` anywhere in a line, not only at its start;
* then each runner's own escaping, as its toolkit does it: GitHub (``@actions/core`` ``command.ts``)
  ``%`` → ``%25``, CR → ``%0D``, LF → ``%0A`` in data, and ``:`` → ``%3A``, ``,`` → ``%2C`` in properties
  too; Azure (``azure-pipelines-task-lib`` ``taskcommand.ts``) ``%`` → ``%AZP25``, CR → ``%0D``,
  LF → ``%0A`` in data, and ``;`` → ``%3B``, ``]`` → ``%5D`` in properties too.
"""

from __future__ import annotations

from capcheck.core.escaping.terminal import terminal

__all__ = ["azure_data", "azure_property", "defuse", "github_data", "github_property"]


def defuse(value: object) -> str:
    """``value`` on one line, with no ``##`` a CI agent would read as a command anywhere in a line."""
    return terminal(value).replace("##", "#%23")


def github_data(value: object) -> str:
    """A GitHub workflow command's message (after ``::``)."""
    return defuse(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(value: object) -> str:
    """A GitHub workflow command's property value (``file=``, ``title=``)."""
    return github_data(value).replace(":", "%3A").replace(",", "%2C")


def azure_data(value: object) -> str:
    """An Azure Pipelines logging command's message (after ``]``)."""
    return defuse(value).replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def azure_property(value: object) -> str:
    """An Azure Pipelines logging command's property value (``sourcepath=``)."""
    return azure_data(value).replace(";", "%3B").replace("]", "%5D")
