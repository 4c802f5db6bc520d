"""capcheck: capability assurance as code.

The public API: everything a plugin, a rule or a tool built on capcheck needs is importable from here
(``from capcheck import rule, hookimpl, KindExtension``), and what is in ``__all__`` follows the plugin
API's semantic versioning (``PLUGIN_API_VERSION``; docs/plugins.md, "Stability"). Modules themselves
are implementation: a name imported from ``capcheck.engine`` may move without notice.

The names are re-exported lazily (PEP 562) so that ``import capcheck`` and ``capcheck --version``
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

    from capcheck.baseline import BaselineReport
    from capcheck.config import Config
    from capcheck.criteria import CriterionResult, CriterionStatus
    from capcheck.declarative import CompileContext, RuleFormat
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
    from capcheck.hookspecs import PLUGIN_API_VERSION, hookimpl, hookspec
    from capcheck.kinds import EvidenceKind, KindExtension
    from capcheck.loaders import (
        Document,
        LoadContext,
        Loader,
        SourceFile,
    )
    from capcheck.models import (
        Area,
        Criterion,
        EvidenceFileInfo,
        EvidenceRef,
        Finding,
        Framework,
        Outcome,
        PassedRecords,
        RuleInfo,
        RuleMeta,
        RuleSource,
        RunResult,
        Severity,
        Status,
        Summary,
    )
    from capcheck.reporters import RenderOptions, Reporter
    from capcheck.rules import (
        Record,
        Rule,
        RuleContext,
        is_missing,
        rule,
    )
    from capcheck.runner import CheckRequest, load_registry, run_check
    from capcheck.scorecard import AreaScore, Scorecard, ScorecardConfig
    from capcheck.sufficiency import OrganisationReading
    from capcheck.waivers import Waiver, WaiverState

__all__ = [
    "PLUGIN_API_VERSION",
    "Area",
    "AreaScore",
    "BaselineReport",
    "CapcheckError",
    "CheckRequest",
    "CompileContext",
    "Config",
    "ConfigError",
    "Criterion",
    "CriterionResult",
    "CriterionStatus",
    "Document",
    "EvidenceError",
    "EvidenceFileInfo",
    "EvidenceKind",
    "EvidenceRef",
    "EvidenceSet",
    "Finding",
    "Framework",
    "KindExtension",
    "LoadContext",
    "Loader",
    "OrganisationReading",
    "Outcome",
    "PassedRecords",
    "PluginError",
    "Problem",
    "Record",
    "RenderOptions",
    "Reporter",
    "Rule",
    "RuleContext",
    "RuleFileError",
    "RuleFormat",
    "RuleInfo",
    "RuleMeta",
    "RuleSource",
    "RunResult",
    "Scorecard",
    "ScorecardConfig",
    "Severity",
    "SourceFile",
    "Status",
    "Summary",
    "UsageError",
    "Waiver",
    "WaiverState",
    "__version__",
    "evidence_from_records",
    "hookimpl",
    "hookspec",
    "is_missing",
    "load_evidence",
    "load_registry",
    "rule",
    "run_check",
]

#: Where each public name lives: ``capcheck.X`` is imported from there on first use.
_HOMES = {
    "capcheck.baseline": ("BaselineReport",),
    "capcheck.config": ("Config",),
    "capcheck.criteria": ("CriterionResult", "CriterionStatus"),
    "capcheck.declarative": ("CompileContext", "RuleFormat"),
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
    "capcheck.hookspecs": ("PLUGIN_API_VERSION", "hookimpl", "hookspec"),
    "capcheck.kinds": ("EvidenceKind", "KindExtension"),
    "capcheck.loaders": ("Document", "LoadContext", "Loader", "SourceFile"),
    "capcheck.models": (
        "Area",
        "Criterion",
        "EvidenceFileInfo",
        "EvidenceRef",
        "Finding",
        "Framework",
        "Outcome",
        "PassedRecords",
        "RuleInfo",
        "RuleMeta",
        "RuleSource",
        "RunResult",
        "Severity",
        "Status",
        "Summary",
    ),
    "capcheck.reporters": ("RenderOptions", "Reporter"),
    "capcheck.rules": ("Record", "Rule", "RuleContext", "is_missing", "rule"),
    "capcheck.runner": ("CheckRequest", "load_registry", "run_check"),
    "capcheck.scorecard": ("AreaScore", "Scorecard", "ScorecardConfig"),
    "capcheck.sufficiency": ("OrganisationReading",),
    "capcheck.waivers": ("Waiver", "WaiverState"),
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
