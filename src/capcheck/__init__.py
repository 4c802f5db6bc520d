"""capcheck: capability assurance as code.

The public API, re-exported lazily (PEP 562) so that ``import capcheck`` and ``capcheck --version``
stay instant: pydantic and the engine are imported only when a name that needs them is used.
"""

# No `from __future__` and no `typing` here: under `python -m capcheck` the working directory is
# still first on sys.path while this runs, and both would be imported from it. `importlib` is
# already loaded by then; `_safepath` drops the working directory before anything else is imported.
from importlib import import_module

from capcheck import _safepath
from capcheck._version import __version__

_safepath.drop_working_directory()

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from capcheck.errors import (
        CapcheckError,
        ConfigError,
        EvidenceError,
        PluginError,
        Problem,
        RuleFileError,
        UsageError,
    )
    from capcheck.evidence import EvidenceSet, evidence_from_records, load_evidence
    from capcheck.hookspecs import hookimpl, hookspec
    from capcheck.kinds import EvidenceKind, KindExtension
    from capcheck.loaders import Document, Loader, SourceFile
    from capcheck.models import (
        Area,
        EvidenceRef,
        Finding,
        Outcome,
        RuleMeta,
        RuleSource,
        RunResult,
        Severity,
        Status,
    )
    from capcheck.reporters import RenderOptions, Reporter
    from capcheck.rules import Rule, RuleContext, rule
    from capcheck.runner import CheckRequest, load_registry, run_check

__all__ = [
    "Area",
    "CapcheckError",
    "CheckRequest",
    "ConfigError",
    "Document",
    "EvidenceError",
    "EvidenceKind",
    "EvidenceRef",
    "EvidenceSet",
    "Finding",
    "KindExtension",
    "Loader",
    "Outcome",
    "PluginError",
    "Problem",
    "RenderOptions",
    "Reporter",
    "Rule",
    "RuleContext",
    "RuleFileError",
    "RuleMeta",
    "RuleSource",
    "RunResult",
    "Severity",
    "SourceFile",
    "Status",
    "UsageError",
    "__version__",
    "evidence_from_records",
    "hookimpl",
    "hookspec",
    "load_evidence",
    "load_registry",
    "rule",
    "run_check",
]

_HOMES = {
    "capcheck.errors": (
        "CapcheckError",
        "ConfigError",
        "EvidenceError",
        "PluginError",
        "Problem",
        "RuleFileError",
        "UsageError",
    ),
    "capcheck.evidence": ("EvidenceSet", "evidence_from_records", "load_evidence"),
    "capcheck.hookspecs": ("hookimpl", "hookspec"),
    "capcheck.kinds": ("EvidenceKind", "KindExtension"),
    "capcheck.loaders": ("Document", "Loader", "SourceFile"),
    "capcheck.models": (
        "Area",
        "EvidenceRef",
        "Finding",
        "Outcome",
        "RuleMeta",
        "RuleSource",
        "RunResult",
        "Severity",
        "Status",
    ),
    "capcheck.reporters": ("RenderOptions", "Reporter"),
    "capcheck.rules": ("Rule", "RuleContext", "rule"),
    "capcheck.runner": ("CheckRequest", "load_registry", "run_check"),
}
_WHERE = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> "Any":
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'capcheck' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
