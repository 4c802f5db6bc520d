"""Rule, area and kind ids, and the publisher namespace that keeps third parties' ids apart: one definition.

The built-in pack's ids carry no namespace (``COMM-001``, ``it-assets``). A third party puts its
namespace, a dot, then the id: ``acme.CULT-101`` (a rule of the built-in ``CULT`` area) and
``acme.staff-roster`` (a kind). A namespace is lowercase words joined by hyphens, like a
distribution name (``acme``, ``nhs-digital``). The JSON Schemas in ``schemas/`` repeat these patterns
as data; a test keeps them equal to the ones here.

Why a dot and not a slash (ESLint's ``plugin/rule``): a kind id is also a file name (an evidence file
or sheet named after its kind), and a SARIF ``ruleId`` is a hierarchical string whose ``/`` separates a
rule from a sub-rule; a dot is neither (Semgrep's dotted rule ids are read the same way).
"""

from __future__ import annotations

import re

__all__ = [
    "AREA_ID",
    "KIND_ID",
    "NAMESPACE",
    "RESERVED_NAMESPACE",
    "RULE_ID",
    "local_id",
    "namespace_of",
    "normalise_rule_id",
    "suggest_namespace",
]

#: A publisher namespace: lowercase words joined by hyphens (``acme``, ``nhs-digital``).
NAMESPACE = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"
_LOCAL_KIND = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"
#: An area id: ``COMM``, ``INFRA``.
AREA_ID = r"^[A-Z][A-Z0-9]{1,9}$"
#: A rule id: optionally a namespace and a dot, then the area, a hyphen and a 3- or 4-digit number.
RULE_ID = rf"^(?:{NAMESPACE}\.)?[A-Z][A-Z0-9]{{1,9}}-[0-9]{{3,4}}$"
#: A kind id: optionally a namespace and a dot, then lowercase words joined by hyphens (``it-assets``).
KIND_ID = rf"^(?:{NAMESPACE}\.)?{_LOCAL_KIND}$"
#: The namespace kept for capcheck itself: no plugin may register an id in it (``capcheck.COMM-001`` would
#: pass for one of capcheck's own).
RESERVED_NAMESPACE = "capcheck"
#: Said when nothing better can be made of a plugin's name.
_EXAMPLE_NAMESPACE = "acme"


def namespace_of(some_id: str) -> str | None:
    """The namespace of a rule or kind id (``acme`` of ``acme.CULT-101``), None for a built-in-style id."""
    namespace, dot, _ = some_id.partition(".")
    return namespace if dot else None


def local_id(some_id: str) -> str:
    """The id without its namespace: ``CULT-101`` of ``acme.CULT-101`` (the id itself when it has none)."""
    return some_id.rpartition(".")[2]


def normalise_rule_id(text: str) -> str:
    """A rule id (or id prefix) as typed, in its canonical case: the namespace lower, the rest upper
    (``ACME.cult-101`` is ``acme.CULT-101``; ``comm-001`` is ``COMM-001``)."""
    namespace, dot, rest = text.strip().rpartition(".")
    return f"{namespace.lower()}.{rest.upper()}" if dot else rest.upper()


def suggest_namespace(name: str) -> str:
    """A namespace to suggest to a plugin called ``name`` (a distribution, module or file name):
    ``capcheck-acme`` and ``./acme_rules.py`` give ``acme`` and ``acme-rules``; never the reserved one."""
    stem = name.replace("\\", "/").rstrip("/").rpartition("/")[2].removesuffix(".py").partition(".")[0]
    words = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    words = re.sub(r"^capcheck-", "", words)
    return words if re.fullmatch(NAMESPACE, words) and words != RESERVED_NAMESPACE else _EXAMPLE_NAMESPACE
