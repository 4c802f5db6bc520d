"""Reporters: the :class:`Reporter` type and the atomic writer every output goes through.

A reporter renders a finished :class:`~capcheck.models.RunResult` to a string. Reporters are
plugins (``capcheck_reporters``); the built-in ones live in this package, one module each.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from capcheck.escaping.markdown import DEFAULT_LIMIT as DEFAULT_MARKDOWN_LIMIT
from capcheck.models import RunResult

if TYPE_CHECKING:  # annotations only: the scorecard is imported when a run computes one
    from capcheck.scorecard import AreaScore

__all__ = ["DEFAULT_SARIF_MAX_RESULTS", "RenderOptions", "Reporter", "scorecard_rows", "write_atomic"]

#: The most SARIF results by default: GitHub code scanning stores and shows only the 5,000 most severe
#: results of a run (and rejects a run of more than 25,000), so more only makes the upload bigger.
DEFAULT_SARIF_MAX_RESULTS = 5000


def scorecard_rows(result: RunResult) -> tuple[AreaScore, ...]:
    """The maturity scorecard's rows of a result, one per area (empty when the result has no scorecard)."""
    return () if result.scorecard is None else result.scorecard.rows


@dataclass(frozen=True)
class RenderOptions:
    """How to render: ``color`` only for a terminal; ``base_dir`` for relative URIs; ``markdown_limit``
    the longest Markdown output in characters (``--markdown-limit``; 0 for no limit); ``sarif_max_results``
    the most SARIF results (``--sarif-max-results``; 0 for no limit); ``sarif_category`` the SARIF run's
    ``automationDetails.id`` category (``--sarif-category``; None: ``capcheck/``)."""

    color: bool = False
    base_dir: Path | None = None
    markdown_limit: int = DEFAULT_MARKDOWN_LIMIT
    sarif_max_results: int = DEFAULT_SARIF_MAX_RESULTS
    sarif_category: str | None = None


@dataclass(frozen=True)
class Reporter:
    """An output format, chosen with ``--format NAME`` or ``--report NAME=PATH``."""

    name: str
    render: Callable[[RunResult, RenderOptions], str]
    description: str = ""
    #: The usual file extension of this format (``.sarif``), for docs and defaults.
    extension: str = ".txt"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file in the same directory, then rename.

    A reader never sees a half-written file, and a failure leaves any previous file intact. Every
    byte is written or an ``OSError`` is raised (a short write is never taken for a whole one), and
    the temporary file is removed on any failure, an interrupt included.
    """
    from capcheck.process import write_all

    data = text.encode("utf-8")
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        try:
            # mkstemp makes the file private (0600); give it the mode a plain open() would, or keep the old file's.
            try:
                mode = os.stat(path).st_mode & 0o7777
            except FileNotFoundError:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.chmod(tmp, mode)
            write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
