"""Markdown escaping for GitHub PR comments and job summaries, and the comment length limit.

:func:`md_escape` makes an untrusted value inert GitHub-flavoured Markdown on one line:

* ``& < >`` become entities (no HTML: ``<details>``, ``<img>``, ``</script>``, autolinks);
* ``\\ ` * _ [ ] | # ~ ! $`` are backslash-escaped (no code spans or fences, emphasis, links,
  table cells, headings, issue links, strike-through, images, math);
* line breaks and tabs become spaces, so a value cannot start a heading, a list or a fence on a line
  of its own or break a table row; other hidden characters are revealed (``␛``, ``\\x9b``,
  :mod:`capcheck.core.escaping.controls`);
* ``@`` is followed by a zero-width space, so ``@org/team`` mentions (and notifies) nobody.

GitHub rejects a comment longer than 65,536 characters. :func:`fit_comment` keeps a rendering under
a limit (:data:`DEFAULT_LIMIT` unless ``--markdown-limit`` says otherwise) by listing fewer items
per list, each list ending with :func:`truncated_line`; as a last resort it cuts whole lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from capcheck.core.escaping.controls import reveal

__all__ = [
    "COMMENT_LIMIT",
    "DEFAULT_LIMIT",
    "comment_length",
    "fit_comment",
    "md_escape",
    "md_table_cell",
    "truncated_line",
]

#: GitHub's longest issue or pull-request comment, in characters.
COMMENT_LIMIT = 65_536
#: The default longest Markdown output: under :data:`COMMENT_LIMIT`, with room for a marker or a
#: heading that a CI step adds around it.
DEFAULT_LIMIT = 65_000

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_BACKSLASHED = set("\\`*_[]|#~!$")
#: Each character md_escape replaces, and its replacement (one C call per value: str.translate).
_TRANSLATION = str.maketrans({**_HTML, **{ch: "\\" + ch for ch in _BACKSLASHED}, "@": "@\u200b"})
_SPACE = re.compile(r"\r\n|[\t\n\v\f\r\x85\u2028\u2029]")


def md_escape(value: object, limit: int | None = None) -> str:
    """Untrusted text made inert in GitHub Markdown, on one line, cut to ``limit`` characters (``…``)."""
    text = reveal(_SPACE.sub(" ", "" if value is None else str(value)))
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return text.translate(_TRANSLATION)


def md_table_cell(text: str) -> str:
    """Trusted Markdown (rule metadata written by a rule's author) in a table cell: its formatting is
    kept; only ``|`` is escaped and line breaks become spaces, so the row stays one row."""
    return text.replace("|", "\\|").replace("\n", " ")


def comment_length(text: str) -> int:
    """The length GitHub counts, to be safe: UTF-16 code units (never fewer than code points)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def truncated_line(more: int) -> str:
    """The line that ends a list cut short: how many findings are not listed, and where they are."""
    return f"\u2026 truncated: {more} more findings, see the full report (`--format json`, `html` or `csv`)."


def _cut(text: str, limit: int) -> str:
    """``text`` cut at a line end to fit ``limit`` with a closing note, open ``<details>`` blocks closed."""
    note = (
        f"\n\n_\u2026 truncated: the report is longer than {limit} characters; "
        "see the full report (`--format json`, `html` or `csv`)._\n"
    )
    budget = max(0, limit - comment_length(note) - 20 * len("</details>\n"))
    head = text[:budget]
    while comment_length(head) > budget:
        head = head[: len(head) - (comment_length(head) - budget)]
    head = head[: head.rfind("\n") + 1] if "\n" in head else ""
    unclosed = max(0, min(20, head.count("<details>") - head.count("</details>")))
    return head + "</details>\n" * unclosed + note


def fit_comment(render: Callable[[int], str], most: int, limit: int | None) -> str:
    """``render(n)`` (lists at most ``n`` items each) for the largest ``n <= most`` that fits ``limit``.

    No limit (None or 0), or a full rendering that fits, is returned as is. When even ``render(0)``
    is too long, it is cut at a line end with a note saying so (a limit under ~400 characters
    cannot hold that note: the CLI asks for at least 1000).
    """
    text = render(most)
    if not limit or comment_length(text) <= limit:
        return text
    lo, hi, best = 0, most - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = render(mid)
        if comment_length(candidate) <= limit:
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    return best if best is not None else _cut(render(0), limit)
