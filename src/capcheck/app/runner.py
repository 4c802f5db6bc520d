"""One check, end to end: effective settings -> plugins -> registry -> evidence -> findings.

The CLI parses options and prints; :mod:`capcheck.app.settings` merges the config file, the environment
and the options into a :class:`CheckRequest` of effective values; this module does the work, so that
tests and other tools (a CI wrapper, a notebook) can run a check without the CLI. It decides no
precedence: what the request says is what runs.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from capcheck._version import __version__
from capcheck.app import parallel
from capcheck.app.config import Config
from capcheck.app.plugins import LocalPlugin, build_plugin_manager
from capcheck.app.registry import Registry, build_registry
from capcheck.app.settings import (
    NO_CONFIG_PLUGINS_ENV,
    Value,
    env_switch,
    gate_problems,
    raise_problems,
    reference_problems,
    rule_setting_problems,
)
from capcheck.assessment.facts import FactsAsked, copy_keys, count_copies, kind_facts
from capcheck.assessment.scorecard import (
    ScoredRule,
    compute_scorecard,
    facts_asked,
    gate_failures,
    rule_changes,
    rule_origin,
)
from capcheck.core.engine import Judged, StatusCounts, evaluate, evaluate_range, evaluate_rule, judged_nothing
from capcheck.core.errors import ConfigError, PluginError, Problem
from capcheck.core.evidence import (
    EvidenceSet,
    evidence_extensions,
    find_evidence_files,
    load_evidence,
    load_evidence_files,
)
from capcheck.core.kinds import CONFIG_OWNER
from capcheck.core.loading import HEAD_BYTES, ByteRange, LoadContext, Loader, open_regular, peek_file
from capcheck.core.models import RuleInfo, RunResult, Severity, Summary, display_path
from capcheck.core.outcomes import Findings, RuleOutcomes
from capcheck.core.process import keep_to_the_end
from capcheck.core.rules import Rule, select_rules
from capcheck.core.side_inputs import escape_token

if TYPE_CHECKING:
    from capcheck.app.progress import Progress
    from capcheck.assessment.baseline import BaselineReport
    from capcheck.assessment.waivers import WaiverState

__all__ = ["NO_CONFIG_PLUGINS_ENV", "CheckRequest", "config_plugins_disabled", "load_registry", "run_check"]


@dataclass(frozen=True)
class CheckRequest:
    """What to check and how, as effective values: ``select``, ``ignore``, ``fail_on``, ``min_level``,
    ``waivers`` and ``baseline`` are used as given, whatever the config says (build a request from a
    config file and options with :func:`capcheck.app.settings.resolve_settings`, which merges them).
    The config supplies what has no option: its rule and plugin paths, per-rule severities and
    options, CSV kinds, the file size limit, waiver limits and the scorecard method."""

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
    #: The scorecard gate (area id or "*" -> minimum level); the config's ``min_level`` is not added.
    min_level: Mapping[str, int] = field(default_factory=dict)
    #: Governed waivers file, and baseline file (see capcheck.assessment.waivers and capcheck.assessment.baseline).
    waivers: Path | None = None
    baseline: Path | None = None
    #: How many processes may load and judge the evidence; None: as many as there are usable cores, where the
    #: evidence is large enough and its registers divide (:mod:`capcheck.app.parallel`). The result is the same.
    jobs: int | None = None
    #: The reporters the caller will write the result with: in a split check, each process makes their text for
    #: its rules (``Reporter.segment``), so the writing is shared too. Only a hint (any reporter can write the
    #: result), unless :attr:`reports_only` says it is the whole list.
    formats: Sequence[str] = ()
    #: The caller reads the result only through the reporters of :attr:`formats` and its counts (summary, scorecard,
    #: exit code), as ``capcheck check`` does: a split check's children then send the parent no rows of the blocks
    #: they made every reporter's text for, when every reporter makes such text and no waivers or baseline are
    #: applied (:mod:`capcheck.app.parallel`). Reading such a block's rows (another reporter, the findings one by
    #: one) raises :class:`~capcheck.core.outcomes.RowsElsewhere`.
    reports_only: bool = False


_WaiverReport = tuple["WaiverState", ...] | None


def config_plugins_disabled() -> bool:
    """Whether the environment turns config-named plugins off (``CAPCHECK_NO_CONFIG_PLUGINS=1``).

    It fails closed: any value but empty, ``0``, ``false``, ``no`` or ``off`` turns them off, so a
    misspelt "yes" never lets a checkout's code run."""
    return env_switch(os.environ, NO_CONFIG_PLUGINS_ENV)


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
    :raises PluginError: a plugin failed, or config plugins are named but turned off, or (the config's
        ``strict_namespaces``) a plugin registered ids without a namespace.
    """
    if config_plugins is None:
        config_plugins = not config_plugins_disabled()
    named_by = display_path(config.source) if config.source is not None else "the config"
    if config.plugins and not config_plugins:
        raise PluginError(
            config.locate(
                [
                    Problem(
                        f"config plugins are turned off (--no-config-plugins or {NO_CONFIG_PLUGINS_ENV}), and this "
                        f"config names {', '.join(repr(m) for m in config.plugins)}: Python code that would run. "
                        "Run without the switch if you trust this checkout, or name a trusted config with --config",
                        path=named_by if config.source is not None else None,
                        pointer=f"{config.pointer_prefix}/plugins",
                    )
                ]
            )
        )
    base = config.source.parent if config.source is not None else None
    modules = [LocalPlugin(m, named_by=named_by, base=base) for m in config.plugins]
    # The config's paths that lead nowhere, located at its words (not at a path it resolved to), before any code runs.
    missing: list[Problem] = []
    for n, m in enumerate(modules):
        if m.path is not None and not os.path.lexists(m.path):
            where = f"{config.pointer_prefix}/plugins/{n}"
            text = f"no such plugin file or directory: {display_path(m.path)}"
            missing.append(Problem(text, path=config.shown, pointer=where))
    for n, p in enumerate(config.rules):
        if not os.path.lexists(config.resolve(p)):
            where = f"{config.pointer_prefix}/rules/{n}"
            text = f"no such rule file or directory: {display_path(config.resolve(p))}"
            missing.append(Problem(text, path=config.shown, pointer=where))
    if missing and config.source is not None:
        raise ConfigError(config.locate(missing))
    modules += [LocalPlugin(m) for m in plugins]
    pm, infos = build_plugin_manager(modules, entry_points=entry_points)
    paths = [config.resolve(p) for p in config.rules] + list(rule_paths)
    owner = f"{CONFIG_OWNER}{named_by}"  # the config's [kinds.<id>] tables extend kinds after the plugins
    extensions = [(owner, fields.extension(kind)) for kind, fields in config.kinds.items()]
    try:
        return build_registry(
            pm, infos, rule_paths=paths, kind_extensions=extensions, strict_namespaces=config.strict_namespaces
        )
    except PluginError as exc:
        if config.source is None or not config.kinds:
            raise
        located = _config_kinds_located(exc.problems, config, owner)
        if all(p.path == config.shown for p in located):
            raise ConfigError(located) from None
        raise PluginError(located) from None


#: A kind extension's problem as :func:`capcheck.core.kinds.extend_kinds` words it: the owner, then the kind.
_EXTENSION_PROBLEM = re.compile(r"extension of evidence kind '([^']+)': (.*)", re.S)


def _config_kinds_located(problems: Sequence[Problem], config: Config, owner: str) -> list[Problem]:
    """The problems of the config's ``[kinds.<id>]`` tables placed at their table (file, line, pointer);
    the others (a plugin's) as they are."""
    out = []
    for p in problems:
        match = _EXTENSION_PROBLEM.fullmatch(p.message.removeprefix(f"{owner}: ")) if p.path is None else None
        if match is None or not p.message.startswith(f"{owner}: "):
            out.append(p)
            continue
        kind, cause = match.groups()
        pointer = f"{config.pointer_prefix}/kinds/{escape_token(kind)}"
        out.append(Problem(f"extension of evidence kind {kind!r}: {cause}", path=config.shown, pointer=pointer))
    return config.locate(out)


def _rule_settings(registry: Registry, config: Config) -> tuple[dict[str, dict[str, Any]], dict[str, Severity]]:
    problems = rule_setting_problems(registry, config) + reference_problems(registry, config)
    if problems:
        raise ConfigError(config.locate(problems))
    return {rule_id: dict(values) for rule_id, values in config.options.items()}, dict(config.severity)


def selected_rules(registry: Registry, request: CheckRequest) -> list[Rule]:
    """The rules the request selects (all when it selects none), less those it ignores."""
    return select_rules(registry.rules, request.select, request.ignore)


def load_request_evidence(registry: Registry, request: CheckRequest, progress: Progress | None = None) -> EvidenceSet:
    """Load the evidence a request names."""
    return load_evidence(
        request.paths,
        loaders=registry.loaders,
        content_loaders=registry.content_loaders,
        kinds=registry.kinds,
        kind_map=request.config.csv_kinds,
        enrichers=registry.enrichers,
        options={"endoflife_products": request.config.endoflife_products},
        max_file_mb=request.config.max_file_mb,
        mappings=request.config.mappings(),
        progress=progress,
    )


def _collected(evidence: EvidenceSet) -> dict[str, list[tuple[str, str]]]:
    """Per kind, the files that say when they were collected: ``(path, collected_on)`` (the scorecard's age cap)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for f in evidence.files:
        if f.collected_on is not None:
            out.setdefault(f.kind, []).append((f.path, f.collected_on))
    return out


def run_check(
    request: CheckRequest, registry: Registry | None = None, *, progress: Progress | None = None
) -> RunResult:
    """Run one check and return its result (raises CapcheckError on bad input).

    Every usage error that needs no evidence (selectors, per-rule settings, the gate's areas, the
    waivers and baseline files) is found before any evidence file is opened. ``progress`` is told
    of each evidence file loaded and each rule evaluated (see :mod:`capcheck.app.progress`).

    The cyclic garbage collector is paused for the run: evidence is millions of acyclic objects
    (freed by reference counting), and each full collection would walk all of them again: on
    3 million records that costs more than parsing them. It is restored afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_check(request, registry, progress)
    finally:
        if was_enabled:
            gc.enable()


def _run_check(request: CheckRequest, registry: Registry | None, progress: Progress | None) -> RunResult:
    started = datetime.now(UTC)
    if registry is None:
        registry = load_registry(request.config, request.rule_paths, request.plugins)
    # Everything that needs no evidence is checked before any evidence file is opened.
    rules = selected_rules(registry, request)
    options, severities = _rule_settings(registry, request.config)
    gate = dict(request.min_level)
    raise_problems(gate_problems(registry, {area: Value(level) for area, level in gate.items()}))
    as_of = request.as_of or date.today()
    waivers = None
    if request.waivers is not None:
        # Imported only with --waivers (and the baseline's module only with --baseline): a check without them
        # need not pay for their modules at every start-up (docs/performance.md).
        from capcheck.assessment.waivers import load_waivers, unknown_rule_problems

        waivers = load_waivers(request.waivers, as_of=as_of, max_days=request.config.waiver_max_days)
        if problems := unknown_rule_problems(waivers, registry.rules, as_of=as_of):
            raise ConfigError(problems)
    baseline = None
    if request.baseline is not None:
        from capcheck.assessment.baseline import load_baseline

        baseline = load_baseline(request.baseline)
    judge = _Judge(rules, as_of, options, severities, request.include_passed, request.debug)
    review_order = tuple(a.id for a in sorted(registry.areas.values(), key=lambda a: (a.order, a.id)))

    def settle(
        blocks: list[RuleOutcomes], summary: Summary
    ) -> tuple[tuple[WaiverState, ...] | None, BaselineReport | None]:
        """Apply the waivers and the baseline to ``blocks`` (in place) and ``summary``: their reports."""
        waiver_report = baseline_report = None
        if request.waivers is not None and waivers is not None:
            from capcheck.assessment.waivers import apply_waivers  # imported above with --waivers

            waiver_report = apply_waivers(
                blocks, summary, waivers, as_of=as_of, warn_days=request.config.waiver_warn_days
            )
        if request.baseline is not None and baseline is not None:
            from capcheck.assessment.baseline import apply_baseline  # imported above with --baseline

            baseline_report = apply_baseline(blocks, summary, baseline, file=display_path(request.baseline))
        return waiver_report, baseline_report

    scored = [
        ScoredRule(
            r.meta.id,
            r.meta.area,
            r.meta.title,
            r.meta.kinds,
            r.meta.criteria,
            rule_changes(r.meta, severities.get(r.meta.id), options.get(r.meta.id)),
            rule_origin(r.source),
        )
        for r in rules
    ]
    asked = facts_asked(list(registry.areas.values()), scored)  # the scorecard reads facts, not records
    segments = [
        (name, r.segment)
        for name in dict.fromkeys(request.formats)
        if (r := registry.reporters.get(name)) and r.segment
    ]
    # The parent reads the rows of a block whose text a part made only for what it cannot do from the text.
    send_rows = (
        not request.reports_only
        or request.waivers is not None
        or request.baseline is not None
        or not segments
        or len(segments) < len(dict.fromkeys(request.formats))
    )
    made = parallel.Segments(segments, settle, review_order, send_rows)
    split = _split(registry, request, judge, progress, made, asked)
    parts: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if split is not None:
        evidence, evaluation, facts, copies, parts = split.evidence, split.evaluation, split.facts, split.copies, split
    else:
        evidence = load_request_evidence(registry, request, progress)
        if progress is not None:
            progress.rules_found(len(rules))
        evaluation = evaluate(
            rules,
            evidence,
            as_of=as_of,
            options=options,
            severities=severities,
            include_passed=request.include_passed,
            debug=request.debug,
            progress=progress,
        )
        facts = {kind: kind_facts(kind, evidence.records(kind), asked) for kind in evidence.kinds()}
        held = evidence

        def copies(kind: str, fields: tuple[str, ...]) -> int:
            return count_copies(held.records(kind), fields, asked.placeholders)

    # The records this process loaded, split or not, are freed with the result (the findings hold them), or never
    # where the process ends without teardown (the console script): a split check's are not in the result.
    keep_to_the_end(parts)
    with parts:  # a split check's parts answer the scorecard's questions about their records until it is made
        outcomes = evaluation.outcomes
        waiver_report, baseline_report = settle(outcomes, evaluation.summary)
        # Compact until output: the findings are made (in order) only as a reporter reads them.
        evaluation.summary.area_order = review_order
        findings = Findings(outcomes, evidence, review_order)
        scorecard = compute_scorecard(
            evaluation.summary,
            list(registry.areas.values()),
            scored,
            request.config.scorecard,
            facts=facts,
            copies=copies,
            frameworks=registry.frameworks,
            as_of=as_of,
            kinds=registry.kinds,
            available=Counter(r.meta.area for r in registry.rules.values()),
            collected=_collected(evidence),
            judged_nothing=judged_nothing(outcomes),
        )
    return RunResult(
        tool_version=__version__,
        as_of=as_of,
        started=started,
        finished=datetime.now(UTC),
        evidence=evidence.files,
        rules=tuple(rule_info(r, severities, options) for r in rules),
        areas=tuple(sorted(registry.areas.values(), key=lambda a: (a.order, a.id))),
        findings=findings,
        summary=evaluation.summary,
        fail_on=request.fail_on,
        include_passed=request.include_passed,
        scorecard=scorecard,
        waivers=waiver_report,
        baseline=baseline_report,
        gate_failures=tuple(gate_failures(scorecard.rows, gate)),
        select=tuple(request.select),
        ignore=tuple(request.ignore),
        scorecard_method=request.config.scorecard,
        severity_overrides=severities,
        option_overrides=options,
    )


@dataclass(frozen=True)
class _Judge:
    """How the selected rules are judged: the same in every process of a split check."""

    rules: Sequence[Rule]
    as_of: date
    options: Mapping[str, Mapping[str, Any]]
    severities: Mapping[str, Severity]
    include_passed: bool
    debug: bool

    def range(self, j: int, evidence: EvidenceSet) -> Judged:
        """The rule at position ``j`` over a range of its records (a divided register's), not finalised."""
        return evaluate_range(self.rules[j], evidence, **self._settings())

    def rule(self, j: int, evidence: EvidenceSet) -> tuple[RuleOutcomes, StatusCounts]:
        """The rule at position ``j`` over the evidence: its block and counts."""
        return evaluate_rule(self.rules[j], evidence, **self._settings())

    def _settings(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "options": self.options,
            "severities": self.severities,
            "include_passed": self.include_passed,
            "debug": self.debug,
        }


def _split(
    registry: Registry,
    request: CheckRequest,
    judge: _Judge,
    progress: Progress | None,
    segments: parallel.Segments,
    asked: FactsAsked,
) -> parallel.Split | None:
    """Load and judge the evidence in several processes (:mod:`capcheck.app.parallel`), or None where the check
    is not split (one core or job, fork unavailable, small evidence, a file whose kinds cannot be told first,
    or registers every rule reads together): the caller then does it in this process."""
    jobs = request.jobs if request.jobs is not None else parallel.auto_jobs()
    if jobs < 2 or not parallel.can_fork():
        return None
    loaders, content_loaders = registry.loaders, registry.content_loaders
    files, walk_problems = find_evidence_files(request.paths, evidence_extensions(loaders, content_loaders))
    try:
        sizes = [path.stat().st_size for path in files]
    except OSError:
        return None  # the load says what is wrong with it
    if request.jobs is None and not parallel.worth_splitting(sizes):
        return None
    config = request.config
    context = LoadContext(kinds=registry.kinds, kind_map=dict(config.csv_kinds), mappings=config.mappings())
    kinds_of: list[frozenset[str]] = []
    loaders_of: list[Loader] = []
    together: dict[int, list[int]] = {}  # a combining loader's files are read in one process (OCDS)
    for i, path in enumerate(files):
        try:
            with open_regular(path) as stream:
                head = stream.read(HEAD_BYTES)
        except (OSError, ValueError):  # loading says what is wrong with it
            return None
        loader, kinds = peek_file(path, head, loaders, content_loaders, context)
        if loader is None or kinds is None:
            return None
        kinds_of.append(kinds)
        loaders_of.append(loader)
        if loader.combine is not None:
            together.setdefault(id(loader.combine), []).append(i)
    versions: dict[Path, tuple[int, int]] = {}  # a divided file's size and modification time (Loader.divide)
    enriched = {kind for enricher in registry.enrichers for kind in (enricher.kinds or registry.kinds)}
    max_bytes = config.max_file_mb << 20

    def divide(i: int) -> Sequence[tuple[int, int]] | None:
        """Where a register may be cut into ranges of records its parts load alone: by its loader, unless an
        enricher completes its records (it may read them all), a mapping renames them, or it is too large to load."""
        loader = loaders_of[i]
        if loader.divide is None or loader.load_range is None or kinds_of[i] & enriched or sizes[i] > max_bytes:
            return None
        if not loader.applies_mapping and context.mapping_for(files[i]) is not None:
            return None
        try:
            cuts = loader.divide(files[i], sizes[i], parallel.FINE_RANGES, context)
        except (OSError, ValueError):  # loading says what is wrong with it
            return None
        if not cuts:
            return None
        versions[files[i]] = (cuts[0].size, cuts[0].mtime_ns)  # each range is read from this version of the file
        return [(cut.start, cut.end) for cut in cuts]

    parts = parallel.plan(judge.rules, kinds_of, sizes, jobs, together.values(), divide)
    if parts is None:
        return None

    def load(paths: Sequence[Path], told: Progress | None, pieces: Mapping[Path, tuple[int, int, bool]]) -> EvidenceSet:
        ranges = {path: (ByteRange(start, end, *versions[path]), whole) for path, (start, end, whole) in pieces.items()}
        return load_evidence_files(
            paths,
            [],
            loaders=loaders,
            content_loaders=content_loaders,
            kinds=registry.kinds,
            kind_map=config.csv_kinds,
            enrichers=registry.enrichers,
            options={"endoflife_products": config.endoflife_products},
            max_file_mb=config.max_file_mb,
            mappings=config.mappings(),
            progress=told,
            ranges=ranges,
        )

    work = parallel.Work(
        files=files,
        kinds_of=kinds_of,
        load=load,
        judge=judge.rule,
        judge_range=judge.range,
        rules=len(judge.rules),
        facts=lambda evidence: {kind: kind_facts(kind, evidence.records(kind), asked) for kind in evidence.kinds()},
        copies=lambda records, fields: count_copies(records, fields, asked.placeholders),
        copy_keys=lambda records, fields: copy_keys(records, fields, asked.placeholders),
        segments=segments,
        debug=request.debug,
    )
    return parallel.split_check(parts, work, walk_problems, progress)


def rule_info(
    r: Rule,
    severities: Mapping[str, Severity] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> RuleInfo:
    """A rule as listed in results and (its ``as_dict()``) in ``rules list --format json``: the severity it
    runs at and the option values in force (the config's ``severities`` and ``options`` over its own)."""
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
        options={**meta.options, **(options or {}).get(meta.id, {})},
        source=r.source,
        reads=tuple(meta.reads),
        columns=tuple(meta.columns),
    )
