"""What the CI annotation formats (``github``, ``azure-devops``, ``gitlab``) report, and in which order.

A CI annotation is a failure someone should fix: ``fail`` and ``error`` findings only. Waived and
baselined failures are accepted, skips are not failures, passes are not problems: the other formats list
them. Annotations are ordered most important first (errors, then failures most severe first, then the
review order of areas, then the one order of findings), so that a runner that shows only the first few
shows the ones that matter; :func:`capped` keeps the first ``cap`` of each level and counts the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from capcheck.models import Finding, RunResult, Status

__all__ = ["annotated", "capped"]


def annotated(result: RunResult) -> list[Finding]:
    """The errors and failures of a result, most important first."""
    order = {a.id: (a.order, a.id) for a in result.areas}
    findings = [f for f in result.findings if f.status in (Status.ERROR, Status.FAIL)]
    return sorted(
        findings,
        key=lambda f: (f.status is not Status.ERROR, -f.severity.rank, order.get(f.area, (1000, f.area)), f.sort_key()),
    )


def capped(findings: Sequence[Finding], level: Callable[[Finding], str], cap: int) -> tuple[list[Finding], int]:
    """The first ``cap`` findings of each ``level`` (0: all), in order, and how many were left out."""
    if cap <= 0:
        return list(findings), 0
    seen: dict[str, int] = {}
    kept: list[Finding] = []
    for f in findings:
        lv = level(f)
        seen[lv] = seen.get(lv, 0) + 1
        if seen[lv] <= cap:
            kept.append(f)
    return kept, len(findings) - len(kept)
