"""capcheck: capability assurance as code.

The public API: everything a plugin, a rule or a tool built on capcheck needs is importable from here
(``from capcheck import rule, hookimpl, KindExtension``), and what is in ``__all__`` follows the plugin
API's semantic versioning (``PLUGIN_API_VERSION``; docs/plugins.md, "Stability"). Modules themselves
are implementation: a name imported from ``capcheck.core.engine`` may move without notice.

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

    from capcheck.app.config import Config
    from capcheck.app.runner import CheckRequest, load_registry, run_check
    from capcheck.assessment.baseline import BaselineReport
    from capcheck.assessment.criteria import CriterionResult, CriterionStatus
    from capcheck.assessment.scorecard import AreaScore, Scorecard, ScorecardConfig
    from capcheck.assessment.sufficiency import OrganisationReading
    from capcheck.assessment.waivers import Waiver, WaiverState
    from capcheck.builtins.declarative import CompileContext, RuleFormat
    from capcheck.core.errors import (
        CapcheckError,
        ConfigError,
        EvidenceError,
        PluginError,
        Problem,
        RuleFileError,
        UsageError,
    )
    from capcheck.core.evidence import EvidenceSet, evidence_from_records, load_evidence
    from capcheck.core.hookspecs import PLUGIN_API_VERSION, hookimpl, hookspec
    from capcheck.core.kinds import EvidenceKind, KindExtension
    from capcheck.core.loading import (
        Document,
        Enricher,
        LoadContext,
        Loader,
        SourceFile,
    )
    from capcheck.core.models import (
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
    from capcheck.core.reporting import RenderOptions, Reporter
    from capcheck.core.rules import (
        Record,
        Rule,
        RuleContext,
        is_missing,
        rule,
    )

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
    "Enricher",
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
    "capcheck.assessment.baseline": ("BaselineReport",),
    "capcheck.app.config": ("Config",),
    "capcheck.assessment.criteria": ("CriterionResult", "CriterionStatus"),
    "capcheck.builtins.declarative": ("CompileContext", "RuleFormat"),
    "capcheck.core.errors": (
        "CapcheckError",
        "ConfigError",
        "EvidenceError",
        "PluginError",
        "Problem",
        "RuleFileError",
        "UsageError",
    ),
    "capcheck.core.evidence": ("EvidenceSet", "evidence_from_records", "load_evidence"),
    "capcheck.core.hookspecs": ("PLUGIN_API_VERSION", "hookimpl", "hookspec"),
    "capcheck.core.kinds": ("EvidenceKind", "KindExtension"),
    "capcheck.core.loading": ("Document", "Enricher", "LoadContext", "Loader", "SourceFile"),
    "capcheck.core.models": (
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
    "capcheck.core.reporting": ("RenderOptions", "Reporter"),
    "capcheck.core.rules": ("Record", "Rule", "RuleContext", "is_missing", "rule"),
    "capcheck.app.runner": ("CheckRequest", "load_registry", "run_check"),
    "capcheck.assessment.scorecard": ("AreaScore", "Scorecard", "ScorecardConfig"),
    "capcheck.assessment.sufficiency": ("OrganisationReading",),
    "capcheck.assessment.waivers": ("Waiver", "WaiverState"),
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
