"""Wording of messages: counted nouns (``plural(2, "person")`` is ``2 people``) and the did-you-mean hint.

The one place text outputs (the CLI, the text, Markdown and diff reports, rule message templates) get a
count and its noun to agree, and the one did-you-mean of usage errors (an unknown selector, rule id, area,
format or option: ``unknown rule 'COMM-0O1' (did you mean 'COMM-001'?)``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["closest", "did_you_mean", "noun_for", "plural", "suggestion"]

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


def closest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice closest to ``word`` in any case (difflib's ratio at least ``cutoff``), or None."""
    folded = {c.casefold(): c for c in choices}
    close = difflib.get_close_matches(word.strip().casefold(), folded, n=1, cutoff=cutoff)
    return folded[close[0]] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'COMM'?)`` for the closest choice, in any case; empty when none is close."""
    found = closest(word, choices)
    return f" (did you mean {found!r}?)" if found is not None else ""


def suggestion(word: str, choices: Iterable[str], otherwise: str, cutoff: float = 0.6) -> str:
    """``did you mean 'status'?`` for the closest choice, else ``otherwise`` (the choices, or where to look):
    the text inside the parentheses of ``unknown key 'stauts' (...)``."""
    found = closest(word, choices, cutoff)
    return f"did you mean {found!r}?" if found is not None else otherwise
