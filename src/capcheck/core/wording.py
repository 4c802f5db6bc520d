"""Counted nouns in messages: ``plural(1, "person")`` is ``1 person``, ``plural(2, "person")`` ``2 people``.

The one place text outputs (the CLI, the text, Markdown and diff reports, rule message templates) get a
count and its noun to agree.
"""

from __future__ import annotations

__all__ = ["noun_for", "plural"]

#: Nouns whose plural is not made by adding -s/-es/-ies.
_IRREGULAR = {"person": "people", "criterion": "criteria", "child": "children", "analysis": "analyses"}


def _plural_noun(noun: str) -> str:
    head, _, last = noun.rpartition(" ")
    if last in _IRREGULAR:
        word = _IRREGULAR[last]
    elif last.endswith(("s", "x", "z", "ch", "sh")):
        word = last + "es"
    elif last.endswith("y") and last[-2:-1] not in ("", "a", "e", "i", "o", "u"):
        word = last[:-1] + "ies"
    else:
        word = last + "s"
    return f"{head} {word}" if head else word


def noun_for(count: float, noun: str) -> str:
    """``noun`` as it goes after ``count``: singular for exactly 1 (or -1), plural otherwise (0 people)."""
    return noun if abs(count) == 1 else _plural_noun(noun)


def plural(count: float, noun: str) -> str:
    """``count`` and ``noun`` agreeing: ``1 rule``, ``2 rules``, ``0 people``, ``1 evidence file``."""
    return f"{count} {noun_for(count, noun)}"
