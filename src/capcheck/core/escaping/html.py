"""HTML escaping: untrusted text as inert HTML text or attribute values.

``& < > " '`` become character references (``html.escape`` with quotes), so a value can neither open
a tag (``</script>``, ``<img onerror>``) nor leave an attribute; hidden characters are revealed
(:mod:`capcheck.core.escaping.controls`), keeping tab and line feed, which HTML shows as spaces.
"""

from __future__ import annotations

import html

from capcheck.core.escaping.controls import reveal

__all__ = ["esc"]


def esc(value: object) -> str:
    """HTML-escape an untrusted value (quotes too), with hidden characters revealed."""
    return html.escape(reveal("" if value is None else str(value), keep="\t\n"), quote=True)
