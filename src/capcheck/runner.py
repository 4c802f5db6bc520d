"""One check, end to end: config + CLI options -> plugins -> registry -> evidence -> findings.

The CLI parses options and prints; this module does the work, so that tests and other tools
(a CI wrapper, a notebook) can run a check without the CLI.
"""

from __future__ import annotations

import gc
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from capcheck._version import __version__
from capcheck.baseline import BaselineReport, apply_baseline, load_baseline
from capcheck.config import Config
from capcheck.engine import evaluate
from capcheck.errors import ConfigError, PluginError, Problem, UsageError
from capcheck.evidence import EvidenceSet, load_evidence
from capcheck.kinds import CONFIG_OWNER
from capcheck.models import RuleInfo, RunResult, Severity, display_path
from capcheck.outcomes import Findings
from capcheck.plugins import LocalPlugin, build_plugin_manager
from capcheck.registry import Registry, build_registry
from capcheck.rules import Rule, select_rules
from capcheck.scorecard import ScoredRule, compute_scorecard, gate_failures
from capcheck.side_inputs import escape_token, shorten
from capcheck.waivers import WaiverState, apply_waivers, load_waivers

__all__ = ["NO_CONFIG_PLUGINS_ENV", "CheckRequest", "config_plugins_disabled", "load_registry", "run_check"]


@dataclass(frozen=True)
class CheckRequest:
    """What to check and how: the CLI's options merged over the config file's."""

    paths: Sequence[Path]
    config: Config = field(default_factory=Config)
    rule_paths: Sequence[Path] = ()
    plugins: Sequence[str] = ()
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    as_of: date | None = None
    include_passed: bool = False
    fail_on: Severity | None = Severity.LOW
    debug: bool = False
    #: Scorecard gate from the CLI (area id or "*" -> minimum level); merged over the config's.
    min_level: Mapping[str, int] = field(default_factory=dict)
    #: Governed waivers file, and baseline file (see capcheck.waivers and capcheck.baseline).
    waivers: Path | None = None
    baseline: Path | None = None


#: Set (to 1) to refuse plugins named by a config file: for checkouts you do not trust.
NO_CONFIG_PLUGINS_ENV = "CAPCHECK_NO_CONFIG_PLUGINS"


def config_plugins_disabled() -> bool:
    """Whether the environment turns config-named plugins off (``CAPCHECK_NO_CONFIG_PLUGINS=1``).

    It fails closed: any value but empty, ``0``, ``false``, ``no`` or ``off`` turns them off, so a
    misspelt "yes" never lets a checkout's code run."""
    return os.environ.get(NO_CONFIG_PLUGINS_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


def load_registry(
    config: Config,
    rule_paths: Sequence[Path] = (),
    plugins: Sequence[str] = (),
    *,
    config_plugins: bool | None = None,
    entry_points: bool | None = None,
) -> Registry:
    """Load the plugins (the config's, then ``plugins``) and build the registry with every rule path.

    Nothing is imported from the working directory or the config's directory implicitly: a plugin
    the config names as a path (``./ours.py``) is loaded from that file, relative to the config.

    :param config_plugins: whether the config's ``plugins`` may run; None: unless
        ``CAPCHECK_NO_CONFIG_PLUGINS`` says no. When they may not and the config names some, the
        run stops (exit 2) rather than silently run without them.
    :param entry_points: whether installed plugins load through their entry points; None: unless
        autoloading is turned off (``--no-plugin-autoload``, ``CAPCHECK_DISABLE_PLUGIN_AUTOLOAD``).
    :raises PluginError: a plugin failed, or config plugins are named but turned off.
    """
    if config_plugins is None:
        config_plugins = not config_plugins_disabled()
    named_by = display_path(config.source) if config.source is not None else "the config"
    if config.plugins and not config_plugins:
        raise PluginError(
            Problem(
                f"config plugins are turned off (--no-config-plugins or {NO_CONFIG_PLUGINS_ENV}), and this "
                f"config names {', '.join(repr(m) for m in config.plugins)}: Python code that would run. "
                "Run without the switch if you trust this checkout, or name a trusted config with --config",
                path=named_by if config.source is not None else None,
                pointer=f"{config.pointer_prefix}/plugins",
            )
        )
    base = config.source.parent if config.source is not None else None
    modules = [LocalPlugin(m, named_by=named_by, base=base) for m in config.plugins]
    modules += [LocalPlugin(m) for m in plugins]
    pm, infos = build_plugin_manager(modules, entry_points=entry_points)
    paths = [config.resolve(p) for p in config.rules] + list(rule_paths)
    owner = f"{CONFIG_OWNER}{named_by}"  # the config's [kinds.<id>] tables extend kinds after the plugins
    extensions = [(owner, fields.extension(kind)) for kind, fields in config.kinds.items()]
    return build_registry(pm, infos, rule_paths=paths, kind_extensions=extensions)


def _rule_settings(registry: Registry, config: Config) -> tuple[dict[str, dict[str, Any]], dict[str, Severity]]:
    problems: list[Problem] = []
    shown = display_path(config.source) if config.source else None
    prefix = config.pointer_prefix
    for table in ("severity", "options"):
        for rule_id in getattr(config, table):
            if rule_id not in registry.rules:
                problems.append(Problem(f"unknown rule {rule_id!r}", path=shown, pointer=f"{prefix}/{table}/{rule_id}"))
    options: dict[str, dict[str, Any]] = {}
    for rule_id, values in config.options.items():
        r = registry.rules.get(rule_id)
        if r is None:
            continue
        declared = r.meta.options
        for name, value in values.items():
            if name not in declared:
                allowed = ", ".join(sorted(declared)) or "none"
                problems.append(
                    Problem(
                        f"rule {rule_id} has no option {shorten(name)} (options: {allowed})",
                        path=shown,
                        pointer=f"{prefix}/options/{rule_id}/{escape_token(name)}",
                    )
                )
            elif not _same_type(declared[name], value):
                problems.append(
                    Problem(
                        f"option {shorten(name)} of {rule_id} must be {type(declared[name]).__name__}, "
                        f"like its default {declared[name]!r}",
                        path=shown,
                        pointer=f"{prefix}/options/{rule_id}/{escape_token(name)}",
                    )
                )
        options[rule_id] = dict(values)
    if problems:
        raise ConfigError(problems)
    return options, dict(config.severity)


def _same_type(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float)
    return type(default) is type(value)


def selected_rules(registry: Registry, request: CheckRequest) -> list[Rule]:
    """The rules to run: CLI select/ignore, else the config's."""
    select = list(request.select) or list(request.config.select)
    ignore = [*request.config.ignore, *request.ignore]
    return select_rules(registry.rules, select, ignore)


def load_request_evidence(registry: Registry, request: CheckRequest) -> EvidenceSet:
    """Load the evidence a request names."""
    return load_evidence(
        request.paths,
        loaders=registry.loaders,
        content_loaders=registry.content_loaders,
        kinds=registry.kinds,
        kind_map=request.config.csv_kinds,
        product_names=request.config.endoflife_products,
        max_file_mb=request.config.max_file_mb,
        mappings=request.config.mappings(),
    )


def run_check(request: CheckRequest, registry: Registry | None = None) -> RunResult:
    """Run one check and return its result (raises CapcheckError on bad input).

    The cyclic garbage collector is paused for the run: evidence is millions of acyclic objects
    (freed by reference counting), and each full collection would walk all of them again: on
    3 million records that costs more than parsing them. It is restored afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_check(request, registry)
    finally:
        if was_enabled:
            gc.enable()


def _run_check(request: CheckRequest, registry: Registry | None) -> RunResult:
    started = datetime.now(UTC)
    if registry is None:
        registry = load_registry(request.config, request.rule_paths, request.plugins)
    rules = selected_rules(registry, request)
    options, severities = _rule_settings(registry, request.config)
    evidence = load_request_evidence(registry, request)
    as_of = request.as_of or date.today()
    evaluation = evaluate(
        rules,
        evidence,
        as_of=as_of,
        options=options,
        severities=severities,
        include_passed=request.include_passed,
        debug=request.debug,
    )
    outcomes = evaluation.outcomes
    waiver_report: tuple[WaiverState, ...] | None = None
    baseline_report: BaselineReport | None = None
    if request.waivers is not None:
        waivers = load_waivers(request.waivers, as_of=as_of, max_days=request.config.waiver_max_days)
        waiver_report = apply_waivers(
            outcomes, evaluation.summary, waivers, as_of=as_of, warn_days=request.config.waiver_warn_days
        )
    if request.baseline is not None:
        baseline_report = apply_baseline(
            outcomes, evaluation.summary, load_baseline(request.baseline), file=display_path(request.baseline)
        )
    # Compact until output: the findings are made (in order) only as a reporter reads them.
    review_order = tuple(a.id for a in sorted(registry.areas.values(), key=lambda a: (a.order, a.id)))
    evaluation.summary.area_order = review_order
    findings = Findings(outcomes, evidence, review_order)
    scorecard = compute_scorecard(
        evaluation.summary,
        list(registry.areas.values()),
        [ScoredRule(r.meta.id, r.meta.area, r.meta.title, r.meta.kinds, r.meta.criteria) for r in rules],
        request.config.scorecard,
        records={kind: evidence.records(kind) for kind in evidence.kinds()},
        frameworks=registry.frameworks,
        as_of=as_of,
        kinds=registry.kinds,
        available=Counter(r.meta.area for r in registry.rules.values()),
    )
    gate = {**request.config.scorecard.min_level, **request.min_level}
    unknown = sorted(a for a in gate if a != "*" and a not in registry.areas)
    if unknown:
        raise UsageError(
            [f"unknown area {a!r} in the scorecard gate (areas: {', '.join(sorted(registry.areas))})" for a in unknown]
        )
    return RunResult(
        tool_version=__version__,
        as_of=as_of,
        started=started,
        finished=datetime.now(UTC),
        evidence=evidence.files,
        rules=tuple(rule_info(r, severities) for r in rules),
        areas=tuple(sorted(registry.areas.values(), key=lambda a: (a.order, a.id))),
        findings=findings,
        summary=evaluation.summary,
        fail_on=request.fail_on,
        include_passed=request.include_passed,
        scorecard=scorecard,
        waivers=waiver_report,
        baseline=baseline_report,
        gate_failures=tuple(gate_failures(scorecard.rows, gate)),
        select=tuple(request.select) or tuple(request.config.select),
        ignore=(*request.config.ignore, *request.ignore),
        scorecard_method=request.config.scorecard,
    )


def rule_info(r: Rule, severities: Mapping[str, Severity] | None = None) -> RuleInfo:
    """A rule as listed in results and (its ``as_dict()``) in ``rules list --format json``."""
    meta = r.meta
    return RuleInfo(
        id=meta.id,
        version=meta.version,
        title=meta.title,
        area=meta.area,
        severity=(severities or {}).get(meta.id, meta.severity),
        kinds=tuple(meta.kinds),
        tags=tuple(meta.tags),
        criteria=tuple(meta.criteria),
        description=meta.description,
        rationale=meta.rationale,
        remediation=meta.remediation,
        references=tuple(meta.references),
        options=dict(meta.options),
        source=r.source,
    )
